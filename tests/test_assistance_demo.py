"""The demo city's assistance data (issue 6): cases at every step driven through the services, notices
on the portal, a flagged case, payments and 一联一 pairings."""

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.assistance.models import Case, LedgerEntry, Notice, Pairing, Recusal

from .demo_helpers import build_city


@pytest.fixture
def built(db, monkeypatch):
    return build_city(monkeypatch, "assistance")


def test_demo_assistance(built):
    assert built["assistance_cases"] == Case.objects.count() > 5
    steps = set(Case.objects.filter(status="open").values_list("step__code", flat=True))
    assert {"apply", "investigate", "deliberate", "notice"} <= steps
    assert Case.objects.filter(status="approved").exists()
    assert Case.objects.filter(flagged=True).exists() and Recusal.objects.exists()
    assert LedgerEntry.objects.filter(kind="payment").exists()
    assert built["assistance_pairings"] == Pairing.objects.count() > 0
    running = Notice.objects.filter(withdrawn_at__isnull=True)
    assert running.exists()
    page = Client().get(reverse("assistance_portal")).content.decode()
    assert any(n.masked_name in page for n in running)
