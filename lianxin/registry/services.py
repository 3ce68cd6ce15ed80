"""Writes to the registry (D2). Each: check access → validate → write → audit, in one transaction.

The same services serve the pages, the API and the spreadsheet importer.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit, crypto, idcard, pinyin
from lianxin.core.access import Action
from lianxin.places.models import PartyOrganization, Place, PlaceKind

from .models import (
    Difficulty,
    DifficultyTag,
    Household,
    MemberKind,
    MemberStatus,
    PartyMember,
    Relationship,
    Resident,
)

RESIDENT_FIELDS = [
    "name",
    "id_number_masked",
    "birth_date",
    "sex",
    "phone",
    "household",
    "relationship",
    "moved_out_on",
]
HOUSEHOLD_FIELDS = ["place", "unit", "room", "head", "notes"]
MEMBER_FIELDS = [
    "organization",
    "kind",
    "joined_on",
    "probation_ends_on",
    "status",
    "mobile_destination",
    "mobile_contact",
    "receiving_organization_name",
]


def pinyin_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a Chinese name: 张三 → ("zhangsan", "zs")."""
    return pinyin.keys(name)


def id_lookup_hash(number: str) -> str:
    return crypto.lookup_hash(idcard.normalize(number))


def _check_phone(phone: str) -> str:
    phone = idcard.normalize(phone or "").replace("-", "").replace(" ", "")
    if phone and (not phone.isdigit() or not 7 <= len(phone) <= 12):
        raise ValidationError({"phone": _("The phone number must be 7 to 12 digits.")})
    return phone


def _building(place: Place) -> Place:
    if place.kind != PlaceKind.BUILDING:
        raise ValidationError({"place": _("A household's address must be a building.")})
    return place


@transaction.atomic
def household_create(*, actor, place: Place, room: str, unit: str = "", notes: str = "") -> Household:
    """Register a household at building/unit/room; the address is unique."""
    place = Place.objects.get(pk=place.pk)
    access.require(actor, Action.MANAGE_PEOPLE, place)
    _building(place)
    room, unit = idcard.normalize(room).strip(), idcard.normalize(unit).strip()
    if not room:
        raise ValidationError({"room": _("Please enter the room.")})
    household = Household(place=place, unit=unit, room=room, notes=notes.strip())
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError:
        raise ValidationError({"room": _("A household is already registered at this address.")}) from None
    audit.record(
        actor=actor,
        action="household.create",
        obj=household,
        after=audit.snapshot(household, HOUSEHOLD_FIELDS),
    )
    return household


@transaction.atomic
def household_update(
    *, actor, household: Household, notes: str | None = None, head: Resident | None = None
) -> Household:
    household = Household.objects.select_for_update().get(pk=household.pk)
    access.require(actor, Action.MANAGE_PEOPLE, household.place_path)
    before = audit.snapshot(household, HOUSEHOLD_FIELDS)
    if notes is not None:
        household.notes = notes.strip()
    if head is not None:
        if head.household_id != household.pk:
            raise ValidationError({"head": _("The head must be a member of the household.")})
        Resident.objects.filter(household=household, relationship=Relationship.HEAD).exclude(
            pk=head.pk
        ).update(relationship=Relationship.OTHER)
        Resident.objects.filter(pk=head.pk).update(relationship=Relationship.HEAD)
        household.head = head
    household.updated_at = timezone.now()
    household.save()
    old, new = audit.changes(before, audit.snapshot(household, HOUSEHOLD_FIELDS))
    if new:
        audit.record(actor=actor, action="household.update", obj=household, before=old, after=new)
    return household


def _resident_values(*, name: str, id_number: str, phone: str, today: dt.date | None) -> dict:
    errors = {}
    name = " ".join(idcard.normalize(name).split()) if name else ""
    if not name:
        errors["name"] = _("Please enter the name.")
    try:
        number = idcard.validate(id_number, today=today)
    except ValidationError as exc:
        errors["id_number"] = exc.messages
        number = ""
    try:
        phone = _check_phone(phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return {"name": name, "number": number, "phone": phone}


@transaction.atomic
def resident_create(
    *,
    actor,
    name: str,
    id_number: str,
    household: Household | None = None,
    place: Place | None = None,
    relationship: str = Relationship.OTHER,
    phone: str = "",
    health: str = "",
    disability: str = "",
) -> Resident:
    """Register a resident. The ID number is validated (GB 11643), stored encrypted with a keyed
    hash for lookup; birth date and sex come from it. One person, one row: a known ID is refused."""
    if household is not None:
        household = Household.objects.select_related("place").get(pk=household.pk)
        place = household.place
    if place is None:
        raise ValidationError({"household": _("Choose the household or at least the place.")})
    access.require(actor, Action.MANAGE_PEOPLE, place)
    values = _resident_values(name=name, id_number=id_number, phone=phone, today=timezone.localdate())
    if relationship not in Relationship.values:
        raise ValidationError({"relationship": _("Choose the relationship to the head.")})
    number = values["number"]
    pinyin, initials = pinyin_keys(values["name"])
    resident = Resident(
        household=household,
        place=place,
        relationship=relationship if household else Relationship.OTHER,
        name=values["name"],
        name_pinyin=pinyin,
        name_initials=initials,
        id_number_enc=crypto.encrypt(number),
        id_number_hash=id_lookup_hash(number),
        id_number_masked=idcard.mask(number),
        birth_date=idcard.birth_date(number),
        sex=idcard.sex(number),
        phone=values["phone"],
        health_enc=crypto.encrypt(health.strip()),
        disability_enc=crypto.encrypt(disability.strip()),
    )
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        if "head" in str(exc).lower():
            raise ValidationError({"relationship": _("This household already has a head.")}) from None
        raise ValidationError(
            {"id_number": _("A resident with this ID number is already registered.")}
        ) from None
    if resident.relationship == Relationship.HEAD:
        Household.objects.filter(pk=household.pk).update(head=resident)
    audit.record(
        actor=actor, action="resident.create", obj=resident, after=audit.snapshot(resident, RESIDENT_FIELDS)
    )
    return resident


@transaction.atomic
def resident_update(*, actor, resident: Resident, **fields) -> Resident:
    """Change name, phone, household, relationship, health or disability notes, or the move-out date.
    The ID number is changed only by ``resident_correct_id_number`` (it re-derives birth date and sex)."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    access.require(actor, Action.MANAGE_PEOPLE, resident.place_path)
    before = audit.snapshot(resident, RESIDENT_FIELDS)
    if "name" in fields:
        name = " ".join(idcard.normalize(fields["name"] or "").split())
        if not name:
            raise ValidationError({"name": _("Please enter the name.")})
        resident.name = name
        resident.name_pinyin, resident.name_initials = pinyin_keys(name)
    if "phone" in fields:
        resident.phone = _check_phone(fields["phone"])
    if "household" in fields and fields["household"] is not None:
        household = Household.objects.get(pk=fields["household"].pk)
        access.require(actor, Action.MANAGE_PEOPLE, household.place_path)
        resident.household, resident.place = household, household.place
    if "relationship" in fields:
        if fields["relationship"] not in Relationship.values:
            raise ValidationError({"relationship": _("Choose the relationship to the head.")})
        resident.relationship = fields["relationship"]
    if "moved_out_on" in fields:
        resident.moved_out_on = fields["moved_out_on"]
    sensitive_changed = []
    for key in ("health", "disability"):
        if key in fields:
            setattr(resident, f"{key}_enc", crypto.encrypt((fields[key] or "").strip()))
            sensitive_changed.append(key)
    resident.updated_at = timezone.now()
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:
        raise ValidationError({"relationship": _("This household already has a head.")}) from None
    old, new = audit.changes(before, audit.snapshot(resident, RESIDENT_FIELDS))
    if sensitive_changed:  # the values stay out of the log; that they changed goes in
        new["sensitive_fields_changed"] = sensitive_changed
    if new:
        audit.record(actor=actor, action="resident.update", obj=resident, before=old, after=new)
    return resident


def resident_reveal(*, actor, resident: Resident, field: str, reason: str) -> str:
    """The clear value of a sensitive field, for someone allowed to see it, with a reason; audited."""
    if field not in Resident.SENSITIVE_FIELDS:
        raise ValidationError({"field": _("Unknown field.")})
    access.require(actor, Action.REVEAL_SENSITIVE, resident.place_path)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason for viewing this.")})
    with transaction.atomic():
        audit.record_reveal(actor=actor, obj=resident, field=field, reason=reason)
    return crypto.decrypt(getattr(resident, Resident.SENSITIVE_FIELDS[field]))


@transaction.atomic
def difficulty_add(
    *, actor, household: Household, kind: str, cause: str, since: dt.date | None = None
) -> DifficultyTag:
    access.require(actor, Action.MANAGE_PEOPLE, household.place_path)
    errors = {}
    if kind not in Difficulty.values:
        errors["kind"] = _("Choose a difficulty.")
    if not (cause or "").strip():
        errors["cause"] = _("Please state the cause.")
    if since and since > timezone.localdate():
        errors["since"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    tag = DifficultyTag(
        household=household, place_id=household.place_id, kind=kind, cause=cause.strip(), since=since
    )
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        raise ValidationError({"kind": _("This household already has this difficulty recorded.")}) from None
    audit.record(
        actor=actor,
        action="difficulty.add",
        obj=tag,
        after={"household": household.pk, "kind": kind, "cause": tag.cause, "since": since},
    )
    return tag


@transaction.atomic
def difficulty_end(*, actor, tag: DifficultyTag, ended_on: dt.date, reason: str) -> DifficultyTag:
    access.require(actor, Action.MANAGE_PEOPLE, tag.place_path)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give a reason.")})
    if not DifficultyTag.objects.filter(pk=tag.pk, ended_on__isnull=True).update(ended_on=ended_on):
        raise ValidationError(_("This difficulty was already ended."))
    tag.refresh_from_db()
    audit.record(
        actor=actor,
        action="difficulty.end",
        obj=tag,
        before={"ended_on": None},
        after={"ended_on": ended_on},
        reason=reason.strip(),
    )
    return tag


def _member_errors(kind, joined_on, probation_ends_on, organization) -> dict:
    errors = {}
    if kind not in MemberKind.values:
        errors["kind"] = _("Choose the kind of member.")
    if joined_on is None:
        errors["joined_on"] = _("Please enter the date of joining.")
    elif joined_on > timezone.localdate():
        errors["joined_on"] = _("The date of joining cannot be in the future.")
    if kind == MemberKind.PROBATIONARY and probation_ends_on is None:
        errors["probation_ends_on"] = _("A probationary member needs the date the probation ends.")
    if probation_ends_on and joined_on and probation_ends_on < joined_on:
        errors["probation_ends_on"] = _("Probation cannot end before the member joined.")
    if organization is not None and organization.dissolved_on:
        errors["organization"] = _("This organization has been dissolved.")
    return errors


@transaction.atomic
def member_create(
    *,
    actor,
    resident: Resident,
    organization: PartyOrganization,
    kind: str,
    joined_on: dt.date,
    probation_ends_on: dt.date | None = None,
    mobile_destination: str = "",
    mobile_contact: str = "",
    receiving_organization_name: str = "",
) -> PartyMember:
    """Record a resident as a party member of ``organization`` (D2)."""
    access.require(actor, Action.MANAGE_MEMBERS, organization.place_path)
    access.require(actor, Action.VIEW_PEOPLE, resident.place_path)
    errors = _member_errors(kind, joined_on, probation_ends_on, organization)
    if kind == MemberKind.MOBILE and not mobile_destination.strip():
        errors["mobile_destination"] = _("For a mobile member, please say where they went.")
    if errors:
        raise ValidationError(errors)
    member = PartyMember(
        resident=resident,
        organization=organization,
        place_id=organization.place_id,
        kind=kind,
        joined_on=joined_on,
        probation_ends_on=probation_ends_on,
        mobile_destination=mobile_destination.strip(),
        mobile_contact=mobile_contact.strip(),
        receiving_organization_name=receiving_organization_name.strip(),
    )
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise ValidationError({"resident": _("This person is already recorded as a party member.")}) from None
    audit.record(actor=actor, action="member.create", obj=member, after=audit.snapshot(member, MEMBER_FIELDS))
    return member


@transaction.atomic
def member_update(*, actor, member: PartyMember, **fields) -> PartyMember:
    """Change kind, dates, status or mobile details. Moving to another organization is a transfer."""
    member = PartyMember.objects.select_for_update().get(pk=member.pk)
    access.require(actor, Action.MANAGE_MEMBERS, member.place_path)
    before = audit.snapshot(member, MEMBER_FIELDS)
    for key in (
        "kind",
        "joined_on",
        "probation_ends_on",
        "status",
        "mobile_destination",
        "mobile_contact",
        "receiving_organization_name",
    ):
        if key in fields:
            value = fields[key]
            setattr(member, key, value.strip() if isinstance(value, str) else value)
    errors = _member_errors(member.kind, member.joined_on, member.probation_ends_on, None)
    if member.status not in MemberStatus.values:
        errors["status"] = _("Choose a status.")
    if member.kind == MemberKind.MOBILE and not member.mobile_destination:
        errors["mobile_destination"] = _("For a mobile member, please say where they went.")
    if errors:
        raise ValidationError(errors)
    member.updated_at = timezone.now()
    member.save()
    old, new = audit.changes(before, audit.snapshot(member, MEMBER_FIELDS))
    if new:
        audit.record(actor=actor, action="member.update", obj=member, before=old, after=new)
    return member
