"""The demo city's governance data (issue 14): chains with some contacts overdue, a problem turned
into a request, sitting-in applications, and reviewed self-checks giving a mix of class 1/2/3 with
upgrade plans."""

from lianxin.core.models import AuditEntry
from lianxin.governance import selectors
from lianxin.governance.models import (
    ApplicationStatus,
    CheckStatus,
    ContactEntry,
    ContactLink,
    SelfCheck,
    SittingInApplication,
    UpgradePlan,
)
from lianxin.places.models import PartyOrganization

from .demo_helpers import build_city


def test_demo_governance(db, monkeypatch):
    built = build_city(monkeypatch, "governance")
    assert built["governance_links"] == ContactLink.objects.count() > 0
    assert built["governance_delegates"] == 4  # two per community of the test city
    # some contacts are overdue, most are not
    overdue = selectors.links_with_last_contact(ContactLink.objects.active()).filter(
        since__lt=selectors.contact_cutoff()
    )
    assert 0 < overdue.count() < ContactLink.objects.count() // 2
    assert ContactEntry.objects.filter(request__isnull=False).count() == built["governance_requests"] == 2
    entry = ContactEntry.objects.filter(request__isnull=False).first()
    assert entry.request.description == entry.problems
    # sitting in: the linked member logins applied; one approved per meeting
    assert built["governance_applications"] == SittingInApplication.objects.count() > 0
    assert SittingInApplication.objects.filter(status=ApplicationStatus.APPROVED).count() >= 1
    # standards: a mix of classes from the reviews, with upgrade plans for class 2 and 3
    reviewed = SelfCheck.objects.filter(status=CheckStatus.REVIEWED)
    assert set(reviewed.values_list("rating", flat=True)) == {1, 2, 3}
    assert SelfCheck.objects.filter(status=CheckStatus.SUBMITTED).exists()
    assert UpgradePlan.objects.count() == reviewed.exclude(rating=1).count() == built["governance_plans"]
    for check in reviewed:
        assert PartyOrganization.objects.get(pk=check.organization_id).rating == check.rating
    assert all(plan.items.exists() for plan in UpgradePlan.objects.all())
    assert AuditEntry.objects.filter(action="governance.check_review").count() == reviewed.count()
