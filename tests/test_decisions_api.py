"""The decisions API (issue 7): the chain end to end through /api/v1/resolutions/, and who may do
what (denials change nothing)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianxin.core.models import AuditEntry
from lianxin.decisions.models import BallotCode, Charter, DepartureAudit, HouseholdVote, Matter, StageRecord

from .conftest import city_per_module
from .test_decisions_helpers import decisions_sample

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
RECORDERS = {"community_secretary", "committee_member"}
ALL = [
    "district_officer",
    "subdistrict_officer",
    "community_secretary",
    "committee_member",
    "staff",
    "grid_worker",
    "assistant",
    "supervisor",
    "party_member",
    "resident",
    "outsider",
    "sysadmin",
]


def v1(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs or None)


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def state():
    return (
        AuditEntry.objects.count(),
        list(Matter.objects.values_list("pk", "status", "category_id")),
        StageRecord.objects.count(),
        HouseholdVote.objects.count(),
        BallotCode.objects.filter(used_at__isnull=False).count(),
        Charter.objects.count(),
        list(DepartureAudit.objects.values_list("pk", "published_at")),
    )


def test_the_chain_through_the_api(city, personas):
    client = client_for(personas["committee_member"])
    response = client.post(
        v1("resolution-list"),
        {"place": city.happy.pk, "title": "加装电梯", "category": "fundraising", "double_ballot": False},
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    # Out of order: 400 naming the stage.
    response = client.post(
        v1("resolution-stage", pk=pk),
        {"stage": "review", "held_on": yesterday, "entitled": 30, "present": 16, "votes_for": 16},
        format="json",
    )
    assert response.status_code == 400 and "stage" in response.json()["errors"]
    for stage, tally in [("proposal", (7, 5, 5)), ("deliberation", (11, 9, 8)), ("review", (30, 16, 16))]:
        response = client.post(
            v1("resolution-stage", pk=pk),
            {
                "stage": stage,
                "held_on": yesterday,
                "location": "议事厅",
                "entitled": tally[0],
                "present": tally[1],
                "votes_for": tally[2],
            },
            format="json",
        )
        assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "decision"
    review = [r for r in body["records"] if r["stage"] == "review"][0]
    assert review["rule_code"] == "party_member_meeting" and review["passed"] and review["explanation"]
    response = client.post(
        v1("resolution-stage", pk=pk),
        {"stage": "decision", "held_on": yesterday, "entitled": 35, "present": 35, "votes_for": 35},
        format="json",
    )
    assert response.json()["status"] == "resolution"
    response = client.post(
        v1("resolution-resolution", pk=pk), {"text": "同意加装", "posted_days": 7}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "result"
    response = client.post(v1("resolution-result", pk=pk), {"text": "已安装"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "implemented"
    listed = client.get(v1("resolution-list"), {"status": "implemented"}).json()["results"]
    assert [row["id"] for row in listed] == [pk]


def test_skip_of_a_mandatory_matter_is_refused(city, personas):
    client = client_for(personas["community_secretary"])
    matter = decisions_sample(city)["matter"]
    response = client.post(v1("resolution-skip", pk=matter.pk), {"reason": "急"}, format="json")
    assert response.status_code == 400
    matter.refresh_from_db()
    assert matter.status == "decision"


def test_double_ballot_through_the_api(city, personas):
    sample = decisions_sample(city)
    matter, rep = sample["matter"], sample["representative"]
    client = client_for(personas["community_secretary"])
    response = client.post(
        v1("resolution-votes", pk=matter.pk), {"representative": rep.pk, "choice": "for"}, format="json"
    )
    assert response.status_code == 200 and len(response.json()["cast"]) == 2
    again = client.post(
        v1("resolution-votes", pk=matter.pk), {"representative": rep.pk, "choice": "against"}, format="json"
    )
    assert again.json() == {"cast": [], "skipped": sorted(h.pk for h in sample["households"])}
    tally = client.get(v1("resolution-tally", pk=matter.pk)).json()
    assert tally["voted"] == 2 and tally["votes_for"] == 2 and tally["by_representative"] == 2
    assert client.post(v1("resolution-ballot-codes", pk=matter.pk)).json() == {"issued": 0}


def test_charters_and_departure_audits(city, personas):
    client = client_for(personas["community_secretary"])
    response = client.post(
        v1("charter-list"),
        {
            "place": city.happy.pk,
            "title": "居民自治章程",
            "text": "全文",
            "adopted_by": "居民会议",
            "adopted_on": "2025-01-05",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1
    response = client.post(
        v1("departure-audit-list"),
        {
            "place": city.happy.pk,
            "cadre_name": "钱主任",
            "post": "居委会主任",
            "period_start": "2021-01-01",
            "period_end": "2020-01-01",
            "auditor": "审计组",
            "findings": "无",
            "result": "clean",
            "summary": "无问题",
        },
        format="json",
    )
    assert response.status_code == 400 and "period_end" in response.json()["errors"]
    row = decisions_sample(city)["audit"]
    response = client.post(v1("departure-audit-publish", pk=row.pk))
    assert response.status_code == 200 and response.json()["published_at"]
    assert client.post(v1("departure-audit-publish", pk=row.pk)).status_code == 400


READS = [
    ("resolution-list", None),
    ("resolution-detail", "matter"),
    ("resolution-tally", "matter"),
    ("charter-list", None),
    ("charter-detail", "charter"),
    ("departure-audit-list", None),
    ("departure-audit-detail", "audit"),
]


def test_who_reads(city, personas):
    sample = decisions_sample(city)
    for persona in ALL:
        client = client_for(personas[persona])
        for name, key in READS:
            url = v1(name, pk=sample[key].pk) if key else v1(name)
            response = client.get(url)
            if persona in VIEWERS:
                expected = 200
            elif key:
                expected = 404  # out of scope answers like missing
            else:
                expected = 200 if persona == "outsider" else 403
            assert response.status_code == expected, (name, persona, response.status_code)
            if persona == "outsider" and not key:
                assert response.json()["results"] == []


def _writes(sample, city):
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    matter, rep, row = sample["matter"], sample["representative"], sample["audit"]
    return [
        (v1("resolution-list"), {"place": city.happy.pk, "title": "x", "category": "other"}),
        (
            v1("resolution-stage", pk=matter.pk),
            {"stage": "decision", "held_on": yesterday, "entitled": 35, "present": 35, "votes_for": 35},
        ),
        (v1("resolution-skip", pk=matter.pk), {"reason": "x"}),
        (v1("resolution-resolution", pk=matter.pk), {"text": "x"}),
        (v1("resolution-result", pk=matter.pk), {"text": "x"}),
        (v1("resolution-votes", pk=matter.pk), {"representative": rep.pk, "choice": "for"}),
        (v1("resolution-ballot-codes", pk=matter.pk), {}),
        (
            v1("charter-list"),
            {
                "place": city.happy.pk,
                "title": "x",
                "text": "x",
                "adopted_by": "x",
                "adopted_on": "2025-01-01",
            },
        ),
        (
            v1("departure-audit-list"),
            {
                "place": city.happy.pk,
                "cadre_name": "x",
                "post": "x",
                "period_start": "2021-01-01",
                "period_end": "2022-01-01",
                "auditor": "x",
                "findings": "x",
                "result": "clean",
                "summary": "x",
            },
        ),
        (v1("departure-audit-publish", pk=row.pk), {}),
    ]


def test_denied_writes_change_nothing(city, personas):
    sample = decisions_sample(city)
    clients = {persona: client_for(personas[persona]) for persona in sorted(set(ALL) - RECORDERS)}
    before = state()
    for persona, client in clients.items():
        for url, data in _writes(sample, city):
            response = client.post(url, data, format="json")
            # Collections: 403 (or 400: the outsider may not name 幸福社区); rows: 403 in scope, 404 outside.
            assert response.status_code in (400, 403, 404), (url, persona, response.status_code)
            if persona in VIEWERS and url not in (
                v1("resolution-list"),
                v1("charter-list"),
                v1("departure-audit-list"),
            ):
                assert response.status_code == 403, (url, persona)
            if persona == "outsider" and "/resolutions/" in url and url != v1("resolution-list"):
                assert response.status_code == 404
    assert state() == before
    # The same calls by a recorder do change things (the denial above is not an accident of the data).
    response = client_for(personas["committee_member"]).post(*_writes(sample, city)[0], format="json")
    assert response.status_code == 201


def test_anonymous_gets_nothing(city, personas):
    sample = decisions_sample(city)
    for name, key in READS:
        url = v1(name, pk=sample[key].pk) if key else v1(name)
        assert APIClient().get(url).status_code in (401, 403)
