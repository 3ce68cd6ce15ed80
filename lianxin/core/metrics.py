"""Prometheus metrics in the text exposition format (``GET /metrics``; issue 13, docs/operations.md).

Internal use only: answered to addresses in ``LIANXIN_METRICS_ALLOWED_IPS`` (default loopback) or to a
request carrying ``Authorization: Bearer <LIANXIN_METRICS_TOKEN>``; anyone else gets 404. Each figure
is one cheap query (counts on indexed columns), so a 15-second scrape interval is fine.
"""

import hmac
import ipaddress
import os

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Count
from django.utils import timezone

from . import replicas
from .middleware import client_ip

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _allowed_networks() -> list:
    raw = getattr(settings, "LIANXIN_METRICS_ALLOWED_IPS", None)
    if raw is None:
        raw = [p.strip() for p in os.environ.get("LIANXIN_METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")]
    return [ipaddress.ip_network(item, strict=False) for item in raw if item]


def may_read(request) -> bool:
    token = getattr(settings, "LIANXIN_METRICS_TOKEN", None) or os.environ.get("LIANXIN_METRICS_TOKEN", "")
    offered = request.headers.get("Authorization", "")
    if token and offered.startswith("Bearer ") and hmac.compare_digest(offered[7:].encode(), token.encode()):
        return True
    address = client_ip(request)
    if not address:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in _allowed_networks())


def _line(name: str, value, labels: dict | None = None) -> str:
    if labels:
        inner = ",".join(
            f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
            for k, v in labels.items()
        )
        return f"{name}{{{inner}}} {value}"
    return f"{name} {value}"


def _family(out: list[str], name: str, kind: str, help_text: str, samples: list[tuple]) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")
    out.extend(_line(name, value, labels) for labels, value in samples)


def render() -> str:
    from django_tasks_db.models import DBTaskResult

    from .models import AuditHead, Todo

    out: list[str] = []
    _family(out, "lianxin_up", "gauge", "The app node answers.", [(None, 1)])
    databases = []
    for alias in [replicas.PRIMARY_ALIAS, *replicas.replica_aliases()]:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            databases.append(({"alias": alias}, 1))
        except DatabaseError:
            connections[alias].close()
            databases.append(({"alias": alias}, 0))
    _family(out, "lianxin_database_up", "gauge", "The database connection answers (1) or not (0).", databases)
    lags = []
    for alias in replicas.replica_aliases():
        lag = replicas.replica_lag(alias)
        lags.append(({"alias": alias}, -1 if lag is None else round(lag, 3)))
    if lags:
        _family(
            out, "lianxin_replica_lag_seconds", "gauge", "Replay lag of each replica (-1: unusable).", lags
        )
    try:
        by_status = dict(
            DBTaskResult.objects.using(replicas.PRIMARY_ALIAS)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
        )
        oldest = (
            DBTaskResult.objects.using(replicas.PRIMARY_ALIAS)
            .filter(status="READY")
            .order_by("enqueued_at")
            .values_list("enqueued_at", flat=True)
            .first()
        )
    except DatabaseError:
        by_status, oldest = {}, None
    statuses = ["READY", "RUNNING", "SUCCESSFUL", "FAILED"]
    _family(
        out,
        "lianxin_tasks",
        "gauge",
        "Background tasks in the shared queue, by status.",
        [({"status": s.lower()}, by_status.get(s, 0)) for s in statuses],
    )
    age = (timezone.now() - oldest).total_seconds() if oldest else 0
    _family(
        out,
        "lianxin_task_oldest_ready_seconds",
        "gauge",
        "Age of the oldest task waiting.",
        [(None, round(age, 3))],
    )
    today = timezone.localdate()
    todos = Todo.objects.using(replicas.PRIMARY_ALIAS)
    _family(out, "lianxin_todos_open", "gauge", "Open to-dos.", [(None, todos.open().count())])
    _family(
        out,
        "lianxin_todos_overdue",
        "gauge",
        "Open to-dos past their deadline.",
        [(None, todos.overdue(today).count())],
    )
    head = AuditHead.objects.using(replicas.PRIMARY_ALIAS).first()
    _family(
        out,
        "lianxin_audit_entries",
        "counter",
        "Audit entries written (the chain's sequence).",
        [(None, head.seq if head else 0)],
    )
    return "\n".join(out) + "\n"
