"""Notifications: an in-app inbox row written with the change, other channels sent after commit.

A channel is a class with ``send(notification)``; settings.LIANXIN_NOTIFICATION_CHANNELS lists
them. SMS or WeChat plug in as one more class.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from django_tasks import task

from .models import Notification

logger = logging.getLogger(__name__)


class Channel:
    name = "base"

    def send(self, notification: Notification) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"

    def send(self, notification: Notification) -> None:
        address = notification.recipient.email
        if not address:
            return
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{notification.url}".strip()
        send_mail(notification.title, body, None, [address], fail_silently=False)


def channels() -> list[Channel]:
    return [import_string(path)() for path in settings.LIANXIN_NOTIFICATION_CHANNELS]


@task()
def deliver(notification_ids: list[int]) -> int:
    """Send notifications on every external channel. Runs after the writing transaction commits."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related("recipient"):
        for channel in channels():
            try:
                channel.send(notification)
                sent += 1
            except Exception:  # one failing channel must not stop the others
                logger.exception("notification channel failed", extra={"channel": channel.name})
    return sent


def notify(
    *, recipients, title: str, body: str = "", url: str = "", dedupe_key: str | None = None
) -> list[Notification]:
    """Put a message in each recipient's inbox and send it on the other channels after commit.

    With ``dedupe_key`` a recipient gets the message at most once, however often this runs.
    """
    created = []
    for recipient in {r.pk: r for r in recipients if r is not None and r.is_active}.values():
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        recipient=recipient, title=title[:200], body=body, url=url, dedupe_key=dedupe_key
                    )
                )
        except IntegrityError:
            continue
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: deliver.enqueue(ids))
    return created


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
