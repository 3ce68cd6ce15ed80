"""Accounts and role assignments (D1: a person acts with a role on a place subtree)."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import access, audit
from lianxin.core.access import ROLE_LEVELS, AdminAction, Role

from .models import RoleAssignment, User

USER_FIELDS = ["username", "display_name", "phone", "email", "is_active", "is_superuser", "is_staff"]


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    display_name: str,
    password: str | None,
    phone: str = "",
    email: str = "",
    is_system_admin: bool = False,
) -> User:
    """Create an account. Only a system administrator creates accounts (or None: seed/commands)."""
    if actor is not None:
        access.require(actor, AdminAction.MANAGE_USERS)
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("Please enter a login name.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This login name is taken.")})
    user = User(
        username=username,
        display_name=display_name.strip(),
        phone=phone.strip(),
        email=email.strip(),
        is_superuser=is_system_admin,
        is_staff=is_system_admin,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": _("This login name is taken.")}) from None
    audit.record(actor=actor, action="user.create", obj=user, after=audit.snapshot(user, USER_FIELDS))
    return user


@transaction.atomic
def role_grant(*, actor, user: User, role: str, place) -> RoleAssignment:
    """Grant ``role`` on ``place``. Officers grant roles below their own, within their subtree;
    the role must be held at its proper level (a secretary on a community, …)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if actor is not None and role not in access.grantable_roles(actor, place):
        raise ValidationError({"role": _("You may not grant this role here.")})
    if actor is not None and actor.pk == user.pk:
        raise ValidationError({"role": _("Nobody may grant a role to themselves.")})
    duties_check(user=user, role=role)
    if place.kind not in ROLE_LEVELS[role]:
        raise ValidationError(
            {
                "place": _("%(role)s is held on a %(levels)s.")
                % {
                    "role": Role(role).label,
                    "levels": "/".join(str(_level_label(k)) for k in sorted(ROLE_LEVELS[role])),
                }
            }
        )
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(user=user, role=role, place=place, granted_by=actor)
    except IntegrityError:
        raise ValidationError({"role": _("This person already holds this role here.")}) from None
    audit.record(
        actor=actor,
        action="role.grant",
        obj=assignment,
        place=place,
        after={"user": user.pk, "role": role, "place": place.pk},
    )
    access.forget(user)
    return assignment


def duties_check(*, user: User, role: str) -> None:
    """Separation of duties (三权分立): a system administrator holds no role; an auditor holds no
    business role and a holder of a business role cannot become an auditor."""
    if user.is_superuser:
        raise ValidationError({"role": _("A system administrator cannot also hold a role.")})
    held = set(RoleAssignment.objects.filter(user=user, ended_at__isnull=True).values_list("role", flat=True))
    if role == Role.AUDITOR and held - {Role.AUDITOR}:
        raise ValidationError({"role": _("An auditor cannot hold a business role; end those roles first.")})
    if role != Role.AUDITOR and Role.AUDITOR in held:
        raise ValidationError({"role": _("An auditor cannot hold a business role.")})


def _level_label(kind: str):
    from lianxin.places.models import PlaceKind

    return PlaceKind(kind).label


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment, reason: str) -> RoleAssignment:
    if actor is not None and assignment.role not in access.grantable_roles(actor, assignment.place):
        raise ValidationError({"role": _("You may not revoke this role here.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Please give a reason.")})
    updated = RoleAssignment.objects.filter(pk=assignment.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("This role had already ended."))
    assignment.refresh_from_db()
    audit.record(
        actor=actor,
        action="role.revoke",
        obj=assignment,
        place=assignment.place,
        before={"user": assignment.user_id, "role": assignment.role},
        after={"ended_at": assignment.ended_at},
        reason=reason.strip(),
    )
    access.forget(assignment.user)
    return assignment


def user_set_elderly_mode(*, user: User, on: bool) -> User:
    """A personal display preference; not business data, so not audited."""
    User.objects.filter(pk=user.pk).update(elderly_mode=on)
    user.elderly_mode = on
    return user
