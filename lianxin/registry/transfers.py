"""Membership transfers (组织关系接转, D2): services and selectors.

The workflow is the dict ``TRANSITIONS``. Each move is one service that checks access, validates the
move, changes the status by compare-and-set (two clicks on "accept" move the member once), stamps who
and when, writes a TransferEvent and an audit entry, and notifies both secretaries after commit.

    requested ─approve (sending side)─▶ approved ─accept (receiving side)─▶ accepted: the member moves
        │                                   │
        └──── reject (either side, with a reason) / cancel (the requester) / expire (tick) ────▶ closed

A transfer out of the city has no receiving organization in the system: its "accept" is the sending
organization recording the returned receipt (回执), and the member becomes "transferred out".
A rejected, cancelled or expired transfer leaves the member where they were.

History: TransferEvent rows rather than the audit log, because both secretaries must read it through
the transfer's own two-sided scoping, while the audit log is scoped to one place and needs VIEW_AUDIT.
The audit log still gets every move.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts.models import RoleAssignment
from lianxin.core import access, audit, tree
from lianxin.core.access import ROLE_ACTIONS, Action
from lianxin.core.notifications import notify
from lianxin.places.models import PartyOrganization

from .models import (
    OPEN_TRANSFER_STATUSES,
    MembershipTransfer,
    MemberStatus,
    PartyMember,
    TransferEvent,
    TransferStatus,
)

S = TransferStatus

# The allowed moves; everything not listed is refused. Accepted, rejected, expired and cancelled are final.
TRANSITIONS: dict[str, set[str]] = {
    S.REQUESTED: {S.APPROVED, S.REJECTED, S.CANCELLED, S.EXPIRED},
    S.APPROVED: {S.ACCEPTED, S.REJECTED, S.CANCELLED, S.EXPIRED},
    S.ACCEPTED: set(),
    S.REJECTED: set(),
    S.EXPIRED: set(),
    S.CANCELLED: set(),
}

DEFAULT_LETTER_VALID_DAYS = 90
TRANSFER_FIELDS = [
    "member",
    "from_organization",
    "to_organization",
    "external_organization_name",
    "letter_number",
    "issued_on",
    "valid_until",
    "status",
]


def letter_valid_days() -> int:
    """How long an introduction letter is valid, in calendar days (settings.LIANXIN_TRANSFER_LETTER_VALID_DAYS)."""
    return int(getattr(settings, "LIANXIN_TRANSFER_LETTER_VALID_DAYS", DEFAULT_LETTER_VALID_DAYS))


# --- reads ----------------------------------------------------------------------------------------


def _visible_q(actor):
    """Transfers whose sending OR receiving organization lies in the actor's scope."""
    roots = access.scope_paths(actor, Action.VIEW_MEMBERS)
    if roots == [""]:
        return None
    return tree.under_q("place_path", roots) | tree.under_q("to_organization__place_path", roots)


def transfer_list(*, actor, status: str = "", open_only: bool = False, member=None):
    """Transfers seen by either side: the sending side (the row's place) or the receiving side."""
    qs = MembershipTransfer.objects.select_related(
        "member__resident", "from_organization", "to_organization", "place"
    )
    visible = _visible_q(actor)
    if visible is not None:
        qs = qs.filter(visible)
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.open()
    if member is not None:
        qs = qs.filter(member=member)
    return qs


def transfer_get(*, actor, pk) -> MembershipTransfer:
    """One transfer either side may see; "not yours" and "missing" are the same 404."""
    try:
        return transfer_list(actor=actor).get(pk=pk)
    except (MembershipTransfer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def transfer_events(*, transfer: MembershipTransfer):
    """The history of a transfer already obtained through ``transfer_get``."""
    return transfer.events.select_related("actor")


def can_act(actor, transfer: MembershipTransfer) -> set[str]:
    """The moves ``actor`` may make on ``transfer`` now (for showing buttons)."""
    allowed = TRANSITIONS.get(transfer.status, set()) - {S.EXPIRED}
    result = set()
    sending = access.can(actor, Action.MANAGE_TRANSFERS, transfer.place_path)
    receiving = access.can(actor, Action.MANAGE_TRANSFERS, _receiving_path(transfer))
    if S.APPROVED in allowed and sending and transfer.requested_by_id != getattr(actor, "pk", None):
        result.add(S.APPROVED)
    if S.ACCEPTED in allowed and receiving:
        result.add(S.ACCEPTED)
    if S.REJECTED in allowed and (sending or receiving):
        result.add(S.REJECTED)
    if S.CANCELLED in allowed and transfer.requested_by_id == getattr(actor, "pk", None) and sending:
        result.add(S.CANCELLED)
    return result


# --- helpers --------------------------------------------------------------------------------------


def _receiving_path(transfer: MembershipTransfer) -> str:
    """Where the receiving side acts: the receiving organization's place, or for a transfer out of
    the city the sending side, which records the returned receipt."""
    if transfer.to_organization_id:
        return PartyOrganization.objects.values_list("place_path", flat=True).get(
            pk=transfer.to_organization_id
        )
    return transfer.place_path


def _secretaries(path: str) -> list:
    """Holders of MANAGE_TRANSFERS nearest above ``path`` (the community secretary, usually)."""
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.MANAGE_TRANSFERS in actions]
    rows = list(
        RoleAssignment.objects.filter(
            ended_at__isnull=True,
            role__in=roles,
            place__path__in=[*tree.ancestors_of(path), path],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("-place__depth")
    )
    if not rows:
        return []
    nearest = rows[0].place.depth
    return [row.user for row in rows if row.place.depth == nearest]


def _notify_both(transfer: MembershipTransfer, actor) -> None:
    recipients = _secretaries(transfer.place_path)
    if transfer.to_organization_id:
        recipients += _secretaries(_receiving_path(transfer))
    actor_pk = getattr(actor, "pk", None)
    notify(
        recipients=[user for user in recipients if user.pk != actor_pk],
        title=_("Membership transfer %(number)s: %(status)s")
        % {"number": transfer.letter_number, "status": transfer.get_status_display()},
        body=_("%(member)s, from %(sender)s to %(receiver)s.")
        % {
            "member": transfer.member.resident.name,
            "sender": transfer.from_organization.name,
            "receiver": transfer.receiver_label(),
        },
        dedupe_key=f"transfer:{transfer.pk}:{transfer.status}",
    )


def _next_letter_number(year: int, attempt: int) -> str:
    taken = MembershipTransfer.objects.filter(letter_year=year).count()
    return f"{year}-{taken + 1 + attempt:04d}"


def _move(
    *,
    actor,
    transfer: MembershipTransfer,
    to: str,
    expected: str,
    reason: str = "",
    stamps: dict | None = None,
) -> MembershipTransfer:
    """Compare-and-set the status from ``expected`` to ``to``, then record the step.

    Raises ValidationError when another request moved the transfer first: the loser changes nothing.
    """
    if to not in TRANSITIONS.get(expected, set()):
        raise ValidationError(
            _("This transfer is %(status)s; it cannot be changed this way.")
            % {"status": TransferStatus(expected).label}
        )
    moved = MembershipTransfer.objects.filter(pk=transfer.pk, status=expected).update(
        status=to, **(stamps or {})
    )
    if not moved:
        raise ValidationError(_("This transfer was changed by someone else in the meantime. Please reload."))
    transfer.refresh_from_db()
    TransferEvent.objects.create(
        transfer=transfer,
        from_status=expected,
        to_status=to,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
    )
    audit.record(
        actor=actor,
        action=f"transfer.{to}",
        obj=transfer,
        before={"status": expected},
        after={"status": to, **{k: v for k, v in (stamps or {}).items() if k != "close_reason"}},
        reason=reason,
    )
    return transfer


def _fresh(transfer: MembershipTransfer) -> MembershipTransfer:
    return MembershipTransfer.objects.select_related(
        "member__resident", "from_organization", "to_organization"
    ).get(pk=transfer.pk)


def _check_valid(transfer: MembershipTransfer, today: dt.date) -> None:
    if transfer.valid_until < today:
        raise ValidationError(
            _("The introduction letter expired on %(date)s.") % {"date": transfer.valid_until.isoformat()}
        )


# --- writes ---------------------------------------------------------------------------------------


@transaction.atomic
def transfer_request(
    *,
    actor,
    member: PartyMember,
    to_organization: PartyOrganization | None = None,
    external_organization_name: str = "",
    letter_number: str = "",
    issued_on: dt.date | None = None,
    note: str = "",
) -> MembershipTransfer:
    """Start a transfer of ``member`` from their organization (D2, 组织关系接转).

    Requested by the sending side (MANAGE_TRANSFERS at the member's organization). The receiver is an
    organization in the system or, for a transfer out of the city, its name. The letter number is
    unique within the year (generated when left blank); the letter is valid for
    ``letter_valid_days()`` days from ``issued_on``. A member has at most one open transfer.
    """
    member = PartyMember.objects.select_related("organization", "resident").get(pk=member.pk)
    sending = member.organization
    access.require(actor, Action.MANAGE_TRANSFERS, sending.place_path)
    external = " ".join((external_organization_name or "").split())
    errors = {}
    if member.status != MemberStatus.ACTIVE:
        errors["member"] = _("Only an active member can be transferred.")
    if (to_organization is None) == (not external):
        errors["to_organization"] = _(
            "Choose the receiving organization, or name it if it is outside the city — not both."
        )
    if to_organization is not None:
        to_organization = PartyOrganization.objects.get(pk=to_organization.pk)
        if to_organization.pk == sending.pk:
            errors["to_organization"] = _("The member already belongs to this organization.")
        elif to_organization.dissolved_on:
            errors["to_organization"] = _("This organization has been dissolved.")
    issued_on = issued_on or timezone.localdate()
    if issued_on > timezone.localdate():
        errors["issued_on"] = _("The date cannot be in the future.")
    elif issued_on + dt.timedelta(days=letter_valid_days()) < timezone.localdate():
        errors["issued_on"] = _("A letter issued on this date has already expired.")
    if errors:
        raise ValidationError(errors)
    given_number = " ".join((letter_number or "").split())
    transfer = MembershipTransfer(
        member=member,
        place_id=sending.place_id,
        from_organization=sending,
        to_organization=to_organization,
        external_organization_name="" if to_organization else external,
        letter_year=issued_on.year,
        issued_on=issued_on,
        valid_until=issued_on + dt.timedelta(days=letter_valid_days()),
        note=note.strip(),
        requested_by=actor,
    )
    for attempt in range(20):
        transfer.letter_number = given_number or _next_letter_number(issued_on.year, attempt)
        try:
            with transaction.atomic():
                transfer.save()
            break
        except IntegrityError as exc:
            transfer.pk = None
            if "letter" not in str(exc).lower():
                raise ValidationError(
                    {"member": _("This member already has a transfer in progress.")}
                ) from None
            if given_number:
                raise ValidationError(
                    {"letter_number": _("This letter number is already used this year.")}
                ) from None
    else:  # pragma: no cover - twenty concurrent requests in one instant
        raise ValidationError({"letter_number": _("Could not number the letter; please try again.")})
    TransferEvent.objects.create(transfer=transfer, from_status="", to_status=S.REQUESTED, actor=actor)
    audit.record(
        actor=actor,
        action="transfer.requested",
        obj=transfer,
        after=audit.snapshot(transfer, TRANSFER_FIELDS),
    )
    _notify_both(transfer, actor)
    return transfer


@transaction.atomic
def transfer_approve(*, actor, transfer: MembershipTransfer) -> MembershipTransfer:
    """The sending organization approves and issues the letter (MANAGE_TRANSFERS at the sending place)."""
    transfer = _fresh(transfer)
    access.require(actor, Action.MANAGE_TRANSFERS, transfer.place_path)
    # Four eyes: whoever filed the request does not approve it (lianxin.core.access.require_not_self).
    access.require_not_self(actor, transfer.requested_by_id)
    if transfer.status == S.REQUESTED:
        _check_valid(transfer, timezone.localdate())
    transfer = _move(
        actor=actor,
        transfer=transfer,
        to=S.APPROVED,
        expected=transfer.status,
        stamps={"approved_by": actor, "approved_at": timezone.now()},
    )
    _notify_both(transfer, actor)
    return transfer


@transaction.atomic
def transfer_accept(*, actor, transfer: MembershipTransfer) -> MembershipTransfer:
    """The receiving organization accepts and the member moves to it; for a transfer out of the city
    the sending side records the receipt and the member becomes "transferred out".

    Only the first of two concurrent accepts moves the member; the second gets a ValidationError.
    """
    transfer = _fresh(transfer)
    access.require(actor, Action.MANAGE_TRANSFERS, _receiving_path(transfer))
    if transfer.status == S.REQUESTED:
        raise ValidationError(_("The sending organization has not approved this transfer yet."))
    if transfer.status == S.APPROVED:
        _check_valid(transfer, timezone.localdate())
    transfer = _move(
        actor=actor,
        transfer=transfer,
        to=S.ACCEPTED,
        expected=transfer.status,
        stamps={"accepted_by": actor, "accepted_at": timezone.now()},
    )
    member = PartyMember.objects.select_for_update().get(pk=transfer.member_id)
    if member.organization_id != transfer.from_organization_id or member.status != MemberStatus.ACTIVE:
        raise ValidationError(_("The member is no longer an active member of the sending organization."))
    before = audit.snapshot(member, ["organization", "place", "status", "receiving_organization_name"])
    if transfer.to_organization_id:
        receiver = PartyOrganization.objects.get(pk=transfer.to_organization_id)
        if receiver.dissolved_on:
            raise ValidationError(_("The receiving organization has been dissolved."))
        member.organization, member.place_id = receiver, receiver.place_id
    else:
        member.status = MemberStatus.TRANSFERRED_OUT
        member.receiving_organization_name = transfer.external_organization_name
    member.updated_at = timezone.now()
    member.save()
    audit.record(
        actor=actor,
        action="member.transfer",
        obj=member,
        before=before,
        after=audit.snapshot(member, ["organization", "place", "status", "receiving_organization_name"]),
        reason=transfer.letter_number,
    )
    _notify_both(transfer, actor)
    return transfer


@transaction.atomic
def transfer_reject(*, actor, transfer: MembershipTransfer, reason: str) -> MembershipTransfer:
    """Either side refuses, with a reason. The member stays where they were."""
    transfer = _fresh(transfer)
    if not (
        access.can(actor, Action.MANAGE_TRANSFERS, transfer.place_path)
        or access.can(actor, Action.MANAGE_TRANSFERS, _receiving_path(transfer))
    ):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for rejecting.")})
    transfer = _move(
        actor=actor,
        transfer=transfer,
        to=S.REJECTED,
        expected=transfer.status,
        reason=reason,
        stamps={"closed_by": actor, "closed_at": timezone.now(), "close_reason": reason},
    )
    _notify_both(transfer, actor)
    return transfer


@transaction.atomic
def transfer_cancel(*, actor, transfer: MembershipTransfer, reason: str = "") -> MembershipTransfer:
    """The requester withdraws the transfer before it is accepted. The member stays where they were."""
    transfer = _fresh(transfer)
    if transfer.requested_by_id != getattr(actor, "pk", None):
        raise PermissionDenied
    access.require(actor, Action.MANAGE_TRANSFERS, transfer.place_path)
    reason = (reason or "").strip()
    transfer = _move(
        actor=actor,
        transfer=transfer,
        to=S.CANCELLED,
        expected=transfer.status,
        reason=reason,
        stamps={"closed_by": actor, "closed_at": timezone.now(), "close_reason": reason},
    )
    _notify_both(transfer, actor)
    return transfer


def transfers_expire(*, today: dt.date) -> int:
    """Close every open transfer whose letter is past its validity (called by core.services.tick).

    Idempotent: each transfer expires once (compare-and-set), and its notification has a dedupe key.
    Returns how many expired in this run.
    """
    expired = 0
    for pk in MembershipTransfer.objects.past_validity(today).values_list("pk", flat=True):
        with transaction.atomic():
            transfer = _fresh(MembershipTransfer(pk=pk))
            if transfer.status not in OPEN_TRANSFER_STATUSES or transfer.valid_until >= today:
                continue
            try:
                transfer = _move(
                    actor=None,
                    transfer=transfer,
                    to=S.EXPIRED,
                    expected=transfer.status,
                    stamps={"closed_at": timezone.now()},
                )
            except ValidationError:  # moved by someone else meanwhile
                continue
            _notify_both(transfer, None)
            expired += 1
    return expired
