"""Query counts that do not grow with the rows shown (issue 11), over the demo city.

Two checks, run as the district officer (who sees the whole district) and a community secretary:

- every /api/v1/ list: no statement run more often for a page of 20 rows than for a page of 1 (a
  query run per row runs once for each row; a prefetch that the one row did not need may add one);
- every page without URL arguments (lists, dashboards, forms): no query repeated per row — the same
  statement, with its literals and parameters ignored, run more than ``REPEAT_LIMIT`` times;
- the same for the pages of one object that list its rows (an organization, a place, a household, a
  meeting, an election, …: ``DETAIL_PAGES``), opened on the first few objects the user may open.

The demo city is built once for the module, inside a transaction rolled back at the end.
"""

import re
from collections import Counter

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

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


city = module_city(*MODULES)


@pytest.fixture
def world(city, db):
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
