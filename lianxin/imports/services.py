"""Spreadsheet import and export services (D2, issue 3 items 7–8). Pages and the API call only these.

    import_upload(*, actor, kind, file) -> ImportJob
        ``kind`` is "households" or "members"; ``file`` anything with ``.name`` and ``.read()`` (an
        UploadedFile). Requires IMPORT_PEOPLE somewhere (else PermissionDenied). Guards run before
        parsing (size cap, zip bomb, macro formats; lianxin.core.spreadsheets); then the dry run
        validates every row without writing. Returns the job: status READY (no problems) or INVALID,
        ``job.report`` a JSON dict:
            {"kind", "sheet", "header_row", "rows", "problem_count", "problems_truncated",
             "problems": [{"sheet", "row", "column", "code", "message"}, ...],   # row as Excel shows it
             "counts": {"residents_created", "members_created", "members_updated", "unchanged", ...},
             "changes": [{"row", "name", "id_number" (masked), "fields": [...]}, ...],  # updates
             "file_sha256", "already_imported_as" (job id of an earlier commit of the same file, or null)}
        A refused file gives an INVALID job whose single problem has row None (and no stored bytes).

    import_commit(*, actor, job) -> ImportJob
        Only the uploader, only a READY job. In ONE transaction: compare-and-set READY → COMMITTED on
        the job row (a double submit commits once: the second waits for the row lock, then finds the
        job committed and returns it unchanged), re-validate every row against the current data and
        write through lianxin.registry.spreadsheets (bulk writes with the services' validation and
        encryption), then ONE audit entry "import.commit" with the counts, the file's SHA-256 and the
        job id — not one entry per row. If the re-validation finds any problem, everything is rolled
        back and the job becomes INVALID with the new report. Killing the process mid-way leaves
        nothing (scripts/import_drill.py).

    template_workbook(kind) -> bytes                      an .xlsx template, every column Text
    export_residents(*, actor, queryset) -> bytes         .xlsx; needs EXPORT_PEOPLE; masked IDs
    export_members(*, actor, queryset) -> bytes           .xlsx; needs EXPORT_PEOPLE; masked IDs
        The queryset should come from a scoped selector (registry.selectors.resident_list/member_list);
        it is narrowed through lianxin.core.access again here, so an unscoped one cannot leak.
        Each export is audited ("export.residents"/"export.members", with the row count).

Reads: lianxin.imports.selectors.import_job_list(*, actor) / import_job_get(*, actor, pk).
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.accounts.models import RoleAssignment
from lianxin.core import access, audit, bulk, tree
from lianxin.core import spreadsheets as sheets
from lianxin.core.access import Action
from lianxin.core.models import AuditEntry
from lianxin.core.notifications import notify
from lianxin.places.models import Place
from lianxin.registry import spreadsheets as registry_sheets
from lianxin.registry.models import PartyMember, Resident

from .models import ExportRequest, ExportStatus, ImportJob, ImportKind, ImportStatus


def _home_place(actor, action: str = Action.IMPORT_PEOPLE) -> Place | None:
    """The root of the actor's scope for ``action``, when there is one (where the audit entry is filed)."""
    roots = access.scope_paths(actor, action)
    if len(roots) == 1 and roots[0]:
        return Place.objects.filter(path=roots[0]).first()
    return None


def _read(file) -> tuple[str, bytes]:
    name = getattr(file, "name", "") or ""
    size = getattr(file, "size", None)
    if size is not None and size > sheets.max_bytes():
        # Refuse before pulling a huge upload into memory.
        raise sheets.SpreadsheetError(
            "too_large",
            _("The file is %(size)s MB; the limit is %(limit)s MB. Please split it into smaller files."),
            {"size": round(size / 1048576, 1), "limit": round(sheets.max_bytes() / 1048576, 1)},
        )
    data = file.read(sheets.max_bytes() + 1)
    return name, data


def import_upload(*, actor, kind: str, file) -> ImportJob:
    """Store the upload and its dry-run report (see the module docstring)."""
    access.require(actor, Action.IMPORT_PEOPLE)
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose what the file contains.")})
    job = ImportJob(kind=kind, created_by=actor, place=_home_place(actor), status=ImportStatus.INVALID)
    job.file_name = (getattr(file, "name", "") or "")[:255]
    try:
        name, data = _read(file)
        job.file_size = len(data)
        fmt = sheets.file_format(name, data)
    except sheets.SpreadsheetError as exc:
        job.report = _refused(kind, exc)
        job.save()
        return job
    job.file_format, job.content = fmt, data
    job.file_sha256 = registry_sheets.file_sha256(data)
    job.report = _dry_run(actor, job, data, fmt)
    job.status = ImportStatus.READY if job.report["problem_count"] == 0 else ImportStatus.INVALID
    blobs = {"content": job.content, "prepared": job.prepared}
    job.content = job.prepared = b""
    with transaction.atomic():
        job.save()
        bulk.save_binary(ImportJob, job.pk, blobs)
    job.content, job.prepared = blobs["content"], blobs["prepared"]
    return job


def _refused(kind: str, exc: sheets.SpreadsheetError) -> dict:
    return {
        "kind": kind,
        "sheet": "",
        "header_row": None,
        "rows": 0,
        "counts": {},
        "problem_count": 1,
        "problems": [{"sheet": "", "row": None, "column": "", "code": exc.code, "message": exc.message}],
        "problems_truncated": False,
        "changes": [],
        "changes_truncated": False,
        "file_sha256": "",
        "already_imported_as": None,
    }


def _prepared_context(actor, job: ImportJob) -> str:
    return f"import:{job.kind}:{job.file_sha256}:{actor.pk}"


def _dry_run(actor, job: ImportJob, data: bytes, fmt: str) -> dict:
    keep = None
    try:
        if job.kind == ImportKind.MEMBERS:
            keep = registry_sheets.PreparedRows(_prepared_context(actor, job))
            result = registry_sheets.import_members(actor=actor, data=data, fmt=fmt, write=False, keep=keep)
        else:
            result = registry_sheets.run_import(actor=actor, kind=job.kind, data=data, fmt=fmt, write=False)
    except sheets.SpreadsheetError as exc:
        return _refused(job.kind, exc)
    report = result.as_dict()
    if keep is not None and result.ok:
        job.prepared = keep.sealed()
    report["file_sha256"] = job.file_sha256
    earlier = (
        ImportJob.objects.filter(file_sha256=job.file_sha256, kind=job.kind, status=ImportStatus.COMMITTED)
        .values_list("pk", flat=True)
        .first()
    )
    report["already_imported_as"] = earlier
    return report


class _Rollback(Exception):
    def __init__(self, report: dict):
        self.report = report


def import_commit(*, actor, job: ImportJob) -> ImportJob:
    """Write a READY job, all or nothing, exactly once (see the module docstring)."""
    if job.created_by_id != getattr(actor, "pk", None):
        raise PermissionDenied
    access.require(actor, Action.IMPORT_PEOPLE)
    try:
        with bulk.large_page_cache(), transaction.atomic():
            claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
                status=ImportStatus.COMMITTED, committed_at=timezone.now()
            )
            if not claimed:
                job.refresh_from_db()
                if job.status == ImportStatus.COMMITTED:
                    return job
                raise ValidationError(_("This import has problems; upload a corrected file."))
            prepared, dry_run = ImportJob.objects.values_list("prepared", "report").get(pk=job.pk)
            report = None
            if prepared:
                # The rows the clean dry run validated, re-checked against the current data. A blob
                # that fails its seal (altered in the database, or the key is gone) is ignored: the
                # file is read and validated again instead, so nothing unchecked is ever written.
                report = registry_sheets.commit_prepared_members(
                    actor=actor,
                    sealed=bytes(prepared),
                    context=_prepared_context(actor, job),
                    dry_run=dry_run,
                )
            if report is None:
                content = ImportJob.objects.values_list("content", flat=True).get(pk=job.pk)
                report = registry_sheets.run_import(
                    actor=actor, kind=job.kind, data=bytes(content), fmt=job.file_format, write=True
                )
            result = report.as_dict() | {"file_sha256": job.file_sha256, "already_imported_as": None}
            if not report.ok:
                raise _Rollback(result)
            ImportJob.objects.filter(pk=job.pk).update(report=result, prepared=b"")
            audit.record(
                actor=actor,
                action="import.commit",
                obj=job,
                place=job.place,
                after={
                    "job": job.pk,
                    "kind": job.kind,
                    "file_name": job.file_name,
                    "file_sha256": job.file_sha256,
                    "rows": report.rows,
                    "counts": report.counts,
                },
            )
    except _Rollback as exc:
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
            status=ImportStatus.INVALID, report=exc.report, prepared=b""
        )
    job.refresh_from_db()
    return job


def template_workbook(kind: str) -> bytes:
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose what the file contains.")})
    return registry_sheets.template_workbook(kind)


class ExportRefused(Exception):
    """The export cannot go ahead now: ``code`` "approval" (a request was filed) or "rate"."""

    def __init__(self, code: str, message: str, request: "ExportRequest | None" = None):
        self.code, self.message, self.request = code, message, request
        super().__init__(message)


def approval_rows() -> int:
    return int(getattr(settings, "LIANXIN_EXPORT_APPROVAL_ROWS", 200))


def _check_rate(actor) -> None:
    limit = int(getattr(settings, "LIANXIN_EXPORT_RATE_PER_HOUR", 20))
    since = timezone.now() - dt.timedelta(hours=1)
    done = AuditEntry.objects.filter(actor=actor, action__startswith="export.", at__gte=since).count()
    if done >= limit:
        raise ExportRefused(
            "rate", _("You have exported %(n)d lists in the last hour; please wait a while.") % {"n": done}
        )


def _approvers(path: str) -> list:
    """Active holders of APPROVE_EXPORT on ``path`` or above it."""
    if not path:
        return []
    roles = [role for role, actions in access.ROLE_ACTIONS.items() if Action.APPROVE_EXPORT in actions]
    return [
        assignment.user
        for assignment in RoleAssignment.objects.filter(
            ended_at__isnull=True,
            role__in=roles,
            place__path__in=[*tree.ancestors_of(path), path],
            user__is_active=True,
        ).select_related("user")
    ]


def _approval_for(*, actor, kind: str, query: str, rows: int) -> "ExportRequest":
    """An approved, unused request for exactly this list, claimed now; else file one and refuse."""
    fresh = timezone.now() - dt.timedelta(days=1)
    mine = ExportRequest.objects.filter(requested_by=actor, kind=kind, query=query, created_at__gte=fresh)
    for request in mine.filter(status=ExportStatus.APPROVED):
        if ExportRequest.objects.filter(pk=request.pk, status=ExportStatus.APPROVED).update(
            status=ExportStatus.USED
        ):
            return request
    pending = mine.filter(status=ExportStatus.PENDING).first()
    if pending is None:
        place = _home_place(actor, Action.EXPORT_PEOPLE)
        with transaction.atomic():
            pending = ExportRequest.objects.create(
                requested_by=actor,
                kind=kind,
                query=query[:500],
                rows=rows,
                place_path=place.path if place else "",
            )
            audit.record(
                actor=actor,
                action="export.request",
                obj=pending,
                place=place,
                after={"kind": kind, "rows": rows},
            )
            notify(
                recipients=[u for u in _approvers(pending.place_path) if u.pk != actor.pk],
                title=_("%(name)s asks to export %(rows)d rows")
                % {"name": actor.get_full_name(), "rows": rows},
                url=reverse("export_requests"),
                dedupe_key=f"export-request:{pending.pk}",
            )
    raise ExportRefused(
        "approval",
        _(
            "This list has %(rows)d rows; exports of more than %(limit)d rows need the approval of a "
            "secretary or officer. Your request has been sent; download it from Export requests once approved."
        )
        % {"rows": rows, "limit": approval_rows()},
        pending,
    )


def _export(
    *,
    actor,
    queryset,
    model,
    action: str,
    view: str,
    build,
    fields: list[str],
    kind: str = "",
    query: str = "",
) -> bytes:
    """Every export: scoped twice, rate-limited, approved by another person past the row limit,
    watermarked with the exporter and the time, and audited with rows, fields and filters."""
    access.require(actor, Action.EXPORT_PEOPLE)
    if queryset.model is not model:
        raise ValueError(f"expected a {model.__name__} queryset")
    scoped = access.restrict(access.restrict(queryset, actor, Action.EXPORT_PEOPLE), actor, view)
    _check_rate(actor)
    rows = scoped.count()
    approval = None
    if rows > approval_rows():
        approval = _approval_for(actor=actor, kind=kind or action, query=query, rows=rows)
    watermark = _("Exported by %(name)s (%(login)s) at %(time)s from Lianxin; do not pass on") % {
        "name": actor.get_full_name(),
        "login": actor.get_username(),
        "time": timezone.localtime().isoformat(timespec="seconds"),
    }
    data = build(scoped, watermark=watermark, author=actor.get_username())
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=action,
            place=_home_place(actor),
            after={
                "rows": rows,
                "fields": fields,
                "filters": query,
                "approval": approval.pk if approval else None,
                "approved_by": approval.decided_by_id if approval else None,
            },
        )
    return data


def export_residents(*, actor, queryset, kind: str = "", query: str = "") -> bytes:
    """Residents of ``queryset`` within the actor's scope, masked, as .xlsx (see ``_export``)."""
    return _export(
        actor=actor,
        queryset=queryset,
        model=Resident,
        action="export.residents",
        view=Action.VIEW_PEOPLE,
        build=registry_sheets.residents_workbook,
        fields=registry_sheets.RESIDENT_EXPORT_HEADERS,
        kind=kind,
        query=query,
    )


def export_members(*, actor, queryset, kind: str = "", query: str = "") -> bytes:
    """Party members of ``queryset`` within the actor's scope, masked, as .xlsx (see ``_export``)."""
    return _export(
        actor=actor,
        queryset=queryset,
        model=PartyMember,
        action="export.members",
        view=Action.VIEW_MEMBERS,
        build=registry_sheets.members_workbook,
        fields=registry_sheets.MEMBER_EXPORT_HEADERS,
        kind=kind,
        query=query,
    )


# --- approval of large exports ------------------------------------------------------------------


def export_request_list(*, actor):
    """The actor's own requests, and those awaiting a decision the actor may take."""
    mine = ExportRequest.objects.filter(requested_by_id=getattr(actor, "pk", None))
    to_decide = ExportRequest.objects.none()
    if access.scope_paths(actor, Action.APPROVE_EXPORT):
        to_decide = access.restrict(
            ExportRequest.objects.filter(status=ExportStatus.PENDING).exclude(requested_by_id=actor.pk),
            actor,
            Action.APPROVE_EXPORT,
        )
    return mine.select_related("decided_by")[:50], to_decide.select_related("requested_by")[:100]


@transaction.atomic
def export_request_decide(*, actor, pk, approve: bool) -> ExportRequest:
    """Approve or reject another person's request (never one's own: four eyes)."""
    request = access.get_for_user(
        ExportRequest.objects.select_for_update(), actor, Action.APPROVE_EXPORT, pk=pk
    )
    access.require_not_self(actor, request.requested_by_id)
    if request.status != ExportStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    request.status = ExportStatus.APPROVED if approve else ExportStatus.REJECTED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(
        actor=actor,
        action="export.approve" if approve else "export.reject",
        obj=request,
        after={"requested_by": request.requested_by_id, "kind": request.kind, "rows": request.rows},
    )
    return request
