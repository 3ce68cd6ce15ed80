"""gunicorn settings for production (`gunicorn -c config/gunicorn.conf.py config.wsgi:application`).

Threaded workers: a request waiting on the database (a commit waits for PostgreSQL's WAL flush)
leaves its process free to serve another, and concurrent commits share one flush (group commit).
Each thread keeps its own persistent database connection (CONN_MAX_AGE), so the database sees
workers × threads connections: keep that under PostgreSQL's max_connections with headroom for the
task worker and the sweep. Environment overrides: LIANXIN_BIND, LIANXIN_WORKERS, LIANXIN_THREADS.
"""

import os

bind = os.environ.get("LIANXIN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LIANXIN_WORKERS", 2 * (os.cpu_count() or 1) + 1))
worker_class = "gthread"
threads = int(os.environ.get("LIANXIN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak in a library cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("LIANXIN_ACCESS_LOG") or None
