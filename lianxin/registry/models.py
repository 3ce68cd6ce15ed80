"""The household and people registry (户情台账, D2).

Sensitive values are stored only encrypted (lianxin.core.crypto): the ID number as ciphertext plus a
keyed hash for exact lookup and its masked form for lists; health and disability notes as
ciphertext. Nothing here holds a plaintext ID number.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped


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
