"""Disputes, incidents, patrols and care of special groups (D7, D2 special groups)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.models import User
from lianxin.core.models import AuditEntry, Notification
from lianxin.disputes import selectors, services
from lianxin.disputes.models import (
    CheckResult,
    Dispute,
    DisputeStatus,
    DisputeType,
    Incident,
    IncidentType,
    Level,
    MediationType,
    Mode,
    PatrolShift,
    Risk,
    Severity,
    Source,
    TeamKind,
)
from lianxin.registry import special_care
from lianxin.registry.models import SpecialCareGroup

from .test_registry_pages import registry_sample

PDF = ("协议书.pdf", b"%PDF-1.4 mediation agreement")
PNG = ("scene.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def _user(name):
    return User.objects.get(username=name)


def _dispute(actor, place, *, title="邻里漏水纠纷", dtype=DisputeType.NEIGHBOUR, reported_on=None, **kw):
    return services.dispute_create(
        actor=actor,
        place=place,
        dispute_type=dtype,
        title=title,
        description="楼上漏水，楼下受损，双方就赔偿争执不下。",
        source=kw.pop("source", Source.DIRECT),
        parties=kw.pop("parties", [{"name": "王五", "phone": "13900000000"}, {"name": "赵六"}]),
        reported_on=reported_on,
        **kw,
    )


def disputes_sample(city):
    """One of each: a dispute in 幸福社区's building, a screening (the grid worker screens), an
    incident reported by the grid worker, a mediator, a patrol team with a zone in the grid and a plan."""
    sample = getattr(city, "_disputes_sample", None)
    if sample is not None:
        return sample
    secretary, grid = _user("secretary"), _user("grid")
    dispute = _dispute(secretary, city.happy_building)
    campaign = services.screening_create(
        actor=secretary,
        place=city.happy,
        title="2026年第四季度矛盾纠纷排查",
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 12, 31),
        screeners=[(grid, city.happy_grid)],
        units="幸福超市\n幸福物业",
    )
    incident = services.incident_report(
        actor=grid,
        place=city.happy_building,
        incident_type=IncidentType.PROPERTY,
        severity=Severity.GENERAL,
        description="业主与物业发生争执，围观十余人。",
        people_affected=12,
    )
    mediator = services.mediator_create(
        actor=secretary,
        place=city.happy,
        name="周调解",
        elected_on=dt.date(2024, 3, 1),
        election_reference="居民代表会议决议〔2024〕3号",
        term_start=dt.date(2024, 3, 1),
        term_end=dt.date(2027, 2, 28),
    )
    team = services.team_create(
        actor=secretary,
        place=city.happy,
        name="幸福社区义务巡逻队",
        kind=TeamKind.PATROL,
        members=[{"name": "巡逻员甲"}, {"name": "巡逻员乙"}],
    )
    zone = services.zone_create(actor=secretary, team=team, place=city.happy_grid, name="第一网格责任区")
    plan = services.plan_create(
        actor=secretary,
        place=city.happy,
        incident_type=IncidentType.PROPERTY,
        title="物业纠纷预案",
        body="一、…",
    )
    sample = {
        "dispute": dispute,
        "campaign": campaign,
        "incident": incident,
        "mediator": mediator,
        "team": team,
        "zone": zone,
        "plan": plan,
    }
    city._disputes_sample = sample
    return sample


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and its after-commit callbacks (the notifications), as a request would."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


# --- escalation and metrics on a known data set ------------------------------------------------------


def _close(actor, dispute, outcome, on):
    return services.dispute_close(
        actor=actor,
        dispute=dispute,
        outcome=outcome,
        note="双方签订调解协议" if outcome == DisputeStatus.AGREEMENT else "已处理",
        document=PDF if outcome == DisputeStatus.AGREEMENT else None,
        closed_on=on,
    )


@pytest.fixture
def known(city, personas, django_capture_on_commit_callbacks):
    """Seven disputes reported on Monday 2 March 2026 (no holiday in March 2026):

    幸福社区: D1 agreement in the community (4 working days), D2 withdrawn in the community (5),
    D3 escalated to the subdistrict and settled there (10), D4 up to the district and handed back
    to the subdistrict, settled (9), D5 referred to court by the community (1), D6 escalated, open.
    团结社区 (西街): D7 agreement in the community (2).
    """
    with django_capture_on_commit_callbacks(execute=True):
        return _known(city, personas)


def _known(city, personas):
    grid, east, district = (
        personas["grid_worker"],
        personas["subdistrict_officer"],
        personas["district_officer"],
    )
    outsider = personas["outsider"]
    day = dt.date(2026, 3, 2)
    d = {}
    d[1] = _dispute(grid, city.happy_building, title="D1", reported_on=day)
    _close(grid, d[1], DisputeStatus.AGREEMENT, dt.date(2026, 3, 6))
    d[2] = _dispute(grid, city.happy_building, title="D2", reported_on=day)
    _close(grid, d[2], DisputeStatus.WITHDRAWN, dt.date(2026, 3, 9))
    d[3] = _dispute(grid, city.happy_building, title="D3", dtype=DisputeType.WAGES, reported_on=day)
    services.dispute_escalate(actor=grid, dispute=d[3], reason="涉及多名务工人员，社区无法协调")
    _close(east, d[3], DisputeStatus.AGREEMENT, dt.date(2026, 3, 16))
    d[4] = _dispute(grid, city.happy_building, title="D4", dtype=DisputeType.DEMOLITION, reported_on=day)
    services.dispute_escalate(actor=grid, dispute=d[4], reason="拆迁补偿标准争议")
    services.dispute_escalate(actor=east, dispute=d[4], reason="需区征收办会诊")
    services.dispute_hand_back(actor=district, dispute=d[4], reason="已明确政策口径，交街道落实")
    _close(east, d[4], DisputeStatus.AGREEMENT, dt.date(2026, 3, 13))
    d[5] = _dispute(grid, city.happy_building, title="D5", dtype=DisputeType.FAMILY, reported_on=day)
    _close(grid, d[5], DisputeStatus.COURT, dt.date(2026, 3, 3))
    d[6] = _dispute(grid, city.happy_building, title="D6", dtype=DisputeType.PROPERTY, reported_on=day)
    services.dispute_escalate(actor=grid, dispute=d[6], reason="物业公司拒不配合")
    d[7] = _dispute(outsider, city.unity_grid, title="D7", reported_on=day)
    _close(outsider, d[7], DisputeStatus.AGREEMENT, dt.date(2026, 3, 4))
    return {k: Dispute.objects.get(pk=v.pk) for k, v in d.items()}


def test_metrics_on_a_known_data_set(known, personas):
    m = selectors.dispute_metrics(
        actor=personas["district_officer"], start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)
    )
    a = m.all
    assert (a.total, a.open, a.closed) == (7, 1, 6)
    assert (a.community, a.subdistrict, a.beyond) == (3, 1, 2)  # D1 D2 D7 · D3 · D4 (district) D5 (court)
    assert (a.community_share, a.subdistrict_share, a.beyond_share) == (50.0, 16.7, 33.3)
    assert a.within_subdistrict_share == 66.7
    assert sorted(a.days) == [1, 2, 4, 5, 9, 10]
    assert a.average_days == 5.2 and a.median_days == 4.5
    by_type = {code: t for _label, code, t in m.by_type}
    assert (by_type["neighbour"].total, by_type["neighbour"].community_share) == (3, 100.0)
    assert by_type["demolition"].beyond_share == 100.0 and by_type["property"].closed == 0
    by_place = {label: t for label, _code, t in m.by_place}
    assert set(by_place) == {"幸福社区", "团结社区"}
    assert (
        by_place["幸福社区"].total,
        by_place["幸福社区"].closed,
        by_place["幸福社区"].community_share,
    ) == (6, 5, 40.0)
    assert by_place["团结社区"].average_days == 2.0

    # The subdistrict sees its own communities only.
    east = selectors.dispute_metrics(
        actor=personas["subdistrict_officer"], start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)
    ).all
    assert (east.total, east.closed, east.community_share, east.subdistrict_share, east.beyond_share) == (
        6,
        5,
        40.0,
        20.0,
        40.0,
    )
    assert east.average_days == 5.8


def test_escalation_levels_and_hand_back(known, personas, committed):
    d4, d6 = known[4], known[6]
    assert (d4.level, d4.max_level, d4.closed_level) == (
        Level.SUBDISTRICT,
        Level.DISTRICT,
        Level.SUBDISTRICT,
    )
    kinds = list(d4.events.values_list("kind", "from_level", "to_level"))
    assert kinds[1:4] == [
        ("escalated", "community", "subdistrict"),
        ("escalated", "subdistrict", "district"),
        ("handed_back", "district", "subdistrict"),
    ]
    assert d4.agreement_file and d4.agreement_extension == ".pdf"
    # D6 is at the subdistrict: the community (grid worker, secretary) can no longer act on it.
    assert d6.level == Level.SUBDISTRICT and d6.status == DisputeStatus.REGISTERED
    for role in ("grid_worker", "community_secretary"):
        with pytest.raises(PermissionDenied):
            services.dispute_escalate(actor=personas[role], dispute=d6, reason="再上报")
    # The subdistrict officer was told, with the reason.
    note = Notification.objects.get(recipient=personas["subdistrict_officer"], title__contains="D6")
    assert note.body == "物业公司拒不配合"
    # A reason is required and nothing changes without one.
    with pytest.raises(ValidationError) as exc:
        services.dispute_escalate(actor=personas["subdistrict_officer"], dispute=d6, reason="  ")
    assert "reason" in exc.value.message_dict
    assert Dispute.objects.get(pk=d6.pk).level == Level.SUBDISTRICT
    # Up to the district: the subdistrict officer may not act there, nor hand it back.
    committed(
        services.dispute_escalate, actor=personas["subdistrict_officer"], dispute=d6, reason="涉及区属企业"
    )
    with pytest.raises(PermissionDenied):
        services.dispute_hand_back(actor=personas["subdistrict_officer"], dispute=d6, reason="退回")
    assert Notification.objects.filter(recipient=personas["district_officer"], title__contains="D6").exists()
    with pytest.raises(ValidationError):
        services.dispute_escalate(actor=personas["district_officer"], dispute=d6, reason="更高")
    # Handed back twice, it is with the community again, but it did reach the district.
    services.dispute_hand_back(actor=personas["district_officer"], dispute=d6, reason="交街道")
    committed(services.dispute_hand_back, actor=personas["subdistrict_officer"], dispute=d6, reason="交社区")
    d6.refresh_from_db()
    assert (d6.level, d6.max_level) == (Level.COMMUNITY, Level.DISTRICT)
    assert Notification.objects.filter(recipient=personas["grid_worker"], title__contains="D6").exists()
    # The outsider (another subdistrict's community) never sees it.
    with pytest.raises(Http404):
        services.dispute_escalate(actor=personas["outsider"], dispute=d6, reason="x")


def test_escalated_tab_lists_what_the_level_takes(known, personas):
    east = {d.title for d in selectors.escalated_to(actor=personas["subdistrict_officer"])}
    assert east == {"D6"}
    assert not selectors.escalated_to(actor=personas["district_officer"]).exists()


def test_five_ones_deadline_in_working_days(city, personas, time_machine, committed):
    time_machine.move_to(dt.datetime(2026, 9, 29, 9, 0))
    secretary, grid = personas["community_secretary"], personas["grid_worker"]
    dispute = _dispute(grid, city.happy_building, reported_on=dt.date(2026, 9, 29))
    mediator = services.mediator_create(
        actor=secretary,
        place=city.happy,
        name="周调解",
        elected_on=dt.date(2024, 3, 1),
        election_reference="居民代表会议决议〔2024〕3号",
        term_start=dt.date(2024, 3, 1),
        term_end=dt.date(2027, 2, 28),
    )
    dispute = committed(
        services.dispute_arrange,
        actor=grid,
        dispute=dispute,
        mode=Mode.ON_SITE,
        mediation_type=MediationType.PEOPLE,
        leader=secretary,
        team=[grid],
        mediators=[mediator],
        plan="先行勘查漏点，再组织双方协商",
        due_days=3,
    )
    # 30 Sept is a working day, 1–7 Oct the National Day holiday, 8 Oct … (2026 official calendar).
    assert dispute.status == DisputeStatus.HANDLING and dispute.has_five
    assert dispute.due_on > dt.date(2026, 10, 7)
    assert Notification.objects.filter(recipient=secretary, title__contains=dispute.number).exists()
    assert selectors.mediator_list(actor=secretary).get(pk=mediator.pk).cases == 1
    # The leader must be able to handle disputes there.
    with pytest.raises(ValidationError) as exc:
        services.dispute_arrange(
            actor=grid,
            dispute=dispute,
            mode=Mode.DESK,
            mediation_type=MediationType.PEOPLE,
            leader=personas["outsider"],
            plan="x",
            due_days=5,
        )
    assert "leader" in exc.value.message_dict


def test_register_rules_and_sources(city, personas):
    grid = personas["grid_worker"]
    sample = registry_sample(city)
    with pytest.raises(ValidationError) as exc:
        _dispute(grid, city.happy_building, source=Source.POLICE)
    assert "police_reference" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _dispute(grid, city.happy_building, parties=[])
    assert "parties" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        _dispute(grid, city.happy)  # the community is above the grid worker's grid
    d = _dispute(
        grid,
        city.happy_building,
        source=Source.POLICE,
        police_reference="东街派出所转〔2026〕12号",
        parties=[{"resident": sample["head"]}, {"name": "外来务工人员甲"}],
        risk=Risk.HIGH,
    )
    parties = list(d.parties.all())
    assert parties[0].display_name == "张三" and not parties[0].is_outsider and parties[1].is_outsider
    # High risk: the community's handlers hear of it after commit (not the grid worker who recorded it).
    assert AuditEntry.objects.filter(action="disputes.create", object_id=str(d.pk)).exists()
    # A resident from another community is refused.
    with pytest.raises(ValidationError):
        _dispute(personas["outsider"], city.unity_grid, parties=[{"resident": sample["head"]}])


def test_close_needs_the_agreement_document_and_follow_up(city, personas):
    grid = personas["grid_worker"]
    d = _dispute(grid, city.happy_building)
    with pytest.raises(ValidationError) as exc:
        services.dispute_close(actor=grid, dispute=d, outcome=DisputeStatus.AGREEMENT, note="已调解")
    assert "document" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.dispute_close(
            actor=grid,
            dispute=d,
            outcome=DisputeStatus.AGREEMENT,
            note="已调解",
            document=("a.txt", b"hello"),
        )
    assert Dispute.objects.get(pk=d.pk).status == DisputeStatus.REGISTERED
    d = services.dispute_close(
        actor=grid, dispute=d, outcome=DisputeStatus.AGREEMENT, note="已调解", document=PDF
    )
    with pytest.raises(ValidationError):
        services.dispute_close(actor=grid, dispute=d, outcome=DisputeStatus.WITHDRAWN, note="again")
    follow = services.dispute_follow_up(
        actor=grid, dispute=d, visited_on=d.closed_on, kept=False, note="赔偿未付清"
    )
    assert not follow.kept and d.events.filter(kind="follow_up").count() == 1


def test_screening_finding_goes_into_the_register_without_retyping(city, personas):
    sample = registry_sample(city)
    grid = personas["grid_worker"]
    campaign = disputes_sample(city)["campaign"]
    assert selectors.screening_get(actor=grid, pk=campaign.pk) == campaign  # a screener sees the campaign
    check = services.screening_record(
        actor=grid,
        campaign=campaign,
        household=sample["household"],
        result=CheckResult.FOUND,
        finding="与邻居因停车位长期争吵\n已有肢体冲突苗头",
        dispute_type=DisputeType.NEIGHBOUR,
        risk=Risk.MEDIUM,
    )
    dispute = check.dispute
    assert dispute.source == Source.SCREENING and dispute.description == check.finding
    assert dispute.title == "与邻居因停车位长期争吵" and dispute.risk == Risk.MEDIUM
    assert [p.resident_id for p in dispute.parties.all()] == [sample["head"].pk]
    assert dispute.place_id == sample["household"].place_id
    services.screening_record(actor=grid, campaign=campaign, unit_name="幸福超市", result=CheckResult.CLEAR)
    coverage = selectors.screening_coverage(campaign)
    assert (coverage.households, coverage.households_checked, coverage.share) == (1, 1, 100.0)
    assert (coverage.units, coverage.units_checked, coverage.findings) == (2, 1, 1)
    # Read with another campaign of the same area (the list pages read a page of campaigns at once):
    # each keeps its own checks.
    later = services.screening_create(
        actor=personas["community_secretary"],
        place=city.happy,
        title="2027年第一季度矛盾纠纷排查",
        starts_on=dt.date(2027, 1, 4),
        ends_on=dt.date(2027, 3, 31),
        screeners=[(grid, city.happy_grid)],
        units="幸福超市",
    )
    both = selectors.screening_coverages([later, campaign])
    assert both[campaign.pk] == coverage
    assert (both[later.pk].households, both[later.pk].households_checked, both[later.pk].findings) == (
        1,
        0,
        0,
    )
    assert (both[later.pk].units, both[later.pk].units_checked) == (1, 0)
    with pytest.raises(ValidationError):  # once per campaign
        services.screening_record(
            actor=grid, campaign=campaign, household=sample["household"], result="clear"
        )


# --- patrol rota --------------------------------------------------------------------------------------


def test_rota_flags_a_night_shift_with_nobody(city, personas):
    sample = disputes_sample(city)
    zone, grid = sample["zone"], personas["grid_worker"]
    a, b = list(sample["team"].members.all())
    day = dt.date(2026, 12, 1)
    services.shift_set(actor=grid, zone=zone, day=day, start_hour=0, end_hour=8, members=[])
    services.shift_set(actor=grid, zone=zone, day=day, start_hour=8, end_hour=16, members=[a])
    services.shift_set(actor=grid, zone=zone, day=day, start_hour=16, end_hour=24, members=[b])
    assert services.rota_gaps(zone, day) == [{"start": 0, "end": 8, "reason": "nobody"}]
    # Someone takes the night: covered around the clock.
    services.shift_set(actor=grid, zone=zone, day=day, start_hour=0, end_hour=8, members=[b])
    assert services.rota_gaps(zone, day) == []
    # A day whose night has no shift at all.
    other = day + dt.timedelta(days=1)
    services.shift_set(actor=grid, zone=zone, day=other, start_hour=6, end_hour=22, members=[a])
    assert services.rota_gaps(zone, other) == [
        {"start": 0, "end": 6, "reason": "no_shift"},
        {"start": 22, "end": 24, "reason": "no_shift"},
    ]
    with pytest.raises(ValidationError):
        services.shift_set(actor=grid, zone=zone, day=other, start_hour=20, end_hour=24, members=[b])
    assert PatrolShift.objects.filter(day=other).count() == 1


def test_rota_page_and_api_show_the_gap(client, city, personas):
    sample = disputes_sample(city)
    zone = sample["zone"]
    day = dt.date(2026, 12, 1)
    a = sample["team"].members.first()
    services.shift_set(
        actor=personas["grid_worker"], zone=zone, day=day, start_hour=0, end_hour=8, members=[]
    )
    services.shift_set(
        actor=personas["grid_worker"], zone=zone, day=day, start_hour=8, end_hour=24, members=[a]
    )
    client.force_login(personas["grid_worker"])
    page = client.get(reverse("disputes_zone", args=[zone.pk]), {"from": "2026-12-01"}).content.decode()
    assert 'data-day="2026-12-01"' in page and "0:00–8:00" in page
    response = client.get(f"/api/v1/patrols/{zone.pk}/", {"day": "2026-12-01"})
    assert response.json()["gaps"] == [{"start": 0, "end": 8, "reason": "nobody"}]


# --- incidents: notified in the same request, after commit ------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_incident_report_notifies_superiors_after_commit_in_the_same_request(
    client, city, personas, monkeypatch
):
    seen = []
    real_notify = services.notify

    def spy(**kwargs):
        # When the superiors are told, the report is committed: no transaction is open, and
        # the incident can be read from the database.
        seen.append((transaction.get_connection().in_atomic_block, Incident.objects.count()))
        return real_notify(**kwargs)

    monkeypatch.setattr(services, "notify", spy)
    client.force_login(personas["grid_worker"])
    response = client.post(
        reverse("disputes_incident_report"),
        {
            "idempotency_key": "k-1",
            "incident_type": IncidentType.MASS,
            "severity": Severity.GENERAL,
            "place": city.happy_building.pk,
            "location": "1号楼下",
            "people_affected": "30",
            "description": "三十余名业主聚集要求物业退费",
            "photos": [_upload(PNG)],
        },
    )
    # When the response returns, the notifications already exist.
    assert response.status_code == 302, response.content
    incident = Incident.objects.get()
    assert response.url == reverse("disputes_incident", args=[incident.pk])
    assert seen == [(False, 1)]
    told = set(
        Notification.objects.filter(dedupe_key=f"disputes.incident:{incident.pk}").values_list(
            "recipient__username", flat=True
        )
    )
    # The community's incident handlers and the subdistrict; a general one does not go to the district.
    assert told == {"secretary", "committee", "staff", "east"}
    assert incident.photos.count() == 1 and incident.people_affected == 30
    # Resending the form (same key) reports nothing new and tells nobody again.
    client.post(
        reverse("disputes_incident_report"),
        {
            "idempotency_key": "k-1",
            "incident_type": IncidentType.MASS,
            "severity": Severity.GENERAL,
            "place": city.happy_building.pk,
            "people_affected": "30",
            "description": "三十余名业主聚集要求物业退费",
        },
    )
    assert Incident.objects.count() == 1 and len(seen) == 1


def _upload(pair):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(pair[0], pair[1], content_type="image/png")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_incident_report_notifies_nobody(city, personas):
    grid = personas["grid_worker"]
    with pytest.raises(RuntimeError), transaction.atomic():
        services.incident_report(
            actor=grid,
            place=city.happy_building,
            incident_type=IncidentType.FIRE,
            severity=Severity.MAJOR,
            description="电动车起火",
        )
        raise RuntimeError("the caller's transaction fails after the report")
    assert Incident.objects.count() == 0 and Notification.objects.count() == 0
    with pytest.raises(ValidationError):
        services.incident_report(
            actor=grid,
            place=city.happy_building,
            incident_type="flood?",
            severity=Severity.MAJOR,
            description="x",
        )
    assert Notification.objects.count() == 0
    # A major one goes up to the district too.
    services.incident_report(
        actor=grid,
        place=city.happy_building,
        incident_type=IncidentType.FIRE,
        severity=Severity.MAJOR,
        description="电动车起火",
    )
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"secretary", "committee", "staff", "east", "district"}


def test_incident_log_and_plans(city, personas):
    sample = disputes_sample(city)
    incident, grid = sample["incident"], personas["grid_worker"]
    assert list(services.plans_for(incident)) == [sample["plan"]]
    services.incident_log_add(actor=grid, incident=incident, text="已联系物业经理到场")
    with pytest.raises(PermissionDenied):  # the reporter logs, an incident handler closes
        services.incident_log_add(actor=grid, incident=incident, text="结束", close=True)
    services.incident_log_add(actor=personas["staff"], incident=incident, text="双方已散去", close=True)
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.log.count() == 3
    with pytest.raises(PermissionDenied):
        services.incident_report(
            actor=personas["supervisor"],
            place=city.happy,
            incident_type=IncidentType.OTHER,
            severity=Severity.GENERAL,
            description="x",
        )


# --- care of special groups: need-to-know, every read audited ------------------------------------------------


@pytest.fixture
def care(city, personas):
    sample = registry_sample(city)
    secretary, grid, staff = personas["community_secretary"], personas["grid_worker"], personas["staff"]
    mine = special_care.record_create(
        actor=secretary, resident=sample["head"], group=SpecialCareGroup.RELEASED_PRISONER, details="刑满释放"
    )
    other = special_care.record_create(
        actor=secretary,
        resident=sample["spouse"],
        group=SpecialCareGroup.DRUG_REHABILITATION,
        details="社区康复",
    )
    special_care.assignment_grant(actor=secretary, user=grid, record=mine, reason="网格员帮教")
    special_care.assignment_grant(
        actor=secretary,
        user=staff,
        group=SpecialCareGroup.DRUG_REHABILITATION,
        place=city.happy,
        reason="禁毒专干",
    )
    plan_mine = services.care_plan_create(
        actor=grid, record=mine, leader=grid, goals="稳定就业", measures="每月走访一次，联系就业培训"
    )
    plan_other = services.care_plan_create(
        actor=staff, record=other, leader=staff, goals="保持操守", measures="定期尿检提醒，家属配合"
    )
    return {"mine": mine, "other": other, "plan_mine": plan_mine, "plan_other": plan_other}


def test_grid_worker_sees_only_assigned_care_records_and_every_read_is_audited(client, care, personas):
    grid = personas["grid_worker"]
    client.force_login(grid)
    before = AuditEntry.objects.count()
    # Outside the assignment: 404 (page and API), like a missing record.
    assert client.get(reverse("disputes_care_plan", args=[care["plan_other"].pk])).status_code == 404
    assert client.get(f"/api/v1/care-plans/{care['plan_other'].pk}/").status_code == 404
    with pytest.raises(Http404):
        services.care_contact_add(
            actor=grid, plan=care["plan_other"], contacted_on=dt.date(2026, 11, 1), method="visit"
        )
    assert AuditEntry.objects.count() == before
    # The list shows her plan only, and the read is audited with exactly the ids shown.
    page = client.get(reverse("disputes_care"))
    assert page.status_code == 200
    assert "保持操守" not in page.content.decode()
    listed = AuditEntry.objects.filter(action="care_plan.list", actor=grid).latest("seq")
    assert listed.after["plans"] == [care["plan_mine"].pk] and listed.reason
    # The detail, on the page and through the API: each read audited.
    assert client.get(reverse("disputes_care_plan", args=[care["plan_mine"].pk])).status_code == 200
    response = client.get(f"/api/v1/care-plans/{care['plan_mine'].pk}/", {"purpose": "月度帮教"})
    assert response.status_code == 200 and response.json()["goals"] == "稳定就业"
    views = AuditEntry.objects.filter(
        action="care_plan.view", actor=grid, object_id=str(care["plan_mine"].pk)
    )
    assert views.count() == 2 and "月度帮教" in set(views.values_list("reason", flat=True))
    api_list = client.get("/api/v1/care-plans/").json()
    assert [row["id"] for row in api_list["results"]] == [care["plan_mine"].pk]
    # Without an assignment (the secretary grants but is not assigned): nothing, and nothing read.
    client.force_login(personas["community_secretary"])
    before = AuditEntry.objects.count()
    assert client.get(f"/api/v1/care-plans/{care['plan_mine'].pk}/").status_code == 404
    assert client.get("/api/v1/care-plans/").json()["results"] == []
    assert AuditEntry.objects.count() == before


def test_care_plans_page_and_api_read_the_assignments_once(client, care, personas):
    """The page lists the plans and the records without one; the API lists the plans. Each reads the
    person's assignments once for its rows (the page's menu asks once more), not once per list."""
    client.force_login(personas["staff"])
    plan = care["plan_other"]
    for url, shown, most in (
        (reverse("disputes_care"), reverse("disputes_care_plan", args=[plan.pk]), 2),
        ("/api/v1/care-plans/", f'"id":{plan.pk},', 1),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200 and shown in response.content.decode()
        reads = [
            q["sql"] for q in queries.captured_queries if 'FROM "registry_specialcareassignment"' in q["sql"]
        ]
        assert len(reads) == most, (url, reads)


def test_care_plan_closes_to_a_revoked_assignment(care, personas):
    grid = personas["grid_worker"]
    assignment = grid.special_care_assignments.get(ended_at__isnull=True)
    special_care.assignment_revoke(actor=personas["community_secretary"], assignment=assignment)
    with pytest.raises(Http404):
        selectors.care_plan_get(actor=grid, pk=care["plan_mine"].pk, purpose="x")


def test_care_plan_helpers_must_be_assigned(city, care, personas):
    with pytest.raises(ValidationError) as exc:
        services.care_plan_create(
            actor=personas["staff"],
            record=care["other"],
            leader=personas["staff"],
            helpers=[personas["grid_worker"]],
            goals="x",
            measures="y",
        )
    assert "helpers" in exc.value.message_dict


# --- metrics export -------------------------------------------------------------------------------------------


def test_metrics_export_is_audited_text_excel(client, known, personas):
    from lianxin.core.spreadsheets import raw_rows

    client.force_login(personas["subdistrict_officer"])
    response = client.post(reverse("disputes_metrics_export"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200
    rows = list(raw_rows(response.content, "xlsx"))
    assert tuple(rows[1][2][1:10]) == ("6", "5", "2", "40.0", "1", "20.0", "2", "40.0", "5.8")
    assert AuditEntry.objects.filter(
        action="export.dispute_metrics", actor=personas["subdistrict_officer"]
    ).exists()
    client.force_login(personas["grid_worker"])
    before = AuditEntry.objects.count()
    assert client.post(reverse("disputes_metrics_export")).status_code == 403
    assert AuditEntry.objects.count() == before


def test_pages_render(client, city, personas):
    sample = disputes_sample(city)
    client.force_login(personas["community_secretary"])
    for name, args in [
        ("disputes", []),
        ("disputes_detail", [sample["dispute"].pk]),
        ("disputes_arrange", [sample["dispute"].pk]),
        ("disputes_close", [sample["dispute"].pk]),
        ("disputes_metrics", []),
        ("disputes_screenings", []),
        ("disputes_screening", [sample["campaign"].pk]),
        ("disputes_incidents", []),
        ("disputes_incident", [sample["incident"].pk]),
        ("disputes_plans", []),
        ("disputes_patrols", []),
        ("disputes_zone", [sample["zone"].pk]),
        ("disputes_mediators", []),
        ("disputes_incident_report", []),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
    page = client.get(reverse("disputes_detail", args=[sample["dispute"].pk])).content.decode()
    assert sample["dispute"].number in page


def test_a_visit_finding_becomes_a_dispute_without_retyping(client, city, personas):
    from lianxin.visits import services as visits

    sample = registry_sample(city)
    grid = personas["grid_worker"]
    visit, _created = visits.visit_record(
        actor=grid, household=sample["household"], findings="楼上装修噪音扰民\n多次协商无果"
    )
    client.force_login(grid)
    form = client.get(reverse("disputes_create"), {"visit": visit.pk}).context["form"]
    assert form.initial["description"] == visit.findings and form.initial["source_visit"] == visit.pk
    data = {key: value for key, value in form.initial.items() if value is not None}
    data |= {"dispute_type": "neighbour", "risk": "low", "reported_on": dt.date.today().isoformat()}
    response = client.post(reverse("disputes_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    dispute = Dispute.objects.get()
    assert (dispute.source, dispute.source_visit_id, dispute.title) == ("visit", visit.pk, "楼上装修噪音扰民")
    assert [p.resident_id for p in dispute.parties.all()] == [sample["head"].pk]
    # Someone else's visit is ignored (out of scope): the form starts empty.
    client.force_login(personas["outsider"])
    assert client.get(reverse("disputes_create"), {"visit": visit.pk}).context["form"].initial == {}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_escalations_move_the_dispute_once(city, personas):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    grid = personas["grid_worker"]
    dispute = _dispute(grid, city.happy_building)
    barrier, outcomes = threading.Barrier(4), []

    def submit():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.dispute_escalate(actor=grid, dispute=dispute, reason="同时点击上报")
            outcomes.append("ok")
        except (ValidationError, PermissionDenied):
            # Lost the race: either the compare-and-set found the level moved, or the dispute
            # is already with the subdistrict, where a grid worker may not act.
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    dispute.refresh_from_db()
    assert dispute.level == Level.SUBDISTRICT and dispute.events.filter(kind="escalated").count() == 1
    assert AuditEntry.objects.filter(action="disputes.escalate").count() == 1
