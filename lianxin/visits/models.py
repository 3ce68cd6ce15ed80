"""Visits and coverage (走访/回访, D5).

Visit days (走访日, by default the 5th–6th) and follow-up days (回访日, by default the 29th–30th)
are set per community (``VisitSchedule``). Pairs of staff cover about a hundred households each
("两人一组包百户", ``VisitAssignment``). Each visit to a household is one ``Visit`` row, scoped by
the household's place, so lianxin.core.access.restrict applies to it like to the household.
Community assistants (协理员) owe a call each week, a meeting each fortnight and a summary each
quarter; each one done is an ``AssistantDuty`` row (what is due or overdue is derived, never stored).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.models import PlaceScoped, PlaceScopedQuerySet

DEFAULT_VISIT_DAYS = "5,6"
DEFAULT_FOLLOWUP_DAYS = "29,30"


class VisitSchedule(PlaceScoped):
    """A community's visit days and follow-up days (days of the month, comma-separated).

    A day beyond the end of a short month moves the whole set back so that it ends on the month's
    last day: 29–30 becomes 27–28 in February and 28–29 in a leap February.
    """

    visit_days = models.CharField(_("visit days"), max_length=40, default=DEFAULT_VISIT_DAYS)
    followup_days = models.CharField(_("follow-up days"), max_length=40, default=DEFAULT_FOLLOWUP_DAYS)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("visit schedule")
        verbose_name_plural = _("visit schedules")
        constraints = [models.UniqueConstraint(fields=["place"], name="visits_schedule_place_uniq")]

    def __str__(self):
        return f"{self.place} {self.visit_days} / {self.followup_days}"


class VisitAssignmentQuerySet(PlaceScopedQuerySet):
    def active(self):
        return self.filter(ended_on__isnull=True)

    def of_user(self, user):
        return self.filter(Q(first_id=user.pk) | Q(second_id=user.pk))


class VisitAssignment(PlaceScoped):
    """Two staff who visit a set of households together (两人一组包百户).

    ``place`` is the grid (or building, or community) they cover. When ``households`` is empty the
    pair covers every household under ``place``; otherwise exactly the households listed.
    """

    first = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("first member")
    )
    second = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("second member")
    )
    households = models.ManyToManyField(
        "registry.Household", blank=True, related_name="+", verbose_name=_("households")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = VisitAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["place_path", "pk"]
        verbose_name = _("visit pair")
        verbose_name_plural = _("visit pairs")
        constraints = [
            models.CheckConstraint(condition=~Q(first=models.F("second")), name="visits_pair_two_people"),
        ]

    def __str__(self):
        return f"{self.first} + {self.second} · {self.place}"


class VisitKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    FOLLOW_UP = "follow_up", _("Follow-up visit")


class Contact(models.TextChoices):
    MET = "met", _("Met at home")
    NOT_HOME = "not_home", _("Nobody at home")
    PHONE = "phone", _("By phone")


class VisitQuerySet(PlaceScopedQuerySet):
    def in_month(self, year: int, month: int):
        return self.filter(visited_on__year=year, visited_on__month=month)


class Visit(PlaceScoped):
    """One visit to a household: who went, when, what they found and whether to come back."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="visits", verbose_name=_("household")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=VisitKind.choices, default=VisitKind.VISIT)
    visited_on = models.DateField(_("visited on"), db_index=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("visitor")
    )
    companion = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("companion"),
    )
    contact = models.CharField(_("contact"), max_length=10, choices=Contact.choices, default=Contact.MET)
    findings = models.TextField(_("findings"), blank=True)
    needs_followup = models.BooleanField(_("follow-up needed"), default=False)
    # The resident's request a finding was turned into (lianxin.appeals), kept as a plain id so the
    # visit log does not depend on the requests module.
    request_id = models.BigIntegerField(_("request"), null=True, blank=True)
    # One form, one visit: a resubmitted or double-tapped form carries the same key.
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="visits_visit_idempotency_uniq"),
        ]
        indexes = [models.Index(fields=["household", "visited_on"], name="visits_household_day_idx")]

    def __str__(self):
        return f"{self.household_id} {self.visited_on}"


class DutyKind(models.TextChoices):
    WEEKLY_CALL = "weekly_call", _("Weekly phone call")
    FORTNIGHTLY_MEETING = "fortnightly_meeting", _("Fortnightly meeting")
    QUARTERLY_SUMMARY = "quarterly_summary", _("Quarterly summary")


class AssistantDuty(PlaceScoped):
    """One cadence item an assistant (协理员) has done: the period it belongs to and when."""

    assistant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assistant")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=DutyKind.choices)
    period_start = models.DateField(_("period from"))
    done_on = models.DateField(_("done on"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-period_start", "kind"]
        verbose_name = _("assistant duty")
        verbose_name_plural = _("assistant duties")
        constraints = [
            models.UniqueConstraint(
                fields=["assistant", "kind", "period_start"], name="visits_duty_period_uniq"
            )
        ]

    def __str__(self):
        return f"{self.assistant} {self.kind} {self.period_start}"
