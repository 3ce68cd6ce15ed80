"""Links stored in the database (notifications, to-dos) are shown only when they stay on this site."""

from django import template

register = template.Library()


@register.filter
def local_url(value) -> str:
    """``value`` when it is a path on this site ("/requests/12/"), else "": never ``javascript:``,
    another host ("//evil.example", "https://…") or a backslash trick ("/\\evil.example")."""
    text = str(value or "").strip()
    if not text.startswith("/") or text.startswith("//") or "\\" in text or any(ord(c) < 32 for c in text):
        return ""
    return text
