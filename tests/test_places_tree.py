import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from lianxin.core import audit, tree
from lianxin.core.models import AuditEntry, Todo
from lianxin.core.services import todo_create
from lianxin.places import services
from lianxin.places.models import OrgKind, OrgRating, PartyOrganization, Place, PlaceKind

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


def test_subtree_is_one_range_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = set(Place.objects.subtree(city.east).values_list("name", flat=True))
    assert names == {"东街街道", "幸福社区", "和谐社区", "第一网格", "1号楼"}


def test_move_community_rewrites_every_path(city, sysadmin):
    services.place_move(actor=sysadmin, place=city.happy, new_parent=city.west, reason="区划调整")
    for place in Place.objects.all():
        expected = (place.parent.path if place.parent else "") + f"{place.pk:08d}"
        assert place.path == expected
        assert place.depth == len(place.path) // 8
    west = set(Place.objects.subtree(city.west).values_list("name", flat=True))
    assert {"幸福社区", "1号楼", "团结社区"} <= west
    assert "幸福社区" not in set(Place.objects.subtree(city.east).values_list("name", flat=True))
    for org in PartyOrganization.objects.select_related("place"):
        assert org.place_path == org.place.path
    assert audit.verify().ok


def test_cannot_move_under_own_subtree(city, sysadmin):
    with pytest.raises(ValidationError) as exc:
        services.place_move(actor=sysadmin, place=city.east, new_parent=city.happy, reason="x")
    assert "parent" in exc.value.message_dict


# --- moves keep every path right ---------------------------------------------------------------


def assert_tree_consistent(model):
    rows = {row.pk: row for row in model._base_manager.all()}
    for row in rows.values():
        parent_path = rows[row.parent_id].path if row.parent_id else ""
        assert row.path == tree.child_path(parent_path, row.pk), row
        assert row.depth == tree.depth_of(row.path) == (rows[row.parent_id].depth + 1 if row.parent_id else 1)


def assert_place_paths_follow(*models):
    for model in models:
        for row in model._base_manager.select_related("place"):
            assert row.place_path == row.place.path, (model, row.pk)


@pytest.fixture
def deep(city, sysadmin):
    """More below 幸福社区: a second grid with two buildings, a to-do and a rating on the way."""
    grid = services.place_create(actor=sysadmin, kind=PlaceKind.GRID, name="第二网格", parent=city.happy)
    for name in ("2号楼", "3号楼"):
        services.place_create(actor=sysadmin, kind=PlaceKind.BUILDING, name=name, parent=grid)
    return grid


def test_place_move_rewrites_places_and_place_scoped_rows(personas, city, deep):
    officer = personas["district_officer"]
    building = Place.objects.get(name="3号楼")
    todo = todo_create(actor=officer, assignee=personas["staff"], place=building, title="楼栋走访", days=2)
    rating = services.org_rate(actor=officer, org=city.happy_branch, rating=1, basis="达标")
    outside = todo_create(actor=officer, assignee=personas["staff"], place=city.harmony, title="和谐", days=2)
    outside_path = outside.place_path

    services.place_move(actor=officer, place=city.happy, new_parent=city.west, reason="区划调整")

    assert_tree_consistent(Place)
    assert_place_paths_follow(Todo, OrgRating, PartyOrganization)
    happy = Place.objects.get(pk=city.happy.pk)
    assert happy.parent_id == city.west.pk
    assert happy.path.startswith(city.west.path)
    todo.refresh_from_db()
    rating.refresh_from_db()
    assert todo.place_path == Place.objects.get(pk=building.pk).path
    assert todo.place_path.startswith(happy.path) and rating.place_path == happy.path
    assert Todo.objects.get(pk=outside.pk).place_path == outside_path  # nothing else moves
    # The subdistrict officer of 东街 no longer sees the moved rows; 团结's neighbour… the west does.
    assert set(Todo.objects.under(city.west.path).values_list("pk", flat=True)) == {todo.pk}
    assert set(Todo.objects.under(city.east.path).values_list("pk", flat=True)) == {outside.pk}
    entry = AuditEntry.objects.get(action="place.move")
    assert entry.before == {"parent": city.east.pk, "path": city.happy.path}
    assert entry.after == {"parent": city.west.pk, "path": happy.path}
    assert audit.verify().ok


def test_moving_back_restores_the_original_paths(city, sysadmin, deep):
    original = dict(Place.objects.values_list("pk", "path"))
    services.place_move(actor=sysadmin, place=city.happy, new_parent=city.west, reason="调整")
    services.place_move(actor=sysadmin, place=city.happy, new_parent=city.east, reason="撤回")
    assert dict(Place.objects.values_list("pk", "path")) == original


def test_place_move_checks_level_name_and_reason(city, sysadmin):
    with pytest.raises(ValidationError) as exc:
        services.place_move(actor=sysadmin, place=city.happy_grid, new_parent=city.east, reason="x")
    assert "parent" in exc.value.message_dict  # a grid sits under a community
    with pytest.raises(ValidationError) as exc:
        services.place_move(actor=sysadmin, place=city.happy, new_parent=city.west, reason=" ")
    assert "reason" in exc.value.message_dict
    # 团结社区 and 幸福社区 both have a 第一网格: moving one into the other's community clashes.
    with pytest.raises(ValidationError) as exc:
        services.place_move(actor=sysadmin, place=city.unity_grid, new_parent=city.happy, reason="x")
    assert "parent" in exc.value.message_dict
    assert Place.objects.get(pk=city.unity_grid.pk).parent_id == city.unity.pk
    assert_tree_consistent(Place)


def test_org_move_rewrites_the_org_subtree(city, sysadmin):
    general = services.org_create(
        actor=sysadmin,
        kind=OrgKind.GENERAL_BRANCH,
        name="幸福社区党总支",
        place=city.happy,
        parent=city.happy_committee,
    )
    group = services.org_create(
        actor=sysadmin, kind=OrgKind.GROUP, name="第一党小组", place=city.happy, parent=city.happy_branch
    )
    # The branch (with its group) goes one level down, under the new general branch.
    services.org_move(actor=sysadmin, org=city.happy_branch, new_parent=general, reason="调整设置")
    assert_tree_consistent(PartyOrganization)
    group.refresh_from_db()
    assert group.depth == 4 and group.path.startswith(general.path)
    # …and back up to be a root of its own.
    services.org_move(actor=sysadmin, org=city.happy_branch, new_parent=None, reason="单独建制")
    assert_tree_consistent(PartyOrganization)
    moves = AuditEntry.objects.filter(action="org.move").count()
    services.org_move(actor=sysadmin, org=city.happy_branch, new_parent=None, reason="再次")  # already a root
    assert AuditEntry.objects.filter(action="org.move").count() == moves == 2
    group.refresh_from_db()
    assert group.depth == 2
    assert set(PartyOrganization.objects.subtree(city.happy_committee).values_list("name", flat=True)) == {
        "幸福社区党委",
        "幸福社区党总支",
    }
    assert audit.verify().ok


def test_cannot_move_an_org_under_its_own_subtree(city, sysadmin):
    general = services.org_create(
        actor=sysadmin,
        kind=OrgKind.GENERAL_BRANCH,
        name="党总支",
        place=city.happy,
        parent=city.happy_committee,
    )
    for target in (general, city.happy_committee):
        with pytest.raises(ValidationError) as exc:
            services.org_move(actor=sysadmin, org=city.happy_committee, new_parent=target, reason="x")
        assert "parent" in exc.value.message_dict
    assert_tree_consistent(PartyOrganization)


def test_sibling_names_are_unique(city, sysadmin):
    with pytest.raises(ValidationError) as exc:
        services.place_create(actor=sysadmin, kind=PlaceKind.COMMUNITY, name=" 和谐社区 ", parent=city.east)
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.place_update(actor=sysadmin, place=city.harmony, name="幸福社区")
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.place_create(actor=sysadmin, kind=PlaceKind.CITY, name="连心市", parent=None)
    assert "name" in exc.value.message_dict
    # The same name under another parent is fine.
    services.place_create(actor=sysadmin, kind=PlaceKind.COMMUNITY, name="和谐社区", parent=city.west)

    with pytest.raises(ValidationError) as exc:
        services.org_create(
            actor=sysadmin,
            kind=OrgKind.BRANCH,
            name="幸福社区第一党支部",
            place=city.happy,
            parent=city.happy_committee,
        )
    assert "name" in exc.value.message_dict
    other = services.org_create(
        actor=sysadmin,
        kind=OrgKind.GENERAL_BRANCH,
        name="党总支",
        place=city.happy,
        parent=city.happy_committee,
    )
    services.org_create(
        actor=sysadmin, kind=OrgKind.BRANCH, name="幸福社区第一党支部", place=city.happy, parent=other
    )
    with pytest.raises(ValidationError) as exc:
        services.org_move(actor=sysadmin, org=city.happy_branch, new_parent=other, reason="x")
    assert "parent" in exc.value.message_dict
    assert_tree_consistent(Place)
    assert_tree_consistent(PartyOrganization)


# --- "everything under X" is an index range scan -----------------------------------------------


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables make a sequential scan cheapest; we ask whether an index CAN serve.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


def _first_column_of_index(name: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE c.relname = %s",
                [name],
            )
            return cursor.fetchone()[0]
        cursor.execute(f'PRAGMA index_info("{name}")')
        return min(cursor.fetchall())[2]


@pytest.mark.parametrize(
    ("model", "column", "root"),
    [(Place, "path", "east"), (PartyOrganization, "place_path", "happy"), (Todo, "place_path", "happy")],
)
def test_subtree_query_uses_an_index_on_the_path(city, model, column, root):
    path = getattr(city, root).path
    plan = _plan(model.objects.filter(tree.under_q(column, [path])).values("pk"))
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        assert "Seq Scan" not in plan, plan
        match = re.search(rf"Index (?:Only )?Scan using (\S+) on {table}|Bitmap Index Scan on (\S+)", plan)
        assert match, plan
        index = match.group(1) or match.group(2)
        assert re.search(rf"\(?{column}\)?(::text)? >= '{path}'", plan), plan
    else:
        match = re.search(
            rf"SEARCH {table} USING (?:COVERING )?INDEX (\S+) \({column}>\? AND {column}<\?\)", plan
        )
        assert match, plan
        index = match.group(1)
    assert _first_column_of_index(index) == column, (plan, index)


def test_rows_created_with_a_copy_from_before_a_move_get_the_new_path(personas, city, sysadmin):
    # city.happy_grid is an in-memory copy taken before the move: its path is stale.
    services.place_move(actor=sysadmin, place=city.happy, new_parent=city.west, reason="区划调整")
    grid_path = Place.objects.get(pk=city.happy_grid.pk).path
    assert city.happy_grid.path != grid_path
    todo = todo_create(
        actor=personas["district_officer"],
        assignee=personas["staff"],
        place=city.happy_grid,
        title="t",
        days=1,
    )
    org = services.org_create(
        actor=sysadmin, kind=OrgKind.COMMITTEE, name="网格党支部", place=city.happy_grid
    )
    assert todo.place_path == grid_path and org.place_path == grid_path
    assert_place_paths_follow(Todo, PartyOrganization)
