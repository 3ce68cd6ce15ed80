"""Which tables carry the tenant key, for distributing the database by place (issue 13).

The tenant key is ``place_path`` (lianxin.core.models.PlaceScoped): the chain of place ids from the
root. Its leading segments name the city, district, subdistrict and community, so a distribution
column derived from it (the subdistrict or community prefix) keeps each community's rows together.
docs/operations.md ("Sharding path") describes the distribution on a sharded PostgreSQL.

Every model of a ``lianxin.*`` app is one of:

- **keyed**: it has ``place_path`` (every PlaceScoped model, and the audit log and export requests);
- **child**: a row that belongs to one keyed row through a required foreign key (a meeting's
  attendance, a ballot's marks). Its key is the parent's; before distribution each gets a
  ``place_path`` column filled from the parent, so it is co-located with it;
- **reference**: small shared data every node holds a copy of (calendar, categories, the place tree);
- **global**: per-person or per-installation data that is not distributed (accounts, sign-in
  throttles, inboxes, counters).

tests/test_scaleout_tenant_key.py fails when a model is none of these, so a new tenant table cannot be
added without its key (or a deliberate entry here).
"""

TENANT_KEY = "place_path"

REFERENCE_TABLES = frozenset(
    {
        "places.Place",  # the tree itself: every row is joined with it; read-mostly
        "core.CalendarYear",
        "core.CalendarDay",
        "appeals.RequestCategory",
        "branch.MeetingType",
        "assistance.Programme",
        "assistance.ProgrammeStep",
        "decisions.MatterCategory",
        "governance.StandardItem",
    }
)

GLOBAL_TABLES = frozenset(
    {
        "accounts.User",
        "accounts.RoleAssignment",  # who may act where: read on every request, keyed by user
        "accounts.LoginThrottle",
        "accounts.TwoFactorDevice",
        "core.AuditHead",  # the end of the audit hash chain (one chain per shard once distributed)
        "core.Notification",  # a person's inbox, keyed by recipient
        "appeals.CaseCounter",  # yearly case-number sequences
        "assistance.CaseCounter",
        "branch.MemberAccount",  # links a sign-in to a resident
        "imports.ImportJob",  # an upload in progress; its place is optional
    }
)

CHILD_TABLES = frozenset(
    {
        "registry.TransferEvent",
        "appeals.RequestEvent",
        "appeals.Attachment",
        "appeals.RequestLink",
        "branch.Attendance",
        "branch.MeetingAttachment",
        "branch.VisitTrigger",
        "branch.VisitRecord",
        "branch.RecruitEvent",
        "branch.PostHolding",
        "assistance.CaseEvent",
        "assistance.CaseDocument",
        "assistance.Recusal",
        "assistance.Investigation",
        "assistance.InvestigationPhoto",
        "assistance.PanelVote",
        "assistance.PairingAction",
        "assistance.PairingNote",
        "decisions.StageRecord",
        "decisions.RepresentedHousehold",
        "decisions.BallotCode",
        "decisions.HouseholdVote",
        "decisions.DraftComment",
        "decisions.DeliberationSchedule",  # one per place: carries the place itself
        "performance.Milestone",
        "performance.ProgressUpdate",
        "performance.Fulfilment",
        "performance.Evaluee",
        "performance.Score",
        "performance.BallotCode",
        "performance.Ballot",
        "performance.BallotMark",
        "disputes.DisputeParty",
        "disputes.DisputeEvent",
        "disputes.FollowUp",
        "disputes.IncidentPhoto",
        "disputes.IncidentLog",
        "disputes.CareContact",
        "disputes.PatrolMember",
        "cobuilding.Voucher",
        "cobuilding.VolunteerHours",
        "elections.Candidate",
        "elections.Round",
        "elections.RoundCandidate",
        "elections.Ballot",
        "elections.BallotMark",
        "elections.BallotCode",
        "elections.EntryToken",
        "governance.CheckItem",
        "governance.UpgradeItem",
    }
)


def is_keyed(model) -> bool:
    return any(field.name == TENANT_KEY for field in model._meta.concrete_fields)


def key_route(model, depth: int = 4) -> list[str] | None:
    """The required foreign keys leading from a child to a keyed row or to a place, e.g.
    ``["ballot", "cycle"]`` for a ballot mark; None when there is none."""
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.null or field.related_model is None:
            continue
        target = field.related_model
        if target._meta.label == "places.Place" or is_keyed(target):
            return [field.name]
    if depth > 1:
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.null or field.related_model is None:
                continue
            target = field.related_model
            if target._meta.label in CHILD_TABLES and target is not model:
                rest = key_route(target, depth - 1)
                if rest is not None:
                    return [field.name, *rest]
    return None


def tenant_models():
    from django.apps import apps

    return [m for m in apps.get_models() if m.__module__.startswith("lianxin.") and not m._meta.proxy]
