"""Token authentication with its lookup kept as a compiled statement (lianxin.core.statements).

DRF's TokenAuthentication runs ``Token.objects.select_related("user").get(key=key)``, building and
compiling the same query on every API request. This reads the same user in one kept statement and
answers exactly as DRF does: an unknown token and an inactive user are refused with DRF's messages.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from lianxin.core import statements


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user_model = get_user_model()
        found = statements.instances(
            ("api.token_user",),
            user_model,
            lambda token: user_model.objects.filter(auth_token__key=token),
            str(key),
        )
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = found[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, key  # request.auth: the token's key (no Token instance is read)
