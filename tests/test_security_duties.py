"""Issue 12 item 4: separation of duties (三权分立) and four eyes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianxin.accounts import services as accounts
from lianxin.core import access
from lianxin.core.access import ROLE_ACTIONS, SYSTEM_ADMIN_ACTIONS, Action, Role

from .conftest import make_user

READ_ONLY = {
    Action.STAFF_AREA,
    Action.VIEW_PLACE,
    Action.VIEW_ORG,
    Action.VIEW_AUDIT,
    Action.VIEW_PEOPLE,
    Action.VIEW_MEMBERS,
}


def _writes(actions) -> set[str]:
    """Business actions that change or take out data: everything not plainly reading."""
    return {a for a in actions if a not in READ_ONLY and not a.startswith("view_")} - set(
        access.AUDIT_ERASE_ACTIONS
    )


@pytest.mark.parametrize("role", list(ROLE_ACTIONS))
def test_no_role_both_changes_data_and_erases_audit_traces(role):
    actions = ROLE_ACTIONS[role]
    if actions & access.AUDIT_ERASE_ACTIONS:
        assert not _writes(actions), f"{role} can purge the audit log and also {sorted(_writes(actions))}"


def test_only_the_auditor_may_purge_and_it_holds_nothing_else():
    purgers = [role for role, actions in ROLE_ACTIONS.items() if Action.PURGE_AUDIT in actions]
    assert purgers == [Role.AUDITOR]
    assert ROLE_ACTIONS[Role.AUDITOR] == {Action.VIEW_AUDIT, Action.PURGE_AUDIT}
    assert Action.PURGE_AUDIT not in SYSTEM_ADMIN_ACTIONS
    assert not SYSTEM_ADMIN_ACTIONS & {Action.MANAGE_PEOPLE, Action.REVEAL_SENSITIVE, Action.EXPORT_PEOPLE}


def test_officers_cannot_appoint_auditors():
    for role, grantable in access.GRANTABLE_BY.items():
        assert Role.AUDITOR not in grantable, role


@pytest.mark.django_db
def test_one_person_never_holds_two_of_the_three_duties(city, personas):
    sysadmin = personas["sysadmin"]
    with pytest.raises(ValidationError):
        accounts.role_grant(actor=None, user=sysadmin, role=Role.STAFF, place=city.happy)
    with pytest.raises(ValidationError):
        accounts.role_grant(
            actor=sysadmin, user=personas["district_officer"], role=Role.AUDITOR, place=city.city
        )
    auditor = make_user("auditor", Role.AUDITOR, city.city)
    with pytest.raises(ValidationError):
        accounts.role_grant(actor=sysadmin, user=auditor, role=Role.STAFF, place=city.happy)
    assert not access.can(auditor, Action.MANAGE_PEOPLE) and access.can(auditor, Action.PURGE_AUDIT)


@pytest.mark.django_db
def test_nobody_grants_a_role_to_themselves(city, personas):
    officer = personas["subdistrict_officer"]
    with pytest.raises(ValidationError):
        accounts.role_grant(actor=officer, user=officer, role=Role.STAFF, place=city.happy)


def test_require_not_self():
    class Person:
        def __init__(self, pk):
            self.pk = pk

    access.require_not_self(Person(1), Person(2))
    access.require_not_self(Person(1), None)
    with pytest.raises(PermissionDenied):
        access.require_not_self(Person(1), Person(1))
    with pytest.raises(PermissionDenied):
        access.require_not_self(Person(3), 3)


@pytest.mark.django_db
def test_nobody_approves_a_transfer_they_requested(city, personas):
    from lianxin.registry import transfers

    from .test_transfer_pages import transfer_sample

    transfer = transfer_sample(city)
    with pytest.raises(PermissionDenied):
        transfers.transfer_approve(actor=personas["community_secretary"], transfer=transfer)
    assert "approved" not in transfers.can_act(personas["community_secretary"], transfer)
    approved = transfers.transfer_approve(actor=personas["subdistrict_officer"], transfer=transfer)
    assert approved.status == "approved"
