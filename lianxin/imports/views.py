"""Import and export pages (D2, issue 3 items 7–8).

Upload → dry-run report → commit (POST, once) → result; "my imports"; the templates; and .xlsx
exports of the registry lists with the list page's own filters. Every write goes through
lianxin.imports.services; a job is read only through lianxin.imports.selectors (another user's job
answers 404 like a missing one).
"""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core import access
from lianxin.core.access import Action
from lianxin.places import selectors as place_selectors
from lianxin.registry import selectors as registry_selectors
from lianxin.registry.models import Difficulty, MemberKind
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import staff_required

from . import selectors, services
from .forms import UploadForm
from .models import ImportKind, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAMES = {ImportKind.HOUSEHOLDS: "户情导入模板.xlsx", ImportKind.MEMBERS: "党员导入模板.xlsx"}


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    # RFC 6266 / 5987: old browsers take the ASCII name, current ones the Chinese one.
    response["Content-Disposition"] = (
        f'attachment; filename="{filename.encode("ascii", "ignore").decode() or "export.xlsx"}"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response


def _get_job_for_user(user, pk):
    access.require(user, Action.IMPORT_PEOPLE)
    return selectors.import_job_get(actor=user, pk=pk)


@staff_required
def imports(request):
    """My imports, newest first."""
    access.require(request.user, Action.IMPORT_PEOPLE)
    jobs = selectors.import_job_list(actor=request.user)[:100]
    return render(request, "imports/list.html", {"jobs": jobs, "kinds": ImportKind.choices})


@staff_required
def import_upload(request):
    access.require(request.user, Action.IMPORT_PEOPLE)
    initial = {"kind": request.GET["kind"]} if request.GET.get("kind") in ImportKind.values else None
    form = UploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_upload(
                actor=request.user, kind=form.cleaned_data["kind"], file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("import_detail", pk=job.pk)
    return render(request, "imports/upload.html", {"form": form, "kinds": ImportKind.choices})


@staff_required
def import_detail(request, pk):
    """The dry-run report (or, once committed, the result)."""
    job = _get_job_for_user(request.user, pk)
    report = job.report or {}
    counts = report.get("counts") or {}
    return render(
        request,
        "imports/detail.html",
        {
            "job": job,
            "report": report,
            "counts": [(_count_label(key), n) for key, n in counts.items() if n],
            "problems": report.get("problems") or [],
            "changes": [
                {**change, "fields": [_field_label(f) for f in change.get("fields", [])]}
                for change in report.get("changes") or []
            ],
            "can_commit": job.status == ImportStatus.READY,
            "committed": job.status == ImportStatus.COMMITTED,
            "list_url": reverse("members" if job.kind == ImportKind.MEMBERS else "households"),
        },
    )


def _field_label(name: str) -> str:
    labels = {
        "name": _("Name"),
        "phone": _("Phone"),
        "household": _("Household"),
        "relationship": _("Relationship to the head"),
        "place": _("Address"),
        "organization": _("Organization"),
        "kind": _("Kind"),
        "joined_on": _("Joined on"),
        "probation_ends_on": _("Probation ends on"),
        "status": _("Status"),
        "membership": _("New party membership"),
        "mobile_destination": _("Where they went"),
        "mobile_contact": _("Contact while away"),
        "receiving_organization_name": _("Receiving organization"),
    }
    return labels.get(name, name)


def _count_label(key: str) -> str:
    labels = {
        "residents_created": _("New residents"),
        "residents_updated": _("Residents updated"),
        "households_created": _("New households"),
        "members_created": _("New party members"),
        "members_updated": _("Party members updated"),
        "difficulties_created": _("New difficulty records"),
        "difficulties_updated": _("Difficulty records updated"),
        "residents_unchanged": _("Residents unchanged"),
        "unchanged": _("Unchanged (already registered)"),
        "blank_rows": _("Blank rows skipped"),
    }
    return labels.get(key, key)


@staff_required
@require_POST
def import_commit(request, pk):
    job = _get_job_for_user(request.user, pk)
    try:
        job = services.import_commit(actor=request.user, job=job)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("import_detail", pk=job.pk)
    if job.status == ImportStatus.COMMITTED:
        messages.success(request, _("The file has been imported."))
    else:
        messages.error(
            request, _("Nothing was imported: the data changed since the check. See the new report.")
        )
    return redirect("import_detail", pk=job.pk)


@staff_required
def import_template(request, kind):
    access.require(request.user, Action.IMPORT_PEOPLE)
    if kind not in ImportKind.values:
        raise Http404
    return _xlsx_response(services.template_workbook(kind), TEMPLATE_NAMES[kind])


# --- exports of the registry lists --------------------------------------------------------------


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


@staff_required
@require_POST
def export_households(request):
    """The residents of the households the household list shows (same filters, same scope)."""
    access.require(request.user, Action.EXPORT_PEOPLE)
    access.require(request.user, Action.VIEW_PEOPLE)
    difficulty = request.GET.get("difficulty", "")
    if difficulty not in Difficulty.values:
        difficulty = ""
    households = registry_selectors.household_list(
        actor=request.user, q=request.GET.get("q", "").strip(), difficulty=difficulty
    )
    residents = registry_selectors.resident_list(actor=request.user).filter(
        household__in=households.values("pk")
    )
    return _export(
        request,
        lambda kind, query: services.export_residents(
            actor=request.user, queryset=residents.order_by("place_path", "pk"), kind=kind, query=query
        ),
        "export_households",
        f"户情台账-{_stamp()}.xlsx",
    )


@staff_required
@require_POST
def export_residents(request):
    access.require(request.user, Action.EXPORT_PEOPLE)
    access.require(request.user, Action.VIEW_PEOPLE)
    residents = registry_selectors.resident_list(actor=request.user, q=request.GET.get("q", "").strip())
    return _export(
        request,
        lambda kind, query: services.export_residents(
            actor=request.user, queryset=residents, kind=kind, query=query
        ),
        "export_residents",
        f"居民名单-{_stamp()}.xlsx",
    )


@staff_required
@require_POST
def export_members(request):
    access.require(request.user, Action.EXPORT_PEOPLE)
    access.require(request.user, Action.VIEW_MEMBERS)
    kind = request.GET.get("kind", "")
    if kind not in MemberKind.values:
        kind = ""
    organization = None
    if request.GET.get("organization"):
        organization = place_selectors.org_get(actor=request.user, pk=request.GET["organization"])
    members = registry_selectors.member_list(
        actor=request.user, q=request.GET.get("q", "").strip(), kind=kind, organization=organization
    )
    return _export(
        request,
        lambda kind, query: services.export_members(
            actor=request.user, queryset=members, kind=kind, query=query
        ),
        "export_members",
        f"党员名单-{_stamp()}.xlsx",
    )


def _export(request, run, kind: str, filename: str):
    """Run one export; a refusal (approval needed, too many exports) is a message, not a file."""
    try:
        data = run(kind, request.META.get("QUERY_STRING", ""))
    except services.ExportRefused as exc:
        messages.warning(request, exc.message)
        return redirect("export_requests")
    return _xlsx_response(data, filename)


@staff_required
def export_requests(request):
    """My requests to export long lists, and others' requests awaiting my decision (issue 12)."""
    access.require_any(request.user, [Action.EXPORT_PEOPLE, Action.APPROVE_EXPORT])
    mine, to_decide = services.export_request_list(actor=request.user)
    return render(request, "imports/export_requests.html", {"mine": mine, "to_decide": to_decide})


@staff_required
@require_POST
def export_request_decide(request, pk):
    try:
        services.export_request_decide(actor=request.user, pk=pk, approve=request.POST.get("approve") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("export_requests")
