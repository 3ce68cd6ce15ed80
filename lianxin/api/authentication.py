"""Token authentication read with one kept statement (lianxin.core.statements).

DRF's TokenAuthentication runs ``Token.objects.select_related("user").get(key=key)``, building and
compiling the same query on every API request, and the first permission check then reads the user's
role assignments with a second one. This reads the user and their active assignments together (one
row per assignment, joined to the token) and answers exactly as DRF does: an unknown token and an
inactive user are refused with DRF's messages.
"""

from django.contrib.auth import get_user_model
from django.db import router
from django.db.models import FilteredRelation, Q
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from lianxin.core import access, statements

ASSIGNMENT = ("active__role", "active__place__path", "active__place_id")


def _user_and_assignments(user_model, columns):
    return lambda token: (
        user_model.objects.filter(auth_token__key=token)
        .annotate(
            active=FilteredRelation("role_assignments", condition=Q(role_assignments__ended_at__isnull=True))
        )
        .order_by(*ASSIGNMENT[:2])
        .values_list(*columns, *ASSIGNMENT)
    )


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user_model = get_user_model()
        columns = tuple(field.attname for field in user_model._meta.concrete_fields)
        found = statements.rows(
            ("api.token_user",), user_model, _user_and_assignments(user_model, columns), str(key)
        )
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        width = len(columns)
        user = user_model.from_db(router.db_for_read(user_model), columns, found[0][:width])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        access.remember(user, [row[width:] for row in found if row[width] is not None])
        return user, key  # request.auth: the token's key (no Token instance is read)
