"""Special care groups (D2): need-to-know access, every read audited, details never in clear."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from lianxin.accounts import services as accounts
from lianxin.core import crypto
from lianxin.core.models import AuditEntry
from lianxin.registry import services, special_care
from lianxin.registry.models import SpecialCareAssignment, SpecialCareGroup, SpecialCareRecord

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

G = SpecialCareGroup
DETAILS = "2019年因盗窃罪服刑，2024年3月刑满释放，帮教人：王警官"
ZHANG = "11010519491231002X"


@pytest.fixture
def resident(city, personas):
    household = services.household_create(
        actor=personas["staff"], place=city.happy_building, unit="1", room="101"
    )
    return services.resident_create(
        actor=personas["staff"], name="张三", id_number=ZHANG, household=household
    )


@pytest.fixture
def record(personas, resident):
    return special_care.record_create(
        actor=personas["community_secretary"], resident=resident, group=G.RELEASED_PRISONER, details=DETAILS
    )


def _assign(city, personas, who="staff", group=G.RELEASED_PRISONER, place=None):
    return special_care.assignment_grant(
        actor=personas["community_secretary"],
        user=personas[who],
        group=group,
        place=place or city.happy,
        reason="负责安置帮教",
    )


def _audit_text() -> str:
    return " ".join(
        f"{e.object_repr} {e.before} {e.after} {e.reason}" for e in AuditEntry.objects.order_by("seq")
    )


def test_details_are_stored_encrypted(record):
    stored = SpecialCareRecord.objects.get(pk=record.pk)
    assert DETAILS not in stored.details_enc and crypto.decrypt(stored.details_enc) == DETAILS
    assert stored.details_masked == SpecialCareRecord.MASK
    assert "张三" not in str(stored)


@pytest.mark.parametrize(
    "persona",
    ["staff", "community_secretary", "committee_member", "grid_worker", "district_officer", "outsider"],
)
def test_a_role_alone_shows_nothing(personas, record, persona):
    user = personas[persona]
    assert special_care.special_care_list(actor=user, purpose="特殊人群名单") == []
    with pytest.raises(Http404):
        special_care.special_care_get(actor=user, pk=record.pk, purpose="详情")
    with pytest.raises(Http404):
        special_care.special_care_reveal(actor=user, record=record, reason="核对")
    with pytest.raises(Http404):
        special_care.record_end(actor=user, record=record, ended_on=record.created_at.date(), reason="x")
    record.refresh_from_db()
    assert record.ended_on is None


def test_assigned_staff_sees_and_every_read_is_audited(city, personas, record):
    staff = personas["staff"]
    _assign(city, personas)
    before = AuditEntry.objects.count()
    rows = special_care.special_care_list(actor=staff, purpose="特殊人群名单页")
    assert rows == [record]
    entry = AuditEntry.objects.latest("seq")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.actor, entry.reason) == ("special_care.list", staff, "特殊人群名单页")
    assert entry.after == {"group": "", "records": [record.pk], "count": 1}
    assert entry.place_path == city.happy.path
    # The detail page is a read too.
    assert special_care.special_care_get(actor=staff, pk=record.pk, purpose="详情页") == record
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.object_id, entry.reason) == ("special_care.view", str(record.pk), "详情页")
    # An empty read (another group) is recorded as well, with its count.
    assert special_care.special_care_list(actor=staff, group=G.DRUG_REHABILITATION, purpose="名单") == []
    assert AuditEntry.objects.latest("seq").after == {
        "group": G.DRUG_REHABILITATION,
        "records": [],
        "count": 0,
    }
    assert AuditEntry.objects.count() == before + 3


def test_a_read_needs_a_purpose(city, personas, record):
    _assign(city, personas)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        special_care.special_care_list(actor=personas["staff"], purpose=" ")
    with pytest.raises(ValidationError):
        special_care.special_care_get(actor=personas["staff"], pk=record.pk, purpose="")
    assert AuditEntry.objects.count() == before


def test_details_never_appear_in_clear_in_lists_or_the_audit_log(city, personas, record):
    staff = personas["staff"]
    _assign(city, personas)
    rows = special_care.special_care_list(actor=staff, purpose="名单")
    special_care.special_care_get(actor=staff, pk=record.pk, purpose="详情")
    for row in rows:
        assert DETAILS not in str(vars(row)) and row.details_masked == SpecialCareRecord.MASK
    assert DETAILS not in _audit_text()
    # Revealing needs a reason, gives the clear text, and logs the reveal — not the text.
    with pytest.raises(ValidationError):
        special_care.special_care_reveal(actor=staff, record=record, reason=" ")
    assert special_care.special_care_reveal(actor=staff, record=record, reason="走访前核对") == DETAILS
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor, entry.after, entry.reason) == (staff, {"field": "details"}, "走访前核对")
    assert DETAILS not in _audit_text()
    labels = AuditEntry.objects.filter(object_type="registry.specialcarerecord").values_list(
        "object_repr", flat=True
    )
    assert labels and "张三" not in " ".join(labels)


def test_an_ended_assignment_grants_nothing(city, personas, record):
    assignment = _assign(city, personas)
    assert special_care.special_care_list(actor=personas["staff"], purpose="名单") == [record]
    special_care.assignment_revoke(
        actor=personas["community_secretary"], assignment=assignment, reason="调岗"
    )
    assert special_care.special_care_list(actor=personas["staff"], purpose="名单") == []
    with pytest.raises(Http404):
        special_care.special_care_get(actor=personas["staff"], pk=record.pk, purpose="详情")
    with pytest.raises(ValidationError):
        special_care.assignment_revoke(actor=personas["community_secretary"], assignment=assignment)
    assert AuditEntry.objects.filter(action="special_care.unassign").count() == 1


def test_an_assignment_outlives_neither_the_role(city, personas, record):
    _assign(city, personas)
    role = personas["staff"].role_assignments.get(ended_at__isnull=True)
    accounts.role_revoke(actor=personas["community_secretary"], assignment=role, reason="离职")
    from lianxin.core import access

    access.forget(personas["staff"])
    assert special_care.special_care_list(actor=personas["staff"], purpose="名单") == []


def test_assignment_is_per_group_and_per_subtree(city, personas, record):
    _assign(city, personas, group=G.SEVERE_MENTAL_ILLNESS)
    assert special_care.special_care_list(actor=personas["staff"], purpose="名单") == []
    # A grid worker assigned on their grid sees the records in it.
    _assign(city, personas, who="grid_worker", place=city.happy_grid)
    assert special_care.special_care_list(actor=personas["grid_worker"], purpose="名单") == [record]


def test_assignment_to_one_record(city, personas, resident, record):
    other = special_care.record_create(
        actor=personas["community_secretary"],
        resident=resident,
        group=G.DRUG_REHABILITATION,
        details="美沙酮",
    )
    special_care.assignment_grant(
        actor=personas["community_secretary"], user=personas["grid_worker"], record=other
    )
    assert special_care.special_care_list(actor=personas["grid_worker"], purpose="名单") == [other]
    with pytest.raises(Http404):
        special_care.special_care_get(actor=personas["grid_worker"], pk=record.pk, purpose="详情")


def test_who_may_grant(city, personas, record):
    for who in ["staff", "grid_worker", "outsider", "committee_member"]:
        with pytest.raises(PermissionDenied):
            special_care.assignment_grant(
                actor=personas[who], user=personas["staff"], group=G.RELEASED_PRISONER, place=city.happy
            )
    # The grantee must be able to view residents there through their own role.
    with pytest.raises(ValidationError) as exc:
        _assign(city, personas, who="outsider")
    assert "user" in exc.value.message_dict
    assignment = _assign(city, personas)
    with pytest.raises(ValidationError):
        _assign(city, personas)
    assert SpecialCareAssignment.objects.filter(ended_at__isnull=True).count() == 1
    entry = AuditEntry.objects.get(action="special_care.assign")
    assert entry.actor == personas["community_secretary"] and entry.after["user"] == personas["staff"].pk
    assert list(special_care.assignment_list(actor=personas["community_secretary"])) == [assignment]
    assert not special_care.assignment_list(actor=personas["outsider"]).exists()
    assert personas["staff"].notifications.count() == 1


def test_record_create_and_end(city, personas, resident, record):
    with pytest.raises(ValidationError):
        special_care.record_create(
            actor=personas["community_secretary"], resident=resident, group=G.RELEASED_PRISONER
        )
    with pytest.raises(PermissionDenied):  # a role alone does not let staff add records
        special_care.record_create(actor=personas["staff"], resident=resident, group=G.YOUTH_AT_RISK)
    with pytest.raises(PermissionDenied):
        special_care.record_create(actor=personas["outsider"], resident=resident, group=G.YOUTH_AT_RISK)
    _assign(city, personas)
    ended = special_care.record_end(
        actor=personas["staff"], record=record, ended_on=record.created_at.date(), reason="帮教期满"
    )
    assert ended.ended_on == record.created_at.date() and ended.end_reason == "帮教期满"
    assert special_care.special_care_list(actor=personas["staff"], purpose="名单") == []
    assert special_care.special_care_list(actor=personas["staff"], purpose="名单", include_ended=True) == [
        record
    ]
    # Once ended, the group can be recorded again (the constraint is on active records).
    special_care.record_create(actor=personas["staff"], resident=resident, group=G.RELEASED_PRISONER)
    assert DETAILS not in _audit_text()
