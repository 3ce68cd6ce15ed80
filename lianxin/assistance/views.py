"""Assistance pages (D6). Rows come through lianxin.assistance.selectors (scoped; "not yours" is 404),
writes through lianxin.assistance.services. The portal pages show only a notice's allow-listed fields."""

import datetime as dt

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianxin.accounts.models import User
from lianxin.core import access
from lianxin.core.access import Action
from lianxin.core.middleware import client_ip
from lianxin.registry.models import PartyMember
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import forms, selectors, services
from .actions import AssistanceAction as A
from .models import (
    CaseStatus,
    Investigation,
    InvestigationPhoto,
    PaymentStatus,
    Programme,
    StepKind,
)

PORTAL_OBJECTION_LIMIT = (10, 600)


def _viewer(request):
    access.require(request.user, A.VIEW)


@staff_required
def case_list(request):
    _viewer(request)
    programme = Programme.objects.filter(code=request.GET.get("programme", "")).first()
    status = request.GET.get("status", CaseStatus.OPEN)
    status = status if status in CaseStatus.values else ""
    qs = selectors.case_list(
        actor=request.user,
        programme=programme,
        step_code=request.GET.get("step", ""),
        status=status,
        overdue=request.GET.get("overdue") == "1",
    )
    return render(
        request,
        "assistance/cases.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "programmes": Programme.objects.all(),
            "programme": programme,
            "status": status,
            "statuses": CaseStatus.choices,
            "today": timezone.localdate(),
            "can_open": access.can(request.user, A.HANDLE),
        },
    )


@staff_required
def case_create(request):
    access.require(request.user, A.HANDLE)
    households = selectors.household_choices(actor=request.user)
    form = forms.CaseOpenForm(request.POST or None, households=households)
    return form_page(
        request,
        form,
        save=lambda data: services.case_open(
            actor=request.user,
            programme=data["programme"],
            household=data["household"],
            applicant=data["applicant"],
            reason_category=data["reason_category"],
            reason=data["reason"],
            amount=data.get("amount"),
        ),
        done=lambda case: reverse("assistance_case", args=[case.pk]),
        title=_("New application"),
        back=reverse("assistance"),
    )


def _case_context(request, case, **forms_given):
    can_act = services.can_act(request.user, case)
    step = case.step
    notice = services.current_notice(case)
    investigation = (
        Investigation.objects.filter(case=case)
        .select_related("first_investigator", "second_investigator")
        .first()
    )
    recused = services.is_recused(request.user, case)
    context = {
        "case": case,
        "steps": list(case.programme.steps.all()),
        "events": case.events.select_related("actor", "from_step", "to_step"),
        "documents": case.documents.all(),
        "investigation": investigation,
        "photos": investigation.photos.all() if investigation else [],
        "tally": services.tally(case),
        "notice": notice,
        "objections": notice.objections.all() if notice else [],
        "recusals": case.recusals.select_related("user"),
        "can_act": can_act,
        "recused": recused,
        "can_reveal": access.can(request.user, Action.REVEAL_SENSITIVE, case.place_path),
        "can_answer": access.can(request.user, A.HANDLE, case.community.path) and not recused,
        "today": timezone.localdate(),
        "plan": getattr(case, "payment_plan", None) if case.status == CaseStatus.APPROVED else None,
    }
    if can_act:
        context["advance_form"] = forms_given.get("advance") or forms.AdvanceForm(case=case)
        if step.order > 1:
            context["return_form"] = forms_given.get("return") or forms.ReturnForm(case=case)
        context["reject_form"] = forms_given.get("reject") or forms.ReasonForm(prefix="reject")
        if step.kind == StepKind.DELIBERATE:
            context["vote_form"] = forms_given.get("vote") or forms.VoteForm()
        if step.kind == StepKind.NOTICE and notice is None:
            context["publish_form"] = forms_given.get("publish") or forms.PublishForm()
    if context["can_answer"]:
        context["answer_form"] = forms.AnswerForm()
    return context


@staff_required
def case_detail(request, pk):
    _viewer(request)
    case = selectors.case_get(actor=request.user, pk=pk)
    return render(request, "assistance/case.html", _case_context(request, case))


ACTS = ("advance", "return", "reject", "vote", "publish", "answer")


@staff_required
@require_POST
def case_act(request, pk, step):
    """One POST per move: the service checks who may act; a refused move shows its reason."""
    _viewer(request)
    case = selectors.case_get(actor=request.user, pk=pk)
    if step not in ACTS:
        raise Http404
    form = None
    try:
        if step == "advance":
            form = forms.AdvanceForm(request.POST, case=case)
            if form.is_valid():
                data = form.cleaned_data
                services.case_advance(
                    actor=request.user,
                    case=case,
                    note=data["note"],
                    review_note=data.get("review_note", ""),
                    documents=data.get("documents", []),
                    amount=data.get("amount"),
                    expected_version=data.get("version"),
                )
        elif step == "return":
            form = forms.ReturnForm(request.POST, case=case)
            if form.is_valid():
                target = case.programme.steps.get(code=form.cleaned_data["to_step"])
                services.case_return(
                    actor=request.user, case=case, to_step=target, reason=form.cleaned_data["reason"]
                )
        elif step == "reject":
            form = forms.ReasonForm(request.POST, prefix="reject")
            if form.is_valid():
                services.case_reject(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        elif step == "vote":
            form = forms.VoteForm(request.POST)
            if form.is_valid():
                services.vote_record(actor=request.user, case=case, **form.cleaned_data)
        elif step == "publish":
            form = forms.PublishForm(request.POST)
            if form.is_valid():
                services.notice_publish(
                    actor=request.user, case=case, starts_on=form.cleaned_data["starts_on"]
                )
        elif step == "answer":
            objection = selectors.objection_get(actor=request.user, pk=request.POST.get("objection", "0"))
            if objection.notice.case_id != case.pk:
                raise Http404
            form = forms.AnswerForm(request.POST)
            if form.is_valid():
                services.objection_answer(
                    actor=request.user,
                    objection=objection,
                    answer=form.cleaned_data["answer"],
                    upheld=form.cleaned_data["upheld"],
                )
                form = None
    except ValidationError as exc:
        apply_service_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You may not do this."))
    if form is not None and (not form.is_valid() or form.errors):
        key = {"answer": None}.get(step, step)
        context = _case_context(
            request, selectors.case_get(actor=request.user, pk=pk), **{key or "none": form}
        )
        context["error_form"] = form
        return render(request, "assistance/case.html", context, status=400)
    messages.success(request, _("Saved."))
    return redirect("assistance_case", pk=case.pk)


@staff_required
def investigation(request, pk):
    _viewer(request)
    case = selectors.case_get(actor=request.user, pk=pk)
    if (
        case.step is None
        or case.step.kind != StepKind.INVESTIGATE
        or not services.can_act(request.user, case)
    ):
        raise PermissionDenied
    users = User.objects.filter(
        is_active=True,
        role_assignments__ended_at__isnull=True,
        role_assignments__role__in=case.step.roles,
    ).distinct()
    users = User.objects.filter(pk__in=[u.pk for u in users if services.can_act(u, case)])
    form = forms.InvestigationForm(request.POST or None, request.FILES or None, users=users)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        photos = request.FILES.getlist("photos")
        try:
            services.investigation_record(
                actor=request.user,
                case=case,
                **{k: v for k, v in data.items() if k != "photos"},
                photos=photos,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("assistance_case", pk=case.pk)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("Home investigation"),
            "back": reverse("assistance_case", args=[case.pk]),
            "multipart": True,
        },
    )


@staff_required
def reveal(request, pk):
    """The clear value of one sensitive finding, for a reason; every reveal is audited."""
    _viewer(request)
    case = selectors.case_get(actor=request.user, pk=pk)
    access.require(request.user, Action.REVEAL_SENSITIVE, case.place_path)
    investigation_row = Investigation.objects.filter(case=case).first()
    if investigation_row is None:
        raise Http404
    form = forms.RevealForm(request.POST or None)
    value = None
    if request.method == "POST" and form.is_valid():
        try:
            value = services.investigation_reveal(
                actor=request.user,
                investigation=investigation_row,
                field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    response = render(request, "assistance/reveal.html", {"case": case, "form": form, "value": value})
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def photo(request, pk):
    _viewer(request)
    try:
        row = InvestigationPhoto.objects.select_related("investigation").get(pk=pk)
    except (InvestigationPhoto.DoesNotExist, ValueError):
        raise Http404 from None
    selectors.case_get(actor=request.user, pk=row.investigation.case_id)
    return FileResponse(row.file.open("rb"), content_type=row.content_type)


@staff_required
def flagged(request):
    qs = selectors.flagged_list(actor=request.user)
    return render(
        request,
        "assistance/flagged.html",
        {"page": Paginator(qs, 50).get_page(request.GET.get("page")), "today": timezone.localdate()},
    )


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or "")
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@staff_required
def reports(request):
    _viewer(request)
    year = _year(request)
    today = timezone.localdate()
    return render(
        request,
        "assistance/reports.html",
        {
            "year": year,
            "by_step": selectors.cases_by_step(actor=request.user, today=today),
            "overdue": selectors.case_list(actor=request.user, overdue=True)[:100],
            "flagged_count": selectors.case_list(
                actor=request.user, flagged=True, status=CaseStatus.OPEN
            ).count(),
            "payments": selectors.payments_per_month(actor=request.user, year=year),
            "buckets": selectors.AGE_BUCKETS,
            "can_export": access.can(request.user, A.EXPORT),
            "can_pay": access.can(request.user, A.PAY),
            "today": today,
        },
    )


@staff_required
@require_POST
def export(request):
    """The reports as an Excel workbook (text cells; audited)."""
    access.require(request.user, A.EXPORT)
    from . import reports as report_module

    data = report_module.workbook(actor=request.user, year=_year(request), today=timezone.localdate())
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="assistance-report.xlsx"'
    return response


@staff_required
def relatives(request):
    access.require(request.user, A.DECLARE)
    households = access.restrict(
        selectors.household_choices(actor=request.user, action=A.DECLARE), request.user, A.DECLARE
    )
    form = forms.RelativeForm(request.POST or None, households=households)
    if request.method == "POST" and form.is_valid():
        try:
            services.relative_declare(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("assistance_relatives")
    return render(
        request,
        "assistance/relatives.html",
        {"form": form, "rows": selectors.relative_list(actor=request.user)[:200]},
    )


@staff_required
def pairings(request):
    _viewer(request)
    qs = selectors.pairing_list(actor=request.user)
    return render(
        request,
        "assistance/pairings.html",
        {
            "coverage": selectors.pairing_coverage(actor=request.user),
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "can_pair": access.can(request.user, A.PAIR),
        },
    )


@staff_required
def pairing_create(request):
    access.require(request.user, A.PAIR)
    members = access.restrict(
        PartyMember.objects.filter(status="active"), request.user, A.PAIR
    ).select_related("resident")
    households = (
        selectors.household_choices(actor=request.user, action=A.PAIR)
        .filter(difficulties__ended_on__isnull=True)
        .exclude(pairings__ended_on__isnull=True, pairings__isnull=False)
        .distinct()
    )
    form = forms.PairingForm(request.POST or None, members=members, households=households)
    return form_page(
        request,
        form,
        save=lambda data: services.pairing_create(
            actor=request.user,
            member=data["member"],
            household=data["household"],
            plan=data["plan"],
            actions=[(data["action_text"], data["action_due"])],
        ),
        done=lambda pairing: reverse("assistance_pairing", args=[pairing.pk]),
        title=_("New pairing"),
        back=reverse("assistance_pairings"),
    )


@staff_required
def pairing_detail(request, pk):
    _viewer(request)
    pairing = selectors.pairing_get(actor=request.user, pk=pk)
    form = forms.NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pairing_note_add(actor=request.user, pairing=pairing, text=form.cleaned_data["text"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("assistance_pairing", pk=pairing.pk)
    return render(
        request,
        "assistance/pairing.html",
        {
            "pairing": pairing,
            "form": form,
            "actions": pairing.actions.all(),
            "notes": pairing.notes.select_related("author"),
        },
    )


@staff_required
def ledger(request, pk):
    """A household's assistance ledger: plans, payments by month, stops, resumptions, reviews."""
    _viewer(request)
    from lianxin.registry.models import Household

    household = access.get_for_user(Household.objects.select_related("place"), request.user, A.VIEW, pk=pk)
    plans = selectors.plan_list(actor=request.user).filter(household=household)
    return render(
        request,
        "assistance/ledger.html",
        {
            "household": household,
            "plans": plans,
            "entries": selectors.ledger(actor=request.user, household=household)[:200],
            "can_pay": access.can(request.user, A.PAY, household.place_path),
            "reason_form": forms.ReasonForm(),
            "statuses": PaymentStatus,
        },
    )


@staff_required
@require_POST
def plan_act(request, pk, step):
    _viewer(request)
    plan = selectors.plan_get(actor=request.user, pk=pk)
    reason = request.POST.get("reason", "")
    try:
        if step == "stop":
            services.payment_stop(actor=request.user, plan=plan, reason=reason)
        elif step == "resume":
            services.payment_resume(actor=request.user, plan=plan, reason=reason)
        elif step == "review":
            services.payment_review(actor=request.user, plan=plan, note=reason)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("assistance_ledger", pk=plan.household_id)


@staff_required
@require_POST
def payments_run(request):
    access.require(request.user, A.PAY)
    try:
        month = dt.date.fromisoformat((request.POST.get("month") or "") + "-01")
    except ValueError:
        month = timezone.localdate()
    made = services.payments_run(actor=request.user, month=month)
    messages.success(request, _("%(count)d payments recorded.") % {"count": len(made)})
    return redirect("assistance_reports")


# --- portal (public, no login) -------------------------------------------------------------------


def portal_notices(request):
    """Notices running today: masked name, community, amount, reason category. Nothing else."""
    q = (request.GET.get("q") or "").strip()[:30]
    qs = selectors.public_notices()
    if q:
        qs = qs.filter(Q(community_name__contains=q) | Q(programme_name__contains=q))
    return render(
        request,
        "assistance/portal_notices.html",
        {"page": Paginator(qs, 30).get_page(request.GET.get("page")), "q": q},
    )


def _over_limit(request) -> bool:
    limit, window = PORTAL_OBJECTION_LIMIT
    key = f"assistance:objection:{client_ip(request)}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        count = 1
    return count > limit


@never_cache
def portal_notice(request, pk):
    """One notice and the objection form (anonymous allowed)."""
    notice = selectors.public_notice_get(pk)
    form = forms.ObjectionForm(request.POST or None)
    filed, limited = None, False
    if request.method == "POST":
        if _over_limit(request):
            limited = True
        elif form.is_valid():
            data = form.cleaned_data
            try:
                filed = services.objection_file(
                    notice=notice,
                    text=data["text"],
                    anonymous=data["anonymous"] or not data["name"].strip(),
                    name=data["name"],
                    phone=data["phone"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
    return render(
        request,
        "assistance/portal_notice.html",
        {"notice": notice, "form": form, "filed": filed, "limited": limited},
        status=429 if limited else 200,
    )
