"""The governance API (issue 14): contact chains and standards end to end through /api/v1/, and who
may do what per role (denials change nothing)."""

import re

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianxin.appeals.models import Request
from lianxin.core.models import AuditEntry
from lianxin.governance.models import (
    CheckItem,
    ContactEntry,
    ContactLink,
    Delegate,
    OpenMeeting,
    SelfCheck,
    SittingInApplication,
    StandardItem,
    UpgradeItem,
)

from .conftest import PERSONA_NAMES, city_per_module, make_user
from .test_governance_helpers import committee_meeting, governance_sample, people

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

VIEWERS = {
    "district_officer",
    "subdistrict_officer",
    "community_secretary",
    "committee_member",
    "staff",
    "supervisor",
}
RUNNERS = {"community_secretary", "committee_member"}
REVIEWERS = {"subdistrict_officer"}
EDITORS = {"district_officer"}


def v1(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs or None)


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def state():
    return (
        AuditEntry.objects.count(),
        list(ContactLink.objects.values_list("pk", "contact_id", "ended_on")),
        list(ContactEntry.objects.values_list("pk", "request_id")),
        Delegate.objects.count(),
        OpenMeeting.objects.count(),
        list(SittingInApplication.objects.values_list("pk", "status", "attended")),
        list(SelfCheck.objects.values_list("pk", "status", "rating")),
        list(CheckItem.objects.values_list("pk", "review", "evidence")),
        list(StandardItem.objects.values_list("pk", "text", "points")),
        list(UpgradeItem.objects.values_list("pk", "progress")),
        Request.objects.count(),
    )


def test_chains_sitting_in_and_standards_through_the_api(city, personas):
    secretary = client_for(personas["community_secretary"])
    officer = client_for(personas["subdistrict_officer"])
    members, homes = people(city, personas["community_secretary"], 3)
    org = city.happy_committee.pk
    response = secretary.post(
        v1("party-delegate-list"),
        {"organization": org, "member": members[0].pk, "term_start": "2024-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = secretary.post(
        v1("contact-chain-list"),
        {
            "organization": org,
            "level": "household",
            "contact": members[1].pk,
            "target_household": homes[2].pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    link = response.json()
    assert link["target"] == homes[2].address_label() and link["overdue"] is False
    today = timezone.localdate().isoformat()
    response = secretary.post(
        v1("contact-chain-entries", pk=link["id"]),
        {"kind": "visit", "contacted_on": today, "problems": "家里水管漏水"},
        format="json",
    )
    assert response.status_code == 201, response.content
    entry = response.json()
    response = secretary.post(
        v1("contact-entry-request", pk=entry["id"]), {"category": "property"}, format="json"
    )
    assert response.status_code == 200, response.content
    request = Request.objects.get(number=response.json()["number"])
    assert request.description == "家里水管漏水" and request.household_id == homes[2].pk
    assert (
        secretary.get(v1("contact-entry-detail", pk=entry["id"])).json()["request_number"] == request.number
    )
    coverage = secretary.get(v1("contact-chain-coverage")).json()
    (row,) = [r for r in coverage if r["organization"] == org]
    assert row["household"] == {"total": 3, "covered": 1, "share": 33.3} and row["delegate"]["total"] == 1
    # invalid input names the field
    response = secretary.post(
        v1("contact-chain-list"),
        {"organization": org, "level": "member", "contact": members[1].pk, "target_member": members[2].pk},
        format="json",
    )
    assert response.status_code == 400 and "contact" in response.json()["errors"]
    # sitting in: the member applies from their own account; a second application is refused
    meeting = committee_meeting(city, personas["community_secretary"])
    response = secretary.post(v1("sitting-in-list"), {"meeting": meeting.pk, "seats": 1}, format="json")
    assert response.status_code == 201, response.content
    open_id = response.json()["id"]
    from lianxin.branch import services as branch

    branch.member_account_link(
        actor=personas["community_secretary"], user=personas["party_member"], resident=members[2].resident
    )
    member = client_for(personas["party_member"])
    response = member.post(v1("sitting-in-apply", pk=open_id), {"motivation": "旁听学习"}, format="json")
    assert response.status_code == 201, response.content
    application = response.json()["id"]
    assert member.post(v1("sitting-in-apply", pk=open_id), {}, format="json").status_code in (400, 404)
    assert [a["status"] for a in member.get(v1("sitting-in-mine")).json()] == ["pending"]
    response = secretary.post(
        v1("sitting-in-application-decide", pk=application), {"approve": True}, format="json"
    )
    assert response.json()["status"] == "approved"
    response = secretary.post(
        v1("sitting-in-application-attend", pk=application),
        {"attended": True, "comment": "建议公开议程"},
        format="json",
    )
    assert response.json()["comment"] == "建议公开议程"
    assert len(secretary.get(v1("sitting-in-applications", pk=open_id)).json()["results"]) == 1
    # standards: self-check → review → class rating → upgrade plan
    response = secretary.post(
        v1("standard-list"), {"organization": city.happy_branch.pk, "year": 2026}, format="json"
    )
    assert response.status_code == 201, response.content
    check = response.json()
    for item in check["items"]:
        score = 4 if item["area"] == "funding" else item["points"]
        response = secretary.post(
            v1("standard-item-record", pk=item["id"]),
            {"evidence": "有台账", "self_score": score},
            format="json",
        )
        assert response.status_code == 200, response.content
    assert secretary.post(v1("standard-submit", pk=check["id"])).json()["status"] == "submitted"
    for item in check["items"]:
        score = 0 if item["area"] in ("funding", "premises") else item["points"]
        response = officer.post(
            v1("standard-item-review", pk=item["id"]), {"decision": "accepted", "score": score}, format="json"
        )
        assert response.status_code == 200, response.content
    result = officer.post(v1("standard-conclude", pk=check["id"])).json()
    assert (result["score"], result["max_score"], result["rating"]) == (60, 100, 3)
    plan = officer.get(v1("upgrade-plan-detail", pk=result["plan"])).json()
    assert plan["rating"] == 3 and len(plan["items"]) == 4
    response = secretary.post(
        v1("upgrade-plan-items", pk=result["plan"]),
        {"task": "落实活动室", "owner": "李书记", "due_days": 10},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = secretary.post(
        v1("upgrade-item-progress", pk=plan["items"][0]["id"]), {"progress": "已选址"}, format="json"
    )
    assert response.json()["progress"] == "已选址"
    rollup = client_for(personas["district_officer"]).get(v1("standard-rollup"), {"year": 2026}).json()
    assert rollup["district"][0]["class_3"] == 1


def _reads(sample):
    return [
        ("contact-chain-list", None),
        ("contact-chain-coverage", None),
        ("party-delegate-list", None),
        ("sitting-in-list", None),
        ("standard-list", None),
        ("standard-rollup", None),
        ("upgrade-plan-list", None),
        ("contact-chain-detail", sample["link"]),
        ("contact-chain-entries", sample["link"]),
        ("contact-entry-detail", sample["entry"]),
        ("sitting-in-detail", sample["open_meeting"]),
        ("sitting-in-applications", sample["open_meeting"]),
        ("sitting-in-application-detail", sample["application"]),
        ("standard-detail", sample["check"]),
        ("standard-item-detail", sample["check_item"]),
        ("upgrade-plan-detail", sample["plan"]),
    ]


def test_who_reads(city, personas):
    sample = governance_sample(city)
    for persona in PERSONA_NAMES:
        client = client_for(personas[persona])
        for name, row in _reads(sample):
            response = client.get(v1(name, pk=row.pk) if row else v1(name))
            if persona in VIEWERS:
                expected = 200
            elif row:
                expected = 404  # out of scope answers like missing
            else:
                expected = 200 if persona == "outsider" else 403
            assert response.status_code == expected, (name, persona, response.status_code)
            if (
                persona == "outsider"
                and not row
                and name not in ("contact-chain-coverage", "standard-rollup")
            ):
                assert response.json()["results"] == [], name
        # the checklists are not secret: every staff role reads them; a member's own list is theirs
        checklist = client.get(v1("standard-checklist-list")).status_code
        assert checklist == (200 if persona in VIEWERS | {"outsider"} else 403), (persona, checklist)
        assert client.get(v1("sitting-in-mine")).status_code == 200


def _writes(sample, city):
    today = timezone.localdate().isoformat()
    link, entry, app = sample["link"], sample["entry"], sample["application"]
    check, item, plan = sample["submitted"], sample["check_item"], sample["plan"]
    members = sample["members"]
    return [
        (
            RUNNERS,
            v1("contact-chain-list"),
            {
                "organization": city.happy_committee.pk,
                "level": "household",
                "contact": members[0].pk,
                "target_household": sample["homes"][1].pk,
            },
        ),
        (RUNNERS, v1("contact-chain-end", pk=link.pk), {"reason": "搬走"}),
        (RUNNERS, v1("contact-chain-entries", pk=link.pk), {"kind": "call", "contacted_on": today}),
        (RUNNERS, v1("contact-entry-request", pk=entry.pk), {"category": "other"}),
        (
            RUNNERS,
            v1("party-delegate-list"),
            {"organization": city.happy_committee.pk, "member": members[1].pk, "term_start": "2024-01-01"},
        ),
        (RUNNERS, v1("sitting-in-application-decide", pk=app.pk), {"approve": True}),
        (RUNNERS, v1("sitting-in-application-attend", pk=app.pk), {"attended": True}),
        (RUNNERS, v1("standard-list"), {"organization": city.happy_committee.pk, "year": 2020}),
        (RUNNERS, v1("standard-item-record", pk=item.pk), {"evidence": "x", "self_score": 1}),
        (RUNNERS, v1("upgrade-plan-items", pk=plan.pk), {"task": "x", "owner": "x", "due_days": 5}),
        (RUNNERS, v1("upgrade-item-progress", pk=sample["plan_item"].pk), {"progress": "x"}),
        (REVIEWERS, v1("standard-item-review", pk=item.pk), {"decision": "accepted", "score": 1}),
        (REVIEWERS, v1("standard-conclude", pk=check.pk), {}),
        (
            EDITORS,
            v1("standard-checklist-list"),
            {"field": "firm", "area": "team", "code": "x", "text": "x", "points": 5},
        ),
    ]


def test_denied_writes_change_nothing(city, personas):
    sample = governance_sample(city)
    clients = {persona: client_for(personas[persona]) for persona in PERSONA_NAMES}  # a login is audited
    before = state()
    for persona, client in clients.items():
        for allowed, url, data in _writes(sample, city):
            if persona in allowed:
                continue
            response = client.post(url, data, format="json")
            # collections: 403 (or 400: the outsider may not name 幸福社区's rows); rows: 403 in scope, 404 outside
            assert response.status_code in (400, 403, 404), (url, persona, response.status_code)
            if persona in VIEWERS and re.search(r"/\d+/", url):
                assert response.status_code == 403, (url, persona)
            if persona == "outsider" and re.search(r"/\d+/", url):
                assert response.status_code == 404, (url, persona)
        # a member applying again, or a resident without a member record, changes nothing either
        response = client.post(v1("sitting-in-apply", pk=sample["open_meeting"].pk), {}, format="json")
        assert response.status_code in (400, 404), (persona, response.status_code)
    assert state() == before
    # the same calls by those allowed do change things (the denials are not an accident of the data)
    allowed = {"community_secretary": 0, "subdistrict_officer": 11, "district_officer": 13}
    for persona, index in allowed.items():
        _allowed, url, data = _writes(sample, city)[index]
        response = client_for(personas[persona]).post(url, data, format="json")
        assert response.status_code in (200, 201), (persona, url, response.content)


def test_anonymous_gets_nothing(city, personas):
    sample = governance_sample(city)
    for name, row in _reads(sample):
        assert APIClient().get(v1(name, pk=row.pk) if row else v1(name)).status_code in (401, 403)
    assert APIClient().post(v1("sitting-in-apply", pk=sample["open_meeting"].pk), {}).status_code in (
        401,
        403,
    )


def test_a_member_of_another_community_cannot_apply(city, personas):
    sample = governance_sample(city)
    stranger = make_user("stranger", "party_member", city.unity)
    response = client_for(stranger).post(
        v1("sitting-in-apply", pk=sample["open_meeting"].pk), {}, format="json"
    )
    assert response.status_code == 404
