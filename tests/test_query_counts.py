"""Query counts that do not grow with the rows shown (issue 11), over the demo city.

Three checks, run as the district officer (who sees the whole district), a community secretary and,
for the API, the administrator:

- every /api/v1/ list: no statement run more often for a page of 20 rows than for a page of 1 (a
  query run per row runs once for each row; a prefetch that the one row did not need may add one).
  A list is compared for a person who sees at least two of its rows; ``test_every_api_list_is_compared``
  checks that each list (but the ballots, which nobody may list) has them for someone;
- every page without URL arguments (lists, dashboards, forms): no query repeated per row — the same
  statement, with its literals and parameters ignored, run more than ``REPEAT_LIMIT`` times;
- the same for the pages of one object that list its rows (an organization, a place, a household, a
  meeting, an election, …: ``DETAIL_PAGES``), opened on the first few objects the user may open.

The demo city is built once for the module, inside a transaction rolled back at the end; ``short_lists``
adds, in the same transaction and through the services, three rows or more to each list the demo city
leaves with fewer than two (posts, reserve cadres, hardship applications, transfers, imports, care plans,
departure audits, accountability cases), pointing at different people, households and places.
"""

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.modules import MODULES

from .demo_helpers import module_city

REPEAT_LIMIT = 3


def _names(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from _names(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters:
            yield f"{namespace}{pattern.name}", pattern


API_LISTS = sorted(name for name, _ in _names() if name.startswith("api:") and name.endswith("-list"))
# Pages without URL arguments that a GET may open (API routes are checked above, logout is a POST).
PAGES = sorted(
    name
    for name, _ in _names()
    if not name.startswith("api:") and name not in {"logout", "login_code", "elderly_mode"}
)


# The pages of one object that list rows of their own (members, meetings, candidates, entries, …): the
# url name and the model of its <pk>.
DETAIL_PAGES = {
    "org_detail": "places.PartyOrganization",
    "place_detail": "places.Place",
    "household_detail": "registry.Household",
    "member_detail": "registry.PartyMember",
    "branch_org": "places.PartyOrganization",
    "branch_meeting": "branch.Meeting",
    "elections_detail": "elections.Election",
    "decisions_matter": "decisions.Matter",
    "decisions_day": "decisions.DeliberationDay",
    "performance_cycle": "performance.EvaluationCycle",
    "performance_goal": "performance.Goal",
    "performance_report": "performance.SecretaryReport",
    "disputes_detail": "disputes.Dispute",
    "disputes_zone": "disputes.PatrolZone",
    "cobuilding_fund": "cobuilding.Fund",
    "cobuilding_unit": "cobuilding.ResidentUnit",
    "cobuilding_room": "cobuilding.Room",
    "governance_check": "governance.SelfCheck",
    "governance_link": "governance.ContactLink",
    "disclosure_item": "disclosure.BoardItem",
    "assistance_case": "assistance.Case",
    "assistance_ledger": "registry.Household",
    "import_detail": "imports.ImportJob",
}
CANDIDATES = 4  # objects tried per page and person


# Lists nobody may read: ballots are secret, entered once and never listed back (create only).
NOT_LISTED = {"api:ballot-list"}

city = module_city(*MODULES)


@pytest.fixture(scope="module")
def short_lists(city, django_db_blocker):
    """Three rows or more for each list the demo city leaves with fewer than two, in the city's
    transaction (rolled back with it)."""
    with django_db_blocker.unblock():
        _add_rows()


def _add_rows():
    from lianxin.accounts.models import RoleAssignment
    from lianxin.branch import services as branch
    from lianxin.branch.models import Education
    from lianxin.core.access import Role
    from lianxin.decisions import services as decisions
    from lianxin.decisions.models import AuditResult
    from lianxin.disputes import services as disputes
    from lianxin.imports import services as imports
    from lianxin.performance import services as performance
    from lianxin.performance.models import Commitment, CommitmentStatus
    from lianxin.places.models import PartyOrganization
    from lianxin.registry import special_care, transfers
    from lianxin.registry.models import MemberStatus, PartyMember, Resident, SpecialCareGroup

    def user(place, role):
        row = (
            RoleAssignment.objects.filter(place=place, role=role, ended_at__isnull=True)
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        return row.user if row else None

    first, second = (
        RoleAssignment.objects.filter(role=Role.COMMUNITY_SECRETARY, ended_at__isnull=True)
        .select_related("user", "place")
        .order_by("place__path", "user__username")[:2]
    )
    secretary, community = first.user, first.place
    today = timezone.localdate()
    members = _spread(
        PartyMember.objects.filter(place_path__startswith=community.path, status=MemberStatus.ACTIVE)
        .select_related("organization")
        .order_by("pk"),
        key=lambda member: member.organization_id,
    )[:3]
    residents = _spread(
        Resident.objects.filter(place_path__startswith=community.path).order_by("pk"),
        key=lambda resident: resident.household_id,
    )[:6]

    # 设岗定责, the hardship fund, transfers: one member of each of three organizations.
    for i, member in enumerate(members):
        post = branch.post_define(
            actor=secretary,
            organization=member.organization,
            year=today.year,
            title=f"岗位{i}",
            duties="联系楼栋",
        )
        branch.post_volunteer(actor=secretary, post=post, member=member)
        branch.hardship_apply(actor=secretary, member=member, amount=Decimal("800"), reason="因病致困")
    application = branch.hardship_apply(
        actor=secretary, member=members[0], amount=Decimal("500"), reason="子女上学"
    )
    committee_member = user(community, Role.COMMITTEE_MEMBER)  # nobody decides their own application
    branch.hardship_decide(actor=committee_member, application=application, approve=True)
    branch.hardship_pay(actor=committee_member, application=application, amount=Decimal("500"), paid_on=today)
    other_committee = PartyOrganization.objects.filter(
        place_path__startswith=second.place.path, dissolved_on__isnull=True
    ).order_by("path")[0]
    transfers.transfer_request(actor=secretary, member=members[0], to_organization=other_committee)
    transfers.transfer_request(actor=secretary, member=members[1], to_organization=members[2].organization)
    transfers.transfer_request(actor=secretary, member=members[2], external_organization_name="外市某党支部")

    # Reserve cadres and care plans: people of six households; the help groups led by three people.
    for resident in residents[:3]:
        branch.reserve_signup(
            actor=secretary, resident=resident, community=community, education=Education.BACHELOR
        )
    group = SpecialCareGroup.RELEASED_PRISONER
    leaders = [secretary, committee_member, user(community, Role.STAFF)]
    for leader in leaders:
        special_care.assignment_grant(
            actor=secretary, user=leader, group=group, place=community, reason="帮教"
        )
    for resident, leader in zip(residents[3:], leaders, strict=True):
        record = special_care.record_create(actor=secretary, resident=resident, group=group)
        disputes.care_plan_create(
            actor=secretary, record=record, leader=leader, goals="稳定就业", measures="每月谈心"
        )

    # Imports: what the secretary uploaded (each person sees only their own; the dry runs' verdicts
    # do not matter here).
    for i, kind in enumerate(["households", "members", "households"]):
        imports.import_upload(
            actor=secretary, kind=kind, file=SimpleUploadedFile(f"名单{i}.csv", f"姓名\n居民{i}\n".encode())
        )

    # Departure audits in both communities; accountability cases from commitments not kept.
    for actor, place, cadre in (
        (secretary, community, "赵"),
        (secretary, community, "孙"),
        (second.user, second.place, "周"),
    ):
        decisions.departure_audit_create(
            actor=actor,
            place=place,
            cadre_name=f"{cadre}建华",
            post="居委会委员",
            period_start=dt.date(today.year - 5, 1, 1),
            period_end=dt.date(today.year - 1, 12, 31),
            auditor="街道经济责任审计组",
            findings="收支手续齐全。",
            result=AuditResult.CLEAN,
            summary="任期内集体资金收支规范。",
        )
    for commitment in Commitment.objects.filter(
        place_path__startswith=community.path, status=CommitmentStatus.PUBLISHED
    ).order_by("pk")[:3]:
        performance.commitment_mark_broken(actor=secretary, commitment=commitment, reason="承诺事项未兑现")
    performance.cases_suggest(actor=secretary, place=community)


def _spread(rows, key) -> list:
    """``rows`` with one per ``key`` first (different organizations, households), then the others."""
    rows, seen = list(rows), set()
    first = [row for row in rows if key(row) not in seen and not seen.add(key(row))]
    return first + [row for row in rows if row not in first]


@pytest.fixture
def world(city, short_lists, db):
    return {
        "admin": User.objects.get(username="admin"),
        "district": User.objects.get(username="qu"),
        "secretary": User.objects.get(username=_first_secretary()),
    }


def _first_secretary():
    from lianxin.accounts.models import RoleAssignment
    from lianxin.core.access import Role

    return (
        RoleAssignment.objects.filter(role=Role.COMMUNITY_SECRETARY, ended_at__isnull=True)
        .order_by("place__path", "user__username")
        .values_list("user__username", flat=True)
        .first()
    )


def _get(user, url):
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [q["sql"] for q in queries.captured_queries]


def _shape(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    return re.sub(r"\((?:\?, )+\?\)", "(?)", sql)


@pytest.mark.parametrize("who", ["admin", "district", "secretary"])
@pytest.mark.parametrize("name", API_LISTS)
def test_api_list_queries_do_not_grow_with_the_page(world, db, name, who):
    user = world[who]
    url = reverse(name)
    small, small_sql = _get(user, f"{url}?page_size=1")
    large, large_sql = _get(user, f"{url}?page_size=20")
    if small.status_code == 403:
        pytest.skip(f"{name} is not for the {who}")
    assert small.status_code == large.status_code == 200, (small.status_code, small.content[:300])
    body = large.json()
    rows = len(body if isinstance(body, list) else body["results"])  # a small catalogue is not paged
    if rows < 2:
        pytest.skip(f"{name}: {rows} rows for {who} in the demo city, too few to compare")
    small_shapes, large_shapes = Counter(map(_shape, small_sql)), Counter(map(_shape, large_sql))
    grown = [(n, shape) for shape, n in large_shapes.items() if n > max(small_shapes[shape], 1)]
    assert not grown, (
        f"{name}: {len(small_sql)} queries for 1 row, {len(large_sql)} for {rows}; run per row: {grown}"
    )


def test_every_api_list_is_compared(world, db):
    """The comparison above skips a list with fewer than two rows for the person: each list has two
    for one of them at least (else add rows in ``_add_rows``), and the unlisted ones answer 403 to all."""
    short, listed = [], []
    for name in API_LISTS:
        answers = []
        for who in ("district", "secretary", "admin"):
            client = Client()
            client.force_login(world[who])
            response = client.get(f"{reverse(name)}?page_size=2")
            body = response.json() if response.status_code == 200 else []
            answers.append((response.status_code, len(body if isinstance(body, list) else body["results"])))
            if answers[-1][1] >= 2:
                break
        if name in NOT_LISTED:
            if any(status != 403 for status, _rows in answers):
                listed.append((name, answers))
        elif answers[-1][1] < 2:
            short.append((name, answers))
    assert not short, f"fewer than two rows for everyone (district, secretary, admin): {short}"
    assert not listed, f"listed to someone, yet in NOT_LISTED: {listed}"


@pytest.mark.parametrize("who", ["district", "secretary"])
@pytest.mark.parametrize("name", PAGES)
def test_pages_run_no_query_per_row(world, db, name, who):
    response, sql = _get(world[who], reverse(name))
    if response.status_code == 405:
        pytest.skip(f"{name} takes a POST")
    assert response.status_code in (200, 302, 403, 404), response.status_code
    assert not _repeated(sql), f"{name}: {len(sql)} queries; repeated: {_repeated(sql)}"


def _repeated(sql: list[str]) -> list:
    return [(n, shape) for shape, n in Counter(map(_shape, sql)).most_common(3) if n > REPEAT_LIMIT]


@pytest.mark.parametrize("who", ["district", "secretary"])
@pytest.mark.parametrize("name", sorted(DETAIL_PAGES))
def test_object_pages_run_no_query_per_row(world, db, name, who):
    opened = 0
    for pk in apps.get_model(DETAIL_PAGES[name]).objects.order_by("pk").values_list("pk", flat=True):
        response, sql = _get(world[who], reverse(name, args=[pk]))
        if response.status_code in (403, 404):
            continue  # not in this person's scope
        assert response.status_code == 200, (name, pk, response.status_code)
        assert not _repeated(sql), f"{name} {pk}: {len(sql)} queries; repeated: {_repeated(sql)}"
        opened += 1
        if opened == CANDIDATES:
            break
    if not opened:
        pytest.skip(f"{name}: nothing the {who} may open in the demo city")
