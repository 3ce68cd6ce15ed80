"""API access of the disputes module: every route by role, and denials change nothing."""

import datetime as dt

import pytest

from lianxin.core.models import AuditEntry, Notification
from lianxin.disputes.models import Dispute, Incident, Level, ScreeningCheck

from .conftest import city_per_module
from .matrix_disputes import HANDLERS, REPORTERS, VIEWERS
from .test_disputes import disputes_sample
from .test_registry_pages import registry_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

ROLES = [
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


def _expect(ok: set, role: str, *, hidden=None) -> int:
    """Collections: 403 for those who may not; objects: 404 for those who cannot see the row."""
    if role in ok:
        return 200
    if hidden is not None:
        return 404
    return 403


def _state():
    return (
        Dispute.objects.count(),
        list(Dispute.objects.values_list("level", "status").order_by("pk")),
        ScreeningCheck.objects.count(),
        Incident.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_read_routes_by_role(client, city, personas, role):
    sample = disputes_sample(city)
    client.force_login(personas[role])
    collection = VIEWERS | {"outsider"}
    cases = [
        ("/api/v1/disputes/", _expect(collection, role)),
        (f"/api/v1/disputes/{sample['dispute'].pk}/", _expect(VIEWERS, role, hidden=True)),
        ("/api/v1/disputes/metrics/?start=2026-01-01&end=2026-12-31", _expect(collection, role)),
        ("/api/v1/screenings/", _expect(collection, role)),
        (f"/api/v1/screenings/{sample['campaign'].pk}/", _expect(VIEWERS, role, hidden=True)),
        ("/api/v1/incidents/", _expect(collection, role)),
        (f"/api/v1/incidents/{sample['incident'].pk}/", _expect(VIEWERS, role, hidden=True)),
        ("/api/v1/patrols/", _expect(collection, role)),
        (f"/api/v1/patrols/{sample['zone'].pk}/", _expect(VIEWERS, role, hidden=True)),
        ("/api/v1/care-plans/", 200),
        ("/api/v1/care-plans/1/", 404),
    ]
    before = _state()
    for url, expected in cases:
        response = client.get(url)
        assert response.status_code == expected, f"{url} as {role}: {response.status_code}"
    assert _state() == before


@pytest.mark.parametrize("role", ROLES)
def test_write_routes_by_role_and_denial_changes_nothing(
    client, city, personas, role, django_capture_on_commit_callbacks
):
    sample = disputes_sample(city)
    household = registry_sample(city)["household"]
    client.force_login(personas[role])
    dispute = sample["dispute"]
    before = _state()
    with django_capture_on_commit_callbacks(execute=True):
        escalate = client.post(
            f"/api/v1/disputes/{dispute.pk}/escalate/",
            {"reason": "社区调解未果"},
            content_type="application/json",
        )
    if role in HANDLERS:
        assert escalate.status_code == 200 and escalate.json()["level"] == Level.SUBDISTRICT
        assert Notification.objects.filter(recipient=personas["subdistrict_officer"]).exists()
        hand_back = client.post(
            f"/api/v1/disputes/{dispute.pk}/hand-back/", {"reason": "x"}, content_type="application/json"
        )
        assert hand_back.status_code == 403  # the community cannot hand back what the subdistrict holds
        client.force_login(personas["subdistrict_officer"])
        back = client.post(
            f"/api/v1/disputes/{dispute.pk}/hand-back/",
            {"reason": "请社区继续调解"},
            content_type="application/json",
        )
        assert back.status_code == 200 and back.json()["level"] == Level.COMMUNITY
    else:
        expected = 404 if role in {"outsider", "assistant", "sysadmin", "party_member", "resident"} else 403
        assert escalate.status_code == expected, escalate.content
        assert _state() == before
    # Recording a screening (the campaign's grid worker, and the community's handlers).
    client.force_login(personas[role])
    before = _state()
    record = client.post(
        f"/api/v1/screenings/{sample['campaign'].pk}/record/",
        {"household": household.pk, "result": "found", "finding": "漏水纠纷", "dispute_type": "neighbour"},
        content_type="application/json",
    )
    if role in HANDLERS:
        assert record.status_code == 201 and record.json()["dispute"]
    else:
        assert record.status_code in (403, 404)
        assert _state() == before
    # Reporting an incident.
    before = _state()
    report = client.post(
        "/api/v1/incidents/",
        {
            "place": city.happy_building.pk,
            "incident_type": "traffic",
            "severity": "general",
            "description": "小区门口两车相撞",
            "people_affected": 2,
        },
        content_type="application/json",
    )
    if role in REPORTERS:
        assert report.status_code == 201, report.content
    else:
        assert report.status_code in (400, 403), report.content
        assert _state() == before


def test_dispute_create_through_the_api(client, city, personas):
    sample = registry_sample(city)
    client.force_login(personas["grid_worker"])
    response = client.post(
        "/api/v1/disputes/",
        {
            "place": city.happy_building.pk,
            "dispute_type": "wages",
            "title": "装修工人讨薪",
            "description": "装修队拖欠三名工人工资",
            "source": "direct",
            "parties": [{"resident": sample["head"].pk, "side": "respondent"}, {"name": "工人甲"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["level"] == "community" and [p["display_name"] for p in body["parties"]] == ["张三", "工人甲"]
    bad = client.post(
        "/api/v1/disputes/",
        {
            "place": city.happy_building.pk,
            "dispute_type": "wages",
            "title": "x",
            "description": "x",
            "source": "police",
            "parties": [{"name": "甲"}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "police_reference" in bad.json()["errors"]


def test_metrics_api(client, city, personas):
    grid = personas["grid_worker"]
    from lianxin.disputes import services

    d = services.dispute_create(
        actor=grid,
        place=city.happy_building,
        dispute_type="neighbour",
        title="t",
        description="d",
        source="direct",
        parties=[{"name": "甲"}],
        reported_on=dt.date(2026, 3, 2),
    )
    services.dispute_close(
        actor=grid, dispute=d, outcome="withdrawn", note="撤回", closed_on=dt.date(2026, 3, 4)
    )
    client.force_login(personas["subdistrict_officer"])
    body = client.get("/api/v1/disputes/metrics/", {"start": "2026-03-01", "end": "2026-03-31"}).json()
    assert (
        body["all"]["closed"] == 1
        and body["all"]["community_share"] == 100.0
        and body["all"]["average_days"] == 2.0
    )
    assert body["by_type"][0]["key"] == "neighbour"
