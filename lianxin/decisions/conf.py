"""Settings of the decisions module, each with its documented default (docs/decisions.md)."""

from django.conf import settings


def deliberation_day() -> int:
    """The day of the month of the deliberation day (民主议事日) where a community set none: the 10th."""
    return int(getattr(settings, "LIANXIN_DECISIONS_DELIBERATION_DAY", 10))


def resolution_posted_days() -> int:
    """How long a resolution stays on the board by default (the worked example: 7 days)."""
    return int(getattr(settings, "LIANXIN_DECISIONS_POSTED_DAYS", 7))


def publish_within_days() -> int:
    """Working days after the decision by which the resolution is due on the board."""
    return int(getattr(settings, "LIANXIN_DECISIONS_PUBLISH_WITHIN_DAYS", 5))


def follow_up_days() -> int:
    """Default working days for a deliberation day's follow-up item."""
    return int(getattr(settings, "LIANXIN_DECISIONS_FOLLOW_UP_DAYS", 10))
