"""Pages of membership transfers (组织关系接转) and special care groups (D2).

Transfers: rows come through lianxin.registry.transfers (both sides see a transfer; "not yours" is
404); each move is a POST to one service, which compares-and-sets the status, so a double submit
moves once and the second click reads "changed in the meantime".

Special care: need-to-know. Every read goes through lianxin.registry.special_care with the page as
its purpose and is audited there; a user without an active assignment gets an empty list (and no
audit entry: there is nothing to read) and 404 on any record.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianxin.accounts.models import User
from lianxin.core import access
from lianxin.core.access import Action
from lianxin.places import selectors as place_selectors
from lianxin.places.models import PartyOrganization, PlaceKind
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import form_page, staff_required

from . import selectors, special_care, transfers
from . import transfer_forms as forms
from .models import SpecialCareGroup, TransferStatus

PAGE_SIZE = 50
SPECIAL_CARE_PAGE_SIZE = 200
S = TransferStatus


# --- transfers ----------------------------------------------------------------------------------


def _receiving_organizations(member):
    """Every active organization but the member's own. A transfer goes by nature outside the sender's
    subtree, so this is a directory of names, not a scoped read of anyone's data."""
    return (
        PartyOrganization.objects.filter(dissolved_on__isnull=True)
        .exclude(pk=member.organization_id)
        .select_related("place")
        .order_by("path")[:2000]
    )


@staff_required
def transfer_list(request):
    access.require(request.user, Action.VIEW_MEMBERS)
    show = request.GET.get("show", "open")
    if show not in {"open", "closed", "all"}:
        show = "open"
    member = None
    member_pk = request.GET.get("member", "")
    qs = transfers.transfer_list(actor=request.user, open_only=show == "open")
    if show == "closed":
        qs = qs.exclude(status__in=[S.REQUESTED, S.APPROVED])
    if member_pk.isdigit():
        qs = qs.filter(member_id=int(member_pk))
        member = selectors.member_list(actor=request.user, status="").filter(pk=int(member_pk)).first()
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "registry/transfer_list.html",
        {
            "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": params.urlencode(),
            "show": show,
            "member": member,
            "member_pk": member_pk if member_pk.isdigit() else "",
            "can_request": member is not None
            and member.status == "active"
            and access.can(request.user, Action.MANAGE_TRANSFERS, member.place_path),
        },
    )


@staff_required
def transfer_detail(request, pk):
    transfer = transfers.transfer_get(actor=request.user, pk=pk)
    moves = transfers.can_act(request.user, transfer)
    return render(
        request,
        "registry/transfer_detail.html",
        {
            "transfer": transfer,
            "events": transfers.transfer_events(transfer=transfer),
            "can_approve": S.APPROVED in moves,
            "can_accept": S.ACCEPTED in moves,
            "can_reject": S.REJECTED in moves,
            "can_cancel": S.CANCELLED in moves,
            "cancel_form": forms.OptionalReasonForm(),
        },
    )


@staff_required
def transfer_request(request, pk):
    """From a member's page: the sending side starts a transfer."""
    member = selectors.member_get(actor=request.user, pk=pk)
    access.require(request.user, Action.MANAGE_TRANSFERS, member.place_path)
    organizations = list(_receiving_organizations(member))
    by_pk = {str(org.pk): org for org in organizations}

    def save(data):
        data = dict(data)
        chosen = data.pop("to_organization")
        if chosen and chosen not in by_pk:
            raise ValidationError({"to_organization": _("Choose the receiving organization.")})
        return transfers.transfer_request(
            actor=request.user, member=member, to_organization=by_pk.get(chosen), **data
        )

    return form_page(
        request,
        forms.TransferRequestForm(request.POST or None, organizations=organizations),
        save=save,
        done=lambda transfer: reverse("transfer_detail", args=[transfer.pk]),
        title=_("Transfer the membership of %(name)s") % {"name": member.resident.name},
        back=reverse("member_detail", args=[member.pk]),
        message=_("Transfer requested."),
    )


def _move(request, pk, service, done_message, **kwargs):
    transfer = transfers.transfer_get(actor=request.user, pk=pk)
    try:
        service(actor=request.user, transfer=transfer, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done_message)
    return redirect("transfer_detail", pk=transfer.pk)


@staff_required
@require_POST
def transfer_approve(request, pk):
    return _move(request, pk, transfers.transfer_approve, _("Transfer approved; the letter is issued."))


@staff_required
@require_POST
def transfer_accept(request, pk):
    return _move(request, pk, transfers.transfer_accept, _("Transfer accepted; the member has moved."))


@staff_required
@require_POST
def transfer_cancel(request, pk):
    form = forms.OptionalReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _move(request, pk, transfers.transfer_cancel, _("Transfer cancelled."), reason=reason)


@staff_required
def transfer_reject(request, pk):
    """A page of its own, because the reason is required and its error belongs on the field."""
    transfer = transfers.transfer_get(actor=request.user, pk=pk)
    if S.REJECTED not in transfers.can_act(request.user, transfer) and request.method != "POST":
        raise PermissionDenied
    return form_page(
        request,
        forms.ReasonForm(request.POST or None),
        save=lambda data: transfers.transfer_reject(actor=request.user, transfer=transfer, **data),
        done=lambda transfer: reverse("transfer_detail", args=[transfer.pk]),
        title=_("Reject the transfer %(number)s") % {"number": transfer.letter_number},
        back=reverse("transfer_detail", args=[transfer.pk]),
        message=_("Transfer rejected; the member stays where they were."),
    )


# --- special care -------------------------------------------------------------------------------


def _group(request) -> str:
    group = request.GET.get("group", "")
    return group if group in SpecialCareGroup.values else ""


@staff_required
def special_care_list(request):
    group = _group(request)
    records = []
    assigned = special_care.has_assignment(request.user)
    if assigned:
        records = special_care.special_care_list(
            actor=request.user,
            purpose=_("Special care list page"),
            group=group or None,
            limit=SPECIAL_CARE_PAGE_SIZE,
        )
    return render(
        request,
        "registry/special_care_list.html",
        {
            "records": records,
            "group": group,
            "groups": SpecialCareGroup.choices,
            # special_care.open_to, without reading the assignments again.
            "can_create": assigned or access.can(request.user, Action.MANAGE_SPECIAL_CARE),
            "can_assign": access.can(request.user, Action.MANAGE_SPECIAL_CARE),
        },
    )


@staff_required
def special_care_detail(request, pk):
    record = special_care.special_care_get(actor=request.user, pk=pk, purpose=_("Special care record page"))
    return render(
        request,
        "registry/special_care_detail.html",
        {"record": record, "reveal_form": forms.SpecialCareRevealForm()},
    )


@staff_required
@never_cache
def special_care_reveal(request, pk):
    """The clear details, once, for a reason that goes into the audit log."""
    record = special_care.special_care_get(
        actor=request.user, pk=pk, purpose=_("Reveal special care details")
    )
    form = forms.SpecialCareRevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = special_care.special_care_reveal(
                actor=request.user, record=record, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(
        request,
        "registry/special_care_reveal.html",
        {"record": record, "form": form, "revealed": revealed},
    )


@staff_required
def special_care_create(request):
    if not special_care.open_to(request.user):
        raise PermissionDenied
    resident = None
    if request.GET.get("resident"):
        resident = selectors.resident_get(actor=request.user, pk=request.GET["resident"])

    def save(data):
        data = dict(data)
        person = resident
        if person is None:
            person = selectors.resident_list(actor=request.user, q=data.pop("id_number")).first()
            if person is None:
                raise ValidationError(
                    {"id_number": _("No resident with this ID number is registered in your area.")}
                )
        return special_care.record_create(actor=request.user, resident=person, **data)

    return form_page(
        request,
        forms.SpecialCareRecordForm(request.POST or None, resident_known=resident is not None),
        save=save,
        done=lambda record: reverse("special_care_detail", args=[record.pk]),
        title=_("Record %(name)s in a special care group") % {"name": resident.name}
        if resident
        else _("Record a person in a special care group"),
        back=reverse("special_care"),
    )


@staff_required
def special_care_end(request, pk):
    record = special_care.special_care_get(actor=request.user, pk=pk, purpose=_("End a special care record"))
    return form_page(
        request,
        forms.SpecialCareEndForm(request.POST or None),
        save=lambda data: special_care.record_end(actor=request.user, record=record, **data),
        done=lambda record: reverse("special_care_detail", args=[record.pk]),
        title=_("End the special care record of %(name)s") % {"name": record.resident.name},
        back=reverse("special_care_detail", args=[record.pk]),
        message=_("Record ended."),
    )


@staff_required
def special_care_assignments(request):
    """Who may see which group where (the community secretary grants and ends)."""
    access.require(request.user, Action.MANAGE_SPECIAL_CARE)
    places = access.restrict(
        place_selectors.place_list(actor=request.user).exclude(kind=PlaceKind.BUILDING),
        request.user,
        Action.MANAGE_SPECIAL_CARE,
    ).order_by("path")[:300]
    form = forms.AssignmentGrantForm(request.POST or None, places=places)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = User.objects.filter(username__iexact=data["username"].strip(), is_active=True).first()
        if user is None:
            form.add_error("username", _("No active account with this login name."))
        else:
            try:
                special_care.assignment_grant(
                    actor=request.user,
                    user=user,
                    group=data["group"],
                    place=place_selectors.place_get(actor=request.user, pk=data["place"]),
                    reason=data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Access granted."))
                return redirect("special_care_assignments")
    return render(
        request,
        "registry/special_care_assignments.html",
        {
            "form": form,
            "assignments": special_care.assignment_list(actor=request.user),
            "reason_form": forms.OptionalReasonForm(),
        },
    )


@staff_required
@require_POST
def special_care_assignment_end(request, pk):
    assignment = access.get_for_user(
        special_care.assignment_list(actor=request.user), request.user, Action.MANAGE_SPECIAL_CARE, pk=pk
    )
    form = forms.OptionalReasonForm(request.POST)
    try:
        special_care.assignment_revoke(
            actor=request.user,
            assignment=assignment,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Access ended."))
    return redirect("special_care_assignments")
