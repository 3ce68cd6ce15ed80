"""The audit log: append-only and tamper-evident (a SHA-256 hash chain).

Every service that writes calls ``record`` inside its transaction; every reveal of a sensitive
field calls ``record_reveal``. ``verify`` walks the chain and names the first altered,
inserted or deleted row.
"""

import datetime as dt
import decimal
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .middleware import current_client_ip, current_request_id
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64
# The legal floor (MLPS 2.0 level 3: at least six months); LIANXIN_AUDIT_RETENTION_DAYS may only raise it.
MIN_RETENTION_DAYS = 184


def to_primitive(value: Any) -> Any:
    """JSON-safe, stable form of a field value, so what is hashed is exactly what is stored."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): to_primitive(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_primitive(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as ids) for a before/after record."""
    names = fields or [f.name for f in obj._meta.concrete_fields]
    result = {}
    for name in names:
        field = obj._meta.get_field(name)
        result[name] = to_primitive(getattr(obj, field.attname))
    return result


def _digest(entry: AuditEntry) -> str:
    payload = [
        entry.seq,
        to_primitive(entry.at),
        entry.actor_id,
        entry.actor_name,
        entry.role,
        entry.place_id_snapshot,
        entry.place_path,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_repr,
        entry.before,
        entry.after,
        entry.reason,
        entry.prev_hash,
    ]
    if entry.chain_version >= 2:
        payload += [entry.chain_version, entry.outcome, entry.ip, entry.request_id]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    place=None,
    role: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    outcome: str = "ok",
) -> AuditEntry:
    """Append one entry. Must run inside the transaction of the write it records.

    The role defaults to the actor's roles; the source address and request id come from the
    request being served (lianxin.core.middleware). If this fails, the caller's transaction fails:
    nothing is written or shown without its trace."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the write's transaction")
    if place is None and obj is not None:
        place = getattr(obj, "place", None) if hasattr(obj, "place_id") else None
        if place is None and obj._meta.label_lower == "places.place":
            place = obj
    if not role and getattr(actor, "pk", None):
        role = _roles_label(actor)
    if place is None and obj is None and getattr(actor, "pk", None):
        place = _home_place(actor)
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    entry = AuditEntry(
        seq=head.seq + 1,
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(actor.get_full_name() or actor.get_username())[:150]
        if getattr(actor, "pk", None)
        else "system",
        role=role,
        place_id_snapshot=place.pk if place is not None else None,
        place_path=place.path if place is not None else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        before=to_primitive(before) if before is not None else None,
        after=to_primitive(after) if after is not None else None,
        reason=reason,
        outcome=outcome,
        ip=current_client_ip(),
        request_id=current_request_id(),
        prev_hash=head.hash,
    )
    entry.hash = _digest(entry)
    entry.save(force_insert=True)
    AuditHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry


def _roles_label(actor) -> str:
    from . import access

    held = sorted(access.roles_of(actor))
    if access.is_system_admin(actor):
        held.insert(0, "system_admin")
    return ",".join(held)[:40]


def _home_place(actor):
    """Where an entry about no particular object (a sign-in, an export) is filed: the place of the
    subtree the actor works on, when it is one."""
    from django.apps import apps

    from . import access, tree

    roots = tree.minimal_roots(path for _role, path, _pk in access._assignments(actor))
    if len(roots) != 1:
        return None
    return apps.get_model("places", "Place").objects.filter(path=roots[0]).first()


def record_reveal(*, actor, obj: models.Model, field: str, reason: str, role: str = "") -> AuditEntry:
    """Record that ``actor`` saw the clear value of a sensitive ``field`` of ``obj``, and why."""
    if not reason.strip():
        raise ValueError("a reveal needs a reason")
    return record(
        actor=actor, action="reveal", obj=obj, role=role, after={"field": field}, reason=reason.strip()
    )


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, for a compact before/after record."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def verify() -> VerifyResult:
    """Walk the chain in order; report the first row that was altered, inserted or deleted.

    After a retention purge the walk starts at the anchor kept on the head (the first retained
    entry's number and the hash it chains from), which the purge's own entry also records."""
    head = AuditHead.objects.filter(pk=1).first()
    anchor_seq, anchor_hash = (head.anchor_seq, head.anchor_hash) if head else (1, GENESIS)
    expected_prev, expected_seq, checked = anchor_hash, anchor_seq, 0
    purges = AuditEntry.objects.filter(action="audit.purge").order_by("-seq").values_list("after", flat=True)
    last_purge = purges.first()
    if last_purge and (last_purge.get("anchor_seq"), last_purge.get("anchor_hash")) != (
        anchor_seq,
        anchor_hash,
    ):
        return VerifyResult(False, 0, "altered: the chain anchor does not match the last purge", anchor_seq)
    if not last_purge and (anchor_seq, anchor_hash) != (1, GENESIS):
        return VerifyResult(False, 0, "altered: the chain anchor was moved without a purge", anchor_seq)
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                return VerifyResult(
                    False,
                    checked,
                    f"deleted: entries #{expected_seq}–#{entry.seq - 1} are missing",
                    expected_seq,
                )
            return VerifyResult(False, checked, f"inserted: entry #{entry.seq} is out of sequence", entry.seq)
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                False,
                checked,
                f"inserted or deleted: entry #{entry.seq} does not follow #{entry.seq - 1}",
                entry.seq,
            )
        if _digest(entry) != entry.hash:
            return VerifyResult(
                False,
                checked,
                f"altered: entry #{entry.seq} ({entry.action}, {entry.object_repr}) was changed",
                entry.seq,
            )
        expected_prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    last = expected_seq - 1
    if head_seq > last:
        return VerifyResult(False, checked, f"deleted: entries #{last + 1}–#{head_seq} are missing", last + 1)
    if head_seq < last:
        return VerifyResult(
            False,
            head_seq - anchor_seq + 1,
            f"inserted: entry #{head_seq + 1} was not appended by Lianxin",
            head_seq + 1,
        )
    if head_hash != expected_prev:
        # The last row was swapped for a self-consistent forgery: only the head still knows.
        return VerifyResult(
            False, checked - 1, f"altered: entry #{last} does not match the chain head", last or None
        )
    return VerifyResult(True, checked)


def retention_days() -> int:
    from django.conf import settings

    return max(MIN_RETENTION_DAYS, int(getattr(settings, "LIANXIN_AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS)))


@dataclass
class PurgeResult:
    deleted: int
    anchor_seq: int
    cutoff: dt.datetime


def purge(*, actor, now: dt.datetime | None = None) -> PurgeResult:
    """Delete the oldest entries, those older than the retention period, and nothing younger.

    Only a whole prefix of the chain goes (up to the first entry that must stay), so what is kept
    still verifies from the anchor stored on the head; the purge itself is the next entry, with the
    anchor and the count. ``actor`` must hold Action.PURGE_AUDIT (an auditor), or be None for
    the scheduled job. On PostgreSQL the table's trigger refuses every DELETE unless this
    transaction set ``lianxin.audit_purge`` and the row is older than the legal minimum.
    """
    from django.core.exceptions import PermissionDenied
    from django.db import connection

    from . import access

    if actor is not None and not access.can(actor, access.Action.PURGE_AUDIT):
        raise PermissionDenied
    cutoff = (now or timezone.now()) - dt.timedelta(days=retention_days())
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        first_kept = (
            AuditEntry.objects.filter(at__gte=cutoff).order_by("seq").values_list("seq", "prev_hash").first()
        )
        if first_kept is None:
            first_kept = (head.seq + 1, head.hash)
        anchor_seq, anchor_hash = first_kept
        doomed = AuditEntry.objects.filter(seq__lt=anchor_seq)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lianxin.audit_purge = 'on'")
        deleted = doomed._raw_delete(doomed.db)
        if deleted:
            AuditHead.objects.filter(pk=1).update(anchor_seq=anchor_seq, anchor_hash=anchor_hash)
            record(
                actor=actor,
                action="audit.purge",
                after={
                    "deleted": deleted,
                    "cutoff": cutoff,
                    "anchor_seq": anchor_seq,
                    "anchor_hash": anchor_hash,
                    "retention_days": retention_days(),
                },
            )
    return PurgeResult(deleted, anchor_seq, cutoff)
