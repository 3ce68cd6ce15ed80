from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


def full_name(display_name: str, first_name: str, last_name: str, username: str) -> str:
    """A user's name as shown everywhere, from the four columns (lists read them without the model)."""
    return display_name or f"{first_name} {last_name}".strip() or username


class User(AbstractUser):
    """A person who signs in. What they may see comes only from their role assignments."""

    display_name = models.CharField(_("name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    elderly_mode = models.BooleanField(
        _("elderly-friendly mode"), default=False, help_text=_("Larger text and stronger contrast.")
    )
    # Bumped to end every session of the user at once (logout, deactivation): see accounts.security.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    password_changed_at = models.DateTimeField(
        _("password changed at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self):
        return full_name(self.display_name, self.first_name, self.last_name, self.username)

    def __str__(self):
        return self.get_full_name()

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class RoleAssignment(models.Model):
    """A user acting with a role on a place subtree (D1). Ended, never deleted."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    place = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("place")
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    scope_path_field = "place__path"

    class Meta:
        ordering = ["user", "role"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "place"],
                condition=Q(ended_at__isnull=True),
                name="accounts_role_active_uniq",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.place}"


class LoginThrottle(models.Model):
    """Failed sign-ins of one login name from one address (never one address alone: a whole street
    office may share it). Five failures within 15 minutes lock that pair for 30 (accounts.security)."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=45)
    failures = models.PositiveSmallIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["username", "ip"], name="accounts_throttle_uniq")]

    def __str__(self):
        return f"{self.username} @ {self.ip}"


class TwoFactorDevice(models.Model):
    """A user's TOTP authenticator (accounts.totp). The secret is encrypted with the field keys
    (lianxin.core.crypto); ``last_step`` is the time step of the last accepted code (no replay)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"2FA {self.user}"
