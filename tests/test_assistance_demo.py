"""The demo city's assistance data (issue 6): cases at every step driven through the services, notices
on the portal, a flagged case, payments and 一联一 pairings."""

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.assistance.models import Case, LedgerEntry, Notice, Pairing, Recusal
from lianxin.core import demo
from lianxin.modules import MODULES

OTHER_MODULES = tuple(m for m in MODULES if m != "assistance")


@pytest.fixture
def built(db, monkeypatch):
    # Only this module's demo on top of the foundation's: another module's demo data is its own test.
    from importlib import import_module

    for module in OTHER_MODULES:
        monkeypatch.setattr(import_module(f"lianxin.{module}.demo"), "populate", lambda **kwargs: {})
    return demo.build_demo_city(scale="test")


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
