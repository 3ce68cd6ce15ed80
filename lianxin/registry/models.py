"""The household and people registry (户情台账, D2).

Sensitive values are stored only encrypted (lianxin.core.crypto): the ID number as ciphertext plus a
keyed hash for exact lookup and its masked form for lists; health and disability notes as
ciphertext. Nothing here holds a plaintext ID number.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped, PlaceScopedQuerySet


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class Difficulty(models.TextChoices):
    """The special-difficulty tags of D2 (老 弱 病 残 灾 孤 寡 低保 下岗失业)."""

    ELDERLY = "elderly", _("Elderly")
    INFIRM = "infirm", _("Infirm")
    ILL = "ill", _("Ill")
    DISABLED = "disabled", _("Disabled")
    DISASTER = "disaster", _("Disaster-struck")
    ALONE = "alone", _("Living alone")
    WIDOWED = "widowed", _("Widowed")
    LOW_INCOME = "low_income", _("Minimum living allowance")
    UNEMPLOYED = "unemployed", _("Laid off or unemployed")


class Household(PlaceScoped):
    """A household at an address: its place is the building; unit and room complete the address."""

    unit = models.CharField(_("unit"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20)
    head = models.ForeignKey(
        "Resident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("head")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["place_path", "unit", "room"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(fields=["place", "unit", "room"], name="registry_household_address_uniq")
        ]

    def __str__(self):
        return self.address_label()

    def address_label(self) -> str:
        unit = f"{self.unit}单元" if self.unit and not self.unit.endswith("单元") else self.unit
        room = self.room if self.room.endswith("室") else f"{self.room}室"
        return f"{self.place.name}{unit}{room}"


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Resident(PlaceScoped):
    """A person living in the community. Birth date and sex are derived from the ID number."""

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("household"),
    )
    relationship = models.CharField(
        _("relationship to the head"), max_length=12, choices=Relationship.choices, default=Relationship.OTHER
    )
    name = models.CharField(_("name"), max_length=60)
    name_pinyin = models.CharField(max_length=200, db_index=True, editable=False)
    name_initials = models.CharField(max_length=30, db_index=True, editable=False)
    id_number_enc = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    health_enc = models.TextField(blank=True, editable=False)
    disability_enc = models.TextField(blank=True, editable=False)
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    SENSITIVE_FIELDS = {"id_number": "id_number_enc", "health": "health_enc", "disability": "disability_enc"}
    encrypted_fields = tuple(SENSITIVE_FIELDS.values())

    class Meta:
        ordering = ["place_path", "name"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], name="registry_resident_id_uniq"),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relationship="head", moved_out_on__isnull=True),
                name="registry_resident_one_head_uniq",
            ),
        ]

    def __str__(self):
        return self.name


class DifficultyTag(PlaceScoped):
    """A difficulty of a household, with its cause and since when (熟知……有什么困难，是什么原因)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="difficulties")
    kind = models.CharField(_("difficulty"), max_length=12, choices=Difficulty.choices)
    cause = models.TextField(_("cause"))
    since = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("difficulty")
        verbose_name_plural = _("difficulties")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind"],
                condition=Q(ended_on__isnull=True),
                name="registry_difficulty_active_uniq",
            )
        ]

    def __str__(self):
        return self.get_kind_display()


class MemberKind(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    WITHOUT_POST = "without_post", _("Without post")
    RETIRED = "retired", _("Retired")
    UNEMPLOYED = "unemployed", _("Laid off or unemployed")
    FROM_RESTRUCTURED_FIRM = "restructured", _("From a restructured firm")
    MOBILE = "mobile", _("Mobile")
    PROBATIONARY = "probationary", _("Probationary")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    DECEASED = "deceased", _("Deceased")


class PartyMember(PlaceScoped):
    """A party member: the person (a resident) and their membership (D2)."""

    resident = models.OneToOneField(Resident, on_delete=models.PROTECT, related_name="membership")
    organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organization"),
    )
    kind = models.CharField(_("kind"), max_length=14, choices=MemberKind.choices)
    joined_on = models.DateField(_("joined on"))
    probation_ends_on = models.DateField(_("probation ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    mobile_destination = models.CharField(_("where they went"), max_length=120, blank=True)
    mobile_contact = models.CharField(_("contact while away"), max_length=60, blank=True)
    receiving_organization_name = models.CharField(_("receiving organization"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["place_path", "resident__name"]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")

    def __str__(self):
        return str(self.resident)


# --- membership transfers (组织关系接转, D2) ----------------------------------------------------


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved by the sending organization")
    ACCEPTED = "accepted", _("Accepted by the receiving organization")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_TRANSFER_STATUSES = (TransferStatus.REQUESTED, TransferStatus.APPROVED)


class MembershipTransferQuerySet(PlaceScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_TRANSFER_STATUSES)

    def past_validity(self, today):
        return self.open().filter(valid_until__lt=today)


class MembershipTransfer(PlaceScoped):
    """A member's transfer from one party organization to another (D2, 组织关系接转).

    ``place`` is the sending organization's place. The receiver is an organization in the system or,
    for a transfer out of the city, only a name. The introduction letter (介绍信) has a number unique
    within its year and a validity; a transfer still open after it expires (lianxin.registry.transfers).
    """

    member = models.ForeignKey(
        PartyMember, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("party member")
    )
    from_organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        related_name="transfers_out",
        verbose_name=_("sending organization"),
    )
    to_organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_in",
        verbose_name=_("receiving organization"),
    )
    external_organization_name = models.CharField(
        _("receiving organization outside the city"), max_length=120, blank=True
    )
    letter_year = models.PositiveSmallIntegerField(_("letter year"), editable=False)
    letter_number = models.CharField(_("letter number"), max_length=40)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"), db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=TransferStatus.choices, default=TransferStatus.REQUESTED
    )
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rejected or cancelled by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.TextField(_("reason"), blank=True)

    objects = MembershipTransferQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("membership transfer")
        verbose_name_plural = _("membership transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=["requested", "approved"]),
                name="registry_transfer_one_open_uniq",
            ),
            models.UniqueConstraint(
                fields=["letter_year", "letter_number"], name="registry_transfer_letter_uniq"
            ),
            models.CheckConstraint(
                condition=(Q(to_organization__isnull=False) & Q(external_organization_name=""))
                | (Q(to_organization__isnull=True) & ~Q(external_organization_name="")),
                name="registry_transfer_one_receiver",
            ),
        ]

    def __str__(self):
        return f"{self.letter_number} {self.member}"

    @property
    def is_external(self) -> bool:
        return self.to_organization_id is None

    def receiver_label(self) -> str:
        return str(self.to_organization) if self.to_organization_id else self.external_organization_name


class TransferEvent(models.Model):
    """One step of a transfer's history, readable by both sides (the audit log is not)."""

    transfer = models.ForeignKey(MembershipTransfer, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=12, choices=TransferStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=TransferStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("transfer event")
        verbose_name_plural = _("transfer events")

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status}"


# --- special care groups (D2: restricted, need-to-know) ---------------------------------------


class SpecialCareGroup(models.TextChoices):
    RELEASED_PRISONER = "released_prisoner", _("Released from prison or re-education")
    DRUG_REHABILITATION = "drug_rehabilitation", _("Drug user under rehabilitation")
    YOUTH_AT_RISK = "youth_at_risk", _("Youth with serious misbehaviour")
    STREET_CHILD = "street_child", _("Orphaned, disabled or street child")
    SEVERE_MENTAL_ILLNESS = "severe_mental_illness", _("Severe mental illness with risk of incidents")


class SpecialCareRecord(PlaceScoped):
    """A resident in one of the care groups. Details are stored only encrypted.

    Nobody sees these rows through a role alone: only users with a SpecialCareAssignment that covers
    the group at a place above the row (lianxin.registry.special_care), and every read is audited.
    """

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="special_care", verbose_name=_("resident")
    )
    group = models.CharField(_("group"), max_length=24, choices=SpecialCareGroup.choices)
    details_enc = models.TextField(blank=True, editable=False)
    since = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    MASK = "••••••"
    encrypted_fields = ("details_enc",)  # re-encrypted by ``lianxin keys rotate``

    class Meta:
        ordering = ["place_path", "group", "id"]
        verbose_name = _("special care record")
        verbose_name_plural = _("special care records")
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "group"],
                condition=Q(ended_on__isnull=True),
                name="registry_special_care_active_uniq",
            )
        ]

    def __str__(self):
        # Also the audit log's object label: neither the name nor the group goes there.
        return _("Special care record %(pk)s") % {"pk": self.pk}

    @property
    def details_masked(self) -> str:
        return self.MASK if self.details_enc else ""


class SpecialCareAssignment(PlaceScoped):
    """Who may see the records of one care group under ``place`` — or one record only. Ended, never deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="special_care_assignments",
        verbose_name=_("user"),
    )
    group = models.CharField(_("group"), max_length=24, choices=SpecialCareGroup.choices)
    record = models.ForeignKey(
        SpecialCareRecord,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("only this record"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )

    class Meta:
        ordering = ["place_path", "group", "id"]
        verbose_name = _("special care assignment")
        verbose_name_plural = _("special care assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group", "place"],
                condition=Q(ended_at__isnull=True, record__isnull=True),
                name="registry_special_care_assign_uniq",
            ),
            models.UniqueConstraint(
                fields=["user", "record"],
                condition=Q(ended_at__isnull=True, record__isnull=False),
                name="registry_special_care_assign_record_uniq",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_group_display()}"
