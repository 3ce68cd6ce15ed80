"""Reads from PostgreSQL streaming replicas, where a view opts in (issue 13; docs/operations.md).

Writes always go to the primary (``default``). A read goes to a replica only when all of these hold:

- the code runs inside ``use_replica()`` (a context manager and decorator), or the request's URL name
  is listed in ``LIANXIN_REPLICA_READ_URLS`` (dashboards, reports, exports: ReplicaRoutingMiddleware);
- nothing was written in this request or block, and this browser wrote nothing in the last
  ``LIANXIN_REPLICA_PIN_SECONDS`` (read-after-write: a cookie carries the time until which it reads
  from the primary);
- the primary connection is not inside a transaction (a transaction reads what it wrote);
- the replica answers and is at most ``LIANXIN_REPLICA_MAX_LAG_SECONDS`` behind (the lag guard,
  checked at most once a second per process).

Otherwise the primary answers. With no replica configured (``LIANXIN_REPLICA_URLS`` unset) every
query goes to ``default``, as before.
"""

import contextvars
import time
from contextlib import ContextDecorator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

PRIMARY_ALIAS = "default"
REPLICA_PREFIX = "replica_"
PIN_COOKIE = "lx_primary_until"
LAG_CHECK_SECONDS = 1.0


@dataclass
class _Scope:
    """One request (or one ``use_replica`` block outside a request)."""

    replica: bool = False
    wrote: bool = False
    pinned: bool = False


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("lianxin_db_scope", default=None)
# alias → (monotonic time checked, lag in seconds or None when unusable)
_lag_cache: dict[str, tuple[float, float | None]] = {}


def replica_aliases() -> list[str]:
    return sorted(alias for alias in connections.settings if alias.startswith(REPLICA_PREFIX))


class use_replica(ContextDecorator):
    """Read from a replica inside this block or function (when one is fit to answer)."""

    def _recreate_cm(self):
        # As a decorator, each call gets its own instance: concurrent calls must not share tokens.
        return self.__class__()

    def __enter__(self):
        current = _scope.get()
        scope = _Scope(replica=True)
        if current is not None:
            scope.wrote, scope.pinned = current.wrote, current.pinned
        self._outer = current
        self._token = _scope.set(scope)
        return self

    def __exit__(self, *exc):
        scope = _scope.get()
        _scope.reset(self._token)
        if self._outer is not None and scope is not None and scope.wrote:
            self._outer.wrote = True
        return False


def note_write() -> None:
    """Called by the router for every write: later reads in this scope go to the primary."""
    scope = _scope.get()
    if scope is not None:
        scope.wrote = True


def read_alias() -> str:
    scope = _scope.get()
    if scope is None or not scope.replica or scope.wrote or scope.pinned:
        return PRIMARY_ALIAS
    if connections[PRIMARY_ALIAS].in_atomic_block:
        return PRIMARY_ALIAS
    limit = float(getattr(settings, "LIANXIN_REPLICA_MAX_LAG_SECONDS", 5))
    for alias in replica_aliases():
        lag = replica_lag(alias)
        if lag is not None and lag <= limit:
            return alias
    return PRIMARY_ALIAS


def _lsn(text: str | None) -> int | None:
    if not text:
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def measure_lag(alias: str) -> float | None:
    """Seconds the replica is behind the primary: 0 when it has replayed everything the primary had
    written when asked, else the time since it last replayed a transaction; None when it cannot be
    used (unreachable, or not in recovery: a promoted or misconfigured server is no replica)."""
    try:
        with connections[PRIMARY_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            primary_lsn = _lsn(cursor.fetchone()[0])
        replica = connections[alias]
        with replica.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
            )
            in_recovery, replay, since_replay = cursor.fetchone()
    except DatabaseError:
        connections[alias].close()
        return None
    if not in_recovery:
        return None
    replayed = _lsn(replay)
    if replayed is not None and primary_lsn is not None and replayed >= primary_lsn:
        return 0.0
    return float(since_replay) if since_replay is not None else None


def replica_lag(alias: str) -> float | None:
    now = time.monotonic()
    cached = _lag_cache.get(alias)
    if cached is not None and now - cached[0] < LAG_CHECK_SECONDS:
        return cached[1]
    lag = measure_lag(alias)
    _lag_cache[alias] = (now, lag)
    return lag


def forget_lag() -> None:
    _lag_cache.clear()


class ReplicaRoutingMiddleware:
    """Opens the request's routing scope; turns replica reads on for the URL names in
    ``LIANXIN_REPLICA_READ_URLS``; after a write, pins this browser to the primary for a while."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            pinned = float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
        except ValueError:
            pinned = False
        scope = _Scope(pinned=pinned)
        token = _scope.set(scope)
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        if scope.wrote and replica_aliases():
            seconds = int(getattr(settings, "LIANXIN_REPLICA_PIN_SECONDS", 10))
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.3f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        names = set(getattr(settings, "LIANXIN_REPLICA_READ_URLS", ()))
        scope = _scope.get()
        if scope is not None and match is not None and ({match.view_name, match.url_name} & names):
            scope.replica = True
        return None
