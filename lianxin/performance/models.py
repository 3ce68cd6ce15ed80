"""D10 五制 and 创先争优: goals with items (目标责任制), public commitments (公开承诺制), half-yearly
evaluations with one-time ballot codes (绩效评估制, 一会四评), commendations (表彰激励制), accountability
cases (过错追究制), the year's milestones and the secretary's report (述职)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped, PlaceScopedQuerySet

# --- goals (目标责任制) ----------------------------------------------------------------------------


class Goal(PlaceScoped):
    """The year's goals of one party organization, with its responsibility letter (责任书)."""

    organization = models.ForeignKey(
        "places.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    letter_signed_on = models.DateField(_("letter signed on"), null=True, blank=True)
    letter_signed_by = models.CharField(_("signed by"), max_length=120, blank=True)
    letter_issued_by = models.CharField(_("issued by"), max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-year", "place_path", "id"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="performance_goal_org_year_uniq")
        ]

    def __str__(self):
        return f"{self.year} {self.title}"


class GoalItemQuerySet(PlaceScopedQuerySet):
    def open(self):
        return self.filter(completed_on__isnull=True)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


class GoalItem(PlaceScoped):
    """One item of a goal: project, target, lead person and schedule (定项目、定目标、定责任、定进度)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="items", verbose_name=_("goal"))
    project = models.CharField(_("project"), max_length=200)
    target = models.TextField(_("target"))
    lead = models.CharField(_("lead person"), max_length=60)
    due_on = models.DateField(_("due on"), db_index=True)
    practical = models.BooleanField(_("practical matter (实事)"), default=False)
    progress = models.PositiveSmallIntegerField(_("progress in percent"), default=0)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    objects = GoalItemQuerySet.as_manager()

    class Meta:
        ordering = ["goal", "due_on", "id"]
        verbose_name = _("goal item")
        verbose_name_plural = _("goal items")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="performance_goalitem_progress_max"),
        ]

    def __str__(self):
        return self.project


class Milestone(models.Model):
    item = models.ForeignKey(GoalItem, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title


def evidence_path(instance, filename):
    return f"performance/evidence/{timezone.localdate():%Y/%m}/{filename}"


class ProgressUpdate(models.Model):
    """A progress report on a goal item, with its evidence."""

    item = models.ForeignKey(GoalItem, on_delete=models.CASCADE, related_name="updates")
    progress = models.PositiveSmallIntegerField(_("progress in percent"))
    note = models.TextField(_("what was done"))
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")

    def __str__(self):
        return f"{self.item_id} {self.progress}%"


# --- commitments (公开承诺制) ----------------------------------------------------------------------


class CommitmentKind(models.TextChoices):
    YEARLY = "yearly", _("Yearly commitment")
    INSTANT = "instant", _("Instant commitment")
    SPECIAL = "special", _("Special commitment")


class MemberGroup(models.TextChoices):
    """Who commits: the template differs by member kind (D10)."""

    ORGANIZATION = "organization", _("Organization")
    CADRE = "cadre", _("Cadre")
    RETIREE = "retiree", _("Retired member")
    MOBILE = "mobile", _("Mobile member")
    MEMBER = "member", _("Member")


class CommitmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RETURNED = "returned", _("Returned for rewriting")
    PUBLISHED = "published", _("Published")
    FULFILLED = "fulfilled", _("Fulfilled")
    BROKEN = "broken", _("Not kept")


class Commitment(PlaceScoped):
    """A public commitment of an organization or a member (D10 公开承诺制)."""

    organization = models.ForeignKey(
        "places.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    member = models.ForeignKey(
        "registry.PartyMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member"),
    )
    group = models.CharField(_("who commits"), max_length=14, choices=MemberGroup.choices)
    kind = models.CharField(
        _("kind"), max_length=10, choices=CommitmentKind.choices, default=CommitmentKind.YEARLY
    )
    year = models.PositiveSmallIntegerField(_("year"))
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    target = models.TextField(_("target"), blank=True)
    items = models.TextField(_("items"), blank=True, help_text=_("One item per line."))
    measures = models.TextField(_("measures"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.DRAFT
    )
    return_reasons = models.JSONField(_("reasons for return"), default=list, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    board_url = models.CharField(_("notice board link"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-year", "place_path", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")), name="performance_commitment_period"
            ),
        ]

    def __str__(self):
        return f"{self.owner_name} · {self.get_kind_display()}"

    @property
    def owner_name(self) -> str:
        return self.member.resident.name if self.member_id else self.organization.name

    def item_lines(self) -> list[str]:
        return [line.strip() for line in self.items.splitlines() if line.strip()]


class Fulfilment(models.Model):
    """A fulfilment update (践诺) on a published commitment."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="fulfilments")
    note = models.TextField(_("what was done"))
    done = models.BooleanField(_("commitment fulfilled"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("fulfilment update")
        verbose_name_plural = _("fulfilment updates")

    def __str__(self):
        return self.note[:40]


# --- evaluations (绩效评估制, 一会四评) -------------------------------------------------------------


class CycleStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class EvaluationCycle(PlaceScoped):
    """A half-yearly evaluation at one review meeting: self, peer, leader and public evaluation, with
    configurable weights (percent, summing to 100)."""

    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(_("half"), choices=[(1, _("First half")), (2, _("Second half"))])
    title = models.CharField(_("title"), max_length=200)
    meeting_on = models.DateField(_("review meeting on"), null=True, blank=True)
    weight_self = models.PositiveSmallIntegerField(_("self-evaluation weight"), default=10)
    weight_peer = models.PositiveSmallIntegerField(_("peer evaluation weight"), default=20)
    weight_leader = models.PositiveSmallIntegerField(_("leader review weight"), default=30)
    weight_public = models.PositiveSmallIntegerField(_("public evaluation weight"), default=40)
    status = models.CharField(
        _("status"), max_length=8, choices=CycleStatus.choices, default=CycleStatus.OPEN
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-year", "-half", "id"]
        verbose_name = _("evaluation cycle")
        verbose_name_plural = _("evaluation cycles")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_self__lte=100, weight_peer__lte=100, weight_leader__lte=100)
                & Q(weight_public__lte=100),
                name="performance_cycle_weights_max",
            ),
        ]

    def __str__(self):
        return self.title


class Evaluee(models.Model):
    """Who is evaluated in a cycle: an organization or a member (the secretary included)."""

    cycle = models.ForeignKey(EvaluationCycle, on_delete=models.CASCADE, related_name="evaluees")
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=60, blank=True)
    organization = models.ForeignKey(
        "places.PartyOrganization", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        "registry.PartyMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["cycle", "position", "id"]
        verbose_name = _("person evaluated")
        verbose_name_plural = _("people evaluated")

    def __str__(self):
        return self.name


class ScoreKind(models.TextChoices):
    SELF = "self", _("Self-evaluation")
    PEER = "peer", _("Peer evaluation")
    LEADER = "leader", _("Leader review")


class Score(models.Model):
    """A self, peer or leader score (0–100). Leader reviews are the register (点评登记) with comments."""

    evaluee = models.ForeignKey(Evaluee, on_delete=models.CASCADE, related_name="scores")
    kind = models.CharField(_("kind"), max_length=8, choices=ScoreKind.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_name = models.CharField(_("given by"), max_length=120, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["evaluee", "kind", "id"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["evaluee", "kind", "by"], name="performance_score_once_uniq"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="performance_score_range"),
        ]

    def __str__(self):
        return f"{self.evaluee} {self.kind} {self.score}"


class CodeStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    USED = "used", _("Used")
    VOID = "void", _("Voided")


class BallotCode(models.Model):
    """A one-time ballot code, printed on a slip with its QR link. Codes are handed out without
    names: nothing connects a code, or the ballot cast with it, to a person."""

    # Each ballot rewrites one code's status (issued → used), and every index of the table is written
    # with it: the cycle is indexed by (cycle, status) only, and the code's uniqueness is a constraint
    # (on PostgreSQL a unique field would also get a LIKE index, and a code is only ever looked up whole).
    cycle = models.ForeignKey(EvaluationCycle, on_delete=models.CASCADE, related_name="codes", db_index=False)
    code = models.CharField(_("code"), max_length=32)
    batch = models.PositiveIntegerField(_("batch"), default=1)
    status = models.CharField(
        _("status"), max_length=8, choices=CodeStatus.choices, default=CodeStatus.ISSUED
    )
    voided_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)

    class Meta:
        ordering = ["cycle", "id"]
        verbose_name = _("ballot code")
        verbose_name_plural = _("ballot codes")
        indexes = [models.Index(fields=["cycle", "status"], name="performance_code_status_idx")]
        constraints = [models.UniqueConstraint(fields=["code"], name="performance_code_once_uniq")]

    def __str__(self):
        return self.code


class BallotChannel(models.TextChoices):
    ONLINE = "online", _("Online (QR link)")
    PAPER = "paper", _("Paper ballot")


class Ballot(models.Model):
    """One public-evaluation ballot. The unique code makes it one per code under any concurrency;
    no user, name, address or time of day is kept on it (anonymous)."""

    cycle = models.ForeignKey(EvaluationCycle, on_delete=models.CASCADE, related_name="ballots")
    code = models.OneToOneField(BallotCode, on_delete=models.PROTECT, related_name="ballot")
    channel = models.CharField(_("channel"), max_length=8, choices=BallotChannel.choices)
    cast_on = models.DateField(_("cast on"), default=timezone.localdate)

    class Meta:
        ordering = ["cycle", "id"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self):
        return f"ballot {self.pk}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class BallotMark(models.Model):
    # The ballot is indexed by the unique (ballot, evaluee) it starts: no index of its own to write.
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="marks", db_index=False)
    evaluee = models.ForeignKey(Evaluee, on_delete=models.CASCADE, related_name="marks")
    rating = models.CharField(_("rating"), max_length=12, choices=Satisfaction.choices)

    class Meta:
        verbose_name = _("ballot mark")
        verbose_name_plural = _("ballot marks")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "evaluee"], name="performance_mark_once_uniq"),
        ]

    def __str__(self):
        return self.rating


# --- commendations (表彰激励制) --------------------------------------------------------------------


class Criterion(models.TextChoices):
    FIVE_GOODS = "five_goods", _("Advanced organization (五个好)")
    FIVE_LEADS = "five_leads", _("Outstanding member (五带头)")
    FIVE_MODELS = "five_models", _("Five models (五个模范)")
    RED_BANNER = "red_banner", _("Rotating red banner (流动红旗)")
    MODEL_POST = "model_post", _("Model post (示范岗)")


class CommendationStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    AWARDED = "awarded", _("Awarded")
    DECLINED = "declined", _("Not awarded")


class Commendation(PlaceScoped):
    """A nomination and its decision; awarded ones form the honour roll (光荣榜)."""

    year = models.PositiveSmallIntegerField(_("year"))
    criterion = models.CharField(_("criterion"), max_length=12, choices=Criterion.choices)
    organization = models.ForeignKey(
        "places.PartyOrganization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organization"),
    )
    member = models.ForeignKey(
        "registry.PartyMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member"),
    )
    post_name = models.CharField(_("post"), max_length=120, blank=True)
    deeds = models.TextField(_("deeds"))
    status = models.CharField(
        _("status"), max_length=10, choices=CommendationStatus.choices, default=CommendationStatus.NOMINATED
    )
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField(_("nominated at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    board_url = models.CharField(_("notice board link"), max_length=300, blank=True)

    class Meta:
        ordering = ["-year", "criterion", "id"]
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")

    def __str__(self):
        return f"{self.get_criterion_display()} · {self.honouree}"

    @property
    def honouree(self) -> str:
        if self.member_id:
            return self.member.resident.name
        if self.organization_id:
            return self.organization.name
        return self.post_name


# --- accountability (过错追究制) -------------------------------------------------------------------


class CaseSource(models.TextChoices):
    GOAL_ITEM = "goal_item", _("Overdue goal item")
    COMMITMENT = "commitment", _("Commitment not kept")
    COMPLAINT = "complaint", _("Substantiated complaint")


class CaseStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    CONFIRMED = "confirmed", _("Confirmed, under review")
    DISMISSED = "dismissed", _("Dismissed")
    CLOSED = "closed", _("Outcome recorded")


class CaseOutcome(models.TextChoices):
    NO_FAULT = "no_fault", _("No fault found")
    REMINDER = "reminder", _("Reminder and talk (提醒谈话)")
    CRITICISM = "criticism", _("Criticism and education")
    WRITTEN_REVIEW = "written_review", _("Written self-criticism")
    NOTICE = "notice", _("Circulated notice")
    REFERRED = "referred", _("Referred to discipline inspection")


class AccountabilityCase(PlaceScoped):
    """A suggested case of 过错追究: a person confirms it, reviews it and records the outcome; nothing is
    decided by the system."""

    source = models.CharField(_("source"), max_length=12, choices=CaseSource.choices)
    source_id = models.PositiveBigIntegerField(_("source id"))
    subject = models.CharField(_("subject"), max_length=200)
    person = models.CharField(_("person concerned"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.SUGGESTED
    )
    suggested_at = models.DateTimeField(_("suggested at"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    review = models.TextField(_("review findings"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CaseOutcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["status", "-suggested_at", "id"]
        verbose_name = _("accountability case")
        verbose_name_plural = _("accountability cases")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="performance_case_source_uniq"),
        ]

    def __str__(self):
        return self.subject


# --- the year's rhythm and the secretary's report -------------------------------------------------


class MilestoneKind(models.TextChoices):
    COMMITMENTS = "commitments", _("Start-of-year plan and commitments")
    MID_YEAR = "mid_year", _("1 July: mid-year review and commendations")
    YEAR_END = "year_end", _("Year-end summary, assessment and reports")


class YearMilestone(PlaceScoped):
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("milestone"), max_length=12, choices=MilestoneKind.choices)
    due_on = models.DateField(_("due on"))
    todo = models.ForeignKey("core.Todo", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["year", "due_on", "id"]
        verbose_name = _("year milestone")
        verbose_name_plural = _("year milestones")
        constraints = [
            models.UniqueConstraint(fields=["place", "year", "kind"], name="performance_milestone_uniq"),
        ]

    def __str__(self):
        return f"{self.year} {self.get_kind_display()}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class SecretaryReport(PlaceScoped):
    """The secretary's report on the year (述职): figures compiled from the data, text editable until
    it is published."""

    organization = models.ForeignKey(
        "places.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    secretary = models.CharField(_("secretary"), max_length=60, blank=True)
    figures = models.JSONField(_("figures"), default=dict)
    text = models.TextField(_("report"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    compiled_at = models.DateTimeField(_("compiled at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    board_url = models.CharField(_("notice board link"), max_length=300, blank=True)

    class Meta:
        ordering = ["-year", "place_path"]
        verbose_name = _("secretary's report")
        verbose_name_plural = _("secretary's reports")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="performance_report_uniq"),
        ]

    def __str__(self):
        return f"{self.year} {self.organization_id}"
