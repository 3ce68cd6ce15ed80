"""Staff pages of the five systems (D10). Rows come through selectors (scoped; "not yours" is 404),
writes through services. A detail page takes its writes as POSTs with an ``op``; a refused write
comes back as a message naming the field."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, pdf, qr
from lianxin.places.models import PartyOrganization, Place
from lianxin.registry.models import MemberStatus, PartyMember
from lianxin.web.views import staff_required

from . import forms, selectors, services
from .actions import PerformanceAction as A
from .models import CodeStatus, CommitmentStatus, MemberGroup

SLIPS_PER_PDF = 200


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _viewer(request):
    access.require(request.user, A.VIEW)


def _error_text(exc: ValidationError, form=None) -> str:
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        field = form.fields.get(name) if form is not None else None
        label = str(field.label) if field is not None and field.label else ""
        parts.extend(f"{label}：{e}" if label else e for e in errors)
    return " ".join(parts)


def _run(request, form, call, done):
    """Validate ``form``, call the service, report; always back to ``done``."""
    if not form.is_valid():
        messages.error(
            request,
            " ".join(
                f"{form.fields[n].label if n in form.fields else ''}：{e}"
                for n, es in form.errors.items()
                for e in es
            ),
        )
        return redirect(done)
    try:
        call(form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, _error_text(exc, form))
    else:
        messages.success(request, _("Saved."))
    return redirect(done)


def _org(request, pk, action=A.MANAGE):
    return access.get_for_user(PartyOrganization.objects.all(), request.user, action, pk=pk)


def _place(request, pk, action=A.MANAGE):
    return access.get_for_user(Place.objects.all(), request.user, action, pk=pk)


@staff_required
def overview(request):
    _viewer(request)
    year = _year(request)
    levels = [
        (label, selectors.completion_rates(actor=request.user, year=year, level=level))
        for level, label in (
            ("district", _("Districts")),
            ("subdistrict", _("Subdistricts")),
            ("community", _("Communities")),
        )
    ]
    return render(
        request,
        "performance/overview.html",
        {
            "year": year,
            "levels": [item for item in levels if item[1]],
            "benchmark": selectors.COMPLETION_BENCHMARK,
            "commitments": selectors.commitment_list(actor=request.user, year=year).count(),
            "cycles": selectors.cycle_list(actor=request.user).filter(year=year).count(),
            "cases": selectors.case_list(actor=request.user, status="suggested").count(),
        },
    )


# --- goals ---------------------------------------------------------------------------------------


@staff_required
def goals(request):
    _viewer(request)
    orgs = selectors.organizations(actor=request.user)
    form = forms.GoalForm(request.POST or None, organizations=orgs, initial={"year": _year(request)})
    if request.method == "POST":
        access.require(request.user, A.MANAGE)
        return _run(
            request,
            form,
            lambda d: services.goal_create(
                actor=request.user,
                organization=_org(request, d["organization"]),
                year=d["year"],
                title=d["title"],
                letter_issued_by=d["letter_issued_by"],
            ),
            reverse("performance_goals"),
        )
    qs = selectors.goal_list(actor=request.user, year=_year(request))
    return render(
        request,
        "performance/goals.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "form": form if access.can(request.user, A.MANAGE) else None,
            "year": _year(request),
        },
    )


@staff_required
def goal_detail(request, pk):
    _viewer(request)
    goal = selectors.goal_get(actor=request.user, pk=pk)
    here = reverse("performance_goal", args=[goal.pk])
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "item":
            return _run(
                request,
                forms.GoalItemForm(request.POST),
                lambda d: services.goal_item_add(actor=request.user, goal=goal, **d),
                here,
            )
        if op == "sign":
            return _run(
                request,
                forms.SignForm(request.POST),
                lambda d: services.goal_letter_sign(actor=request.user, goal=goal, **d),
                here,
            )
        if op == "progress":
            item = selectors.goal_item_get(actor=request.user, pk=request.POST.get("item"))
            if item.goal_id != goal.pk:
                raise Http404
            return _run(
                request,
                forms.ProgressForm(request.POST, request.FILES),
                lambda d: services.goal_progress(actor=request.user, item=item, **d),
                here,
            )
        raise Http404
    items = goal.items.prefetch_related("milestones", "updates")
    return render(
        request,
        "performance/goal.html",
        {
            "goal": goal,
            "items": items,
            "today": timezone.localdate(),
            "can_manage": access.can(request.user, A.MANAGE, goal.place_path),
            "item_form": forms.GoalItemForm(),
            "sign_form": forms.SignForm(),
            "progress_form": forms.ProgressForm(),
        },
    )


@staff_required
def goal_letter(request, pk):
    """The responsibility letter (目标责任书) as a PDF, with signature lines."""
    _viewer(request)
    goal = selectors.goal_get(actor=request.user, pk=pk)
    try:
        data = pdf.render_pdf("performance/letter_pdf.html", {"goal": goal, "items": goal.items.all()})
    except pdf.PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(reverse("performance_goal", args=[goal.pk]))
    return pdf.pdf_response(data, f"目标责任书-{goal.year}-{goal.organization.name}.pdf")


# --- commitments ---------------------------------------------------------------------------------


@staff_required
def commitments(request):
    _viewer(request)
    orgs = selectors.organizations(actor=request.user)
    group = request.GET.get("group", MemberGroup.ORGANIZATION)
    template = services.TEMPLATES.get(group, services.TEMPLATES[MemberGroup.ORGANIZATION])
    members = (
        access.restrict(PartyMember.objects.filter(status=MemberStatus.ACTIVE), request.user, A.MANAGE)
        .select_related("resident", "organization")
        .order_by("organization__path", "resident__name_pinyin")
    )
    form = forms.CommitmentForm(
        request.POST or None,
        organizations=orgs,
        members=members,
        initial={"year": _year(request), "group": group, **template},
    )
    if request.method == "POST":
        access.require(request.user, A.MANAGE)

        def create(d):
            member = None
            if d.get("member"):
                member = access.get_for_user(
                    PartyMember.objects.all(), request.user, A.MANAGE, pk=d["member"]
                )
            return services.commitment_create(
                actor=request.user,
                organization=_org(request, d["organization"]),
                member=member,
                **{
                    k: d[k]
                    for k in (
                        "group",
                        "kind",
                        "year",
                        "period_start",
                        "period_end",
                        "target",
                        "items",
                        "measures",
                        "deadline",
                    )
                },
            )

        return _run(request, form, create, reverse("performance_commitments"))
    qs = selectors.commitment_list(
        actor=request.user, year=_year(request), status=request.GET.get("status", "")
    )
    return render(
        request,
        "performance/commitments.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "form": form if access.can(request.user, A.MANAGE) else None,
            "groups": MemberGroup.choices,
            "year": _year(request),
        },
    )


@staff_required
def commitment_detail(request, pk):
    _viewer(request)
    commitment = selectors.commitment_get(actor=request.user, pk=pk)
    here = reverse("performance_commitment", args=[commitment.pk])
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "edit":
            return _run(
                request,
                forms.CommitmentEditForm(request.POST),
                lambda d: services.commitment_update(actor=request.user, commitment=commitment, **d),
                here,
            )
        if op == "publish":
            try:
                _c, problems = services.commitment_publish(actor=request.user, commitment=commitment)
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            else:
                if problems:
                    messages.error(
                        request,
                        _("Returned for rewriting: %(reasons)s")
                        % {"reasons": " ".join(p["message"] for p in problems)},
                    )
                else:
                    messages.success(request, _("Published."))
            return redirect(here)
        if op == "fulfil":
            return _run(
                request,
                forms.NoteForm(request.POST),
                lambda d: services.commitment_fulfil(actor=request.user, commitment=commitment, **d),
                here,
            )
        if op == "broken":
            return _run(
                request,
                forms.NoteForm(request.POST),
                lambda d: services.commitment_mark_broken(
                    actor=request.user, commitment=commitment, reason=d["note"]
                ),
                here,
            )
        raise Http404
    editable = commitment.status in (CommitmentStatus.DRAFT, CommitmentStatus.RETURNED)
    return render(
        request,
        "performance/commitment.html",
        {
            "c": commitment,
            "can_manage": access.can(request.user, A.MANAGE, commitment.place_path),
            "editable": editable,
            "edit_form": forms.CommitmentEditForm(
                initial={k: getattr(commitment, k) for k in ("target", "items", "measures", "deadline")}
            ),
            "note_form": forms.NoteForm(),
            "fulfilments": commitment.fulfilments.select_related("by"),
        },
    )


# --- evaluations ---------------------------------------------------------------------------------


@staff_required
def cycles(request):
    _viewer(request)
    form = forms.CycleForm(
        request.POST or None, places=selectors.places(actor=request.user), initial={"year": _year(request)}
    )
    if request.method == "POST":
        access.require(request.user, A.MANAGE)
        weights = ("weight_self", "weight_peer", "weight_leader", "weight_public")
        return _run(
            request,
            form,
            lambda d: services.cycle_create(
                actor=request.user,
                place=_place(request, d["place"]),
                year=d["year"],
                half=d["half"],
                title=d["title"],
                meeting_on=d["meeting_on"],
                weights={k: d[k] for k in weights},
            ),
            reverse("performance_cycles"),
        )
    return render(
        request,
        "performance/cycles.html",
        {
            "page": Paginator(selectors.cycle_list(actor=request.user), 50).get_page(request.GET.get("page")),
            "form": form if access.can(request.user, A.MANAGE) else None,
        },
    )


@staff_required
def cycle_detail(request, pk):
    _viewer(request)
    cycle = selectors.cycle_get(actor=request.user, pk=pk)
    here = reverse("performance_cycle", args=[cycle.pk])
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "evaluee":
            return _run(
                request,
                forms.EvalueeForm(request.POST),
                lambda d: services.evaluee_add(actor=request.user, cycle=cycle, **d),
                here,
            )
        if op == "score":

            def score(d):
                evaluee = cycle.evaluees.filter(pk=d["evaluee"]).first()
                if evaluee is None:
                    raise Http404
                return services.score_record(
                    actor=request.user,
                    evaluee=evaluee,
                    kind=d["kind"],
                    score=d["score"],
                    comment=d["comment"],
                )

            return _run(request, forms.ScoreForm(request.POST), score, here)
        if op == "codes":
            return _run(
                request,
                forms.CodesForm(request.POST),
                lambda d: services.codes_issue(actor=request.user, cycle=cycle, **d),
                here,
            )
        if op == "void":
            return _run(
                request,
                forms.VoidForm(request.POST),
                lambda d: services.code_void(actor=request.user, cycle=cycle, **d),
                here,
            )
        if op == "paper":
            ratings = {k[1:]: v for k, v in request.POST.items() if k.startswith("e") and k[1:].isdigit()}
            try:
                services.ballot_cast(
                    code=request.POST.get("code", ""), ratings=ratings, channel="paper", actor=request.user
                )
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            else:
                messages.success(request, _("The paper ballot is counted."))
            return redirect(here)
        if op == "close":
            try:
                services.cycle_close(actor=request.user, cycle=cycle)
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            return redirect(here)
        raise Http404
    results = selectors.cycle_results(cycle)
    batches = list(cycle.codes.order_by().values_list("batch", flat=True).distinct())
    return render(
        request,
        "performance/cycle.html",
        {
            "cycle": cycle,
            "results": results,
            "counts": selectors.code_counts(cycle),
            "batches": sorted(batches),
            "can_manage": access.can(request.user, A.MANAGE, cycle.place_path),
            "can_ballots": access.can(request.user, A.BALLOTS, cycle.place_path),
            "score_form": forms.ScoreForm(),
            "choices": services.Satisfaction.choices,
            "evaluees": cycle.evaluees.all(),
        },
    )


def slip_rows(base_url: str, codes) -> list[dict]:
    """What each printed slip shows: the code in groups of five and a QR code of its ballot link."""
    rows = []
    for code in codes:
        link = base_url.rstrip("/") + reverse("performance_portal_ballot", args=[code])
        rows.append({"code": services.format_code(code), "qr": qr.svg_data_uri(link, scale=3), "link": link})
    return rows


@staff_required
def cycle_slips(request, pk):
    """Printable slips: each unused code with its QR link, SLIPS_PER_PDF a file (?batch=&page=)."""
    cycle = selectors.cycle_get(actor=request.user, pk=pk, action=A.BALLOTS)
    try:
        batch, page = int(request.GET.get("batch", "1")), max(1, int(request.GET.get("page", "1")))
    except ValueError:
        raise Http404 from None
    codes = cycle.codes.filter(batch=batch, status=CodeStatus.ISSUED).order_by("id")
    chunk = list(codes[(page - 1) * SLIPS_PER_PDF : page * SLIPS_PER_PDF].values_list("code", flat=True))
    if not chunk:
        raise Http404
    slips = slip_rows(request.build_absolute_uri("/"), chunk)
    try:
        data = pdf.render_pdf(
            "performance/slips_pdf.html",
            {
                "cycle": cycle,
                "slips": slips,
                "start": request.build_absolute_uri(reverse("performance_portal")),
            },
        )
    except pdf.PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(reverse("performance_cycle", args=[cycle.pk]))
    return pdf.pdf_response(data, f"测评票-{cycle.title}-{batch}-{page}.pdf")


# --- commendations, accountability, rhythm, reports ----------------------------------------------


@staff_required
def commendations(request):
    _viewer(request)
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "decide":
            item = selectors.commendation_get(actor=request.user, pk=request.POST.get("pk"))
            try:
                services.commendation_decide(
                    actor=request.user,
                    commendation=item,
                    award=request.POST.get("award") == "1",
                    note=request.POST.get("note", ""),
                )
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            except PermissionDenied as exc:
                messages.error(request, str(exc) or _("You may not do this."))
            return redirect(reverse("performance_commendations"))
        access.require(request.user, A.MANAGE)
        form = _nominate_form(request, request.POST)

        def nominate(d):
            return services.commendation_nominate(
                actor=request.user,
                place=_place(request, d["place"]),
                year=d["year"],
                criterion=d["criterion"],
                organization=_org(request, d["organization"]) if d["organization"] else None,
                member=access.get_for_user(PartyMember.objects.all(), request.user, A.MANAGE, pk=d["member"])
                if d["member"]
                else None,
                post_name=d["post_name"],
                deeds=d["deeds"],
            )

        return _run(request, form, nominate, reverse("performance_commendations"))
    qs = selectors.commendation_list(actor=request.user, year=_year(request))
    return render(
        request,
        "performance/commendations.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "form": _nominate_form(request) if access.can(request.user, A.MANAGE) else None,
            "can_decide": access.can(request.user, A.DECIDE),
            "banner": selectors.red_banner_holders()
            .filter(place_path__in=[p.path for p in selectors.places(actor=request.user, action=A.VIEW)])
            .first(),
            "year": _year(request),
        },
    )


def _nominate_form(request, data=None):
    members = PartyMember.objects.none()
    if access.can(request.user, A.MANAGE):
        members = access.restrict(PartyMember.objects.select_related("resident"), request.user, A.MANAGE)[
            :500
        ]
    return forms.NominateForm(
        data,
        places=selectors.places(actor=request.user),
        organizations=selectors.organizations(actor=request.user),
        members=members,
        initial={"year": _year(request)},
    )


@staff_required
def cases(request):
    _viewer(request)
    here = reverse("performance_cases")
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "suggest":
            access.require(request.user, A.MANAGE)
            count = sum(
                services.cases_suggest(actor=request.user, place=place)
                for place in selectors.places(actor=request.user).filter(kind="community")
            )
            messages.success(request, _("%(n)s new cases suggested.") % {"n": count})
            return redirect(here)
        case = selectors.case_get(actor=request.user, pk=request.POST.get("pk"))
        return _run(
            request,
            forms.CaseForm(request.POST),
            lambda d: services.case_move(actor=request.user, case=case, move=op or "", **d),
            here,
        )
    qs = selectors.case_list(actor=request.user, status=request.GET.get("status", ""))
    return render(
        request,
        "performance/cases.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "can_decide": access.can(request.user, A.DECIDE),
            "can_manage": access.can(request.user, A.MANAGE),
            "form": forms.CaseForm(),
        },
    )


@staff_required
def rhythm(request):
    _viewer(request)
    form = forms.RhythmForm(
        request.POST or None,
        places=selectors.places(actor=request.user).filter(kind="community"),
        initial={"year": _year(request)},
    )
    if request.method == "POST":
        access.require(request.user, A.MANAGE)
        return _run(
            request,
            form,
            lambda d: services.rhythm_plan(
                actor=request.user, place=_place(request, d["place"]), year=d["year"], assignee=request.user
            ),
            reverse("performance_rhythm"),
        )
    return render(
        request,
        "performance/rhythm.html",
        {
            "milestones": selectors.milestone_list(actor=request.user, year=_year(request))[:300],
            "form": form if access.can(request.user, A.MANAGE) else None,
            "year": _year(request),
            "today": timezone.localdate(),
        },
    )


@staff_required
def reports(request):
    _viewer(request)
    form = forms.ReportCompileForm(
        request.POST or None,
        organizations=selectors.organizations(actor=request.user),
        initial={"year": _year(request)},
    )
    if request.method == "POST":
        access.require(request.user, A.MANAGE)
        if form.is_valid():
            try:
                report = services.report_compile(
                    actor=request.user,
                    organization=_org(request, form.cleaned_data["organization"]),
                    year=form.cleaned_data["year"],
                )
            except ValidationError as exc:
                messages.error(request, _error_text(exc, form))
            else:
                return redirect(reverse("performance_report", args=[report.pk]))
        return redirect(reverse("performance_reports"))
    return render(
        request,
        "performance/reports.html",
        {
            "reports": selectors.report_list(actor=request.user)[:200],
            "form": form if access.can(request.user, A.MANAGE) else None,
        },
    )


@staff_required
def report_detail(request, pk):
    _viewer(request)
    report = selectors.report_get(actor=request.user, pk=pk)
    here = reverse("performance_report", args=[report.pk])
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "edit":
            return _run(
                request,
                forms.ReportTextForm(request.POST),
                lambda d: services.report_update(actor=request.user, report=report, **d),
                here,
            )
        if op == "publish":
            try:
                services.report_publish(actor=request.user, report=report)
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            return redirect(here)
        if op == "recompile":
            try:
                services.report_compile(
                    actor=request.user, organization=report.organization, year=report.year
                )
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            return redirect(here)
        raise Http404
    return render(
        request,
        "performance/report.html",
        {
            "report": report,
            "form": forms.ReportTextForm(initial={"text": report.text}),
            "can_manage": access.can(request.user, A.MANAGE, report.place_path),
        },
    )


@staff_required
def report_pdf(request, pk):
    _viewer(request)
    report = selectors.report_get(actor=request.user, pk=pk)
    try:
        data = pdf.render_pdf("performance/report_pdf.html", {"report": report})
    except pdf.PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(reverse("performance_report", args=[report.pk]))
    return pdf.pdf_response(data, f"述职报告-{report.year}-{report.organization.name}.pdf")
