"""Playwright plumbing for the browser journeys: one Debian chromium per test module, one fresh
context (cookies, viewport) per test.

A test module binds the fixtures (``browser = browser_helpers.browser``, ``open_page =
browser_helpers.open_page``) and marks its tests ``@pytest.mark.browser`` and
``@pytest.mark.django_db(transaction=True, serialized_rollback=True)``: the live server answers from
another thread, so the data must be committed; the flush after each test empties every table, and
the serialized rollback puts back the rows seeded by migrations (the official calendar).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, shared by the tests of one module.

    Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM
    calls while a loop runs (SynchronousOnlyOperation). Nothing here shares the ORM with that loop:
    it only drives the browser, while the live server answers in its own thread. So the check is
    switched off for exactly as long as this module's browser lives, which also covers the fixtures
    that build the data and the flush that follows each test.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium. "
            "Install it with scripts/os-deps.sh (apt-get install chromium); never `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield instance
            finally:
                instance.close()


def reseed_migration_rows() -> None:
    """Put back the rows that data migrations seed (the official calendar, request categories, meeting
    types, decision categories, benefit programmes).

    Seen on 2026-11-29: after some browser tests the flush emptied them and the serialized rollback
    did not bring them back for the next browser test (cause not found yet). Both steps are idempotent.

    The content types are cached per process by id: after a flush and a restore they may be rows
    with other ids, and a row pointing at a cached one (a board item's source) then fails its
    foreign key at commit (seen on 2026-11-30 publishing an assistance notice). The cache is
    emptied, so they are read again.
    """
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    from lianxin.core import services as core_services

    ContentType.objects.clear_cache()

    importlib.import_module("lianxin.appeals.migrations.0002_default_categories").add(apps, None)
    importlib.import_module("lianxin.branch.migrations.0002_seed_meeting_types").seed(apps, None)
    importlib.import_module("lianxin.decisions.migrations.0002_seed_categories").seed(apps, None)
    importlib.import_module("lianxin.assistance.migrations.0002_seed_programmes").seed(apps, None)
    core_services.calendar_seed_from_package()


def _one_request_at_a_time() -> None:
    """The live server shares the test's in-memory SQLite connection across its threads, so two
    requests at once (a double tap) ran on one connection: "cannot start a transaction within a
    transaction". Served one after another, as a real server's separate connections queue on the
    database lock. Django's server closes each connection when it is not threaded."""
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class SerialServer(WSGIServer):
        # Requests run in the server thread itself, which already holds the shared connections.
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)

    LiveServerThread.server_class = SerialServer


_one_request_at_a_time()


@pytest.fixture
def open_page(browser, live_server):
    """Open a page in a fresh context (no cookies) that asks for Chinese like our users' browsers;
    ``open_page(**PHONE)`` emulates a phone. Contexts close when the test ends."""
    reseed_migration_rows()
    contexts = []

    def factory(**context_options):
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **context_options
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Through the login form, as a person would; ends on the home page."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == "/", f"{username} did not land on the home page: {page.url}"
    assert page.locator(".who").count() == 1, f"not logged in as {username}"


def path_of(page) -> str:
    """The path of the page once its document has loaded (a click's navigation may have only committed)."""
    page.wait_for_load_state()
    return urlsplit(page.url).path


def log_out(page) -> None:
    with page.expect_navigation():
        page.click(".who form button[type=submit]")
    assert page.locator(".who").count() == 0


def toggle_elderly(page) -> None:
    with page.expect_navigation():
        page.click("[data-test=elderly-toggle]")


def body_is_elderly(page) -> bool:
    return "elderly" in (page.get_attribute("body", "class") or "").split()


def root_font_px(page) -> float:
    """The html element's computed font-size: every rem on the page scales with it."""
    return float(page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"))


def texts(page, selector: str) -> list[str]:
    page.wait_for_load_state()
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
