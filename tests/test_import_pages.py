"""Import and export pages (D2, issue 3 items 7–8): access, the dry-run report, commit once, exports.

Given the city and personas of conftest.py, when a persona uploads, reads, commits or exports, then
only importers reach the import pages, a job is its uploader's alone (404 for anyone else), a double
commit writes once, and an export is masked and holds nothing outside the exporter's area.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook
from rest_framework.test import APIClient

from lianxin.core.models import AuditEntry
from lianxin.imports import services as import_services
from lianxin.imports.models import ImportJob, ImportStatus
from lianxin.places import services as place_services
from lianxin.places.models import PlaceKind
from lianxin.registry import services as registry
from lianxin.registry.models import PartyMember, Relationship, Resident

from .conftest import city_per_module
from .test_registry_pages import LI, WANG, ZHANG, ZHAO, registry_sample, valid_id
from .test_spreadsheets import xlsx

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

MEMBER_HEADER = ["姓名", "身份证号", "所在党组织", "党员类别", "入党日期"]
BRANCH = "幸福社区第一党支部"
UNITY_NUMBER = valid_id("43030219660606003")


def import_sample(city):
    """A READY members import of 幸福社区 uploaded by its secretary (王五, a new member); made once
    per test and kept on the city object so that both permission matrices can point at it."""
    job = getattr(city, "_import_sample", None)
    if job is None:
        from lianxin.accounts.models import User

        secretary = User.objects.get(username="secretary")
        data = xlsx([MEMBER_HEADER, ["王五", WANG, BRANCH, "离退休", "1980-07-01"]])
        job = import_services.import_upload(
            actor=secretary, kind="members", file=SimpleUploadedFile("党员.xlsx", data)
        )
        assert job.status == ImportStatus.READY, job.report["problems"]
        city._import_sample = job
    return job


def rows_of(content: bytes) -> list[list[str]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return [[str(c) for c in row] for row in book.get_sheet_by_index(0).to_python()]


def login(client, personas, who):
    client.force_login(personas[who])
    return client


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("who", ["grid_worker", "resident", "assistant", "district_officer"])
def test_import_pages_refuse_people_who_may_not_import(client, city, personas, who):
    job = import_sample(city)
    login(client, personas, who)
    for url in [
        reverse("imports"),
        reverse("import_upload"),
        reverse("import_template", args=["members"]),
        reverse("import_detail", args=[job.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    data = xlsx([MEMBER_HEADER, ["赵六", ZHAO, BRANCH, "离退休", "1980-07-01"]])
    response = client.post(
        reverse("import_upload"), {"kind": "members", "file": SimpleUploadedFile("a.xlsx", data)}
    )
    assert response.status_code == 403
    assert client.post(reverse("import_commit", args=[job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1 and not PartyMember.objects.exists()


def test_navigation_shows_imports_only_to_importers(client, personas):
    assert 'href="/people/imports/"' in login(client, personas, "staff").get("/").content.decode()
    assert 'href="/people/imports/"' not in login(client, personas, "grid_worker").get("/").content.decode()


@pytest.mark.parametrize("who", ["committee_member", "staff", "outsider"])
def test_another_users_job_is_404(client, city, personas, who):
    job = import_sample(city)
    login(client, personas, who)
    assert client.get(reverse("import_detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("import_commit", args=[job.pk])).status_code == 404
    assert client.get(reverse("import_detail", args=[job.pk + 1000])).status_code == 404
    assert job.pk not in [j.pk for j in client.get(reverse("imports")).context["jobs"]]
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and not PartyMember.objects.exists()


# ---------------------------------------------------------------- upload, report, commit


def test_upload_shows_every_problem_then_fixed_file_commits_once(client, city, personas):
    secretary = personas["community_secretary"]
    login(client, personas, "community_secretary")
    bad = xlsx(
        [
            MEMBER_HEADER,
            ["王五", WANG[:-1] + ("0" if WANG[-1] != "0" else "1"), BRANCH, "离退休", "1980-07-01"],
            ["赵六", 4.30302e17, BRANCH, "离退休", "1980-07-01"],
            ["", LI, BRANCH, "离退休", "1980-07-01"],
        ]
    )
    response = client.post(
        reverse("import_upload"), {"kind": "members", "file": SimpleUploadedFile("党员.xlsx", bad)}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_detail", args=[job.pk])
    page = client.get(response.url)
    problems = [(p["row"], p["column"]) for p in page.context["problems"]]
    assert problems == [(2, "身份证号"), (3, "身份证号"), (4, "姓名")]
    html = page.content.decode()
    assert 'data-test="problems"' in html and 'data-test="commit"' not in html
    assert client.post(reverse("import_commit", args=[job.pk])).status_code == 302
    assert not Resident.objects.exists()

    good = xlsx([MEMBER_HEADER, ["王五", WANG, BRANCH, "离退休", "1980-07-01"]])
    client.post(reverse("import_upload"), {"kind": "members", "file": SimpleUploadedFile("党员.xlsx", good)})
    job = ImportJob.objects.filter(created_by=secretary).first()
    assert job.status == ImportStatus.READY
    assert 'data-test="commit"' in client.get(reverse("import_detail", args=[job.pk])).content.decode()

    commit = reverse("import_commit", args=[job.pk])
    assert client.post(commit).status_code == 302
    assert client.post(commit).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTED
    assert PartyMember.objects.filter(resident__name="王五").count() == 1
    assert AuditEntry.objects.filter(action="import.commit").count() == 1
    page = client.get(reverse("import_detail", args=[job.pk]))
    assert 'data-test="result"' in page.content.decode() and 'data-test="commit"' not in page.content.decode()


def test_changes_to_registered_people_show_masked_id_numbers(client, city, personas):
    registry_sample(city)
    login(client, personas, "community_secretary")
    data = xlsx([MEMBER_HEADER, ["张三丰", ZHANG, BRANCH, "离退休", "1975-07-01"]])
    client.post(reverse("import_upload"), {"kind": "members", "file": SimpleUploadedFile("a.xlsx", data)})
    page = client.get(reverse("import_detail", args=[ImportJob.objects.get().pk]))
    html = page.content.decode()
    assert [c["id_number"] for c in page.context["changes"]] == ["110***********002X"]
    assert ZHANG not in html and "110***********002X" in html


def test_template_downloads(client, personas):
    login(client, personas, "staff")
    for kind, column in [("members", "所在党组织"), ("households", "房号")]:
        response = client.get(reverse("import_template", args=[kind]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert column in rows_of(response.content)[0]
    assert client.get(reverse("import_template", args=["cats"])).status_code == 404


def test_a_refused_file_is_reported_without_a_row(client, personas):
    login(client, personas, "staff")
    client.post(
        reverse("import_upload"),
        {"kind": "households", "file": SimpleUploadedFile("宏.xlsm", b"PK\x03\x04 not really")},
    )
    job = ImportJob.objects.get()
    page = client.get(reverse("import_detail", args=[job.pk]))
    assert job.status == ImportStatus.INVALID and len(page.context["problems"]) == 1
    assert page.context["problems"][0]["row"] is None


# ---------------------------------------------------------------- exports


@pytest.fixture
def two_communities(city, personas):
    sample = registry_sample(city)
    outsider = personas["outsider"]
    building = place_services.place_create(
        actor=personas["sysadmin"], kind=PlaceKind.BUILDING, name="8号楼", parent=city.unity_grid
    )
    household = registry.household_create(actor=outsider, place=building, unit="2", room="202")
    registry.resident_create(
        actor=outsider,
        name="团结居民甲",
        id_number=UNITY_NUMBER,
        household=household,
        relationship=Relationship.HEAD,
    )
    return sample


def _export(client, name, query=""):
    response = client.post(reverse(name) + query)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return rows_of(response.content)


@pytest.mark.parametrize("name", ["export_households", "export_residents"])
def test_grid_workers_export_is_masked_and_within_her_grid(client, personas, two_communities, name):
    login(client, personas, "grid_worker")
    rows = _export(client, name)
    text = repr(rows)
    assert sorted(row[3] for row in rows[1:]) == sorted(["张三", "李四"])
    assert "110***********002X" in text and ZHANG not in text and LI not in text
    assert "团结居民甲" not in text and UNITY_NUMBER not in text and "8号楼" not in text
    assert AuditEntry.objects.filter(action="export.residents", actor=personas["grid_worker"]).count() == 1


def test_export_uses_the_list_filters(client, personas, two_communities):
    login(client, personas, "community_secretary")
    assert [row[3] for row in _export(client, "export_residents", "?q=zs")[1:]] == ["张三"]
    assert _export(client, "export_households", "?difficulty=elderly")[1:]
    assert not _export(client, "export_households", "?difficulty=disabled")[1:]


def test_members_export_is_masked_and_scoped(client, personas, two_communities):
    login(client, personas, "outsider")
    assert _export(client, "export_members")[1:] == []
    login(client, personas, "community_secretary")
    rows = _export(client, "export_members", "?kind=retired")
    assert [row[0] for row in rows[1:]] == ["张三"] and ZHANG not in repr(rows)
    assert "110***********002X" in repr(rows)


def test_export_needs_the_export_right_and_a_post(client, personas, two_communities):
    login(client, personas, "assistant")  # sees people, may not export them
    assert client.post(reverse("export_residents")).status_code == 403
    login(client, personas, "grid_worker")  # no party members at all
    assert client.post(reverse("export_members")).status_code == 403
    assert client.get(reverse("export_residents")).status_code == 405
    assert not AuditEntry.objects.filter(action__startswith="export.").exists()
    page = client.get(reverse("residents")).content.decode()
    assert 'data-test="export"' in page
    login(client, personas, "assistant")
    assert 'data-test="export"' not in client.get(reverse("residents")).content.decode()


# ---------------------------------------------------------------- API


def test_api_upload_report_commit_and_template(city, personas):
    api = APIClient()
    api.force_login(personas["committee_member"])  # staff may import people, not party members
    bad = xlsx([MEMBER_HEADER, ["赵六", "4.30302E+17", BRANCH, "离退休", "1980-07-01"]])
    response = api.post("/api/v1/imports/", {"kind": "members", "file": SimpleUploadedFile("a.xlsx", bad)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "invalid"
    assert [(p["row"], p["column"]) for p in body["report"]["problems"]] == [(2, "身份证号")]

    good = xlsx([MEMBER_HEADER, ["赵六", ZHAO, BRANCH, "离退休", "1980-07-01"]])
    job = api.post("/api/v1/imports/", {"kind": "members", "file": SimpleUploadedFile("b.xlsx", good)}).json()
    assert job["status"] == "ready" and job["report"]["counts"]["members_created"] == 1
    for _ in range(2):
        response = api.post(f"/api/v1/imports/{job['id']}/commit/")
        assert response.status_code == 200 and response.json()["status"] == "committed"
    assert PartyMember.objects.filter(resident__name="赵六").count() == 1

    listed = api.get("/api/v1/imports/").json()["results"]
    assert [row["id"] for row in listed] == [job["id"], body["id"]] and "report" not in listed[0]
    assert api.get(f"/api/v1/imports/{job['id']}/").json()["status"] == "committed"

    other = APIClient()
    other.force_login(personas["staff"])
    assert other.get(f"/api/v1/imports/{job['id']}/").status_code == 404
    assert other.get("/api/v1/imports/").json()["results"] == []

    response = api.get("/api/v1/imports/template/?kind=households")
    assert response.status_code == 200 and "房号" in rows_of(response.content)[0]
    assert api.get("/api/v1/imports/template/?kind=cats").status_code == 400
