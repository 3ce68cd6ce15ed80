"""Pages of the governance module (D3, D1). Rows come through lianxin.governance.selectors (scoped;
"not yours" is 404), writes through lianxin.governance.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.appeals.services import check_upload
from lianxin.core import access
from lianxin.places.models import OrgField
from lianxin.registry.models import Household, MemberStatus, PartyMember
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import forms, selectors, services
from .actions import GovernanceAction
from .models import ApplicationStatus, ChainLevel, CheckStatus, ItemReview, StandardArea, StandardItem

VIEW, RUN, REVIEW, EDIT = (
    GovernanceAction.VIEW,
    GovernanceAction.RUN,
    GovernanceAction.REVIEW,
    GovernanceAction.EDIT_CHECKLIST,
)


def _viewer(request):
    access.require(request.user, VIEW)


def _can(request, action, obj) -> bool:
    return access.can(request.user, action, obj.place_path)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _multipart_form(request, form, *, save, done, title, back):
    """form_page for a form with a file: the template needs the multipart encoding."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(done(result))
    return render(request, "web/form.html", {"form": form, "title": title, "back": back, "multipart": True})


# --- overview and contact chains -----------------------------------------------------------------


@staff_required
def index(request):
    """Coverage and overdue contacts per organization; ratings and self-checks per subdistrict."""
    _viewer(request)
    year = timezone.localdate().year
    return render(
        request,
        "governance/index.html",
        {
            "tab": "index",
            "coverage": selectors.coverage_table(actor=request.user),
            "rollup": selectors.rollup(actor=request.user, year=year),
            "year": year,
            "levels": ChainLevel.choices,
        },
    )


@staff_required
def chains(request):
    _viewer(request)
    level = request.GET.get("level", "")
    if level not in ChainLevel.values:
        level = ""
    overdue = request.GET.get("overdue") == "1"
    return render(
        request,
        "governance/chains.html",
        {
            "tab": "chains",
            "links": selectors.link_list(actor=request.user, level=level, overdue_only=overdue)[:300],
            "delegates": selectors.delegate_list(actor=request.user)[:200],
            "cutoff": selectors.contact_cutoff(),
            "level": level,
            "overdue": overdue,
            "levels": ChainLevel.choices,
            "can_run": access.can(request.user, RUN),
        },
    )


def _members(user):
    return (
        access.restrict(PartyMember.objects.filter(status=MemberStatus.ACTIVE), user, RUN)
        .select_related("resident", "organization")
        .order_by("organization__path", "resident__name_pinyin")
    )


@staff_required
def link_create(request):
    access.require(request.user, RUN)
    form = forms.LinkForm(
        request.POST or None,
        organizations=selectors.organizations(actor=request.user, action=RUN),
        members=_members(request.user),
        households=access.restrict(Household.objects.select_related("place"), request.user, RUN).order_by(
            "place_path", "unit", "room"
        ),
    )
    return form_page(
        request,
        form,
        save=lambda data: services.link_assign(actor=request.user, **data),
        done=lambda link: reverse("governance_link", args=[link.pk]),
        title=_("Assign a contact"),
        back=reverse("governance_chains"),
    )


@staff_required
def delegate_create(request):
    access.require(request.user, RUN)
    form = forms.DelegateForm(
        request.POST or None,
        organizations=selectors.organizations(actor=request.user, action=RUN),
        members=_members(request.user),
    )
    return form_page(
        request,
        form,
        save=lambda data: services.delegate_add(actor=request.user, **data),
        done=lambda _delegate: reverse("governance_chains"),
        title=_("Add a party congress delegate"),
        back=reverse("governance_chains"),
    )


@staff_required
def link_detail(request, pk):
    _viewer(request)
    link = selectors.link_get(actor=request.user, pk=pk)
    return render(
        request,
        "governance/link.html",
        {
            "tab": "chains",
            "link": link,
            "entries": link.entries.select_related("request", "recorded_by"),
            "overdue": link.ended_on is None and link.since < selectors.contact_cutoff(),
            "can_run": _can(request, RUN, link),
            "request_form": forms.EntryRequestForm(),
        },
    )


@staff_required
def entry_create(request, pk):
    _viewer(request)
    link = selectors.link_get(actor=request.user, pk=pk)
    access.require(request.user, RUN, link.place_path)
    return form_page(
        request,
        forms.EntryForm(request.POST or None, initial={"contacted_on": timezone.localdate()}),
        save=lambda data: services.entry_record(actor=request.user, link=link, **data),
        done=lambda _entry: reverse("governance_link", args=[link.pk]),
        title=_("Log a contact with %(target)s") % {"target": link.target_label},
        back=reverse("governance_link", args=[link.pk]),
    )


@staff_required
@require_POST
def entry_request(request, pk):
    """Turn the problems of a contact into a residents' request (no retyping)."""
    entry = selectors.entry_get(actor=request.user, pk=pk)
    access.require(request.user, RUN, entry.place_path)
    form = forms.EntryRequestForm(request.POST)
    if form.is_valid():
        try:
            made = services.entry_to_request(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Request %(number)s opened.") % {"number": made.number})
    else:
        messages.error(request, _("Please choose the category."))
    return redirect("governance_link", entry.link_id)


# --- sitting in -----------------------------------------------------------------------------------


@staff_required
def sittings(request):
    _viewer(request)
    return render(
        request,
        "governance/sittings.html",
        {
            "tab": "sittings",
            "rows": selectors.open_meeting_list(actor=request.user)[:200],
            "can_run": access.can(request.user, RUN),
        },
    )


@staff_required
def sitting_open(request):
    access.require(request.user, RUN)
    return form_page(
        request,
        forms.OpenMeetingForm(request.POST or None, meetings=selectors.openable_meetings(actor=request.user)),
        save=lambda data: services.meeting_open(actor=request.user, **data),
        done=lambda row: reverse("governance_sitting", args=[row.pk]),
        title=_("Open a committee meeting to members"),
        back=reverse("governance_sittings"),
    )


@staff_required
def sitting_detail(request, pk):
    _viewer(request)
    row = selectors.open_meeting_get(actor=request.user, pk=pk)
    applications = list(row.applications.select_related("member__resident", "member__organization"))
    return render(
        request,
        "governance/sitting.html",
        {
            "tab": "sittings",
            "row": row,
            "applications": applications,
            "approved": sum(1 for a in applications if a.status == ApplicationStatus.APPROVED),
            "can_run": _can(request, RUN, row),
        },
    )


@staff_required
@require_POST
def application_decide(request, pk):
    application = selectors.application_get(actor=request.user, pk=pk)
    access.require(request.user, RUN, application.place_path)
    try:
        services.sitting_decide(
            actor=request.user,
            application=application,
            approve=request.POST.get("approve") == "1",
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("governance_sitting", application.open_meeting_id)


@staff_required
@require_POST
def application_attend(request, pk):
    application = selectors.application_get(actor=request.user, pk=pk)
    access.require(request.user, RUN, application.place_path)
    try:
        services.sitting_attend(
            actor=request.user,
            application=application,
            attended=request.POST.get("attended") == "1",
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("governance_sitting", application.open_meeting_id)


@login_required
def mine(request):
    """A member's own contacts and sitting-in applications; open committee meetings to apply to."""
    return render(request, "governance/mine.html", {"mine": selectors.my_governance(user=request.user)})


@login_required
@require_POST
def apply(request, pk):
    open_meeting = selectors.my_open_meeting(user=request.user, pk=pk)
    try:
        services.sitting_apply(
            user=request.user, open_meeting=open_meeting, motivation=request.POST.get("motivation", "")
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Your application has been sent. The secretary will decide."))
    return redirect("governance_mine")


# --- branch standards -----------------------------------------------------------------------------


@staff_required
def standards(request):
    _viewer(request)
    field = request.GET.get("field", OrgField.COMMUNITY)
    if field not in OrgField.values:
        field = OrgField.COMMUNITY
    items = StandardItem.objects.filter(field=field).order_by("position", "id")
    return render(
        request,
        "governance/standards.html",
        {
            "tab": "standards",
            "field": field,
            "fields": OrgField.choices,
            "items": items,
            "areas": StandardArea.choices,
            "total": sum(item.points for item in items if item.active),
            "can_edit": access.can(request.user, EDIT),
        },
    )


@staff_required
def item_create(request):
    access.require(request.user, EDIT)
    return form_page(
        request,
        forms.StandardItemForm(
            request.POST or None, initial={"field": request.GET.get("field", OrgField.COMMUNITY)}
        ),
        save=lambda data: services.item_save(actor=request.user, **data),
        done=lambda item: reverse("governance_standards") + f"?field={item.field}",
        title=_("New checklist item"),
        back=reverse("governance_standards"),
    )


@staff_required
def item_edit(request, pk):
    access.require(request.user, EDIT)
    item = StandardItem.objects.filter(pk=pk).first()
    if item is None:
        raise Http404
    initial = {name: getattr(item, name) for name in services.ITEM_FIELDS}
    return form_page(
        request,
        forms.StandardItemForm(request.POST or None, initial=initial),
        save=lambda data: services.item_save(actor=request.user, item=item, **data),
        done=lambda saved: reverse("governance_standards") + f"?field={saved.field}",
        title=_("Edit checklist item"),
        back=reverse("governance_standards") + f"?field={item.field}",
    )


@staff_required
def checks(request):
    _viewer(request)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    return render(
        request,
        "governance/checks.html",
        {
            "tab": "checks",
            "year": year,
            "checks": selectors.check_list(actor=request.user, year=year)[:300],
            "rollup": selectors.rollup(actor=request.user, year=year),
            "can_run": access.can(request.user, RUN),
        },
    )


@staff_required
def check_start(request):
    access.require(request.user, RUN)
    return form_page(
        request,
        forms.CheckStartForm(
            request.POST or None,
            organizations=selectors.orgs_to_check(actor=request.user),
            initial={"year": timezone.localdate().year},
        ),
        save=lambda data: services.check_start(actor=request.user, **data),
        done=lambda check: reverse("governance_check", args=[check.pk]),
        title=_("Start a standards self-check"),
        back=reverse("governance_checks"),
    )


@staff_required
def check_detail(request, pk):
    _viewer(request)
    check = selectors.check_get(actor=request.user, pk=pk)
    items = list(check.items.select_related("item", "reviewed_by"))
    plan = getattr(check, "plan", None) if check.status == CheckStatus.REVIEWED else None
    can_run, can_review = _can(request, RUN, check), _can(request, REVIEW, check)
    return render(
        request,
        "governance/check.html",
        {
            "tab": "checks",
            "check": check,
            "items": items,
            "plan": plan,
            "plan_items": list(plan.items.all()) if plan else [],
            "today": timezone.localdate(),
            "editable": can_run and check.status in (CheckStatus.DRAFT, CheckStatus.RETURNED),
            "reviewable": can_review and check.status == CheckStatus.SUBMITTED,
            "can_run": can_run,
            "all_reviewed": all(row.review != ItemReview.PENDING for row in items),
        },
    )


@staff_required
def check_item(request, pk):
    """The organization's evidence for one item (text and an optional file)."""
    _viewer(request)
    row = selectors.check_item_get(actor=request.user, pk=pk)
    access.require(request.user, RUN, row.place_path)
    form = forms.CheckItemForm(
        request.POST or None,
        request.FILES or None,
        initial={"evidence": row.evidence, "self_score": row.self_score},
    )
    form.fields["self_score"].max_value = row.item.points
    form.fields["self_score"].help_text = _("At most %(points)d points.") % {"points": row.item.points}
    return _multipart_form(
        request,
        form,
        save=lambda data: services.check_item_record(actor=request.user, check_item=row, **data),
        done=lambda saved: reverse("governance_check", args=[saved.self_check_id]),
        title=row.item.text,
        back=reverse("governance_check", args=[row.self_check_id]),
    )


@staff_required
def evidence_file(request, pk):
    """The evidence file of a self-check item, to those who may read the self-check."""
    _viewer(request)
    row = selectors.check_item_get(actor=request.user, pk=pk)
    if not row.attachment:
        raise Http404
    with row.attachment.open("rb") as handle:
        head = handle.read(16)
    content_type, extension = check_upload(row.attachment_name or "file", head)
    response = FileResponse(row.attachment.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="evidence-{row.pk}{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_POST
def check_submit(request, pk):
    check = selectors.check_get(actor=request.user, pk=pk)
    access.require(request.user, RUN, check.place_path)
    try:
        services.check_submit(actor=request.user, check=check)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Submitted for review."))
    return redirect("governance_check", check.pk)


@staff_required
def item_review(request, pk):
    """The subdistrict officer scores and accepts an item, or returns it."""
    _viewer(request)
    row = selectors.check_item_get(actor=request.user, pk=pk)
    access.require(request.user, REVIEW, row.place_path)
    form = forms.ReviewForm(
        request.POST or None,
        initial={
            "decision": row.review if row.review != ItemReview.PENDING else ItemReview.ACCEPTED,
            "score": row.review_score if row.review_score is not None else row.self_score,
            "note": row.review_note,
        },
    )
    form.fields["score"].help_text = _("At most %(points)d points.") % {"points": row.item.points}
    return form_page(
        request,
        form,
        save=lambda data: services.item_review(actor=request.user, check_item=row, **data),
        done=lambda saved: reverse("governance_check", args=[saved.self_check_id]),
        title=row.item.text,
        back=reverse("governance_check", args=[row.self_check_id]),
    )


@staff_required
@require_POST
def check_conclude(request, pk):
    check = selectors.check_get(actor=request.user, pk=pk)
    access.require(request.user, REVIEW, check.place_path)
    try:
        check = services.review_conclude(actor=request.user, check=check)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if check.status == CheckStatus.RETURNED:
            messages.success(request, _("Returned to the organization for rework."))
        else:
            messages.success(request, _("Reviewed: %(rating)s.") % {"rating": check.get_rating_display()})
    return redirect("governance_check", check.pk)


@staff_required
def plan_item_add(request, pk):
    _viewer(request)
    plan = selectors.plan_get(actor=request.user, pk=pk)
    access.require(request.user, RUN, plan.place_path)
    return form_page(
        request,
        forms.UpgradeItemForm(request.POST or None),
        save=lambda data: services.upgrade_item_add(actor=request.user, plan=plan, **data),
        done=lambda _item: reverse("governance_check", args=[plan.self_check_id]),
        title=_("Add a step to the upgrade plan"),
        back=reverse("governance_check", args=[plan.self_check_id]),
    )


@staff_required
def plan_item(request, pk):
    _viewer(request)
    item = selectors.upgrade_item_get(actor=request.user, pk=pk)
    access.require(request.user, RUN, item.place_path)
    return form_page(
        request,
        forms.ProgressForm(
            request.POST or None, initial={"progress": item.progress, "done_on": item.done_on}
        ),
        save=lambda data: services.upgrade_item_progress(actor=request.user, item=item, **data),
        done=lambda saved: reverse("governance_check", args=[saved.plan.self_check_id]),
        title=item.task,
        back=reverse("governance_check", args=[item.plan.self_check_id]),
    )
