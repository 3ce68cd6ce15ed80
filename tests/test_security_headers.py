"""Issue 12 item 5: CSP without unsafe-inline (and no template needing it), framing, nosniff, referrer,
HSTS and secure cookies in production settings."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent / "lianxin"
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_needs_unsafe_inline():
    problems = []
    for path in sorted(ROOT.rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        # *_pdf.html go to WeasyPrint only (lianxin.core.pdf), never to a browser: styles may be inline.
        pdf_only = path.name.endswith("_pdf.html")
        for pattern, what in INLINE[:1] + INLINE[3:] if pdf_only else INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, "move these to lianxin/web/static (the CSP blocks them):\n" + "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/", "/api/docs/", "/api/redoc/"])
def test_every_response_carries_the_security_headers(client, personas, url):
    client.force_login(personas["community_secretary"])
    response = client.get(url, follow=False)
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_api_docs_load_their_script_from_a_url_not_inline(client, personas):
    client.force_login(personas["community_secretary"])
    page = client.get(reverse("api:docs")).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) and "<style" not in page
    assert "fonts.googleapis" not in client.get(reverse("api:redoc")).content.decode()


def test_production_settings_are_strict(monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("LIANXIN_SECRET_KEY", "x" * 64)
    sys.modules.pop("config.settings.prod", None)
    prod = importlib.import_module("config.settings.prod")
    try:
        assert prod.SECURE_HSTS_SECONDS >= 31536000 and prod.SECURE_SSL_REDIRECT
        assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE and prod.CSRF_COOKIE_HTTPONLY
        assert prod.SESSION_COOKIE_HTTPONLY and prod.SESSION_COOKIE_SAMESITE == "Lax"
        assert prod.SESSION_COOKIE_NAME.startswith("__Host-") and prod.CSRF_COOKIE_NAME.startswith("__Host-")
        assert prod.LIANXIN_REQUIRE_2FA is True
        assert prod.LIANXIN_PASSWORD_MAX_AGE_DAYS == 90
    finally:
        sys.modules.pop("config.settings.prod", None)


@pytest.mark.django_db
def test_swagger_try_it_out_works_with_the_session_despite_the_httponly_csrf_cookie(personas):
    """The page script cannot read the HttpOnly CSRF cookie; the split view renders the token into
    the script it serves, and a write sent with it passes the CSRF check."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["community_secretary"])
    script = client.get(reverse("api:docs") + "?script=").content.decode()
    found = re.search(r'request\.headers\["([^"]*CSRF[^"]*)"\] = "([^"]+)"', script, re.I)
    assert found, script[:500]
    header, token = found.groups()
    url = reverse("api:notification-read-all")
    assert client.post(url).status_code == 403  # no token: refused
    response = client.post(url, headers={header: token})
    assert response.status_code == 200, response.content
