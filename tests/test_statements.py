"""Kept SQL statements (lianxin.core.statements): the same rows as the querysets they were compiled
from, one compile per key and connection, and loud failures for keys or holes that cannot work."""

import datetime as dt

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lianxin.accounts.models import RoleAssignment, User
from lianxin.core import statements
from lianxin.core.access import Role
from lianxin.core.statements import Prepared, Statement, StatementError, Union

from .conftest import city_per_module, make_user

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


@pytest.fixture
def fresh_cache():
    from django.db import connections

    connections["default"].__dict__.pop("lianxin_statements", None)
    yield
    connections["default"].__dict__.pop("lianxin_statements", None)


def _roles(user_id):
    return RoleAssignment.objects.filter(user_id=user_id, ended_at__isnull=True).values_list(
        "role", "place__path", "place_id"
    )


def test_rows_equal_the_querysets_for_each_value_in_the_hole(city, fresh_cache):
    staff = make_user("s1", Role.STAFF, city.happy)
    officer = make_user("o1", Role.SUBDISTRICT_OFFICER, city.east)

    for user in (staff, officer, staff):
        kept = statements.rows(("test.roles",), RoleAssignment, _roles, user.pk)
        assert sorted(kept) == sorted(_roles(user.pk))
    assert sorted(statements.rows(("test.roles",), RoleAssignment, _roles, staff.pk)) == [
        (Role.STAFF, city.happy.path, city.happy.pk)
    ]


def test_a_kept_statement_is_compiled_once_and_run_as_one_query(city, fresh_cache, monkeypatch):
    staff = make_user("s1", Role.STAFF, city.happy)
    compiled = []
    original = Statement.compile.__func__
    monkeypatch.setattr(
        Statement, "compile", classmethod(lambda cls, *a: compiled.append(1) or original(cls, *a))
    )

    with override_settings(LIANXIN_STATEMENTS_VERIFY=False):
        statements.rows(("test.roles",), RoleAssignment, _roles, staff.pk)
        with CaptureQueriesContext(connection) as queries:
            again = statements.rows(("test.roles",), RoleAssignment, _roles, staff.pk)

    assert len(compiled) == 1
    assert len(queries.captured_queries) == 1 and again == [(Role.STAFF, city.happy.path, city.happy.pk)]


def test_a_key_that_misses_an_input_fails_under_verification(city, fresh_cache):
    staff = make_user("s1", Role.STAFF, city.happy)
    statements.rows(("test.roles",), RoleAssignment, _roles, staff.pk)

    def other_build(user_id):  # the same key, but a different query: the key left an input out
        return _roles(user_id).filter(role=Role.STAFF)

    with pytest.raises(StatementError, match="does not determine"):
        statements.rows(("test.roles",), RoleAssignment, other_build, staff.pk)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda uid: RoleAssignment.objects.filter(user_id=uid, place_id=uid).values_list("role"), "2 times"),
        (lambda name: User.objects.filter(username__contains=name).values_list("id"), "0 times"),
    ],
    ids=["hole used twice", "hole transformed by the lookup"],
)
def test_holes_must_appear_exactly_once_unchanged(db, fresh_cache, build, message):
    value = 5 if "uid" in build.__code__.co_varnames else "abc"
    with pytest.raises(StatementError, match=message):
        statements.rows(("test.bad", message), RoleAssignment, build, value)


def test_holes_take_ints_and_strings_only(db, fresh_cache):
    with pytest.raises(StatementError, match="int or a str"):
        statements.rows(
            ("test.bool",), User, lambda v: User.objects.filter(is_active=v).values_list("id"), True
        )
    with pytest.raises(StatementError, match="at most 8 holes"):
        statements.rows(("test.many",), User, lambda *v: User.objects.values_list("id"), *range(9))


def test_instances_are_model_instances_with_converted_values(city, fresh_cache):
    user = make_user("s1", Role.STAFF, city.happy)
    User.objects.filter(pk=user.pk).update(last_login=dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC))

    (found,) = statements.instances(
        ("test.user",), User, lambda name: User.objects.filter(username=name), "s1"
    )

    assert isinstance(found, User) and found.pk == user.pk and found.username == "s1"
    assert found.last_login == dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    assert found._state.adding is False and found._state.db == "default"
    assert (
        statements.instances(("test.user",), User, lambda name: User.objects.filter(username=name), "x") == []
    )


def test_select_related_cannot_be_kept(db, fresh_cache):
    with pytest.raises(StatementError, match="select_related"):
        statements.instances(
            ("test.related",), Token, lambda key: Token.objects.select_related("user").filter(key=key), "k"
        )


def _dicts(rows) -> list[dict]:
    return [row._asdict() for row in rows]


def test_prepared_pages_equal_the_querysets(city, fresh_cache):
    users = [make_user(f"u{i}", Role.STAFF, city.happy) for i in range(7)]
    build = lambda: User.objects.filter(username__startswith="u").values("id", "username")  # noqa: E731
    prepared = Prepared(("test.users",), User, build)

    first = list(prepared.order_by("-id")[0:3])
    after = list(prepared.order_by("-id").filter(id__lt=str(first[-1].id))[0:3])  # a cursor: text
    first, after = _dicts(first), _dicts(after)  # named tuples, as values_list(named=True)

    expected = list(build().order_by("-id"))
    assert first == expected[:3] and after == expected[3:6]
    assert [row["username"] for row in expected] == [u.username for u in reversed(users)]
    with pytest.raises(ValueError, match="id__lt"):
        list(prepared.filter(id__lt="not-a-number"))
    with pytest.raises(StatementError, match="comparison"):
        prepared.filter(username__contains="u")


def test_a_union_of_disjoint_sides_pages_as_the_whole_queryset(city, fresh_cache):
    """``build`` returning disjoint querysets: every step applies to each side, and the union is
    ordered and cut again — the same pages, both ways and with offsets, as the one queryset."""
    for i in range(9):
        make_user(f"{'ab'[i % 2]}{i}", Role.STAFF, city.happy)
    every = lambda: User.objects.filter(username__regex=r"^[ab][0-9]$").values("username", "id")  # noqa: E731
    sides = lambda: [every().filter(username__startswith=side) for side in "ab"]  # noqa: E731
    prepared = Prepared(("test.union",), User, sides)
    expected = list(every().order_by("-id"))
    middle = expected[3]["id"]

    assert _dicts(prepared.order_by("-id")[0:4]) == expected[:4]
    assert _dicts(prepared.order_by("-id").filter(id__lt=str(middle))[0:3]) == expected[4:7]
    assert _dicts(prepared.order_by("id").filter(id__gt=middle)[1:3]) == expected[:3][::-1][1:3]
    assert _dicts(prepared.order_by("-username")[2:]) == list(every().order_by("-username"))[2:]
    with CaptureQueriesContext(connection) as queries:
        list(prepared.order_by("-id").filter(id__lt=middle)[0:3])
    assert len(queries.captured_queries) == 1 and "UNION ALL" in queries.captured_queries[0]["sql"]
    # A side that can match nothing (an empty IN list) is left out; none at all is no rows.
    none = Prepared(("test.union.none",), User, lambda: [every().filter(pk__in=[]), every()])
    assert _dicts(none.order_by("id")[0:2]) == list(every().order_by("id")[0:2])
    assert list(Prepared(("test.union.empty",), User, lambda: [])[0:2]) == []


def test_an_uncut_union_needs_no_order_and_gives_every_row_of_its_sides(city, fresh_cache):
    """With no order and no cut the sides' rows come as they are read, each side by its own plan: no
    ORDER BY over the union (on SQLite that merges the sides by walking the whole table in order)."""
    for i in range(6):
        make_user(f"{'ab'[i % 2]}{i}", Role.STAFF, city.happy)
    every = User.objects.filter(username__regex=r"^[ab][0-9]$").order_by()
    sides = lambda: Union(  # noqa: E731
        tuple(every.filter(username__startswith=side).values_list("id", "username") for side in "ab"),
        (),
        0,
        None,
    )
    with CaptureQueriesContext(connection) as queries:
        found = statements.rows(("test.union.unordered",), User, sides)
    assert sorted(found) == sorted(every.values_list("id", "username")) and len(found) == 6
    (query,) = queries.captured_queries
    assert "UNION ALL" in query["sql"] and "ORDER BY" not in query["sql"]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (lambda p: p.order_by("-first_name")[0:2], "selected columns"),
        (lambda p: p[0:2], "cut to a page needs an order"),
        (lambda p: p.order_by("id")[0:5][1:2], "sliced once"),
    ],
)
def test_a_union_refuses_what_it_cannot_order_or_cut(city, fresh_cache, steps, message):
    sides = lambda: [User.objects.filter(pk=1).values("id"), User.objects.filter(pk=2).values("id")]  # noqa: E731

    with pytest.raises(StatementError, match=message):
        list(steps(Prepared(("test.union.bad",), User, sides)))


def test_the_cache_keeps_the_most_recently_used(city, fresh_cache, monkeypatch):
    from django.db import connections

    monkeypatch.setattr(statements, "CACHE_SIZE", 2)
    user = make_user("s1", Role.STAFF, city.happy)
    for name in ("a", "b", "a", "c"):
        statements.rows(("test.lru", name), RoleAssignment, _roles, user.pk)

    assert list(connections["default"].__dict__["lianxin_statements"]) == [
        ("test.lru", "a"),
        ("test.lru", "c"),
    ]


def test_token_authentication_refuses_unknown_tokens_and_inactive_users(city, fresh_cache):
    user = make_user("s1", Role.STAFF, city.happy)
    token = Token.objects.create(user=user)
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/requests/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    unknown = client.get("/api/v1/requests/")
    User.objects.filter(pk=user.pk).update(is_active=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    inactive = client.get("/api/v1/requests/")

    # DRF answers 403 rather than 401 when the first authentication class (the session) sends no
    # WWW-Authenticate challenge; the message tells which refusal it was.
    assert unknown.status_code in (401, 403) and unknown.json()["detail"] == "认证令牌无效。"
    assert inactive.status_code in (401, 403) and inactive.json()["detail"] == "用户未激活或者已删除。"


def _pg_prepared(fragment: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"]
        )
        return [plans for (plans,) in cursor.fetchall()]


def _names(user_id, column):
    return User.objects.filter(pk=user_id).values_list(column, "username")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_on_postgresql_kept_statements_are_prepared_with_generic_plans(city, fresh_cache):
    staff = make_user("s1", Role.STAFF, city.happy)
    fragment = (
        '"accounts_user"."date_joined" AS "date_joined", "accounts_user"."username"'  # this test's query only
    )

    first = statements.rows(("test.pg",), User, lambda uid: _names(uid, "date_joined"), staff.pk)
    again = statements.rows(("test.pg",), User, lambda uid: _names(uid, "date_joined"), staff.pk)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        (mode,) = cursor.fetchone()

    assert first == again and first[0][1] == "s1"
    assert mode == "force_generic_plan"
    assert _pg_prepared(fragment) == [2]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_prepared_statements_can_be_switched_off(city, fresh_cache):
    staff = make_user("s1", Role.STAFF, city.happy)
    fragment = '"accounts_user"."last_login" AS "last_login", "accounts_user"."username"'

    with override_settings(LIANXIN_DB_PREPARED=False):
        kept = statements.rows(("test.pg.off",), User, lambda uid: _names(uid, "last_login"), staff.pk)

    assert kept == [(None, "s1")] and _pg_prepared(fragment) == []


def test_an_empty_in_list_gives_no_rows_as_the_queryset_does(city, fresh_cache):
    from lianxin.core.calendar import WorkingCalendar

    kept = statements.rows(("test.none",), User, lambda: User.objects.filter(pk__in=[]).values_list("id"))

    assert kept == [] and list(User.objects.filter(pk__in=[]).values_list("id")) == []
    assert WorkingCalendar([]).loaded_years == set()


def test_values_names_follow_the_order_asked_with_annotations(city, fresh_cache):
    from django.db.models import F

    make_user("u1", Role.STAFF, city.happy, display_name="甲")
    build = lambda: User.objects.filter(username="u1").annotate(n=F("first_name")).values("n", "username")  # noqa: E731

    assert (
        _dicts(Prepared(("test.annotated",), User, build)) == list(build()) == [{"n": "", "username": "u1"}]
    )


def test_a_hand_edited_keyset_cursor_is_an_invalid_cursor(city, fresh_cache):
    import base64

    user = make_user("s1", Role.STAFF, city.happy)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    def page(position: str):
        cursor = base64.b64encode(f"p={position}".encode()).decode()
        return client.get("/api/v1/requests/", {"cursor": cursor})

    assert page("12").status_code == 200
    for position in ("abc", str(2**70), "-1"):
        response = page(position)
        assert response.status_code == 404, position
    with pytest.raises(ValueError, match="out of range"):
        list(Prepared(("test.range",), User, lambda: User.objects.values("id")).filter(id__lt=2**70))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_without_persistent_connections_nothing_is_prepared(city, fresh_cache, monkeypatch):
    staff = make_user("s1", Role.STAFF, city.happy)
    fragment = '"accounts_user"."email" AS "email", "accounts_user"."username"'
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)

    kept = statements.rows(("test.pg.age",), User, lambda uid: _names(uid, "email"), staff.pk)

    assert kept == [("", "s1")] and _pg_prepared(fragment) == []


def test_a_percent_sign_in_the_sql_reaches_the_database_as_one(city, fresh_cache):
    """Django writes a literal % as %%; the numbered SQL a raw cursor sends (PostgreSQL) unescapes it
    as the driver would, and the placeholders are numbered in order."""
    staff = make_user("s1", Role.STAFF, city.happy)

    def build(uid):
        return User.objects.extra(select={"share": "'100%%'"}).filter(pk=uid).values_list("share", "username")

    for _ in range(2):  # compiled, then kept
        assert statements.rows(("test.percent",), User, build, staff.pk) == [("100%", "s1")]
    kept = statements.statement(("test.percent",), User, build, (2_013_265_921,))[1]
    assert kept.numbered.count(b"$1") == 1 and b"'100%'" in kept.numbered and b"%s" not in kept.numbered
    assert kept.qmarked.count("?") == 1 and "'100%'" in kept.qmarked and "%s" not in kept.qmarked
    with pytest.raises(StatementError, match="placeholders"):
        Statement("SELECT %s, %s", (1,), ((0,),), ("a", "b"), ())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-binding cursors are PostgreSQL's")
def test_kept_statements_reuse_one_cursor_per_database_connection(city, fresh_cache):
    staff = make_user("s1", Role.STAFF, city.happy)
    read = lambda: statements.rows(("test.cursor",), User, lambda uid: _names(uid, "email"), staff.pk)  # noqa: E731

    first = read()
    kept_cursors = connections["default"].__dict__  # the connection itself, not django.db.connection's proxy
    kept = kept_cursors["lianxin_cursor"]
    assert read() == first and kept_cursors["lianxin_cursor"] is kept  # the same cursor again
    assert kept[0] is connections["default"].connection and not kept[2].closed
    # A new database connection (Django reconnects after an error or CONN_MAX_AGE): a new cursor on it.
    kept_cursors["lianxin_cursor"] = (object(), *kept[1:])
    assert read() == first
    assert kept_cursors["lianxin_cursor"][2] is not kept[2]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-binding cursors are PostgreSQL's")
def test_kept_statements_load_times_in_c_and_give_the_orms_values(city, fresh_cache):
    """psycopg's own timestamptz loader (C) where the session's zone is the connection's: the same
    instants and the same zone object as Django's loader gives the ORM."""
    import psycopg
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID

    staff = make_user("s1", Role.STAFF, city.happy)
    at = dt.datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=dt.UTC)
    User.objects.filter(pk=staff.pk).update(last_login=at)
    columns = ("last_login", "date_joined")
    (row,) = statements.rows(
        ("test.times",), User, lambda uid: User.objects.filter(pk=uid).values_list(*columns), staff.pk
    )
    orm = User.objects.filter(pk=staff.pk).values_list(*columns).get()
    assert row == orm and row[0] == at
    assert [value.tzinfo for value in row] == [value.tzinfo for value in orm]
    cursor = connections["default"].__dict__["lianxin_cursor"][2]
    text = psycopg.pq.Format.TEXT
    assert cursor.adapters.get_loader(TIMESTAMPTZ_OID, text) is psycopg.adapters.get_loader(
        TIMESTAMPTZ_OID, text
    )


def test_kept_statements_are_seen_by_execute_wrappers_and_fail_with_djangos_errors(city, fresh_cache):
    """Kept statements skip Django's cursor where nobody watches (on SQLite, its %s -> ? conversion
    on every run); a connection's execute wrappers still see them, and errors are Django's."""
    from django.db import DatabaseError, transaction

    staff = make_user("s1", Role.STAFF, city.happy)
    read = lambda: statements.rows(("test.watched",), User, lambda uid: _names(uid, "email"), staff.pk)  # noqa: E731
    first = read()
    seen = []

    def watch(execute, sql, params, many, context):
        seen.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        assert read() == first
    assert len(seen) == 1 and staff.pk in seen[0]
    missing = Statement("SELECT x FROM no_such_table WHERE id = %s", (0,), ((0,),), ("x",), ())
    with pytest.raises(DatabaseError), transaction.atomic():  # Django's error, not the driver's
        missing.execute(connection, [1])
