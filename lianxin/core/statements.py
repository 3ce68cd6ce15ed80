"""SELECT statements compiled once per database connection and reused (issue 11).

Django builds a queryset and compiles it to SQL on every call. For the reads every API request makes
(the token's user, the actor's roles) and for the requests list — a 45-column SELECT over six joins —
building and compiling was most of the request's time, far more than running the SQL. ``rows`` builds
and compiles a queryset once per connection and *key*, then only executes the kept SQL.

The contract, for callers:

- ``key`` names everything that shapes the queryset apart from the hole values: two calls with equal
  keys must build the same SQL and parameters. Put the inputs in it (the actor's scope paths, the
  filters' values, the page size), not the objects they came from.
- The values that vary call to call (a user id, a token, a keyset cursor) are *holes*: ``build``
  receives placeholders (ints or strings, following the values' types) and must pass each one
  unchanged into an exact or comparison lookup, so that it shows up exactly once among the compiled
  parameters, where the call's value then takes its place. Compiling raises otherwise.
- With ``settings.LIANXIN_STATEMENTS_VERIFY`` (the test settings) every cached use also builds and
  compiles again and raises if the SQL or parameters differ: a key that misses an input fails tests.

Rows come back as tuples, converted by the same database converters Django applies (dates on SQLite,
for example). ``instances`` turns a plain model queryset's rows into model instances (``from_db``).
``Prepared`` wraps a values() queryset for DRF's pagination (order_by, a comparison filter, slicing);
its rows are named tuples, as ``values_list(named=True)`` gives.
"""

import dataclasses
import itertools
import re
from collections import OrderedDict, namedtuple
from dataclasses import dataclass
from functools import cache, partial

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, router

CACHE_SIZE = 256  # statements per connection; the oldest unused goes first
_INT_HOLES = tuple(2_013_265_921 + i for i in range(8))  # within 32-bit range: no overflow shortcut
_STR_HOLES = tuple(f"\x1fhole{i}\x1f" for i in range(8))
_PLACEHOLDER = re.compile(r"%([s%])")  # Django's placeholders; %% is a percent sign


class StatementError(Exception):
    """A queryset that cannot be kept as a statement, or a key that does not determine its SQL."""


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: tuple
    slots: tuple[tuple[int, ...], ...]  # where each hole sits in params (several places in a union)
    names: tuple[str, ...]  # the columns' names (values() names, or model attribute names)
    converters: tuple  # (column index, functions, expression)
    # The SQL with $1, $2, … for the placeholders, encoded (_kept_cursor: a raw cursor sends it as it is).
    numbered: bytes = dataclasses.field(init=False, repr=False, compare=False)
    # The SQL with ? for the placeholders, as SQLite takes it (_run_sqlite).
    qmarked: str = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self):
        count = itertools.count(1)
        numbered = _PLACEHOLDER.sub(lambda m: f"${next(count)}" if m[1] == "s" else "%", self.sql)
        if next(count) != len(self.params) + 1:
            raise StatementError(f"{len(self.params)} parameters for the placeholders of {self.sql}")
        object.__setattr__(self, "numbered", numbered.encode())  # Django's connections are UTF-8
        object.__setattr__(self, "qmarked", _PLACEHOLDER.sub(lambda m: "?" if m[1] == "s" else "%", self.sql))

    @classmethod
    def compile(cls, queryset, holes: tuple) -> "Statement":
        query = queryset.query
        compiler = query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. an empty IN list: no rows, as the queryset gives (the key names it)
            return cls("", (), (), (), ())
        params = tuple(params)
        slots = []
        for hole in holes:
            found = [i for i, p in enumerate(params) if p == hole and type(p) is type(hole)]
            if len(found) != 1:
                raise StatementError(f"hole {hole!r} appears {len(found)} times among the parameters")
            slots.append((found[0],))
        if query.selected:  # values()/values_list(): the names in the order asked, as ValuesIterable
            names = tuple(query.selected)
        elif query.values_select or query.annotation_select or query.extra_select:
            names = (*query.extra_select, *query.values_select, *query.annotation_select)
        else:
            if compiler.klass_info and compiler.klass_info.get("related_klass_infos"):
                raise StatementError("select_related is not supported; use values()")
            names = tuple(s[0].target.attname for s in compiler.select[: compiler.col_count])
        if len(names) != compiler.col_count:
            raise StatementError(f"{len(names)} names for {compiler.col_count} columns")
        expressions = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = tuple(
            (i, tuple(functions), expression)
            for i, (functions, expression) in compiler.get_converters(expressions).items()
        )
        return cls(sql, params, tuple(slots), names, converters)

    @classmethod
    def union(cls, parts: list["Statement"], order: tuple[str, ...], low: int, high: int | None, connection):
        """The rows of disjoint ``parts`` (statements with the same columns, each already ordered and
        cut at ``high``) as one statement: ``SELECT * FROM (part) UNION ALL …`` ordered again by
        ``order`` (values() names, "-" for descending) and cut to ``low:high``. Uncut, the order may be
        empty: the parts' rows as they come, each part read by its own plan (an ORDER BY over the
        union can make SQLite merge the parts by walking the whole table in that order)."""
        parts = [part for part in parts if part.sql]  # an empty IN list, say: no rows from that part
        if not parts:
            return cls("", (), (), (), ())
        first = parts[0]
        if any(part.names != first.names for part in parts):
            raise StatementError("the parts of a union select different columns")
        terms = []
        for field in order:
            name = field.lstrip("-")
            if name not in first.names:
                raise StatementError(f"a union is ordered by its selected columns, not {name}")
            terms.append(f"{first.names.index(name) + 1} {'DESC' if field.startswith('-') else 'ASC'}")
        if not terms and (low or high is not None):
            raise StatementError("a union cut to a page needs an order")
        sql = " UNION ALL ".join(f"SELECT * FROM ({part.sql}) AS part{i}" for i, part in enumerate(parts))
        if terms:
            sql = f"{sql} ORDER BY {', '.join(terms)} {connection.ops.limit_offset_sql(low, high)}".rstrip()
        params, slots = [], [()] * len(first.slots)
        for part in parts:
            slots = [
                (*mine, *(slot + len(params) for slot in theirs))
                for mine, theirs in zip(slots, part.slots, strict=True)
            ]
            params.extend(part.params)
        return cls(sql, tuple(params), tuple(slots), first.names, first.converters)

    def shape(self) -> tuple:
        return (self.sql, self.params, self.slots, self.names)

    def execute(self, connection, values) -> list:
        if not self.sql:
            return []
        params = list(self.params)
        for slots, value in zip(self.slots, values, strict=True):
            for slot in slots:
                params[slot] = value
        if _server_binding(connection):
            cursor = _kept_cursor(connection)
            cursor.execute(self.numbered, params)
            rows = cursor.fetchall()
        elif connection.vendor == "sqlite" and not (connection.queries_logged or connection.execute_wrappers):
            rows = _run_sqlite(connection, self.qmarked, params)
        else:
            with connection.cursor() as cursor:
                cursor.execute(self.sql, params)
                rows = cursor.fetchall()
        if self.converters and rows:
            converted = []
            for row in rows:
                row = list(row)
                for i, functions, expression in self.converters:
                    value = row[i]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[i] = value
                converted.append(tuple(row))
            rows = converted
        return rows


def _prepared(connection) -> bool:
    """PostgreSQL, LIANXIN_DB_PREPARED on, and persistent connections: with CONN_MAX_AGE 0 (the
    setting behind a transaction pooler) a statement would be prepared for a single use."""
    return (
        connection.vendor == "postgresql"
        and getattr(settings, "LIANXIN_DB_PREPARED", True)
        and connection.settings_dict.get("CONN_MAX_AGE") != 0
    )


def plan_once(sender, connection, **kwargs) -> None:
    """On a new PostgreSQL connection (``connection_created``, before any transaction, so the SET
    lasts for the session): prepared statements are planned once, generically. Only kept statements
    and hand-written hot SQL are prepared (``_kept_cursor``, ``prepared_cursor``); Django's own
    cursors bind on the client and are planned with their values, as before, so this changes nothing
    else."""
    if _prepared(connection):
        connection.connection.prepare_threshold = 0  # server-binding cursors prepare on first run
        connection.connection.prepared_max = CACHE_SIZE  # psycopg's own cache as large as ours
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan")


def _server_binding(connection) -> bool:
    """Whether statements run on server-binding cursors: ``_prepared``, and queries not being logged
    (DEBUG, CaptureQueriesContext): Django's own cursor logs the SQL with its values, which a
    server-bound cursor's query text does not show."""
    return _prepared(connection) and not connection.queries_logged


def prepared_cursor(connection):
    """A cursor for hand-written SQL on a hot path whose text is the same call to call (values as
    parameters), such as the ballot's. On PostgreSQL (unless LIANXIN_DB_PREPARED is off) it binds on
    the server, so psycopg prepares each statement on its first run on the connection and later runs
    skip planning, as kept statements do (the requests list's: 0.5 ms a run instead of 1.7, most of it
    the planning of the six-way join). Elsewhere it is Django's cursor, which binds on the client."""
    if not _server_binding(connection):
        return connection.cursor()
    from django.db.backends.postgresql import base

    return connection.make_cursor(_server_cursor(connection, base.ServerBindingCursor))


def _kept_cursor(connection):
    """The cursor kept statements run on: one per database connection, reused (creating a cursor for
    each of the two statements of an API list page was measurable), and raw — it takes the SQL with
    PostgreSQL's numbered placeholders (``Statement.numbered``): psycopg re-parses the %s placeholders
    of a text longer than 4 KB on every run (the requests list's union is 6 KB). Wrapped in Django's
    cursor wrapper, so database errors and execute wrappers are Django's as for any query."""
    import psycopg

    _connected(connection)
    kept = connection.__dict__.get("lianxin_cursor")
    if kept is None or kept[0] is not connection.connection or kept[1] != connection.timezone:
        cursor = _in_time_zone(connection, psycopg.RawCursor(connection.connection))
        kept = connection.__dict__["lianxin_cursor"] = (connection.connection, connection.timezone, cursor)
    return connection.make_cursor(kept[2])


def _run_sqlite(connection, sql: str, params: list) -> list:
    """``sql``'s rows on SQLite, its placeholders already ``?``. Django's SQLite cursor turns ``%s`` into
    ``?`` with a regular expression on every run (over the requests list's 6 KB union, about 60 us);
    otherwise it is a plain sqlite3 cursor, so this runs the same query the same way, with Django's
    checks and its database errors. Only where nobody watches the queries (logged queries, execute
    wrappers): those go through Django's cursor."""
    _connected(connection)
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()


def _server_cursor(connection, cursor_class):
    _connected(connection)
    return _in_time_zone(connection, cursor_class(connection.connection))


def _connected(connection) -> None:
    """What Django's own cursor() does first: the health check, the connection, the thread check."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()


def _in_time_zone(connection, cursor):
    """The connection's time zone on the cursor. Django loads timestamptz through a subclass of
    psycopg's Python loader that then replaces the zone (``register_tzloader``); psycopg's own loader
    is written in C and already gives times in the session's zone, which Django sets to the
    connection's (UTC with USE_TZ) — where the two agree, the cursor takes psycopg's loader (the token
    statement's two times were 1–2 % of the requests list's page). Elsewhere, Django's (as
    ``create_cursor`` does)."""
    import psycopg
    from django.db.backends.postgresql import base

    if connection.timezone is not None and (
        connection.connection.info.parameter_status("TimeZone") == connection.timezone_name
    ):
        loader = psycopg.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
        cursor.adapters.register_loader(base.TIMESTAMPTZ_OID, loader)
        return cursor
    loader = connection.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
    if connection.timezone != loader.timezone:
        base.register_tzloader(connection.timezone, cursor)
    return cursor


def _holes(values) -> tuple:
    if len(values) > len(_INT_HOLES):
        raise StatementError(f"at most {len(_INT_HOLES)} holes, not {len(values)}")
    ints, strs = iter(_INT_HOLES), iter(_STR_HOLES)
    holes = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise StatementError(f"a hole takes an int or a str, not {type(value).__name__}")
        holes.append(next(ints) if isinstance(value, int) else next(strs))
    return tuple(holes)


def statement(key, model, build, holes: tuple) -> tuple:
    """(connection, Statement) for ``key``: from the connection's cache, or built and compiled now."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    cache = connection.__dict__.setdefault("lianxin_statements", OrderedDict())
    kept = cache.get(key)
    if kept is None or getattr(settings, "LIANXIN_STATEMENTS_VERIFY", False):
        built = build(*holes)
        if isinstance(built, Union):
            compiled = built.compile(connection, holes)
        else:
            compiled = Statement.compile(built.using(alias), holes)
        if kept is not None and kept.shape() != compiled.shape():
            raise StatementError(f"the key {key!r} does not determine its statement:\n{kept}\n{compiled}")
        kept = cache[key] = compiled
    cache.move_to_end(key)
    if len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return connection, kept


def rows(key, model, build, *values) -> list[tuple]:
    """The rows of ``build(*holes)`` with ``values`` in the holes, compiled once per connection and key."""
    connection, kept = statement(key, model, build, _holes(values))
    return kept.execute(connection, values)


def instances(key, model, build, *values) -> list:
    """``rows`` of a plain queryset of ``model`` (no values(), no select_related) as model instances."""
    connection, kept = statement(key, model, build, _holes(values))
    alias = connection.alias
    return [model.from_db(alias, kept.names, row) for row in kept.execute(connection, values)]


@dataclass(frozen=True)
class Union:
    """Disjoint values() querysets with the same columns read as one statement (``Statement.union``):
    each is ordered and cut on its own — so each can walk its own index and stop at the page — and
    the union is ordered and cut again; with no order and no cut, their rows as they come."""

    sides: tuple
    order: tuple[str, ...]
    low: int
    high: int | None

    def compile(self, connection, holes: tuple) -> Statement:
        parts = [Statement.compile(side.using(connection.alias), holes) for side in self.sides]
        return Statement.union(parts, self.order, self.low, self.high, connection)


class Prepared:
    """A values() queryset kept as a statement, for DRF's pagination: ``order_by``, one comparison
    ``filter`` on a column of the model (its value becomes a hole), slicing with constant bounds, and
    iteration (named tuples, as values_list(named=True) gives: DRF's cursor reads the ordering column
    as an attribute). ``key`` as for ``rows``; the steps are added to it.

    ``build`` may return a list of disjoint querysets instead of one (the rows are their union): every
    step applies to each, a slice ``[low:high]`` cuts each at ``high`` and the union at ``low:high``,
    in the order of the last ``order_by`` (columns that are selected)."""

    LOOKUPS = ("exact", "lt", "lte", "gt", "gte")

    def __init__(self, key, model, build, steps=(), values=()):
        self.key, self.model, self.build = key, model, build
        self.steps, self.values = steps, values

    def _then(self, step, values=()) -> "Prepared":
        return Prepared(self.key, self.model, self.build, (*self.steps, step), (*self.values, *values))

    def order_by(self, *fields) -> "Prepared":
        return self._then(("order_by", tuple(fields)))

    def filter(self, **lookups) -> "Prepared":
        names = tuple(sorted(lookups))
        values = []
        for name in names:
            column, _, lookup = name.rpartition("__")
            if lookup not in self.LOOKUPS or "__" in column:
                raise StatementError(f"Prepared.filter takes a comparison on a column, not {name}")
            field = self.model._meta.get_field(column)
            try:
                value = field.to_python(lookups[name])
            except ValidationError as error:  # as a queryset's filter() would: a ValueError
                raise ValueError(f"{name}: {error.messages[0]}") from None
            if isinstance(value, int) and not -(2**63) <= value < 2**63:
                raise ValueError(f"{name}: {value} is out of range")  # the driver would overflow
            values.append(value)
        return self._then(("filter", names), values)

    def __getitem__(self, bounds) -> "Prepared":
        if not isinstance(bounds, slice) or bounds.step is not None:
            raise StatementError("Prepared takes slices only")
        return self._then(("slice", bounds.start, bounds.stop))

    def _queryset(self, *holes):
        built, holes = self.build(), iter(holes)
        if not isinstance(built, list | tuple):
            built = [built]
        sides, order, cut = list(built), (), None
        for step in self.steps:
            if step[0] == "order_by":
                order = step[1]
                sides = [side.order_by(*order) for side in sides]
            elif step[0] == "filter":
                lookups = {name: next(holes) for name in step[1]}
                sides = [side.filter(**lookups) for side in sides]
            elif len(sides) == 1:
                sides = [sides[0][step[1] : step[2]]]
            elif cut is not None:
                raise StatementError("a union is sliced once")
            else:
                cut = (step[1] or 0, step[2])
                sides = [side[: step[2]] for side in sides]
        if len(sides) == 1:
            return sides[0]
        low, high = cut or (0, None)
        return Union(tuple(sides), order, low, high)

    def __iter__(self):
        connection, kept = statement(
            (*self.key, *self.steps), self.model, self._queryset, _holes(self.values)
        )
        # tuple.__new__ makes each named tuple in C (``_make`` is a Python call per row); a
        # statement's rows always have its names' length.
        make = partial(tuple.__new__, _row_type(kept.names))
        return iter(list(map(make, kept.execute(connection, self.values))))


@cache
def _row_type(names: tuple[str, ...]):
    return namedtuple("Row", names)
