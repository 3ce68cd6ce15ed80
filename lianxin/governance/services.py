"""Writes of the governance module (D3 contact chains, sitting in, branch standards; D1 三分类三升级).

Each service checks access through lianxin.core.access, validates (Chinese messages naming the
field), writes in one transaction and appends an audit entry with before/after."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.appeals import services as appeals
from lianxin.branch.models import Meeting, MeetingStatus
from lianxin.branch.selectors import member_for_user
from lianxin.core import access, audit, tree
from lianxin.core.calendar import add_working_days
from lianxin.places import services as places
from lianxin.places.models import OrgField, PartyOrganization, Rating
from lianxin.registry.models import Household, MemberStatus, PartyMember

from . import conf
from .actions import GovernanceAction
from .models import (
    ApplicationStatus,
    ChainLevel,
    CheckItem,
    CheckStatus,
    ContactEntry,
    ContactKind,
    ContactLink,
    Delegate,
    ItemReview,
    OpenMeeting,
    SelfCheck,
    SittingInApplication,
    StandardArea,
    StandardItem,
    UpgradeItem,
    UpgradePlan,
)

RUN, REVIEW, EDIT = GovernanceAction.RUN, GovernanceAction.REVIEW, GovernanceAction.EDIT_CHECKLIST
SITTING_IN_TYPES = {"committee_meeting"}  # 支委会 (a committee's is its 党委会)


def _org(organization) -> PartyOrganization:
    return PartyOrganization.objects.get(pk=organization.pk)


def _member_in(member: PartyMember, organization: PartyOrganization) -> bool:
    return member.status == MemberStatus.ACTIVE and tree.is_within(
        member.organization.path, organization.path
    )


# --- contact chains -------------------------------------------------------------------------------


@transaction.atomic
def delegate_add(
    *, actor, organization, member: PartyMember, term_start: dt.date, term_end: dt.date | None = None
) -> Delegate:
    """Put a member on the organization's list of party congress delegates for a term (D3)."""
    organization = _org(organization)
    access.require(actor, RUN, organization.place_path)
    member = PartyMember.objects.select_related("organization", "resident").get(pk=member.pk)
    errors = {}
    if not _member_in(member, organization):
        errors["member"] = _("The delegate must be an active member of this organization.")
    if term_start is None:
        errors["term_start"] = _("Please enter when the term starts.")
    elif term_end is not None and term_end < term_start:
        errors["term_end"] = _("The term cannot end before it starts.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            delegate = Delegate.objects.create(
                organization=organization,
                place_id=organization.place_id,
                member=member,
                term_start=term_start,
                term_end=term_end,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"member": _("This member is already a delegate for this term.")}) from None
    audit.record(
        actor=actor,
        action="governance.delegate_add",
        obj=delegate,
        after={"member": member.pk, "term_start": term_start, "term_end": term_end},
    )
    return delegate


def current_delegates(organization, today: dt.date | None = None):
    return in_term(Delegate.objects.filter(organization=organization), today)


def in_term(delegates, today: dt.date | None = None):
    """The delegates of ``delegates`` whose term includes ``today``."""
    from django.db.models import Q

    today = today or timezone.localdate()
    return delegates.filter(term_start__lte=today).filter(Q(term_end__isnull=True) | Q(term_end__gte=today))


def _link_snapshot(link: ContactLink | None) -> dict | None:
    if link is None:
        return None
    return audit.snapshot(
        link, ["level", "contact", "target_member", "target_household", "assigned_on", "ended_on"]
    )


@transaction.atomic
def link_assign(
    *,
    actor,
    organization,
    level: str,
    contact: PartyMember,
    target_member: PartyMember | None = None,
    target_household: Household | None = None,
    assigned_on: dt.date | None = None,
) -> ContactLink:
    """Assign who contacts whom (党委委员联系党代表、党代表联系党员、党员联系群众). A target has one
    active contact per level: assigning another ends the previous assignment (audited)."""
    organization = _org(organization)
    access.require(actor, RUN, organization.place_path)
    today = timezone.localdate()
    assigned_on = assigned_on or today
    errors = {}
    if level not in ChainLevel.values:
        raise ValidationError({"level": _("Please choose the level of the chain.")})
    contact = PartyMember.objects.select_related("organization", "resident").get(pk=contact.pk)
    if not _member_in(contact, organization):
        errors["contact"] = _("The contact person must be an active member of this organization.")
    delegates = set(current_delegates(organization, today).values_list("member_id", flat=True))
    if level == ChainLevel.HOUSEHOLD:
        if target_household is None:
            errors["target_household"] = _("Please choose the household.")
        else:
            target_household = Household.objects.get(pk=target_household.pk)
            if not tree.is_within(target_household.place_path, organization.place_path):
                errors["target_household"] = _("The household is not in this organization's community.")
        target_member = None
    else:
        if target_member is None:
            errors["target_member"] = _("Please choose the member to contact.")
        else:
            target_member = PartyMember.objects.select_related("organization").get(pk=target_member.pk)
            if level == ChainLevel.DELEGATE and target_member.pk not in delegates:
                errors["target_member"] = _(
                    "Only a current party congress delegate can be contacted at this level."
                )
            elif level == ChainLevel.MEMBER and not _member_in(target_member, organization):
                errors["target_member"] = _("The member must be an active member of this organization.")
            elif target_member.pk == contact.pk:
                errors["target_member"] = _("A member cannot be their own contact.")
        if level == ChainLevel.MEMBER and contact.pk not in delegates:
            errors["contact"] = _("At this level the contact person must be a current delegate.")
        target_household = None
    if assigned_on > today:
        errors["assigned_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    previous = (
        ContactLink.objects.select_for_update()
        .active()
        .filter(level=level, target_member=target_member, target_household=target_household)
        .first()
    )
    if previous is not None and previous.contact_id == contact.pk:
        raise ValidationError({"contact": _("This contact is already assigned.")})
    before = _link_snapshot(previous)
    if previous is not None:
        previous.ended_on = today
        previous.save(update_fields=["ended_on"])
    try:
        with transaction.atomic():
            link = ContactLink.objects.create(
                organization=organization,
                place_id=organization.place_id,
                level=level,
                contact=contact,
                target_member=target_member,
                target_household=target_household,
                assigned_on=assigned_on,
                assigned_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"contact": _("Someone else just assigned this contact; please reload.")}
        ) from None
    audit.record(
        actor=actor, action="governance.link_assign", obj=link, before=before, after=_link_snapshot(link)
    )
    return link


@transaction.atomic
def link_end(*, actor, link: ContactLink, reason: str) -> ContactLink:
    link = ContactLink.objects.select_for_update().get(pk=link.pk)
    access.require(actor, RUN, link.place_path)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    if link.ended_on is not None:
        raise ValidationError({"link": _("This assignment has already ended.")})
    before = _link_snapshot(link)
    link.ended_on = timezone.localdate()
    link.save(update_fields=["ended_on"])
    audit.record(
        actor=actor,
        action="governance.link_end",
        obj=link,
        before=before,
        after=_link_snapshot(link),
        reason=reason,
    )
    return link


@transaction.atomic
def entry_record(
    *, actor, link: ContactLink, kind: str, contacted_on: dt.date, problems: str = "", notes: str = ""
) -> ContactEntry:
    """Log one contact on an assignment: how, when, problems raised, notes (D3)."""
    link = ContactLink.objects.get(pk=link.pk)
    access.require(actor, RUN, link.place_path)
    errors = {}
    if kind not in ContactKind.values:
        errors["kind"] = _("Please choose how the contact was made.")
    if contacted_on is None:
        errors["contacted_on"] = _("Please enter the date.")
    elif contacted_on > timezone.localdate():
        errors["contacted_on"] = _("The date cannot be in the future.")
    elif contacted_on < link.assigned_on:
        errors["contacted_on"] = _("The date cannot be before the assignment.")
    if link.ended_on is not None:
        errors["link"] = _("This assignment has ended.")
    if errors:
        raise ValidationError(errors)
    entry = ContactEntry.objects.create(
        link=link,
        place_id=link.place_id,
        kind=kind,
        contacted_on=contacted_on,
        problems=(problems or "").strip(),
        notes=(notes or "").strip(),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="governance.entry_record",
        obj=entry,
        after=audit.snapshot(entry, ["link", "kind", "contacted_on", "problems", "notes"]),
    )
    return entry


@transaction.atomic
def entry_to_request(*, actor, entry: ContactEntry, category):
    """Turn the problems raised in a contact into a residents' request without retyping: the
    description, the resident/household and the date come from the entry, and the request is linked
    back. Once per entry (the row is locked; a second call returns the first request)."""
    entry = ContactEntry.objects.select_for_update().select_related("link").get(pk=entry.pk)
    access.require(actor, RUN, entry.place_path)
    if entry.request_id:
        return entry.request
    if not entry.problems:
        raise ValidationError({"problems": _("This contact raised no problems to turn into a request.")})
    link = entry.link
    if link.target_household_id:
        household = Household.objects.select_related("head", "place").get(pk=link.target_household_id)
        resident, place = household.head, household.place
        name = "" if resident else link.contact.resident.name
    else:
        resident = link.target_member.resident
        household, place, name = resident.household, resident.place, ""
    request = appeals.request_intake(
        actor=actor,
        channel="visit",
        place=place,
        category=category,
        description=entry.problems,
        resident=resident,
        household=household,
        requester_name=name,
    )
    entry.request = request
    entry.save(update_fields=["request"])
    audit.record(
        actor=actor,
        action="governance.entry_to_request",
        obj=entry,
        before={"request": None},
        after={"request": request.number},
    )
    return request


# --- sitting in -----------------------------------------------------------------------------------


@transaction.atomic
def meeting_open(*, actor, meeting: Meeting, seats: int, note: str = "") -> OpenMeeting:
    """Open a planned committee meeting (支委会/党委会) to members who apply (党员旁听, 开放式党委会)."""
    meeting = Meeting.objects.select_related("meeting_type", "organization").get(pk=meeting.pk)
    access.require(actor, RUN, meeting.place_path)
    errors = {}
    if meeting.meeting_type.code not in SITTING_IN_TYPES:
        errors["meeting"] = _("Only committee meetings can be opened to members.")
    elif meeting.status != MeetingStatus.PLANNED:
        errors["meeting"] = _("Only a planned meeting can be opened.")
    if not seats or seats < 1:
        errors["seats"] = _("Please give at least one seat.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            row = OpenMeeting.objects.create(
                meeting=meeting,
                place_id=meeting.place_id,
                seats=seats,
                note=(note or "").strip(),
                opened_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"meeting": _("This meeting is already open to members.")}) from None
    audit.record(
        actor=actor, action="governance.meeting_open", obj=row, after={"meeting": meeting.pk, "seats": seats}
    )
    return row


def approved_count(open_meeting: OpenMeeting) -> int:
    return open_meeting.applications.filter(status=ApplicationStatus.APPROVED).count()


@transaction.atomic
def sitting_apply(*, user, open_meeting: OpenMeeting, motivation: str = "") -> SittingInApplication:
    """A member applies to sit in, from their own page. Members of the meeting's organization (and
    the organizations below it) may apply, once per meeting (a unique constraint refuses a second)."""
    member = member_for_user(user)
    if member is None:
        raise PermissionDenied
    open_meeting = OpenMeeting.objects.select_related("meeting__organization").get(pk=open_meeting.pk)
    meeting = open_meeting.meeting
    if not _member_in(member, meeting.organization):
        raise PermissionDenied
    if meeting.status != MeetingStatus.PLANNED:
        raise ValidationError({"open_meeting": _("This meeting is no longer taking applications.")})
    try:
        with transaction.atomic():
            application = SittingInApplication.objects.create(
                open_meeting=open_meeting,
                place_id=open_meeting.place_id,
                member=member,
                motivation=(motivation or "").strip(),
                applied_by=user,
            )
    except IntegrityError:
        raise ValidationError({"member": _("You have already applied to sit in on this meeting.")}) from None
    audit.record(
        actor=user,
        action="governance.sitting_apply",
        obj=application,
        after={"member": member.pk, "status": "pending"},
    )
    return application


@transaction.atomic
def sitting_decide(*, actor, application: SittingInApplication, approve: bool, reason: str = ""):
    """The secretary approves (within the seats) or declines with a reason. Compare-and-set on a
    pending application; the open meeting row is locked so two approvals cannot take the last seat."""
    application = SittingInApplication.objects.get(pk=application.pk)
    access.require(actor, RUN, application.place_path)
    access.require_not_self(actor, application.applied_by_id)
    open_meeting = OpenMeeting.objects.select_for_update().get(pk=application.open_meeting_id)
    reason = (reason or "").strip()
    if approve and approved_count(open_meeting) >= open_meeting.seats:
        raise ValidationError({"seats": _("All seats are taken.")})
    if not approve and not reason:
        raise ValidationError({"reason": _("Please give the reason for declining.")})
    new = ApplicationStatus.APPROVED if approve else ApplicationStatus.DECLINED
    changed = SittingInApplication.objects.filter(pk=application.pk, status=ApplicationStatus.PENDING).update(
        status=new, decided_by=actor, decided_at=timezone.now(), decline_reason="" if approve else reason
    )
    if not changed:
        raise ValidationError({"status": _("This application has already been decided.")})
    audit.record(
        actor=actor,
        action="governance.sitting_decide",
        obj=application,
        before={"status": ApplicationStatus.PENDING},
        after={"status": new},
        reason=reason,
    )
    application.refresh_from_db()
    return application


@transaction.atomic
def sitting_attend(*, actor, application: SittingInApplication, attended: bool, comment: str = ""):
    """Record whether an approved member came and what they said."""
    application = SittingInApplication.objects.select_for_update().get(pk=application.pk)
    access.require(actor, RUN, application.place_path)
    if application.status != ApplicationStatus.APPROVED:
        raise ValidationError({"status": _("Only approved applications have attendance.")})
    before = {"attended": application.attended, "comment": application.comment}
    application.attended, application.comment = attended, (comment or "").strip()
    application.save(update_fields=["attended", "comment"])
    audit.record(
        actor=actor,
        action="governance.sitting_attend",
        obj=application,
        before=before,
        after={"attended": attended, "comment": application.comment},
    )
    return application


# --- branch standards -----------------------------------------------------------------------------


def checklist_for(field: str):
    """The active checklist items of a field; fields without their own list use the community list."""
    items = StandardItem.objects.filter(field=field, active=True)
    if not items.exists():
        items = StandardItem.objects.filter(field=OrgField.COMMUNITY, active=True)
    return items.order_by("position", "id")


ITEM_FIELDS = ["field", "area", "code", "text", "points", "position", "active"]


@transaction.atomic
def item_save(
    *,
    actor,
    field: str,
    area: str,
    code: str,
    text: str,
    points: int,
    position: int = 0,
    active: bool = True,
    item: StandardItem | None = None,
) -> StandardItem:
    """District officers keep the checklists. Past self-checks keep the items they were made with."""
    if not access.can(actor, EDIT):
        raise PermissionDenied
    errors = {}
    if field not in OrgField.values:
        errors["field"] = _("Please choose the field.")
    if area not in StandardArea.values:
        errors["area"] = _("Please choose the area.")
    if not (text or "").strip():
        errors["text"] = _("Please enter the requirement.")
    if not (code or "").strip():
        errors["code"] = _("Please enter a code.")
    if not points or points < 1 or points > 100:
        errors["points"] = _("Points must be between 1 and 100.")
    if errors:
        raise ValidationError(errors)
    if item is not None:
        item = StandardItem.objects.select_for_update().get(pk=item.pk)
        before = audit.snapshot(item, ITEM_FIELDS)
    else:
        item, before = StandardItem(), None
    item.field, item.area, item.code, item.text = field, area, code.strip(), text.strip()
    item.points, item.position, item.active = points, position or 0, active
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise ValidationError({"code": _("This code is already used in this field's checklist.")}) from None
    audit.record(
        actor=actor,
        action="governance.item_save",
        obj=item,
        before=before,
        after=audit.snapshot(item, ITEM_FIELDS),
    )
    return item


@transaction.atomic
def check_start(*, actor, organization, year: int) -> SelfCheck:
    """Start the organization's yearly self-check with one row per checklist item of its field."""
    organization = _org(organization)
    access.require(actor, RUN, organization.place_path)
    if not year or not 2000 <= year <= timezone.localdate().year + 1:
        raise ValidationError({"year": _("Please enter a valid year.")})
    try:
        with transaction.atomic():
            check = SelfCheck.objects.create(
                organization=organization, place_id=organization.place_id, year=year, started_by=actor
            )
    except IntegrityError:
        raise ValidationError(
            {"year": _("This organization already has a self-check for this year.")}
        ) from None
    CheckItem.objects.bulk_create(
        [CheckItem(self_check=check, item=item) for item in checklist_for(organization.field)]
    )
    audit.record(actor=actor, action="governance.check_start", obj=check, after={"year": year})
    return check


def _open_for_edit(check: SelfCheck) -> None:
    if check.status not in (CheckStatus.DRAFT, CheckStatus.RETURNED):
        raise ValidationError({"status": _("The self-check has been submitted and cannot be changed now.")})


ENTRY_FIELDS = ["evidence", "self_score", "attachment_name", "review"]


@transaction.atomic
def check_item_record(
    *, actor, check_item: CheckItem, evidence: str, self_score: int | None, attachment=None
) -> CheckItem:
    """The organization's evidence (text, optional file) and self-assessed score for one item."""
    check_item = CheckItem.objects.select_for_update().select_related("item").get(pk=check_item.pk)
    check = SelfCheck.objects.select_for_update().get(pk=check_item.self_check_id)
    access.require(actor, RUN, check.place_path)
    _open_for_edit(check)
    errors = {}
    if check_item.review == ItemReview.ACCEPTED:
        errors["evidence"] = _("This item has been accepted and cannot be changed.")
    if not (evidence or "").strip():
        errors["evidence"] = _("Please describe the evidence.")
    if self_score is None or not 0 <= self_score <= check_item.item.points:
        errors["self_score"] = _("The score must be between 0 and %(points)d.") % {
            "points": check_item.item.points
        }
    upload = None
    if attachment is not None:
        name = (getattr(attachment, "name", "") or "upload").rsplit("/", 1)[-1][:200]
        data = attachment.read()
        try:
            _content_type, extension = appeals.check_upload(name, data)
            upload = (name, data, extension)
        except ValidationError as exc:
            errors["attachment"] = exc.messages
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(check_item, ENTRY_FIELDS)
    check_item.evidence, check_item.self_score = evidence.strip(), self_score
    if check_item.review == ItemReview.RETURNED:
        check_item.review = ItemReview.PENDING
    if upload:
        # stored under a neutral name with the extension judged from the bytes, never the upload's
        check_item.attachment.save(f"item-{check_item.pk}{upload[2]}", ContentFile(upload[1]), save=False)
        check_item.attachment_name = upload[0]
    check_item.save()
    audit.record(
        actor=actor,
        action="governance.check_item_record",
        obj=check,
        before=before,
        after={"item": check_item.item.code, **audit.snapshot(check_item, ENTRY_FIELDS)},
    )
    return check_item


@transaction.atomic
def check_submit(*, actor, check: SelfCheck) -> SelfCheck:
    """Submit the self-check to the subdistrict once every item has evidence and a score."""
    check = SelfCheck.objects.select_for_update().get(pk=check.pk)
    access.require(actor, RUN, check.place_path)
    _open_for_edit(check)
    missing = check.items.filter(self_score__isnull=True).count()
    if missing:
        raise ValidationError(
            {"items": _("%(count)d items still have no evidence or score.") % {"count": missing}}
        )
    before = check.status
    check.status, check.submitted_at = CheckStatus.SUBMITTED, timezone.now()
    check.save(update_fields=["status", "submitted_at"])
    audit.record(
        actor=actor,
        action="governance.check_submit",
        obj=check,
        before={"status": before},
        after={"status": check.status},
    )
    return check


REVIEW_FIELDS = ["review", "review_score", "review_note"]


@transaction.atomic
def item_review(
    *, actor, check_item: CheckItem, decision: str, score: int | None = None, note: str = ""
) -> CheckItem:
    """The subdistrict officer scores and accepts an item, or returns it with a note."""
    check_item = CheckItem.objects.select_for_update().select_related("item").get(pk=check_item.pk)
    check = SelfCheck.objects.get(pk=check_item.self_check_id)
    access.require(actor, REVIEW, check.place_path)
    errors = {}
    if check.status != CheckStatus.SUBMITTED:
        errors["status"] = _("Only a submitted self-check can be reviewed.")
    note = (note or "").strip()
    if decision == ItemReview.ACCEPTED:
        if score is None or not 0 <= score <= check_item.item.points:
            errors["score"] = _("The score must be between 0 and %(points)d.") % {
                "points": check_item.item.points
            }
    elif decision == ItemReview.RETURNED:
        if not note:
            errors["note"] = _("Please say why the item is returned.")
        score = None
    else:
        errors["decision"] = _("Please accept or return the item.")
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(check_item, REVIEW_FIELDS)
    check_item.review, check_item.review_score, check_item.review_note = decision, score, note
    check_item.reviewed_by, check_item.reviewed_at = actor, timezone.now()
    check_item.save()
    audit.record(
        actor=actor,
        action="governance.item_review",
        obj=check,
        before={"item": check_item.item.code, **before},
        after={"item": check_item.item.code, **audit.snapshot(check_item, REVIEW_FIELDS)},
    )
    return check_item


def rating_for(score: int, max_score: int) -> int:
    """Class 1/2/3 from the reviewed score's share of the checklist's points
    (conf.rating_thresholds(): class 1 from 90 %, class 2 from 70 %, class 3 below)."""
    thresholds = conf.rating_thresholds()
    share = score * 100 / max_score if max_score else 0
    if share >= thresholds[1]:
        return Rating.CLASS_1
    if share >= thresholds[2]:
        return Rating.CLASS_2
    return Rating.CLASS_3


@transaction.atomic
def review_conclude(*, actor, check: SelfCheck) -> SelfCheck:
    """Conclude the review. With items returned the self-check goes back to the organization.
    Otherwise the reviewed score sets the class (places.services.org_rate: OrgRating and
    PartyOrganization.rating, audited); class 2 and 3 get an upgrade plan with one item per
    shortfall, owned by the secretary and due ``conf.upgrade_working_days()`` working days on."""
    check = SelfCheck.objects.select_for_update().select_related("organization").get(pk=check.pk)
    access.require(actor, REVIEW, check.place_path)
    if check.status != CheckStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted self-check can be reviewed.")})
    items = list(check.items.select_related("item"))
    if any(row.review == ItemReview.PENDING for row in items):
        raise ValidationError({"items": _("Please review every item first.")})
    before = {"status": check.status, "rating": check.organization.rating}
    if any(row.review == ItemReview.RETURNED for row in items):
        check.status = CheckStatus.RETURNED
        check.save(update_fields=["status"])
        audit.record(
            actor=actor,
            action="governance.check_return",
            obj=check,
            before=before,
            after={"status": check.status},
        )
        return check
    score = sum(row.review_score or 0 for row in items)
    max_score = sum(row.item.points for row in items)
    rating = rating_for(score, max_score)
    today = timezone.localdate()
    due = add_working_days(today, conf.upgrade_working_days()).due
    owner = check.organization.secretary_name or _("Secretary")
    shortfalls = [row for row in items if (row.review_score or 0) < row.item.points]
    tasks = [
        (
            row,
            _("Bring up to standard: %(item)s") % {"item": row.item.text}
            + (f"（{row.review_note}）" if row.review_note else ""),
        )
        for row in shortfalls
    ]
    basis = _("Standards self-check %(year)d: %(score)d of %(max)d points.") % {
        "year": check.year,
        "score": score,
        "max": max_score,
    }
    org_rating = places.org_rate(
        actor=actor,
        org=check.organization,
        rating=rating,
        basis=basis,
        upgrade_plan="\n".join(task for _row, task in tasks) if rating != Rating.CLASS_1 else "",
        upgrade_due=due if rating != Rating.CLASS_1 else None,
    )
    check.status, check.score, check.max_score, check.rating = CheckStatus.REVIEWED, score, max_score, rating
    check.reviewed_by, check.reviewed_at, check.org_rating = actor, timezone.now(), org_rating
    check.save()
    if rating != Rating.CLASS_1:
        plan = UpgradePlan.objects.create(
            self_check=check, organization=check.organization, place_id=check.place_id, rating=rating
        )
        UpgradeItem.objects.bulk_create(
            [
                UpgradeItem(plan=plan, check_item=row, task=task, owner=owner, due_on=due)
                for row, task in tasks
            ]
        )
    audit.record(
        actor=actor,
        action="governance.check_review",
        obj=check,
        before=before,
        after={"status": check.status, "score": score, "max_score": max_score, "rating": rating},
    )
    return check


@transaction.atomic
def upgrade_item_add(
    *,
    actor,
    plan: UpgradePlan,
    task: str,
    owner: str,
    due_on: dt.date | None = None,
    due_days: int | None = None,
) -> UpgradeItem:
    """Add a step to an upgrade plan; the deadline is a date or a number of working days from today."""
    plan = UpgradePlan.objects.get(pk=plan.pk)
    access.require(actor, RUN, plan.place_path)
    errors = {}
    if not (task or "").strip():
        errors["task"] = _("Please describe the task.")
    if not (owner or "").strip():
        errors["owner"] = _("Please name who is responsible.")
    if due_on is None and due_days:
        due_on = add_working_days(timezone.localdate(), due_days).due
    if due_on is None:
        errors["due_on"] = _("Please give a date or a number of working days.")
    elif due_on < timezone.localdate():
        errors["due_on"] = _("The date cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    item = UpgradeItem.objects.create(plan=plan, task=task.strip(), owner=owner.strip(), due_on=due_on)
    audit.record(
        actor=actor,
        action="governance.upgrade_item_add",
        obj=plan,
        after={"task": item.task, "owner": item.owner, "due_on": due_on},
    )
    return item


@transaction.atomic
def upgrade_item_progress(
    *, actor, item: UpgradeItem, progress: str, done_on: dt.date | None = None
) -> UpgradeItem:
    """Record progress on an upgrade step; a date marks it done."""
    item = UpgradeItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    access.require(actor, RUN, item.plan.place_path)
    if not (progress or "").strip():
        raise ValidationError({"progress": _("Please describe the progress.")})
    if done_on is not None and done_on > timezone.localdate():
        raise ValidationError({"done_on": _("The date cannot be in the future.")})
    before = {"progress": item.progress, "done_on": item.done_on}
    item.progress, item.done_on = progress.strip(), done_on
    item.save(update_fields=["progress", "done_on"])
    audit.record(
        actor=actor,
        action="governance.upgrade_progress",
        obj=item.plan,
        before=before,
        after={"progress": item.progress, "done_on": done_on},
    )
    return item
