from django.conf import settings

from lianxin.core.notifications import unread_count

from .navigation import navigation_for


def shell(request):
    user = getattr(request, "user", None)
    elderly = bool(
        (user and user.is_authenticated and user.elderly_mode) or request.COOKIES.get("lx_elderly") == "1"
    )
    return {
        "nav_items": navigation_for(user, request.path) if user and user.is_authenticated else [],
        "unread_count": unread_count(user) if user and user.is_authenticated else 0,
        "elderly_mode": elderly,
        "demo_mode": settings.DEMO_MODE,
    }
