"""Residents' requests: every write (D4, 首问责任制).

The workflow is the dict ``TRANSITIONS``; each move is one service that checks access, validates the
move, changes the status by compare-and-set (a double click moves the request once), stamps who and
when, writes a RequestEvent and an audit entry, and notifies after commit.

    open ─hand off─▶ in_progress ─reply─▶ answered ─follow up─▶ followed_up ─rate 满意/基本满意─▶ closed
      └──────────────reply──────────────▶    │                      │
                                             └──────rate────────────┤  rate 不满意 / reopen ─▶ open
    open / in_progress ─merge into another request─▶ merged (final)      (new deadline, history kept)

The first-contact *owner* is whoever records the request and never changes; hand-offs change only the
*handler*. A request filed on the portal has no owner until the first staff member takes it (claim).
"""

import datetime as dt
import secrets
from calendar import monthrange
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit, statements, tree
from lianxin.core.access import Action, Role
from lianxin.core.calendar import MAX_SPAN_DAYS, WorkingCalendar
from lianxin.core.notifications import notify
from lianxin.places.models import Place, PlaceKind

from .models import (
    HANDOFF_PLACE_KINDS,
    OPEN_STATUSES,
    Attachment,
    CaseCounter,
    Channel,
    EventKind,
    HandlerKind,
    LinkKind,
    Rating,
    Request,
    RequestCategory,
    RequestEvent,
    RequestLink,
    RequestStatus,
)

S = RequestStatus

# The allowed moves; everything not listed is refused. A merged request is final.
TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.IN_PROGRESS, S.ANSWERED, S.MERGED},
    S.IN_PROGRESS: {S.IN_PROGRESS, S.ANSWERED, S.MERGED},
    S.ANSWERED: {S.FOLLOWED_UP, S.CLOSED, S.OPEN},
    S.FOLLOWED_UP: {S.CLOSED, S.OPEN},
    S.CLOSED: {S.OPEN},
    S.MERGED: set(),
}

# Where a request may be recorded: a community or a place inside one.
REQUEST_PLACE_KINDS = {PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.BUILDING}
MAX_DESCRIPTION = 4000
MAX_ATTACHMENTS = 5
DEFAULT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_ESCALATE_AFTER_DAYS = 2

# Magic bytes of what may be attached: photos and scanned letters.
FILE_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"%PDF-", "application/pdf", ".pdf"),
]


def attachment_max_bytes() -> int:
    return int(getattr(settings, "LIANXIN_REQUEST_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


def escalate_after_days() -> int:
    """Working days past the deadline after which an overdue request goes up to the subdistrict."""
    return int(getattr(settings, "LIANXIN_REQUEST_ESCALATE_AFTER_DAYS", DEFAULT_ESCALATE_AFTER_DAYS))


# --- helpers ---------------------------------------------------------------------------------------


def category_resolve(category) -> RequestCategory:
    """A RequestCategory instance, or its ``code`` string (e.g. "environment")."""
    if isinstance(category, RequestCategory):
        return category
    found = RequestCategory.objects.filter(code=str(category or ""), active=True).first()
    if found is None:
        raise ValidationError({"category": _("Please choose a category.")})
    return found


def next_follow_up_day(day: dt.date) -> dt.date:
    """The first follow-up day (回访日: the 29th–30th of each month, D5) on or after ``day``.

    In a month without a 29th or 30th the month's last day stands in for them.
    """
    next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    for year, month in ((day.year, day.month), (next_month.year, next_month.month)):
        last = monthrange(year, month)[1]
        for wanted in (29, 30):
            candidate = dt.date(year, month, min(wanted, last))
            if candidate >= day:
                return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def check_upload(name: str, data: bytes) -> tuple[str, str]:
    """(content type, extension) of an attachment, judged by its first bytes, never by its name."""
    if not data:
        raise ValidationError({"attachments": _("“%(name)s” is empty.") % {"name": name}})
    if len(data) > attachment_max_bytes():
        raise ValidationError(
            {
                "attachments": _("“%(name)s” is larger than %(size)d MB.")
                % {"name": name, "size": attachment_max_bytes() // (1024 * 1024)}
            }
        )
    for signature, content_type, extension in FILE_SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    raise ValidationError(
        {"attachments": _("“%(name)s” is not a photo (JPEG, PNG, GIF, WebP) or a PDF.") % {"name": name}}
    )


def _read_upload(upload) -> tuple[str, bytes]:
    if isinstance(upload, tuple):
        name, data = upload
        return str(name), bytes(data)
    limit = attachment_max_bytes() + 1
    return str(getattr(upload, "name", "file")), upload.read(limit)


def _allocate_number(year: int) -> tuple[int, str]:
    """The next case number of ``year``: the counter row is locked by the UPDATE itself, so two
    intakes at the same moment can never get the same number."""
    while True:
        if CaseCounter.objects.filter(year=year).update(last=F("last") + 1):
            serial = CaseCounter.objects.values_list("last", flat=True).get(year=year)
            return serial, f"{year}-{serial:06d}"
        try:
            with transaction.atomic():
                CaseCounter.objects.create(year=year, last=1)
            return 1, f"{year}-{1:06d}"
        except IntegrityError:
            continue


def _phone_digits(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def _handler_path(request: Request) -> str:
    if request.handler_place_id is None:
        return ""
    return Place.objects.values_list("path", flat=True).get(pk=request.handler_place_id)


def can_do(actor, action: str, request: Request) -> bool:
    """``actor`` may do ``action`` on ``request``: at its place, or at the place it was handed to."""
    if access.can(actor, action, request.place_path):
        return True
    path = _handler_path(request)
    return bool(path) and access.can(actor, action, path)


def _require(actor, action: str, request: Request) -> None:
    if not can_do(actor, action, request):
        raise PermissionDenied


def _event(
    request, *, kind, actor, before=None, after=None, text="", channel="", from_status="", to_status=""
):
    return RequestEvent.objects.create(
        request=request,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=to_status,
        text=text,
        channel=channel,
        before=audit.to_primitive(before) if before is not None else None,
        after=audit.to_primitive(after) if after is not None else None,
    )


def _move(*, actor, request: Request, to: str, kind: str, fields: dict, text="", channel="", reason=""):
    """The one place a status changes: checks the move, compare-and-sets, writes history and audit."""
    current = request.status
    if to not in TRANSITIONS.get(current, set()):
        raise ValidationError(
            _("A request that is “%(status)s” cannot be %(step)s.")
            % {"status": S(current).label, "step": EventKind(kind).label}
        )
    names = sorted(set(fields) | {"status"})
    before = audit.snapshot(request, [n for n in names if not n.endswith("_id")])
    updated = Request.objects.filter(pk=request.pk, status=current).update(status=to, **fields)
    if not updated:
        raise ValidationError(
            _("Someone else changed this request meanwhile. Reload the page and try again.")
        )
    request.refresh_from_db()
    after = audit.snapshot(request, [n for n in names if not n.endswith("_id")])
    _event(
        request,
        kind=kind,
        actor=actor,
        before=before,
        after=after,
        text=text,
        channel=channel,
        from_status=current,
        to_status=to,
    )
    audit.record(
        actor=actor, action=f"request.{kind}", obj=request, before=before, after=after, reason=reason
    )
    return request


def _fresh(request: Request) -> Request:
    return Request.objects.select_related("place", "category", "owner", "handler", "handler_place").get(
        pk=request.pk
    )


def _url(request: Request) -> str:
    return reverse("request_detail", args=[request.pk])


def _notify(recipients: Iterable, request: Request, title: str, body: str = "", key: str | None = None):
    notify(recipients=list(recipients), title=title, body=body, url=_url(request), dedupe_key=key)


def _people_at(path: str, role: str, kind: str):
    """Holders of ``role`` at the ancestor of ``path`` (or ``path`` itself) whose place is of ``kind``."""
    from lianxin.accounts.models import User

    paths = [*tree.ancestors_of(path), path]
    return User.objects.filter(
        role_assignments__role=role,
        role_assignments__ended_at__isnull=True,
        role_assignments__place__path__in=paths,
        role_assignments__place__kind=kind,
        is_active=True,
    ).distinct()


# --- intake ------------------------------------------------------------------------------------------


@transaction.atomic
def request_intake(
    *,
    actor,
    channel: str,
    place,
    category,
    description: str,
    resident=None,
    household=None,
    requester_name: str = "",
    requester_phone: str = "",
    anonymous: bool = False,
    attachments=(),
    source_visit_id=None,
    received_on: dt.date | None = None,
) -> Request:
    """Record a resident's request from any channel (D4). The recorder becomes its first-contact owner.

    ``category`` is a RequestCategory or its ``code`` string; ``place`` a lianxin.places Place (a
    community, grid or building); ``attachments`` a sequence of uploaded files or (name, bytes) pairs.
    ``actor`` is None only for a resident filing on the portal: such a request has no owner until a
    staff member claims it. The answer is due ``category.due_days`` official working days after
    ``received_on`` (today). A visit that finds a request passes channel "visit" and its id.
    """
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = _("Please choose how the request came in.")
    if not isinstance(place, Place):
        raise ValidationError({"place": _("Please choose the place the request concerns.")})
    place = Place.objects.get(pk=place.pk)
    if actor is not None:
        if not access.can(actor, Action.HANDLE_REQUESTS, place):
            raise PermissionDenied
    if place.kind not in REQUEST_PLACE_KINDS:
        errors["place"] = _("Choose a community, a grid or a building.")
    description = (description or "").strip()
    if not description:
        errors["description"] = _("Please describe the request.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("Please keep the description under %(count)d characters.") % {
            "count": MAX_DESCRIPTION
        }
    try:
        category = category_resolve(category)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    requester_name, requester_phone = (requester_name or "").strip(), (requester_phone or "").strip()
    if anonymous:
        resident = household = None
        requester_name = requester_phone = ""
    else:
        if resident is not None:
            if actor is not None and not access.can(actor, Action.VIEW_PEOPLE, resident.place_path):
                errors["resident"] = _("That resident is not in your area.")
            requester_name = requester_name or resident.name
            requester_phone = requester_phone or resident.phone
            household = household or resident.household
        if household is not None and actor is not None:
            if not access.can(actor, Action.VIEW_PEOPLE, household.place_path):
                errors["household"] = _("That household is not in your area.")
        if not requester_name:
            errors["requester_name"] = _("Enter the requester's name, or mark the request anonymous.")
        digits = _phone_digits(requester_phone)
        if requester_phone and not 7 <= len(digits) <= 15:
            errors["requester_phone"] = _("Enter a phone number of 7 to 15 digits.")
    uploads = [_read_upload(upload) for upload in attachments or ()]
    if len(uploads) > MAX_ATTACHMENTS:
        errors["attachments"] = _("Attach at most %(count)d files.") % {"count": MAX_ATTACHMENTS}
    checked = []
    if "attachments" not in errors:
        try:
            checked = [(name, data, *check_upload(name, data)) for name, data in uploads]
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    today = received_on or timezone.localdate()
    serial, number = _allocate_number(today.year)
    user = actor if getattr(actor, "pk", None) else None
    request = Request(
        year=today.year,
        serial=serial,
        number=number,
        channel=channel,
        category=category,
        description=description,
        anonymous=anonymous,
        resident=resident,
        household=household,
        requester_name=requester_name[:60],
        requester_phone=requester_phone[:20],
        phone_digits=_phone_digits(requester_phone)[:20],
        source_visit_id=source_visit_id,
        owner=user,
        handler=user,
        place=place,
        received_on=today,
    )
    request.set_deadline(today, category.due_days)
    request.save()
    for name, data, content_type, extension in checked:
        _attach(request, actor=user, name=name, data=data, content_type=content_type, extension=extension)
    after = audit.snapshot(
        request, ["number", "channel", "category", "place", "owner", "due_on", "due_provisional", "status"]
    )
    _event(request, kind=EventKind.INTAKE, actor=user, after=after, channel=channel, to_status=S.OPEN)
    audit.record(actor=user, action="request.intake", obj=request, after=after)
    if user is None:
        _notify(
            _people_at(place.path, Role.COMMUNITY_SECRETARY, PlaceKind.COMMUNITY),
            request,
            _("New request from the portal: %(number)s") % {"number": number},
            _("Due %(date)s.") % {"date": request.due_on.isoformat()},
            key=f"request:{request.pk}:portal",
        )
    return request


def _attach(request, *, actor, name, data, content_type, extension) -> Attachment:
    attachment = Attachment(
        request=request,
        token=secrets.token_hex(16),
        extension=extension,
        original_name=name.replace("/", "_").replace("\\", "_")[-120:],
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    attachment.file.save("upload", ContentFile(data), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def attachment_add(*, actor, request: Request, upload) -> Attachment:
    """Attach one more photo or PDF to a request (same checks as at intake)."""
    request = _fresh(request)
    _require(actor, Action.HANDLE_REQUESTS, request)
    if request.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("Attach at most %(count)d files.") % {"count": MAX_ATTACHMENTS}}
        )
    name, data = _read_upload(upload)
    content_type, extension = check_upload(name, data)
    attachment = _attach(
        request, actor=actor, name=name, data=data, content_type=content_type, extension=extension
    )
    audit.record(
        actor=actor,
        action="request.attach",
        obj=request,
        after={"attachment": attachment.pk, "type": content_type, "size": len(data)},
    )
    return attachment


@transaction.atomic
def request_claim(*, actor, request: Request) -> Request:
    """Take a portal request as its first-contact owner (the first to claim it; once)."""
    request = _fresh(request)
    _require(actor, Action.HANDLE_REQUESTS, request)
    if not Request.objects.filter(pk=request.pk, owner__isnull=True).update(owner=actor, handler=actor):
        raise ValidationError(_("This request already has an owner."))
    request.refresh_from_db()
    _event(request, kind=EventKind.HANDOFF, actor=actor, after={"owner": actor.pk}, text=_("Claimed"))
    audit.record(actor=actor, action="request.claim", obj=request, after={"owner": actor.pk})
    return request


# --- the workflow -----------------------------------------------------------------------------------


@transaction.atomic
def request_handoff(
    *, actor, request: Request, to_kind: str, reason: str, to_user=None, to_place=None, to_label: str = ""
) -> Request:
    """Hand the work to a colleague, another community, the subdistrict or a department.

    The owner stays the owner and stays accountable; the reason is recorded (D4). A colleague must be
    able to handle requests there; a community or subdistrict is a place; a department is a name.
    """
    request = _fresh(request)
    _require(actor, Action.HANDLE_REQUESTS, request)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Please give the reason for the hand-off.")
    if to_kind not in HandlerKind.values:
        errors["to_kind"] = _("Choose whom to hand the request to.")
    fields: dict = {
        "handler_kind": to_kind,
        "handler": None,
        "handler_place": None,
        "handler_place_path": None,
        "handler_label": "",
    }
    if to_kind == HandlerKind.COLLEAGUE:
        if to_user is None or not to_user.is_active:
            errors["to_user"] = _("Choose the colleague.")
        elif not (
            access.can(to_user, Action.HANDLE_REQUESTS, request.place_path)
            or (
                request.handler_place_id
                and access.can(to_user, Action.HANDLE_REQUESTS, _handler_path(request))
            )
        ):
            errors["to_user"] = _("%(name)s cannot handle requests of this place.") % {
                "name": to_user.get_full_name() or to_user.get_username()
            }
        else:
            fields.update(
                handler=to_user,
                handler_place=request.handler_place,
                handler_place_path=request.handler_place_path,
            )
    elif to_kind in (HandlerKind.COMMUNITY, HandlerKind.SUBDISTRICT):
        wanted = HANDOFF_PLACE_KINDS[to_kind]
        if to_place is None or to_place.kind != wanted:
            errors["to_place"] = (
                _("Choose the community.") if wanted == PlaceKind.COMMUNITY else _("Choose the subdistrict.")
            )
        else:
            fields["handler_place"] = to_place
            fields["handler_place_path"] = to_place.path
            fields["handler_label"] = to_place.name
            if to_user is not None:
                fields["handler"] = to_user
    elif to_kind == HandlerKind.DEPARTMENT:
        to_label = (to_label or "").strip()
        if not to_label:
            errors["to_label"] = _("Enter the department's name.")
        fields["handler_label"] = to_label[:100]
    if errors:
        raise ValidationError(errors)
    request = _move(
        actor=actor,
        request=request,
        to=S.IN_PROGRESS,
        kind=EventKind.HANDOFF,
        fields=fields,
        text=reason,
        reason=reason,
    )
    recipients = [request.handler] if request.handler_id else []
    if fields["handler_place"] is not None:
        recipients += list(
            _people_at(
                fields["handler_place"].path,
                Role.COMMUNITY_SECRETARY if to_kind == HandlerKind.COMMUNITY else Role.SUBDISTRICT_OFFICER,
                fields["handler_place"].kind,
            )
        )
    _notify(
        [r for r in recipients if r.pk != getattr(actor, "pk", None)],
        request,
        _("Request %(number)s handed to you") % {"number": request.number},
        reason,
    )
    return request


@transaction.atomic
def request_reply(*, actor, request: Request, text: str, channel: str = Channel.PHONE) -> Request:
    """Answer the resident (text, how, who). The first answer decides whether it was on time."""
    request = _fresh(request)
    _require(actor, Action.HANDLE_REQUESTS, request)
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = _("Please write the answer given to the resident.")
    if channel not in Channel.values:
        errors["channel"] = _("Choose how the answer was given.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    fields = {
        "answered_at": now,
        "answer_summary": text[:MAX_DESCRIPTION],
        "follow_up_on": next_follow_up_day(timezone.localdate()),
    }
    if request.first_answered_at is None:
        fields["first_answered_at"] = now
        fields["first_answer_on_time"] = timezone.localdate() <= request.due_on
    request = _move(
        actor=actor,
        request=request,
        to=S.ANSWERED,
        kind=EventKind.REPLY,
        fields=fields,
        text=text,
        channel=channel,
    )
    if request.owner_id and request.owner_id != getattr(actor, "pk", None):
        _notify(
            [request.owner], request, _("Request %(number)s was answered") % {"number": request.number}, text
        )
    return request


@transaction.atomic
def request_follow_up(
    *, actor, request: Request, note: str, channel: str = Channel.PHONE, on: dt.date | None = None
) -> Request:
    """Record the follow-up (回访) with the resident after the answer."""
    request = _fresh(request)
    _require(actor, Action.HANDLE_REQUESTS, request)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Please write what the resident said at the follow-up.")})
    on = on or timezone.localdate()
    if request.answered_at and on < timezone.localtime(request.answered_at).date():
        raise ValidationError({"on": _("The follow-up cannot be before the answer.")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("The follow-up cannot be in the future.")})
    return _move(
        actor=actor,
        request=request,
        to=S.FOLLOWED_UP,
        kind=EventKind.FOLLOW_UP,
        fields={"follow_up_on": on},
        text=note,
        channel=channel,
    )


def _reopen_fields(request: Request, today: dt.date) -> dict:
    probe = Request(due_from=today)
    probe.set_deadline(today, request.category.due_days)
    return {
        "due_from": probe.due_from,
        "due_days": probe.due_days,
        "due_on": probe.due_on,
        "due_provisional": probe.due_provisional,
        "reopen_count": request.reopen_count + 1,
        "reminded_at": None,
        "escalation_level": 0,
        "closed_at": None,
        "follow_up_on": None,
    }


@transaction.atomic
def request_rate(*, actor, request: Request, rating: str, note: str = "") -> Request:
    """Record the resident's rating. 满意/基本满意 close the request; 不满意 reopens it with a new
    deadline counted from today, keeping the whole history."""
    request = _fresh(request)
    _require(actor, Action.HANDLE_REQUESTS, request)
    if rating not in Rating.values:
        raise ValidationError({"rating": _("Choose the resident's rating.")})
    now = timezone.now()
    note = (note or "").strip()
    if rating == Rating.DISSATISFIED:
        fields = {"rating": rating, "rated_at": now, **_reopen_fields(request, timezone.localdate())}
        request = _move(
            actor=actor, request=request, to=S.OPEN, kind=EventKind.RATING, fields=fields, text=note
        )
        recipients = [request.owner, request.handler]
        _notify(
            [r for r in recipients if r is not None],
            request,
            _("Request %(number)s reopened: the resident is dissatisfied") % {"number": request.number},
            _("New deadline %(date)s.") % {"date": request.due_on.isoformat()},
        )
        return request
    return _move(
        actor=actor,
        request=request,
        to=S.CLOSED,
        kind=EventKind.RATING,
        fields={"rating": rating, "rated_at": now, "closed_at": now},
        text=note,
    )


@transaction.atomic
def request_reopen(*, actor, request: Request, reason: str) -> Request:
    """Reopen an answered or closed request (for instance the problem came back), with a new deadline."""
    request = _fresh(request)
    _require(actor, Action.MANAGE_REQUESTS, request)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for reopening.")})
    return _move(
        actor=actor,
        request=request,
        to=S.OPEN,
        kind=EventKind.REOPEN,
        fields=_reopen_fields(request, timezone.localdate()),
        text=reason,
        reason=reason,
    )


@transaction.atomic
def request_merge(*, actor, request: Request, into: Request, reason: str = "") -> Request:
    """Merge a duplicate ``request`` into ``into``: it is closed as merged and points to the other."""
    request, into = _fresh(request), _fresh(into)
    _require(actor, Action.HANDLE_REQUESTS, request)
    _require(actor, Action.HANDLE_REQUESTS, into)
    if request.pk == into.pk:
        raise ValidationError({"into": _("A request cannot be merged into itself.")})
    if into.status == S.MERGED:
        raise ValidationError(
            {
                "into": _("%(number)s was itself merged; choose the one it was merged into.")
                % {"number": into.number}
            }
        )
    request = _move(
        actor=actor,
        request=request,
        to=S.MERGED,
        kind=EventKind.MERGE,
        fields={"merged_into": into, "closed_at": timezone.now()},
        text=(reason or "").strip() or into.number,
    )
    _event(into, kind=EventKind.MERGE, actor=actor, after={"duplicate": request.number}, text=request.number)
    return request


@transaction.atomic
def request_link(
    *, actor, request: Request, kind: str, target_id: int | None = None, note: str = ""
) -> RequestLink:
    """Link the request to an assistance case, a dispute or a must-visit task (最多报一次).

    ``target_id`` may be empty while the other module does not exist yet; ``request_payload`` is what
    that module takes over, so nobody types the resident's matter again.
    """
    request = _fresh(request)
    _require(actor, Action.HANDLE_REQUESTS, request)
    if kind not in LinkKind.values:
        raise ValidationError({"kind": _("Choose what the request becomes.")})
    if RequestLink.objects.filter(request=request, kind=kind, target_id=target_id).exists():
        raise ValidationError({"kind": _("This link already exists.")})
    link = RequestLink.objects.create(
        request=request, kind=kind, target_id=target_id, note=(note or "").strip(), created_by=actor
    )
    after = {"kind": kind, "target_id": target_id}
    _event(request, kind=EventKind.LINK, actor=actor, after=after, text=link.note)
    audit.record(actor=actor, action="request.link", obj=request, after=after)
    return link


def request_payload(request: Request) -> dict:
    """What an assistance case, a dispute or a must-visit task carries over from a request.

    Keys: number, received_on, channel, category (code and name), description, place (id, path,
    name), resident_id, household_id, requester_name, requester_phone, anonymous, owner_id,
    source_visit_id, attachments (ids), answer_summary. Personal fields are empty when anonymous.
    The receiving module must be reached through the same access checks as the request itself.
    """
    return {
        "request_id": request.pk,
        "number": request.number,
        "received_on": request.received_on.isoformat(),
        "channel": request.channel,
        "category": {"code": request.category.code, "name": request.category.name},
        "description": request.description,
        "place": {"id": request.place_id, "path": request.place_path, "name": request.place.name},
        "resident_id": request.resident_id,
        "household_id": request.household_id,
        "requester_name": request.requester_name,
        "requester_phone": request.requester_phone,
        "anonymous": request.anonymous,
        "owner_id": request.owner_id,
        "source_visit_id": request.source_visit_id,
        "attachments": list(request.attachments.values_list("pk", flat=True)),
        "answer_summary": request.answer_summary,
    }


# --- the periodic sweep ------------------------------------------------------------------------------

# Requests claimed per transaction: a large backlog (the first sweep after an outage, a migration)
# is worked through in many short transactions, never one giant one.
SWEEP_CHUNK = 1000
# How far ahead a reminder may look: the next working day is never further (the longest official
# holiday run is nine days).
REMINDER_HORIZON_DAYS = 21
# What a claim returns of each request it moved (UPDATE … RETURNING), in this order.
_CLAIMED = ("id", "number", "owner_id", "handler_id", "reopen_count", "due_on", "place_id", "place_path")


def requests_sweep(*, today: dt.date) -> int:
    """Reminders one working day before the deadline; overdue requests go to the community secretary,
    then, ``escalate_after_days()`` working days later, to the subdistrict (a LIANXIN_TICK_HANDLERS
    entry). Idempotent: each step moves ``reminded_at``/``escalation_level`` by compare-and-set and its
    notification has a dedupe key, so running tick twice escalates nothing twice. Returns the steps taken.

    Set-based: the two day limits are computed once from the WorkingCalendar, the candidates read with
    index-friendly predicates (status, due_on, escalation_level; the reminders in one read, both
    escalation levels in another: a tick with nothing to do is these two reads), then claimed
    at most ``SWEEP_CHUNK`` per transaction by compare-and-set UPDATE … RETURNING; only the rows an
    UPDATE actually moved get their history events, audit entries and notifications (written in
    bulk), so a request claimed meanwhile by a concurrent sweep is never notified twice. One delivery
    job per committed transaction.
    """
    remind_until, escalate_until = _sweep_days(today)
    now = timezone.now()
    people: dict = {}  # role holders by (role, kind) and path, read once per sweep
    late: dict[int, list[int]] = {}  # the escalation read's ids by the level they go up to

    def remind_read() -> list[int]:
        condition = Q(
            status__in=OPEN_STATUSES, reminded_at__isnull=True, due_on__gte=today, due_on__lte=remind_until
        )
        return [
            pk for (pk,) in _sweep_candidates(("appeals.sweep.remind", today, remind_until), (condition,))
        ]

    def escalation_read() -> list[int]:
        late.update(_escalation_candidates(today, escalate_until))
        return late[1]

    # The kinds of step in order, each read when the one before is claimed (both escalation levels in
    # one read); the subdistrict's step comes after the secretary's, so a request long overdue and
    # never escalated gets both today.
    stages = [
        (remind_read, lambda pks: _remind(pks, today=today, until=remind_until, now=now)),
        (escalation_read, lambda pks: _escalate(pks, 1, today=today, until=escalate_until, people=people)),
        (lambda: late[2], lambda pks: _escalate(pks, 2, today=today, until=escalate_until, people=people)),
    ]
    steps, pending, done, step = 0, [], 0, None  # pending[done:] are still to be claimed
    while stages or done < len(pending):
        # Stages with nothing to claim are read before any transaction opens: most ticks find no work
        # and then take no write lock (SQLite) and send no BEGIN/COMMIT.
        while stages and done >= len(pending):
            read, step = stages.pop(0)
            pending, done = read(), 0
        if done >= len(pending):
            break
        with transaction.atomic():
            room, delivered = SWEEP_CHUNK, []
            while room and (stages or done < len(pending)):
                if done >= len(pending):
                    read, step = stages.pop(0)
                    pending, done = read(), 0
                    continue
                chunk = pending[done : done + room]
                done += len(chunk)
                claimed, ids = step(chunk)
                steps, room = steps + claimed, room - len(chunk)
                delivered += ids
            if delivered:
                transaction.on_commit(lambda ids=delivered: _deliver(ids))
    return steps


def _deliver(ids: list[int]) -> None:
    from lianxin.core.notifications import deliver

    deliver.enqueue(ids)


def _sweep_days(today: dt.date) -> tuple[dt.date, dt.date]:
    """(the last due date reminded today: the next working day; the last due date late enough to go up
    to the subdistrict), from one WorkingCalendar (two queries) of the years these two need."""
    # n working days back never span more than 2n + 30 calendar days (the longest official holiday run
    # is nine days): with the default two days, from early February on that is this year alone.
    after = escalate_after_days()
    first = dt.date((today - dt.timedelta(days=min(2 * after + 30, MAX_SPAN_DAYS))).year, 1, 1)
    horizon = today + dt.timedelta(days=REMINDER_HORIZON_DAYS)
    calendar = WorkingCalendar(range(first.year, horizon.year + 1))
    # A request is reminded when the working day before its deadline is today or already past, i.e.
    # when it is due today, on a day off right after, or on the next working day itself.
    remind_until = today + dt.timedelta(days=1)
    while remind_until < horizon and not calendar.is_working_day(remind_until):
        remind_until += dt.timedelta(days=1)
    # Working days late (calendar.between(due_on, today)) only grow as due_on goes back; due dates
    # before the calendar's first year count as late enough (the loop stops well before it).
    escalate_until = first - dt.timedelta(days=1)
    day, late = today - dt.timedelta(days=1), int(calendar.is_working_day(today))
    while day >= first:
        if late >= after:
            escalate_until = day
            break
        late += calendar.is_working_day(day)
        day -= dt.timedelta(days=1)
    return remind_until, escalate_until


def _escalation_candidates(today: dt.date, until: dt.date) -> dict[int, list[int]]:
    """The overdue requests that go up a level today, by the level they go up to, from one read: those
    at level 0 go to 1; those at level 1 due on or before ``until``, and those at level 0 due as long
    ago (never escalated), go to 2. Each level's claim is a compare-and-set on the level below, so a
    request goes to 2 only once it is at 1 — by this sweep's first step or by another sweep's."""
    overdue = Q(status__in=OPEN_STATUSES, due_on__lt=today)
    rows = _sweep_candidates(
        ("appeals.sweep.escalate", today, until),
        (overdue & Q(escalation_level=0), overdue & Q(escalation_level=1, due_on__lte=until)),
        "escalation_level",
        "due_on",
    )
    up: dict[int, list[int]] = {1: [], 2: []}
    for pk, level, due_on in rows:
        if level == 0:
            up[1].append(pk)
        if due_on <= until:
            up[2].append(pk)
    return up


def _sweep_candidates(key: tuple, conditions: tuple[Q, ...], *columns: str) -> list[tuple]:
    """The requests matching one of the disjoint ``conditions`` as (id, *columns) rows in id order, in
    one statement kept compiled per connection under ``key``, which names the conditions' inputs (most
    ticks find nothing: then this is all a sweep does). Several conditions are read as an unordered
    union (sorted here), each an index range read of its own: as one WHERE … OR …, PostgreSQL's generic
    plan of the kept statement walked every overdue request instead, and ordered in SQL, SQLite walked
    the whole table by id. Each row is claimed again by compare-and-set, so a stale one is harmless."""

    def build():
        sides = tuple(
            Request.objects.filter(condition).order_by().values_list("pk", *columns)
            for condition in conditions
        )
        return sides[0] if len(sides) == 1 else statements.Union(sides, (), 0, None)

    return sorted(statements.rows(key, Request, build))


def _claim(pks: list[int], sets: dict, where: str, params: list) -> list[dict]:
    """Compare-and-set ``sets`` on the requests ``pks`` that still match ``where``; the rows actually
    moved (by this statement, not by a concurrent sweep), as dicts of ``_CLAIMED``."""
    from django.db import connection

    if not pks:
        return []
    table, qn = Request._meta.db_table, connection.ops.quote_name
    set_sql = ", ".join(f"{qn(column)} = %s" for column in sets)
    pk_sql = ", ".join(["%s"] * len(pks))
    returning = connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and connection.features.can_return_columns_from_insert  # SQLite ≥ 3.35
    )
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                f"UPDATE {qn(table)} SET {set_sql} WHERE {qn('id')} IN ({pk_sql}) AND {where} "
                f"RETURNING {', '.join(qn(c) for c in _CLAIMED)}",
                [*sets.values(), *pks, *params],
            )
            rows = cursor.fetchall()
        else:  # pragma: no cover - a database without UPDATE … RETURNING: one compare-and-set per row
            moved = []
            for pk in pks:
                cursor.execute(
                    f"UPDATE {qn(table)} SET {set_sql} WHERE {qn('id')} = %s AND {where}",
                    [*sets.values(), pk, *params],
                )
                if cursor.rowcount:
                    moved.append(pk)
            rows = Request.objects.filter(pk__in=moved).order_by().values_list(*_CLAIMED) if moved else []
    claimed = []
    for row in sorted(rows):
        found = dict(zip(_CLAIMED, row, strict=True))
        if not isinstance(found["due_on"], dt.date):  # SQLite returns the ISO text
            found["due_on"] = dt.date.fromisoformat(str(found["due_on"]))
        claimed.append(found)
    return claimed


def _open_sql(params: list) -> str:
    """``status IN (open statuses)``, its values appended to ``params``."""
    from django.db import connection

    params.extend(str(status) for status in OPEN_STATUSES)
    return f"{connection.ops.quote_name('status')} IN ({', '.join(['%s'] * len(OPEN_STATUSES))})"


def _day(value: dt.date):
    from django.db import connection

    return connection.ops.adapt_datefield_value(value)


def _active(user_ids: Iterable[int | None]) -> set[int]:
    from lianxin.accounts.models import User

    wanted = {pk for pk in user_ids if pk is not None}
    if not wanted:
        return set()
    return set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))


def _people_by_path(paths: set[str], role: str, kind: str, cache: dict) -> dict[str, set[int]]:
    """Active holders of ``role`` at places of ``kind``, by place path, for ``paths`` (and whatever
    ``cache`` already holds): what ``_people_at`` finds, for many requests in one query."""
    from lianxin.accounts.models import RoleAssignment

    found = cache.setdefault((role, kind), {})
    missing = paths - found.keys()
    if missing:
        for path in missing:
            found[path] = set()
        for path, user in RoleAssignment.objects.filter(
            role=role,
            ended_at__isnull=True,
            place__path__in=missing,
            place__kind=kind,
            user__is_active=True,
        ).values_list("place__path", "user_id"):
            found[path].add(user)
    return found


def _notify_many(messages: list[tuple[int, set[int], str, str, str]]) -> list[int]:
    """``_notify`` for many requests at once: (request id, recipient ids, title, body, dedupe key)
    per request. One bulk INSERT that skips what the unique dedupe key already holds, then the ids of
    the rows this call wrote, for the caller to deliver on the other channels after commit."""
    from lianxin.core.models import Notification

    stamp = timezone.now()
    rows, keys = [], set()
    for pk, recipients, title, body, key in messages:
        url = reverse("request_detail", args=[pk])
        keys.add(key)
        rows += [
            Notification(
                recipient_id=user, title=title[:200], body=body, url=url, dedupe_key=key, created_at=stamp
            )
            for user in sorted(recipients)
        ]
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # The rows skipped as duplicates were written earlier, with another time: the ones with this
    # call's stamp and keys are exactly the ones it wrote.
    return list(
        Notification.objects.filter(created_at=stamp, dedupe_key__in=keys).values_list("pk", flat=True)
    )


def _remind(pks: list[int], *, today: dt.date, until: dt.date, now) -> tuple[int, list[int]]:
    """Claim and remind one chunk, inside the caller's transaction: the owner and the handler, once
    per cycle (dedupe key). Returns the steps taken and the ids of the notifications written."""
    from django.db import connection

    params: list = []
    where = f"{_open_sql(params)} AND reminded_at IS NULL AND due_on >= %s AND due_on <= %s"
    params += [_day(today), _day(until)]
    claimed = _claim(pks, {"reminded_at": connection.ops.adapt_datetimefield_value(now)}, where, params)
    if not claimed:
        return 0, []
    active = _active(u for row in claimed for u in (row["owner_id"], row["handler_id"]))
    title = _("Due on the next working day: request %(number)s")
    body = _("Due %(date)s.")
    RequestEvent.objects.bulk_create(
        RequestEvent(
            request_id=row["id"],
            kind=EventKind.REMINDER,
            at=now,
            after=audit.to_primitive({"due_on": row["due_on"]}),
        )
        for row in claimed
    )
    ids = _notify_many(
        [
            (
                row["id"],
                {row["owner_id"], row["handler_id"]} & active,
                title % {"number": row["number"]},
                body % {"date": row["due_on"].isoformat()},
                f"request:{row['id']}:c{row['reopen_count']}:remind",
            )
            for row in claimed
        ]
    )
    return len(claimed), ids


def _escalate(
    pks: list[int], level: int, *, today: dt.date, until: dt.date, people: dict
) -> tuple[int, list[int]]:
    """Claim and escalate one chunk to ``level``, inside the caller's transaction: 1 tells the community
    secretary (and the owner and the handler), 2 the subdistrict officers. One audit entry per request
    (the hash chain is serial). Returns the steps taken and the ids of the notifications written."""
    params: list = []
    where = f"{_open_sql(params)} AND escalation_level = %s AND due_on < %s"
    params += [level - 1, _day(today)]
    if level == 2:
        where += " AND due_on <= %s"
        params.append(_day(until))
    claimed = _claim(pks, {"escalation_level": level}, where, params)
    if not claimed:
        return 0, []
    role, kind = (
        (Role.COMMUNITY_SECRETARY, PlaceKind.COMMUNITY)
        if level == 1
        else (Role.SUBDISTRICT_OFFICER, PlaceKind.SUBDISTRICT)
    )
    paths = {p for row in claimed for p in (*tree.ancestors_of(row["place_path"]), row["place_path"])}
    chiefs = _people_by_path(paths, role, kind, people)
    active = (
        _active(u for row in claimed for u in (row["owner_id"], row["handler_id"])) if level == 1 else set()
    )
    title = (
        _("Overdue: request %(number)s")
        if level == 1
        else _("Overdue, escalated to the subdistrict: request %(number)s")
    )
    body, stamp = _("It was due %(date)s."), timezone.now()
    RequestEvent.objects.bulk_create(
        RequestEvent(
            request_id=row["id"],
            kind=EventKind.ESCALATION,
            at=stamp,
            before={"level": level - 1},
            after={"level": level},
        )
        for row in claimed
    )
    messages = []
    for row in claimed:
        audit.record(
            actor=None,
            action="request.escalate",
            obj=Request(
                pk=row["id"], number=row["number"], place_id=row["place_id"], place_path=row["place_path"]
            ),
            place=Place(pk=row["place_id"], path=row["place_path"]),
            before={"escalation_level": level - 1},
            after={"escalation_level": level},
        )
        recipients = set().union(
            *(chiefs[p] for p in (*tree.ancestors_of(row["place_path"]), row["place_path"]))
        )
        if level == 1:
            recipients |= {row["owner_id"], row["handler_id"]} & active
        messages.append(
            (
                row["id"],
                recipients,
                title % {"number": row["number"]},
                body % {"date": row["due_on"].isoformat()},
                f"request:{row['id']}:c{row['reopen_count']}:esc{level}",
            )
        )
    ids = _notify_many(messages)
    return len(claimed), ids


# --- the portal -------------------------------------------------------------------------------------


def portal_status(*, number: str, phone: str) -> dict | None:
    """The status of a request for whoever knows its case number AND the phone given with it.

    None when either is wrong (the caller answers the same for both). Never personal data: the
    number, category, status, dates and the answer's summary only.
    """
    digits = _phone_digits(phone)
    number = (number or "").strip()
    if not digits or not number or len(number) > 16:
        return None
    request = (
        Request.objects.select_related("category")
        .filter(number=number, phone_digits=digits, anonymous=False)
        .first()
    )
    if request is None:
        return None
    if request.status == S.MERGED and request.merged_into_id:
        merged_into = request.merged_into.number
    else:
        merged_into = ""
    return {
        "number": request.number,
        "category": request.category.name,
        "status": request.status,
        "status_label": S(request.status).label,
        "received_on": request.received_on,
        "due_on": request.due_on,
        "due_provisional": request.due_provisional,
        "answered_at": request.answered_at,
        "answer_summary": request.answer_summary if request.status not in OPEN_STATUSES else "",
        "merged_into": merged_into,
    }


def place_for_portal(place_pk) -> Place:
    try:
        return Place.objects.get(pk=place_pk, kind__in=list(REQUEST_PLACE_KINDS))
    except (Place.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def categories() -> list[RequestCategory]:
    return list(RequestCategory.objects.filter(active=True))
