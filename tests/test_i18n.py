"""The Simplified Chinese catalogue is complete, valid and active.

* Every msgid in the source is in lianxin/locale/zh_Hans/LC_MESSAGES/django.po, translated and not
  fuzzy. The catalogue is regenerated with makemessages in a temporary copy of the package, so the
  repository is never touched.
* The compiled catalogue (.mo, built by ``make messages``; not committed) is what Django uses by default.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

import lianxin

PACKAGE_DIR = Path(lianxin.__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
LOCALE = "zh_Hans"
PO_PATH = PACKAGE_DIR / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PO_LABEL = "lianxin/locale/zh_Hans/LC_MESSAGES/django.po"
MAKEMESSAGES = (
    "cd lianxin && DJANGO_SETTINGS_MODULE=config.settings.test "
    "lianxin makemessages -l zh_Hans --ignore='migrations/*' --no-obsolete"
)
MAKEMESSAGES_OPTIONS = ["--ignore=migrations/*", "--no-obsolete"]
HAN = re.compile(r"[\u4e00-\u9fff]")


# --- a tiny PO reader (the project does not depend on polib) -------------------------------------


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())


def parse_po(text: str) -> dict[tuple[str | None, str, str | None], dict]:
    """Entries keyed by (msgctxt, msgid, msgid_plural), each {"flags": set, "msgstr": [str, ...]}.

    Obsolete (#~) entries and the header are left out.
    """
    entries = {}
    for block in re.split(r"\n[ \t]*\n", text):
        fields: dict[str, str] = {}
        flags: set[str] = set()
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if current is None:
                    raise ValueError(f"Unexpected line in {PO_PATH.name}: {line!r}")
                fields[current] += _unquote(line)
            elif line.strip():
                keyword, _, rest = line.partition(" ")
                current = keyword
                fields[current] = _unquote(rest)
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        msgstr = [fields[k] for k in sorted(k for k in fields if k.startswith("msgstr"))]
        key = (fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"))
        entries[key] = {"flags": flags, "msgstr": msgstr}
    return entries


def _label(key) -> str:
    context, msgid, _plural = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def _read_catalogue():
    assert PO_PATH.exists(), f"{PO_PATH} is missing; generate it with: {MAKEMESSAGES}"
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


# --- (a) every msgid in the source is in the catalogue and translated --------------------------------


def _regenerate(tmp_path: Path) -> dict:
    """Run makemessages over a temporary copy of the package and return the regenerated catalogue."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge) is needed; install the gettext package.")
    copy = tmp_path / "lianxin"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.pot", "node_modules")
    shutil.copytree(PACKAGE_DIR, copy, ignore=skip)
    # Settings whose only locale path is the copy's, so makemessages never writes into the repository.
    (tmp_path / "i18n_check_settings.py").write_text(
        "from config.settings.test import *  # noqa: F403\nLOCALE_PATHS = []\n", encoding="utf-8"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "i18n_check_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", f"--locale={LOCALE}", *MAKEMESSAGES_OPTIONS],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    regenerated = copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
    return parse_po(regenerated.read_text(encoding="utf-8"))


def test_catalogue_covers_every_msgid(tmp_path):
    committed = _read_catalogue()
    current = _regenerate(tmp_path)
    assert current, "makemessages found no msgids at all; the regeneration is broken"

    missing = sorted(key for key in current if key not in committed)
    untranslated = sorted(
        key for key in current if key in committed and not all(s.strip() for s in committed[key]["msgstr"])
    )
    fuzzy = sorted(key for key, entry in committed.items() if "fuzzy" in entry["flags"])

    problems = []
    if missing:
        problems.append(f"{len(missing)} msgid(s) missing from the catalogue:")
        problems += [f"  {_label(key)}" for key in missing]
    if untranslated:
        problems.append(f"{len(untranslated)} msgid(s) untranslated:")
        problems += [f"  {_label(key)}" for key in untranslated]
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy entr(y/ies) (check the translation, then drop the flag):")
        problems += [f"  {_label(key)}" for key in fuzzy]
    assert not problems, (
        f"{PO_LABEL} is out of date. Run `{MAKEMESSAGES}`, translate, then "
        "`make messages`.\n" + "\n".join(problems)
    )


def test_catalogue_is_valid_for_msgfmt():
    """Placeholders and plural forms must match their msgids (msgfmt --check)."""
    if shutil.which("msgfmt") is None:
        pytest.fail("GNU gettext (msgfmt) is needed; install the gettext package.")
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(PO_PATH)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"msgfmt --check failed:\n{result.stderr}"


def test_catalogue_header():
    header = PO_PATH.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: zh_Hans\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert "charset=UTF-8" in header
    assert "#, fuzzy" not in header


# --- (b) the compiled catalogue is active --------------------------------------------------------------


def _compiled_catalogue():
    """The catalogue, after checking that its compiled form (.mo) exists and is up to date."""
    if not MO_PATH.exists():
        pytest.fail(f"{PO_LABEL[:-2]}mo is missing: run `make messages` (compilemessages).")
    if MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        pytest.fail(f"{PO_LABEL[:-2]}mo is older than django.po: run `make messages`.")
    return _read_catalogue()


def _translation_of(catalogue, msgid: str) -> str:
    entry = catalogue.get((None, msgid, None))
    assert entry is not None, f"{msgid!r} is no longer in the catalogue; pick another msgid for this test"
    text = entry["msgstr"][0]
    assert HAN.search(text), f"{msgid!r} is not translated into Chinese: {text!r}"
    return text


def test_default_language_is_chinese():
    compiled_catalogue = _compiled_catalogue()
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.USE_I18N
    places = _translation_of(compiled_catalogue, "Places")
    translation.deactivate()  # no language activated: Django falls back to LANGUAGE_CODE
    assert translation.get_language() == "zh-hans"
    assert translation.gettext("Places") == places
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("Audit log") == _translation_of(compiled_catalogue, "Audit log")
        assert translation.ngettext("%(n)s place below", "%(n)s places below", 3) % {"n": 3} == (
            compiled_catalogue[(None, "%(n)s place below", "%(n)s places below")]["msgstr"][0] % {"n": 3}
        )


def test_login_page_is_in_chinese(client):
    compiled_catalogue = _compiled_catalogue()
    log_in = _translation_of(compiled_catalogue, "Log in")
    translation.deactivate()  # as for a fresh request: no language carried over from another test
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    assert log_in in page
    assert "登录" in page
    assert ">Log in<" not in page
