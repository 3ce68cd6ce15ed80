"""Sign-in pages: password (with lockout), then a TOTP code for staff and administrators when
``LIANXIN_REQUIRE_2FA`` is on (or the person enrolled), first enrolment included; password change.

Until the code step is passed nobody is logged in: the session only holds who passed the password
step, for at most five minutes. ``login()`` then issues a new session id (no fixation).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.middleware import client_ip

from . import security, two_factor
from .forms import CodeForm, LoginForm
from .models import User

PENDING_USER = "_lx_2fa_user"
PENDING_BACKEND = "_lx_2fa_backend"
PENDING_AT = "_lx_2fa_at"
PENDING_NEXT = "_lx_2fa_next"
PENDING_SECONDS = 300


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    form_class = LoginForm

    def form_valid(self, form):
        user = form.get_user()
        if not two_factor.required_for(user):
            return super().form_valid(form)
        # Password passed; the code step decides. Nobody is logged in yet.
        self.request.session.cycle_key()
        self.request.session[PENDING_USER] = user.pk
        self.request.session[PENDING_BACKEND] = user.backend
        self.request.session[PENDING_AT] = int(time.time())
        self.request.session[PENDING_NEXT] = self.get_success_url()
        return redirect("login_code")


def _pending_user(request):
    session = request.session
    started = session.get(PENDING_AT)
    if not isinstance(started, int) or time.time() - started > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=session.get(PENDING_USER), is_active=True).first()


def login_code(request):
    """The second step: the code from the authenticator app; on the first sign-in, enrolment."""
    user = _pending_user(request)
    if user is None:
        messages.error(request, _("Please sign in again."))
        return redirect("login")
    device = two_factor.device_for(user)
    enrolling = device is None or device.confirmed_at is None
    if enrolling:
        device = two_factor.enrol_start(user=user)
    form = CodeForm(request.POST or None)
    ip = client_ip(request)
    if request.method == "POST" and form.is_valid():
        until = security.locked_until(user.get_username(), ip)
        if until is None and two_factor.verify(device=device, code=form.cleaned_data["code"]):
            backend = request.session.get(PENDING_BACKEND) or settings.AUTHENTICATION_BACKENDS[0]
            target = request.session.get(PENDING_NEXT) or settings.LOGIN_REDIRECT_URL
            for key in (PENDING_USER, PENDING_BACKEND, PENDING_AT, PENDING_NEXT):
                request.session.pop(key, None)
            auth_login(request, user, backend=backend)
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = reverse("home")
            return HttpResponseRedirect(target)
        if until is None:
            until = security.register_failure(user.get_username(), ip, user=user, reason="code")
        if until is not None:
            form.add_error(None, _("Too many failed attempts. Please try again later."))
        else:
            form.add_error("code", _("This code is not correct or was already used."))
    context = {"form": form, "enrolling": enrolling}
    if enrolling:
        secret = two_factor.secret_of(device)
        context |= {"secret": two_factor.grouped(secret), "uri": two_factor.uri_for(user, secret)}
    return render(request, "accounts/login_code.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Also where staff are sent when their password is older than LIANXIN_PASSWORD_MAX_AGE_DAYS."""

    form_class = PasswordChangeForm
    template_name = "web/form.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context |= {"title": _("Change your password"), "back": reverse("home")}
        if security.password_expired(self.request.user):
            messages.warning(self.request, _("Your password is too old. Please choose a new one."))
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        # update_session_auth_hash kept this session; the user's other sessions end.
        security.end_all_sessions(self.request.user)
        security.start_session(self.request, self.request.user)
        with transaction.atomic():
            audit.record(actor=self.request.user, action="password.change")
        messages.success(self.request, _("Your password has been changed."))
        return response
