"""Pages: forms call the services, errors name the field, nothing is half-written."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lianxin.accounts.models import RoleAssignment
from lianxin.core.models import AuditEntry, CalendarYear
from lianxin.places.models import OrgRating, PartyOrganization, Place

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


def test_secretary_adds_a_grid_and_it_is_audited(client, city, personas):
    client.force_login(personas["community_secretary"])
    response = client.post(reverse("place_create", args=[city.happy.pk]), {"name": "第二网格"})
    grid = Place.objects.get(name="第二网格")
    assert response.status_code == 302 and response.url == reverse("place_detail", args=[grid.pk])
    assert grid.parent == city.happy and grid.kind == "grid"
    entry = AuditEntry.objects.filter(action="place.create", object_id=str(grid.pk)).get()
    assert entry.actor == personas["community_secretary"] and entry.after["name"] == "第二网格"


def test_duplicate_name_is_reported_on_the_field_and_nothing_is_written(client, city, personas):
    client.force_login(personas["community_secretary"])
    before = (Place.objects.count(), AuditEntry.objects.count())
    response = client.post(reverse("place_create", args=[city.happy.pk]), {"name": "第一网格"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert (Place.objects.count(), AuditEntry.objects.count()) == before


def test_rating_class_3_needs_an_upgrade_plan(client, city, personas):
    client.force_login(personas["subdistrict_officer"])
    url = reverse("org_rate", args=[city.happy_committee.pk])
    response = client.post(url, {"rating": 3, "basis": "组织生活不规范"})
    errors = response.context["form"].errors
    assert {"upgrade_plan", "upgrade_due"} <= set(errors)
    assert not OrgRating.objects.exists()
    due = (dt.date.today() + dt.timedelta(days=120)).isoformat()
    response = client.post(
        url, {"rating": 3, "basis": "组织生活不规范", "upgrade_plan": "每月支委会", "upgrade_due": due}
    )
    assert response.status_code == 302
    assert PartyOrganization.objects.get(pk=city.happy_committee.pk).rating == 3
    assert AuditEntry.objects.filter(action="org.rate").get().before == {"rating": None}


def test_subdistrict_officer_moves_a_community_through_the_page(client, city, personas):
    client.force_login(personas["district_officer"])
    response = client.post(
        reverse("place_move", args=[city.harmony.pk]), {"parent": city.west.pk, "reason": "区划调整"}
    )
    assert response.status_code == 302
    assert Place.objects.get(pk=city.harmony.pk).path.startswith(city.west.path)


def test_secretary_grants_and_ends_a_role(client, city, personas):
    from tests.conftest import make_user

    newcomer = make_user("newcomer")
    client.force_login(personas["community_secretary"])
    url = reverse("place_roles", args=[city.happy.pk])
    response = client.post(url, {"username": "newcomer", "role": "staff", "place": city.happy.pk})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=newcomer, ended_at__isnull=True)
    # A secretary may not make someone a subdistrict officer: the choice is not offered.
    response = client.post(
        url, {"username": "newcomer", "role": "subdistrict_officer", "place": city.happy.pk}
    )
    assert "role" in response.context["form"].errors
    response = client.post(reverse("role_end", args=[assignment.pk]), {"reason": "调离"})
    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    assert AuditEntry.objects.filter(action="role.revoke", reason="调离").exists()


def test_outsider_cannot_end_a_role_in_another_community(client, city, personas):
    assignment = RoleAssignment.objects.get(user=personas["staff"])
    client.force_login(personas["outsider"])
    response = client.post(reverse("role_end", args=[assignment.pk]), {"reason": "x"})
    assert response.status_code == 404
    assignment.refresh_from_db()
    assert assignment.ended_at is None


def test_calendar_page_counts_working_days(client, personas):
    client.force_login(personas["staff"])
    response = client.get(reverse("calendar"), {"start": "2026-09-30", "days": 1})
    assert response.context["result"].due == dt.date(2026, 10, 8)
    assert not response.context["result"].provisional
    response = client.get(reverse("calendar"), {"start": "2027-03-01", "days": 5})
    assert response.context["result"].provisional


def test_administrator_loads_a_year_from_a_file(client, personas):
    client.force_login(personas["sysadmin"])
    text = "2027-01-01,holiday,元旦\n2027-02-07,workday,春节调休\n"
    upload = SimpleUploadedFile("2027.txt", text.encode(), content_type="text/plain")
    response = client.post(reverse("calendar_load"), {"file": upload})
    assert response.status_code == 302
    assert CalendarYear.objects.filter(year=2027).exists()
    bad = SimpleUploadedFile("bad.txt", b"2028-13-01,holiday,x\n", content_type="text/plain")
    response = client.post(reverse("calendar_load"), {"file": bad})
    assert response.status_code == 200 and "file" in response.context["form"].errors
    assert not CalendarYear.objects.filter(year=2028).exists()


def test_elderly_mode_is_remembered_on_the_account(client, personas):
    user = personas["resident"]
    client.force_login(user)
    response = client.post(reverse("elderly_mode"), {"on": "1", "next": "/todos/"})
    assert response.status_code == 302 and response.url == "/todos/"
    user.refresh_from_db()
    assert user.elderly_mode
    assert b'class="elderly"' in client.get(reverse("home")).content
    response = client.post(reverse("elderly_mode"), {"on": "1", "next": "https://evil.example/"})
    assert response.url == "/"


def test_healthz(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.json()["status"] == "ok"
