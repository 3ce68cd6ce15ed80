"""Two-factor sign-in with TOTP (accounts.totp): who needs it, enrolment, verification.

``LIANXIN_REQUIRE_2FA`` (off in development and tests, on in production) makes it required for
staff (anyone whose roles open the staff pages) and system administrators; anyone who enrolled
is asked for a code whatever the setting. Secrets are encrypted at rest (lianxin.core.crypto).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lianxin.core import access, audit, crypto

from . import totp
from .models import TwoFactorDevice

ISSUER = "Lianxin"


def device_for(user) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user).first()


def required_for(user) -> bool:
    device = device_for(user)
    if device is not None and device.confirmed_at is not None:
        return True
    if not getattr(settings, "LIANXIN_REQUIRE_2FA", False):
        return False
    return access.is_system_admin(user) or access.can(user, access.Action.STAFF_AREA)


def enrol_start(*, user) -> TwoFactorDevice:
    """The unconfirmed device of ``user`` (a new secret the first time); confirmed by a first code."""
    device, _ = TwoFactorDevice.objects.get_or_create(
        user=user, defaults={"secret_encrypted": crypto.encrypt(totp.new_secret())}
    )
    return device


def secret_of(device: TwoFactorDevice) -> str:
    return crypto.decrypt(device.secret_encrypted)


def grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def uri_for(user, secret: str) -> str:
    return totp.provisioning_uri(secret, account=user.get_username(), issuer=ISSUER)


def verify(*, device: TwoFactorDevice, code: str) -> bool:
    """Accept ``code`` once: the step it belongs to must be newer than the last accepted one.

    The step is stored by compare-and-set, so two requests racing with one code accept it once."""
    with transaction.atomic():
        locked = TwoFactorDevice.objects.select_for_update().get(pk=device.pk)
        step = totp.match(secret_of(locked), code, last_step=locked.last_step)
        if step is None:
            return False
        first = locked.confirmed_at is None
        TwoFactorDevice.objects.filter(pk=locked.pk).update(
            last_step=step, confirmed_at=locked.confirmed_at or timezone.now()
        )
        if first:
            audit.record(actor=device.user, action="two_factor.enrol")
    return True


def reset(*, actor, user) -> None:
    """A system administrator clears a lost authenticator; the person enrols again at next sign-in."""
    access.require(actor, access.AdminAction.MANAGE_USERS)
    with transaction.atomic():
        TwoFactorDevice.objects.filter(user=user).delete()
        audit.record(actor=actor, action="two_factor.reset", obj=user)
