"""The requests list read community by community (appeals.selectors, issue 11).

For a scope of a few communities or narrower the list is each community's two sides of a hand-off
(made there, handed there), found through the prefix indexes of models.Request: OR-ed in
``request_list`` (the web page and its count), a union of sides each walking its own index in
``request_rows`` (the API's keyset pages). These tests hold both to the rule written as ranges of
both paths: the same rows in the same order for every kind of scope, place filter and status, page by
page in both directions; and check that the indexes match the SQL that asks for them on both
databases.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from lianxin.appeals import selectors, services
from lianxin.appeals.models import Request, RequestCategory
from lianxin.core import access, tree
from lianxin.core.access import Action, Role
from lianxin.places import services as places
from lianxin.places.models import COMMUNITY_PATH, GRID_PATH, PlaceKind

from .conftest import city_per_module, make_user
from .plans import generic_plan
from .test_appeals_services import at, intake

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

D = dt.date


@pytest.fixture
def spread(city, personas, sysadmin, time_machine):
    """Requests in every community, grid and building, in several states, handed within a community,
    to other communities, to the subdistrict, to a colleague and to a department."""
    time_machine.move_to(at(D(2026, 9, 1)), tick=False)
    second_grid = places.place_create(actor=sysadmin, kind=PlaceKind.GRID, name="第二网格", parent=city.happy)
    staff, outsider = personas["staff"], personas["outsider"]
    harmony_staff = make_user("harmony-staff", Role.STAFF, city.harmony)
    made = {}
    where = [
        ("happy", staff, city.happy),
        ("grid", staff, city.happy_grid),
        ("building", staff, city.happy_building),
        ("grid2", staff, second_grid),
        ("harmony", harmony_staff, city.harmony),
        ("unity", outsider, city.unity),
        ("unity_grid", outsider, city.unity_grid),
    ]
    for round_ in range(3):
        for name, actor, place in where:
            made[f"{name}{round_}"] = intake(actor, place, description=f"{name}第{round_}件")
    services.request_reply(actor=staff, request=made["happy1"], text="已答复")
    services.request_reply(actor=outsider, request=made["unity1"], text="已答复")
    handoffs = [
        (staff, "grid0", {"to_kind": "community", "to_place": city.unity}),
        (staff, "building1", {"to_kind": "community", "to_place": city.harmony}),
        (staff, "happy2", {"to_kind": "subdistrict", "to_place": city.east}),
        (staff, "grid20", {"to_kind": "community", "to_place": city.happy}),
        (outsider, "unity0", {"to_kind": "community", "to_place": city.happy}),
        (outsider, "unity_grid2", {"to_kind": "community", "to_place": city.harmony}),
        (harmony_staff, "harmony0", {"to_kind": "community", "to_place": city.unity}),
        (harmony_staff, "harmony2", {"to_kind": "department", "to_label": "城管"}),
        (staff, "grid1", {"to_kind": "colleague", "to_user": personas["community_secretary"]}),
    ]
    for actor, name, target in handoffs:
        services.request_handoff(actor=actor, request=made[name], reason="转办", **target)
    time_machine.move_to(at(D(2026, 10, 20)), tick=False)  # the open ones are overdue now
    return {"made": made, "second_grid": second_grid, "harmony_staff": harmony_staff}


def _columns():
    from lianxin.api.appeals import request_rows

    return request_rows.columns


def _visible(actor, place=None, **filters):
    """The rule as first written: made or handed within a root of the scope, as ranges of both paths."""
    roots = access.scope_paths(actor, Action.VIEW_REQUESTS)
    queryset = Request.objects.all()
    if roots != [""]:
        queryset = queryset.filter(
            tree.under_q("place_path", roots) | tree.under_q("handler_place_path", roots)
        )
    if place is not None:
        queryset = queryset.under(place.path)
    return selectors._filtered(queryset, actor=actor, **filters)


def _same_rows(actor, **filters):
    """request_list and request_rows give the rule's rows: the whole list, a keyset page after a
    cursor, a page read backwards with an offset (what DRF's ``previous`` links do)."""
    columns = _columns()
    expected = list(_visible(actor, **filters).values(*columns).order_by("-id"))
    assert list(selectors.request_list(actor=actor, **filters).values(*columns).order_by("-id")) == expected
    rows = selectors.request_rows(actor=actor, columns=columns, **filters)
    assert [row._asdict() for row in rows.order_by("-id")[0:1000]] == expected
    if len(expected) > 3:
        cursor = expected[2]["id"]
        assert [row._asdict() for row in rows.order_by("-id").filter(id__lt=str(cursor))[0:3]] == expected[
            3:6
        ]
        ascending = expected[::-1]
        assert [row._asdict() for row in rows.order_by("id").filter(id__gt=cursor)[1:4]] == [
            row for row in ascending if row["id"] > cursor
        ][1:4]
    return expected


def test_the_sides_give_the_scoped_list_for_every_kind_of_scope(city, personas, spread):
    grid_and_unity = make_user("two-places", Role.GRID_WORKER, city.happy_grid)
    from lianxin.accounts import services as accounts

    accounts.role_grant(actor=None, user=grid_and_unity, role=Role.STAFF, place=city.unity)
    two_grids = make_user("two-grids", Role.GRID_WORKER, city.happy_grid)
    accounts.role_grant(actor=None, user=two_grids, role=Role.GRID_WORKER, place=spread["second_grid"])
    actors = [
        personas["staff"],
        personas["grid_worker"],
        personas["outsider"],
        personas["subdistrict_officer"],
        personas["district_officer"],
        spread["harmony_staff"],
        grid_and_unity,
        two_grids,
    ]
    seen = set()
    for actor in actors:
        for status in ("", "open", "answered", "in_progress"):
            seen.update(row["id"] for row in _same_rows(actor, status=status))
        _same_rows(actor, overdue=True, today=D(2026, 10, 20))
        _same_rows(actor, mine=True)
        _same_rows(actor, q="第1件")
        _same_rows(actor, category=RequestCategory.objects.get(code="environment"))
        for place in (city.happy, city.happy_grid, city.unity, city.harmony, city.east, city.district):
            _same_rows(actor, place=place)
            _same_rows(actor, place=place, status="open")
    assert seen == {r.pk for r in spread["made"].values()}  # every request was listed to someone


def test_narrow_scopes_read_sides_and_wide_ones_the_primary_key(city, personas, spread):
    roots = {
        name: [personas[name].role_assignments.get().place.path] for name in personas if name != "sysadmin"
    }
    sides = selectors._community_sides

    assert len(sides(roots["staff"], "")) == 2  # its community: placed there, handed there
    assert len(sides(roots["grid_worker"], "")) == 1  # nothing is handed to a grid
    assert sides(roots["subdistrict_officer"], "") is None
    assert sides(roots["district_officer"], "") is None
    assert len(sides(roots["district_officer"], city.happy_grid.path)) == 1  # filtered to a grid
    assert len(sides(sorted([city.happy.path, city.unity.path]), "")) == 4
    assert len(sides(sorted([city.happy_grid.path, city.unity.path]), "")) == 3
    many = [f"{city.east.path}{i:08d}" for i in range(1, 6)]  # five communities: wider than MAX_SIDES
    assert sides(many, "") is None

    def sql(actor):
        rows = selectors.request_rows(actor=actor, columns=_columns()).order_by("-id")[0:21]
        with CaptureQueriesContext(connection) as queries:
            list(rows)
        assert len(queries.captured_queries) == 1
        return queries.captured_queries[0]["sql"]

    assert sql(personas["staff"]).count("UNION ALL") == 1
    assert sql(personas["staff"]).count("LIMIT 21") == 3  # each side, then the union
    assert "UNION" not in sql(personas["subdistrict_officer"])
    # The web page (and its count) reads the same sides OR-ed; wider scopes read ranges.
    assert "SUBSTR" in str(selectors.request_list(actor=personas["staff"]).query)
    assert "SUBSTR" not in str(selectors.request_list(actor=personas["subdistrict_officer"]).query)


def test_a_request_handed_within_its_own_community_is_listed_once(city, personas, spread):
    staff = personas["staff"]
    made = spread["made"]
    ids = [row["id"] for row in _same_rows(staff)]
    assert len(ids) == len(set(ids))
    assert made["grid20"].pk in ids  # placed in 幸福社区, handed to 幸福社区: one side only
    assert made["unity0"].pk in ids  # placed in 团结社区, handed to 幸福社区
    assert made["grid0"].pk in ids  # placed here, handed away: still the requester's side
    assert made["harmony0"].pk not in ids


def test_the_api_pages_through_the_sides_both_ways(city, personas, spread):
    client = APIClient()
    client.force_login(personas["staff"])
    expected = [
        row["id"] for row in selectors.request_list(actor=personas["staff"]).order_by("-id").values("id")
    ]
    seen, url, pages = [], "/api/v1/requests/?page_size=4", []
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == expected and len(pages) > 2
    back = client.get(pages[-1]["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[-2]["results"]]


def test_nothing_is_handed_to_a_place_below_a_community():
    """The sides read hand-offs only for roots that are communities: a place a request can be handed
    to sits at a community's depth or above."""
    from lianxin.appeals.models import HANDOFF_PLACE_KINDS
    from lianxin.places.models import PLACE_LEVELS

    assert max(PLACE_LEVELS.index(kind) for kind in HANDOFF_PLACE_KINDS.values()) <= PLACE_LEVELS.index(
        PlaceKind.COMMUNITY
    )


def test_a_hand_off_stores_no_handling_path_unless_handed_to_a_place(city, personas, spread):
    made = spread["made"]
    paths = dict(Request.objects.values_list("pk", "handler_place_path"))
    assert paths[made["happy0"].pk] is None  # never handed
    assert paths[made["grid1"].pk] is None  # to a colleague
    assert paths[made["harmony2"].pk] is None  # to a department
    assert paths[made["grid0"].pk] == city.unity.path
    assert paths[made["happy2"].pk] == city.east.path


@pytest.mark.parametrize(
    ("column", "place", "index"),
    [
        ("place_path", "happy", "appeals_request_community_idx"),
        ("place_path", "happy_grid", "appeals_request_grid_idx"),
        ("handler_place_path", "happy", "appeals_request_hcommunity_idx"),
    ],
)
def test_the_prefix_indexes_answer_the_prefix_equalities(city, personas, spread, column, place, index):
    """The SQL written by tree.Prefix is the indexed expression, on both databases: a change to either
    would silently put the list back on the whole table's primary key."""
    path = getattr(city, place).path
    queryset = Request.objects.filter(tree.prefix_q(column, path, (len(path),)))
    if column == "handler_place_path":
        queryset = queryset.filter(handler_place_path__isnull=False)
    sql, params = queryset.order_by("-id").values("id").query.sql_with_params()
    quoted = f"{connection.ops.quote_name(Request._meta.db_table)}.{connection.ops.quote_name(column)}"
    assert f"SUBSTR({quoted}, 1, {len(path)})" in sql
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert index in plan, plan


@pytest.mark.parametrize(
    ("place", "index", "rival"),
    [
        ("happy", "appeals_request_community_open", "appeals_request_community_idx"),
        ("happy_grid", "appeals_request_grid_open", "appeals_request_grid_idx"),
    ],
)
def test_the_open_work_indexes_answer_open_lists(city, personas, spread, place, index, rival):
    """``open()`` writes its statuses into the SQL (lookups.among), so the partial indexes of open
    work match a community's or a grid's open list on both databases, and in a generic plan on
    PostgreSQL (how kept statements are planned). The index on all of the place's requests, which
    would answer too, is dropped inside the test's transaction: a few rows give the planner no
    reason to prefer either."""
    path = getattr(city, place).path
    queryset = Request.objects.filter(tree.prefix_q("place_path", path, (len(path),))).open()
    sql, params = queryset.order_by("-id").values("id").query.sql_with_params()
    assert "'open'" in sql and "'in_progress'" in sql and "open" not in params
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(rival)}")
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            plan = "\n".join(generic_plan(cursor, sql, params))
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row) for row in cursor.fetchall())
    assert index in plan, plan
    open_ids = {r.pk for r in Request.objects.under(path) if r.status in ("open", "in_progress")}
    assert set(queryset.values_list("pk", flat=True)) == open_ids and open_ids


def test_prefix_writes_its_bounds_into_the_sql_and_matches_under(city, spread):
    indexed = (COMMUNITY_PATH, GRID_PATH)
    sql, params = Request.objects.filter(
        tree.prefix_q("place_path", city.happy_building.path, indexed)
    ).query.sql_with_params()
    assert ", 1, 40)" in sql and ", 1, 48)" in sql and ", 1, 32)" not in sql  # the grid's, then its own
    assert not {32, 40, 48} & set(params)
    for place in (city.happy, city.happy_grid, city.happy_building, city.unity):
        under = set(Request.objects.under(place.path).values_list("pk", flat=True))
        prefixed = set(
            Request.objects.filter(tree.prefix_q("place_path", place.path, indexed)).values_list(
                "pk", flat=True
            )
        )
        assert prefixed == under and under
    with pytest.raises(ValueError):
        tree.prefix_q("place_path", city.east.path, indexed)
    with pytest.raises(ValueError):
        tree.Prefix("place_path", 0)
