"""Resident identity numbers, GB 11643-1999 (D2).

An 18-character number: 6-digit region code, 8-digit birth date (YYYYMMDD), 3-digit sequence
code whose last digit is odd for men and even for women, and a check character computed with
ISO 7064 MOD 11-2 (a digit or X).

Only the province-level part of the region code is checked: county codes change with every
redistricting and a number stays valid for life, so a stricter table would reject real people.
"""

import datetime as dt
import operator
import random

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

LENGTH = 18
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_ZERO_WEIGHT = ord("0") * sum(WEIGHTS)
EARLIEST_BIRTH = dt.date(1900, 1, 1)

# Province-level codes (GB/T 2260) that may open a number, including 71 Taiwan, 81 Hong Kong,
# 82 Macao, 83 (residence permits for Taiwan residents) and 91 (foreigners' permanent residence).
PROVINCE_CODES = frozenset(
    {
        *(str(n) for n in range(11, 16)),
        *(str(n) for n in range(21, 24)),
        *(str(n) for n in range(31, 38)),
        *(str(n) for n in range(41, 47)),
        *(str(n) for n in range(50, 55)),
        *(str(n) for n in range(61, 66)),
        "71",
        "81",
        "82",
        "83",
        "91",
    }
)

# Full-width digits and X as typed with a Chinese input method.
_HALF_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "Ｘ": "X", "ｘ": "X", "x": "X"})


def normalize(text: str | None) -> str:
    """Strip surrounding blanks, turn full-width digits and X half-width, and x into X."""
    return (text or "").strip().translate(_HALF_WIDTH)


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17:
        raise ValueError("17 digits expected")
    # ASCII codes times weights, less the weighted '0's: one C-level pass instead of 17 int() calls.
    total = sum(map(operator.mul, first17.encode(), WEIGHTS)) - _ZERO_WEIGHT
    return CHECK_CHARS[total % 11]


def _parse_birth(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate(text: str | None, *, today: dt.date | None = None) -> str:
    """The normalised number, or a ValidationError naming what is wrong with it."""
    number = normalize(text)
    if len(number) != LENGTH:
        raise ValidationError(
            _("The ID number must have 18 characters; this one has %(count)d."),
            code="length",
            params={"count": len(number)},
        )
    if not number[:17].isdigit() or not number[:17].isascii() or number[17] not in "0123456789X":
        raise ValidationError(
            _("The first 17 characters of the ID number must be digits, and the last a digit or X."),
            code="characters",
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("The ID number starts with %(code)s, which is not a province-level region code."),
            code="region",
            params={"code": number[:2]},
        )
    birth = _parse_birth(number)
    if birth is None:
        raise ValidationError(
            _("The birth date in the ID number (%(digits)s) is not a valid date."),
            code="birth_date",
            params={"digits": number[6:14]},
        )
    if birth > (today or timezone.localdate()):
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is in the future."),
            code="birth_date",
            params={"date": birth.isoformat()},
        )
    if birth < EARLIEST_BIRTH:
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is before 1900."),
            code="birth_date",
            params={"date": birth.isoformat()},
        )
    if check_char(number[:17]) != number[17]:
        # The expected character is not shown: "fixing" the last character hides a typo elsewhere.
        raise ValidationError(
            _("The check character of the ID number does not match; please check every digit again."),
            code="checksum",
        )
    return number


def is_valid(text: str | None, *, today: dt.date | None = None) -> bool:
    try:
        validate(text, today=today)
    except ValidationError:
        return False
    return True


def birth_date(number: str) -> dt.date:
    """The birth date encoded in a (valid) number."""
    birth = _parse_birth(normalize(number))
    if birth is None:
        raise ValueError("not an ID number with a valid birth date")
    return birth


def sex(number: str) -> str:
    """The sex, "M" or "F", from the parity of the 17th digit (odd for men)."""
    return "M" if int(normalize(number)[16]) % 2 else "F"


def generate(rng: random.Random, *, region: str = "110101", birth: dt.date, sex: str) -> str:
    """A fictitious but checksum-valid number, for demo data and tests."""
    if len(region) != 6 or not region.isdigit() or region[:2] not in PROVINCE_CODES:
        raise ValueError(f"region {region!r} is not a 6-digit code with a valid province")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', not {sex!r}")
    # Sequence codes run from 001; the last digit carries the sex.
    sequence = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if sex == "M" else (2, 4, 6, 8, 0))
    if sequence == 0:
        sequence = 2
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def facts(number: str) -> tuple[str, dt.date, str]:
    """(masked, birth date, sex) of a number ``validate`` returned (normalised and valid): the three
    derived columns of a resident in one pass, for bulk imports."""
    return (
        f"{number[:3]}{'*' * 11}{number[-4:]}",
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        "M" if (ord(number[16]) - 48) % 2 else "F",
    )


def mask(number: str) -> str:
    """The number as lists show it: the first 3 and the last 4 characters, the rest starred."""
    number = normalize(number)
    if len(number) != LENGTH:
        return "*" * LENGTH
    return f"{number[:3]}{'*' * 11}{number[-4:]}"
