"""Writes of the disputes module (D7). Each service checks access, validates (a Chinese message
naming the field), writes in one transaction with an audit entry, and notifies after commit.

Three-level handling (三级调处): a dispute is handled by the community (HANDLE_DISPUTES at its place,
so grid workers in their grid); escalated with a reason to the subdistrict, then to the district,
where holders of RECEIVE_ESCALATIONS at that level's place take it; a higher level may hand it back
one level with a reason. ``max_level`` keeps the highest level reached: the metrics of
"小事不出区、大事不出街、矛盾不上交" count by it.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts.models import RoleAssignment
from lianxin.appeals.services import check_upload
from lianxin.core import access, audit, tree
from lianxin.core.access import Action
from lianxin.core.notifications import notify
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import Household, Resident

from .actions import DisputeAction as A
from .models import (
    CLOSED_STATUSES,
    LEVEL_ORDER,
    OPEN_STATUSES,
    CareContact,
    CarePlan,
    CarePlanStatus,
    CheckResult,
    ContactMethod,
    Dispute,
    DisputeEvent,
    DisputeParty,
    DisputeStatus,
    DisputeType,
    EventKind,
    FollowUp,
    Incident,
    IncidentLog,
    IncidentPhoto,
    IncidentPlan,
    IncidentStatus,
    IncidentType,
    Level,
    MediationType,
    Mediator,
    Mode,
    PartySide,
    PatrolLog,
    PatrolMember,
    PatrolShift,
    PatrolTeam,
    PatrolZone,
    Risk,
    Screener,
    ScreeningCampaign,
    ScreeningCheck,
    ScreeningStatus,
    Severity,
    Source,
    TeamKind,
)

DEFAULT_DUE_DAYS = 15
MAX_PHOTOS = 6
PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
# Incidents at or above this severity are reported up to the district at once; all go to the
# community and the subdistrict.
DISTRICT_SEVERITIES = {Severity.LARGE, Severity.MAJOR, Severity.CRITICAL}


def default_due_days() -> int:
    """Working days a dispute's handling plan gets by default (LIANXIN_DISPUTES_DUE_DAYS)."""
    return int(getattr(settings, "LIANXIN_DISPUTES_DUE_DAYS", DEFAULT_DUE_DAYS))


# --- places and people ------------------------------------------------------------------------------


def ancestor_of_kind(path: str, kind: str) -> Place | None:
    return Place.objects.filter(kind=kind, path__in=[*tree.ancestors_of(path), path]).first()


def level_place(dispute: Dispute, level: str | None = None) -> Place | None:
    """The place of the body that handles ``dispute`` at ``level`` (its community, subdistrict or district)."""
    return ancestor_of_kind(dispute.place_path, level or dispute.level)


def holders(action: str, path: str, *, kinds=None, exclude=None) -> list:
    """Active users whose roles grant ``action`` at a place above (or at) ``path``."""
    roles = [role for role, actions in access.ROLE_ACTIONS.items() if action in actions]
    qs = RoleAssignment.objects.filter(
        ended_at__isnull=True,
        role__in=roles,
        place__path__in=[*tree.ancestors_of(path), path],
        user__is_active=True,
    ).select_related("user")
    if kinds:
        qs = qs.filter(place__kind__in=kinds)
    users = {ra.user_id: ra.user for ra in qs}
    if exclude is not None:
        users.pop(exclude.pk, None)
    return list(users.values())


def can_act(actor, dispute: Dispute) -> bool:
    """May ``actor`` handle ``dispute`` at the level it is at now?"""
    if dispute.level == Level.COMMUNITY:
        return access.can(actor, A.HANDLE_DISPUTES, dispute.place_path)
    place = level_place(dispute)
    return place is not None and access.can(actor, A.RECEIVE_ESCALATIONS, place)


def _require_act(actor, dispute: Dispute) -> None:
    if not access.can(actor, A.VIEW_DISPUTES, dispute.place_path):
        from django.http import Http404

        raise Http404
    if not can_act(actor, dispute):
        raise PermissionDenied


def _fresh(dispute: Dispute) -> Dispute:
    return Dispute.objects.get(pk=dispute.pk)


def _event(dispute, *, kind, actor, text="", from_level="", to_level="") -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute, kind=kind, actor=actor, text=text, from_level=from_level, to_level=to_level
    )


def _place_in_community(place) -> Place:
    if not isinstance(place, Place):
        raise ValidationError({"place": _("Please choose the place.")})
    place = Place.objects.get(pk=place.pk)
    if place.kind not in (PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.BUILDING):
        raise ValidationError({"place": _("Choose a community, grid or building.")})
    return place


# --- mediators (社区调解庭) --------------------------------------------------------------------------


@transaction.atomic
def mediator_create(
    *,
    actor,
    place,
    name: str,
    elected_on: dt.date,
    election_reference: str,
    term_start: dt.date,
    term_end: dt.date,
    resident=None,
    phone: str = "",
    speciality: str = "",
) -> Mediator:
    """Add a member of the mediation panel, elected by the residents' representatives (D7):
    the election's date and its reference (the meeting's resolution) are required."""
    place = _place_in_community(place)
    access.require(actor, A.MANAGE_SAFETY, place)
    errors = {}
    name = (name or "").strip()
    if resident is not None:
        resident = Resident.objects.filter(pk=resident.pk).first()
        if resident is None or not resident.place_path.startswith(place.path):
            errors["resident"] = _("Choose a resident of this community.")
        elif not name:
            name = resident.name
    if not name:
        errors["name"] = _("Please enter the name.")
    if not (election_reference or "").strip():
        errors["election_reference"] = _(
            "Please give the reference of the residents' representatives' election (meeting and resolution)."
        )
    if elected_on and elected_on > timezone.localdate():
        errors["elected_on"] = _("The date cannot be in the future.")
    if term_start and term_end and term_end < term_start:
        errors["term_end"] = _("The term cannot end before it starts.")
    if elected_on and term_start and term_start < elected_on:
        errors["term_start"] = _("The term cannot start before the election.")
    if errors:
        raise ValidationError(errors)
    mediator = Mediator.objects.create(
        place=place,
        name=name,
        resident=resident,
        phone=(phone or "").strip(),
        speciality=(speciality or "").strip(),
        elected_on=elected_on,
        election_reference=election_reference.strip(),
        term_start=term_start,
        term_end=term_end,
        created_by=actor,
    )
    audit.record(actor=actor, action="disputes.mediator_create", obj=mediator, after=audit.snapshot(mediator))
    return mediator


# --- the register -----------------------------------------------------------------------------------


def _parties(actor, place, parties) -> list[DisputeParty]:
    rows = []
    visible = access.restrict(Resident.objects.all(), actor, Action.VIEW_PEOPLE)
    for index, party in enumerate(parties or [], start=1):
        resident = party.get("resident")
        side = party.get("side") or PartySide.APPLICANT
        if side not in PartySide.values:
            raise ValidationError({"parties": _("Party %(n)d: choose a side.") % {"n": index}})
        if resident is not None:
            resident = visible.filter(pk=getattr(resident, "pk", resident)).first()
            if resident is None:
                raise ValidationError(
                    {"parties": _("Party %(n)d: this resident is not in your registry.") % {"n": index}}
                )
            rows.append(DisputeParty(resident=resident, side=side, phone=(party.get("phone") or "").strip()))
        else:
            name = (party.get("name") or "").strip()
            if not name:
                raise ValidationError(
                    {"parties": _("Party %(n)d: enter the name of the party.") % {"n": index}}
                )
            rows.append(
                DisputeParty(name=name[:60], side=side, phone=(party.get("phone") or "").strip()[:20])
            )
    if not rows:
        raise ValidationError({"parties": _("Name at least one party.")})
    return rows


@transaction.atomic
def dispute_create(
    *,
    actor,
    place,
    dispute_type: str,
    title: str,
    description: str,
    source: str,
    parties: list[dict],
    risk: str = Risk.LOW,
    location: str = "",
    reported_on: dt.date | None = None,
    police_reference: str = "",
    source_request=None,
    source_visit=None,
    source_check: ScreeningCheck | None = None,
) -> Dispute:
    """Put a dispute in the register (D7). Parties are residents of the registry or outsiders by
    name. The source is screening, a resident's request, a household visit, a police referral or a
    party coming forward; a referral needs the police's reference number."""
    place = _place_in_community(place)
    access.require(actor, A.HANDLE_DISPUTES, place)
    today = timezone.localdate()
    reported_on = reported_on or today
    errors = {}
    if dispute_type not in DisputeType.values:
        errors["dispute_type"] = _("Please choose the type of dispute.")
    if risk not in Risk.values:
        errors["risk"] = _("Please choose the risk level.")
    if source not in Source.values:
        errors["source"] = _("Please choose where the dispute came from.")
    if not (title or "").strip():
        errors["title"] = _("Please enter a title.")
    if not (description or "").strip():
        errors["description"] = _("Please describe the dispute.")
    if reported_on > today:
        errors["reported_on"] = _("The date cannot be in the future.")
    if source == Source.POLICE and not (police_reference or "").strip():
        errors["police_reference"] = _("Please enter the police referral number.")
    if source == Source.REQUEST:
        from lianxin.appeals.models import Request

        found = (
            access.restrict(Request.objects.all(), actor, Action.VIEW_REQUESTS)
            .filter(pk=getattr(source_request, "pk", source_request))
            .first()
            if source_request is not None
            else None
        )
        if found is None:
            errors["source_request"] = _("Choose the resident's request this comes from.")
        source_request = found
    else:
        source_request = None
    if source == Source.VISIT:
        from lianxin.visits.models import Visit

        found = (
            access.restrict(Visit.objects.all(), actor, Action.VIEW_VISITS)
            .filter(pk=getattr(source_visit, "pk", source_visit))
            .first()
            if source_visit is not None
            else None
        )
        if found is None:
            errors["source_visit"] = _("Choose the visit this comes from.")
        source_visit = found
    else:
        source_visit = None
    if source == Source.SCREENING and source_check is None:
        errors["source"] = _("A dispute found by screening is recorded from the screening campaign.")
    if errors:
        raise ValidationError(errors)
    party_rows = _parties(actor, place, parties)
    dispute = Dispute(
        place=place,
        dispute_type=dispute_type,
        title=title.strip()[:120],
        description=description.strip(),
        location=(location or "").strip()[:120],
        risk=risk,
        source=source,
        source_check=source_check,
        source_request=source_request,
        source_visit=source_visit,
        police_reference=(police_reference or "").strip()[:60] if source == Source.POLICE else "",
        reported_on=reported_on,
        created_by=actor,
    )
    dispute.set_deadline(reported_on, default_due_days())
    dispute.save()
    for row in party_rows:
        row.dispute = dispute
    DisputeParty.objects.bulk_create(party_rows)
    _event(dispute, kind=EventKind.REGISTERED, actor=actor, to_level=Level.COMMUNITY)
    audit.record(
        actor=actor,
        action="disputes.create",
        obj=dispute,
        after={
            "type": dispute_type,
            "risk": risk,
            "source": source,
            "parties": [p.resident_id or "outsider" for p in party_rows],
            "due_on": dispute.due_on,
        },
    )
    if risk == Risk.HIGH:
        community = ancestor_of_kind(place.path, PlaceKind.COMMUNITY)
        recipients = holders(A.HANDLE_DISPUTES, community.path, kinds=[PlaceKind.COMMUNITY], exclude=actor)
        _notify_after_commit(
            recipients,
            _("High-risk dispute registered: %(title)s") % {"title": dispute.title},
            dispute,
            f"disputes.high_risk:{dispute.pk}",
        )
    return dispute


def _notify_after_commit(recipients, title, obj, key, body=""):
    url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else _url_of(obj)
    ids = [u.pk for u in recipients]

    def send():
        users = get_user_model().objects.filter(pk__in=ids)
        notify(recipients=list(users), title=title, body=body, url=url, dedupe_key=key)

    transaction.on_commit(send)


def _url_of(obj) -> str:
    from django.urls import reverse

    if isinstance(obj, Dispute):
        return reverse("disputes_detail", args=[obj.pk])
    if isinstance(obj, Incident):
        return reverse("disputes_incident", args=[obj.pk])
    return ""


def _people_who_may_act(dispute: Dispute, users) -> None:
    for user in users:
        probe = Dispute(place_id=dispute.place_id, place_path=dispute.place_path, level=dispute.level)
        if not can_act(user, probe):
            raise ValidationError(
                {"team": _("%(name)s cannot handle disputes here.") % {"name": user.get_full_name() or user}}
            )


@transaction.atomic
def dispute_arrange(
    *,
    actor,
    dispute: Dispute,
    mode: str,
    mediation_type: str,
    leader,
    plan: str,
    due_days: int,
    team=(),
    mediators=(),
) -> Dispute:
    """ "五个一" (D7): one leader, one team, one plan, a deadline in working days from today; the
    handling mode (坐诊/出诊/急诊/会诊) and the mediation type (people's/judicial/administrative)."""
    dispute = _fresh(dispute)
    _require_act(actor, dispute)
    errors = {}
    if dispute.status not in OPEN_STATUSES:
        raise ValidationError(_("This dispute is closed."))
    if mode not in Mode.values:
        errors["mode"] = _("Please choose the handling mode.")
    if mediation_type not in MediationType.values:
        errors["mediation_type"] = _("Please choose the mediation type.")
    if leader is None:
        errors["leader"] = _("Please choose the leader.")
    if not (plan or "").strip():
        errors["plan"] = _("Please write the plan.")
    if not isinstance(due_days, int) or not 1 <= due_days <= 60:
        errors["due_days"] = _("The deadline must be 1 to 60 working days.")
    if errors:
        raise ValidationError(errors)
    team = list(team)
    try:
        _people_who_may_act(dispute, [leader])
    except ValidationError:
        raise ValidationError({"leader": _("The leader must be able to handle disputes here.")}) from None
    _people_who_may_act(dispute, team)
    mediators = list(mediators)
    community = ancestor_of_kind(dispute.place_path, PlaceKind.COMMUNITY)
    for mediator in mediators:
        if not mediator.place_path.startswith(community.path):
            raise ValidationError({"mediators": _("Choose mediators of this community.")})
    before = audit.snapshot(dispute, ["status", "mode", "mediation_type", "leader", "plan", "due_on"])
    old_status = dispute.status
    dispute.mode, dispute.mediation_type, dispute.leader = mode, mediation_type, leader
    dispute.plan = plan.strip()
    dispute.set_deadline(timezone.localdate(), due_days)
    updated = Dispute.objects.filter(pk=dispute.pk, status=old_status, level=dispute.level).update(
        status=DisputeStatus.HANDLING,
        mode=mode,
        mediation_type=mediation_type,
        leader=leader,
        plan=dispute.plan,
        due_from=dispute.due_from,
        due_days=dispute.due_days,
        due_on=dispute.due_on,
        due_provisional=dispute.due_provisional,
    )
    if not updated:
        raise ValidationError(_("Someone else changed this dispute just now. Please reload."))
    dispute = _fresh(dispute)
    dispute.team.set(team)
    dispute.mediators.set(mediators)
    _event(
        dispute,
        kind=EventKind.HANDLING,
        actor=actor,
        text=_("Leader %(leader)s, deadline %(due)s")
        % {"leader": leader.get_full_name() or leader, "due": dispute.due_on},
    )
    audit.record(
        actor=actor,
        action="disputes.arrange",
        obj=dispute,
        before=before,
        after=audit.snapshot(dispute, ["status", "mode", "mediation_type", "leader", "plan", "due_on"])
        | {"team": [u.pk for u in team], "mediators": [m.pk for m in mediators]},
    )
    if leader.pk != actor.pk:
        _notify_after_commit(
            [leader],
            _("You lead the handling of %(dispute)s") % {"dispute": dispute},
            dispute,
            f"disputes.lead:{dispute.pk}:{dispute.due_from}:{leader.pk}",
        )
    return dispute


@transaction.atomic
def dispute_escalate(*, actor, dispute: Dispute, reason: str) -> Dispute:
    """Send a dispute one level up (community → subdistrict → district) with a reason; the next
    level's officers are notified. The new level arranges its own leader, plan and deadline."""
    dispute = _fresh(dispute)
    _require_act(actor, dispute)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for escalating.")})
    if dispute.status not in OPEN_STATUSES:
        raise ValidationError(_("This dispute is closed."))
    index = LEVEL_ORDER.index(dispute.level)
    if index + 1 >= len(LEVEL_ORDER):
        raise ValidationError(_("This dispute is already at the district."))
    old, new = dispute.level, LEVEL_ORDER[index + 1]
    target = level_place(dispute, new)
    if target is None:
        raise ValidationError(_("There is no %(level)s above this place.") % {"level": Level(new).label})
    max_level = new if LEVEL_ORDER.index(new) > LEVEL_ORDER.index(dispute.max_level) else dispute.max_level
    if not Dispute.objects.filter(pk=dispute.pk, level=old, status__in=OPEN_STATUSES).update(
        level=new, max_level=max_level, status=DisputeStatus.REGISTERED, leader=None
    ):
        raise ValidationError(_("Someone else changed this dispute just now. Please reload."))
    dispute = _fresh(dispute)
    _event(dispute, kind=EventKind.ESCALATED, actor=actor, from_level=old, to_level=new, text=reason)
    audit.record(
        actor=actor,
        action="disputes.escalate",
        obj=dispute,
        before={"level": old},
        after={"level": new, "max_level": max_level},
        reason=reason,
    )
    recipients = holders(A.RECEIVE_ESCALATIONS, target.path, kinds=[target.kind], exclude=actor)
    _notify_after_commit(
        recipients,
        _("Dispute escalated to you: %(title)s") % {"title": dispute.title},
        dispute,
        f"disputes.escalate:{dispute.pk}:{new}",
        body=reason,
    )
    return dispute


@transaction.atomic
def dispute_hand_back(*, actor, dispute: Dispute, reason: str) -> Dispute:
    """Return an escalated dispute one level down with a reason (instructions); the lower level
    handles it again. The highest level reached stays recorded."""
    dispute = _fresh(dispute)
    _require_act(actor, dispute)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for handing back.")})
    if dispute.status not in OPEN_STATUSES:
        raise ValidationError(_("This dispute is closed."))
    index = LEVEL_ORDER.index(dispute.level)
    if index == 0:
        raise ValidationError(_("This dispute is already with the community."))
    old, new = dispute.level, LEVEL_ORDER[index - 1]
    if not Dispute.objects.filter(pk=dispute.pk, level=old, status__in=OPEN_STATUSES).update(
        level=new, status=DisputeStatus.REGISTERED, leader=None
    ):
        raise ValidationError(_("Someone else changed this dispute just now. Please reload."))
    dispute = _fresh(dispute)
    _event(dispute, kind=EventKind.HANDED_BACK, actor=actor, from_level=old, to_level=new, text=reason)
    audit.record(
        actor=actor,
        action="disputes.hand_back",
        obj=dispute,
        before={"level": old},
        after={"level": new},
        reason=reason,
    )
    if new == Level.COMMUNITY:
        recipients = [get_user_model().objects.get(pk=dispute.created_by_id)]
    else:
        target = level_place(dispute, new)
        recipients = holders(A.RECEIVE_ESCALATIONS, target.path, kinds=[target.kind], exclude=actor)
    _notify_after_commit(
        recipients,
        _("Dispute handed back to you: %(title)s") % {"title": dispute.title},
        dispute,
        f"disputes.hand_back:{dispute.pk}:{timezone.now().timestamp()}",
        body=reason,
    )
    return dispute


@transaction.atomic
def dispute_close(
    *,
    actor,
    dispute: Dispute,
    outcome: str,
    note: str,
    document=None,
    closed_on: dt.date | None = None,
) -> Dispute:
    """Close a dispute: an agreement (the signed document attached), a referral to court, or withdrawn."""
    dispute = _fresh(dispute)
    _require_act(actor, dispute)
    today = timezone.localdate()
    closed_on = closed_on or today
    errors = {}
    if outcome not in CLOSED_STATUSES:
        errors["outcome"] = _("Please choose the outcome.")
    if not (note or "").strip():
        errors["note"] = _("Please describe the outcome.")
    if closed_on > today:
        errors["closed_on"] = _("The date cannot be in the future.")
    elif closed_on < dispute.reported_on:
        errors["closed_on"] = _("The dispute cannot close before it was reported.")
    data = b""
    if outcome == DisputeStatus.AGREEMENT:
        if document is None:
            errors["document"] = _("Attach the signed mediation agreement.")
        else:
            if isinstance(document, tuple):
                name, data = document
            else:
                name, data = getattr(document, "name", "file"), document.read()
            try:
                content_type, extension = check_upload(str(name), bytes(data))
            except ValidationError as exc:
                errors["document"] = exc.message_dict.get("attachments", exc.messages)
    if errors:
        raise ValidationError(errors)
    if dispute.status not in OPEN_STATUSES:
        raise ValidationError(_("This dispute is closed."))
    if not Dispute.objects.filter(pk=dispute.pk, status=dispute.status, level=dispute.level).update(
        status=outcome, closed_on=closed_on, closed_level=dispute.level, outcome_note=note.strip()
    ):
        raise ValidationError(_("Someone else changed this dispute just now. Please reload."))
    dispute = _fresh(dispute)
    if data:
        dispute.agreement_token = secrets.token_hex(16)
        dispute.agreement_extension = extension
        dispute.agreement_file.save("upload", ContentFile(data), save=False)
        dispute.save(update_fields=["agreement_token", "agreement_extension", "agreement_file"])
    _event(dispute, kind=EventKind.CLOSED, actor=actor, text=note.strip())
    audit.record(
        actor=actor,
        action="disputes.close",
        obj=dispute,
        before={"status": DisputeStatus.HANDLING},
        after={"status": outcome, "closed_on": closed_on, "level": dispute.level, "document": bool(data)},
    )
    return dispute


@transaction.atomic
def dispute_follow_up(
    *, actor, dispute: Dispute, visited_on: dt.date, kept: bool, note: str = ""
) -> FollowUp:
    """A return visit after an agreement: is the agreement being kept? One who may handle the dispute's
    place (or its leader or a team member) records it."""
    dispute = _fresh(dispute)
    if not access.can(actor, A.VIEW_DISPUTES, dispute.place_path):
        from django.http import Http404

        raise Http404
    allowed = (
        access.can(actor, A.HANDLE_DISPUTES, dispute.place_path)
        or dispute.leader_id == actor.pk
        or dispute.team.filter(pk=actor.pk).exists()
    )
    if not allowed:
        raise PermissionDenied
    if dispute.status != DisputeStatus.AGREEMENT:
        raise ValidationError(_("Follow-up visits are for disputes settled by agreement."))
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The date cannot be in the future.")})
    if visited_on < dispute.closed_on:
        raise ValidationError({"visited_on": _("A follow-up visit comes after the agreement.")})
    if not kept and not (note or "").strip():
        raise ValidationError({"note": _("Please say what is not being kept.")})
    follow_up = FollowUp.objects.create(
        dispute=dispute, visited_on=visited_on, visitor=actor, kept=kept, note=(note or "").strip()
    )
    _event(dispute, kind=EventKind.FOLLOW_UP, actor=actor, text=follow_up.note)
    audit.record(
        actor=actor, action="disputes.follow_up", obj=dispute, after={"visited_on": visited_on, "kept": kept}
    )
    return follow_up


# --- screening campaigns ----------------------------------------------------------------------------


@transaction.atomic
def screening_create(
    *,
    actor,
    place,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    screeners: list[tuple] = (),
    units: str = "",
) -> ScreeningCampaign:
    """Open a screening campaign (排查) over a community or grid, with screeners assigned to parts
    of it ((user, place) pairs); units located there are listed one per line."""
    place = _place_in_community(place)
    access.require(actor, A.MANAGE_SAFETY, place)
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Please enter a title.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The campaign cannot end before it starts.")
    if not screeners:
        errors["screeners"] = _("Assign at least one screener.")
    if errors:
        raise ValidationError(errors)
    campaign = ScreeningCampaign.objects.create(
        place=place,
        title=title.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        units=units or "",
        created_by=actor,
    )
    for user, part in screeners:
        part = Place.objects.get(pk=part.pk)
        if not part.path.startswith(place.path):
            raise ValidationError({"screeners": _("Assign screeners within the campaign's area.")})
        if not access.can(user, A.HANDLE_DISPUTES, part):
            raise ValidationError(
                {
                    "screeners": _("%(name)s cannot record disputes there.")
                    % {"name": user.get_full_name() or user}
                }
            )
        Screener.objects.get_or_create(campaign=campaign, user=user, place=part)
    audit.record(
        actor=actor,
        action="disputes.screening_create",
        obj=campaign,
        after={"title": campaign.title, "screeners": [(u.pk, p.pk) for u, p in screeners]},
    )
    return campaign


@transaction.atomic
def screening_record(
    *,
    actor,
    campaign: ScreeningCampaign,
    result: str,
    household: Household | None = None,
    unit_name: str = "",
    finding: str = "",
    dispute_type: str = DisputeType.OTHER,
    risk: str = Risk.LOW,
    checked_on: dt.date | None = None,
) -> ScreeningCheck:
    """Record one household (or unit) screened. A finding goes straight into the register as a
    dispute from screening, its parties the household's head, its text the finding: nothing is typed twice."""
    campaign = ScreeningCampaign.objects.get(pk=campaign.pk)
    today = timezone.localdate()
    checked_on = checked_on or today
    if household is not None:
        household = Household.objects.select_related("head").get(pk=household.pk)
        if not household.place_path.startswith(campaign.place_path):
            raise ValidationError({"household": _("This household is outside the campaign's area.")})
        place_path = household.place_path
        place_id = household.place_id
    else:
        unit_name = (unit_name or "").strip()
        if not unit_name:
            raise ValidationError({"unit_name": _("Choose the household or enter the unit.")})
        # A unit is filed where its screener works (a grid worker: their grid).
        assigned = Screener.objects.filter(campaign=campaign, user=actor).first()
        where = assigned if assigned is not None else campaign
        place_path, place_id = where.place_path, where.place_id
    access.require(actor, A.HANDLE_DISPUTES, place_path)
    errors = {}
    if campaign.status != ScreeningStatus.OPEN:
        errors["result"] = _("This campaign is closed.")
    if result not in CheckResult.values:
        errors["result"] = _("Please choose the result.")
    if result == CheckResult.FOUND and not (finding or "").strip():
        errors["finding"] = _("Please describe what was found.")
    if checked_on > today:
        errors["checked_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    check = ScreeningCheck(
        campaign=campaign,
        place_id=place_id,
        household=household,
        unit_name="" if household else unit_name[:120],
        result=result,
        finding=(finding or "").strip(),
        checked_on=checked_on,
        checked_by=actor,
    )
    try:
        with transaction.atomic():
            check.save()
    except IntegrityError:
        raise ValidationError({"household": _("This has already been screened in this campaign.")}) from None
    audit.record(actor=actor, action="disputes.screening_check", obj=check, after={"result": result})
    if result == CheckResult.FOUND:
        if household is not None and household.head_id:
            parties = [{"resident": household.head, "side": PartySide.APPLICANT}]
            where = household.address_label()
        else:
            parties = [{"name": unit_name or _("Unknown"), "side": PartySide.APPLICANT}]
            where = unit_name
        dispute_create(
            actor=actor,
            place=Place.objects.get(pk=place_id),
            dispute_type=dispute_type,
            title=(check.finding.splitlines()[0])[:60],
            description=check.finding,
            source=Source.SCREENING,
            parties=parties,
            risk=risk,
            location=str(where)[:120],
            reported_on=checked_on,
            source_check=check,
        )
    return check


@transaction.atomic
def screening_close(*, actor, campaign: ScreeningCampaign) -> ScreeningCampaign:
    campaign = ScreeningCampaign.objects.get(pk=campaign.pk)
    access.require(actor, A.MANAGE_SAFETY, campaign.place_path)
    if not ScreeningCampaign.objects.filter(pk=campaign.pk, status=ScreeningStatus.OPEN).update(
        status=ScreeningStatus.CLOSED
    ):
        raise ValidationError(_("This campaign is already closed."))
    audit.record(actor=actor, action="disputes.screening_close", obj=campaign, after={"status": "closed"})
    campaign.refresh_from_db()
    return campaign


# --- incidents --------------------------------------------------------------------------------------


def incident_superiors(incident: Incident, exclude=None) -> list:
    """Who is told at once: the community's incident handlers and the subdistrict's officers; the
    district's too when the incident is large or worse."""
    kinds = [PlaceKind.COMMUNITY, PlaceKind.SUBDISTRICT]
    if incident.severity in DISTRICT_SEVERITIES:
        kinds += [PlaceKind.DISTRICT, PlaceKind.CITY]
    return holders(A.HANDLE_INCIDENTS, incident.place_path, kinds=kinds, exclude=exclude)


@transaction.atomic
def incident_report(
    *,
    actor,
    place,
    incident_type: str,
    severity: str,
    description: str,
    people_affected: int = 0,
    location: str = "",
    occurred_at: dt.datetime | None = None,
    photos=(),
    idempotency_key: str = "",
) -> Incident:
    """Report an incident from the scene (D7: 突发事件 reported to the superior at once).

    The superiors' notifications are written right after the report commits, within the same
    request (transaction.on_commit): a report that fails or is rolled back tells nobody. A resent
    form (same idempotency key) returns the first report.
    """
    if idempotency_key:
        existing = Incident.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.reported_by_id != actor.pk:
                raise PermissionDenied
            return existing
    place = _place_in_community(place)
    access.require(actor, A.REPORT_INCIDENTS, place)
    now = timezone.now()
    occurred_at = occurred_at or now
    errors = {}
    if incident_type not in IncidentType.values:
        errors["incident_type"] = _("Please choose the type of incident.")
    if severity not in Severity.values:
        errors["severity"] = _("Please choose the severity.")
    if not (description or "").strip():
        errors["description"] = _("Please say what happened.")
    if people_affected is None or people_affected < 0:
        errors["people_affected"] = _("Enter the number of people affected (0 or more).")
    if occurred_at > now + dt.timedelta(minutes=5):
        errors["occurred_at"] = _("The time cannot be in the future.")
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = _("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS}
    read = []
    for upload in photos if "photos" not in errors else []:
        name, data = (
            upload if isinstance(upload, tuple) else (getattr(upload, "name", "photo"), upload.read())
        )
        try:
            content_type, extension = check_upload(str(name), bytes(data))
        except ValidationError as exc:
            errors["photos"] = exc.message_dict.get("attachments", exc.messages)
            break
        if content_type not in PHOTO_TYPES:
            errors["photos"] = _("“%(name)s” is not a photo.") % {"name": name}
            break
        read.append((bytes(data), content_type, extension))
    if errors:
        raise ValidationError(errors)
    incident = Incident(
        place=place,
        incident_type=incident_type,
        severity=severity,
        description=description.strip(),
        people_affected=people_affected,
        location=(location or "").strip()[:120],
        occurred_at=occurred_at,
        reported_by=actor,
        idempotency_key=idempotency_key or secrets.token_hex(16),
    )
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError:
        # The same form sent twice at the same moment: the first report stands.
        existing = Incident.objects.get(idempotency_key=idempotency_key)
        if existing.reported_by_id != actor.pk:
            raise PermissionDenied from None
        return existing
    for data, content_type, extension in read:
        photo = IncidentPhoto(
            incident=incident,
            token=secrets.token_hex(16),
            extension=extension,
            content_type=content_type,
            size=len(data),
        )
        photo.file.save("upload", ContentFile(data), save=False)
        photo.save()
    IncidentLog.objects.create(incident=incident, actor=actor, text=_("Reported"))
    audit.record(
        actor=actor,
        action="disputes.incident_report",
        obj=incident,
        after={
            "type": incident_type,
            "severity": severity,
            "people_affected": people_affected,
            "photos": len(read),
        },
    )
    recipients = incident_superiors(incident, exclude=actor)
    _notify_after_commit(
        recipients,
        _("Incident reported: %(type)s, %(severity)s, %(place)s")
        % {
            "type": IncidentType(incident_type).label,
            "severity": Severity(severity).label,
            "place": place.name,
        },
        incident,
        f"disputes.incident:{incident.pk}",
        body=incident.description[:500],
    )
    return incident


def _require_incident(actor, incident: Incident) -> Incident:
    incident = Incident.objects.get(pk=incident.pk)
    if not access.can(actor, A.VIEW_DISPUTES, incident.place_path) and incident.reported_by_id != actor.pk:
        from django.http import Http404

        raise Http404
    if not (
        access.can(actor, A.HANDLE_INCIDENTS, incident.place_path) or incident.reported_by_id == actor.pk
    ):
        raise PermissionDenied
    return incident


@transaction.atomic
def incident_log_add(*, actor, incident: Incident, text: str, close: bool = False) -> IncidentLog:
    """Add to the response log (the reporter or an incident handler); optionally close the incident."""
    incident = _require_incident(actor, incident)
    if not (text or "").strip():
        raise ValidationError({"text": _("Please say what was done.")})
    if incident.status == IncidentStatus.CLOSED:
        raise ValidationError(_("This incident is closed."))
    if close and not access.can(actor, A.HANDLE_INCIDENTS, incident.place_path):
        raise PermissionDenied
    entry = IncidentLog.objects.create(incident=incident, actor=actor, text=text.strip())
    if close and not Incident.objects.filter(pk=incident.pk, status=IncidentStatus.OPEN).update(
        status=IncidentStatus.CLOSED
    ):
        raise ValidationError(_("This incident is closed."))
    audit.record(
        actor=actor, action="disputes.incident_log", obj=incident, after={"entry": entry.pk, "closed": close}
    )
    return entry


def plans_for(incident: Incident):
    """The prepared plans for this incident's type kept at its place or above."""
    paths = [*tree.ancestors_of(incident.place_path), incident.place_path]
    return IncidentPlan.objects.filter(incident_type=incident.incident_type, place_path__in=paths)


@transaction.atomic
def plan_create(*, actor, place, incident_type: str, title: str, body: str) -> IncidentPlan:
    """Add a prepared plan (预案) for one type of incident."""
    place = Place.objects.get(pk=place.pk)
    access.require(actor, A.MANAGE_SAFETY, place)
    errors = {}
    if incident_type not in IncidentType.values:
        errors["incident_type"] = _("Please choose the type of incident.")
    if not (title or "").strip():
        errors["title"] = _("Please enter a title.")
    if not (body or "").strip():
        errors["body"] = _("Please write the steps of the plan.")
    if errors:
        raise ValidationError(errors)
    plan = IncidentPlan.objects.create(
        place=place, incident_type=incident_type, title=title.strip(), body=body.strip(), created_by=actor
    )
    audit.record(actor=actor, action="disputes.plan_create", obj=plan, after={"type": incident_type})
    return plan


# --- patrols (群防群治) ------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, actor, place, name: str, kind: str, members: list[dict] = ()) -> PatrolTeam:
    """A volunteer patrol team, the building safety officers or the fire-safety group, with members."""
    place = _place_in_community(place)
    access.require(actor, A.MANAGE_SAFETY, place)
    if kind not in TeamKind.values:
        raise ValidationError({"kind": _("Please choose the kind of team.")})
    if not (name or "").strip():
        raise ValidationError({"name": _("Please enter the name.")})
    team = PatrolTeam.objects.create(place=place, name=name.strip(), kind=kind, created_by=actor)
    for row in members:
        if not (row.get("name") or "").strip():
            raise ValidationError({"members": _("Every member needs a name.")})
        PatrolMember.objects.create(
            team=team,
            name=row["name"].strip(),
            phone=(row.get("phone") or "").strip(),
            building=row.get("building"),
        )
    audit.record(
        actor=actor, action="disputes.team_create", obj=team, after={"kind": kind, "members": len(members)}
    )
    return team


@transaction.atomic
def zone_create(*, actor, team: PatrolTeam, place, name: str, description: str = "") -> PatrolZone:
    team = PatrolTeam.objects.get(pk=team.pk)
    place = Place.objects.get(pk=place.pk)
    access.require(actor, A.MANAGE_SAFETY, team.place_path)
    if not place.path.startswith(team.place_path):
        raise ValidationError({"place": _("The zone must lie within the team's community.")})
    if not (name or "").strip():
        raise ValidationError({"name": _("Please enter the name.")})
    zone = PatrolZone.objects.create(
        team=team, place=place, name=name.strip(), description=description.strip()
    )
    audit.record(actor=actor, action="disputes.zone_create", obj=zone, after={"team": team.pk})
    return zone


@transaction.atomic
def shift_set(
    *, actor, zone: PatrolZone, day: dt.date, start_hour: int, end_hour: int, members=()
) -> PatrolShift:
    """Put a shift on a zone's rota (or change who is on it). Hours are [start, end) within the day."""
    zone = PatrolZone.objects.select_related("team").get(pk=zone.pk)
    access.require(actor, A.RECORD_PATROLS, zone.place_path)
    if not (0 <= start_hour < end_hour <= 24):
        raise ValidationError({"end_hour": _("A shift runs from 0 to 24 o'clock and ends after it starts.")})
    clash = PatrolShift.objects.filter(
        zone=zone, day=day, start_hour__lt=end_hour, end_hour__gt=start_hour
    ).exclude(start_hour=start_hour)
    if clash.exists():
        raise ValidationError({"start_hour": _("This shift overlaps another shift of the zone.")})
    members = list(members)
    if any(m.team_id != zone.team_id or not m.active for m in members):
        raise ValidationError({"members": _("Choose active members of the zone's team.")})
    shift, _created = PatrolShift.objects.update_or_create(
        zone=zone, day=day, start_hour=start_hour, defaults={"end_hour": end_hour, "place_id": zone.place_id}
    )
    shift.members.set(members)
    audit.record(
        actor=actor,
        action="disputes.shift_set",
        obj=shift,
        after={"day": day, "hours": [start_hour, end_hour], "members": [m.pk for m in members]},
    )
    return shift


def rota_gaps(zone: PatrolZone, day: dt.date, shifts=None) -> list[dict]:
    """The hours of ``day`` nobody patrols in ``zone``: hours no shift covers, and shifts with
    nobody assigned. Each gap is {"start", "end", "reason"} with reason "no_shift" or "nobody"."""
    if shifts is None:
        shifts = list(PatrolShift.objects.filter(zone=zone, day=day).prefetch_related("members"))
    staffed = [False] * 24
    empty = [False] * 24
    for shift in shifts:
        has_people = any(member.active for member in shift.members.all())
        for hour in range(shift.start_hour, shift.end_hour):
            if has_people:
                staffed[hour] = True
            else:
                empty[hour] = True
    gaps: list[dict] = []
    for hour in range(24):
        if staffed[hour]:
            continue
        reason = "nobody" if empty[hour] else "no_shift"
        if gaps and gaps[-1]["end"] == hour and gaps[-1]["reason"] == reason:
            gaps[-1]["end"] = hour + 1
        else:
            gaps.append({"start": hour, "end": hour + 1, "reason": reason})
    return gaps


@transaction.atomic
def patrol_log_record(
    *,
    actor,
    zone: PatrolZone,
    patrolled_on: dt.date,
    start_hour: int,
    end_hour: int,
    patrollers: str,
    findings: str = "",
) -> PatrolLog:
    zone = PatrolZone.objects.get(pk=zone.pk)
    access.require(actor, A.RECORD_PATROLS, zone.place_path)
    errors = {}
    if not (0 <= start_hour < end_hour <= 24):
        errors["end_hour"] = _("A patrol runs from 0 to 24 o'clock and ends after it starts.")
    if patrolled_on > timezone.localdate():
        errors["patrolled_on"] = _("The date cannot be in the future.")
    if not (patrollers or "").strip():
        errors["patrollers"] = _("Please name who patrolled.")
    if errors:
        raise ValidationError(errors)
    log = PatrolLog.objects.create(
        zone=zone,
        place_id=zone.place_id,
        patrolled_on=patrolled_on,
        start_hour=start_hour,
        end_hour=end_hour,
        patrollers=patrollers.strip()[:200],
        findings=(findings or "").strip(),
        recorded_by=actor,
    )
    audit.record(
        actor=actor, action="disputes.patrol_log", obj=log, after={"zone": zone.pk, "day": patrolled_on}
    )
    return log


# --- care of special groups (帮教) -------------------------------------------------------------------


def _visible_records(actor, assignments=None):
    """The registry's need-to-know rule, reused: the special-care records ``actor`` is assigned to.
    ``assignments``: ``special_care.active_assignments(actor)`` when the caller has read them already."""
    from lianxin.registry import special_care
    from lianxin.registry.models import SpecialCareRecord

    return SpecialCareRecord.objects.filter(special_care.visible_q(actor, assignments=assignments))


@transaction.atomic
def care_plan_create(
    *,
    actor,
    record,
    leader,
    goals: str,
    measures: str,
    helpers=(),
    helpers_outside: str = "",
    contact_every_days: int = 30,
) -> CarePlan:
    """Set up a help group (帮教小组) and its care plan for a special care record. Only someone assigned
    to the record may; the leader and helpers must be assigned to it too (need-to-know)."""
    from django.http import Http404

    found = _visible_records(actor).filter(pk=getattr(record, "pk", record), ended_on__isnull=True).first()
    if found is None:
        raise Http404
    errors = {}
    for person in [leader, *helpers]:
        if person is None or not _visible_records(person).filter(pk=found.pk).exists():
            errors["leader" if person is leader else "helpers"] = _(
                "Everyone in the help group must be assigned to this record first."
            )
    if not (goals or "").strip():
        errors["goals"] = _("Please write the goals.")
    if not (measures or "").strip():
        errors["measures"] = _("Please write the measures.")
    if not 1 <= int(contact_every_days or 0) <= 365:
        errors["contact_every_days"] = _("Contact every 1 to 365 days.")
    if errors:
        raise ValidationError(errors)
    plan = CarePlan(
        record=found,
        place_id=found.place_id,
        leader=leader,
        helpers_outside=(helpers_outside or "").strip()[:200],
        goals=goals.strip(),
        measures=measures.strip(),
        contact_every_days=contact_every_days,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise ValidationError({"goals": _("This record already has an active care plan.")}) from None
    plan.helpers.set(helpers)
    audit.record(
        actor=actor,
        action="care_plan.create",
        obj=plan,
        after={"record": found.pk, "leader": leader.pk, "helpers": [h.pk for h in helpers]},
    )
    return plan


@transaction.atomic
def care_contact_add(
    *, actor, plan: CarePlan, contacted_on: dt.date, method: str, note: str = ""
) -> CareContact:
    """Log a contact with the person in care (visit, call or talk)."""
    from django.http import Http404

    plan = CarePlan.objects.filter(pk=plan.pk, record__in=_visible_records(actor)).first()
    if plan is None:
        raise Http404
    errors = {}
    if plan.status != CarePlanStatus.ACTIVE:
        errors["note"] = _("This care plan is closed.")
    if method not in ContactMethod.values:
        errors["method"] = _("Please choose how the contact was made.")
    if contacted_on > timezone.localdate():
        errors["contacted_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    contact = CareContact.objects.create(
        plan=plan, contacted_on=contacted_on, method=method, note=(note or "").strip(), by=actor
    )
    audit.record(
        actor=actor, action="care_plan.contact", obj=plan, after={"contact": contact.pk, "on": contacted_on}
    )
    return contact
