"""Special care groups (D2: 刑释解教, 吸毒, 严重不良行为青少年, 孤残流浪儿童, 易肇事肇祸精神障碍患者).

Need-to-know: a role alone shows nothing. A user sees a record only through an active
SpecialCareAssignment covering the record's group at a place whose subtree holds the record (or
naming that record), AND while their roles still let them view people there — so an assignment
outlives neither the person's job nor its own end. The community secretary (MANAGE_SPECIAL_CARE)
grants and ends assignments for their community.

Every read — list (with the ids and count of the rows shown) or detail — writes an audit entry with
the purpose. Details are stored encrypted, shown masked, and revealed only with a reason
(audit.record_reveal). Nothing here puts the details in the audit log.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit, crypto, tree
from lianxin.core.access import Action
from lianxin.core.notifications import notify
from lianxin.places.models import Place

from .models import Resident, SpecialCareAssignment, SpecialCareGroup, SpecialCareRecord

# --- the need-to-know chokepoint ------------------------------------------------------------------


def has_assignment(actor) -> bool:
    """Does ``actor`` hold any active special-care assignment? Says nothing about records or their number."""
    return bool(_active_assignments(actor))


def open_to(actor, assigned: bool | None = None) -> bool:
    """Does ``actor`` have business with the special care pages: an assignment, or granting them?
    ``assigned``: ``has_assignment(actor)`` when the caller has asked already (the menu)."""
    if assigned is None:
        assigned = has_assignment(actor)
    return assigned or access.can(actor, Action.MANAGE_SPECIAL_CARE)


def _active_assignments(actor) -> list[tuple[str, str, int | None]]:
    """(group, place path, record id) of the actor's active assignments where they may still view people."""
    if not actor or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    people_roots = access.scope_paths(actor, Action.VIEW_PEOPLE)
    if not people_roots:
        return []
    rows = SpecialCareAssignment.objects.filter(user=actor, ended_at__isnull=True).values_list(
        "group", "place_path", "record_id"
    )
    return [row for row in rows if any(row[1].startswith(root) for root in people_roots)]


def _visible_q(actor, group: str | None = None, assignments=None) -> Q:
    """The records ``actor`` may see: matches nothing without an assignment. ``assignments``: the
    actor's ``_active_assignments`` when the caller has them already (read once per request)."""
    query = Q(pk__in=[])
    by_group: dict[str, list[str]] = {}
    if assignments is None:
        assignments = _active_assignments(actor)
    for assigned_group, path, record_id in assignments:
        if group and assigned_group != group:
            continue
        if record_id:
            query |= Q(pk=record_id, group=assigned_group, place_path__startswith=path)
        else:
            by_group.setdefault(assigned_group, []).append(path)
    for assigned_group, paths in by_group.items():
        query |= Q(group=assigned_group) & tree.under_q("place_path", paths)
    return query


# Modules that hang records on special care (disputes' care plans) scope by the same rule; a page that
# reads several lists of records reads the assignments once and passes them to each (``assignments=``).
visible_q = _visible_q
active_assignments = _active_assignments


def _covers(actor, group: str, path: str) -> bool:
    """Does the actor hold a group-wide assignment for ``group`` above ``path``?"""
    return any(
        g == group and record_id is None and path.startswith(p)
        for g, p, record_id in _active_assignments(actor)
    )


def _audit_place(actor, assignments=None):
    """The one place a read spans, when the actor's assignments have a single root."""
    if assignments is None:
        assignments = _active_assignments(actor)
    roots = tree.minimal_roots(path for _g, path, _r in assignments)
    return Place.objects.filter(path=roots[0]).first() if len(roots) == 1 else None


def _purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError({"purpose": _("Please state why these records are being read.")})
    return purpose


# --- reads (each one audited) ---------------------------------------------------------------------


def special_care_list(
    *,
    actor,
    purpose: str,
    group: str | None = None,
    include_ended: bool = False,
    offset: int = 0,
    limit: int | None = None,
    assignments=None,
) -> list[SpecialCareRecord]:
    """The records the actor is assigned to, as a list (evaluated here so that exactly the rows
    returned are named in the audit entry). ``purpose`` is the page or reason; it is required.
    ``assignments``: ``active_assignments(actor)`` when the caller has read them already."""
    purpose = _purpose(purpose)
    if group and group not in SpecialCareGroup.values:
        raise ValidationError({"group": _("Choose a group.")})
    if assignments is None:
        assignments = _active_assignments(actor)
    qs = SpecialCareRecord.objects.select_related("resident", "place").filter(
        _visible_q(actor, group, assignments)
    )
    if not include_ended:
        qs = qs.filter(ended_on__isnull=True)
    rows = list(qs[offset : offset + limit] if limit is not None else qs[offset:])
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="special_care.list",
            place=_audit_place(actor, assignments),
            after={"group": group or "", "records": [row.pk for row in rows], "count": len(rows)},
            reason=purpose,
        )
    return rows


def special_care_get(*, actor, pk, purpose: str) -> SpecialCareRecord:
    """One record the actor is assigned to, audited; "not assigned" and "missing" are the same 404."""
    purpose = _purpose(purpose)
    try:
        record = SpecialCareRecord.objects.select_related("resident", "place").get(_visible_q(actor), pk=pk)
    except (SpecialCareRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    with transaction.atomic():
        audit.record(actor=actor, action="special_care.view", obj=record, reason=purpose)
    return record


def special_care_reveal(*, actor, record: SpecialCareRecord, reason: str) -> str:
    """The clear details of a record the actor is assigned to, with a reason; audited as a reveal."""
    if not SpecialCareRecord.objects.filter(_visible_q(actor), pk=record.pk).exists():
        raise Http404
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for viewing this.")})
    record = SpecialCareRecord.objects.get(pk=record.pk)
    with transaction.atomic():
        audit.record_reveal(actor=actor, obj=record, field="details", reason=reason)
    return crypto.decrypt(record.details_enc)


def assignment_list(*, actor, include_ended: bool = False):
    """Assignments in the places where the actor grants them (MANAGE_SPECIAL_CARE)."""
    qs = access.restrict(
        SpecialCareAssignment.objects.select_related("user", "place", "granted_by"),
        actor,
        Action.MANAGE_SPECIAL_CARE,
    )
    return qs if include_ended else qs.filter(ended_at__isnull=True)


# --- writes ---------------------------------------------------------------------------------------


@transaction.atomic
def record_create(
    *,
    actor,
    resident: Resident,
    group: str,
    details: str = "",
    since: dt.date | None = None,
) -> SpecialCareRecord:
    """Put a resident in a care group (D2). Allowed to the secretary (MANAGE_SPECIAL_CARE) and to
    those assigned to the group there. Details are stored encrypted only."""
    resident = Resident.objects.get(pk=resident.pk)
    access.require(actor, Action.VIEW_PEOPLE, resident.place_path)
    if not (
        access.can(actor, Action.MANAGE_SPECIAL_CARE, resident.place_path)
        or _covers(actor, group, resident.place_path)
    ):
        raise PermissionDenied
    errors = {}
    if group not in SpecialCareGroup.values:
        errors["group"] = _("Choose a group.")
    if since and since > timezone.localdate():
        errors["since"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    record = SpecialCareRecord(
        resident=resident,
        place_id=resident.place_id,
        group=group,
        details_enc=crypto.encrypt((details or "").strip()),
        since=since,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise ValidationError({"group": _("This resident is already recorded in this group.")}) from None
    audit.record(
        actor=actor,
        action="special_care.create",
        obj=record,
        after={"resident": resident.pk, "group": group, "since": since, "details_given": bool(details)},
    )
    return record


@transaction.atomic
def record_end(*, actor, record: SpecialCareRecord, ended_on: dt.date, reason: str) -> SpecialCareRecord:
    """End a record (care no longer needed). Only someone assigned to it can; others get 404."""
    if not SpecialCareRecord.objects.filter(_visible_q(actor), pk=record.pk).exists():
        raise Http404
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give a reason.")})
    if ended_on > timezone.localdate():
        raise ValidationError({"ended_on": _("The date cannot be in the future.")})
    if not SpecialCareRecord.objects.filter(pk=record.pk, ended_on__isnull=True).update(
        ended_on=ended_on, end_reason=reason
    ):
        raise ValidationError(_("This record was already ended."))
    record = SpecialCareRecord.objects.get(pk=record.pk)
    audit.record(
        actor=actor,
        action="special_care.end",
        obj=record,
        before={"ended_on": None},
        after={"ended_on": ended_on},
        reason=reason,
    )
    return record


@transaction.atomic
def assignment_grant(
    *,
    actor,
    user,
    group: str = "",
    place: Place | None = None,
    record: SpecialCareRecord | None = None,
    reason: str = "",
) -> SpecialCareAssignment:
    """Let ``user`` see the records of ``group`` under ``place`` — or one ``record`` only.

    Granted by MANAGE_SPECIAL_CARE there (the community secretary). The user must be able to view
    people at that place through their own role: an assignment widens nothing beyond their job.
    """
    if record is not None:
        record = SpecialCareRecord.objects.get(pk=record.pk)
        place, group = Place.objects.get(pk=record.place_id), record.group
    elif place is None:
        raise ValidationError({"place": _("Choose the place.")})
    else:
        place = Place.objects.get(pk=place.pk)
    access.require(actor, Action.MANAGE_SPECIAL_CARE, place)
    if group not in SpecialCareGroup.values:
        raise ValidationError({"group": _("Choose a group.")})
    grantee = get_user_model().objects.get(pk=user.pk)
    if not grantee.is_active or not access.can(grantee, Action.VIEW_PEOPLE, place):
        raise ValidationError({"user": _("This person has no role that lets them view residents here.")})
    assignment = SpecialCareAssignment(
        user=grantee, group=group, place=place, record=record, granted_by=actor, reason=(reason or "").strip()
    )
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise ValidationError({"user": _("This person is already assigned.")}) from None
    audit.record(
        actor=actor,
        action="special_care.assign",
        obj=assignment,
        after={
            "user": grantee.pk,
            "group": group,
            "place": place.pk,
            "record": record.pk if record else None,
        },
        reason=assignment.reason,
    )
    notify(
        recipients=[grantee],
        title=_("You have been given access to special care records"),
        body=_("Group: %(group)s; place: %(place)s.")
        % {"group": SpecialCareGroup(group).label, "place": place.name},
        dedupe_key=f"special_care_assign:{assignment.pk}",
    )
    return assignment


@transaction.atomic
def assignment_revoke(*, actor, assignment: SpecialCareAssignment, reason: str = "") -> SpecialCareAssignment:
    """End an assignment; from then on it grants nothing."""
    assignment = SpecialCareAssignment.objects.get(pk=assignment.pk)
    access.require(actor, Action.MANAGE_SPECIAL_CARE, assignment.place_path)
    now = timezone.now()
    if not SpecialCareAssignment.objects.filter(pk=assignment.pk, ended_at__isnull=True).update(
        ended_at=now, ended_by=actor
    ):
        raise ValidationError(_("This assignment was already ended."))
    assignment.refresh_from_db()
    audit.record(
        actor=actor,
        action="special_care.unassign",
        obj=assignment,
        before={"ended_at": None},
        after={"ended_at": now},
        reason=(reason or "").strip(),
    )
    return assignment
