"""Pinyin search keys (issue 3 item 5): pypinyin's character table without its phrase dictionary."""

import random

import pytest
from pypinyin import lazy_pinyin

from lianxin.core import pinyin


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", ("zhangsan", "zs")),
        ("欧阳娜娜", ("ouyangnana", "oynn")),
        ("吕方", ("lvfang", "lf")),  # ü is written v, as pypinyin's NORMAL style does
        ("  李 四 ", ("lisi", "ls")),
        ("Tom李", ("tomli", "tl")),  # a run of other characters is one syllable
        ("〇", ("ling", "l")),
        ("", ("", "")),
    ],
)
def test_keys(name, expected):
    assert pinyin.keys(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("曾小明", "zengxiaoming"),
        ("单田芳", "shantianfang"),
        ("解放", "xiefang"),
        ("仇英", "qiuying"),
        ("万俟卨", "moqixie"),
        ("曾", "ceng"),  # one character alone is not read as a surname
        ("小曾", "xiaoceng"),  # only in first position
    ],
)
def test_polyphonic_surnames_take_their_surname_reading(name, expected):
    assert pinyin.keys(name)[0] == expected


def test_same_readings_as_pypinyin_for_other_names():
    rng = random.Random(3)
    chars = [chr(c) for c in range(0x4E00, 0x9FA6)]
    for _ in range(3000):
        name = "".join(rng.choice(chars) for _ in range(rng.randint(2, 3)))
        if name[0] in pinyin.SURNAME_READINGS:
            continue
        assert pinyin.keys(name)[0] == "".join(s.lower() for s in lazy_pinyin(name)), name


def test_falls_back_to_pypinyin_when_the_table_is_not_found(monkeypatch):
    monkeypatch.setattr(pinyin, "_table", lambda: None)
    assert pinyin.keys("张三") == ("zhangsan", "zs")


def test_lengths_are_cut_to_the_columns():
    full, initials = pinyin.keys("张" * 100)
    assert len(full) == 200 and len(initials) == 30
