"""Registry pages (D2): households, residents, party members and the 三化 lists.

Rows come through lianxin.registry.selectors (scoped by lianxin.core.access; "not yours" is 404);
writes go through lianxin.registry.services. ID numbers are shown masked everywhere; the clear
value appears only on the answer to an audited reveal, and is never cached.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from lianxin.core import access, idcard
from lianxin.core.access import Action
from lianxin.core.paging import CappedPaginator
from lianxin.places import selectors as place_selectors
from lianxin.places.models import PlaceKind
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import forms, selectors, services
from .models import Difficulty, MemberKind, Relationship

PAGE_SIZE = 50


def _page(request, queryset):
    return CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request, *, drop=()) -> str:
    params = request.GET.copy()
    for name in ("page", *drop):
        params.pop(name, None)
    return params.urlencode()


def _id_number_query(request) -> str:
    """The masked number when the search text is a whole, valid ID number, else ""."""
    number = idcard.normalize(request.GET.get("q", ""))
    return idcard.mask(number) if len(number) == idcard.LENGTH and idcard.is_valid(number) else ""


def _go_to_match(request, queryset, detail: str, listing: str):
    """A search by ID number finds one person at most: go straight to them, so that the full
    number is never rendered into a page (shared office PCs keep pages and their links)."""
    match = queryset.first()
    if match is not None:
        return redirect(detail, pk=match.pk)
    messages.info(
        request,
        _("No one with the ID number %(number)s in your area.") % {"number": _id_number_query(request)},
    )
    rest = _query_without_page(request, drop=["q"])
    return redirect(reverse(listing) + (f"?{rest}" if rest else ""))


def _posted_search(request, *, listing: str, detail: str, search):
    """The search forms post, and are answered with a redirect: an ID number must never travel in a
    URL (browser history, proxies and server logs keep URLs). A whole, valid ID number goes straight
    to the person (``search(number)`` finds them in scope); any other text to the list with ?q=."""
    params = request.POST.copy()
    params.pop("csrfmiddlewaretoken", None)
    number = idcard.normalize(params.get("q", ""))
    if len(number) == idcard.LENGTH and idcard.is_valid(number):
        params.pop("q")
        match = search(number).first()
        if match is not None:
            return redirect(detail, pk=match.pk)
        messages.info(
            request, _("No one with the ID number %(number)s in your area.") % {"number": idcard.mask(number)}
        )
    params = {key: value.strip() for key, value in params.items() if value.strip()}
    rest = urlencode(params)
    return redirect(reverse(listing) + (f"?{rest}" if rest else ""))


def _buildings_for_user(user):
    """Buildings where ``user`` may register people, for a choice list."""
    buildings = access.restrict(
        place_selectors.place_list(actor=user, kind=PlaceKind.BUILDING), user, Action.MANAGE_PEOPLE
    )
    buildings = list(buildings.select_related("parent__parent").order_by("path")[:500])
    if not buildings:
        raise PermissionDenied
    return buildings


def _get_household_for_user(user, pk, action=Action.VIEW_PEOPLE):
    household = selectors.household_get(actor=user, pk=pk)
    access.require(user, action, household.place_path)
    return household


def _get_resident_for_user(user, pk, action=Action.VIEW_PEOPLE):
    resident = selectors.resident_get(actor=user, pk=pk)
    access.require(user, action, resident.place_path)
    return resident


def _get_member_for_user(user, pk, action=Action.VIEW_MEMBERS):
    member = selectors.member_get(actor=user, pk=pk)
    access.require(user, action, member.place_path)
    return member


# --- households ---------------------------------------------------------------------------------


@staff_required
def households(request):
    access.require(request.user, Action.VIEW_PEOPLE)
    if request.method == "POST":
        return _posted_search(
            request,
            listing="households",
            detail="household_detail",
            search=lambda number: selectors.household_list(actor=request.user, q=number),
        )
    q = request.GET.get("q", "").strip()
    difficulty = request.GET.get("difficulty", "")
    if difficulty not in Difficulty.values:
        difficulty = ""
    qs = selectors.household_list(actor=request.user, q=q, difficulty=difficulty)
    if _id_number_query(request):
        return _go_to_match(request, qs, "household_detail", "households")
    # A grouped query drops Meta.ordering; pages need a stable order.
    qs = qs.order_by("place_path", "unit", "room", "pk")
    return render(
        request,
        "registry/households.html",
        {
            "q": q,
            "query": _query_without_page(request),
            "page": _page(request, qs),
            "difficulty": difficulty,
            "difficulties": Difficulty.choices,
            "can_create": access.can(request.user, Action.MANAGE_PEOPLE),
            "can_export": access.can(request.user, Action.EXPORT_PEOPLE),
        },
    )


@staff_required
def household_detail(request, pk):
    household = _get_household_for_user(request.user, pk)
    members = sorted(
        selectors.resident_list(actor=request.user, household=household),
        key=lambda r: (r.relationship != Relationship.HEAD, r.name),
    )
    tags = list(selectors.difficulty_list(actor=request.user, household=household))
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": members,
            "difficulties": [t for t in tags if t.ended_on is None],
            "past_difficulties": [t for t in tags if t.ended_on is not None],
            "can_manage": access.can(request.user, Action.MANAGE_PEOPLE, household.place_path),
        },
    )


@staff_required
def household_create(request):
    buildings = _buildings_for_user(request.user)

    def save(data):
        data = dict(data)
        place = place_selectors.place_get(actor=request.user, pk=data.pop("place"))
        return services.household_create(actor=request.user, place=place, **data)

    return form_page(
        request,
        forms.HouseholdForm(request.POST or None, buildings=buildings),
        save=save,
        done=lambda household: reverse("household_detail", args=[household.pk]),
        title=_("Register a household"),
        back=reverse("households"),
    )


@staff_required
def household_notes(request, pk):
    household = _get_household_for_user(request.user, pk, Action.MANAGE_PEOPLE)
    return form_page(
        request,
        forms.HouseholdNotesForm(request.POST or None, initial={"notes": household.notes}),
        save=lambda data: services.household_update(actor=request.user, household=household, **data),
        done=lambda household: reverse("household_detail", args=[household.pk]),
        title=_("Notes on %(household)s") % {"household": household},
        back=reverse("household_detail", args=[pk]),
    )


@staff_required
def household_member_add(request, pk):
    household = _get_household_for_user(request.user, pk, Action.MANAGE_PEOPLE)
    return form_page(
        request,
        forms.ResidentForm(request.POST or None),
        save=lambda data: services.resident_create(actor=request.user, household=household, **data),
        done=lambda resident: reverse("household_detail", args=[household.pk]),
        title=_("Add a member to %(household)s") % {"household": household},
        back=reverse("household_detail", args=[pk]),
    )


@staff_required
def difficulty_add(request, pk):
    household = _get_household_for_user(request.user, pk, Action.MANAGE_PEOPLE)
    return form_page(
        request,
        forms.DifficultyForm(request.POST or None),
        save=lambda data: services.difficulty_add(actor=request.user, household=household, **data),
        done=lambda tag: reverse("household_detail", args=[household.pk]),
        title=_("Record a difficulty of %(household)s") % {"household": household},
        back=reverse("household_detail", args=[pk]),
    )


@staff_required
def difficulty_end(request, pk, tag_pk):
    household = _get_household_for_user(request.user, pk, Action.MANAGE_PEOPLE)
    tag = get_object_or_404(selectors.difficulty_list(actor=request.user, household=household), pk=tag_pk)
    return form_page(
        request,
        forms.DifficultyEndForm(request.POST or None),
        save=lambda data: services.difficulty_end(actor=request.user, tag=tag, **data),
        done=lambda tag: reverse("household_detail", args=[household.pk]),
        title=_("End the difficulty “%(difficulty)s” of %(household)s")
        % {"difficulty": tag.get_kind_display(), "household": household},
        back=reverse("household_detail", args=[pk]),
    )


# --- residents ----------------------------------------------------------------------------------


@staff_required
def residents(request):
    access.require(request.user, Action.VIEW_PEOPLE)
    if request.method == "POST":
        return _posted_search(
            request,
            listing="residents",
            detail="resident_detail",
            search=lambda number: selectors.resident_list(actor=request.user, q=number),
        )
    q = request.GET.get("q", "").strip()
    qs = selectors.resident_list(actor=request.user, q=q)
    if _id_number_query(request):
        return _go_to_match(request, qs, "resident_detail", "residents")
    return render(
        request,
        "registry/residents.html",
        {
            "q": q,
            "query": _query_without_page(request),
            "page": _page(request, qs),
            "can_create": access.can(request.user, Action.MANAGE_PEOPLE),
            "can_export": access.can(request.user, Action.EXPORT_PEOPLE),
        },
    )


@staff_required
def resident_create(request):
    buildings = _buildings_for_user(request.user)

    def save(data):
        data = dict(data)
        place = place_selectors.place_get(actor=request.user, pk=data.pop("place"))
        return services.resident_create(actor=request.user, place=place, **data)

    return form_page(
        request,
        forms.ResidentForm(request.POST or None, buildings=buildings),
        save=save,
        done=lambda resident: reverse("resident_detail", args=[resident.pk]),
        title=_("Register a resident"),
        back=reverse("residents"),
    )


@staff_required
def resident_detail(request, pk):
    resident = _get_resident_for_user(request.user, pk)
    can_reveal = access.can(request.user, Action.REVEAL_SENSITIVE, resident.place_path)
    membership = (
        selectors.member_list(actor=request.user, status="").filter(resident=resident).first()
        if access.can(request.user, Action.VIEW_MEMBERS)
        else None
    )
    return render(
        request,
        "registry/resident_detail.html",
        {
            "resident": resident,
            "membership": membership,
            "reveal_form": forms.RevealForm() if can_reveal else None,
            "can_add_membership": membership is None and access.can(request.user, Action.MANAGE_MEMBERS),
        },
    )


@staff_required
@never_cache
def resident_reveal(request, pk):
    """The clear value of one sensitive field, once, for a reason that goes into the audit log."""
    resident = _get_resident_for_user(request.user, pk, Action.REVEAL_SENSITIVE)
    form = forms.RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.resident_reveal(
                actor=request.user,
                resident=resident,
                field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    field_label = dict(form.fields["field"].choices).get(form.data.get("field"), "")
    return render(
        request,
        "registry/reveal.html",
        {"resident": resident, "form": form, "revealed": revealed, "field_label": field_label},
    )


# --- party members ------------------------------------------------------------------------------


@staff_required
def members(request):
    access.require(request.user, Action.VIEW_MEMBERS)
    if request.method == "POST":
        return _posted_search(
            request,
            listing="members",
            detail="member_detail",
            search=lambda number: selectors.member_list(actor=request.user, q=number),
        )
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if kind not in MemberKind.values:
        kind = ""
    organization = None
    if request.GET.get("organization"):
        organization = place_selectors.org_get(actor=request.user, pk=request.GET["organization"])
    qs = selectors.member_list(actor=request.user, q=q, kind=kind, organization=organization)
    if _id_number_query(request):
        return _go_to_match(request, qs, "member_detail", "members")
    return render(
        request,
        "registry/members.html",
        {
            "q": q,
            "query": _query_without_page(request),
            "page": _page(request, qs),
            "kind": kind,
            "kinds": MemberKind.choices,
            "organization": organization,
            "can_create": access.can(request.user, Action.MANAGE_MEMBERS),
            "can_export": access.can(request.user, Action.EXPORT_PEOPLE),
        },
    )


@staff_required
def member_detail(request, pk):
    member = _get_member_for_user(request.user, pk)
    return render(
        request,
        "registry/member_detail.html",
        {
            "member": member,
            "can_manage": access.can(request.user, Action.MANAGE_MEMBERS, member.place_path),
            # 五个必访: a situation reported here opens a visit task of the member's branch (D3).
            "can_report": access.can(request.user, Action.MANAGE_BRANCH, member.place_path),
            "can_see_resident": access.can(request.user, Action.VIEW_PEOPLE, member.resident.place_path),
        },
    )


@staff_required
def member_create(request):
    access.require(request.user, Action.MANAGE_MEMBERS)
    organizations = access.restrict(
        place_selectors.org_list(actor=request.user), request.user, Action.MANAGE_MEMBERS
    ).order_by("path")[:500]
    resident = None
    if request.GET.get("resident"):
        resident = _get_resident_for_user(request.user, request.GET["resident"])

    def save(data):
        data = dict(data)
        person = resident
        if person is None:
            person = selectors.resident_list(actor=request.user, q=data.pop("id_number")).first()
            if person is None:
                raise ValidationError(
                    {"id_number": _("No resident with this ID number is registered in your area.")}
                )
        organization = place_selectors.org_get(actor=request.user, pk=data.pop("organization"))
        return services.member_create(actor=request.user, resident=person, organization=organization, **data)

    title = (
        _("Record %(name)s as a party member") % {"name": resident}
        if resident
        else _("Record a party member")
    )
    return form_page(
        request,
        forms.MemberForm(
            request.POST or None, organizations=organizations, resident_known=resident is not None
        ),
        save=save,
        done=lambda member: reverse("member_detail", args=[member.pk]),
        title=title,
        back=reverse("resident_detail", args=[resident.pk]) if resident else reverse("members"),
    )


@staff_required
def member_edit(request, pk):
    member = _get_member_for_user(request.user, pk, Action.MANAGE_MEMBERS)
    fields = forms.MemberEditForm.base_fields
    return form_page(
        request,
        forms.MemberEditForm(request.POST or None, initial={name: getattr(member, name) for name in fields}),
        save=lambda data: services.member_update(actor=request.user, member=member, **data),
        done=lambda member: reverse("member_detail", args=[member.pk]),
        title=_("Edit the membership of %(name)s") % {"name": member},
        back=reverse("member_detail", args=[pk]),
    )


@staff_required
def three_lists(request):
    """三化管理: per organization, members without posts, from restructured firms, and mobile."""
    access.require(request.user, Action.VIEW_MEMBERS)
    rows = [
        (org, counts["total"], [(kind, counts[key]) for key, kind in selectors.THREE_LISTS.items()])
        for org, counts in selectors.three_lists_counts(actor=request.user)
    ]
    return render(
        request,
        "registry/three_lists.html",
        {"rows": rows, "lists": [MemberKind(kind).label for kind in selectors.THREE_LISTS.values()]},
    )
