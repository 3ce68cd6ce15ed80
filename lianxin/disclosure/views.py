"""Staff pages of the disclosure board and the comment box. Rows come through selectors (scoped;
"not yours" is 404), writes through services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.accounts.models import User
from lianxin.core import access, audit, spreadsheets
from lianxin.web.forms import apply_service_errors
from lianxin.web.views import staff_required

from . import forms, selectors, services
from .actions import DisclosureAction as A
from .models import ImmutableError, ItemStatus, Section


def _query(form) -> str:
    if not form.is_valid():
        return ""
    return urlencode({k: v for k, v in form.cleaned_data.items() if v not in (None, "")})


@staff_required
def board(request):
    access.require(request.user, A.VIEW_BOARD)
    form = forms.BoardFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.board_list(
        actor=request.user,
        section=data.get("section", ""),
        status=data.get("status", ""),
        query=data.get("q", ""),
    )
    return render(
        request,
        "disclosure/board.html",
        {
            "form": form,
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "query": _query(form),
            "can_publish": access.can(request.user, A.PUBLISH_BOARD),
        },
    )


@staff_required
def item_new(request):
    access.require(request.user, A.PUBLISH_BOARD)
    places = selectors.publish_places(actor=request.user)
    form = forms.ItemForm(request.POST or None, places=places, initial={"place": places.first()})
    if request.method == "POST" and form.is_valid():
        try:
            item = services.draft_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The draft is saved. Check it, then publish it."))
            return redirect("disclosure_item", pk=item.pk)
    return render(
        request, "web/form.html", {"form": form, "title": _("New board item"), "back": reverse("disclosure")}
    )


@staff_required
def item_detail(request, pk):
    access.require(request.user, A.VIEW_BOARD)
    item = selectors.board_get(actor=request.user, pk=pk)
    history = [v for v in item.history() if v.status != ItemStatus.DRAFT or v.pk == item.pk]
    return render(
        request,
        "disclosure/item.html",
        {
            "item": item,
            "history": history,
            "can_publish": access.can(request.user, A.PUBLISH_BOARD, item.place_path),
            "audit": audit_trail(item)
            if access.can(request.user, A.VIEW_BOARD_DRAFTS, item.place_path)
            else None,
            "short_url": request.build_absolute_uri(item.get_short_url()),
        },
    )


def audit_trail(item):
    from lianxin.core.models import AuditEntry

    ids = [str(v.pk) for v in item.history()]
    return AuditEntry.objects.filter(object_type="disclosure.boarditem", object_id__in=ids).order_by("seq")


def _writable(request, pk):
    access.require(request.user, A.VIEW_BOARD)
    item = selectors.board_get(actor=request.user, pk=pk)
    access.require(request.user, A.PUBLISH_BOARD, item.place_path)
    return item


@staff_required
def item_edit(request, pk):
    """Edit a draft. A published item is never edited: the page says so and offers the correction."""
    item = _writable(request, pk)
    if item.status != ItemStatus.DRAFT:
        messages.error(request, str(services.immutable_message()))
        return redirect("disclosure_item", pk=item.pk)
    fields = ("section", "kind", "topic", "title", "body", "starts_on", "ends_on", "due_on")
    form = forms.ItemForm(request.POST or None, initial={name: getattr(item, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.draft_update(actor=request.user, item=item, **form.cleaned_data)
        except ImmutableError as exc:
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("disclosure_item", pk=item.pk)
    return render(
        request,
        "web/form.html",
        {"form": form, "title": _("Edit draft"), "back": reverse("disclosure_item", args=[item.pk])},
    )


@staff_required
@require_POST
def item_publish(request, pk):
    item = _writable(request, pk)
    try:
        services.draft_publish(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Published. It can no longer be changed, only corrected."))
    return redirect("disclosure_item", pk=item.pk)


@staff_required
@require_POST
def item_delete(request, pk):
    item = _writable(request, pk)
    try:
        services.draft_delete(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("disclosure_item", pk=item.pk)
    messages.success(request, _("The draft is deleted."))
    return redirect("disclosure")


@staff_required
def item_correct(request, pk):
    item = _writable(request, pk)
    if item.status != ItemStatus.PUBLISHED:
        messages.error(
            request,
            _("Only the newest published version can be corrected.")
            if item.status == ItemStatus.CORRECTED
            else _("A draft is edited, not corrected."),
        )
        return redirect("disclosure_item", pk=item.pk)
    form = forms.CorrectForm(request.POST or None, initial={"title": item.title, "body": item.body})
    if request.method == "POST" and form.is_valid():
        try:
            new = services.item_correct(actor=request.user, item=item, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The correction is published as version %(n)s.") % {"n": new.version})
            return redirect("disclosure_item", pk=new.pk)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("Correct: %(title)s") % {"title": item.title},
            "back": reverse("disclosure_item", args=[item.pk]),
        },
    )


@staff_required
def late(request):
    access.require(request.user, A.VIEW_BOARD)
    form = forms.LateFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    report = selectors.late_report(
        actor=request.user, date_from=data.get("date_from"), date_to=data.get("date_to")
    )
    return render(request, "disclosure/late.html", {"form": form, "report": report, "query": _query(form)})


@staff_required
@require_POST
def late_export(request):
    access.require(request.user, A.VIEW_BOARD)
    form = forms.LateFilterForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    report = selectors.late_report(
        actor=request.user, date_from=data.get("date_from"), date_to=data.get("date_to")
    )
    sections = dict(Section.choices)
    late_rows = [
        [
            i.place.name,
            str(sections.get(i.section, i.section)),
            i.get_kind_display(),
            i.title,
            i.due_on.isoformat(),
            i.published_day.isoformat(),
            str(i.days_late),
            i.code,
        ]
        for i in report.late
    ]
    overdue_rows = [
        [
            i.place.name,
            str(sections.get(i.section, i.section)),
            i.get_kind_display(),
            i.title,
            i.due_on.isoformat(),
            str(i.days_overdue),
        ]
        for i in report.overdue
    ]
    today = timezone.localdate()
    who = request.user.get_full_name() or request.user.get_username()
    book = spreadsheets.write_workbook(
        [
            spreadsheets.SheetSpec(
                _("Published late"),
                [
                    _("Community"),
                    _("Section"),
                    _("Kind"),
                    _("Title"),
                    _("Due by"),
                    _("Published on"),
                    _("Days late"),
                    _("Short code"),
                ],
                late_rows,
                widths={0: 16, 3: 40},
            ),
            spreadsheets.SheetSpec(
                _("Not yet published"),
                [_("Community"), _("Section"), _("Kind"), _("Title"), _("Due by"), _("Days overdue")],
                overdue_rows,
                widths={0: 16, 3: 40},
            ),
            spreadsheets.SheetSpec(
                _("By community"),
                [_("Community"), _("Published late"), _("Not yet published")],
                [[name, str(a), str(b)] for name, a, b in report.per_community],
            ),
        ],
        watermark=_("Exported by %(who)s on %(date)s") % {"who": who, "date": today.isoformat()},
        author=who,
    )
    from django.db import transaction

    with transaction.atomic():
        audit.record(
            actor=request.user,
            action="disclosure.late_export",
            after={
                "late": len(late_rows),
                "overdue": len(overdue_rows),
                **{k: str(v) for k, v in data.items() if v},
            },
        )
    response = HttpResponse(
        book, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="late-disclosure-{today.isoformat()}.xlsx"'
    return response


# --- the comment box -------------------------------------------------------------------------------


@staff_required
def comments(request):
    access.require(request.user, A.VIEW_COMMENTS)
    form = forms.CommentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.comment_list(actor=request.user, status=data.get("status", ""), query=data.get("q", ""))
    return render(
        request,
        "disclosure/comments.html",
        {
            "form": form,
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "query": _query(form),
            "today": timezone.localdate(),
        },
    )


def _handlers(comment):
    ids = [
        user_id
        for role, user_id in comment.place.role_assignments.filter(ended_at__isnull=True).values_list(
            "role", "user_id"
        )
        if A.HANDLE_COMMENTS in access.ROLE_ACTIONS.get(role, ())
    ]
    return User.objects.filter(pk__in=ids, is_active=True).order_by("display_name", "username")


@staff_required
def comment_detail(request, pk):
    access.require(request.user, A.VIEW_COMMENTS)
    comment = selectors.comment_get(actor=request.user, pk=pk)
    can_handle = access.can(request.user, A.HANDLE_COMMENTS, comment.place_path)
    return render(
        request,
        "disclosure/comment.html",
        {
            "comment": comment,
            "can_handle": can_handle,
            "assign_form": forms.AssignForm(
                users=_handlers(comment), initial={"assignee": comment.assignee_id}
            ),
            "answer_form": forms.AnswerForm(initial={"answer": comment.answer}),
            "reveal_form": forms.RevealForm(),
            "can_reveal": bool(comment.phone_enc)
            and access.can(request.user, access.Action.REVEAL_SENSITIVE, comment.place_path),
            "revealed": request.session.pop(f"disclosure:reveal:{comment.pk}", None),
            "today": timezone.localdate(),
        },
    )


def _handled(request, pk):
    access.require(request.user, A.VIEW_COMMENTS)
    comment = selectors.comment_get(actor=request.user, pk=pk)
    if not access.can(request.user, A.HANDLE_COMMENTS, comment.place_path):
        raise PermissionDenied
    return comment


def _run(request, comment, call, ok):
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ok)
    return redirect("disclosure_comment", pk=comment.pk)


@staff_required
@require_POST
def comment_assign(request, pk):
    comment = _handled(request, pk)
    form = forms.AssignForm(request.POST, users=_handlers(comment))
    if not form.is_valid():
        messages.error(request, _("Choose someone who handles comments of this community."))
        return redirect("disclosure_comment", pk=comment.pk)
    return _run(
        request,
        comment,
        lambda: services.comment_assign(
            actor=request.user, comment=comment, assignee=form.cleaned_data["assignee"]
        ),
        _("Assigned."),
    )


@staff_required
@require_POST
def comment_answer(request, pk):
    comment = _handled(request, pk)
    form = forms.AnswerForm(request.POST)
    answer = form.cleaned_data["answer"] if form.is_valid() else ""
    return _run(
        request,
        comment,
        lambda: services.comment_answer(actor=request.user, comment=comment, answer=answer),
        _("The answer is recorded."),
    )


@staff_required
@require_POST
def comment_close(request, pk):
    comment = _handled(request, pk)
    return _run(
        request, comment, lambda: services.comment_close(actor=request.user, comment=comment), _("Closed.")
    )


@staff_required
@require_POST
def comment_reveal(request, pk):
    access.require(request.user, A.VIEW_COMMENTS)
    comment = selectors.comment_get(actor=request.user, pk=pk)
    form = forms.RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        phone = services.comment_phone_reveal(actor=request.user, comment=comment, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        # Shown once on the next page, never put in a URL.
        request.session[f"disclosure:reveal:{comment.pk}"] = phone
    return redirect("disclosure_comment", pk=comment.pk)
