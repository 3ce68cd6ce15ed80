"""A spreadsheet import: the uploaded bytes, the dry-run report and its state (issue 3, item 7)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    HOUSEHOLDS = "households", _("Households and residents")
    MEMBERS = "members", _("Party members")


class ImportStatus(models.TextChoices):
    INVALID = "invalid", _("Has problems")
    READY = "ready", _("Ready to commit")
    COMMITTED = "committed", _("Committed")


class ImportJob(models.Model):
    """One uploaded file. READY → COMMITTED is a compare-and-set inside the commit's transaction."""

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    place = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("place"),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(max_length=8, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, db_index=True, blank=True)
    content = models.BinaryField(editable=False, blank=True)
    # The clean dry run's validated rows (registry.spreadsheets.PreparedRows): the commit writes these
    # instead of reading and validating the file again. Sealed with the field key; emptied on commit.
    prepared = models.BinaryField(editable=False, blank=True, default=b"")
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} {self.file_name}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    USED = "used", _("Downloaded")


class ExportRequest(models.Model):
    """A request to export a list longer than LIANXIN_EXPORT_APPROVAL_ROWS (issue 12 item 7).

    Another person with APPROVE_EXPORT over the requester's place decides; an approval serves one
    download of the same list (route and filters) within a day."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    kind = models.CharField(_("list"), max_length=40)
    query = models.CharField(_("filters"), max_length=500, blank=True)
    rows = models.PositiveIntegerField(_("rows"))
    place_path = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export request")
        verbose_name_plural = _("export requests")

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.rows})"

    def download_url(self) -> str:
        """The export page this request was made from (with its filters), when it has one."""
        from django.urls import NoReverseMatch, reverse

        try:
            url = reverse(self.kind)
        except NoReverseMatch:
            return ""
        return f"{url}?{self.query}" if self.query else url
