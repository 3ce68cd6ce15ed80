"""Issue 12 item 3: idle and absolute timeouts, new id at sign-in, logout/deactivation end every session."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from lianxin.core.models import AuditEntry

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _signed_in(username):
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_sign_in_issues_a_new_session_id(personas):
    client = Client()
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "secretary", "password": PASSWORD})
    assert client.session.session_key != before


@pytest.mark.parametrize(("username", "idle_minutes"), [("secretary", 30), ("root-admin", 15)])
def test_idle_timeout_thirty_minutes_fifteen_for_administrators(personas, username, idle_minutes):
    start = timezone.now()
    if username == "root-admin":
        personas["sysadmin"].set_password(PASSWORD)
        personas["sysadmin"].save()
    with time_machine.travel(start, tick=False):
        client = _signed_in(username)
    with time_machine.travel(start + dt.timedelta(minutes=idle_minutes - 1), tick=False):
        assert client.get(reverse("home")).status_code == 200
    later = start + dt.timedelta(minutes=2 * idle_minutes - 1)
    with time_machine.travel(later, tick=False):
        assert client.get(reverse("home")).status_code == 200  # activity kept it alive
    with time_machine.travel(later + dt.timedelta(minutes=idle_minutes, seconds=5), tick=False):
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert AuditEntry.objects.filter(action="session.ended", outcome="idle").exists()


def test_absolute_lifetime_twelve_hours_even_when_active(personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = _signed_in("secretary")
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=1), tick=False):
        assert client.get(reverse("home")).status_code == 302
    assert AuditEntry.objects.filter(action="session.ended", outcome="absolute").exists()


def test_logout_ends_every_session_of_the_user(personas):
    phone, desk, colleague = _signed_in("secretary"), _signed_in("secretary"), _signed_in("staff")
    assert phone.post(reverse("logout")).status_code == 302
    assert desk.get(reverse("home")).status_code == 302
    assert colleague.get(reverse("home")).status_code == 200
    assert AuditEntry.objects.filter(action="logout", actor=personas["community_secretary"]).exists()


def test_deactivation_ends_sessions_and_api_tokens(personas):
    client = _signed_in("staff")
    staff = personas["staff"]
    token = Token.objects.create(user=staff)
    staff.refresh_from_db()
    staff.is_active = False
    staff.save()
    assert client.get(reverse("home")).status_code == 302
    assert not Token.objects.filter(key=token.key).exists()


def test_password_change_ends_the_other_sessions_but_keeps_this_one(personas):
    here, there = _signed_in("secretary"), _signed_in("secretary")
    new = "Autumn-river-lamp-88"
    response = here.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert here.get(reverse("home")).status_code == 200
    assert there.get(reverse("home")).status_code == 302
    assert AuditEntry.objects.filter(action="password.change").exists()
