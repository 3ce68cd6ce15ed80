"""One-time codes people read off paper or type on a phone: ballot slips, household ballots,
booking references. Unambiguous symbols only (no 0/O, no 1/I), drawn with ``secrets``."""

import re
import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize(text: str) -> str:
    """What was typed, as stored: upper case, spaces, dashes and anything else dropped."""
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())
