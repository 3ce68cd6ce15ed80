"""Writes of the disclosure module: the board (drafts, publication, corrections) and the comment box.

``publish`` and ``correct`` are the cross-module contract (see docs/disclosure.md): other modules call
them to put what they decided on the board. They do not check the actor's permission (the calling
module checked its own); the staff pages and the API go through ``draft_create``/``draft_publish``/
``item_correct``, which do.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit, calendar
from lianxin.core.models import Todo, TodoStatus
from lianxin.core.notifications import notify
from lianxin.core.services import todo_create
from lianxin.places.models import Place, PlaceKind

from .actions import DisclosureAction as A
from .models import (
    BoardItem,
    Comment,
    CommentKind,
    CommentStatus,
    ImmutableError,
    ItemKind,
    ItemStatus,
    Section,
    Topic,
    immutable_message,
)

AUDIT_FIELDS = [
    "section",
    "kind",
    "topic",
    "title",
    "body",
    "starts_on",
    "ends_on",
    "due_on",
    "source_key",
    "status",
    "version",
    "fingerprint",
]
DEFAULT_COMMENT_ANSWER_DAYS = 10


def comment_answer_days() -> int:
    return int(getattr(settings, "LIANXIN_COMMENT_ANSWER_DAYS", DEFAULT_COMMENT_ANSWER_DAYS))


# --- the board ---------------------------------------------------------------------------------


def _clean_content(*, section, title, body, kind, topic, starts_on, ends_on, due_on) -> dict:
    errors = {}
    if section not in Section.values:
        errors["section"] = _("Choose a section: party, government, community affairs, finances or services.")
    if kind not in ItemKind.values:
        errors["kind"] = _("Choose a kind: long-term, periodic or immediate.")
    if (topic or "") not in Topic.values:
        errors["topic"] = _("Choose a portal topic.")
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors["title"] = _("Please enter a title.")
    elif len(title) > 200:
        errors["title"] = _("The title can have at most 200 characters.")
    if not body:
        errors["body"] = _("Please enter the text to publish.")
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on), ("due_on", due_on)):
        if value is not None and not isinstance(value, dt.date):
            errors[name] = _("Please enter a valid date.")
    if isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date) and ends_on < starts_on:
        errors["ends_on"] = _("The end of the publication window is before its start.")
    if errors:
        raise ValidationError(errors)
    return {
        "section": section,
        "kind": kind,
        "topic": topic or "",
        "title": title,
        "body": body,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "due_on": due_on,
    }


def _fresh_place(place) -> Place:
    if place is None:
        raise ValidationError({"place": _("Choose the community.")})
    return Place.objects.get(pk=place.pk)


def _stamp_published(item: BoardItem, actor) -> None:
    item.status = ItemStatus.PUBLISHED
    item.published_at = timezone.now()
    item.published_by = actor if getattr(actor, "pk", None) else None
    item.fingerprint = item.compute_fingerprint()


@transaction.atomic
def publish(
    *,
    actor,
    place,
    section,
    title,
    body,
    kind="immediate",
    due_on=None,
    starts_on=None,
    ends_on=None,
    source=None,
    source_key="",
    topic="",
    reason="",
) -> BoardItem:
    """Publish an item on the board of ``place`` at once (cross-module contract).

    With a ``source_key`` (unique per place), publishing again with different content corrects the
    live version (a new version; ``reason`` or a standard reason is recorded); the same content returns
    the live version unchanged. A draft with the same key is published with this content."""
    place = _fresh_place(place)
    content = _clean_content(
        section=section,
        title=title,
        body=body,
        kind=kind,
        topic=topic,
        starts_on=starts_on,
        ends_on=ends_on,
        due_on=due_on,
    )
    source_key = (source_key or "").strip()[:120]
    if source_key:
        for _attempt in range(3):
            live = (
                BoardItem.objects.select_for_update()
                .filter(place=place, source_key=source_key)
                .exclude(status=ItemStatus.CORRECTED)
                .first()
            )
            if live is not None:
                break
            try:
                with transaction.atomic():
                    return _create_published(actor, place, content, source, source_key)
            except IntegrityError:
                continue  # published concurrently with the same key: take that one
        else:  # pragma: no cover - three lost races in a row
            raise ValidationError(
                {"source_key": _("This item is being published by someone else; try again.")}
            )
        if live.status == ItemStatus.DRAFT:
            for name, value in content.items():
                setattr(live, name, value)
            _set_source(live, source)
            _stamp_published(live, actor)
            live.save()
            audit.record(
                actor=actor, action="disclosure.publish", obj=live, after=audit.snapshot(live, AUDIT_FIELDS)
            )
            return live
        probe = BoardItem(**content)
        if probe.compute_fingerprint() == live.fingerprint and content["kind"] == live.kind:
            return live
        return _correct_locked(
            actor=actor,
            item=live,
            content=content,
            reason=reason or _("Published again by its source with changed content."),
        )
    return _create_published(actor, place, content, source, source_key)


def _set_source(item: BoardItem, source) -> None:
    if source is not None and source.pk is not None:
        item.source_type = ContentType.objects.get_for_model(type(source))
        item.source_id = str(source.pk)


def _create_published(actor, place, content, source, source_key) -> BoardItem:
    item = BoardItem(
        place=place, source_key=source_key, created_by=actor if getattr(actor, "pk", None) else None
    )
    for name, value in content.items():
        setattr(item, name, value)
    _set_source(item, source)
    _stamp_published(item, actor)
    item.save(force_insert=True)
    audit.record(actor=actor, action="disclosure.publish", obj=item, after=audit.snapshot(item, AUDIT_FIELDS))
    return item


@transaction.atomic
def correct(*, actor, item, title, body, reason, **changes) -> BoardItem:
    """Publish a corrected version of the published ``item`` (cross-module contract). The old version
    stays, marked corrected, linked to the new one. ``changes`` may also set section, kind, topic and
    the dates; everything else is carried over."""
    live = BoardItem.objects.select_for_update().get(pk=item.pk)
    content = {
        name: changes.get(name, getattr(live, name))
        for name in ("section", "kind", "topic", "starts_on", "ends_on", "due_on")
    }
    unknown = set(changes) - set(content)
    if unknown:
        raise TypeError(f"correct() got unexpected fields: {sorted(unknown)}")
    content = _clean_content(title=title, body=body, **content)
    return _correct_locked(actor=actor, item=live, content=content, reason=reason)


def _correct_locked(*, actor, item: BoardItem, content: dict, reason: str) -> BoardItem:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for the correction.")})
    if item.status == ItemStatus.DRAFT:
        raise ValidationError({"status": _("A draft is edited, not corrected.")})
    if item.status == ItemStatus.CORRECTED:
        raise ValidationError(
            {"status": _("This version has already been corrected: correct the newest version instead.")}
        )
    new = BoardItem(
        place_id=item.place_id,
        source_type_id=item.source_type_id,
        source_id=item.source_id,
        source_key=item.source_key,
        version=item.version + 1,
        previous=item,
        correction_reason=reason,
        created_by=actor if getattr(actor, "pk", None) else None,
        **content,
    )
    if new.compute_fingerprint() == item.fingerprint and new.kind == item.kind and new.topic == item.topic:
        raise ValidationError({"body": _("The correction does not change anything.")})
    now = timezone.now()
    # Compare-and-set: of two concurrent corrections of one version exactly one goes through.
    if not BoardItem.objects.filter(pk=item.pk, status=ItemStatus.PUBLISHED).update(
        status=ItemStatus.CORRECTED, corrected_at=now
    ):
        raise ValidationError(
            {"status": _("This version has already been corrected: correct the newest version instead.")}
        )
    _stamp_published(new, actor)
    new.save(force_insert=True)
    audit.record(
        actor=actor,
        action="disclosure.correct",
        obj=new,
        before=audit.snapshot(item, AUDIT_FIELDS),
        after=audit.snapshot(new, AUDIT_FIELDS),
        reason=reason,
    )
    return new


def _require_publisher(actor, place) -> None:
    if not access.can(actor, A.PUBLISH_BOARD, place):
        raise PermissionDenied(_("You may not publish on the board of this community."))


@transaction.atomic
def draft_create(
    *,
    actor,
    place,
    section,
    title,
    body,
    kind="immediate",
    topic="",
    starts_on=None,
    ends_on=None,
    due_on=None,
) -> BoardItem:
    """A draft on the board of ``place``: editable until it is published."""
    place = _fresh_place(place)
    _require_publisher(actor, place)
    if place.kind not in (PlaceKind.COMMUNITY, PlaceKind.SUBDISTRICT, PlaceKind.DISTRICT, PlaceKind.CITY):
        raise ValidationError({"place": _("Board items belong to a community (or a higher level).")})
    content = _clean_content(
        section=section,
        title=title,
        body=body,
        kind=kind,
        topic=topic,
        starts_on=starts_on,
        ends_on=ends_on,
        due_on=due_on,
    )
    item = BoardItem(place=place, created_by=actor, **content)
    item.save(force_insert=True)
    audit.record(actor=actor, action="disclosure.draft", obj=item, after=audit.snapshot(item, AUDIT_FIELDS))
    return item


@transaction.atomic
def draft_update(*, actor, item: BoardItem, **fields) -> BoardItem:
    """Change a draft. A published item is refused here (and in the model, and by the database)."""
    item = BoardItem.objects.select_for_update().get(pk=item.pk)
    _require_publisher(actor, item.place)
    if item.status != ItemStatus.DRAFT:
        raise ImmutableError(immutable_message(), code="immutable")
    content = {
        name: fields.get(name, getattr(item, name))
        for name in ("section", "kind", "topic", "title", "body", "starts_on", "ends_on", "due_on")
    }
    unknown = set(fields) - set(content)
    if unknown:
        raise TypeError(f"draft_update() got unexpected fields: {sorted(unknown)}")
    before = audit.snapshot(item, AUDIT_FIELDS)
    for name, value in _clean_content(**content).items():
        setattr(item, name, value)
    item.save()
    audit.record(
        actor=actor,
        action="disclosure.draft_update",
        obj=item,
        before=before,
        after=audit.snapshot(item, AUDIT_FIELDS),
    )
    return item


@transaction.atomic
def draft_publish(*, actor, item: BoardItem) -> BoardItem:
    """Publish a draft (compare-and-set: a double submit publishes once)."""
    item = BoardItem.objects.select_for_update().get(pk=item.pk)
    _require_publisher(actor, item.place)
    if item.status != ItemStatus.DRAFT:
        raise ValidationError({"status": _("This item is already published.")})
    if item.source_key and (
        BoardItem.objects.filter(
            place_id=item.place_id, source_key=item.source_key, status=ItemStatus.PUBLISHED
        )
        .exclude(pk=item.pk)
        .exists()
    ):
        raise ValidationError(
            {"source_key": _("An item with this source is already published; correct it instead.")}
        )
    _stamp_published(item, actor)
    item.save()
    audit.record(actor=actor, action="disclosure.publish", obj=item, after=audit.snapshot(item, AUDIT_FIELDS))
    return item


@transaction.atomic
def draft_delete(*, actor, item: BoardItem) -> None:
    item = BoardItem.objects.select_for_update().get(pk=item.pk)
    _require_publisher(actor, item.place)
    if item.status != ItemStatus.DRAFT:
        raise ImmutableError(immutable_message(), code="immutable")
    audit.record(
        actor=actor, action="disclosure.draft_delete", obj=item, before=audit.snapshot(item, AUDIT_FIELDS)
    )
    item.delete()


def item_correct(*, actor, item: BoardItem, title, body, reason, **changes) -> BoardItem:
    """``correct`` for the staff pages and the API: the actor must be allowed to publish there."""
    _require_publisher(actor, item.place)
    return correct(actor=actor, item=item, title=title, body=body, reason=reason, **changes)


# --- the comment box ---------------------------------------------------------------------------

# Moves of the comment workflow: status -> statuses it may move to.
TRANSITIONS = {
    CommentStatus.RECEIVED: {CommentStatus.ASSIGNED, CommentStatus.ANSWERED},
    CommentStatus.ASSIGNED: {CommentStatus.ASSIGNED, CommentStatus.ANSWERED},
    CommentStatus.ANSWERED: {CommentStatus.CLOSED},
    CommentStatus.CLOSED: set(),
}


def _comment_number() -> str:
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return f"YJ{timezone.localdate():%Y}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _handlers_of(place: Place) -> list:
    from lianxin.accounts.models import User

    user_ids = [
        user_id
        for role, user_id in place.role_assignments.filter(ended_at__isnull=True).values_list(
            "role", "user_id"
        )
        if A.HANDLE_COMMENTS in access.ROLE_ACTIONS.get(role, ())
    ]
    return list(User.objects.filter(pk__in=user_ids, is_active=True))


@transaction.atomic
def comment_submit(
    *,
    actor=None,
    place,
    subject,
    text,
    kind=CommentKind.COMMENT,
    anonymous=True,
    name="",
    phone="",
    publish_agreed=False,
) -> Comment:
    """Put a comment into the comment box of a community. Anonymous comments carry no name or phone."""
    errors = {}
    place = Place.objects.filter(pk=getattr(place, "pk", None)).first()
    if place is None or place.kind != PlaceKind.COMMUNITY:
        errors["place"] = _("Choose the community.")
    subject, text, name = (subject or "").strip(), (text or "").strip(), (name or "").strip()
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if kind not in CommentKind.values:
        errors["kind"] = _("Choose a comment or a report.")
    if not subject:
        errors["subject"] = _("Please enter a subject.")
    elif len(subject) > 120:
        errors["subject"] = _("The subject can have at most 120 characters.")
    if not text:
        errors["text"] = _("Please write your comment.")
    elif len(text) > 5000:
        errors["text"] = _("The comment can have at most 5000 characters.")
    if anonymous:
        name, digits = "", ""
    else:
        if len(name) > 60:
            errors["name"] = _("The name can have at most 60 characters.")
        if phone and not (7 <= len(digits) <= 15):
            errors["phone"] = _("Please enter a phone number of 7 to 15 digits.")
        if not name and not digits:
            errors["name"] = _("Give your name or phone number, or choose to stay anonymous.")
    if errors:
        raise ValidationError(errors)
    comment = Comment(
        place=place,
        kind=kind,
        subject=subject,
        text=text,
        anonymous=bool(anonymous),
        name=name,
        publish_agreed=bool(publish_agreed),
        submitted_by=actor if getattr(actor, "pk", None) else None,
    )
    if digits:
        comment.set_phone(digits)
    comment.set_deadline(timezone.localdate(), comment_answer_days())
    for _attempt in range(5):
        comment.number = _comment_number()
        try:
            with transaction.atomic():
                comment.save(force_insert=True)
            break
        except IntegrityError:
            comment.pk = None
            comment._state.adding = True
    audit.record(
        actor=actor,
        action="disclosure.comment_submit",
        obj=comment,
        after=audit.snapshot(comment, ["number", "kind", "subject", "anonymous", "publish_agreed", "due_on"]),
    )
    notify(
        recipients=_handlers_of(place),
        title=_("New comment in the comment box: %(subject)s") % {"subject": comment.subject},
        body=_("Answer by %(date)s.") % {"date": comment.due_on.isoformat()},
        url=f"/disclosure/comments/{comment.pk}/",
        dedupe_key=f"disclosure:comment:{comment.pk}:new",
    )
    return comment


def _move(comment: Comment, to: str, **values) -> Comment:
    allowed_from = [old for old, targets in TRANSITIONS.items() if to in targets]
    if comment.status not in allowed_from:
        raise ValidationError(
            {
                "status": _("This comment is %(status)s and cannot be changed that way.")
                % {"status": comment.get_status_display()}
            }
        )
    updated = Comment.objects.filter(pk=comment.pk, status=comment.status).update(status=to, **values)
    if not updated:
        raise ValidationError({"status": _("Someone else changed this comment just now; reload the page.")})
    before_status = comment.status
    comment.refresh_from_db()
    comment._before_status = before_status
    return comment


def _require_handler(actor, comment) -> None:
    if not access.can(actor, A.HANDLE_COMMENTS, comment.place_path):
        raise PermissionDenied(_("You may not handle comments of this community."))


def _comment_url(comment: Comment) -> str:
    return f"/disclosure/comments/{comment.pk}/"


def _close_todos(actor, comment: Comment, status: str) -> None:
    """Close the assignee's to-do for this comment (compare-and-set; one audit entry each)."""
    for todo in Todo.objects.filter(url=_comment_url(comment), status=TodoStatus.OPEN):
        if Todo.objects.filter(pk=todo.pk, status=TodoStatus.OPEN).update(
            status=status, closed_at=timezone.now()
        ):
            audit.record(
                actor=actor,
                action="todo.close",
                obj=todo,
                before={"status": TodoStatus.OPEN},
                after={"status": status},
            )


@transaction.atomic
def comment_assign(*, actor, comment: Comment, assignee) -> Comment:
    """Give the comment to a handler of the community. The handler gets a to-do due on the comment's
    deadline, so ``lianxin tick`` reminds them like any other to-do; a reassignment cancels the old one."""
    _require_handler(actor, comment)
    if assignee is None or not access.can(assignee, A.HANDLE_COMMENTS, comment.place_path):
        raise ValidationError({"assignee": _("Choose someone who handles comments of this community.")})
    comment = _move(comment, CommentStatus.ASSIGNED, assignee=assignee)
    _close_todos(actor, comment, TodoStatus.CANCELLED)
    today = timezone.localdate()
    todo_create(
        actor=None,  # the to-do follows from the assignment, which was checked above
        assignee=assignee,
        place=comment.place,
        title=_("Answer comment %(number)s: %(subject)s")
        % {"number": comment.number, "subject": comment.subject},
        days=max(0, calendar.working_days_between(today, comment.due_on)) if comment.due_on > today else 0,
        url=_comment_url(comment),
    )
    audit.record(
        actor=actor,
        action="disclosure.comment_assign",
        obj=comment,
        before={"status": comment._before_status},
        after={"status": comment.status, "assignee": assignee.pk},
    )
    notify(
        recipients=[assignee],
        title=_("Comment to handle: %(subject)s") % {"subject": comment.subject},
        body=_("Answer by %(date)s.") % {"date": comment.due_on.isoformat()},
        url=f"/disclosure/comments/{comment.pk}/",
        dedupe_key=f"disclosure:comment:{comment.pk}:assign:{assignee.pk}",
    )
    return comment


@transaction.atomic
def comment_answer(*, actor, comment: Comment, answer: str) -> Comment:
    """Record the answer (the result of the investigation). It shows on the portal only when the
    submitter agreed to publication."""
    _require_handler(actor, comment)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Please write the answer.")})
    if len(answer) > 5000:
        raise ValidationError({"answer": _("The answer can have at most 5000 characters.")})
    comment = _move(
        comment,
        CommentStatus.ANSWERED,
        answer=answer,
        answered_by=actor,
        answered_at=timezone.now(),
        assignee=comment.assignee or actor,
    )
    _close_todos(actor, comment, TodoStatus.DONE)
    audit.record(
        actor=actor,
        action="disclosure.comment_answer",
        obj=comment,
        before={"status": comment._before_status},
        after={"status": comment.status, "answer": answer, "published": comment.answer_public},
    )
    return comment


@transaction.atomic
def comment_close(*, actor, comment: Comment) -> Comment:
    _require_handler(actor, comment)
    comment = _move(comment, CommentStatus.CLOSED, closed_at=timezone.now())
    audit.record(
        actor=actor,
        action="disclosure.comment_close",
        obj=comment,
        before={"status": comment._before_status},
        after={"status": comment.status},
    )
    return comment


@transaction.atomic
def comment_phone_reveal(*, actor, comment: Comment, reason: str) -> str:
    """The submitter's phone number in clear, for calling back: needs REVEAL_SENSITIVE and a reason."""
    if not access.can(actor, access.Action.REVEAL_SENSITIVE, comment.place_path):
        raise PermissionDenied
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Please give the reason for showing the phone number.")})
    audit.record_reveal(actor=actor, obj=comment, field="phone", reason=reason)
    return comment.phone_reveal()
