"""The disclosure board (D9, issue 7): publish/correct (the cross-module contract), immutability in the
model, the service layer and the database, fingerprints; the comment box workflow."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from lianxin.core.models import AuditEntry, Notification, Todo, TodoStatus
from lianxin.disclosure import services
from lianxin.disclosure.models import (
    BoardItem,
    Comment,
    CommentStatus,
    ImmutableError,
    ItemStatus,
    canonical_text,
    fingerprint,
)


@pytest.fixture
def secretary(personas):
    return personas["community_secretary"]


def notice(secretary, city, **kwargs):
    values = {
        "actor": secretary,
        "place": city.happy,
        "section": "finance",
        "title": "2026年第一季度财务收支公开",
        "body": "收入：社区运转经费30,000元。\n支出：办公用品2,150元。",
        "kind": "periodic",
        "due_on": dt.date(2026, 4, 15),
    }
    values.update(kwargs)
    return services.publish(**values)


def test_publish_stamps_fingerprint_code_and_audit(secretary, city):
    item = notice(secretary, city)
    assert item.status == ItemStatus.PUBLISHED and item.version == 1
    assert item.place_path == city.happy.path
    assert item.fingerprint == fingerprint(
        section="finance", title=item.title, body=item.body, due_on=dt.date(2026, 4, 15)
    )
    assert len(item.fingerprint) == 64 and len(item.code) == 10
    assert item.get_absolute_url() == f"/portal/board/{item.pk}/"
    assert item.get_short_url() == f"/portal/board/n/{item.code}/"
    entry = AuditEntry.objects.get(action="disclosure.publish", object_id=str(item.pk))
    assert entry.after["fingerprint"] == item.fingerprint and entry.actor_id == secretary.pk


def test_fingerprint_canonical_form_ignores_line_endings_and_trailing_spaces():
    a = canonical_text(section="finance", title=" 公开 ", body="第一行  \r\n第二行\n")
    b = canonical_text(section="finance", title="公开", body="第一行\n第二行")
    assert a == b
    assert fingerprint(section="finance", title="公开", body="x") != fingerprint(
        section="finance", title="公开", body="y"
    )
    assert fingerprint(section="finance", title="公开", body="x") != fingerprint(
        section="affairs", title="公开", body="x"
    )
    assert fingerprint(section="finance", title="t", body="x", due_on=dt.date(2026, 1, 1)) != fingerprint(
        section="finance", title="t", body="x", due_on=dt.date(2026, 1, 2)
    )


def test_published_item_refuses_model_save_service_update_and_delete(secretary, city):
    item = notice(secretary, city)
    item.body = "改过的内容"
    with pytest.raises(ImmutableError):
        item.save()
    with pytest.raises(ImmutableError):
        services.draft_update(actor=secretary, item=item, body="改过的内容")
    fresh = BoardItem.objects.get(pk=item.pk)
    with pytest.raises(ImmutableError):
        fresh.delete()
    with pytest.raises(ImmutableError):
        services.draft_delete(actor=secretary, item=fresh)
    fresh.status = ItemStatus.DRAFT
    with pytest.raises(ImmutableError):
        fresh.save()
    with pytest.raises(ImmutableError):
        BoardItem.objects.filter(pk=item.pk).delete()
    assert BoardItem.objects.get(pk=item.pk).body == "收入：社区运转经费30,000元。\n支出：办公用品2,150元。"


def test_database_refuses_a_raw_update_of_published_content(secretary, city):
    item = notice(secretary, city)
    with pytest.raises(DatabaseError), transaction.atomic():
        BoardItem.objects.filter(pk=item.pk).update(body="偷改")
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE disclosure_boarditem SET title = %s WHERE id = %s", ["偷改", item.pk])
    assert BoardItem.objects.get(pk=item.pk).title == item.title
    # A draft is free to change, also at the database level.
    draft = services.draft_create(
        actor=secretary, place=city.happy, section="affairs", title="草稿", body="正文"
    )
    assert BoardItem.objects.filter(pk=draft.pk).update(body="改") == 1


def test_correction_is_a_new_version_old_stays_visible(secretary, city):
    item = notice(secretary, city)
    new = services.correct(
        actor=secretary,
        item=item,
        title=item.title,
        body=item.body.replace("2,150", "2,510"),
        reason="支出金额录入错误",
    )
    old = BoardItem.objects.get(pk=item.pk)
    assert old.status == ItemStatus.CORRECTED and old.corrected_at is not None
    assert old.newer() == new and new.previous == old and new.version == 2
    assert new.status == ItemStatus.PUBLISHED and new.fingerprint != old.fingerprint
    assert new.correction_reason == "支出金额录入错误"
    assert [v.pk for v in old.history()] == [old.pk, new.pk] == [v.pk for v in new.history()]
    assert old.latest() == new
    assert set(BoardItem.objects.public()) == {old, new}
    assert list(BoardItem.objects.current()) == [new]
    entry = AuditEntry.objects.get(action="disclosure.correct")
    assert entry.reason == "支出金额录入错误" and entry.before["fingerprint"] == old.fingerprint
    # The old one cannot be corrected again; a correction needs a reason and a change.
    with pytest.raises(ValidationError) as excinfo:
        services.correct(actor=secretary, item=old, title="x", body="y", reason="再改")
    assert "status" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.correct(actor=secretary, item=new, title=new.title, body="别的", reason=" ")
    assert "reason" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.correct(actor=secretary, item=new, title=new.title, body=new.body, reason="无变化")
    assert "body" in excinfo.value.message_dict
    assert BoardItem.objects.count() == 2


def test_source_key_same_content_returns_item_changed_content_corrects(secretary, city):
    first = notice(secretary, city, source_key="assistance:2026-03", source=city.happy)
    assert first.source_type.model == "place" and first.source_id == str(city.happy.pk)
    again = notice(secretary, city, source_key="assistance:2026-03", source=city.happy)
    assert again.pk == first.pk and BoardItem.objects.count() == 1
    changed = notice(secretary, city, source_key="assistance:2026-03", body="更新后的名单")
    assert changed.pk != first.pk and changed.previous_id == first.pk and changed.version == 2
    assert changed.correction_reason
    assert BoardItem.objects.get(pk=first.pk).status == ItemStatus.CORRECTED
    # Same key in another community is another item.
    other = notice(secretary, city, place=city.unity, source_key="assistance:2026-03")
    assert other.version == 1


def test_publish_validates_with_field_names(secretary, city):
    with pytest.raises(ValidationError) as excinfo:
        services.publish(
            actor=secretary,
            place=city.happy,
            section="gossip",
            title=" ",
            body="",
            kind="often",
            starts_on=dt.date(2026, 3, 2),
            ends_on=dt.date(2026, 3, 1),
        )
    assert set(excinfo.value.message_dict) == {"section", "title", "body", "kind", "ends_on"}
    assert BoardItem.objects.count() == 0


def test_draft_publish_checks_permission_and_publishes_once(personas, city):
    staff = personas["staff"]
    draft = services.draft_create(
        actor=staff, place=city.happy, section="affairs", title="停水通知", body="明日停水"
    )
    assert draft.status == ItemStatus.DRAFT and not draft.fingerprint
    draft = services.draft_update(actor=staff, item=draft, body="明日8:00-12:00停水")
    with pytest.raises(PermissionDenied):
        services.draft_publish(actor=personas["supervisor"], item=draft)
    with pytest.raises(PermissionDenied):
        services.draft_publish(actor=personas["outsider"], item=draft)
    with pytest.raises(PermissionDenied):
        services.draft_create(
            actor=personas["subdistrict_officer"], place=city.happy, section="affairs", title="t", body="b"
        )
    published = services.draft_publish(actor=staff, item=draft)
    assert (
        published.status == ItemStatus.PUBLISHED and published.fingerprint == published.compute_fingerprint()
    )
    with pytest.raises(ValidationError):
        services.draft_publish(actor=staff, item=draft)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_corrections_make_exactly_one_version(personas, city):
    secretary = personas["community_secretary"]
    item = notice(secretary, city)
    results, barrier = [], threading.Barrier(2)

    def run(index):
        try:
            barrier.wait()
            results.append(
                services.correct(
                    actor=secretary, item=item, title=item.title, body=f"更正{index}", reason="更正"
                )
            )
        except (ValidationError, DatabaseError) as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [r for r in results if isinstance(r, BoardItem)]
    assert len(made) == 1
    assert BoardItem.objects.filter(previous=item).count() == 1
    assert BoardItem.objects.current().count() == 1


def test_unique_live_version_per_source_key(secretary, city):
    notice(secretary, city, source_key="k1")
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardItem.objects.create(
            place=city.happy, section="finance", title="t", body="b", source_key="k1", status="draft"
        )


# --- comment box ---------------------------------------------------------------------------------


def test_anonymous_comment_keeps_no_identity_and_notifies_handlers(personas, city):
    comment = services.comment_submit(
        place=city.happy,
        subject="楼道灯坏了",
        text="3号楼2单元楼道灯坏了一周",
        anonymous=True,
        name="张三",
        phone="13800001111",
    )
    assert comment.anonymous and comment.name == "" and comment.phone_enc == "" and comment.phone_masked == ""
    assert comment.status == CommentStatus.RECEIVED and comment.due_on > comment.due_from
    assert comment.number.startswith("YJ")
    recipients = set(
        Notification.objects.filter(title__contains="楼道灯坏了").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"secretary", "committee", "staff"} <= recipients and "supervisor" not in recipients


def test_named_comment_phone_is_encrypted_and_revealed_with_audit(personas, city):
    comment = services.comment_submit(
        place=city.happy,
        subject="建议",
        text="建议增设休息座椅",
        anonymous=False,
        name="李秀英",
        phone="138-0000-1111",
    )
    assert comment.phone_masked == "138****1111" and "13800001111" not in comment.phone_enc
    with pytest.raises(ValidationError):
        services.comment_phone_reveal(actor=personas["staff"], comment=comment, reason="")
    with pytest.raises(PermissionDenied):
        services.comment_phone_reveal(actor=personas["supervisor"], comment=comment, reason="回访")
    assert (
        services.comment_phone_reveal(actor=personas["staff"], comment=comment, reason="回访")
        == "13800001111"
    )
    assert AuditEntry.objects.filter(action="reveal", object_id=str(comment.pk)).count() == 1


def test_comment_validation_names_fields(city, db):
    with pytest.raises(ValidationError) as excinfo:
        services.comment_submit(place=city.happy_grid, subject="", text="", anonymous=False, phone="12")
    assert {"place", "subject", "text", "phone"} <= set(excinfo.value.message_dict)
    with pytest.raises(ValidationError) as excinfo:
        services.comment_submit(place=city.happy, subject="s", text="t", anonymous=False)
    assert "name" in excinfo.value.message_dict
    assert Comment.objects.count() == 0


def test_comment_workflow_answer_published_only_with_consent(personas, city):
    staff, secretary = personas["staff"], personas["community_secretary"]
    agreed = services.comment_submit(
        place=city.happy, subject="垃圾清运", text="清运不及时", publish_agreed=True
    )
    private = services.comment_submit(
        place=city.happy, subject="邻里纠纷", text="不要公开", publish_agreed=False
    )
    with pytest.raises(PermissionDenied):
        services.comment_answer(actor=personas["supervisor"], comment=agreed, answer="x")
    with pytest.raises(PermissionDenied):
        services.comment_assign(actor=personas["outsider"], comment=agreed, assignee=staff)
    with pytest.raises(ValidationError):
        services.comment_assign(actor=secretary, comment=agreed, assignee=personas["outsider"])
    agreed = services.comment_assign(actor=secretary, comment=agreed, assignee=secretary)
    agreed = services.comment_assign(actor=secretary, comment=agreed, assignee=staff)
    assert agreed.status == CommentStatus.ASSIGNED and agreed.assignee == staff
    # The assignee has a to-do due on the comment's deadline; the earlier assignee's is cancelled.
    todos = {t.assignee: t for t in Todo.objects.filter(url=f"/disclosure/comments/{agreed.pk}/")}
    assert todos[staff].status == TodoStatus.OPEN and todos[staff].due_on == agreed.due_on
    assert todos[secretary].status == TodoStatus.CANCELLED
    with pytest.raises(ValidationError) as excinfo:
        services.comment_answer(actor=staff, comment=agreed, answer=" ")
    assert "answer" in excinfo.value.message_dict
    agreed = services.comment_answer(actor=staff, comment=agreed, answer="已协调物业每日清运两次。")
    private = services.comment_answer(actor=staff, comment=private, answer="已上门调解。")
    assert agreed.answer_public and not private.answer_public
    assert Todo.objects.get(pk=todos[staff].pk).status == TodoStatus.DONE
    assert list(Comment.objects.published()) == [agreed]
    with pytest.raises(ValidationError):
        services.comment_answer(actor=staff, comment=agreed, answer="again")
    closed = services.comment_close(actor=staff, comment=agreed)
    assert closed.status == CommentStatus.CLOSED and list(Comment.objects.published()) == [closed]
    with pytest.raises(ValidationError):
        services.comment_close(actor=staff, comment=closed)
    actions = list(
        AuditEntry.objects.filter(
            object_id=str(agreed.pk), action__startswith="disclosure.comment"
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        [
            "disclosure.comment_submit",
            "disclosure.comment_assign",
            "disclosure.comment_assign",
            "disclosure.comment_answer",
            "disclosure.comment_close",
        ]
    )
