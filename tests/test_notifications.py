"""Notifications: an inbox row with the change, e-mail only after the transaction commits."""

import logging

import pytest
from django.core import mail
from django.db import transaction

from lianxin.accounts import services as accounts
from lianxin.accounts.models import User
from lianxin.core.models import Notification, Todo
from lianxin.core.notifications import Channel, notify, unread_count
from lianxin.core.services import notification_mark_read, todo_create


class BrokenChannel(Channel):
    name = "broken"

    def send(self, notification):
        raise ConnectionError("SMS gateway down")


@pytest.fixture
def worker(db):
    return accounts.user_create(
        actor=None, username="worker", display_name="网格员小李", password=None, email="li@example.cn"
    )


@pytest.fixture
def secretary(personas):
    return personas["community_secretary"]


@pytest.mark.django_db
def test_todo_create_puts_a_message_in_the_assignees_inbox(secretary, worker, city):
    todo = todo_create(actor=secretary, assignee=worker, place=city.happy, title="核实低保材料", days=3)
    note = Notification.objects.get(recipient=worker)
    assert "核实低保材料" in note.title
    assert todo.due_on.isoformat() in note.body
    assert note.dedupe_key == f"todo:{todo.pk}:new" and note.read_at is None
    assert not Notification.objects.filter(recipient=secretary).exists()
    assert unread_count(worker) == 1


@pytest.mark.django_db
def test_email_goes_out_only_after_commit(secretary, worker, city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        todo_create(
            actor=secretary, assignee=worker, place=city.happy, title="核实低保材料", days=3, url="/todos/1/"
        )
        assert mail.outbox == []
    assert len(callbacks) == 1 and mail.outbox == []
    callbacks[0]()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li@example.cn"] and "核实低保材料" in message.subject
    assert message.body.endswith("/todos/1/")


@pytest.mark.django_db
def test_a_rolled_back_write_sends_nothing(secretary, worker, city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                todo_create(actor=secretary, assignee=worker, place=city.happy, title="作废", days=3)
                raise RuntimeError("a later step of the same use-case failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not Todo.objects.filter(title="作废").exists()
    assert not Notification.objects.filter(recipient=worker).exists()


@pytest.mark.django_db
def test_dedupe_key_sends_once_and_inactive_or_missing_recipients_are_skipped(
    worker, django_capture_on_commit_callbacks
):
    retired = accounts.user_create(
        actor=None, username="retired", display_name="退休", password=None, email="r@x.cn"
    )
    User.objects.filter(pk=retired.pk).update(is_active=False)
    retired.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(recipients=[worker, worker, retired, None], title="会议通知", dedupe_key="meeting:7")
        again = notify(recipients=[worker], title="会议通知", dedupe_key="meeting:7")
        other = notify(recipients=[worker], title="另一条")
    assert [n.recipient for n in first] == [worker] and again == [] and len(other) == 1
    assert Notification.objects.filter(recipient=worker).count() == 2
    assert not Notification.objects.filter(recipient=retired).exists()
    assert sorted(m.subject for m in mail.outbox) == ["会议通知", "另一条"]


@pytest.mark.django_db
def test_one_broken_channel_does_not_stop_the_others(
    worker, settings, caplog, django_capture_on_commit_callbacks
):
    settings.LIANXIN_NOTIFICATION_CHANNELS = [
        f"{__name__}.BrokenChannel",
        "lianxin.core.notifications.EmailChannel",
    ]
    with caplog.at_level(logging.ERROR, logger="lianxin.core.notifications"):
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[worker], title="停水通知")
    assert [m.subject for m in mail.outbox] == ["停水通知"]
    assert any(getattr(r, "channel", None) == "broken" for r in caplog.records)


@pytest.mark.django_db
def test_no_email_address_no_email(db, django_capture_on_commit_callbacks):
    user = accounts.user_create(actor=None, username="noemail", display_name="无邮箱", password=None)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[user], title="通知")
    assert mail.outbox == [] and unread_count(user) == 1


@pytest.mark.django_db
def test_mark_read(worker):
    with transaction.atomic():
        a, b = notify(recipients=[worker], title="一"), notify(recipients=[worker], title="二")
    assert notification_mark_read(user=worker, ids=[a[0].pk]) == 1
    assert unread_count(worker) == 1
    assert notification_mark_read(user=worker) == 1
    assert notification_mark_read(user=worker) == 0
    assert b[0].pk in Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("/requests/12/", "/requests/12/"),
        ("javascript:window.__xss=1", ""),
        (" JavaScript:alert(1)", ""),
        ("//evil.example/x", ""),
        ("/\\evil.example", ""),
        ("https://evil.example/", ""),
        ("", ""),
    ],
)
def test_stored_links_are_shown_only_when_they_stay_on_this_site(stored, shown):
    from lianxin.web.templatetags.links import local_url

    assert local_url(stored) == shown


@pytest.mark.django_db
def test_the_inbox_and_to_dos_never_link_to_a_script(client, personas):
    """Found by scripts/content_drill.py: a link field holding ``javascript:`` became an href."""
    from django.urls import reverse

    user = personas["community_secretary"]
    Notification.objects.create(recipient=user, title="恶意链接", url="javascript:window.__xss=1")
    place = user.role_assignments.first().place
    todo_create(actor=user, assignee=user, place=place, title="待办", days=3, url="javascript:x()")
    client.force_login(user)
    for name in ("inbox", "todos"):
        page = client.get(reverse(name)).content.decode()
        assert "javascript:" not in page, name
