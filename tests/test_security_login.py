"""Issue 12 item 1: lockout keyed on login name + address, no enumeration, password rules, rotation."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import hashers
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianxin.accounts import services as accounts
from lianxin.accounts.models import LoginThrottle, User
from lianxin.accounts.validators import ContextWordsValidator
from lianxin.core.models import AuditEntry

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

OFFICE = "10.8.0.1"  # a whole street office behind one address
ELSEWHERE = "10.8.0.2"


def _login(username, password, ip=OFFICE):
    client = Client(REMOTE_ADDR=ip)
    return client, client.post(reverse("login"), {"username": username, "password": password})


def _fail(username, times, ip=OFFICE):
    for _ in range(times):
        _client, response = _login(username, "not-the-password", ip)
        assert response.status_code == 200


def test_five_failures_lock_the_name_from_that_address_for_thirty_minutes(personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail("secretary", 4)
        # Four failures: the right password still works.
        _client, response = _login("secretary", PASSWORD)
        assert response.status_code == 302
        _fail("secretary", 5)
        _client, response = _login("secretary", PASSWORD)
        assert response.status_code == 200 and "_auth_user_id" not in _client.session
        assert (
            "Too many failed attempts" in response.content.decode()
            or "失败次数过多" in response.content.decode()
        )
        # The same office, another person: not locked (never by address alone).
        _client, response = _login("staff", PASSWORD)
        assert response.status_code == 302
        # The same person from another address: not locked either.
        _client, response = _login("secretary", PASSWORD, ELSEWHERE)
        assert response.status_code == 302
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert _login("secretary", PASSWORD)[1].status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        assert _login("secretary", PASSWORD)[1].status_code == 302
    actions = list(
        AuditEntry.objects.filter(action__startswith="login.").values_list("action", "outcome", "ip")
    )
    assert ("login.locked", "locked", OFFICE) in actions
    assert ("login.failed", "failed", OFFICE) in actions
    assert ("login.succeeded", "ok", ELSEWHERE) in actions


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(personas):
    start = timezone.now()
    for minute in (0, 5, 10, 14):
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=False):
            _fail("secretary", 1)
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        _fail("secretary", 1)  # the window restarted: this is failure 1 of a new window
        assert _login("secretary", PASSWORD)[1].status_code == 302


def test_lockout_state_is_in_the_database_not_process_memory(personas):
    _fail("secretary", 5)
    row = LoginThrottle.objects.get(username="secretary", ip=OFFICE)
    assert row.locked_until > timezone.now()
    # A success after the lock ends clears the row.
    row.locked_until = timezone.now() - dt.timedelta(seconds=1)
    row.save()
    assert _login("secretary", PASSWORD)[1].status_code == 302
    assert not LoginThrottle.objects.filter(username="secretary", ip=OFFICE).exists()


def test_unknown_and_known_names_get_the_same_answer_and_both_run_the_hasher(personas, monkeypatch):
    calls = []
    real = hashers.make_password

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashers, "make_password", counting)
    monkeypatch.setattr("django.contrib.auth.base_user.make_password", counting)
    checks = []
    real_check = hashers.check_password

    def counting_check(*args, **kwargs):
        checks.append(1)
        return real_check(*args, **kwargs)

    monkeypatch.setattr("django.contrib.auth.base_user.check_password", counting_check)

    _c, known = _login("secretary", "wrong-password-1")
    known_work = len(calls) + len(checks)
    calls.clear(), checks.clear()
    _c, unknown = _login("nobody-here", "wrong-password-1")
    assert len(calls) + len(checks) >= 1 and known_work >= 1
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors
    # An unknown name locks exactly like a known one (else the lock would reveal who exists) …
    _fail("nobody-here", 4)
    calls.clear()
    _c, locked = _login("nobody-here", "whatever-1")
    assert "Too many failed attempts" in locked.content.decode() or "失败次数过多" in locked.content.decode()
    # … and a refusal while locked still spends a password hash.
    assert len(calls) >= 1


def test_inactive_account_answers_like_a_wrong_password(personas):
    User.objects.filter(username="staff").update(is_active=False)
    _c, inactive = _login("staff", PASSWORD)
    _c, wrong = _login("secretary", "not-it-at-all")
    assert inactive.status_code == wrong.status_code == 200
    assert "inactive" not in inactive.content.decode().lower()


def test_api_token_endpoint_goes_through_the_same_lockout(personas):
    client = APIClient(REMOTE_ADDR=OFFICE)
    url = reverse("api:token")
    for _ in range(5):
        assert (
            client.post(url, {"username": "secretary", "password": "nope"}, format="json").status_code == 400
        )
    locked = client.post(url, {"username": "secretary", "password": PASSWORD}, format="json")
    assert locked.status_code == 400 and "token" not in locked.json()
    # The web login from the same address is locked too: one lockout for both doors.
    assert _login("secretary", PASSWORD)[1].status_code == 200
    other = APIClient(REMOTE_ADDR=ELSEWHERE).post(
        url, {"username": "secretary", "password": PASSWORD}, format="json"
    )
    assert other.status_code == 200 and other.json()["token"]


def test_trusted_proxy_address_is_used_only_when_configured(personas):
    with override_settings(LIANXIN_TRUSTED_PROXIES=1):
        for _ in range(5):
            Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="spoofed, 10.9.9.9").post(
                reverse("login"), {"username": "secretary", "password": "nope"}
            )
        assert LoginThrottle.objects.filter(ip="10.9.9.9", locked_until__isnull=False).exists()
    assert not LoginThrottle.objects.filter(ip="spoofed").exists()


@pytest.mark.parametrize(
    "password",
    [
        "short-1",
        "12345678901",
        "Dangjian@123456",
        "dangjian2026!!",
        "xingfushequ2026",
        "Xingfu@2026",
        "Qwerty123456",
    ],
)
def test_weak_and_context_passwords_are_refused(city, password):
    with pytest.raises(ValidationError) as exc:
        accounts.user_create(actor=None, username="newcomer", display_name="新人", password=password)
    assert "password" in exc.value.message_dict


def test_context_words_include_the_person_and_places(city):
    validator = ContextWordsValidator()
    user = User(username="zhangwei", display_name="张伟", phone="13800138000")
    with pytest.raises(ValidationError):
        validator.validate("Zhangwei-13800138000", user)
    with pytest.raises(ValidationError):
        validator.validate("hepingqu-lianxinshi-99", user)  # 和平区, 连心市
    validator.validate("Morning-tea-plum-2026", user)


@override_settings(LIANXIN_PASSWORD_MAX_AGE_DAYS=90)
def test_staff_must_change_a_password_older_than_the_rotation_period(personas):
    staff = personas["staff"]
    User.objects.filter(pk=staff.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("password_change")
    new = "Autumn-river-lamp-88"
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    # Residents are not forced to rotate.
    resident = personas["resident"]
    User.objects.filter(pk=resident.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=400))
    other = Client()
    other.force_login(resident)
    assert other.get(reverse("home")).status_code == 200
