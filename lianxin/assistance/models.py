"""Assistance and benefits (帮扶, D6): programmes as data, cases moving through their steps, the home
investigation, the deliberation panel's votes, the public notice (公示) with objections, declared
relatives (优亲厚友 checks), payments and 一联一 pairing.

Sensitive findings (income, household composition, health, the investigators' findings) are stored
only encrypted (lianxin.core.crypto) and revealed through services.investigation_reveal.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped, PlaceScopedQuerySet, WorkingDayDeadline


class StepKind(models.TextChoices):
    """What a step does; the services attach their extra rules to the kind, not to its name."""

    APPLY = "apply", _("Application")
    INVESTIGATE = "investigate", _("Home investigation")
    DELIBERATE = "deliberate", _("Deliberation")
    NOTICE = "notice", _("Public notice")
    REVIEW = "review", _("Review")
    CERTIFY = "certify", _("Certificate")
    PAY = "pay", _("Payment")
    GENERIC = "generic", _("Other step")


class StepLevel(models.TextChoices):
    COMMUNITY = "community", _("Community")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    DISTRICT = "district", _("District")


class Programme(models.Model):
    """A kind of assistance (低保, 廉租房, 再就业培训 …) with its steps, edited as data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("programme description"), blank=True)
    notice_days = models.PositiveSmallIntegerField(_("public notice, working days"), default=7)
    review_months = models.PositiveSmallIntegerField(_("review every (months)"), default=12)
    pays_monthly = models.BooleanField(_("pays a monthly amount"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("assistance programme")
        verbose_name_plural = _("assistance programmes")

    def __str__(self):
        return self.name


class ProgrammeStep(models.Model):
    """One step of a programme: who acts (roles held at a place level), in how many working days,
    with which documents, and whether the step is public."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=30)
    kind = models.CharField(_("kind"), max_length=12, choices=StepKind.choices, default=StepKind.GENERIC)
    roles = models.JSONField(_("roles acting"), default=list)
    level = models.CharField(_("place level"), max_length=12, choices=StepLevel.choices)
    deadline_days = models.PositiveSmallIntegerField(_("working days allowed"), default=5)
    required_documents = models.JSONField(_("required documents"), default=list, blank=True)
    is_public = models.BooleanField(_("public"), default=False)
    # A sampled step may pass ordinary cases on a sample check; flagged cases need a full review note.
    sampled = models.BooleanField(_("checked by sampling"), default=False)
    # Must be done by someone other than whoever completed the step before it.
    four_eyes = models.BooleanField(_("needs a second person"), default=False)

    class Meta:
        ordering = ["programme", "order"]
        verbose_name = _("programme step")
        verbose_name_plural = _("programme steps")
        constraints = [
            models.UniqueConstraint(fields=["programme", "order"], name="assistance_step_order_uniq"),
            models.UniqueConstraint(fields=["programme", "code"], name="assistance_step_code_uniq"),
        ]

    def __str__(self):
        return self.name


class ReasonCategory(models.TextChoices):
    """The reason shown on the public notice: a category, never health details."""

    ILLNESS = "illness", _("Serious illness in the family")
    DISABILITY = "disability", _("Disability")
    UNEMPLOYMENT = "unemployment", _("Unemployment")
    OLD_AGE = "old_age", _("Old age without support")
    DISASTER = "disaster", _("Disaster or accident")
    LOW_INCOME = "low_income", _("Income below the local line")
    HOUSING = "housing", _("Housing hardship")
    OTHER = "other", _("Other hardship")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CaseQuerySet(PlaceScopedQuerySet):
    def open(self):
        return self.filter(status=CaseStatus.OPEN)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


class Case(PlaceScoped, WorkingDayDeadline):
    """One household's application to one programme. ``place`` is the household's building, so the
    case is scoped exactly like the household; ``community`` is kept for the notice and reports.
    The deadline fields hold the current step's deadline."""

    number = models.CharField(_("case number"), max_length=20, unique=True)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="cases")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="assistance_cases"
    )
    applicant = models.ForeignKey(
        "registry.Resident",
        on_delete=models.PROTECT,
        related_name="assistance_cases",
        verbose_name=_("assistance applicant"),
    )
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    reason_category = models.CharField(_("reason category"), max_length=16, choices=ReasonCategory.choices)
    reason = models.TextField(_("reason"), blank=True)
    amount = models.DecimalField(_("monthly amount"), max_digits=9, decimal_places=2, null=True, blank=True)
    step = models.ForeignKey(
        ProgrammeStep,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("step"),
    )
    step_started_on = models.DateField(_("step started on"))
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    version = models.PositiveIntegerField(default=0, editable=False)
    vote_round = models.PositiveSmallIntegerField(default=1, editable=False)
    flagged = models.BooleanField(_("flagged"), default=False, db_index=True)
    flag_reasons = models.JSONField(default=list, blank=True, editable=False)
    full_review = models.BooleanField(_("needs full review"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("assistance case")
        verbose_name_plural = _("assistance cases")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "household"],
                condition=Q(status="open"),
                name="assistance_case_one_open_uniq",
            )
        ]

    def __str__(self):
        return self.number


class CaseEvent(models.Model):
    """One move of a case, readable by everyone who may see the case (the audit log holds more)."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Opened")
        ADVANCE = "advance", _("Passed")
        RETURN = "return", _("Returned")
        REJECT = "reject", _("Not approved")
        WITHDRAW = "withdraw", _("Withdrawn")
        RECUSE = "recuse", _("Recused")
        FLAG = "flag", _("Flagged")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    from_step = models.ForeignKey(
        ProgrammeStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_step = models.ForeignKey(
        ProgrammeStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self):
        return self.get_kind_display()


class CaseDocument(models.Model):
    """A required document seen by staff (户口簿, 收入证明 …)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("document"), max_length=60)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        constraints = [models.UniqueConstraint(fields=["case", "name"], name="assistance_document_uniq")]

    def __str__(self):
        return self.name


class Recusal(models.Model):
    """A person who may not act on a case (a declared relative, or their own household)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recusals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="assistance_recusal_uniq")]

    def __str__(self):
        return f"{self.case} · {self.user}"


class Investigation(models.Model):
    """The home investigation (入户调查): two investigators; composition, income, health and findings
    are sensitive and stored only encrypted."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="investigation")
    first_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("first investigator"),
    )
    second_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("second investigator"),
    )
    visited_on = models.DateField(_("visited on"))
    household_size = models.PositiveSmallIntegerField(_("people in the household"))
    composition_enc = models.TextField(blank=True, editable=False)
    income_enc = models.TextField(blank=True, editable=False)
    health_enc = models.TextField(blank=True, editable=False)
    findings_enc = models.TextField(blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    SENSITIVE_FIELDS = {
        "composition": "composition_enc",
        "income": "income_enc",
        "health": "health_enc",
        "findings": "findings_enc",
    }
    encrypted_fields = tuple(SENSITIVE_FIELDS.values())
    MASK = "••••••"

    class Meta:
        verbose_name = _("home investigation")
        verbose_name_plural = _("home investigations")

    def __str__(self):
        return str(self.case)

    def masked(self, field: str) -> str:
        return self.MASK if getattr(self, self.SENSITIVE_FIELDS[field]) else ""


def photo_path(instance, filename):
    return f"assistance/{instance.investigation.case_id}/{instance.token}{instance.extension}"


class InvestigationPhoto(models.Model):
    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE, related_name="photos")
    token = models.CharField(max_length=32, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    file = models.FileField(upload_to=photo_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("investigation photo")
        verbose_name_plural = _("investigation photos")

    def __str__(self):
        return self.original_name


class VoteChoice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class PanelRole(models.TextChoices):
    MEMBER = "member", _("Committee member")
    REPRESENTATIVE = "representative", _("Residents' representative")


class PanelVote(models.Model):
    """One panel member's vote at the deliberation (民主评议): names are recorded, one vote each."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="votes")
    voter_name = models.CharField(_("name"), max_length=60)
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    panel_role = models.CharField(_("panel role"), max_length=16, choices=PanelRole.choices)
    choice = models.CharField(_("vote"), max_length=8, choices=VoteChoice.choices)
    comment = models.CharField(_("comment"), max_length=200, blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("panel vote")
        verbose_name_plural = _("panel votes")
        constraints = [
            models.UniqueConstraint(fields=["case", "round", "voter_name"], name="assistance_vote_once_uniq")
        ]

    def __str__(self):
        return f"{self.voter_name}: {self.get_choice_display()}"


class NoticeQuerySet(PlaceScopedQuerySet):
    def running(self, today):
        return self.filter(withdrawn_at__isnull=True, starts_on__lte=today, ends_on__gte=today)


class Notice(PlaceScoped):
    """The public notice of a case (公示). Holds ONLY the allow-listed public fields, copied when it
    is published: masked name, community, amount, reason category. ``place`` is the community."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    masked_name = models.CharField(_("name"), max_length=20)
    community_name = models.CharField(_("community"), max_length=100)
    programme_name = models.CharField(_("programme"), max_length=60)
    amount = models.DecimalField(_("monthly amount"), max_digits=9, decimal_places=2, null=True, blank=True)
    reason_category = models.CharField(_("reason category"), max_length=16, choices=ReasonCategory.choices)
    starts_on = models.DateField(_("notice from"))
    ends_on = models.DateField(_("notice until"))
    days = models.PositiveSmallIntegerField(_("working days"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    board_item_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    board_item_url = models.CharField(max_length=300, blank=True, editable=False)

    PUBLIC_FIELDS = ("masked_name", "community_name", "programme_name", "amount", "reason_category")

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")

    def __str__(self):
        return f"{self.programme_name} · {self.masked_name}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("assistance_portal_notice", args=[self.pk])


class Objection(PlaceScoped):
    """A resident's objection to a notice (anonymous allowed). The case cannot pass the notice step
    while any objection has no answer. The contact phone is stored encrypted."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    text = models.TextField(_("objection"))
    anonymous = models.BooleanField(_("anonymous"), default=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    phone_enc = models.TextField(blank=True, editable=False)
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    upheld = models.BooleanField(_("objection upheld"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    encrypted_fields = ("phone_enc",)

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self):
        return _("Objection %(pk)s") % {"pk": self.pk}


class Relation(models.TextChoices):
    SELF = "self", _("Myself (my own household)")
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    IN_LAW = "in_law", _("In-law")
    OTHER = "other", _("Other close relative or friend")


class RelativeDeclaration(PlaceScoped):
    """A relative declared by staff, a cadre or a panel member: the household they live in.
    ``place`` is that household's building. Ended, never deleted."""

    declarant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declared_relatives"
    )
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("declared relative")
        verbose_name_plural = _("declared relatives")
        constraints = [
            models.UniqueConstraint(
                fields=["declarant", "household"],
                condition=Q(ended_at__isnull=True),
                name="assistance_relative_active_uniq",
            )
        ]

    def __str__(self):
        return f"{self.declarant} · {self.get_relation_display()}"


class PaymentStatus(models.TextChoices):
    ACTIVE = "active", _("Paying")
    STOPPED = "stopped", _("Payments stopped")


class PaymentPlan(PlaceScoped):
    """Monthly payments of an approved case (发放), with its yearly review date."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="payment_plan")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    monthly_amount = models.DecimalField(_("monthly amount"), max_digits=9, decimal_places=2)
    starts_on = models.DateField(_("first month"))
    status = models.CharField(
        _("status"), max_length=8, choices=PaymentStatus.choices, default=PaymentStatus.ACTIVE
    )
    review_on = models.DateField(_("next review"), db_index=True)
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["review_on", "id"]
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")

    def __str__(self):
        return f"{self.case} · {self.monthly_amount}"


class LedgerKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    STOP = "stop", _("Payments stopped")
    RESUME = "resume", _("Resumed")
    REVIEW = "review", _("Yearly review")


class LedgerEntry(PlaceScoped):
    """The household's assistance ledger: payments by month, stops, resumptions, reviews."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.PROTECT, related_name="entries")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=LedgerKind.choices)
    month = models.DateField(_("month"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=9, decimal_places=2, default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "month"], condition=Q(kind="payment"), name="assistance_payment_month_uniq"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Pairing(PlaceScoped):
    """一联一: one party member paired with one household in difficulty, with a plan. ``place`` is
    the household's building."""

    member = models.ForeignKey("registry.PartyMember", on_delete=models.PROTECT, related_name="pairings")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="pairings")
    started_on = models.DateField(_("paired on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    plan = models.TextField(_("assistance plan"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["place_path", "id"]
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(ended_on__isnull=True),
                name="assistance_pairing_household_uniq",
            ),
            models.UniqueConstraint(
                fields=["member"], condition=Q(ended_on__isnull=True), name="assistance_pairing_member_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.member} ↔ {self.household}"


class PairingAction(models.Model):
    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(_("action"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")

    def __str__(self):
        return self.text


class PairingNote(models.Model):
    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("progress"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self):
        return self.text[:40]


class CaseCounter(models.Model):
    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"
