"""The demo city's co-building data (D11): units with agreements, pairings, rooms and bookings,
funds whose published summaries match their ledgers, volunteers against a target."""

import pytest

from lianxin.cobuilding import services
from lianxin.cobuilding.models import (
    Agreement,
    Booking,
    BookingStatus,
    FundPublication,
    LedgerEntry,
    Pairing,
    Room,
    Volunteer,
)

from .demo_helpers import build_city


@pytest.fixture
def built(db, monkeypatch):
    return build_city(monkeypatch, "cobuilding")


def test_demo_cobuilding(built):
    assert built["cobuilding_units"] > 0 and built["cobuilding_agreements"] == Agreement.objects.count()
    assert built["cobuilding_rooms"] == Room.objects.count() > 0
    assert built["cobuilding_bookings"] == Booking.objects.count()
    assert Booking.objects.filter(status=BookingStatus.PENDING).exists()
    assert built["cobuilding_ledger_lines"] == LedgerEntry.objects.count() > 0
    assert built["cobuilding_volunteers"] == Volunteer.objects.count() > 0
    assert Volunteer.objects.filter(member__isnull=False).exists()
    # 24 city leaders and 28 departments, each paired with one community.
    assert Pairing.objects.filter(kind="leader").count() == 24
    assert Pairing.objects.filter(kind="department").count() == 28
    # No two held bookings of a room overlap, and every published summary matches its ledger.
    for room in Room.objects.all():
        held = list(room.bookings.filter(status__in=["pending", "approved"]).order_by("starts_at"))
        assert all(a.ends_at <= b.starts_at for a, b in zip(held, held[1:], strict=False))
    publications = FundPublication.objects.exclude(title="")
    assert publications.exists()
    for publication in publications:
        assert publication.figures == services.fund_figures(publication.place_id, publication.year)
    assert LedgerEntry.objects.filter(reverses__isnull=False).exists()
