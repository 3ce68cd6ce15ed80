from django import template

from lianxin.cobuilding.services import yuan as _yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Fen as yuan with thousands separators: 123456 → 1,234.56."""
    try:
        return _yuan(int(fen or 0))
    except (TypeError, ValueError):
        return ""
