"""The five systems' API (D10): a flow through every endpoint, and an access matrix where every
denial changes nothing."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.core.models import AuditEntry
from lianxin.performance.models import (
    AccountabilityCase,
    Ballot,
    BallotCode,
    Commendation,
    Commitment,
    EvaluationCycle,
    Goal,
    GoalItem,
    Score,
)

from .test_performance_services import GOOD, YEAR, perf_sample

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def v1(name, *args):
    return reverse(f"api:{name}", args=args)


def state():
    return (
        list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)),
        list(Goal.objects.values_list("pk", "letter_signed_on")),
        list(GoalItem.objects.values_list("pk", "progress")),
        list(Commitment.objects.values_list("pk", "status")),
        list(EvaluationCycle.objects.values_list("pk", "status")),
        list(Score.objects.values_list("pk", "score")),
        list(BallotCode.objects.values_list("pk", "status")),
        Ballot.objects.count(),
        list(Commendation.objects.values_list("pk", "status")),
        list(AccountabilityCase.objects.values_list("pk", "status")),
    )


def test_a_flow_through_the_api(city, personas):
    secretary, staff, officer = (
        personas["community_secretary"],
        personas["staff"],
        personas["subdistrict_officer"],
    )
    client = api(secretary)
    goal = client.post(
        v1("goal-list"),
        {"organization": city.happy_committee.pk, "year": YEAR, "title": "年度目标"},
        format="json",
    )
    assert goal.status_code == 201, goal.content
    gid = goal.json()["id"]
    item = client.post(
        v1("goal-items", gid),
        {
            "project": "加装电梯",
            "target": "2栋楼",
            "lead": "王",
            "due_on": f"{YEAR}-05-01",
            "practical": True,
        },
        format="json",
    )
    assert item.status_code == 201, item.content
    iid = item.json()["items"][0]["id"]
    assert (
        client.post(
            v1("goal-progress", gid), {"item": iid, "progress": 100, "note": "完成"}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.post(
            v1("goal-sign", gid), {"signed_by": "王书记", "signed_on": f"{YEAR}-01-10"}, format="json"
        ).status_code
        == 200
    )
    rates = api(officer).get(v1("goal-completion"), {"year": YEAR, "level": "subdistrict"}).json()
    assert [(r["name"], r["done"], r["meets_benchmark"]) for r in rates] == [("东街街道", 1, True)]

    bad = client.post(
        v1("commitment-list"),
        {"organization": city.happy_branch.pk, "year": YEAR, "target": "努力工作"},
        format="json",
    )
    assert bad.status_code == 201
    returned = client.post(v1("commitment-publish", bad.json()["id"])).json()
    assert returned["status"] == "returned"
    assert {r["code"] for r in returned["return_reasons"]} == {
        "target_vague",
        "items_missing",
        "measures_missing",
        "deadline_missing",
    }
    good = client.post(
        v1("commitment-list"),
        {
            "organization": city.happy_branch.pk,
            "year": YEAR,
            **GOOD,
            "deadline": GOOD["deadline"].isoformat(),
        },
        format="json",
    ).json()
    assert client.post(v1("commitment-publish", good["id"])).json()["status"] == "published"
    assert (
        client.post(
            v1("commitment-fulfil", good["id"]), {"note": "完成", "done": True}, format="json"
        ).json()["status"]
        == "fulfilled"
    )
    assert len(client.get(v1("commitment-templates")).json()) == 5

    cycle = client.post(
        v1("evaluation-list"),
        {
            "place": city.happy.pk,
            "year": YEAR,
            "half": 1,
            "title": "上半年",
            "weight_self": 25,
            "weight_peer": 25,
            "weight_leader": 25,
            "weight_public": 25,
        },
        format="json",
    )
    assert cycle.status_code == 201, cycle.content
    cid = cycle.json()["id"]
    client.post(v1("evaluation-evaluees", cid), {"name": "王书记"}, format="json")
    eid = EvaluationCycle.objects.get(pk=cid).evaluees.get().pk
    no_comment = client.post(
        v1("evaluation-scores", cid), {"evaluee": eid, "kind": "leader", "score": 90}, format="json"
    )
    assert no_comment.status_code == 400 and "comment" in no_comment.json()["errors"]
    for kind in ("self", "peer"):
        assert (
            client.post(
                v1("evaluation-scores", cid), {"evaluee": eid, "kind": kind, "score": 80}, format="json"
            ).status_code
            == 200
        )
    client.post(
        v1("evaluation-scores", cid),
        {"evaluee": eid, "kind": "leader", "score": 80, "comment": "好"},
        format="json",
    )
    assert api(staff).post(v1("evaluation-codes", cid), {"count": 3}, format="json").json() == {"batch": 1}
    code, other, third = BallotCode.objects.filter(cycle_id=cid).values_list("code", flat=True)
    ballot = api(staff).post(
        v1("ballot-list"), {"code": code, "ratings": {str(eid): "satisfied"}}, format="json"
    )
    assert ballot.status_code == 201, ballot.content
    again = api(staff).post(
        v1("ballot-list"), {"code": code, "ratings": {str(eid): "satisfied"}}, format="json"
    )
    assert again.status_code == 400 and "code" in again.json()["errors"]
    assert (
        api(staff)
        .post(v1("evaluation-void", cid), {"code": other, "reason": "丢失"}, format="json")
        .status_code
        == 200
    )
    voided = api(staff).post(
        v1("ballot-list"), {"code": other, "ratings": {str(eid): "satisfied"}}, format="json"
    )
    assert voided.status_code == 400
    (result,) = client.get(v1("evaluation-detail", cid)).json()["results"]
    assert (
        result["total"] == "85.00"
        and result["votes"] == {"satisfied": 1}
        and result["satisfaction_rate"] == "100.0"
    )

    nomination = client.post(
        v1("commendation-list"),
        {
            "place": city.happy.pk,
            "year": YEAR,
            "criterion": "five_goods",
            "organization": city.happy_branch.pk,
            "deeds": "服务好",
        },
        format="json",
    )
    assert nomination.status_code == 201, nomination.content
    nid = nomination.json()["id"]
    assert client.post(v1("commendation-decide", nid), {"award": True}, format="json").status_code == 403
    assert (
        api(officer).post(v1("commendation-decide", nid), {"award": True}, format="json").json()["status"]
        == "awarded"
    )

    GoalItem.objects.filter(pk=iid).update(completed_on=None, progress=50, due_on=dt.date(YEAR, 1, 2))
    assert client.post(v1("accountability-suggest")).json() == {"suggested": 1}
    case = client.get(v1("accountability-list")).json()["results"][0]
    assert case["status"] == "suggested"
    moved = client.post(v1("accountability-move", case["id"]), {"move": "confirm"}, format="json").json()
    assert moved["status"] == "confirmed"
    closed = client.post(
        v1("accountability-move", case["id"]),
        {"move": "close", "review": "已核实", "outcome": "reminder"},
        format="json",
    ).json()
    assert closed["status"] == "closed" and closed["outcome"] == "reminder"


READERS = {
    "district_officer",
    "subdistrict_officer",
    "community_secretary",
    "committee_member",
    "staff",
    "supervisor",
}
MANAGERS = {"district_officer", "subdistrict_officer", "community_secretary", "committee_member"}
BALLOTS = {"community_secretary", "committee_member", "staff"}
DECIDERS = {"district_officer", "subdistrict_officer", "community_secretary"}
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
    "anonymous",
]


def _reads(s):
    return [
        ("goal-list", (), READERS | {"outsider"}),
        ("goal-detail", (s["goal"].pk,), READERS),
        ("goal-completion", (), READERS | {"outsider"}),
        ("commitment-list", (), READERS | {"outsider"}),
        ("commitment-detail", (s["commitment"].pk,), READERS),
        ("commitment-templates", (), READERS | {"outsider"}),
        ("evaluation-list", (), READERS | {"outsider"}),
        ("evaluation-detail", (s["cycle"].pk,), READERS),
        ("commendation-list", (), READERS | {"outsider"}),
        ("commendation-detail", (s["commendation"].pk,), READERS),
        ("accountability-list", (), READERS | {"outsider"}),
        ("accountability-detail", (s["case"].pk,), READERS),
    ]


def test_reads_by_role(city, personas):
    sample = perf_sample(city)
    for role, (name, args, allowed) in [(r, row) for r in ROLES for row in _reads(sample)]:
        client = api(None if role == "anonymous" else personas[role])
        before = state()
        response = client.get(v1(name, *args))
        if role in allowed:
            expected = 200
        elif role == "anonymous" or not args:
            expected = 403
        else:
            expected = 404  # an object outside one's scope (or with no scope at all) is "missing"
        assert response.status_code == expected, f"{name} as {role}: {response.status_code}"
        assert state() == before


def _writes(s):
    code = s["codes"][0]
    evaluee = s["evaluees"][0].pk
    ratings = {str(e.pk): "satisfied" for e in s["evaluees"]}
    return [
        (
            "goal-list",
            (),
            {"organization": s["goal"].organization_id, "year": YEAR + 1, "title": "x"},
            MANAGERS,
            201,
        ),
        (
            "goal-items",
            (s["goal"].pk,),
            {"project": "p", "target": "t", "lead": "l", "due_on": f"{YEAR}-09-01"},
            MANAGERS,
            201,
        ),
        (
            "goal-progress",
            (s["goal"].pk,),
            {"item": s["item"].pk, "progress": 10, "note": "n"},
            MANAGERS,
            200,
        ),
        ("goal-sign", (s["goal"].pk,), {"signed_by": "王", "signed_on": "2025-12-30"}, MANAGERS, 200),
        (
            "commitment-list",
            (),
            {"organization": s["commitment"].organization_id, "year": YEAR, "target": "t"},
            MANAGERS,
            201,
        ),
        ("commitment-publish", (s["commitment"].pk,), {}, MANAGERS, 200),
        ("commitment-fulfil", (s["commitment"].pk,), {"note": "n"}, MANAGERS, 200),
        (
            "evaluation-list",
            (),
            {"place": s["cycle"].place_id, "year": YEAR, "half": 2, "title": "t"},
            MANAGERS,
            201,
        ),
        ("ballot-list", (), {"code": code, "ratings": ratings}, BALLOTS, 201),
        ("evaluation-evaluees", (s["cycle"].pk,), {"name": "n"}, MANAGERS, 201),
        (
            "evaluation-scores",
            (s["cycle"].pk,),
            {"evaluee": evaluee, "kind": "self", "score": 90},
            MANAGERS,
            200,
        ),
        ("evaluation-codes", (s["cycle"].pk,), {"count": 1}, BALLOTS, 201),
        ("evaluation-void", (s["cycle"].pk,), {"code": s["codes"][1], "reason": "r"}, BALLOTS, 200),
        (
            "commendation-decide",
            (s["commendation"].pk,),
            {"award": True},
            DECIDERS - {"community_secretary"},
            200,
        ),
        # The outsider looks in her own community: allowed, and finds nothing here.
        ("accountability-suggest", (), {}, MANAGERS | {"outsider"}, 200),
        ("accountability-move", (s["case"].pk,), {"move": "confirm"}, DECIDERS, 200),
    ]


def test_writes_by_role_and_denials_change_nothing(city, personas):
    """Every role that may not write is refused and nothing changes; then one that may, succeeds
    (in the order of the list, so each write finds the state it needs)."""
    sample = perf_sample(city)
    for name, args, body, allowed, ok in _writes(sample):
        for role in ROLES:
            if role in allowed:
                continue
            client = api(None if role == "anonymous" else personas[role])
            before = state()
            response = client.post(v1(name, *args), body, format="json")
            if role == "anonymous":
                assert response.status_code == 403, name
            else:
                # 400 when the body names a row outside one's scope (it does not exist for them).
                assert response.status_code in {400, 403, 404}, f"{name} as {role}: {response.status_code}"
                if response.status_code == 400:
                    assert role == "outsider" and not args, f"{name} as {role}: 400"
            if role == "outsider" and args:
                assert response.status_code == 404, f"{name} as outsider"
            assert state() == before, f"{name} as {role} changed something"
        role = sorted(allowed - {"outsider"})[-1]
        response = api(personas[role]).post(v1(name, *args), body, format="json")
        assert response.status_code == ok, (
            f"{name} as {role}: {response.status_code} {response.content[:300]}"
        )
