from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import tree


class PlaceScopedQuerySet(models.QuerySet):
    def under(self, *paths: str) -> "PlaceScopedQuerySet":
        return self.filter(tree.under_q("place_path", paths))


class PlaceScoped(models.Model):
    """Every tenant-owned row carries its place and that place's path.

    Scoping is then one indexed range filter (lianxin.core.access.restrict), and the path is
    the natural shard key. Moving a place rewrites ``place_path`` on every subclass
    (lianxin.places.services.place_move), and the other path columns a subclass names in
    ``extra_place_paths`` (a copy of another place's path, kept for the same one-range scoping).
    """

    extra_place_paths: tuple[str, ...] = ()

    place = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("place")
    )
    place_path = models.CharField(_("place path"), max_length=tree.PATH_LENGTH, db_index=True, editable=False)

    objects = PlaceScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # The path is derived from the place, never entered: read it fresh on every save, so a
        # place object held from before a move can never put a stale path on the row.
        if self.place_id:
            from lianxin.places.models import Place

            self.place_path = Place.objects.values_list("path", flat=True).get(pk=self.place_id)
        super().save(*args, **kwargs)


class WorkingDayDeadline(models.Model):
    """A deadline counted in official working days (lianxin.core.calendar).

    ``due_on`` is stored; when a year without a loaded official calendar is involved it is
    computed on weekends only and flagged provisional, and recomputed when that year is loaded.
    """

    due_from = models.DateField(_("counted from"))
    due_days = models.PositiveSmallIntegerField(_("working days allowed"))
    due_on = models.DateField(_("due on"), db_index=True)
    due_provisional = models.BooleanField(_("provisional deadline"), default=False, db_index=True)

    class Meta:
        abstract = True

    def set_deadline(self, start, days: int) -> None:
        from .calendar import add_working_days

        deadline = add_working_days(start, days)
        self.due_from, self.due_days = start, days
        self.due_on, self.due_provisional = deadline.due, deadline.provisional

    def is_overdue(self, today=None) -> bool:
        return self.due_on < (today or timezone.localdate())


class AuditHead(models.Model):
    """The single row holding the end of the audit hash chain; locked while an entry is appended."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    # After a retention purge: the first retained entry's number and the hash it chains from.
    anchor_seq = models.PositiveBigIntegerField(default=1)
    anchor_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"audit head #{self.seq}"


class AuditEntry(models.Model):
    """One append-only, hash-chained record of a write or a reveal (lianxin.core.audit)."""

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=40, blank=True)
    place_id_snapshot = models.BigIntegerField(_("place id"), null=True, blank=True)
    place_path = models.CharField(_("place path"), max_length=tree.PATH_LENGTH, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, blank=True)
    ip = models.CharField(_("source address"), max_length=45, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # 1: entries written before outcome/ip/request_id existed (hashed without them); 2: hashed with them.
    chain_version = models.PositiveSmallIntegerField(default=2)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_audit_object_idx")]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit entries are append-only")


class CalendarYear(models.Model):
    """A year whose official calendar (holidays and 调休 make-up workdays) is loaded."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self):
        return str(self.year)


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    WORKDAY = "workday", _("Make-up working day")


class CalendarDay(models.Model):
    """A date that departs from the Monday–Friday rule: a holiday on a weekday or a make-up workday."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"


class Notification(models.Model):
    """An in-app inbox message. Other channels (email, SMS …) are sent after commit."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # NULL, not "": many notifications have no key, and NULLs never collide in the unique constraint.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="core_notification_dedupe_uniq")
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_notif_unread_idx")]

    def __str__(self):
        return self.title


class TodoStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TodoQuerySet(PlaceScopedQuerySet):
    def open(self):
        return self.filter(status=TodoStatus.OPEN)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


class Todo(PlaceScoped, WorkingDayDeadline):
    """A piece of work owed by one person by a working-day deadline.

    Later modules open todos (a visit to make, a request to answer); ``lianxin tick`` reminds
    the assignee one working day before the deadline and reports overdue ones.
    """

    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="todos", verbose_name=_("assignee")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=TodoStatus.choices, default=TodoStatus.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    objects = TodoQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("to-do")
        verbose_name_plural = _("to-dos")
        indexes = [models.Index(fields=["assignee", "status", "due_on"], name="core_todo_assignee_idx")]

    def __str__(self):
        return self.title
