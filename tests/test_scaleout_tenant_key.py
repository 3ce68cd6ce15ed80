"""The sharding path (issue 13): every tenant-owned table carries its place key (lianxin.core.sharding)."""

from lianxin.core import sharding


def _labels(models):
    return {m._meta.label for m in models}


def test_every_table_carries_the_place_key_or_is_listed_as_child_reference_or_global():
    listed = sharding.REFERENCE_TABLES | sharding.GLOBAL_TABLES | sharding.CHILD_TABLES
    missing = sorted(
        m._meta.label
        for m in sharding.tenant_models()
        if not sharding.is_keyed(m) and m._meta.label not in listed
    )
    assert not missing, (
        f"tables without place_path: {missing}. A tenant-owned table inherits "
        "lianxin.core.models.PlaceScoped; a shared one is listed in lianxin/core/sharding.py "
        "(see docs/operations.md, Sharding path)"
    )


def test_the_lists_are_disjoint_current_and_hold_no_keyed_table():
    lists = [sharding.REFERENCE_TABLES, sharding.GLOBAL_TABLES, sharding.CHILD_TABLES]
    assert sum(len(x) for x in lists) == len(set().union(*lists))
    existing = _labels(sharding.tenant_models())
    assert set().union(*lists) <= existing, sorted(set().union(*lists) - existing)
    keyed = _labels(m for m in sharding.tenant_models() if sharding.is_keyed(m))
    assert not (set().union(*lists) & keyed), sorted(set().union(*lists) & keyed)


def test_each_child_table_reaches_its_key_through_required_foreign_keys():
    by_label = {m._meta.label: m for m in sharding.tenant_models()}
    routes = {label: sharding.key_route(by_label[label]) for label in sorted(sharding.CHILD_TABLES)}
    assert not [label for label, route in routes.items() if route is None], routes
    assert routes["performance.BallotMark"] == ["ballot", "cycle"]  # mark → ballot → cycle (keyed)
    assert routes["branch.Attendance"][0] == "meeting"


def test_the_place_scoped_tables_are_the_bulk_of_the_data():
    keyed = [m for m in sharding.tenant_models() if sharding.is_keyed(m)]
    assert {"registry.Resident", "registry.Household", "registry.PartyMember", "appeals.Request"} <= _labels(
        keyed
    )
    assert len(keyed) > len(sharding.CHILD_TABLES)
