"""Residents' requests (群众诉求) under first-contact responsibility (首问责任制, D4).

A request is recorded once, from any channel, by the staff member first asked: the *owner*. The owner
never changes and stays accountable; the work can be handed to a colleague, another community, the
subdistrict or a department (the *handler*), each hand-off recorded with its reason. The answer is due
in official working days (lianxin.core.calendar); the resident's rating closes the case, 不满意 reopens it
with a new deadline. Every step is a RequestEvent (who, when, what, before/after).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core import lookups, tree
from lianxin.core.models import PlaceScoped, PlaceScopedQuerySet, WorkingDayDeadline
from lianxin.places.models import COMMUNITY_PATH, GRID_PATH, PlaceKind

DEFAULT_DUE_DAYS = 5


class Channel(models.TextChoices):
    DESK = "desk", _("Walk-in desk")
    PHONE = "phone", _("Phone call")
    BOX = "box", _("Comment box")
    PORTAL = "portal", _("Resident portal")
    VISIT = "visit", _("Visit")
    GROUP_CHAT = "group_chat", _("Group chat")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Received")
    IN_PROGRESS = "in_progress", _("Handed off")
    ANSWERED = "answered", _("Answered")
    FOLLOWED_UP = "followed_up", _("Followed up")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged into another")


OPEN_STATUSES = (RequestStatus.OPEN, RequestStatus.IN_PROGRESS)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class HandlerKind(models.TextChoices):
    COLLEAGUE = "colleague", _("A colleague")
    COMMUNITY = "community", _("Another community")
    SUBDISTRICT = "subdistrict", _("The subdistrict")
    DEPARTMENT = "department", _("A department")


# The place a request handed to a community or to the subdistrict is handed to (handler_place): its
# path is never longer than a community's, so no grid or building ever receives one (selectors).
HANDOFF_PLACE_KINDS = {
    HandlerKind.COMMUNITY: PlaceKind.COMMUNITY,
    HandlerKind.SUBDISTRICT: PlaceKind.SUBDISTRICT,
}


class LinkKind(models.TextChoices):
    ASSISTANCE = "assistance", _("Assistance case")
    DISPUTE = "dispute", _("Dispute")
    MUST_VISIT = "must_visit", _("Member's must-visit task")


class EventKind(models.TextChoices):
    INTAKE = "intake", _("Recorded")
    HANDOFF = "handoff", _("Handed off")
    REPLY = "reply", _("Answered")
    FOLLOW_UP = "follow_up", _("Followed up")
    RATING = "rating", _("Rated")
    REOPEN = "reopen", _("Reopened")
    MERGE = "merge", _("Merged")
    LINK = "link", _("Linked")
    REMINDER = "reminder", _("Reminder sent")
    ESCALATION = "escalation", _("Escalated")
    DEADLINE = "deadline", _("Deadline recomputed")


class RequestCategory(models.Model):
    """What a request is about; each category sets its own answer deadline in working days."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    due_days = models.PositiveSmallIntegerField(_("working days to answer"), default=DEFAULT_DUE_DAYS)
    active = models.BooleanField(_("in use"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_days__gte=1, due_days__lte=60), name="appeals_category_due_days_range"
            )
        ]

    def __str__(self):
        return self.name


class CaseCounter(models.Model):
    """The last case number given out in a year; locked while the next one is taken."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class RequestQuerySet(PlaceScopedQuerySet):
    def live(self):
        """Everything but duplicates merged into another request."""
        return self.exclude(status=RequestStatus.MERGED)

    def open(self):
        # The statuses written into the SQL: the open-work indexes (Meta.indexes) then match it.
        return self.filter(lookups.among("status", OPEN_STATUSES))

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


class Request(PlaceScoped, WorkingDayDeadline):
    """One resident's request. ``place`` is where it concerns (a community, grid or building)."""

    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    serial = models.PositiveIntegerField(_("serial"), editable=False)
    number = models.CharField(_("case number"), max_length=16, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    category = models.ForeignKey(
        RequestCategory, on_delete=models.PROTECT, related_name="requests", verbose_name=_("category")
    )
    description = models.TextField(_("description"))
    anonymous = models.BooleanField(_("anonymous"), default=False)
    resident = models.ForeignKey(
        "registry.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    requester_name = models.CharField(_("requester's name"), max_length=60, blank=True)
    requester_phone = models.CharField(_("requester's phone"), max_length=20, blank=True)
    # Digits only, for the portal's status lookup (case number + phone).
    phone_digits = models.CharField(max_length=20, blank=True, editable=False)
    source_visit_id = models.PositiveBigIntegerField(_("from visit"), null=True, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first-contact owner"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current handler"),
    )
    handler_kind = models.CharField(
        _("handled by"), max_length=12, choices=HandlerKind.choices, default=HandlerKind.COLLEAGUE
    )
    handler_place = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handling place"),
    )
    handler_label = models.CharField(_("handling department"), max_length=100, blank=True)
    # handler_place's path, so "visible from either side of a hand-off" is a filter on this table, not
    # a join (selectors.request_list); rewritten by place_move like place_path. NULL, not '', when the
    # request was never handed to a place: the index on its community prefix (Meta.indexes) then
    # holds only hand-offs, and PostgreSQL's estimate for "handed to this community" stays small. No
    # index on the column itself: with one, SQLite answers the list's OR of ranges by merging both
    # indexes and sorting every visible row instead of walking the primary key newest first.
    handler_place_path = models.CharField(  # noqa: DJ001 (NULL on purpose, see above)
        max_length=tree.PATH_LENGTH, null=True, blank=True, editable=False
    )

    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN, db_index=True
    )
    received_on = models.DateField(_("received on"), db_index=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    first_answer_on_time = models.BooleanField(_("first answer on time"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_summary = models.TextField(_("answer"), blank=True)
    follow_up_on = models.DateField(_("follow-up day"), null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    # 0: not escalated in this cycle; 1: the community secretary was told; 2: the subdistrict too.
    escalation_level = models.PositiveSmallIntegerField(_("escalation"), default=0)

    objects = RequestQuerySet.as_manager()
    extra_place_paths = ("handler_place_path",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="appeals_request_serial_uniq"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="appeals_request_due_idx"),
            # The sweep's escalation candidates: open, overdue, at one level — a tight range however
            # large the backlog already escalated (status, due_on alone reads every overdue request).
            models.Index(fields=["status", "escalation_level", "due_on"], name="appeals_request_esc_idx"),
            models.Index(fields=["place_path", "received_on"], name="appeals_request_scope_idx"),
            # One community's or grid's requests newest first, from either side of a hand-off (to a
            # community or a subdistrict: no grid index on that side): the API's list reads a page of
            # them by walking these (selectors.request_rows), not the whole table's primary key, where
            # a city's other 249 communities sit in between.
            models.Index(
                tree.Prefix("place_path", COMMUNITY_PATH), F("id"), name="appeals_request_community_idx"
            ),
            models.Index(tree.Prefix("place_path", GRID_PATH), F("id"), name="appeals_request_grid_idx"),
            # The same for open work only (RequestQuerySet.open writes its statuses into the SQL, so
            # these match it): a community's queue of open requests is a short walk even where most
            # of its requests are closed, or where open ones lie scattered among them.
            models.Index(
                tree.Prefix("place_path", COMMUNITY_PATH),
                F("id"),
                name="appeals_request_community_open",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                tree.Prefix("place_path", GRID_PATH),
                F("id"),
                name="appeals_request_grid_open",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                tree.Prefix("handler_place_path", COMMUNITY_PATH),
                F("id"),
                name="appeals_request_hcommunity_idx",
                condition=Q(handler_place_path__isnull=False),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, today=None) -> bool:
        return self.is_open and self.is_overdue(today)

    def requester_label(self) -> str:
        if self.anonymous:
            return str(_("Anonymous"))
        if self.resident_id:
            return self.resident.name
        return self.requester_name


class RequestEvent(models.Model):
    """One step of a request's history (who, when, what, before/after), read with the request."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("step"), max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    from_status = models.CharField(_("from"), max_length=12, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=RequestStatus.choices, blank=True)
    text = models.TextField(_("details"), blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self):
        return f"{self.request_id} {self.kind}"


def attachment_path(instance, filename):
    # The stored name never uses the uploaded one: no path tricks, no personal data in names.
    return f"appeals/{instance.request.year}/{instance.request_id}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    """An image or PDF attached to a request, stored through Django's storage under the data dir."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=32, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class RequestLink(models.Model):
    """A request carried over to another module (最多报一次): an assistance case, a dispute or a
    member's must-visit task. Those modules do not exist yet, so the target is a kind and an id."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(_("kind"), max_length=12, choices=LinkKind.choices)
    target_id = models.PositiveBigIntegerField(_("target id"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("request link")
        verbose_name_plural = _("request links")
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "target_id"], name="appeals_link_uniq")
        ]

    def __str__(self):
        return f"{self.request_id} → {self.kind}:{self.target_id or '-'}"
