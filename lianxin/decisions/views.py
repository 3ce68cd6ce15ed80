"""Pages of the decisions module (D8). Rows come through lianxin.decisions.selectors (scoped; "not
yours" is 404), writes through lianxin.decisions.services."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianxin.accounts.models import User
from lianxin.core import access, tree
from lianxin.core.middleware import client_ip
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import Household
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import forms, selectors, services
from .actions import DecisionAction
from .models import (
    CHAIN,
    PUBLICATION_STAGES,
    BallotCode,
    DayStatus,
    HouseholdVote,
    Matter,
    MatterStatus,
    Stage,
    StageRecord,
)

VIEW, RECORD = DecisionAction.VIEW, DecisionAction.RECORD


def _viewer(request):
    access.require(request.user, VIEW)


def _can_record(request, obj) -> bool:
    return access.can(request.user, RECORD, obj.place_path)


def _recorder(request, obj):
    access.require(request.user, RECORD, obj.place_path)


def _tabs(tab):
    return {"tab": tab}


# --- matters ------------------------------------------------------------------------------------


@staff_required
def matters(request):
    _viewer(request)
    status = request.GET.get("status", "open")
    if status not in {"open", "", *MatterStatus.values}:
        status = "open"
    qs = selectors.matter_list(actor=request.user, status=status, q=request.GET.get("q", "").strip())
    return render(
        request,
        "decisions/matters.html",
        {
            **_tabs("matters"),
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "status": status,
            "statuses": MatterStatus.choices,
            "can_create": access.can(request.user, RECORD),
            "chain": CHAIN,
        },
    )


@staff_required
def matter_create(request):
    access.require(request.user, RECORD)
    communities = selectors.communities(actor=request.user, action=RECORD)
    return form_page(
        request,
        forms.MatterForm(request.POST or None, communities=communities),
        save=lambda data: services.matter_create(actor=request.user, **data),
        done=lambda matter: reverse("decisions_matter", args=[matter.pk]),
        title=_("New matter"),
        back=reverse("decisions"),
    )


def _chain(matter: Matter) -> list[dict]:
    records = list(
        StageRecord.objects.filter(matter=matter).select_related("recorded_by").order_by("recorded_at", "id")
    )
    rows = []
    for stage in CHAIN:
        mine = [r for r in records if r.stage == stage]
        complete = next((r for r in mine if r.complete), None)
        rule = None
        if stage not in PUBLICATION_STAGES:
            rule = services.rule_for(matter, stage)
        rows.append(
            {
                "stage": stage,
                "records": mine,
                "complete": complete,
                "current": matter.status == stage,
                "rule": rule,
            }
        )
    return rows


@staff_required
def matter_detail(request, pk):
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    context = {
        "matter": matter,
        "chain": _chain(matter),
        "can_record": _can_record(request, matter),
        "comments": matter.comments.all()[:200],
        "missing": services.missing_stages(matter) if matter.category.mandatory else [],
        "skippable": not matter.category.mandatory and matter.status in services.SKIPPABLE,
        "open": matter.status in {s.value for s in Stage},
        "before_decision": matter.status
        in {Stage.PROPOSAL, Stage.DELIBERATION, Stage.REVIEW, Stage.DECISION},
    }
    if matter.double_ballot:
        context["tally"] = services.household_tally(matter)
    return render(request, "decisions/matter.html", context)


@staff_required
def stage_record(request, pk):
    """The form of the stage the matter waits for: a meeting with its votes, or a publication."""
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    _recorder(request, matter)
    if matter.status not in {s.value for s in Stage}:
        raise Http404
    stage = Stage(matter.status)
    back = reverse("decisions_matter", args=[matter.pk])
    today = timezone.localdate()
    if stage == Stage.RESOLUTION:
        form = forms.ResolutionForm(request.POST or None, initial={"published_on": today, "posted_days": 7})

        def save(data):
            return services.resolution_publish(actor=request.user, matter=matter, **data)

    elif stage == Stage.RESULT:
        form = forms.PublishForm(request.POST or None, initial={"published_on": today})

        def save(data):
            return services.result_publish(actor=request.user, matter=matter, **data)

    else:
        form = forms.StageForm(request.POST or None, initial={"held_on": today})

        def save(data):
            return services.stage_record(actor=request.user, matter=matter, stage=stage, **data)

    rule = None if stage in PUBLICATION_STAGES else services.rule_for(matter, stage)
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, result.explanation or _("Saved."))
            return redirect(back)
    return render(
        request,
        "decisions/stage_form.html",
        {"matter": matter, "stage": stage, "form": form, "rule": rule, "back": back},
    )


@staff_required
def stage_skip(request, pk):
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    _recorder(request, matter)
    return form_page(
        request,
        forms.ReasonForm(request.POST or None),
        save=lambda data: services.stage_skip(actor=request.user, matter=matter, **data),
        done=lambda _record: reverse("decisions_matter", args=[matter.pk]),
        title=_("Skip “%(stage)s”")
        % {"stage": Stage(matter.status).label if matter.status in Stage.values else ""},
        back=reverse("decisions_matter", args=[matter.pk]),
    )


@staff_required
def matter_recategorize(request, pk):
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    _recorder(request, matter)
    return form_page(
        request,
        forms.RecategorizeForm(request.POST or None, initial={"category": matter.category_id}),
        save=lambda data: services.matter_recategorize(actor=request.user, matter=matter, **data),
        done=lambda m: reverse("decisions_matter", args=[m.pk]),
        title=_("Change the category"),
        back=reverse("decisions_matter", args=[matter.pk]),
    )


@staff_required
def matter_withdraw(request, pk):
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    _recorder(request, matter)
    return form_page(
        request,
        forms.ReasonForm(request.POST or None),
        save=lambda data: services.matter_withdraw(actor=request.user, matter=matter, **data),
        done=lambda m: reverse("decisions_matter", args=[m.pk]),
        title=_("Withdraw the matter"),
        back=reverse("decisions_matter", args=[matter.pk]),
    )


@staff_required
def matter_draft(request, pk):
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    _recorder(request, matter)
    return form_page(
        request,
        forms.DraftForm(
            request.POST or None, initial={"draft": matter.draft, "until": matter.comments_until}
        ),
        save=lambda data: services.matter_send_draft(actor=request.user, matter=matter, **data),
        done=lambda m: reverse("decisions_matter", args=[m.pk]),
        title=_("Send the draft to residents for comments"),
        back=reverse("decisions_matter", args=[matter.pk]),
    )


# --- the double ballot --------------------------------------------------------------------------


@staff_required
def ballot(request, pk):
    """The household tally of a matter: representatives, codes to print, votes so far."""
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    if not matter.double_ballot:
        raise Http404
    reps = selectors.representative_list(actor=request.user, place=matter.place).order_by("name")
    voted = dict(HouseholdVote.objects.filter(matter=matter).values_list("household_id", "channel"))
    codes = list(
        BallotCode.objects.filter(matter=matter)
        .select_related("household__place")
        .order_by("household__place_path", "household__unit", "household__room")
    )
    can_record = _can_record(request, matter) and matter.status == MatterStatus.DECISION
    return render(
        request,
        "decisions/ballot.html",
        {
            "matter": matter,
            "tally": services.household_tally(matter),
            "representatives": reps,
            "codes": codes if can_record else [],
            "voted": voted,
            "cast_form": forms.CastForm(representatives=reps) if can_record else None,
            "can_record": can_record,
        },
    )


@staff_required
@require_POST
def ballot_issue(request, pk):
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    _recorder(request, matter)
    try:
        issued = services.ballot_codes_issue(actor=request.user, matter=matter)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d ballot codes issued.") % {"n": issued})
    return redirect("decisions_ballot", pk=matter.pk)


@staff_required
@require_POST
def ballot_cast(request, pk):
    _viewer(request)
    matter = selectors.matter_get(actor=request.user, pk=pk)
    _recorder(request, matter)
    form = forms.CastForm(
        request.POST, representatives=selectors.representative_list(actor=request.user, place=matter.place)
    )
    if not form.is_valid():
        messages.error(request, _("Choose a representative and a vote."))
        return redirect("decisions_ballot", pk=matter.pk)
    try:
        result = services.representative_cast(actor=request.user, matter=matter, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(cast)d household votes cast; %(skipped)d households had already voted.")
            % {"cast": len(result["cast"]), "skipped": len(result["skipped"])},
        )
    return redirect("decisions_ballot", pk=matter.pk)


@staff_required
def representatives(request):
    _viewer(request)
    reps = selectors.representative_list(actor=request.user).order_by("place_path", "name")
    return render(
        request,
        "decisions/representatives.html",
        {**_tabs("representatives"), "representatives": reps, "can_create": access.can(request.user, RECORD)},
    )


@staff_required
def representative_create(request):
    access.require(request.user, RECORD)
    return form_page(
        request,
        forms.RepresentativeForm(
            request.POST or None, communities=selectors.communities(actor=request.user, action=RECORD)
        ),
        save=lambda data: services.representative_create(actor=request.user, **data),
        done=lambda rep: reverse("decisions_representative", args=[rep.pk]),
        title=_("New residents' representative"),
        back=reverse("decisions_representatives"),
    )


@staff_required
def representative_detail(request, pk):
    """A representative's households; the form links households of the community to them."""
    _viewer(request)
    rep = selectors.representative_get(actor=request.user, pk=pk)
    can_record = _can_record(request, rep)
    linked = Household.objects.filter(pk__in=rep.links.values("household_id")).select_related("place")
    form = None
    if can_record:
        candidates = (
            Household.objects.under(rep.place_path)
            .select_related("place")
            .order_by("place_path", "unit", "room")
        )
        form = forms.LinkForm(
            request.POST or None, households=candidates, initial={"households": list(linked)}
        )
        if request.method == "POST" and form.is_valid():
            try:
                changed = services.representative_link(
                    actor=request.user, representative=rep, households=form.cleaned_data["households"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(n)d households linked.") % {"n": changed})
                return redirect("decisions_representative", pk=rep.pk)
    elif request.method == "POST":
        access.require(request.user, RECORD, rep.place_path)
    return render(request, "decisions/representative.html", {"rep": rep, "linked": linked, "form": form})


# --- deliberation days --------------------------------------------------------------------------


@staff_required
def days(request):
    _viewer(request)
    return render(
        request,
        "decisions/days.html",
        {
            **_tabs("days"),
            "page": Paginator(selectors.day_list(actor=request.user), 30).get_page(request.GET.get("page")),
            "waiting": selectors.agenda_waiting(actor=request.user).select_related("place")[:100],
            "can_create": access.can(request.user, RECORD),
        },
    )


@staff_required
def day_plan(request):
    access.require(request.user, RECORD)
    return form_page(
        request,
        forms.DayPlanForm(
            request.POST or None, communities=selectors.communities(actor=request.user, action=RECORD)
        ),
        save=lambda data: services.deliberation_day_plan(actor=request.user, **data),
        done=lambda day: reverse("decisions_day", args=[day.pk]),
        title=_("Plan a deliberation day"),
        back=reverse("decisions_days"),
    )


@staff_required
def day_detail(request, pk):
    _viewer(request)
    day = selectors.day_get(actor=request.user, pk=pk)
    can_record = _can_record(request, day)
    items = list(day.items.all())
    record_form = None
    if can_record and day.status == DayStatus.PLANNED:
        record_form = forms.DayRecordForm(request.POST or None)
        if request.method == "POST" and record_form.is_valid():
            outcomes = {}
            for item in items:
                status = request.POST.get(f"status_{item.pk}", "")
                if status:
                    outcomes[item.pk] = (status, request.POST.get(f"outcome_{item.pk}", ""))
            try:
                services.deliberation_day_record(
                    actor=request.user, day=day, outcomes=outcomes, **record_form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(record_form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("decisions_day", pk=day.pk)
    elif request.method == "POST":
        access.require(request.user, RECORD, day.place_path)
        raise Http404
    return render(
        request,
        "decisions/day.html",
        {
            "day": day,
            "items": items,
            "follow_ups": day.follow_ups.select_related("owner", "agenda_item"),
            "record_form": record_form,
            "can_record": can_record,
            "today": timezone.localdate(),
        },
    )


def _owners(place_path):
    """People who may read this community's decisions: the holders at it or above (one query)."""
    roles = [role for role, actions in access.ROLE_ACTIONS.items() if VIEW in actions]
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__ended_at__isnull=True,
            role_assignments__role__in=roles,
            role_assignments__place__path__in=[*tree.ancestors_of(place_path), place_path],
        )
        .distinct()
        .order_by("username")
    )


@staff_required
def follow_up_create(request, pk):
    _viewer(request)
    day = selectors.day_get(actor=request.user, pk=pk)
    _recorder(request, day)
    return form_page(
        request,
        forms.FollowUpForm(request.POST or None, owners=_owners(day.place_path), items=day.items.all()),
        save=lambda data: services.follow_up_create(actor=request.user, day=day, **data),
        done=lambda _f: reverse("decisions_day", args=[day.pk]),
        title=_("Add a follow-up"),
        back=reverse("decisions_day", args=[day.pk]),
    )


@staff_required
@require_POST
def follow_up_done(request, pk):
    _viewer(request)
    follow_up = selectors.follow_up_get(actor=request.user, pk=pk)
    try:
        services.follow_up_done(actor=request.user, follow_up=follow_up, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("decisions_day", pk=follow_up.day_id)


# --- departure audits and charters --------------------------------------------------------------


@staff_required
def audits(request):
    _viewer(request)
    return render(
        request,
        "decisions/audits.html",
        {
            **_tabs("audits"),
            "audits": selectors.departure_audit_list(actor=request.user)[:200],
            "can_create": access.can(request.user, RECORD),
        },
    )


@staff_required
def audit_create(request):
    access.require(request.user, RECORD)
    return form_page(
        request,
        forms.DepartureAuditForm(
            request.POST or None, communities=selectors.communities(actor=request.user, action=RECORD)
        ),
        save=lambda data: services.departure_audit_create(actor=request.user, **data),
        done=lambda row: reverse("decisions_audit", args=[row.pk]),
        title=_("Record a departure audit"),
        back=reverse("decisions_audits"),
    )


@staff_required
def audit_detail(request, pk):
    _viewer(request)
    row = selectors.departure_audit_get(actor=request.user, pk=pk)
    return render(request, "decisions/audit.html", {"row": row, "can_record": _can_record(request, row)})


@staff_required
@require_POST
def audit_publish(request, pk):
    _viewer(request)
    row = selectors.departure_audit_get(actor=request.user, pk=pk)
    _recorder(request, row)
    try:
        services.departure_audit_publish(actor=request.user, departure_audit=row)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Published."))
    return redirect("decisions_audit", pk=row.pk)


@staff_required
def charters(request):
    _viewer(request)
    return render(
        request,
        "decisions/charters.html",
        {
            **_tabs("charters"),
            "charters": selectors.charter_list(actor=request.user)[:200],
            "can_create": access.can(request.user, RECORD),
        },
    )


@staff_required
def charter_create(request):
    access.require(request.user, RECORD)
    return form_page(
        request,
        forms.CharterForm(
            request.POST or None, communities=selectors.communities(actor=request.user, action=RECORD)
        ),
        save=lambda data: services.charter_adopt(actor=request.user, **data),
        done=lambda charter: reverse("decisions_charter", args=[charter.pk]),
        title=_("Record a new version of the residents' charter"),
        back=reverse("decisions_charters"),
    )


@staff_required
def charter_detail(request, pk):
    _viewer(request)
    charter = selectors.charter_get(actor=request.user, pk=pk)
    return render(request, "decisions/charter.html", {"charter": charter, "public": False})


# --- the public portal (no login) ---------------------------------------------------------------

PORTAL_LIMITS = {"comment": (10, 3600), "agenda": (5, 3600), "vote": (20, 600)}


def _over_limit(request, kind: str) -> bool:
    limit, window = PORTAL_LIMITS[kind]
    key = f"decisions:portal:{kind}:{client_ip(request)}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        count = 1
    return count > limit


def portal_home(request):
    """Matters open for comments, the resolutions published, and each community's charter."""
    today = timezone.localdate()
    open_drafts = (
        Matter.objects.filter(comments_until__gte=today)
        .exclude(draft="")
        .select_related("place")
        .order_by("comments_until")[:50]
    )
    published = (
        Matter.objects.filter(status__in=[MatterStatus.RESULT, MatterStatus.IMPLEMENTED])
        .select_related("place")
        .order_by("-updated_at")[:30]
    )
    return render(
        request,
        "decisions/portal_home.html",
        {
            "open_drafts": open_drafts,
            "published": published,
            "communities": Place.objects.filter(kind=PlaceKind.COMMUNITY, pk__in=_charter_places()).order_by(
                "path"
            ),
        },
    )


def _charter_places():
    from .models import Charter

    return Charter.objects.values("place_id")


@never_cache
def portal_matter(request, pk):
    """A matter's draft and the comment form; published resolutions and results, for everyone."""
    matter = get_object_or_404(Matter.objects.select_related("place", "category"), pk=pk)
    published = list(
        StageRecord.objects.filter(matter=matter, stage__in=list(PUBLICATION_STAGES), complete=True).order_by(
            "held_on"
        )
    )
    if not matter.draft and not published:
        raise Http404
    form = forms.CommentForm(request.POST or None) if matter.comments_open else None
    sent, limited = False, False
    if form is not None and request.method == "POST":
        if _over_limit(request, "comment"):
            limited = True
        elif form.is_valid():
            try:
                services.comment_add(matter=matter, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                sent, form = True, forms.CommentForm()
    return render(
        request,
        "decisions/portal_matter.html",
        {"matter": matter, "form": form, "sent": sent, "limited": limited, "published": published},
        status=429 if limited else 200,
    )


@never_cache
def portal_agenda(request):
    """A resident proposes a topic for the monthly deliberation day."""
    form = forms.PortalAgendaForm(request.POST or None)
    created, limited = None, False
    if request.method == "POST":
        if _over_limit(request, "agenda"):
            limited = True
        elif form.is_valid():
            try:
                created = services.agenda_item_submit(actor=None, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
    next_day = services.deliberation_next_date(created.place) if created else None
    return render(
        request,
        "decisions/portal_agenda.html",
        {"form": form, "created": created, "next_day": next_day, "limited": limited},
        status=429 if limited else 200,
    )


@never_cache
def portal_vote(request):
    """A household votes with its one-time ballot code (the double ballot)."""
    form = forms.BallotForm(request.POST or None)
    vote, limited = None, False
    if request.method == "POST":
        if _over_limit(request, "vote"):
            limited = True
        elif form.is_valid():
            try:
                vote = services.household_vote_direct(**form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
    return render(
        request,
        "decisions/portal_vote.html",
        {"form": form, "vote": vote, "limited": limited},
        status=429 if limited else 200,
    )


def portal_charter(request, pk):
    """A community's residents' charter in effect, and its earlier versions."""
    place = get_object_or_404(Place, pk=pk, kind=PlaceKind.COMMUNITY)
    current = services.charter_current(place)
    if current is None:
        raise Http404
    from .models import Charter

    versions = Charter.objects.filter(place=place).order_by("-version")
    return render(
        request, "decisions/portal_charter.html", {"place": place, "charter": current, "versions": versions}
    )
