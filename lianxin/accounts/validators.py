"""Password rules beyond Django's own (length ≥ 10, common list, all digits, similar to the account).

``ContextWordsValidator`` refuses a password built only from words anyone who knows the place would
try first: the names of cities, districts, subdistricts and communities (in characters and in pinyin,
full and initials), party-work words (dangjian, dangyuan, shequ …), keyboard runs and digit runs
(123456, qwerty …), and the person's own login name, name and phone. Whatever is left after
taking those out must hold at least ``min_other`` letters that are not one repeated character.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WORDS = {
    "dangjian", "dangyuan", "dangzhibu", "zhibu", "dangwei", "gongchandang", "shequ", "jiedao", "wangge",
    "juweihui", "lianxinqiao", "zhengfu", "renmin", "zhongguo", "china", "beijing", "shanghai", "admin",
    "administrator", "password", "passw0rd", "mima", "woaini", "iloveyou", "welcome", "qwerty", "qwertyuiop",
    "asdfgh", "asdfghjkl", "zxcvbn", "zxcvbnm", "abcdef", "abcdefg", "abc", "qaz", "wsx", "test", "user",
    "dj", "sq", "jd",
}  # fmt: skip
PLACE_SUFFIXES = ("社区", "街道", "网格", "市", "区", "县", "镇", "村", "居委会")


def _pinyin(text: str) -> tuple[str, str]:
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(text, errors="ignore") if s.isascii()]
    return "".join(syllables).lower(), "".join(s[0] for s in syllables if s).lower()


def _forms(name: str) -> set[str]:
    """A name as typed: characters, pinyin, initials; with and without its place-kind suffix."""
    name = unicodedata.normalize("NFKC", name or "").strip().lower()
    if not name:
        return set()
    variants = {name}
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            variants.add(name[: -len(suffix)])
    result = set()
    for variant in variants:
        result.add(variant)
        if not variant.isascii():
            full, initials = _pinyin(variant)
            result |= {full, initials}
    return {w for w in result if len(w) >= 2}


def place_words() -> set[str]:
    from lianxin.places.models import Place

    names = Place.objects.filter(kind__in=["city", "district", "subdistrict", "community"]).values_list(
        "name", flat=True
    )[:5000]
    words: set[str] = set()
    for name in names:
        words |= _forms(name)
    return words


class ContextWordsValidator:
    def __init__(self, min_other: int = 4):
        self.min_other = min_other

    def context_words(self, user=None) -> set[str]:
        words = set(WORDS) | place_words()
        if user is not None:
            for attr in ("username", "display_name", "first_name", "last_name", "phone", "email"):
                value = str(getattr(user, attr, "") or "")
                words |= _forms(value.split("@")[0])
        return words

    def remainder(self, password: str, user=None) -> str:
        text = unicodedata.normalize("NFKC", password).lower()
        # Longest first, so "dangjian" goes before "dj" could split it.
        for word in sorted(self.context_words(user), key=len, reverse=True):
            text = text.replace(word, " ")
        return re.sub(r"[\W\d_]+", "", text)

    def validate(self, password, user=None):
        left = self.remainder(password, user)
        if len(left) < self.min_other or len(set(left)) == 1:
            raise ValidationError(
                _(
                    "This password is made of words that are easy to guess here (place names, pinyin, "
                    "party-work words, your name, digit or keyboard runs). Add some words of your own."
                ),
                code="password_context_words",
            )

    def get_help_text(self):
        return _("Your password cannot be made only of place names, pinyin, party-work words or digit runs.")
