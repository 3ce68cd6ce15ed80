"""D11 共驻共建: resident units and agreements, joint meetings, paired leaders and departments (联点),
service-centre rooms and their bookings, funds ledgers, volunteers.

Every row is ``PlaceScoped`` with its community, so lianxin.core.access.restrict scopes it.
Money is integer fen (分), never float.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped


class Category(models.TextChoices):
    """六联六共: the six joint activities of a co-building agreement (D11)."""

    IDEOLOGY = "ideology", _("Ideological work done jointly: civilised citizens")
    SECURITY = "security", _("Public security jointly defended: a safe community")
    WELFARE = "welfare", _("Public welfare jointly run: community services")
    SANITATION = "sanitation", _("Sanitation jointly kept: a clean community")
    CULTURE = "culture", _("Culture and sports jointly held: civilised customs")
    PARTY = "party", _("Party building jointly done: a harmonious community")


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", _("Government body")
    ENTERPRISE = "enterprise", _("Enterprise")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    OTHER = "other", _("Other")


class ResidentUnit(PlaceScoped):
    """驻区单位: an organization located in the community."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=UnitKind.choices, default=UnitKind.ENTERPRISE)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_title = models.CharField(_("contact's post"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    party_members = models.PositiveIntegerField(_("party members"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("resident unit")
        verbose_name_plural = _("resident units")
        constraints = [models.UniqueConstraint(fields=["place", "name"], name="cobuilding_unit_unique_name")]

    def __str__(self):
        return self.name


class Agreement(PlaceScoped):
    """共建协议 between the community and one resident unit."""

    unit = models.ForeignKey(ResidentUnit, on_delete=models.PROTECT, related_name="agreements")
    title = models.CharField(_("title"), max_length=160)
    signed_on = models.DateField(_("signed on"))
    ends_on = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("co-building agreement")
        verbose_name_plural = _("co-building agreements")

    def __str__(self):
        return self.title


class Side(models.TextChoices):
    COMMUNITY = "community", _("Community")
    UNIT = "unit", _("Resident unit")


class CommitmentStatus(models.TextChoices):
    PENDING = "pending", _("Under way")
    DONE = "done", _("Fulfilled")
    MISSED = "missed", _("Not fulfilled")


class Commitment(PlaceScoped):
    """What one side undertakes in an agreement, under one of the six categories."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="commitments")
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    content = models.TextField(_("content"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=CommitmentStatus.choices, default=CommitmentStatus.PENDING
    )
    fulfilment = models.TextField(_("fulfilment"), blank=True)
    checked_on = models.DateField(_("checked on"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["agreement", "side", "category", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self):
        return f"{self.get_side_display()} · {self.get_category_display()}"


class JointMeeting(PlaceScoped):
    """联席会议 of the community and its resident units, with minutes."""

    title = models.CharField(_("title"), max_length=160)
    held_on = models.DateField(_("held on"))
    units = models.ManyToManyField(ResidentUnit, blank=True, related_name="meetings", verbose_name=_("units"))
    minutes = models.TextField(_("minutes"))
    decisions = models.TextField(_("decisions"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")

    def __str__(self):
        return self.title


# --- 联点: paired city leaders and departments ---------------------------------------------------


class PairingKind(models.TextChoices):
    LEADER = "leader", _("City leader")
    DEPARTMENT = "department", _("City department")


class Pairing(PlaceScoped):
    """A city leader or department paired with a community (联点共建)."""

    kind = models.CharField(_("kind"), max_length=10, choices=PairingKind.choices)
    name = models.CharField(_("name"), max_length=120)
    post = models.CharField(_("post"), max_length=120, blank=True)
    started_on = models.DateField(_("paired since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")

    def __str__(self):
        return self.name


class PairingVisit(PlaceScoped):
    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("visited on"))
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("pairing visit")
        verbose_name_plural = _("pairing visits")

    def __str__(self):
        return f"{self.pairing} {self.visited_on}"


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FOLLOWING = "following", _("Being followed up")
    SOLVED = "solved", _("Solved")


class Problem(PlaceScoped):
    """A problem raised during a pairing visit, and its follow-up."""

    visit = models.ForeignKey(PairingVisit, on_delete=models.PROTECT, related_name="problems")
    description = models.TextField(_("problem"))
    status = models.CharField(
        _("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    follow_up = models.TextField(_("follow-up"), blank=True)
    solved_on = models.DateField(_("solved on"), null=True, blank=True)
    # A problem may become a resident's request (lianxin.appeals), once.
    request_id = models.BigIntegerField(_("request"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ["status", "-id"]
        verbose_name = _("problem raised")
        verbose_name_plural = _("problems raised")

    def __str__(self):
        return self.description[:40]


# --- facilities ---------------------------------------------------------------------------------


class RoomKind(models.TextChoices):
    PARTY = "party", _("Party activity room")
    LIBRARY = "library", _("Library")
    GYM = "gym", _("Gym")
    SCHOOL = "school", _("Citizens' school")
    MEETING = "meeting", _("Meeting room")
    CULTURE = "culture", _("Culture and sports room")
    OTHER = "other", _("Other")


class Room(PlaceScoped):
    """A room of the community service centre, with opening hours."""

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=RoomKind.choices)
    capacity = models.PositiveIntegerField(_("capacity"), default=20)
    area = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    # ISO weekdays it is open on, e.g. "12345" for Monday to Friday.
    open_days = models.CharField(_("open days"), max_length=7, default="1234567")
    public = models.BooleanField(_("residents may book"), default=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["place_path", "name", "id"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="cobuilding_room_unique_name"),
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="cobuilding_room_hours"
            ),
        ]

    def __str__(self):
        return self.name


class BookerKind(models.TextChoices):
    STAFF = "staff", _("Community staff")
    RESIDENT = "resident", _("Resident")
    UNIT = "unit", _("Resident unit")


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")
    CANCELLED = "cancelled", _("Cancelled")


# Bookings in these states hold their slot.
HOLDING = (BookingStatus.PENDING, BookingStatus.APPROVED)


class Booking(PlaceScoped):
    """A booking of a room for a time range. Overlaps are refused while the room row is locked."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    purpose = models.CharField(_("purpose"), max_length=200)
    people = models.PositiveIntegerField(_("number of people"), default=1)
    booker_kind = models.CharField(_("booked by"), max_length=10, choices=BookerKind.choices)
    booker_name = models.CharField(_("name"), max_length=60)
    unit = models.ForeignKey(
        ResidentUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("unit"),
    )
    # A resident's phone: encrypted (lianxin.core.crypto); lists show the masked form only.
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)

    encrypted_fields = ("phone_encrypted",)  # re-encrypted by ``lianxin keys rotate``

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [models.Index(fields=["room", "starts_at"], name="cobuilding_booking_room_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")), name="cobuilding_booking_range"
            )
        ]

    def __str__(self):
        return f"{self.room} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


# --- funds --------------------------------------------------------------------------------------


class FundKind(models.TextChoices):
    OPERATING = "operating", _("Community operating fund")
    PARTY = "party", _("Party activity fund")
    HARDSHIP = "hardship", _("Hardship fund")


class Fund(PlaceScoped):
    """One fund of a community for one year, with its budget in fen."""

    kind = models.CharField(_("kind"), max_length=10, choices=FundKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    budget_fen = models.BigIntegerField(_("budget (fen)"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year", "kind", "id"]
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        constraints = [
            models.UniqueConstraint(fields=["place", "kind", "year"], name="cobuilding_fund_unique"),
            models.CheckConstraint(condition=Q(budget_fen__gte=0), name="cobuilding_fund_budget_pos"),
        ]

    def __str__(self):
        return f"{self.year} {self.get_kind_display()}"


class Direction(models.TextChoices):
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Spending")


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("In the ledger")
    REJECTED = "rejected", _("Not approved")


class LedgerEntry(PlaceScoped):
    """One line of a fund's ledger. Lines are never deleted or changed in amount: a mistake is undone
    by a reversal (a new line with the opposite amount pointing at the one it reverses)."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="entries")
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    occurred_on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=200)
    payee = models.CharField(_("payee or payer"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=EntryStatus.choices)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # A payment recorded by branch life (特困党员帮扶) taken into the hardship fund's ledger, once.
    hardship_payment = models.OneToOneField(
        "branch.HardshipPayment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_on", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(reverses__isnull=True, amount_fen__gt=0) | Q(reverses__isnull=False, amount_fen__lt=0)
                ),
                name="cobuilding_entry_sign",
            )
        ]

    def __str__(self):
        return f"{self.fund} {self.purpose} {self.amount_fen}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


def voucher_path(instance, filename):
    return f"cobuilding/{instance.entry.fund.year}/{instance.entry_id}/{instance.token}{instance.extension}"


class Voucher(models.Model):
    """A scanned receipt or invoice of a ledger line (same checks as request attachments)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="vouchers")
    token = models.CharField(max_length=32, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    file = models.FileField(upload_to=voucher_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")

    def __str__(self):
        return self.original_name


class FundPublication(PlaceScoped):
    """The funds summary last published for a community and year: the figures and the text, plus
    the board item when the disclosure board took it (lianxin.disclosure)."""

    year = models.PositiveSmallIntegerField(_("year"))
    figures = models.JSONField(_("figures"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    board_item_id = models.BigIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("funds summary")
        verbose_name_plural = _("funds summaries")
        constraints = [
            models.UniqueConstraint(fields=["place", "year"], name="cobuilding_publication_unique")
        ]

    def __str__(self):
        return self.title


# --- volunteers ---------------------------------------------------------------------------------


class Volunteer(PlaceScoped):
    """A registered volunteer; linked to the registry when they live here (最多报一次)."""

    name = models.CharField(_("name"), max_length=60)
    resident = models.ForeignKey(
        "registry.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    member = models.ForeignKey(
        "registry.PartyMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("party member"),
    )
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(member__isnull=False), name="cobuilding_volunteer_member_once"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_party_member(self) -> bool:
        return self.member_id is not None


class VolunteerActivity(PlaceScoped):
    title = models.CharField(_("title"), max_length=160)
    held_on = models.DateField(_("held on"))
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")

    def __str__(self):
        return self.title


class VolunteerHours(models.Model):
    activity = models.ForeignKey(VolunteerActivity, on_delete=models.CASCADE, related_name="hours")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="hours")
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("volunteer hours")
        verbose_name_plural = _("volunteer hours")
        constraints = [
            models.UniqueConstraint(fields=["activity", "volunteer"], name="cobuilding_hours_once"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="cobuilding_hours_pos"),
        ]

    def __str__(self):
        return f"{self.volunteer_id} {self.hours}"


class VolunteerTarget(PlaceScoped):
    """The number of party-member volunteers a community aims for in a year."""

    year = models.PositiveSmallIntegerField(_("year"))
    party_members = models.PositiveIntegerField(_("party-member volunteers wanted"))

    class Meta:
        verbose_name = _("volunteer target")
        verbose_name_plural = _("volunteer targets")
        constraints = [models.UniqueConstraint(fields=["place", "year"], name="cobuilding_target_unique")]

    def __str__(self):
        return f"{self.year} {self.party_members}"
