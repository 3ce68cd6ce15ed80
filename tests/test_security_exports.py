"""Issue 12 item 7: long exports need another person's approval; every export is logged with rows and
fields, watermarked (header/footer and document properties) and rate-limited."""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from lianxin.core.models import AuditEntry
from lianxin.imports import services
from lianxin.imports.models import ExportRequest, ExportStatus
from lianxin.registry.models import Resident

from .test_registry_pages import registry_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(city, personas, settings):
    settings.LIANXIN_EXPORT_APPROVAL_ROWS = 1
    data = registry_sample(city)
    assert Resident.objects.filter(place_path__startswith=city.happy.path).count() > 1
    return data


def _parts(data: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name).decode("utf-8", "replace") for name in archive.namelist()}


def test_a_long_export_waits_for_another_persons_approval(client, sample, personas):
    worker, secretary = personas["grid_worker"], personas["community_secretary"]
    client.force_login(worker)
    refused = client.post(reverse("export_residents"))
    assert refused.status_code == 302 and refused.url == reverse("export_requests")
    request = ExportRequest.objects.get()
    assert (request.requested_by, request.status, request.kind) == (
        worker,
        ExportStatus.PENDING,
        "export_residents",
    )
    # The community's secretary is told (and the worker is not told of her own request).
    assert secretary.notifications.filter(url=reverse("export_requests")).count() == 1
    assert not worker.notifications.exists()
    # Asking again files no second request.
    client.post(reverse("export_residents"))
    assert ExportRequest.objects.count() == 1
    # Nobody approves their own request; the secretary of the community does.
    with pytest.raises(Http404):
        services.export_request_decide(actor=worker, pk=request.pk, approve=True)
    client.force_login(secretary)
    page = client.get(reverse("export_requests"))
    assert request in page.context["to_decide"]
    assert (
        client.post(reverse("export_request_decide", args=[request.pk]), {"approve": "1"}).status_code == 302
    )
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (ExportStatus.APPROVED, secretary)
    # The approval serves one download.
    client.force_login(worker)
    download = client.post(reverse("export_residents"))
    assert download.status_code == 200 and download["Content-Type"].startswith("application/vnd.openxml")
    assert client.post(reverse("export_residents")).status_code == 302
    entry = AuditEntry.objects.filter(action="export.residents").latest("seq")
    assert entry.after["approval"] == request.pk and entry.after["approved_by"] == secretary.pk
    assert entry.after["rows"] > 1 and "身份证号" in entry.after["fields"]
    assert AuditEntry.objects.filter(action="export.approve", actor=secretary).exists()


def test_an_outsider_cannot_approve_and_sees_no_request(client, sample, personas):
    client.force_login(personas["grid_worker"])
    client.post(reverse("export_residents"))
    request = ExportRequest.objects.get()
    client.force_login(personas["outsider"])
    assert request not in client.get(reverse("export_requests")).context["to_decide"]
    assert (
        client.post(reverse("export_request_decide", args=[request.pk]), {"approve": "1"}).status_code == 404
    )
    request.refresh_from_db()
    assert request.status == ExportStatus.PENDING


def test_every_export_is_watermarked_with_exporter_and_time(client, city, personas):
    registry_sample(city)
    client.force_login(personas["staff"])
    response = client.post(reverse("export_residents"))
    assert response.status_code == 200
    parts = _parts(response.content)
    # The exporter's login as the author, the watermark (in the UI language) as title and comments.
    assert "staff" in parts["docProps/core.xml"] and "lianxin" in parts["docProps/core.xml"]
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert "<oddHeader>" in sheet and "staff" in sheet and "<oddFooter>" in sheet


def test_exports_are_rate_limited(client, city, personas, settings):
    settings.LIANXIN_EXPORT_RATE_PER_HOUR = 3
    registry_sample(city)
    client.force_login(personas["staff"])
    statuses = [client.post(reverse("export_members")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 302]
    assert AuditEntry.objects.filter(action="export.members", actor=personas["staff"]).count() == 3


def test_a_secretary_cannot_approve_her_own_export(client, sample, personas):
    secretary = personas["community_secretary"]
    client.force_login(secretary)
    client.post(reverse("export_residents"))
    request = ExportRequest.objects.get(requested_by=secretary)
    assert request not in client.get(reverse("export_requests")).context["to_decide"]
    with pytest.raises(PermissionDenied):
        services.export_request_decide(actor=secretary, pk=request.pk, approve=True)
    services.export_request_decide(actor=personas["subdistrict_officer"], pk=request.pk, approve=True)
    assert client.post(reverse("export_residents")).status_code == 200
