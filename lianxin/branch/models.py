"""Branch life (组织生活, D3): meetings and their compliance, the five must-visit occasions (五个必访),
recruitment (发展党员), and the link between a party member's account and their registry record."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped, PlaceScopedQuerySet, WorkingDayDeadline


class PeriodLength(models.IntegerChoices):
    """How often a meeting type is due, as the number of months in one period."""

    MONTH = 1, _("Monthly")
    QUARTER = 3, _("Quarterly")
    HALF_YEAR = 6, _("Every half year")
    YEAR = 12, _("Yearly")


class MeetingType(models.Model):
    """A kind of meeting and how often it is due (三会一课, D3). Seeded with the source's defaults by a
    data migration; administrators change frequencies per deployment in the back office."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    period_months = models.PositiveSmallIntegerField(
        _("due every"), choices=PeriodLength.choices, default=PeriodLength.MONTH
    )
    times_per_period = models.PositiveSmallIntegerField(_("times per period"), default=1)
    org_kinds = models.JSONField(
        _("organization kinds"),
        default=list,
        help_text=_("The kinds of party organization that must hold this meeting (committee, branch …)."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("counted for compliance"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("meeting type")
        verbose_name_plural = _("meeting types")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_months__in=[1, 3, 6, 12]), name="branch_meetingtype_period_valid"
            ),
            models.CheckConstraint(condition=Q(times_per_period__gte=1), name="branch_meetingtype_times_pos"),
        ]

    def __str__(self):
        return self.name


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingQuerySet(PlaceScopedQuerySet):
    def held(self):
        return self.filter(status=MeetingStatus.HELD)


class Meeting(PlaceScoped):
    """One meeting of a party organization: planned, then recorded when held (D3).

    A meeting recorded more than ``late_entry_days()`` after it was held carries the reason and is
    marked as late-entered: nothing is back-filled silently.
    """

    organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("organization"),
    )
    meeting_type = models.ForeignKey(
        MeetingType, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("meeting type")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    topic = models.CharField(_("topic"), max_length=200)
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    location = models.CharField(_("place"), max_length=120, blank=True)
    chair = models.CharField(_("chair"), max_length=60, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    late_entry = models.BooleanField(_("entered late"), default=False)
    late_reason = models.TextField(_("reason for late entry"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-planned_on", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            models.Index(fields=["organization", "status", "held_on"], name="branch_meeting_org_held_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="held") | Q(held_on__isnull=False), name="branch_meeting_held_has_date"
            ),
            models.CheckConstraint(
                condition=Q(late_entry=False) | ~Q(late_reason=""), name="branch_meeting_late_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.meeting_type} · {self.topic}"

    @property
    def date(self):
        return self.held_on or self.planned_on


class Attendance(models.Model):
    """Whether one member attended one held meeting, and why not."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "registry.PartyMember", on_delete=models.PROTECT, related_name="attendance", verbose_name=_("member")
    )
    present = models.BooleanField(_("present"))
    absence_reason = models.CharField(_("reason for absence"), max_length=200, blank=True)

    class Meta:
        ordering = ["meeting", "member"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="branch_attendance_uniq"),
        ]

    def __str__(self):
        return f"{self.member} · {self.meeting}"


def attachment_path(instance, filename):
    return f"branch/meetings/{instance.meeting_id}/{filename}"


class MeetingAttachment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("name"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name


# --- 五个必访: the five occasions when a member must be visited ---------------------------------


class VisitCause(models.TextChoices):
    ILL = "ill", _("Ill")
    DIFFICULTY = "difficulty", _("In difficulty")
    ABSENT = "absent", _("Absent from activities")
    CRITICISED = "criticised", _("Criticised by residents")
    DECEASED = "deceased", _("Deceased")


class VisitTaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Visited")
    CANCELLED = "cancelled", _("Cancelled")


class VisitTaskQuerySet(PlaceScopedQuerySet):
    def open(self):
        return self.filter(status=VisitTaskStatus.OPEN)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


class VisitTask(PlaceScoped, WorkingDayDeadline):
    """A visit the branch owes a member (五个必访), due in working days. At most one open task per
    member and cause; every occasion that calls for it is kept as a VisitTrigger."""

    member = models.ForeignKey(
        "registry.PartyMember", on_delete=models.PROTECT, related_name="visit_tasks", verbose_name=_("member")
    )
    cause = models.CharField(_("cause"), max_length=12, choices=VisitCause.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=VisitTaskStatus.choices, default=VisitTaskStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branch_visit_tasks",
        verbose_name=_("owner"),
    )
    note = models.TextField(_("note"), blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    todo = models.ForeignKey(
        "core.Todo", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    objects = VisitTaskQuerySet.as_manager()

    class Meta:
        ordering = ["status", "due_on", "id"]
        verbose_name = _("visit task")
        verbose_name_plural = _("visit tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "cause"], condition=Q(status="open"), name="branch_visittask_one_open_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_cause_display()}"


class VisitTrigger(models.Model):
    """One occasion that called for a visit: a difficulty record, a run of absences, a residents'
    request … A source (kind + id) triggers at most once, so a sweep run twice opens nothing new."""

    task = models.ForeignKey(VisitTask, on_delete=models.CASCADE, related_name="triggers")
    member = models.ForeignKey("registry.PartyMember", on_delete=models.PROTECT, related_name="+")
    cause = models.CharField(_("cause"), max_length=12, choices=VisitCause.choices)
    source_kind = models.CharField(_("source"), max_length=40, blank=True)
    source_id = models.CharField(_("source id"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("visit trigger")
        verbose_name_plural = _("visit triggers")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "cause", "source_kind", "source_id"],
                condition=~Q(source_id=""),
                name="branch_visittrigger_source_uniq",
            ),
        ]

    def __str__(self):
        return f"{self.cause} {self.source_kind}:{self.source_id}"


class VisitRecord(models.Model):
    """What the visit found; a task is closed only with one."""

    task = models.OneToOneField(VisitTask, on_delete=models.PROTECT, related_name="record")
    visited_on = models.DateField(_("visited on"))
    visitors = models.CharField(_("visited by"), max_length=200)
    findings = models.TextField(_("what we found"))
    follow_up = models.TextField(_("follow-up"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")

    def __str__(self):
        return f"{self.task} · {self.visited_on}"


# --- 发展党员: recruitment ----------------------------------------------------------------------


class RecruitStage(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    ACTIVIST = "activist", _("Activist")
    TARGET = "target", _("Development target")
    PROBATIONARY = "probationary", _("Probationary member")
    FULL = "full", _("Full member")
    STOPPED = "stopped", _("Stopped")


RECRUIT_ORDER = [
    RecruitStage.APPLICANT,
    RecruitStage.ACTIVIST,
    RecruitStage.TARGET,
    RecruitStage.PROBATIONARY,
    RecruitStage.FULL,
]


class Recruit(PlaceScoped):
    """A person on the way to membership: applicant → activist → development target → probationary
    → full member, with the date each stage began (D3, 发展党员)."""

    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, related_name="recruitments", verbose_name=_("person")
    )
    organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        related_name="recruits",
        verbose_name=_("branch"),
    )
    stage = models.CharField(
        _("stage"), max_length=14, choices=RecruitStage.choices, default=RecruitStage.APPLICANT
    )
    applied_on = models.DateField(_("applied on"))
    activist_on = models.DateField(_("activist since"), null=True, blank=True)
    target_on = models.DateField(_("development target since"), null=True, blank=True)
    probationary_on = models.DateField(_("probationary member since"), null=True, blank=True)
    full_on = models.DateField(_("full member since"), null=True, blank=True)
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    stop_reason = models.TextField(_("reason for stopping"), blank=True)
    member = models.OneToOneField(
        "registry.PartyMember", on_delete=models.PROTECT, null=True, blank=True, related_name="recruitment"
    )
    documents = models.JSONField(_("documents received"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["place_path", "applied_on", "id"]
        verbose_name = _("recruit")
        verbose_name_plural = _("recruits")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=~Q(stage__in=["full", "stopped"]),
                name="branch_recruit_one_active_uniq",
            ),
        ]

    def __str__(self):
        return f"{self.resident} · {self.get_stage_display()}"

    def stage_started_on(self, stage: str | None = None):
        stage = stage or self.stage
        return {
            RecruitStage.APPLICANT: self.applied_on,
            RecruitStage.ACTIVIST: self.activist_on,
            RecruitStage.TARGET: self.target_on,
            RecruitStage.PROBATIONARY: self.probationary_on,
            RecruitStage.FULL: self.full_on,
            RecruitStage.STOPPED: self.stopped_on,
        }[stage]


class RecruitEvent(models.Model):
    """One step of a recruit's path, readable on the recruit's page."""

    recruit = models.ForeignKey(Recruit, on_delete=models.CASCADE, related_name="events")
    from_stage = models.CharField(max_length=14, choices=RecruitStage.choices, blank=True)
    to_stage = models.CharField(max_length=14, choices=RecruitStage.choices)
    on = models.DateField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["on", "id"]

    def __str__(self):
        return f"{self.from_stage} → {self.to_stage}"


# --- a party member's own account ---------------------------------------------------------------


class MemberAccount(models.Model):
    """Which registry person a user account is. A party member then sees their own branch life
    (their PartyMember is ``resident.membership``). Linked by someone who records members."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person_link"
    )
    resident = models.OneToOneField(
        "registry.Resident", on_delete=models.CASCADE, related_name="account_link", verbose_name=_("person")
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("member account")
        verbose_name_plural = _("member accounts")

    def __str__(self):
        return f"{self.user} → {self.resident}"


# --- 设岗定责: posts for members (five steps) -----------------------------------------------------


class Post(PlaceScoped):
    """A post the branch defines for its members (科学设岗), published once assigned (公示明岗)."""

    organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("organization"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("post"), max_length=100)
    duties = models.TextField(_("duties"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["place_path", "year", "title"]
        verbose_name = _("member post")
        verbose_name_plural = _("member posts")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "title"], name="branch_post_title_uniq"),
        ]

    def __str__(self):
        return self.title

    @property
    def published(self) -> bool:
        return self.published_at is not None


class PostHoldingStatus(models.TextChoices):
    VOLUNTEERED = "volunteered", _("Volunteered")
    ASSIGNED = "assigned", _("Assigned")
    DECLINED = "declined", _("Not assigned")


class Appraisal(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class PostHolding(models.Model):
    """A member on a post: volunteered (自愿认岗), assigned by the branch (组织定岗), appraised at year
    end (考核评岗). One member may hold several posts."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="holdings")
    member = models.ForeignKey("registry.PartyMember", on_delete=models.PROTECT, related_name="post_holdings")
    status = models.CharField(
        _("status"), max_length=12, choices=PostHoldingStatus.choices, default=PostHoldingStatus.VOLUNTEERED
    )
    volunteered_on = models.DateField(_("volunteered on"), null=True, blank=True)
    assigned_on = models.DateField(_("assigned on"), null=True, blank=True)
    appraisal = models.CharField(_("appraisal"), max_length=10, choices=Appraisal.choices, blank=True)
    appraisal_note = models.TextField(_("appraisal note"), blank=True)
    appraised_on = models.DateField(_("appraised on"), null=True, blank=True)

    class Meta:
        ordering = ["post", "member"]
        verbose_name = _("post holding")
        verbose_name_plural = _("post holdings")
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="branch_postholding_uniq")]

    def __str__(self):
        return f"{self.member} · {self.post}"


# --- 后备干部: reserve cadres ---------------------------------------------------------------------


class ReserveStage(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    ELIGIBLE = "eligible", _("Eligibility confirmed")
    TESTED = "tested", _("Written test taken")
    INTERVIEWED = "interviewed", _("Interviewed")
    RESERVE = "reserve", _("Reserve cadre (inspected)")
    REJECTED = "rejected", _("Not selected")


RESERVE_ORDER = [
    ReserveStage.SIGNED_UP,
    ReserveStage.ELIGIBLE,
    ReserveStage.TESTED,
    ReserveStage.INTERVIEWED,
    ReserveStage.RESERVE,
]


class Education(models.TextChoices):
    BELOW_COLLEGE = "below_college", _("Below college")
    COLLEGE = "college", _("College (大专)")
    BACHELOR = "bachelor", _("Bachelor")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class ReserveCadre(PlaceScoped):
    """A candidate reserve cadre of a community (后备干部): sign-up → eligibility review → written test
    → interview → inspection, with scores. ``place`` is the community."""

    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, related_name="reserve_cadre", verbose_name=_("person")
    )
    education = models.CharField(_("education"), max_length=14, choices=Education.choices)
    stage = models.CharField(
        _("stage"), max_length=12, choices=ReserveStage.choices, default=ReserveStage.SIGNED_UP
    )
    signed_up_on = models.DateField(_("signed up on"))
    written_score = models.DecimalField(
        _("written test score"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    interview_score = models.DecimalField(
        _("interview score"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["place_path", "signed_up_on", "id"]
        verbose_name = _("reserve cadre")
        verbose_name_plural = _("reserve cadres")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=~Q(stage="rejected"), name="branch_reserve_one_active_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.resident} · {self.get_stage_display()}"


# --- 特困党员帮扶: hardship fund ------------------------------------------------------------------


class HardshipStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class HardshipApplication(PlaceScoped):
    """An application for help from the fund for members in extreme hardship (D3). Nobody decides an
    application they made, or one for themselves."""

    member = models.ForeignKey(
        "registry.PartyMember",
        on_delete=models.PROTECT,
        related_name="hardship_applications",
        verbose_name=_("member"),
    )
    amount = models.DecimalField(_("amount requested"), max_digits=10, decimal_places=2)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=HardshipStatus.choices, default=HardshipStatus.SUBMITTED
    )
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_amount = models.DecimalField(
        _("amount approved"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = _("hardship fund application")
        verbose_name_plural = _("hardship fund applications")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="branch_hardship_amount_pos")]

    def __str__(self):
        return f"{self.member} · {self.amount}"


class HardshipPayment(PlaceScoped):
    """One payment from the fund (the ledger); an approved application may be paid in instalments."""

    application = models.ForeignKey(HardshipApplication, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("hardship fund payment")
        verbose_name_plural = _("hardship fund payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="branch_hardship_payment_pos")]

    def __str__(self):
        return f"{self.application} · {self.amount}"
