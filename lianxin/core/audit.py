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

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


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
) -> AuditEntry:
    """Append one entry. Must run inside the transaction of the write it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the write's transaction")
    if place is None and obj is not None:
        place = getattr(obj, "place", None) if hasattr(obj, "place_id") else None
        if place is None and obj._meta.label_lower == "places.place":
            place = obj
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
        prev_hash=head.hash,
    )
    entry.hash = _digest(entry)
    entry.save(force_insert=True)
    AuditHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry


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
    """Walk the chain in order; report the first row that was altered, inserted or deleted."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
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
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq > checked:
        return VerifyResult(
            False, checked, f"deleted: entries #{checked + 1}–#{head_seq} are missing", checked + 1
        )
    if head_seq < checked:
        return VerifyResult(
            False, head_seq, f"inserted: entry #{head_seq + 1} was not appended by Lianxin", head_seq + 1
        )
    if head_hash != expected_prev:
        # The last row was swapped for a self-consistent forgery: only the head still knows.
        return VerifyResult(
            False, checked - 1, f"altered: entry #{checked} does not match the chain head", checked or None
        )
    return VerifyResult(True, checked)
