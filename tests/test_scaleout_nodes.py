"""Stateless app nodes (issue 13): two gunicorn servers on two ports behind one database serve the same
browser journey; settings for replicas, the shared cache and sessions; the metrics endpoint."""

import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings

from config.settings import base
from lianxin.core.access import Role
from lianxin.core.models import Todo
from lianxin.core.services import todo_create

from . import browser_helpers
from .conftest import PASSWORD, make_user
from .pg_cluster import free_port

ROOT = Path(__file__).resolve().parent.parent
browser = browser_helpers.browser


def _redis_answers() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
        return True
    except OSError:
        return False


# --- settings -------------------------------------------------------------------------------------


def test_replicas_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(
        "LIANXIN_REPLICA_URLS", "postgres://ro@10.0.0.2:5432/lx, postgres://ro@10.0.0.3:5432/lx"
    )
    replicas = base.replicas_from_env()
    assert list(replicas) == ["replica_1", "replica_2"]
    assert replicas["replica_2"]["HOST"] == "10.0.0.3"
    assert replicas["replica_1"]["TEST"] == {"MIRROR": "default"}
    assert replicas["replica_1"]["OPTIONS"]["connect_timeout"] == 2
    monkeypatch.delenv("LIANXIN_REPLICA_URLS")
    assert base.replicas_from_env() == {}


def test_postgres_sessions_cost_random_reads_as_on_ssd(monkeypatch, db):
    """docs/decisions/0005: every PostgreSQL session (primary and replicas) plans with
    random_page_cost 1.1 unless LIANXIN_DB_RANDOM_PAGE_COST says otherwise ("" keeps the server's)."""
    assert (
        base.database_from_url("postgres://u@db:5432/lx")["OPTIONS"]["options"] == "-c random_page_cost=1.1"
    )
    monkeypatch.setenv("LIANXIN_DB_RANDOM_PAGE_COST", "2")
    assert base.database_from_url("postgres://u@db/lx")["OPTIONS"]["options"] == "-c random_page_cost=2.0"
    monkeypatch.setenv("LIANXIN_DB_RANDOM_PAGE_COST", "")
    assert "options" not in base.database_from_url("postgres://u@db/lx").get("OPTIONS", {})
    monkeypatch.setenv("LIANXIN_DB_RANDOM_PAGE_COST", "1; DROP TABLE x")
    with pytest.raises(ImproperlyConfigured, match="LIANXIN_DB_RANDOM_PAGE_COST"):
        base.database_from_url("postgres://u@db/lx")
    monkeypatch.setenv("LIANXIN_DB_RANDOM_PAGE_COST", "1.1")
    assert "options" not in base.database_from_url("sqlite:////tmp/lx.sqlite3").get("OPTIONS", {})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            assert cursor.fetchone()[0] == "1.1"


def test_the_cache_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LIANXIN_CACHE_URL", "redis://10.0.0.5:6379/1")
    assert base.cache_from_env()["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    monkeypatch.setenv("LIANXIN_CACHE_URL", "db")
    assert base.cache_from_env()["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    monkeypatch.delenv("LIANXIN_CACHE_URL")
    assert base.cache_from_env()["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_without_replicas_everything_reads_the_primary(db):
    from lianxin.core import replicas

    with replicas.use_replica():
        assert Todo.objects.all().db == "default"


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_sessions_in_redis_are_seen_by_another_node():
    from importlib import import_module

    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"lx-test-{os.getpid()}",
        }
    }
    with override_settings(CACHES=redis_cache, SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        caches["default"].set("probe", "一", 30)
        assert caches["default"].get("probe") == "一"
        store = import_module("django.contrib.sessions.backends.cache").SessionStore
        first = store()
        first["who"] = "网格员"
        first.save()
        assert store(session_key=first.session_key)["who"] == "网格员"  # a fresh store, as on node B
        first.delete()
        caches["default"].delete("probe")


# --- metrics ---------------------------------------------------------------------------------------


def test_metrics_answer_internal_addresses_only(client, db):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert "lianxin_up 1" in text
    assert 'lianxin_database_up{alias="default"} 1' in text
    assert 'lianxin_tasks{status="ready"} 0' in text
    assert "# TYPE lianxin_todos_overdue gauge" in text
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404


def test_metrics_accept_the_bearer_token(client, db):
    with override_settings(LIANXIN_METRICS_TOKEN="s3cret-token", LIANXIN_METRICS_ALLOWED_IPS=[]):
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


# --- two app nodes -----------------------------------------------------------------------------------


def _database_env(tmp_path) -> dict:
    """The test database for the servers: the PostgreSQL test database itself, or a file copy of the
    in-memory SQLite one."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host = db.get("HOST") or "127.0.0.1"
        return {
            "DATABASE_URL": f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
        }
    path = tmp_path / "nodes.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return {"DATABASE_URL": f"sqlite:///{path}"}


def _start_node(port: int, env: dict) -> subprocess.Popen:
    node_env = {
        **os.environ,
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "LIANXIN_BIND": f"127.0.0.1:{port}",
        "LIANXIN_WORKERS": "1",
        "LIANXIN_THREADS": "2",
    }
    node_env.pop("LIANXIN_TEST_DB_NAME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"],
        cwd=ROOT,
        env=node_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"node on {port} exited: {process.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"node on {port} did not answer /healthz within 60 s")


STORES = ["db"] + (["redis"] if _redis_answers() else [])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("store", STORES)
def test_two_app_nodes_serve_one_journey(browser, city, tmp_path, store):  # noqa: F811
    worker = make_user("node-worker", Role.GRID_WORKER, city.happy_grid, display_name="网格员小周")
    boss = make_user("node-boss", Role.COMMUNITY_SECRETARY, city.happy)
    todo = todo_create(actor=boss, assignee=worker, place=city.happy_grid, title="两台服务器的待办", days=3)
    env = _database_env(tmp_path)
    if store == "redis":
        env |= {"LIANXIN_CACHE_URL": "redis://127.0.0.1:6379/14", "LIANXIN_SESSION_STORE": "cache"}
    ports = free_port(), free_port()
    nodes = [_start_node(port, env) for port in ports]
    try:
        for port, node in zip(ports, nodes, strict=True):
            _wait_ready(port, node)
        a, b = (f"http://127.0.0.1:{port}" for port in ports)
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(browser_helpers.TIMEOUT_MS)
        page = context.new_page()
        # Log in on node A …
        page.goto(f"{a}/login/")
        page.fill("#id_username", "node-worker")
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.url == f"{a}/" and page.locator(".who").count() == 1
        # … carry on on node B with the same session cookie: finish the to-do there.
        page.goto(f"{b}/todos/")
        assert page.locator(".who").count() == 1, "node B did not know the session"
        row = page.locator("tr", has_text="两台服务器的待办")
        with page.expect_navigation():
            row.locator("button[type=submit]").click()
        assert page.url.startswith(f"{b}/todos/")
        browser_helpers.screenshot(page, f"scaleout-node-b-{store}")
        # Node A sees what node B wrote, and logging out on B ends the session on A too.
        page.goto(f"{a}/todos/?show=closed")
        assert page.locator("tr", has_text="两台服务器的待办").count() == 1
        page.goto(f"{b}/")
        with page.expect_navigation():
            page.click(".who form button[type=submit]")
        page.goto(f"{a}/todos/")
        assert "/login/" in page.url
        context.close()
    finally:
        for node in nodes:
            node.terminate()
        for node in nodes:
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.kill()
    if connection.vendor == "postgresql":  # (a SQLite run served a file copy of the database)
        todo.refresh_from_db()
        assert todo.status == "done"


def test_use_replica_as_a_decorator_is_safe_in_threads(db):
    """Each call of a decorated function opens its own scope (the decorator is shared)."""
    import threading

    from lianxin.core import replicas

    started, results = threading.Barrier(2), []

    @replicas.use_replica()
    def report():
        started.wait(timeout=10)
        replicas.note_write()  # this call's write pins only this call
        results.append(replicas._scope.get().wrote)

    errors = []

    def run():
        try:
            report()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not errors and results == [True, True]
    assert replicas._scope.get() is None
