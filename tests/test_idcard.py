"""GB 11643-1999 identity numbers (D2)."""

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from lianxin.core import idcard

TODAY = dt.date(2026, 11, 29)


def iso7064_check(first17: str) -> str:
    """The check character computed from the standard's definition, not from idcard's tables:
    weight of position i (counted from the right, the check character being position 1) is
    2**(i-1) mod 11, and the check value c satisfies (sum + c) mod 11 == 1."""
    total = sum(int(digit) * pow(2, 17 - index, 11) for index, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def error_code(text: str, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        idcard.validate(text, today=TODAY, **kwargs)
    return exc.value.code


def test_public_example_is_valid():
    number = idcard.validate("11010519491231002X", today=TODAY)
    assert number == "11010519491231002X"
    assert idcard.birth_date(number) == dt.date(1949, 12, 31)
    assert idcard.sex(number) == "F"
    assert iso7064_check(number[:17]) == "X"


def test_weights_and_check_table_follow_the_standard():
    assert idcard.WEIGHTS == tuple(pow(2, 17 - i, 11) for i in range(17))
    for first17 in ("11010519491231002", "44030419800101123", "65010220001231000", "91000019000101999"):
        assert idcard.check_char(first17) == iso7064_check(first17)


@pytest.mark.parametrize(
    ("first17", "birth", "sex"),
    [
        ("44030419800101123", dt.date(1980, 1, 1), "M"),
        ("32010219760229004", dt.date(1976, 2, 29), "F"),
        ("51010720101010851", dt.date(2010, 10, 10), "M"),
        ("83000019900615022", dt.date(1990, 6, 15), "F"),
    ],
)
def test_hand_computed_numbers_are_valid(first17, birth, sex):
    number = first17 + iso7064_check(first17)
    assert idcard.validate(number, today=TODAY) == number
    assert idcard.birth_date(number) == birth
    assert idcard.sex(number) == sex


def test_normalize_handles_blanks_full_width_and_lowercase_x():
    assert idcard.normalize("  11010519491231002x ") == "11010519491231002X"
    assert idcard.normalize("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"
    assert idcard.normalize("１１０１０５１９４９１２３１００２ｘ\u3000") == "11010519491231002X"
    assert idcard.normalize(None) == ""
    assert idcard.validate("11010519491231002x", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize("text", ["", "1101051949123100", "11010519491231002", "11010519491231002X1"])
def test_wrong_length(text):
    assert error_code(text) == "length"


@pytest.mark.parametrize(
    "text", ["11010519491231002A", "1101051949123100X2", "110105194912310 2X", "１１０１０５１９４９١٢٣١٠٠٢X"]
)
def test_wrong_characters(text):
    assert error_code(text) == "characters"


@pytest.mark.parametrize("prefix", ["00", "10", "16", "24", "38", "47", "55", "66", "72", "84", "90", "99"])
def test_unknown_province(prefix):
    first17 = prefix + "010519491231002"
    assert error_code(first17 + iso7064_check(first17)) == "region"


@pytest.mark.parametrize(
    "prefix",
    ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82", "83", "91"],
)
def test_every_listed_province_is_accepted(prefix):
    first17 = prefix + "010519491231002"
    assert idcard.validate(first17 + iso7064_check(first17), today=TODAY)


@pytest.mark.parametrize(
    "birth",
    [
        "19490231",  # no 31 February
        "19491301",  # no month 13
        "19490100",  # no day 0
        "19000229",  # 1900 was not a leap year
        "20261130",  # the day after TODAY
        "18991231",  # before 1900
    ],
)
def test_bad_birth_date(birth):
    first17 = "110105" + birth + "002"
    assert error_code(first17 + iso7064_check(first17)) == "birth_date"


def test_birth_today_and_in_1900_are_accepted():
    for birth in ("20261129", "19000101"):
        first17 = "110105" + birth + "002"
        assert idcard.is_valid(first17 + iso7064_check(first17), today=TODAY)


def test_wrong_check_character():
    assert error_code("110105194912310021") == "checksum"
    # One mistyped digit is caught whatever the check character.
    assert error_code("11010519491231012X") == "checksum"


def test_messages_name_the_problem():
    with translation.override("en"):
        for text, words in [
            ("123", "18 characters"),
            ("00010519491231002X", "region code"),
            ("110105194902310021", "birth date"),
            ("110105194912310021", "check character"),
        ]:
            with pytest.raises(ValidationError) as exc:
                idcard.validate(text, today=TODAY)
            assert words in exc.value.messages[0]


def test_mask_keeps_first_three_and_last_four():
    masked = idcard.mask("11010519491231002x")
    assert masked == "110***********002X"
    assert len(masked) == 18
    assert idcard.mask("12345") == "*" * 18


def test_generate_rejects_bad_arguments():
    rng = random.Random(1)
    with pytest.raises(ValueError):
        idcard.generate(rng, region="990101", birth=dt.date(1980, 1, 1), sex="M")
    with pytest.raises(ValueError):
        idcard.generate(rng, region="11010", birth=dt.date(1980, 1, 1), sex="M")
    with pytest.raises(ValueError):
        idcard.generate(rng, birth=dt.date(1980, 1, 1), sex="X")


@given(
    seed=st.integers(min_value=0, max_value=2**32),
    region=st.sampled_from(["110101", "310115", "440304", "650102", "810000", "910000"]),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    sex=st.sampled_from(["M", "F"]),
)
def test_generated_numbers_validate_and_round_trip(seed, region, birth, sex):
    number = idcard.generate(random.Random(seed), region=region, birth=birth, sex=sex)
    assert idcard.validate(number, today=TODAY) == number
    assert number[:6] == region
    assert number[17] == iso7064_check(number[:17])
    assert idcard.birth_date(number) == birth
    assert idcard.sex(number) == sex
    assert number[14:17] != "000"
    # The bulk importer's one-pass derivation agrees with the three functions.
    assert idcard.facts(number) == (idcard.mask(number), birth, sex)


def test_generate_is_deterministic():
    make = lambda: idcard.generate(random.Random(7), birth=dt.date(1990, 5, 4), sex="F")  # noqa: E731
    assert make() == make()
