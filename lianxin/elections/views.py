"""Pages of the elections module (D3 换届). Rows come through lianxin.elections.selectors (scoped; "not
yours" is 404), writes through lianxin.elections.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core import access, pdf
from lianxin.web.views import form_page, staff_required

from . import forms, rules, selectors, services
from .actions import ElectionAction
from .models import ElectionStatus, Mark, MarkMode, RoundStatus, Vetting

VIEW, RUN, APPROVE = ElectionAction.VIEW, ElectionAction.RUN, ElectionAction.APPROVE


def _runner(request, election):
    access.require(request.user, RUN, election.place_path)


@staff_required
def elections(request):
    access.require(request.user, VIEW)
    status = request.GET.get("status", "")
    if status not in {"", *ElectionStatus.values}:
        status = ""
    return render(
        request,
        "elections/elections.html",
        {
            "tab": "elections",
            "elections": selectors.election_list(actor=request.user, status=status)[:200],
            "status": status,
            "statuses": ElectionStatus.choices,
            "can_create": access.can(request.user, RUN),
        },
    )


@staff_required
def terms(request):
    access.require(request.user, VIEW)
    try:
        months = int(request.GET.get("months", rules.remind_months()))
    except ValueError:
        months = rules.remind_months()
    months = max(0, min(months, 120))
    today = timezone.localdate()
    rows = selectors.term_list(actor=request.user, due_within_months=months, today=today)
    return render(
        request,
        "elections/terms.html",
        {
            "tab": "terms",
            "terms": rows[:500],
            "months": months,
            "today": today,
            "can_record": access.can(request.user, RUN),
        },
    )


@staff_required
def term_record(request):
    access.require(request.user, RUN)
    return form_page(
        request,
        forms.TermForm(request.POST or None, organizations=selectors.organizations(actor=request.user)),
        save=lambda data: services.term_record(actor=request.user, **data),
        done=lambda term: reverse("elections_terms"),
        title=_("Record a term"),
        back=reverse("elections_terms"),
    )


@staff_required
def election_create(request):
    access.require(request.user, RUN)
    return form_page(
        request,
        forms.ElectionForm(request.POST or None, organizations=selectors.organizations(actor=request.user)),
        save=lambda data: services.election_create(actor=request.user, **data),
        done=lambda election: reverse("elections_detail", args=[election.pk]),
        title=_("New election"),
        back=reverse("elections"),
    )


@staff_required
def election_detail(request, pk):
    access.require(request.user, VIEW)
    election = selectors.election_get(actor=request.user, pk=pk)
    rounds = list(election.rounds.prefetch_related("entries__candidate"))
    return render(
        request,
        "elections/election.html",
        {
            "election": election,
            "candidates": election.candidates.select_related("member"),
            "rounds": rounds,
            "slate_minimum": rules.slate_minimum(election.seats, election.min_extra_percent),
            "can_run": access.can(request.user, RUN, election.place_path),
            "can_approve": access.can(request.user, APPROVE, election.place_path),
            "elected": election.candidates.filter(elected=True),
            "has_pending_round": any(r.status != RoundStatus.CLOSED for r in rounds),
            "Vetting": Vetting,
            "Status": ElectionStatus,
            "RoundStatus": RoundStatus,
        },
    )


@staff_required
def nominate(request, pk):
    access.require(request.user, VIEW)
    election = selectors.election_get(actor=request.user, pk=pk)
    _runner(request, election)
    return form_page(
        request,
        forms.NominationForm(request.POST or None),
        save=lambda data: services.candidate_nominate(actor=request.user, election=election, **data),
        done=lambda candidate: reverse("elections_detail", args=[election.pk]),
        title=_("Nominate a candidate"),
        back=reverse("elections_detail", args=[election.pk]),
    )


def _act(request, election, call, success):
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("elections_detail", pk=election.pk)


@staff_required
@require_POST
def vet(request, pk):
    access.require(request.user, VIEW)
    candidate = selectors.candidate_get(actor=request.user, pk=pk)
    _runner(request, candidate.election)
    approve = request.POST.get("decision") == "approve"
    return _act(
        request,
        candidate.election,
        lambda: services.candidate_vet(
            actor=request.user, candidate=candidate, approve=approve, reason=request.POST.get("reason", "")
        ),
        _("Vetting recorded."),
    )


@staff_required
@require_POST
def slate(request, pk):
    access.require(request.user, VIEW)
    election = selectors.election_get(actor=request.user, pk=pk)
    _runner(request, election)
    return _act(
        request,
        election,
        lambda: services.slate_fix(actor=request.user, election=election),
        _("The slate is fixed."),
    )


@staff_required
def round_open(request, pk):
    access.require(request.user, VIEW)
    rnd = selectors.round_get(actor=request.user, pk=pk)
    _runner(request, rnd.election)
    default = services.entitled_members(rnd.election.organization) if rnd.number == 1 else rnd.entitled
    return form_page(
        request,
        forms.RoundOpenForm(request.POST or None, entitled_default=default),
        save=lambda data: services.round_open(actor=request.user, round=rnd, **data),
        done=lambda r: (
            reverse("elections_teller", args=[r.pk])
            if r.status == RoundStatus.OPEN
            else reverse("elections_detail", args=[r.election_id])
        ),
        title=_("Record the meeting of round %(n)d") % {"n": rnd.number},
        back=reverse("elections_detail", args=[rnd.election_id]),
        message=_("The meeting is recorded."),
    )


def _marks_from(post, round) -> dict:
    return {entry.candidate_id: post.get(f"c{entry.candidate_id}", "") for entry in round.entries.all()}


@staff_required
def teller(request, pk):
    """One paper ballot per submit: each candidate's mark, then Enter. A one-time token in the form
    makes a double submit harmless; the running totals show under the form."""
    access.require(request.user, VIEW)
    rnd = selectors.round_get(actor=request.user, pk=pk)
    election = rnd.election
    _runner(request, election)
    if request.method == "POST":
        try:
            added = services.paper_ballot_enter(
                actor=request.user,
                round=rnd,
                marks=_marks_from(request.POST, rnd),
                token=request.POST.get("token", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if added:
                messages.success(request, _("Ballot recorded."))
            else:
                messages.info(request, _("This ballot was already recorded (the form was sent twice)."))
        return redirect("elections_teller", pk=rnd.pk)
    return render(
        request,
        "elections/teller.html",
        {
            "round": rnd,
            "election": election,
            "entries": rnd.entries.select_related("candidate").order_by("candidate_id"),
            "totals": services.running_totals(rnd),
            "token": services.new_token(),
            "tick_only": election.mark_mode == MarkMode.TICK,
            "marks": Mark.choices,
            "is_open": rnd.status == RoundStatus.OPEN,
            "codes": rnd.codes.all(),
        },
    )


@staff_required
@require_POST
def codes(request, pk):
    access.require(request.user, VIEW)
    rnd = selectors.round_get(actor=request.user, pk=pk)
    _runner(request, rnd.election)
    try:
        count = int(request.POST.get("count", "0"))
    except ValueError:
        count = 0
    try:
        issued = services.codes_issue(actor=request.user, round=rnd, count=count)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d ballot codes issued.") % {"n": len(issued)})
    return redirect("elections_teller", pk=rnd.pk)


@staff_required
@require_POST
def round_close(request, pk):
    access.require(request.user, VIEW)
    rnd = selectors.round_get(actor=request.user, pk=pk)
    _runner(request, rnd.election)
    return _act(
        request,
        rnd.election,
        lambda: services.round_close(actor=request.user, round=rnd),
        _("The round is counted."),
    )


@staff_required
def end_short(request, pk):
    access.require(request.user, VIEW)
    election = selectors.election_get(actor=request.user, pk=pk)
    _runner(request, election)
    return form_page(
        request,
        forms.ReasonForm(request.POST or None),
        save=lambda data: services.election_end_short(actor=request.user, election=election, **data),
        done=lambda e: reverse("elections_detail", args=[e.pk]),
        title=_("End with fewer elected than seats"),
        back=reverse("elections_detail", args=[election.pk]),
    )


@staff_required
@require_POST
def report(request, pk):
    access.require(request.user, VIEW)
    election = selectors.election_get(actor=request.user, pk=pk)
    _runner(request, election)
    return _act(
        request,
        election,
        lambda: services.report_submit(actor=request.user, election=election),
        _("The report is sent to the superior organization."),
    )


@staff_required
def decide(request, pk):
    access.require(request.user, VIEW)
    election = selectors.election_get(actor=request.user, pk=pk)
    access.require(request.user, APPROVE, election.place_path)
    return form_page(
        request,
        forms.DecideForm(request.POST or None),
        save=lambda data: services.report_decide(
            actor=request.user, election=election, approve=data["decision"] == "approve", note=data["note"]
        ),
        done=lambda e: reverse("elections_detail", args=[e.pk]),
        title=_("Approve or return the election report"),
        back=reverse("elections_detail", args=[election.pk]),
    )


@staff_required
def sheet(request, pk):
    """The result sheet (选举结果报告单) as a PDF."""
    access.require(request.user, VIEW)
    election = selectors.election_get(actor=request.user, pk=pk)
    rounds = list(election.rounds.filter(status=RoundStatus.CLOSED).prefetch_related("entries__candidate"))
    try:
        data = pdf.render_pdf(
            "elections/result_pdf.html",
            {
                "election": election,
                "rounds": rounds,
                "elected": election.candidates.filter(elected=True),
                "candidates": election.candidates.filter(on_slate=True),
                "today": timezone.localdate(),
            },
        )
    except pdf.PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("elections_detail", pk=election.pk)
    return pdf.pdf_response(data, f"选举结果报告单-{election.organization.name}.pdf")


def vote(request):
    """A member votes with the one-time code handed out at the meeting (no sign-in, no name)."""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    rnd = services.code_round(code) if code else None
    error, done = "", False
    if code and rnd is None:
        error = _("This code is not valid. Check the code on your ballot slip.")
    if request.method == "POST" and rnd is not None:
        marks = {
            entry.candidate_id: request.POST.get(f"c{entry.candidate_id}", "") for entry in rnd.entries.all()
        }
        try:
            services.code_ballot_cast(code=code, marks=marks)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            done = True
    return render(
        request,
        "elections/vote.html",
        {
            "code": code,
            "round": rnd,
            "entries": rnd.entries.select_related("candidate").order_by("candidate_id") if rnd else [],
            "tick_only": rnd is not None and rnd.election.mark_mode == MarkMode.TICK,
            "marks": Mark.choices,
            "error": error,
            "done": done,
        },
    )
