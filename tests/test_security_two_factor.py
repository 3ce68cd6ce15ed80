"""Issue 12 item 2: TOTP (RFC 6238) after the password, enrolment, no replay, secrets encrypted."""

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.accounts import totp, two_factor
from lianxin.accounts.models import TwoFactorDevice
from lianxin.core.models import AuditEntry

from .conftest import PASSWORD

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890", RFC 6238 appendix B (SHA-1)


@pytest.mark.parametrize(
    ("timestamp", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
    ],
)
def test_rfc_6238_vectors(timestamp, code):
    assert totp.totp(RFC_SECRET, timestamp) == code


def test_a_code_is_accepted_once_and_only_near_its_time():
    secret = totp.new_secret()
    now = 1_800_000_000
    code = totp.totp(secret, now)
    step = totp.match(secret, code, last_step=None, timestamp=now)
    assert step == totp.step_at(now)
    assert totp.match(secret, code, last_step=step, timestamp=now) is None  # replay
    assert totp.match(secret, code, last_step=None, timestamp=now + 120) is None  # too late
    assert totp.match(secret, "12345", last_step=None, timestamp=now) is None


def _password_step(username="secretary"):
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    return client, response


@pytest.mark.django_db
@override_settings(LIANXIN_REQUIRE_2FA=True)
def test_staff_enrol_then_need_a_fresh_code_every_time(personas):
    client, response = _password_step()
    assert response.status_code == 302 and response.url == reverse("login_code")
    assert "_auth_user_id" not in client.session  # not signed in after the password alone
    assert client.get(reverse("home")).status_code == 302
    page = client.get(reverse("login_code")).content.decode()
    device = TwoFactorDevice.objects.get(user=personas["community_secretary"])
    secret = two_factor.secret_of(device)
    assert secret not in device.secret_encrypted  # encrypted at rest
    assert two_factor.grouped(secret) in page and "otpauth://totp/" in page
    assert client.post(reverse("login_code"), {"code": "000000"}).status_code == 200
    code = totp.totp(secret)
    response = client.post(reverse("login_code"), {"code": code})
    assert response.status_code == 302 and client.get(reverse("home")).status_code == 200
    assert AuditEntry.objects.filter(action="two_factor.enrol").exists()
    # The same code cannot be used again, even on another sign-in.
    again, _ = _password_step()
    assert again.post(reverse("login_code"), {"code": code}).status_code == 200
    assert again.get(reverse("home")).status_code == 302


@pytest.mark.django_db
@override_settings(LIANXIN_REQUIRE_2FA=True)
def test_wrong_codes_count_toward_the_lockout(personas):
    client, _ = _password_step()
    for _ in range(5):
        client.post(reverse("login_code"), {"code": "000000"})
    assert AuditEntry.objects.filter(action="login.locked").exists()
    # Locked: even a right password is refused now.
    _c, response = _password_step()
    assert response.status_code == 200


@pytest.mark.django_db
@override_settings(LIANXIN_REQUIRE_2FA=True)
def test_residents_need_no_second_step_and_off_means_off(personas):
    _c, response = _password_step("resident")
    assert response.status_code == 302 and response.url == reverse("home")
    with override_settings(LIANXIN_REQUIRE_2FA=False):
        _c, response = _password_step("staff")
        assert response.url == reverse("home")


@pytest.mark.django_db
@override_settings(LIANXIN_REQUIRE_2FA=True)
def test_api_token_needs_the_code_too(personas):
    device = two_factor.enrol_start(user=personas["staff"])
    secret = two_factor.secret_of(device)
    assert two_factor.verify(device=device, code=totp.totp(secret, time.time() - 30))
    api = APIClient()
    url = reverse("api:token")
    assert api.post(url, {"username": "staff", "password": PASSWORD}, format="json").status_code == 400
    ok = api.post(url, {"username": "staff", "password": PASSWORD, "code": totp.totp(secret)}, format="json")
    assert ok.status_code == 200 and ok.json()["token"]
