"""Elections pages and API (D3): the permission matrix of this module's routes by role, the
teller's page (one ballot per submit, double submit harmless, running totals), the result sheet and
the API's access by role ("denied changes nothing")."""

import pytest
from django.urls import reverse

from lianxin.core.models import AuditEntry
from lianxin.elections import services
from lianxin.elections.models import Ballot, ElectionStatus

from . import matrix_elections
from .conftest import city_per_module
from .matrix_roles import ROLES
from .test_elections_helpers import elections_sample, enter, ids, make_election, open_first_round

pytestmark = pytest.mark.django_db


# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

CASES = [(name, role) for name in sorted(matrix_elections.WEB) for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES)
def test_web_route(name, role, client, city, personas):
    kwargs_of, expected = matrix_elections.WEB[name]
    url = reverse(name, kwargs=kwargs_of(city) if kwargs_of else None)
    if role != "anonymous":
        client.force_login(personas[role])
    before = AuditEntry.objects.count()
    response = client.get(url)
    if name == "elections_sheet" and response.status_code == 302 and expected[role] == 200:
        pytest.skip("PDF output unavailable here")
    assert response.status_code == expected[role], f"{name} as {role}: {response.status_code}"
    assert AuditEntry.objects.count() == before


def test_every_elections_route_has_a_matrix_entry():
    from django.urls import get_resolver

    from lianxin.elections import urls

    names = {p.name for p in urls.urlpatterns}
    assert names == set(matrix_elections.WEB)
    assert get_resolver().reverse_dict  # the module is mounted
    assert reverse("elections") == "/elections/"


def test_teller_enters_one_ballot_per_submit_and_a_resend_adds_nothing(client, city, personas):
    sample = elections_sample(city)
    rnd = sample["round"]
    client.force_login(personas["committee_member"])
    page = client.get(reverse("elections_teller", args=[rnd.pk]))
    token = page.context["token"]
    first, second = ids(rnd)
    data = {"token": token, f"c{first}": "for", f"c{second}": "against"}
    assert client.post(reverse("elections_teller", args=[rnd.pk]), data).status_code == 302
    assert client.post(reverse("elections_teller", args=[rnd.pk]), data).status_code == 302
    assert Ballot.objects.filter(round=rnd).count() == 1
    page = client.get(reverse("elections_teller", args=[rnd.pk]))
    assert page.context["totals"]["ballots"] == 1
    assert page.context["totals"]["candidates"][0]["votes_for"] == 1
    assert page.context["token"] != token
    # A blank paper: nothing marked.
    client.post(reverse("elections_teller", args=[rnd.pk]), {"token": page.context["token"]})
    assert client.get(reverse("elections_teller", args=[rnd.pk])).context["totals"]["blank"] == 1


def test_staff_cannot_post_a_ballot_and_nothing_changes(client, city, personas):
    sample = elections_sample(city)
    rnd = sample["round"]
    for role in ("staff", "district_officer", "outsider"):
        client.force_login(personas[role])
        response = client.post(reverse("elections_teller", args=[rnd.pk]), {"token": f"x-{role}"})
        assert response.status_code in (403, 404)
    assert not Ballot.objects.exists()


def test_result_sheet_pdf_has_the_names(client, city, personas):
    from lianxin.core.pdf import PdfUnavailable, _weasyprint

    try:
        _weasyprint()
    except PdfUnavailable as error:
        pytest.skip(str(error))
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election)
    enter(first, [[0]] * 7 + [[1]] * 3)
    services.round_close(actor=personas["community_secretary"], round=first)
    client.force_login(personas["subdistrict_officer"])
    response = client.get(reverse("elections_sheet", args=[election.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).replace(" ", "")
    assert "幸福社区党委" in text and "王建华" in text and "李秀英" in text


# --- API ----------------------------------------------------------------------------------------------

API_VIEWERS = {"district_officer", "subdistrict_officer", "community_secretary", "committee_member"}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_api_access_by_role(role, client, city, personas):
    sample = elections_sample(city)
    election = sample["election"]
    client.force_login(personas[role])
    listing = client.get("/api/v1/elections/")
    terms = client.get("/api/v1/elections/terms/")
    detail = client.get(f"/api/v1/elections/{election.pk}/")
    if role in API_VIEWERS:
        assert listing.status_code == 200 and [e["id"] for e in listing.json()["results"]] == [election.pk]
        assert terms.status_code == 200
        assert detail.status_code == 200 and detail.json()["rounds"][0]["present"] == 10
    elif role == "outsider":
        assert listing.status_code == 200 and listing.json()["results"] == []
        assert detail.status_code == 404
    else:
        assert listing.status_code == 403 and terms.status_code == 403
        assert detail.status_code in (403, 404)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_api_decide_only_the_superior(role, client, city, personas):
    election = make_election(city, seats=1, candidates=2)
    first = open_first_round(election)
    enter(first, [[0]] * 7 + [[1]] * 3)
    services.round_close(actor=personas["community_secretary"], round=first)
    services.report_submit(actor=personas["community_secretary"], election=election)
    client.force_login(personas[role])
    before = AuditEntry.objects.count()
    response = client.post(
        f"/api/v1/elections/{election.pk}/decide/", {"approve": True}, content_type="application/json"
    )
    election.refresh_from_db()
    if role == "subdistrict_officer":
        assert response.status_code == 200 and election.status == ElectionStatus.APPROVED
    else:
        assert response.status_code in (403, 404), response.status_code
        assert election.status == ElectionStatus.REPORTED and AuditEntry.objects.count() == before


def test_api_names_are_registered():
    from django.urls import reverse as rev

    for name in matrix_elections.API_COVERED:
        kwargs = {"pk": 1} if name.endswith(("detail", "decide")) else None
        assert rev(f"api:{name}", kwargs=kwargs)


def test_a_member_votes_with_a_code_without_signing_in(client, city, personas):
    sample = elections_sample(city)
    rnd = sample["round"]
    [code] = services.codes_issue(actor=personas["community_secretary"], round=rnd, count=1)
    first, _second = ids(rnd)
    page = client.get(reverse("elections_vote"), {"code": code})
    assert page.status_code == 200 and page.context["round"] == rnd
    response = client.post(reverse("elections_vote"), {"code": code, f"c{first}": "for"})
    assert response.context["done"] and Ballot.objects.filter(round=rnd).count() == 1
    again = client.post(reverse("elections_vote"), {"code": code, f"c{first}": "for"})
    assert not again.context["done"] and again.context["error"]
    assert Ballot.objects.filter(round=rnd).count() == 1
    assert client.get(reverse("elections_vote"), {"code": "WRONG"}).context["error"]


def test_the_slate_refusal_shows_on_the_page(client, city, personas):
    election = make_election(city, seats=5, candidates=5)
    client.force_login(personas["community_secretary"])
    response = client.post(reverse("elections_slate", args=[election.pk]), follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "5" in text and "6" in text
    election.refresh_from_db()
    assert election.status == ElectionStatus.NOMINATION
