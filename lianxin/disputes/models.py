"""D7: screening campaigns, the dispute register and its handling, mediators, incidents, patrols,
and care of special groups (D2).

Every row is PlaceScoped, so lianxin.core.access.restrict scopes it like the registry. A dispute's
deadline ("五个一": one leader, one team, one plan, a deadline) is counted in official working days.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core import crypto
from lianxin.core.models import PlaceScoped, PlaceScopedQuerySet, WorkingDayDeadline

User = settings.AUTH_USER_MODEL


# --- mediators (社区调解庭) ------------------------------------------------------------------------


class Mediator(PlaceScoped):
    """A member of the community mediation panel, elected by the residents' representatives."""

    name = models.CharField(_("name"), max_length=60)
    resident = models.ForeignKey(
        "registry.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    speciality = models.CharField(_("speciality"), max_length=100, blank=True)
    elected_on = models.DateField(_("elected on"))
    election_reference = models.CharField(_("election reference"), max_length=120)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["place_path", "name"]
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")), name="disputes_mediator_term_order"
            )
        ]

    def __str__(self):
        return self.name

    def in_term(self, day) -> bool:
        return self.term_start <= day <= self.term_end


# --- screening campaigns (排查) ---------------------------------------------------------------------


class ScreeningStatus(models.TextChoices):
    OPEN = "open", _("Under way")
    CLOSED = "closed", _("Closed")


class ScreeningCampaign(PlaceScoped):
    """A periodic screening of a community (or grid) for hidden disputes and risks (底数清、情况明)."""

    title = models.CharField(_("title"), max_length=120)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=8, choices=ScreeningStatus.choices, default=ScreeningStatus.OPEN
    )
    units = models.TextField(_("units to screen"), blank=True, help_text=_("One unit located here per line."))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")

    def __str__(self):
        return self.title

    @property
    def unit_list(self) -> list[str]:
        return [line.strip() for line in self.units.splitlines() if line.strip()]


class Screener(PlaceScoped):
    """A screener assigned to a part (grid or building) of a campaign's area."""

    campaign = models.ForeignKey(ScreeningCampaign, on_delete=models.CASCADE, related_name="screeners")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("screener"))

    class Meta:
        ordering = ["place_path", "pk"]
        verbose_name = _("screener")
        verbose_name_plural = _("screeners")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user", "place"], name="disputes_screener_uniq")
        ]


class CheckResult(models.TextChoices):
    CLEAR = "clear", _("Nothing found")
    FOUND = "found", _("Dispute or risk found")


class ScreeningCheck(PlaceScoped):
    """One household or unit screened in a campaign; a finding becomes a dispute without retyping."""

    campaign = models.ForeignKey(ScreeningCampaign, on_delete=models.CASCADE, related_name="checks")
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    unit_name = models.CharField(_("unit"), max_length=120, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=CheckResult.choices)
    finding = models.TextField(_("finding"), blank=True)
    checked_on = models.DateField(_("checked on"))
    checked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-checked_on", "-pk"]
        verbose_name = _("screening check")
        verbose_name_plural = _("screening checks")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "household"],
                condition=Q(household__isnull=False),
                name="disputes_check_household_uniq",
            ),
            models.UniqueConstraint(
                fields=["campaign", "unit_name"],
                condition=Q(household__isnull=True),
                name="disputes_check_unit_uniq",
            ),
            models.CheckConstraint(
                condition=Q(household__isnull=False) | ~Q(unit_name=""), name="disputes_check_has_subject"
            ),
        ]


# --- the dispute register ----------------------------------------------------------------------------


class DisputeType(models.TextChoices):
    NEIGHBOUR = "neighbour", _("Neighbours")
    CONTRACT = "contract", _("Contract")
    WAGES = "wages", _("Unpaid wages")
    DEMOLITION = "demolition", _("Demolition and relocation")
    POLLUTION = "pollution", _("Pollution")
    PROPERTY = "property", _("Property management")
    TRAFFIC = "traffic", _("Traffic accident")
    LITIGATION = "litigation", _("Litigation and petitions")
    FAMILY = "family", _("Family and marriage")
    OTHER = "other", _("Other")


class Risk(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")


class Source(models.TextChoices):
    SCREENING = "screening", _("Screening")
    REQUEST = "request", _("Resident's request")
    VISIT = "visit", _("Household visit")
    POLICE = "police", _("Police referral")
    DIRECT = "direct", _("Reported by a party")


class Level(models.TextChoices):
    COMMUNITY = "community", _("Community")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    DISTRICT = "district", _("District")


LEVEL_ORDER = [Level.COMMUNITY, Level.SUBDISTRICT, Level.DISTRICT]


class Mode(models.TextChoices):
    DESK = "desk", _("Desk (坐诊)")
    ON_SITE = "on_site", _("On site (出诊)")
    EMERGENCY = "emergency", _("Emergency (急诊)")
    JOINT = "joint", _("Joint consultation (会诊)")


class MediationType(models.TextChoices):
    PEOPLE = "people", _("People's mediation")
    JUDICIAL = "judicial", _("Judicial mediation")
    ADMINISTRATIVE = "administrative", _("Administrative mediation")


class DisputeStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    HANDLING = "handling", _("Being handled")
    AGREEMENT = "agreement", _("Settled by agreement")
    COURT = "court", _("Referred to court")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (DisputeStatus.REGISTERED, DisputeStatus.HANDLING)
CLOSED_STATUSES = (DisputeStatus.AGREEMENT, DisputeStatus.COURT, DisputeStatus.WITHDRAWN)


class DisputeQuerySet(PlaceScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self):
        return self.filter(status__in=CLOSED_STATUSES)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


def agreement_path(instance, filename):
    return f"disputes/{instance.reported_on.year}/{instance.pk}/agreement-{instance.agreement_token}{instance.agreement_extension}"


class Dispute(PlaceScoped, WorkingDayDeadline):
    """A dispute in the register, handled by one leader with a team and a plan until closed (五个一).

    ``level`` is where it is handled now; ``max_level`` the highest level it ever reached, which is
    what "小事不出区、大事不出街、矛盾不上交" is measured by. The deadline (``due_on``) is in working days.
    """

    dispute_type = models.CharField(_("type"), max_length=12, choices=DisputeType.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    location = models.CharField(_("where"), max_length=120, blank=True)
    risk = models.CharField(_("risk level"), max_length=8, choices=Risk.choices, default=Risk.LOW)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_check = models.OneToOneField(
        ScreeningCheck, on_delete=models.PROTECT, null=True, blank=True, related_name="dispute"
    )
    source_request = models.ForeignKey(
        "appeals.Request", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    police_reference = models.CharField(_("police referral number"), max_length=60, blank=True)
    reported_on = models.DateField(_("reported on"), db_index=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DisputeStatus.choices,
        default=DisputeStatus.REGISTERED,
        db_index=True,
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, default=Level.COMMUNITY)
    max_level = models.CharField(
        _("highest level reached"), max_length=12, choices=Level.choices, default=Level.COMMUNITY
    )
    mode = models.CharField(_("handling mode"), max_length=10, choices=Mode.choices, blank=True)
    mediation_type = models.CharField(
        _("mediation type"), max_length=16, choices=MediationType.choices, blank=True
    )
    leader = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("leader")
    )
    team = models.ManyToManyField(User, blank=True, related_name="+", verbose_name=_("team"))
    mediators = models.ManyToManyField(
        Mediator, blank=True, related_name="disputes", verbose_name=_("mediators")
    )
    plan = models.TextField(_("plan"), blank=True)
    outcome_note = models.TextField(_("outcome"), blank=True)
    agreement_file = models.FileField(upload_to=agreement_path, max_length=200, blank=True)
    agreement_token = models.CharField(max_length=32, blank=True, editable=False)
    agreement_extension = models.CharField(max_length=8, blank=True, editable=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_level = models.CharField(_("closed at level"), max_length=12, choices=Level.choices, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_on", "-pk"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [models.Index(fields=["status", "place_path"], name="disputes_status_path")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["agreement", "court", "withdrawn"]) | Q(closed_on__isnull=False),
                name="disputes_closed_has_date",
            )
        ]

    def __str__(self):
        return _("Dispute %(number)s") % {"number": self.number}

    @property
    def number(self) -> str:
        return f"JF{self.reported_on:%Y}{self.pk or 0:05d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def has_five(self) -> bool:
        """The "五个一" are in place: a leader, a team, a plan and a deadline."""
        return bool(self.leader_id and self.plan and self.due_on)


class PartySide(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    OTHER = "other", _("Other party")


class DisputeParty(models.Model):
    """A party: a resident from the registry, or an outsider by name and phone."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(_("side"), max_length=12, choices=PartySide.choices, default=PartySide.APPLICANT)
    resident = models.ForeignKey(
        "registry.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    name = models.CharField(_("name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | ~Q(name=""), name="disputes_party_named"
            )
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.resident.name if self.resident_id else self.name

    @property
    def is_outsider(self) -> bool:
        return self.resident_id is None


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    HANDLING = "handling", _("Handling arranged")
    ESCALATED = "escalated", _("Escalated")
    HANDED_BACK = "handed_back", _("Handed back")
    CLOSED = "closed", _("Closed")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    NOTE = "note", _("Note")


class DisputeEvent(models.Model):
    """The dispute's history: who did what, when, and why."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    from_level = models.CharField(max_length=12, choices=Level.choices, blank=True)
    to_level = models.CharField(max_length=12, choices=Level.choices, blank=True)
    text = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("dispute event")
        verbose_name_plural = _("dispute events")

    def __str__(self):
        return f"{self.dispute_id} {self.kind}"


class FollowUp(models.Model):
    """A return visit after an agreement: is it being kept?"""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="follow_ups")
    visited_on = models.DateField(_("visited on"))
    visitor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kept = models.BooleanField(_("agreement kept"), default=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["visited_on", "pk"]
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")

    def __str__(self):
        return f"{self.dispute_id} {self.visited_on}"


# --- incidents (突发事件) ----------------------------------------------------------------------------


class IncidentType(models.TextChoices):
    DEMOLITION = "demolition", _("Demolition and relocation")
    POLLUTION = "pollution", _("Pollution")
    WAGES = "wages", _("Unpaid wages")
    LITIGATION = "litigation", _("Litigation and petitions")
    PROPERTY = "property", _("Property management")
    TRAFFIC = "traffic", _("Traffic accident")
    MASS = "mass", _("Mass incident")
    FIRE = "fire", _("Fire")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    GENERAL = "general", _("General (IV)")
    LARGE = "large", _("Large (III)")
    MAJOR = "major", _("Major (II)")
    CRITICAL = "critical", _("Critical (I)")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Being handled")
    CLOSED = "closed", _("Closed")


class Incident(PlaceScoped):
    """An incident reported from the scene; superiors are told at once."""

    incident_type = models.CharField(_("type"), max_length=12, choices=IncidentType.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    location = models.CharField(_("where exactly"), max_length=120, blank=True)
    people_affected = models.PositiveIntegerField(_("people affected"), default=0)
    description = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("occurred at"))
    status = models.CharField(
        _("status"), max_length=8, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    reported_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    idempotency_key = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self):
        return _("Incident %(pk)s") % {"pk": self.pk}


def incident_photo_path(instance, filename):
    return f"incidents/{instance.incident_id}/{instance.token}{instance.extension}"


class IncidentPhoto(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="photos")
    token = models.CharField(max_length=32, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    file = models.FileField(upload_to=incident_photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("incident photo")
        verbose_name_plural = _("incident photos")

    def __str__(self):
        return f"{self.incident_id}/{self.pk}"


class IncidentLog(models.Model):
    """The response log: what was done, by whom, when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("what was done"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("response log entry")
        verbose_name_plural = _("response log entries")

    def __str__(self):
        return f"{self.incident_id} {self.at:%Y-%m-%d %H:%M}"


class IncidentPlan(PlaceScoped):
    """A prepared plan (预案) for one type of incident, kept at a community or above."""

    incident_type = models.CharField(_("type"), max_length=12, choices=IncidentType.choices)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("steps"))
    updated_on = models.DateField(_("updated on"), default=timezone.localdate)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["incident_type", "place_path"]
        verbose_name = _("prepared plan")
        verbose_name_plural = _("prepared plans")

    def __str__(self):
        return self.title


# --- patrols (群防群治) -----------------------------------------------------------------------------


class TeamKind(models.TextChoices):
    PATROL = "patrol", _("Volunteer patrol team")
    BUILDING = "building", _("Building safety officers")
    FIRE = "fire", _("Fire-safety group")


class PatrolTeam(PlaceScoped):
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=TeamKind.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["place_path", "kind", "name"]
        verbose_name = _("patrol team")
        verbose_name_plural = _("patrol teams")

    def __str__(self):
        return self.name


class PatrolMember(models.Model):
    team = models.ForeignKey(PatrolTeam, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building looked after"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["team", "name"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self):
        return self.name


class PatrolZone(PlaceScoped):
    """A responsibility zone patrolled around the clock by one team."""

    team = models.ForeignKey(PatrolTeam, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("route"), max_length=200, blank=True)

    class Meta:
        ordering = ["place_path", "name"]
        verbose_name = _("patrol zone")
        verbose_name_plural = _("patrol zones")

    def __str__(self):
        return self.name


class PatrolShift(PlaceScoped):
    """A shift of the 24-hour rota of one zone on one day: hours [start_hour, end_hour)."""

    zone = models.ForeignKey(PatrolZone, on_delete=models.CASCADE, related_name="shifts")
    day = models.DateField(_("day"), db_index=True)
    start_hour = models.PositiveSmallIntegerField(_("from hour"))
    end_hour = models.PositiveSmallIntegerField(_("to hour"))
    members = models.ManyToManyField(
        PatrolMember, blank=True, related_name="shifts", verbose_name=_("on duty")
    )

    class Meta:
        ordering = ["day", "start_hour"]
        verbose_name = _("patrol shift")
        verbose_name_plural = _("patrol shifts")
        constraints = [
            models.CheckConstraint(
                condition=Q(start_hour__lt=models.F("end_hour")) & Q(end_hour__lte=24),
                name="disputes_shift_hours",
            ),
            models.UniqueConstraint(fields=["zone", "day", "start_hour"], name="disputes_shift_uniq"),
        ]

    def __str__(self):
        return f"{self.zone} {self.day} {self.start_hour:02d}:00–{self.end_hour:02d}:00"


class PatrolLog(PlaceScoped):
    zone = models.ForeignKey(PatrolZone, on_delete=models.CASCADE, related_name="logs")
    patrolled_on = models.DateField(_("patrolled on"))
    start_hour = models.PositiveSmallIntegerField(_("from hour"))
    end_hour = models.PositiveSmallIntegerField(_("to hour"))
    patrollers = models.CharField(_("patrollers"), max_length=200)
    findings = models.TextField(_("findings"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-patrolled_on", "-start_hour"]
        verbose_name = _("patrol log")
        verbose_name_plural = _("patrol logs")


# --- care of special groups (帮教) ------------------------------------------------------------------


class CarePlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class CarePlan(PlaceScoped):
    """A help group (帮教小组) and its plan for one special care record. Need-to-know: visible only
    through the registry's special-care assignments (lianxin.registry.special_care), every read audited."""

    record = models.ForeignKey(
        "registry.SpecialCareRecord",
        on_delete=models.PROTECT,
        related_name="care_plans",
        verbose_name=_("record"),
    )
    leader = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("group leader")
    )
    helpers = models.ManyToManyField(User, blank=True, related_name="+", verbose_name=_("helpers"))
    helpers_outside = models.CharField(
        _("other helpers"), max_length=200, blank=True, help_text=_("Police officer, relatives, volunteers.")
    )
    # About a person in a special group: encrypted at rest like the special-care details.
    goals_enc = models.TextField(_("goals"), editable=False)
    measures_enc = models.TextField(_("measures"), editable=False)
    goals = crypto.encrypted_text("goals_enc")
    measures = crypto.encrypted_text("measures_enc")
    encrypted_fields = ("goals_enc", "measures_enc")
    contact_every_days = models.PositiveSmallIntegerField(_("contact every (days)"), default=30)
    status = models.CharField(
        _("status"), max_length=8, choices=CarePlanStatus.choices, default=CarePlanStatus.ACTIVE
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["place_path", "pk"]
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=Q(status="active"), name="disputes_care_plan_active_uniq"
            )
        ]

    def __str__(self):
        # Also the audit log's label: no name, no group.
        return _("Care plan %(pk)s") % {"pk": self.pk}


class ContactMethod(models.TextChoices):
    VISIT = "visit", _("Home visit")
    PHONE = "phone", _("Phone call")
    TALK = "talk", _("Talk at the office")


class CareContact(models.Model):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="contacts")
    contacted_on = models.DateField(_("contacted on"))
    method = models.CharField(_("how"), max_length=8, choices=ContactMethod.choices)
    note_enc = models.TextField(_("note"), blank=True, editable=False)
    note = crypto.encrypted_text("note_enc")
    encrypted_fields = ("note_enc",)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-contacted_on", "-pk"]
        verbose_name = _("care contact")
        verbose_name_plural = _("care contacts")

    def __str__(self):
        return f"{self.plan_id} {self.contacted_on}"
