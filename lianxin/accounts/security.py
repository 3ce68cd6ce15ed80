"""Sign-in security (issue 12): lockout, audit of sign-ins, session lifetime, password age.

Lockout: 5 failures of one login name from one address within 15 minutes lock that pair for 30
minutes (``LIANXIN_LOGIN_*``). The pair, never the address alone: a whole street office sits behind
one address. The state lives in the database (``LoginThrottle``), so every app process sees it. An
unknown login name is counted and locked exactly like a real one, and the password hasher runs on
a dummy for it (and while locked), so neither the answer nor its timing tells whether it exists.

Sessions (``SessionSecurityMiddleware``): idle timeout (30 minutes, 15 for system administrators),
absolute lifetime 12 hours, and a per-user epoch stored in the session at sign-in: logging out or
deactivating an account bumps the epoch and so ends every other session of that user at once.
"""

import datetime as dt

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone

from lianxin.core import access, audit
from lianxin.core.middleware import client_ip

from .models import LoginThrottle, User

SESSION_EPOCH = "_lx_epoch"
SESSION_STARTED = "_lx_started"
SESSION_SEEN = "_lx_seen"


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_failures() -> int:
    return int(_setting("LIANXIN_LOGIN_MAX_FAILURES", 5))


def failure_window() -> dt.timedelta:
    return dt.timedelta(minutes=int(_setting("LIANXIN_LOGIN_FAILURE_WINDOW_MINUTES", 15)))


def lockout_period() -> dt.timedelta:
    return dt.timedelta(minutes=int(_setting("LIANXIN_LOGIN_LOCKOUT_MINUTES", 30)))


def normalize_username(username) -> str:
    return str(username or "").strip().lower()[:150]


# --- lockout ------------------------------------------------------------------------------------


def locked_until(username: str, ip: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the lock on this login name from this address ends, or None when it is not locked."""
    now = now or timezone.now()
    until = (
        LoginThrottle.objects.filter(username=normalize_username(username), ip=ip, locked_until__gt=now)
        .values_list("locked_until", flat=True)
        .first()
    )
    return until


def register_failure(username: str, ip: str, *, user=None, reason: str = "password") -> dt.datetime | None:
    """Count one failure; lock the pair at the limit. Returns the lock's end when this failure locked it.

    Each failure and each lockout is an audit entry (with the address and request id)."""
    name, now = normalize_username(username), timezone.now()
    with transaction.atomic():
        row = _throttle_row(name, ip, now)
        if row.window_started_at <= now - failure_window():
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        locked = None
        if row.failures >= max_failures():
            locked = row.locked_until = now + lockout_period()
            row.failures, row.window_started_at = 0, now
        row.save()
        audit.record(
            actor=user,
            action="login.failed",
            outcome="failed",
            after={"username": name, "step": reason},
        )
        if locked:
            audit.record(
                actor=user, action="login.locked", outcome="locked", after={"username": name, "until": locked}
            )
    return locked


def _throttle_row(name: str, ip: str, now) -> LoginThrottle:
    for _attempt in range(3):
        row = LoginThrottle.objects.select_for_update().filter(username=name, ip=ip).first()
        if row is not None:
            return row
        try:
            with transaction.atomic():
                return LoginThrottle.objects.create(username=name, ip=ip, window_started_at=now)
        except IntegrityError:
            continue  # another process created it: lock and use theirs
    raise RuntimeError("could not obtain the login throttle row")


def clear_failures(username: str, ip: str) -> None:
    LoginThrottle.objects.filter(username=normalize_username(username), ip=ip).delete()


def throttles_purge(*, today=None) -> int:
    """Tick handler: forget throttle rows nobody has touched for a day."""
    stale = timezone.now() - dt.timedelta(days=1)
    deleted, _ = (
        LoginThrottle.objects.filter(window_started_at__lt=stale)
        .exclude(locked_until__gt=timezone.now())
        .delete()
    )
    return deleted


def run_dummy_hasher(password: str) -> None:
    """Spend the time of a real password check, so a refusal takes as long as a wrong password."""
    User().set_password(password or "")


class LockoutModelBackend(ModelBackend):
    """Django's ModelBackend behind the lockout. Every password sign-in (the login page, the back
    office login, the API token endpoint, ``Client.login``) goes through ``authenticate`` and so here.

    When refused because of a lock, ``request.lianxin_locked_until`` tells the form why."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        ip = client_ip(request) if request is not None else ""
        until = locked_until(username, ip)
        if until is not None:
            run_dummy_hasher(password)
            _mark_locked(request, until)
            return None
        # ModelBackend runs the hasher on a dummy for unknown login names itself (Django #20760).
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            known = User.objects.filter(username__iexact=normalize_username(username)).first()
            until = register_failure(username, ip, user=known)
            if until is not None:
                _mark_locked(request, until)
            return None
        return user


def _mark_locked(request, until) -> None:
    if request is not None:
        try:
            request.lianxin_locked_until = until
        except AttributeError:
            pass


# --- audit of sign-in and sign-out -------------------------------------------------------------


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    ip = client_ip(request) if request is not None else ""
    clear_failures(user.get_username(), ip)
    if request is not None and hasattr(request, "session"):
        start_session(request, user)
    with transaction.atomic():
        audit.record(actor=user, action="login.succeeded", after={"username": user.get_username()})


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is None or not getattr(user, "pk", None):
        return
    end_all_sessions(user)
    with transaction.atomic():
        audit.record(actor=user, action="logout")


@receiver(pre_save, sender=User)
def _on_user_save(sender, instance, raw=False, **kwargs):
    """Deactivating an account ends its sessions everywhere and withdraws its API tokens, whichever
    path deactivated it (back office, service, shell)."""
    if raw or not instance.pk or instance.is_active:
        return
    was = User.objects.filter(pk=instance.pk).values("is_active", "session_epoch").first()
    if was and was["is_active"]:
        instance.session_epoch = was["session_epoch"] + 1
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=instance.pk).delete()


# --- sessions -----------------------------------------------------------------------------------


def start_session(request, user) -> None:
    now = int(timezone.now().timestamp())
    request.session[SESSION_EPOCH] = user.session_epoch
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


def end_all_sessions(user) -> None:
    """Every session of ``user``, on every device, ends at its next request."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.session_epoch = User.objects.values_list("session_epoch", flat=True).get(pk=user.pk)


def idle_timeout(user) -> int:
    if access.is_system_admin(user):
        return int(_setting("LIANXIN_SESSION_IDLE_ADMIN_SECONDS", 15 * 60))
    return int(_setting("LIANXIN_SESSION_IDLE_SECONDS", 30 * 60))


def absolute_timeout() -> int:
    return int(_setting("LIANXIN_SESSION_ABSOLUTE_SECONDS", 12 * 3600))


def session_problem(request, user, now: int) -> str:
    """Why this session must end now ("" when it may go on)."""
    session = request.session
    if session.get(SESSION_EPOCH) != user.session_epoch:
        return "revoked"
    started, seen = session.get(SESSION_STARTED), session.get(SESSION_SEEN)
    if not isinstance(started, int) or now - started > absolute_timeout():
        return "absolute"
    if not isinstance(seen, int) or now - seen > idle_timeout(user):
        return "idle"
    return ""


class SessionSecurityMiddleware:
    """After AuthenticationMiddleware: end revoked, idle and too-old sessions; make staff change a
    password older than ``LIANXIN_PASSWORD_MAX_AGE_DAYS`` (0 = never)."""

    # Refreshing "last seen" on every request would write the session every time.
    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(timezone.now().timestamp())
            problem = session_problem(request, user, now)
            if problem:
                with transaction.atomic():
                    audit.record(actor=user, action="session.ended", outcome=problem)
                request.session.flush()
                request.user = auth.models.AnonymousUser()
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?next={request.path}")
            if now - request.session.get(SESSION_SEEN, 0) >= self.TOUCH_EVERY:
                request.session[SESSION_SEEN] = now
            redirect = password_change_redirect(request, user)
            if redirect is not None:
                return redirect
        return self.get_response(request)


def password_expired(user, now=None) -> bool:
    days = int(_setting("LIANXIN_PASSWORD_MAX_AGE_DAYS", 0) or 0)
    if days <= 0 or not (access.is_system_admin(user) or access.can(user, access.Action.STAFF_AREA)):
        return False
    changed = user.password_changed_at or user.date_joined
    return changed < (now or timezone.now()) - dt.timedelta(days=days)


def password_change_redirect(request, user):
    if not password_expired(user):
        return None
    allowed = {resolve_url("password_change"), resolve_url("logout")}
    if request.path in allowed or request.path.startswith(settings.STATIC_URL):
        return None
    return HttpResponseRedirect(resolve_url("password_change"))
