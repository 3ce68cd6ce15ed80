"""Branch-life pages (D3). Rows come through lianxin.branch.selectors (scoped; "not yours" is 404),
writes through lianxin.branch.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core import access
from lianxin.core.access import Action
from lianxin.registry import selectors as registry_selectors
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import compliance, conf, forms, selectors, services
from .models import MeetingAttachment, RecruitStage, VisitTaskStatus


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _viewer(request):
    access.require(request.user, Action.VIEW_BRANCH)


@staff_required
def overview(request):
    """Compliance of the year for everything in the actor's scope, rolled up by place."""
    _viewer(request)
    year = _year(request)
    rows = compliance.compliance_grid(actor=request.user, year=year)
    levels = [
        (level, label, compliance.compliance_rollup(rows, level))
        for level, label in (
            ("district", _("Districts")),
            ("subdistrict", _("Subdistricts")),
            ("community", _("Communities")),
        )
    ]
    levels = [item for item in levels if len(item[2]) > 1 or item[0] == "community"]
    with_gaps = sorted(rows, key=lambda row: (-row.gap_count, row.name))
    page = Paginator(with_gaps, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "branch/overview.html",
        {
            "year": year,
            "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
            "levels": levels,
            "page": page,
            "query": f"year={year}",
            "open_visits": selectors.visit_task_list(actor=request.user).count(),
            "overdue_visits": selectors.visit_task_list(actor=request.user)
            .filter(due_on__lt=timezone.localdate())
            .count(),
            "recruits": selectors.recruit_list(actor=request.user).count(),
        },
    )


@staff_required
def org_compliance(request, pk):
    """One organization: every meeting type, period by period, and its meetings."""
    _viewer(request)
    organization = selectors.organization_get(actor=request.user, pk=pk)
    year = _year(request)
    rows = compliance.compliance_grid(actor=request.user, year=year, organization=organization)
    return render(
        request,
        "branch/org.html",
        {
            "organization": organization,
            "year": year,
            "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
            "row": rows[0] if rows else None,
            "meetings": selectors.meeting_list(actor=request.user, organization=organization, year=year)[
                :100
            ],
            "can_manage": access.can(request.user, Action.MANAGE_BRANCH, organization.place_path),
        },
    )


@staff_required
def meetings(request):
    _viewer(request)
    qs = selectors.meeting_list(actor=request.user, year=_year(request) if request.GET.get("year") else None)
    return render(
        request,
        "branch/meetings.html",
        {"page": Paginator(qs, 50).get_page(request.GET.get("page")), "query": ""},
    )


def _managed_org(request, pk):
    _viewer(request)
    organization = selectors.organization_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_BRANCH, organization.place_path)
    return organization


@staff_required
def meeting_plan(request, pk):
    organization = _managed_org(request, pk)
    return form_page(
        request,
        forms.MeetingPlanForm(request.POST or None, organization=organization),
        save=lambda data: services.meeting_plan(actor=request.user, organization=organization, **data),
        done=lambda meeting: reverse("branch_meeting", args=[meeting.pk]),
        title=_("Plan a meeting of %(org)s") % {"org": organization.name},
        back=reverse("branch_org", args=[organization.pk]),
    )


@staff_required
def meeting_record(request, pk):
    """Record a held meeting with its attendance; ``?meeting=`` records a planned one."""
    organization = _managed_org(request, pk)
    planned = None
    if request.GET.get("meeting"):
        planned = selectors.meeting_get(actor=request.user, pk=request.GET["meeting"])
        if planned.organization_id != organization.pk:
            raise Http404
    initial = {}
    if planned is not None:
        initial = {
            "meeting_type": str(planned.meeting_type_id),
            "topic": planned.topic,
            "held_on": planned.planned_on,
            "location": planned.location,
            "chair": planned.chair,
        }
    form = forms.MeetingRecordForm(
        request.POST or None,
        initial=initial,
        organization=organization,
        members=selectors.organization_members(organization=organization),
        late_days=conf.late_entry_days(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_record(
                actor=request.user,
                organization=organization,
                meeting=planned,
                attendance=form.attendance(),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The meeting is recorded."))
            return redirect("branch_meeting", pk=meeting.pk)
    return render(
        request,
        "branch/meeting_record.html",
        {"form": form, "organization": organization, "planned": planned, "late_days": conf.late_entry_days()},
    )


@staff_required
def meeting_detail(request, pk):
    _viewer(request)
    meeting = selectors.meeting_get(actor=request.user, pk=pk)
    return render(
        request,
        "branch/meeting_detail.html",
        {
            "meeting": meeting,
            "attendance": selectors.meeting_attendance(meeting=meeting),
            "attachments": meeting.attachments.all(),
            "can_manage": access.can(request.user, Action.MANAGE_BRANCH, meeting.place_path),
            "attach_form": forms.AttachmentForm(),
        },
    )


@staff_required
@require_POST
def meeting_attach(request, pk):
    _viewer(request)
    meeting = selectors.meeting_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_BRANCH, meeting.place_path)
    form = forms.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.meeting_attach(actor=request.user, meeting=meeting, file=form.cleaned_data["file"])
            messages.success(request, _("The file is attached."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Please choose a file."))
    return redirect("branch_meeting", pk=meeting.pk)


@staff_required
def attachment_download(request, pk):
    _viewer(request)
    try:
        attachment = MeetingAttachment.objects.select_related("meeting").get(pk=pk)
    except (MeetingAttachment.DoesNotExist, ValueError):
        raise Http404 from None
    selectors.meeting_get(actor=request.user, pk=attachment.meeting_id)  # scope: 404 when not yours
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


# --- 五个必访 ------------------------------------------------------------------------------------


@staff_required
def visit_tasks(request):
    _viewer(request)
    status = request.GET.get("status", VisitTaskStatus.OPEN)
    if status not in VisitTaskStatus.values:
        status = ""
    qs = selectors.visit_task_list(actor=request.user, status=status)
    return render(
        request,
        "branch/visit_tasks.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "status": status,
            "statuses": VisitTaskStatus.choices,
            "query": f"status={status}",
            "today": timezone.localdate(),
        },
    )


@staff_required
def visit_task_detail(request, pk):
    _viewer(request)
    task = selectors.visit_task_get(actor=request.user, pk=pk)
    can_close = task.status == VisitTaskStatus.OPEN and (
        task.owner_id == request.user.pk or access.can(request.user, Action.MANAGE_BRANCH, task.place_path)
    )
    form = forms.VisitCloseForm(request.POST or None, initial={"visited_on": timezone.localdate()})
    if request.method == "POST":
        if not can_close:
            access.require(request.user, Action.MANAGE_BRANCH, task.place_path)
        if form.is_valid():
            try:
                services.visit_task_close(actor=request.user, task=task, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The visit is recorded."))
                return redirect("branch_visit", pk=task.pk)
    return render(
        request,
        "branch/visit_task.html",
        {
            "task": task,
            "triggers": task.triggers.select_related("actor"),
            "record": getattr(task, "record", None) if task.status == VisitTaskStatus.DONE else None,
            "form": form if can_close else None,
            "today": timezone.localdate(),
        },
    )


@staff_required
def condition_report(request, pk):
    """Report that a member is ill, in difficulty or has died: a visit is opened (五个必访)."""
    _viewer(request)
    member = registry_selectors.member_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_BRANCH, member.place_path)

    def save(data):
        task, _opened = services.member_condition_report(actor=request.user, member=member, **data)
        return task

    return form_page(
        request,
        forms.ConditionReportForm(request.POST or None),
        save=save,
        done=lambda task: reverse("branch_visit", args=[task.pk]),
        title=_("Report the situation of %(name)s") % {"name": member.resident.name},
        back=reverse("member_detail", args=[member.pk]),
    )


# --- 发展党员 ------------------------------------------------------------------------------------


@staff_required
def recruits(request):
    _viewer(request)
    stage = request.GET.get("stage", "")
    if stage not in RecruitStage.values:
        stage = ""
    qs = selectors.recruit_list(actor=request.user, stage=stage)
    return render(
        request,
        "branch/recruits.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "stage": stage,
            "stages": RecruitStage.choices,
            "query": f"stage={stage}",
            "can_create": access.can(request.user, Action.MANAGE_BRANCH),
        },
    )


@staff_required
def recruit_create(request):
    access.require(request.user, Action.MANAGE_BRANCH)
    organizations = list(selectors.organization_list(actor=request.user, action=Action.MANAGE_BRANCH)[:500])
    q = request.GET.get("q", "").strip()
    residents = list(registry_selectors.resident_list(actor=request.user, q=q)[:200]) if q else []
    form = forms.RecruitCreateForm(request.POST or None, residents=residents, organizations=organizations)

    def save(data):
        return services.recruit_create(
            actor=request.user,
            resident=registry_selectors.resident_get(actor=request.user, pk=data["resident"]),
            organization=selectors.organization_get(actor=request.user, pk=data["organization"]),
            applied_on=data["applied_on"],
        )

    if not q and request.method != "POST":
        return render(request, "branch/recruit_find.html", {})
    return form_page(
        request,
        form,
        save=save,
        done=lambda recruit: reverse("branch_recruit", args=[recruit.pk]),
        title=_("Record an application to join the party"),
        back=reverse("branch_recruits"),
    )


@staff_required
def recruit_detail(request, pk):
    _viewer(request)
    recruit = selectors.recruit_get(actor=request.user, pk=pk)
    can_manage = access.can(request.user, Action.MANAGE_BRANCH, recruit.place_path)
    advance_form = forms.RecruitAdvanceForm(
        request.POST if request.POST.get("step") == "advance" else None,
        initial={"on": timezone.localdate()},
    )
    stop_form = forms.RecruitStopForm(request.POST if request.POST.get("step") == "stop" else None)
    if request.method == "POST":
        access.require(request.user, Action.MANAGE_BRANCH, recruit.place_path)
        step = request.POST.get("step")
        try:
            if step == "advance" and advance_form.is_valid():
                services.recruit_advance(actor=request.user, recruit=recruit, **advance_form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("branch_recruit", pk=recruit.pk)
            if step == "document":
                doc = forms.RecruitDocumentForm(request.POST)
                if doc.is_valid():
                    services.recruit_document(actor=request.user, recruit=recruit, **doc.cleaned_data)
                    return redirect("branch_recruit", pk=recruit.pk)
                messages.error(request, _("Please enter the date received."))
            if step == "stop" and stop_form.is_valid():
                services.recruit_stop(
                    actor=request.user, recruit=recruit, reason=stop_form.cleaned_data["reason"]
                )
                return redirect("branch_recruit", pk=recruit.pk)
        except ValidationError as exc:
            apply_service_errors(advance_form if step == "advance" else stop_form, exc)
            if step == "document":
                messages.error(request, " ".join(exc.messages))
    received = recruit.documents.get(recruit.stage, {})
    checklist = [(name, received.get(name)) for name in conf.documents(recruit.stage)]
    return render(
        request,
        "branch/recruit_detail.html",
        {
            "recruit": recruit,
            "events": recruit.events.select_related("actor"),
            "checklist": checklist,
            "earliest": services.recruit_earliest_next(recruit),
            "min_months": conf.min_months(recruit.stage),
            "finished": recruit.stage in (RecruitStage.FULL, RecruitStage.STOPPED),
            "can_manage": can_manage,
            "advance_form": advance_form,
            "stop_form": stop_form,
            "today": timezone.localdate(),
        },
    )


# --- a member's own view --------------------------------------------------------------------------


@login_required
def mine(request):
    """A party member's own meetings (with their attendance), visits and transfer (D3)."""
    return render(
        request,
        "branch/mine.html",
        {"mine": selectors.my_branch_life(user=request.user), "today": timezone.localdate()},
    )


# --- posts, reserve cadres, hardship fund ---------------------------------------------------------


@staff_required
def posts(request):
    _viewer(request)
    year = _year(request)
    return render(
        request,
        "branch/posts.html",
        {
            "year": year,
            "coverage": selectors.post_coverage(actor=request.user, year=year),
            "posts": selectors.post_list(actor=request.user, year=year)[:200],
            "can_manage": access.can(request.user, Action.MANAGE_BRANCH),
        },
    )


@login_required
def posts_board(request):
    """The published posts (公示明岗) of the user's community, for everyone there."""
    return render(
        request, "branch/posts_board.html", {"posts": selectors.published_posts_for(user=request.user)[:200]}
    )


@staff_required
def reserve(request):
    _viewer(request)
    return render(
        request,
        "branch/reserve.html",
        {
            "checks": selectors.reserve_check(actor=request.user),
            "cadres": selectors.reserve_list(actor=request.user).order_by("place_path", "stage")[:200],
            "can_manage": access.can(request.user, Action.MANAGE_BRANCH),
        },
    )


@staff_required
def fund(request):
    _viewer(request)
    return render(
        request,
        "branch/fund.html",
        {
            "applications": selectors.hardship_list(actor=request.user).prefetch_related("payments")[:200],
            "totals": selectors.hardship_totals(actor=request.user),
            "can_manage": access.can(request.user, Action.MANAGE_BRANCH),
        },
    )


def _posted_pk(request, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


def _managed_orgs(request) -> list:
    access.require(request.user, Action.MANAGE_BRANCH)
    return list(selectors.organization_list(actor=request.user, action=Action.MANAGE_BRANCH)[:500])


def _manage(request, place_path: str) -> None:
    access.require(request.user, Action.MANAGE_BRANCH, place_path)


@staff_required
def post_create(request):
    """Step 1, 科学设岗: define a post with its duties."""
    organizations = _managed_orgs(request)
    form = forms.PostDefineForm(
        request.POST or None, organizations=organizations, initial={"year": timezone.localdate().year}
    )
    return form_page(
        request,
        form,
        save=lambda data: services.post_define(
            actor=request.user,
            organization=selectors.organization_get(actor=request.user, pk=data["organization"]),
            year=data["year"],
            title=data["title"],
            duties=data["duties"],
        ),
        done=lambda post: reverse("branch_post", args=[post.pk]),
        title=_("Define a post"),
        back=reverse("branch_posts"),
    )


@staff_required
def post_detail(request, pk):
    _viewer(request)
    post = selectors.post_get(actor=request.user, pk=pk)
    return render(
        request,
        "branch/post_detail.html",
        {
            "post": post,
            "holdings": post.holdings.select_related("member__resident").order_by("volunteered_on", "pk"),
            "can_manage": access.can(request.user, Action.MANAGE_BRANCH, post.place_path),
            "appraisal_open": timezone.localdate().month == 12 or timezone.localdate().year > post.year,
        },
    )


@staff_required
def post_volunteer(request, pk):
    """Step 2, 自愿认岗, recorded by the branch for a member who volunteered."""
    _viewer(request)
    post = selectors.post_get(actor=request.user, pk=pk)
    _manage(request, post.place_path)
    members = selectors.organization_members(organization=post.organization)
    form = forms.PostVolunteerForm(
        request.POST or None, members=members[:1000], initial={"on": timezone.localdate()}
    )
    return form_page(
        request,
        form,
        save=lambda data: services.post_volunteer(
            actor=request.user, post=post, member=members.get(pk=data["member"]), on=data["on"]
        ),
        done=lambda holding: reverse("branch_post", args=[post.pk]),
        title=_("A member volunteers for %(post)s") % {"post": post.title},
        back=reverse("branch_post", args=[post.pk]),
    )


@staff_required
@require_POST
def post_assign(request, pk):
    """Step 3, 组织定岗: assign (or do not assign) a volunteer."""
    _viewer(request)
    holding = selectors.post_holding_get(actor=request.user, pk=pk)
    _manage(request, holding.post.place_path)
    try:
        services.post_assign(actor=request.user, holding=holding, assign=request.POST.get("assign") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("branch_post", pk=holding.post_id)


@staff_required
def posts_publish(request):
    """Step 4, 公示明岗: publish the year's assigned posts of an organization."""
    organizations = _managed_orgs(request)
    form = forms.PostsPublishForm(
        request.POST or None, organizations=organizations, initial={"year": timezone.localdate().year}
    )
    return form_page(
        request,
        form,
        save=lambda data: services.posts_publish(
            actor=request.user,
            organization=selectors.organization_get(actor=request.user, pk=data["organization"]),
            year=data["year"],
        ),
        done=lambda count: reverse("branch_posts_board"),
        title=_("Publish the assigned posts"),
        back=reverse("branch_posts"),
        message=_("Published."),
    )


@staff_required
def post_appraise(request, pk):
    """Step 5, 考核评岗: the year-end appraisal of a post holder."""
    _viewer(request)
    holding = selectors.post_holding_get(actor=request.user, pk=pk)
    _manage(request, holding.post.place_path)
    form = forms.PostAppraiseForm(request.POST or None, initial={"on": timezone.localdate()})
    return form_page(
        request,
        form,
        save=lambda data: services.post_appraise(actor=request.user, holding=holding, **data),
        done=lambda holding: reverse("branch_post", args=[holding.post_id]),
        title=_("Appraise %(member)s on %(post)s")
        % {"member": holding.member.resident.name, "post": holding.post.title},
        back=reverse("branch_post", args=[holding.post_id]),
    )


@staff_required
def reserve_signup(request):
    """报名: find the person, then record the sign-up for their community."""
    access.require(request.user, Action.MANAGE_BRANCH)
    q = request.GET.get("q", "").strip()
    if not q and request.method != "POST":
        return render(
            request,
            "branch/find_person.html",
            {"title": _("Sign up a reserve cadre"), "back": reverse("branch_reserve")},
        )
    residents = list(registry_selectors.resident_list(actor=request.user, q=q)[:200]) if q else []
    if request.method == "POST":
        residents = list(
            registry_selectors.resident_list(actor=request.user).filter(pk=_posted_pk(request, "resident"))
        )
    form = forms.ReserveSignupForm(
        request.POST or None, residents=residents, initial={"on": timezone.localdate()}
    )

    def save(data):
        from lianxin.visits.selectors import community_of

        resident = registry_selectors.resident_get(actor=request.user, pk=data["resident"])
        community = community_of(resident.place_path)
        if community is None:
            raise ValidationError({"resident": _("The person must live in this community.")})
        return services.reserve_signup(
            actor=request.user,
            resident=resident,
            community=community,
            education=data["education"],
            on=data["on"],
        )

    return form_page(
        request,
        form,
        save=save,
        done=lambda cadre: reverse("branch_reserve"),
        title=_("Sign up a reserve cadre"),
        back=reverse("branch_reserve"),
    )


@staff_required
def reserve_advance(request, pk):
    """One step of the reserve-cadre path, with the score where the step has one."""
    _viewer(request)
    cadre = selectors.reserve_get(actor=request.user, pk=pk)
    _manage(request, cadre.place_path)
    form = forms.ReserveAdvanceForm(request.POST or None)
    return form_page(
        request,
        form,
        save=lambda data: services.reserve_advance(actor=request.user, cadre=cadre, **data),
        done=lambda cadre: reverse("branch_reserve"),
        title=_("%(person)s: %(stage)s → next step")
        % {"person": cadre.resident.name, "stage": cadre.get_stage_display()},
        back=reverse("branch_reserve"),
    )


@staff_required
def fund_apply(request):
    """An application to the hardship fund, recorded for a member: find the member first."""
    access.require(request.user, Action.MANAGE_BRANCH)
    q = request.GET.get("q", "").strip()
    if not q and request.method != "POST":
        return render(
            request,
            "branch/find_person.html",
            {"title": _("Apply to the hardship fund for a member"), "back": reverse("branch_fund")},
        )
    if request.method == "POST":
        members = registry_selectors.member_list(actor=request.user).filter(pk=_posted_pk(request, "member"))
    else:
        members = registry_selectors.member_list(actor=request.user, q=q)[:200]
    form = forms.HardshipApplyForm(request.POST or None, members=list(members))
    return form_page(
        request,
        form,
        save=lambda data: services.hardship_apply(
            actor=request.user,
            member=registry_selectors.member_get(actor=request.user, pk=data["member"]),
            amount=data["amount"],
            reason=data["reason"],
        ),
        done=lambda application: reverse("branch_fund"),
        title=_("Apply to the hardship fund for a member"),
        back=reverse("branch_fund"),
    )


@staff_required
def fund_decide(request, pk):
    _viewer(request)
    application = selectors.hardship_get(actor=request.user, pk=pk)
    _manage(request, application.place_path)
    form = forms.HardshipDecideForm(request.POST or None, initial={"amount": application.amount})
    return form_page(
        request,
        form,
        save=lambda data: services.hardship_decide(actor=request.user, application=application, **data),
        done=lambda application: reverse("branch_fund"),
        title=_("Decide the application of %(member)s") % {"member": application.member.resident.name},
        back=reverse("branch_fund"),
    )


@staff_required
def fund_pay(request, pk):
    _viewer(request)
    application = selectors.hardship_get(actor=request.user, pk=pk)
    _manage(request, application.place_path)
    form = forms.HardshipPayForm(request.POST or None, initial={"paid_on": timezone.localdate()})
    return form_page(
        request,
        form,
        save=lambda data: services.hardship_pay(actor=request.user, application=application, **data),
        done=lambda payment: reverse("branch_fund"),
        title=_("Record a payment to %(member)s") % {"member": application.member.resident.name},
        back=reverse("branch_fund"),
    )
