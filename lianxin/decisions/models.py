"""D8 democratic decisions: the 4+2 chain, quorum and majority rules, the double ballot, the monthly deliberation day, departure audits, the residents' charter."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped, WorkingDayDeadline


class MatterCategory(models.Model):
    """A kind of matter. Mandatory categories (land, low-rent housing, 低保 payments, cadre pay,
    fundraising, construction contracts; seeded by a data migration, edited in the back office)
    must go through every stage of the 4+2 chain. Major categories use the double ballot."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    mandatory = models.BooleanField(_("every stage of the 4+2 chain required"), default=False)
    major = models.BooleanField(_("major matter (double ballot)"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("matter category")
        verbose_name_plural = _("matter categories")

    def __str__(self):
        return self.name


class Stage(models.TextChoices):
    """The 4+2 chain, in order (D8)."""

    PROPOSAL = "proposal", _("Proposal by the party committee")
    DELIBERATION = "deliberation", _("Deliberation by the two committees")
    REVIEW = "review", _("Review by the party member meeting")
    DECISION = "decision", _("Decision by the residents")
    RESOLUTION = "resolution", _("Resolution published")
    RESULT = "result", _("Implementation result published")


CHAIN = list(Stage)
VOTING_STAGES = {Stage.PROPOSAL, Stage.DELIBERATION, Stage.REVIEW, Stage.DECISION}
PUBLICATION_STAGES = {Stage.RESOLUTION, Stage.RESULT}


class MatterStatus(models.TextChoices):
    """Where a matter stands: the stage it waits for, or how it ended."""

    PROPOSAL = "proposal", _("Awaiting the party committee's proposal")
    DELIBERATION = "deliberation", _("Awaiting the two committees")
    REVIEW = "review", _("Awaiting the party member meeting")
    DECISION = "decision", _("Awaiting the residents' decision")
    RESOLUTION = "resolution", _("Awaiting publication of the resolution")
    RESULT = "result", _("Being implemented")
    IMPLEMENTED = "implemented", _("Implemented, result published")
    REJECTED = "rejected", _("Not adopted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = {s.value for s in Stage}


class DecisionBody(models.TextChoices):
    REPRESENTATIVES = "representatives", _("Residents' representatives' meeting")
    RESIDENTS = "residents", _("Residents' meeting")


class Matter(PlaceScoped):
    """A matter (议题) of a community going through the 4+2 chain. ``status`` only moves along
    ``services.TRANSITIONS``, by compare-and-set."""

    title = models.CharField(_("title"), max_length=200)
    category = models.ForeignKey(
        MatterCategory, on_delete=models.PROTECT, related_name="matters", verbose_name=_("category")
    )
    description = models.TextField(_("description"), blank=True)
    decision_body = models.CharField(
        _("decided by"), max_length=20, choices=DecisionBody.choices, default=DecisionBody.REPRESENTATIVES
    )
    double_ballot = models.BooleanField(_("double ballot (household tally counts)"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=MatterStatus.choices, default=MatterStatus.PROPOSAL, db_index=True
    )
    draft = models.TextField(_("draft sent to residents for comments"), blank=True)
    comments_until = models.DateField(_("comments open until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("decisions_matter", args=[self.pk])

    @property
    def comments_open(self) -> bool:
        return (
            bool(self.draft)
            and self.comments_until is not None
            and self.comments_until >= timezone.localdate()
        )


class StageRecord(models.Model):
    """The record of one stage of a matter: its meeting (date, place), attendance, votes and the rule
    that applied, or the publication. A stage without quorum may be held again; it is complete once
    (``complete``; a partial unique constraint holds that), either passed or, for a matter outside
    the mandatory categories, skipped with a reason."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="records")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    held_on = models.DateField(_("date"))
    location = models.CharField(_("place"), max_length=120, blank=True)
    rule_code = models.CharField(_("rule"), max_length=40, blank=True)
    entitled = models.PositiveIntegerField(_("entitled to attend"), null=True, blank=True)
    present = models.PositiveIntegerField(_("present"), null=True, blank=True)
    votes_for = models.PositiveIntegerField(_("for"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("against"), null=True, blank=True)
    abstain = models.PositiveIntegerField(_("abstaining"), null=True, blank=True)
    quorum_met = models.BooleanField(_("quorum met"), default=False)
    passed = models.BooleanField(_("passed"), default=False)
    complete = models.BooleanField(_("stage complete"), default=False)
    skipped = models.BooleanField(_("skipped"), default=False)
    explanation = models.TextField(_("why"), blank=True)
    household_tally = models.JSONField(_("household tally"), null=True, blank=True)
    notes = models.TextField(_("minutes or text"), blank=True)
    published_url = models.CharField(_("board link"), max_length=300, blank=True)
    posted_days = models.PositiveSmallIntegerField(_("days posted"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["matter", "recorded_at", "id"]
        verbose_name = _("stage record")
        verbose_name_plural = _("stage records")
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "stage"], condition=Q(complete=True), name="decisions_stage_complete_once"
            ),
            models.CheckConstraint(
                condition=Q(present__isnull=True)
                | Q(entitled__isnull=False, present__lte=models.F("entitled")),
                name="decisions_stage_present_le_entitled",
            ),
            models.CheckConstraint(
                condition=Q(skipped=False) | ~Q(notes=""), name="decisions_stage_skip_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.matter} · {self.get_stage_display()}"


class Representative(PlaceScoped):
    """A residents' representative (居民代表) of a community, linked to the households they represent."""

    name = models.CharField(_("name"), max_length=60)
    resident = models.ForeignKey(
        "registry.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    started_on = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["place_path", "name", "id"]
        verbose_name = _("residents' representative")
        verbose_name_plural = _("residents' representatives")

    def __str__(self):
        return self.name


class RepresentedHousehold(models.Model):
    """A household and the one representative who represents it (one per household)."""

    representative = models.ForeignKey(Representative, on_delete=models.CASCADE, related_name="links")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("household")
    )

    class Meta:
        verbose_name = _("represented household")
        verbose_name_plural = _("represented households")
        constraints = [
            models.UniqueConstraint(fields=["household"], name="decisions_household_one_representative")
        ]

    def __str__(self):
        return f"{self.representative} · {self.household_id}"


class VoteChoice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class VoteChannel(models.TextChoices):
    DIRECT = "direct", _("The household with its ballot code")
    REPRESENTATIVE = "representative", _("Cast by its representative")


class BallotCode(models.Model):
    """A one-time code a household votes with directly on a matter (unique; single use)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="ballot_codes")
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("ballot code"), max_length=12, unique=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["matter", "household"]
        verbose_name = _("ballot code")
        verbose_name_plural = _("ballot codes")
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "household"], name="decisions_ballotcode_one_per_household"
            )
        ]

    def __str__(self):
        return self.code


class HouseholdVote(models.Model):
    """One household's vote on a matter in the double ballot. The unique constraint is what makes a
    household count once, whoever casts it (the household itself or its representative)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="household_votes")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("vote"), max_length=8, choices=VoteChoice.choices)
    channel = models.CharField(_("cast by"), max_length=16, choices=VoteChannel.choices)
    representative = models.ForeignKey(
        Representative, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)

    class Meta:
        ordering = ["matter", "household"]
        verbose_name = _("household vote")
        verbose_name_plural = _("household votes")
        constraints = [
            models.UniqueConstraint(fields=["matter", "household"], name="decisions_household_votes_once"),
            models.CheckConstraint(
                condition=Q(channel="direct", representative__isnull=True)
                | Q(channel="representative", representative__isnull=False),
                name="decisions_household_vote_channel",
            ),
        ]

    def __str__(self):
        return f"{self.matter_id} · {self.household_id} · {self.choice}"


class DraftComment(models.Model):
    """A resident's comment on a matter's draft, sent from the portal."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="comments")
    name = models.CharField(_("name"), max_length=60, blank=True)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment on a draft")
        verbose_name_plural = _("comments on drafts")

    def __str__(self):
        return self.text[:40]


# --- 民主议事: the monthly deliberation day -----------------------------------------------------


class DeliberationSchedule(models.Model):
    """The community's deliberation day of the month (default LIANXIN_DECISIONS_DELIBERATION_DAY, 10)."""

    place = models.OneToOneField("places.Place", on_delete=models.CASCADE, related_name="+")
    day = models.PositiveSmallIntegerField(_("day of the month"))
    location = models.CharField(_("place"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("deliberation day schedule")
        verbose_name_plural = _("deliberation day schedules")
        constraints = [
            models.CheckConstraint(condition=Q(day__gte=1, day__lte=31), name="decisions_schedule_day_valid")
        ]

    def __str__(self):
        return str(self.day)


class DayStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")


class DeliberationDay(PlaceScoped):
    """One monthly deliberation day (民主议事日) of a community: its agenda, minutes, follow-ups."""

    held_on = models.DateField(_("date"))
    location = models.CharField(_("place"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=DayStatus.choices, default=DayStatus.PLANNED)
    attendees = models.PositiveIntegerField(_("residents attending"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("deliberation day")
        verbose_name_plural = _("deliberation days")
        constraints = [models.UniqueConstraint(fields=["place", "held_on"], name="decisions_day_once")]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d}"


class AgendaStatus(models.TextChoices):
    NEW = "new", _("Received")
    SCHEDULED = "scheduled", _("On a day's agenda")
    DISCUSSED = "discussed", _("Discussed")
    DECLINED = "declined", _("Not taken up")


class AgendaItem(PlaceScoped):
    """A topic for the deliberation day, from a resident (portal) or from staff."""

    day = models.ForeignKey(
        DeliberationDay, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    title = models.CharField(_("topic"), max_length=200)
    detail = models.TextField(_("details"), blank=True)
    submitter_name = models.CharField(_("submitted by"), max_length=60, blank=True)
    submitter_phone = models.CharField(_("phone"), max_length=20, blank=True)
    from_portal = models.BooleanField(_("from the portal"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=AgendaStatus.choices, default=AgendaStatus.NEW
    )
    outcome = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self):
        return self.title


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class FollowUp(PlaceScoped, WorkingDayDeadline):
    """Work agreed on a deliberation day, with its owner and a due date in working days."""

    day = models.ForeignKey(DeliberationDay, on_delete=models.CASCADE, related_name="follow_ups")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    title = models.CharField(_("what is to be done"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    status = models.CharField(
        _("status"), max_length=6, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return self.title


# --- 离任审计 and 居民自治章程 -------------------------------------------------------------------


class AuditResult(models.TextChoices):
    CLEAN = "clean", _("No problems found")
    MINOR = "minor", _("Problems found and corrected")
    SERIOUS = "serious", _("Serious problems, referred on")


class DepartureAudit(PlaceScoped):
    """The audit of a main cadre of the residents' committee on leaving office (离任审计, D9);
    its result is published on the board."""

    cadre_name = models.CharField(_("cadre"), max_length=60)
    post = models.CharField(_("post"), max_length=60)
    period_start = models.DateField(_("in office from"))
    period_end = models.DateField(_("in office until"))
    auditor = models.CharField(_("audited by"), max_length=120)
    findings = models.TextField(_("findings"))
    result = models.CharField(_("result"), max_length=10, choices=AuditResult.choices)
    summary = models.TextField(_("published summary"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_url = models.CharField(_("board link"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("departure audit")
        verbose_name_plural = _("departure audits")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="decisions_audit_period_order"
            )
        ]

    def __str__(self):
        return f"{self.cadre_name} · {self.post}"


class Charter(PlaceScoped):
    """One version of a community's residents' self-government charter (居民自治章程). Versions are
    never edited; the current one is the latest in effect."""

    version = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    adopted_by = models.CharField(_("adopted by"), max_length=120)
    adopted_on = models.DateField(_("adopted on"))
    effective_from = models.DateField(_("in effect from"))
    change_note = models.TextField(_("what changed"), blank=True)
    published_url = models.CharField(_("board link"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["place_path", "-version"]
        verbose_name = _("residents' charter")
        verbose_name_plural = _("residents' charters")
        constraints = [
            models.UniqueConstraint(fields=["place", "version"], name="decisions_charter_version_uniq"),
            models.CheckConstraint(
                condition=Q(effective_from__gte=models.F("adopted_on")),
                name="decisions_charter_effective_after",
            ),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"
