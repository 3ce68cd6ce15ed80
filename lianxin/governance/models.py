"""Contact chains, sitting in on committee meetings, branch standards (D3) and the class rating they
give (D1, 三分类三升级)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped
from lianxin.places.models import OrgField, Rating

# --- contact chains (党委委员联系党代表、党代表联系党员、党员联系群众) ----------------------------------


class Delegate(PlaceScoped):
    """A party congress delegate (党代表) of an organization for a term. The registry has no delegate
    flag, so the list lives here."""

    organization = models.ForeignKey(
        "places.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    member = models.ForeignKey(
        "registry.PartyMember", on_delete=models.PROTECT, related_name="+", verbose_name=_("party member")
    )
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization_id", "id"]
        verbose_name = _("party congress delegate")
        verbose_name_plural = _("party congress delegates")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "member", "term_start"], name="governance_delegate_term_uniq"
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="governance_delegate_term_order",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.organization}"

    def current(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.term_start <= today and (self.term_end is None or self.term_end >= today)


class ChainLevel(models.TextChoices):
    DELEGATE = "delegate", _("Committee member contacts a delegate")
    MEMBER = "member", _("Delegate contacts a party member")
    HOUSEHOLD = "household", _("Party member contacts a household")


class ContactLinkQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_on__isnull=True)


class ContactLink(PlaceScoped):
    """One contact assignment: ``contact`` keeps in touch with the target (a delegate or a member, by
    their member record, or a household). One active contact per target and level."""

    organization = models.ForeignKey(
        "places.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    level = models.CharField(_("level"), max_length=10, choices=ChainLevel.choices)
    contact = models.ForeignKey(
        "registry.PartyMember", on_delete=models.PROTECT, related_name="+", verbose_name=_("contact person")
    )
    target_member = models.ForeignKey(
        "registry.PartyMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contacted member"),
    )
    target_household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contacted household"),
    )
    assigned_on = models.DateField(_("assigned on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ContactLinkQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "level", "id"]
        verbose_name = _("contact assignment")
        verbose_name_plural = _("contact assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level="household") & Q(target_household__isnull=False) & Q(target_member__isnull=True)
                )
                | (~Q(level="household") & Q(target_member__isnull=False) & Q(target_household__isnull=True)),
                name="governance_link_one_target",
            ),
            models.UniqueConstraint(
                fields=["level", "target_member"],
                condition=Q(ended_on__isnull=True, target_member__isnull=False),
                name="governance_link_member_active_uniq",
            ),
            models.UniqueConstraint(
                fields=["level", "target_household"],
                condition=Q(ended_on__isnull=True, target_household__isnull=False),
                name="governance_link_household_active_uniq",
            ),
        ]

    def __str__(self):
        return f"{self.contact} → {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.target_household_id:
            return self.target_household.address_label()
        return str(self.target_member.resident.name) if self.target_member_id else ""


class ContactKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Phone call")
    TALK = "talk", _("Talk (meeting, chance encounter)")


class ContactEntry(PlaceScoped):
    """One contact made on an assignment. Problems raised may become a residents' request
    (``request``), made from this entry without retyping."""

    link = models.ForeignKey(ContactLink, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("how"), max_length=8, choices=ContactKind.choices)
    contacted_on = models.DateField(_("date"))
    problems = models.TextField(_("problems raised"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    request = models.OneToOneField(
        "appeals.Request",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request"),
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-contacted_on", "-id"]
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log entries")
        indexes = [models.Index(fields=["link", "contacted_on"], name="governance_entry_link_date_idx")]

    def __str__(self):
        return f"{self.link} · {self.contacted_on}"


# --- sitting in (党员旁听, 开放式党委会) --------------------------------------------------------------


class OpenMeeting(PlaceScoped):
    """A committee meeting (branch.Meeting of type 支委会/党委会) opened to members who apply."""

    meeting = models.OneToOneField(
        "branch.Meeting", on_delete=models.PROTECT, related_name="+", verbose_name=_("meeting")
    )
    seats = models.PositiveSmallIntegerField(_("seats"))
    note = models.TextField(_("note"), blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("open committee meeting")
        verbose_name_plural = _("open committee meetings")
        constraints = [models.CheckConstraint(condition=Q(seats__gte=1), name="governance_open_seats_min")]

    def __str__(self):
        return str(self.meeting)


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class SittingInApplication(PlaceScoped):
    """A member's application to sit in; one per member and meeting."""

    open_meeting = models.ForeignKey(OpenMeeting, on_delete=models.PROTECT, related_name="applications")
    member = models.ForeignKey(
        "registry.PartyMember", on_delete=models.PROTECT, related_name="+", verbose_name=_("party member")
    )
    motivation = models.TextField(_("why I want to sit in"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason"), blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    comment = models.TextField(_("comments made"), blank=True)

    class Meta:
        ordering = ["applied_at", "id"]
        verbose_name = _("sitting-in application")
        verbose_name_plural = _("sitting-in applications")
        constraints = [
            models.UniqueConstraint(fields=["open_meeting", "member"], name="governance_application_once"),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="governance_decline_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.open_meeting}"


# --- branch standards (支部标准化) and the class rating (三分类三升级) ------------------------------


class StandardArea(models.TextChoices):
    TEAM = "team", _("Basic team")
    ACTIVITIES = "activities", _("Activities")
    PREMISES = "premises", _("Premises")
    RULES = "rules", _("Rules")
    FUNDING = "funding", _("Funding")


class StandardItem(models.Model):
    """One item of the checklist of a field (community, firm, social organization …). Seeded by a
    data migration; district officers edit. Fields without a checklist of their own use the
    community checklist."""

    field = models.CharField(_("field"), max_length=12, choices=OrgField.choices)
    area = models.CharField(_("area"), max_length=10, choices=StandardArea.choices)
    code = models.SlugField(_("code"), max_length=40)
    text = models.TextField(_("requirement"))
    points = models.PositiveSmallIntegerField(_("points"), default=10)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["field", "position", "id"]
        verbose_name = _("standards checklist item")
        verbose_name_plural = _("standards checklist items")
        constraints = [
            models.UniqueConstraint(fields=["field", "code"], name="governance_item_code_uniq"),
            models.CheckConstraint(condition=Q(points__gte=1), name="governance_item_points_min"),
        ]

    def __str__(self):
        return self.text[:60]


class CheckStatus(models.TextChoices):
    DRAFT = "draft", _("Being filled in")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned for rework")
    REVIEWED = "reviewed", _("Reviewed")


class SelfCheck(PlaceScoped):
    """An organization's yearly self-check against its field's checklist, reviewed by the subdistrict."""

    organization = models.ForeignKey(
        "places.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=10, choices=CheckStatus.choices, default=CheckStatus.DRAFT
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("reviewed score"), null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(_("maximum score"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("class rating"), choices=Rating.choices, null=True, blank=True
    )
    org_rating = models.OneToOneField(
        "places.OrgRating", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-year", "organization_id"]
        verbose_name = _("standards self-check")
        verbose_name_plural = _("standards self-checks")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="governance_check_year_uniq")
        ]

    def __str__(self):
        return f"{self.organization} · {self.year}"


class ItemReview(models.TextChoices):
    PENDING = "pending", _("Not reviewed")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


def evidence_path(instance, filename):
    return f"governance/evidence/{instance.self_check_id}/{filename}"


class CheckItem(models.Model):
    """One checklist item in a self-check: the organization's evidence and self-score, the reviewer's
    score and decision."""

    self_check = models.ForeignKey(SelfCheck, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="+")
    evidence = models.TextField(_("evidence"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to=evidence_path, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    self_score = models.PositiveSmallIntegerField(_("self-assessed score"), null=True, blank=True)
    review = models.CharField(
        _("review"), max_length=10, choices=ItemReview.choices, default=ItemReview.PENDING
    )
    review_score = models.PositiveSmallIntegerField(_("reviewed score"), null=True, blank=True)
    review_note = models.TextField(_("reviewer's note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item__position", "id"]
        verbose_name = _("self-check item")
        verbose_name_plural = _("self-check items")
        constraints = [
            models.UniqueConstraint(fields=["self_check", "item"], name="governance_check_item_uniq")
        ]

    def __str__(self):
        return f"{self.self_check} · {self.item.code}"

    @property
    def place_path(self) -> str:
        return self.self_check.place_path


class UpgradePlan(PlaceScoped):
    """The upgrade plan of a class 2 or 3 organization, made from its reviewed self-check."""

    self_check = models.OneToOneField(SelfCheck, on_delete=models.PROTECT, related_name="plan")
    organization = models.ForeignKey(
        "places.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organization")
    )
    rating = models.PositiveSmallIntegerField(_("class rating"), choices=Rating.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("upgrade plan")
        verbose_name_plural = _("upgrade plans")

    def __str__(self):
        return f"{self.organization} · {self.self_check.year}"


class UpgradeItem(models.Model):
    """One step of an upgrade plan: what, who, by when (counted in working days), and progress."""

    plan = models.ForeignKey(UpgradePlan, on_delete=models.CASCADE, related_name="items")
    check_item = models.ForeignKey(
        CheckItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    task = models.TextField(_("task"))
    owner = models.CharField(_("owner"), max_length=60)
    due_on = models.DateField(_("due on"))
    progress = models.TextField(_("progress"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("upgrade plan item")
        verbose_name_plural = _("upgrade plan items")

    def __str__(self):
        return self.task[:60]

    @property
    def place_path(self) -> str:
        return self.plan.place_path

    def is_overdue(self, today=None) -> bool:
        return self.done_on is None and self.due_on < (today or timezone.localdate())
