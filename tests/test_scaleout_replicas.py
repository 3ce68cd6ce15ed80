"""Read replicas (issue 13): the router against a real primary and streaming replica on loopback.

The cluster (tests/pg_cluster.py) is two PostgreSQL servers of their own, next to the test database:
the tests register them as two extra connections, make the first the router's primary and create
one table there (the calendar's days), which reaches the replica by streaming replication.
"""

import time

import dj_database_url
import pytest
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import resolve

from lianxin.core import dbrouter, replicas
from lianxin.core.models import CalendarDay
from tests.pg_cluster import free_port, pg_cluster  # noqa: F401  (the fixture)

PRIMARY, REPLICA = "lxc_primary", "replica_lxc"


def _add_alias(alias: str, url: str) -> None:
    config = dj_database_url.parse(url)
    config.setdefault("OPTIONS", {})["connect_timeout"] = 2
    configured = connections.configure_settings({"default": connections.settings["default"], alias: config})
    connections.settings[alias] = configured[alias]


def _drop_alias(alias: str) -> None:
    if alias in connections.settings:
        connections[alias].close()
        del connections.settings[alias]
        try:
            delattr(connections._connections, alias)
        except AttributeError:
            pass


@pytest.fixture(scope="module")
def cluster(pg_cluster, django_db_blocker):  # noqa: F811
    with django_db_blocker.unblock():
        _add_alias(PRIMARY, pg_cluster.primary_url)
        _add_alias(REPLICA, pg_cluster.replica_url)
        saved = replicas.PRIMARY_ALIAS
        replicas.PRIMARY_ALIAS = PRIMARY
        with connections[PRIMARY].schema_editor() as editor:
            editor.create_model(CalendarDay)
        try:
            yield pg_cluster
        finally:
            replicas.PRIMARY_ALIAS = saved
            replicas.forget_lag()
            _drop_alias(PRIMARY)
            _drop_alias(REPLICA)


@pytest.fixture
def routed(cluster, django_db_blocker):
    replicas.forget_lag()
    with django_db_blocker.unblock():
        yield cluster
        CalendarDay.objects.all().delete()
        _wait_caught_up()


def _wait_caught_up():
    deadline = time.monotonic() + 20
    while replicas.measure_lag(REPLICA) != 0.0:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)
    replicas.forget_lag()


def _server_is_replica(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]


def _day(date="2031-10-01", name="国庆节"):
    return CalendarDay.objects.create(date=date, kind="holiday", name=name)


def test_writes_go_to_the_primary_and_opted_in_reads_to_the_replica(routed):
    _day()
    assert CalendarDay.objects.all().db == PRIMARY  # not opted in: the primary answers
    _wait_caught_up()
    with replicas.use_replica():
        query = CalendarDay.objects.all()
        assert query.db == REPLICA
        assert [d.name for d in query] == ["国庆节"]  # streamed from the primary
    assert _server_is_replica(REPLICA) and not _server_is_replica(PRIMARY)


def test_the_decorator_reads_from_the_replica(routed):
    _day()
    _wait_caught_up()

    @replicas.use_replica()
    def dashboard():
        query = CalendarDay.objects.filter(kind="holiday")
        return query.db, query.count()

    assert dashboard() == (REPLICA, 1)


def test_after_a_write_the_same_block_reads_from_the_primary(routed):
    with replicas.use_replica():
        assert CalendarDay.objects.all().db == REPLICA
        _day()
        # Read-after-write: the row must be seen even before the replica has it.
        assert CalendarDay.objects.all().db == PRIMARY
        assert CalendarDay.objects.filter(name="国庆节").exists()


def test_a_transaction_on_the_primary_reads_the_primary(routed):
    from django.db import transaction

    with replicas.use_replica(), transaction.atomic(using=PRIMARY):
        assert CalendarDay.objects.all().db == PRIMARY


def test_a_lagging_replica_is_not_read_from(routed):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        time.sleep(1.2)
        _day(name="暂停后写入")
        replicas.forget_lag()
        lag = replicas.replica_lag(REPLICA)
        assert lag is not None and lag >= 1.0
        with override_settings(LIANXIN_REPLICA_MAX_LAG_SECONDS=0.5), replicas.use_replica():
            query = CalendarDay.objects.filter(name="暂停后写入")
            assert query.db == PRIMARY and query.exists()
        with override_settings(LIANXIN_REPLICA_MAX_LAG_SECONDS=3600), replicas.use_replica():
            # A generous limit accepts the stale replica: it does not have the row yet.
            replicas.forget_lag()
            query = CalendarDay.objects.filter(name="暂停后写入")
            assert query.db == REPLICA and not query.exists()
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    _wait_caught_up()
    with replicas.use_replica():
        query = CalendarDay.objects.filter(name="暂停后写入")
        assert query.db == REPLICA and query.exists()


def test_an_unreachable_replica_is_skipped(routed):
    _add_alias("replica_0_dead", f"postgres://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        replicas.forget_lag()
        assert replicas.replica_aliases() == ["replica_0_dead", REPLICA]  # the dead one is asked first
        assert replicas.replica_lag("replica_0_dead") is None
        with replicas.use_replica():
            assert CalendarDay.objects.all().db == REPLICA  # the live one answers
    finally:
        _drop_alias("replica_0_dead")


@override_settings(LIANXIN_REPLICA_READ_URLS=["request_dashboard"], LIANXIN_REPLICA_PIN_SECONDS=30)
def test_the_middleware_routes_listed_pages_and_pins_a_writer_to_the_primary(routed):
    _wait_caught_up()
    seen = []

    def page(write):
        def get_response(request):
            request.resolver_match = resolve(request.path)
            middleware.process_view(request, None, (), {})
            if write:
                _day(name="写")
            seen.append(CalendarDay.objects.all().db)
            return HttpResponse("ok")

        return get_response

    factory = RequestFactory()
    middleware = replicas.ReplicaRoutingMiddleware(page(write=False))
    middleware(factory.get("/requests/dashboard/"))
    middleware(factory.get("/todos/"))  # not a listed page
    assert seen == [REPLICA, PRIMARY]

    middleware = replicas.ReplicaRoutingMiddleware(page(write=True))
    response = middleware(factory.post("/requests/dashboard/"))
    cookie = response.cookies[replicas.PIN_COOKIE]
    assert cookie["httponly"] and int(cookie["max-age"]) == 30
    assert seen[-1] == PRIMARY  # read after its own write

    seen.clear()
    middleware = replicas.ReplicaRoutingMiddleware(page(write=False))
    pinned = factory.get("/requests/dashboard/")
    pinned.COOKIES[replicas.PIN_COOKIE] = cookie.value
    response = middleware(pinned)
    assert replicas.PIN_COOKIE not in response.cookies
    assert seen == [PRIMARY]  # the same browser reads its write from the primary for a while


def test_the_router_never_migrates_a_replica():
    router = dbrouter.PrimaryReplicaRouter()
    assert router.allow_migrate("replica_1", "core") is False
    assert router.allow_migrate("default", "core") is None
