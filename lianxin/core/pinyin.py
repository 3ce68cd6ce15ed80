"""Pinyin search keys for people's names: 张三 → ("zhangsan", "zs"); 曾小明 → ("zengxiaoming", "zxm").

The readings come from pypinyin's character table (``pypinyin/pinyin_dict.py``), read on its own:
importing the ``pypinyin`` package also loads its ~47,000-phrase dictionary (about 58 MB of memory
and 0.3 s), which names do not need — a name is read character by character, the first reading of
each character without tones (ü written v, as pypinyin's NORMAL style does). A polyphonic surname in
first position gets its surname reading (曾 zeng, 单 shan, 解 xie …), which a phrase dictionary would
not give either. Characters without a reading (Latin letters, digits) are kept, grouped into one
syllable per run, so "Tom李" gives ("tomli", "tl").

Should pypinyin's layout change and the table not be found, the package's own ``lazy_pinyin`` is used.
"""

import functools
import importlib.util
import unicodedata
from pathlib import Path

# Surnames whose reading differs from the character's first (most common) reading.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "覃": "qin",
    "乐": "yue",
    "缪": "miao",
    "翟": "zhai",
    "盖": "ge",
    "种": "chong",
    "秘": "bi",
    "折": "she",
    "召": "shao",
    "员": "yun",
    "尉": "yu",
    "句": "gou",
    "繁": "po",
    "隗": "wei",
    "黑": "he",
    "那": "na",
    "率": "lv",
    "万俟": "moqi",
}


def _toneless(reading: str) -> str:
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _table() -> dict[int, str] | None:
    """pypinyin's readings by code point ("zhāng,cháng"), or None when the table is not found."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.py"
    if not source.exists():
        return None
    module_spec = importlib.util.spec_from_file_location("_lianxin_pinyin_table", source)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)  # a plain dict literal; not registered in sys.modules
    return module.pinyin_dict


@functools.cache
def _reading(char: str) -> str | None:
    """The character's first reading without tones, worked out the first time it is asked for: a
    process reads a few thousand distinct characters, not the table's 41,000 (0.35 s up front)."""
    readings = _table().get(ord(char))
    return None if readings is None else _toneless(readings.split(",", 1)[0])


def _fallback(name: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(name, errors="default")


def syllables(name: str) -> list[str]:
    """The name's syllables, lower case, without blanks; runs of other characters as one syllable."""
    name = name.strip()
    table = _table()
    if table is None:
        chunks = _fallback(name)
    else:
        chunks, pending = [], []
        for char in name:
            reading = _reading(char)
            if reading is None:
                pending.append(char)
                continue
            if pending:
                chunks.append("".join(pending))
                pending = []
            chunks.append(reading)
        if pending:
            chunks.append("".join(pending))
        for surname in (name[:2], name[:1]):
            reading = SURNAME_READINGS.get(surname)
            if reading is not None and len(name) > len(surname) and _reading(name[0]):
                chunks[: len(surname)] = [reading]
                break
    return [c.lower().replace(" ", "") for c in chunks if c.strip()]


def keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), cut to the lengths the registry stores."""
    parts = syllables(name)
    return "".join(parts)[:200], "".join(p[0] for p in parts)[:30]
