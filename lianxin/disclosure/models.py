"""D9 and D12: the disclosure board (党务/居务公开) with versions and fingerprints, the comment box, the resident portal's public pages.

A board item is published once and never changed: its content columns are guarded in ``save`` (every
route: forms, API, admin, services), by a database trigger (raw UPDATEs too, see migration 0002), and
``delete`` is refused. A correction is a new version linked to the old one; the old one stays visible,
marked corrected.
"""

import datetime as dt
import hashlib
import json
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core import crypto
from lianxin.core.models import PlaceScoped, PlaceScopedQuerySet, WorkingDayDeadline


class Section(models.TextChoices):
    PARTY = "party", _("Party affairs")
    GOVERNMENT = "government", _("Government affairs")
    AFFAIRS = "affairs", _("Community affairs")
    FINANCE = "finance", _("Finances")
    SERVICE = "service", _("Services")


class ItemKind(models.TextChoices):
    LONG_TERM = "long_term", _("Long-term")
    PERIODIC = "periodic", _("Periodic")
    IMMEDIATE = "immediate", _("Immediate")


class Topic(models.TextChoices):
    """What a board item also is on the portal: a policy, a service guide or a news item (D12)."""

    NOTICE = "", _("Notice")
    POLICY = "policy", _("Policy")
    GUIDE = "guide", _("Service guide")
    NEWS = "news", _("Community news")


class ItemStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CORRECTED = "corrected", _("Corrected")


# The columns that make up an item's content: frozen from publication on.
CONTENT_FIELDS = (
    "place",
    "section",
    "kind",
    "topic",
    "title",
    "body",
    "starts_on",
    "ends_on",
    "due_on",
    "source_type",
    "source_id",
    "source_key",
    "version",
    "previous",
    "fingerprint",
    "correction_reason",
    "code",
    "published_at",
    "published_by",
    "created_by",
    "created_at",
)


class ImmutableError(ValidationError):
    """A published board item was to be changed or deleted."""


def immutable_message() -> str:
    return str(
        _("This item is published and cannot be changed: publish a correction (a new version) instead.")
    )


def canonical_text(*, section, title, body, starts_on=None, ends_on=None, due_on=None) -> str:
    """The canonical form hashed for the fingerprint: line endings unified, trailing spaces and
    surrounding blank lines dropped, dates as ISO strings, keys sorted, UTF-8 without escapes."""

    def clean(text: str) -> str:
        lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        return "\n".join(lines).strip()

    def day(value):
        return value.isoformat() if isinstance(value, dt.date) else (value or None)

    payload = {
        "v": 1,
        "section": section,
        "title": clean(title),
        "body": clean(body),
        "starts_on": day(starts_on),
        "ends_on": day(ends_on),
        "due_on": day(due_on),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def fingerprint(**content) -> str:
    return hashlib.sha256(canonical_text(**content).encode()).hexdigest()


def new_code() -> str:
    # 10 characters of an unambiguous alphabet (no 0/O/1/I/L): short enough to type from paper.
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class BoardItemQuerySet(PlaceScopedQuerySet):
    def delete(self):
        """Bulk deletes (which bypass ``BoardItem.delete``) are refused as soon as one row is published."""
        if self.exclude(status=ItemStatus.DRAFT).exists():
            raise ImmutableError(immutable_message(), code="immutable")
        return super().delete()

    def public(self):
        """What the public sees: published versions and the corrected ones they replaced."""
        return self.exclude(status=ItemStatus.DRAFT)

    def current(self):
        return self.filter(status=ItemStatus.PUBLISHED)

    def visible_on(self, day: dt.date):
        return self.filter(Q(starts_on__isnull=True) | Q(starts_on__lte=day)).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=day)
        )


class BoardItem(PlaceScoped):
    """One version of one item of the disclosure board of a community (or a higher place)."""

    section = models.CharField(_("section"), max_length=12, choices=Section.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=ItemKind.choices, default=ItemKind.IMMEDIATE)
    topic = models.CharField(_("portal topic"), max_length=10, choices=Topic.choices, blank=True, default="")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    starts_on = models.DateField(_("shown from"), null=True, blank=True)
    ends_on = models.DateField(_("shown until"), null=True, blank=True)
    due_on = models.DateField(_("due by"), null=True, blank=True, db_index=True)
    source_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source type"),
    )
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    source_key = models.CharField(_("source key"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.DRAFT, db_index=True
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("previous version"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True)
    code = models.CharField(_("short code"), max_length=12, unique=True, default=new_code, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)

    objects = BoardItemQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]
        verbose_name = _("board item")
        verbose_name_plural = _("board items")
        constraints = [
            # One live version per source key and place: a second publish becomes a correction.
            models.UniqueConstraint(
                fields=["place", "source_key"],
                condition=~Q(source_key="") & ~Q(status="corrected"),
                name="disclosure_item_source_key_uniq",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(published_at__isnull=False) & ~Q(fingerprint="")),
                name="disclosure_item_published_has_fingerprint",
            ),
            models.CheckConstraint(
                condition=Q(version=1) | (Q(previous__isnull=False) & ~Q(correction_reason="")),
                name="disclosure_item_correction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="disclosure_item_window_order",
            ),
        ]
        indexes = [
            models.Index(fields=["place_path", "section", "status"], name="disclosure_item_scope_idx"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self):
        return reverse("disclosure_portal_item", args=[self.pk])

    def get_short_url(self):
        return reverse("disclosure_portal_short", args=[self.code])

    @property
    def is_draft(self) -> bool:
        return self.status == ItemStatus.DRAFT

    @property
    def is_corrected(self) -> bool:
        return self.status == ItemStatus.CORRECTED

    def compute_fingerprint(self) -> str:
        return fingerprint(
            section=self.section,
            title=self.title,
            body=self.body,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            due_on=self.due_on,
        )

    @property
    def fingerprint_short(self) -> str:
        """The fingerprint in groups of four, first 16 characters: easy to compare with a paper copy."""
        return " ".join(self.fingerprint[i : i + 4] for i in range(0, 16, 4)).upper()

    def published_late(self) -> bool:
        return bool(self.due_on and self.published_at and timezone.localdate(self.published_at) > self.due_on)

    def newer(self):
        return getattr(self, "next_version", None)

    def latest(self):
        item = self
        while (nxt := item.newer()) is not None:
            item = nxt
        return item

    def history(self) -> list:
        """All versions, oldest first."""
        chain = [self]
        while chain[0].previous_id:
            chain.insert(0, chain[0].previous)
        while (nxt := chain[-1].newer()) is not None:
            chain.append(nxt)
        return chain

    def save(self, *args, **kwargs):
        if not self._state.adding and self.pk:
            stored = type(self).objects.filter(pk=self.pk).first()
            if stored is not None and stored.status != ItemStatus.DRAFT:
                changed = [
                    name
                    for name in CONTENT_FIELDS
                    if getattr(stored, self._meta.get_field(name).attname)
                    != getattr(self, self._meta.get_field(name).attname)
                ]
                allowed = {
                    (ItemStatus.PUBLISHED, ItemStatus.PUBLISHED),
                    (ItemStatus.PUBLISHED, ItemStatus.CORRECTED),
                    (ItemStatus.CORRECTED, ItemStatus.CORRECTED),
                }
                if changed or (stored.status, self.status) not in allowed:
                    raise ImmutableError(immutable_message(), code="immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != ItemStatus.DRAFT:
            raise ImmutableError(immutable_message(), code="immutable")
        return super().delete(*args, **kwargs)


class CommentKind(models.TextChoices):
    COMMENT = "comment", _("Comment or suggestion")
    REPORT = "report", _("Report of misconduct")


class CommentStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Being handled")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class CommentQuerySet(PlaceScopedQuerySet):
    def open(self):
        return self.filter(status__in=[CommentStatus.RECEIVED, CommentStatus.ASSIGNED])

    def published(self):
        """Answers residents may read on the portal: answered and the submitter agreed."""
        return self.filter(
            status__in=[CommentStatus.ANSWERED, CommentStatus.CLOSED], publish_agreed=True
        ).exclude(answer="")


class Comment(PlaceScoped, WorkingDayDeadline):
    """A comment or report put into the comment box (意见箱) of a community. Anonymous allowed; the
    phone number is stored encrypted (only its masked form shows); answered within a number of
    working days; the answer is published only when the submitter agreed."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=10, choices=CommentKind.choices, default=CommentKind.COMMENT
    )
    subject = models.CharField(_("subject"), max_length=120)
    text = models.TextField(_("comment"))
    anonymous = models.BooleanField(_("anonymous"), default=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    phone_enc = models.TextField(_("phone"), blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    publish_agreed = models.BooleanField(_("answer may be published"), default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CommentStatus.choices,
        default=CommentStatus.RECEIVED,
        db_index=True,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = CommentQuerySet.as_manager()
    encrypted_fields = ("phone_enc",)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False) | (Q(name="") & Q(phone_enc="")),
                name="disclosure_comment_anonymous_has_no_identity",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["received", "assigned"]) | ~Q(answer=""),
                name="disclosure_comment_answered_has_answer",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    def set_phone(self, phone: str) -> None:
        digits = "".join(ch for ch in phone or "" if ch.isdigit())
        self.phone_enc = crypto.encrypt(digits)
        self.phone_masked = f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else ("*" * len(digits))

    def phone_reveal(self) -> str:
        return crypto.decrypt(self.phone_enc)

    @property
    def is_open(self) -> bool:
        return self.status in (CommentStatus.RECEIVED, CommentStatus.ASSIGNED)

    @property
    def answer_public(self) -> bool:
        return self.publish_agreed and bool(self.answer) and not self.is_open

    def submitter_label(self) -> str:
        return str(_("Anonymous")) if self.anonymous else self.name
