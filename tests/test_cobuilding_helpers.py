"""Shared bits of the co-building tests."""

from django.utils import translation

BOOKED = "This time is already booked (%(start)s–%(end)s). Please choose another time."


def catalogue(msgid: str) -> str:
    """The message as the compiled catalogue gives it to Chinese users."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)
