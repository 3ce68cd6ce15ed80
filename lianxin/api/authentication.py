"""Token authentication through one kept statement (``accounts.selectors.token_user``).

DRF's TokenAuthentication runs ``Token.objects.select_related("user").get(key=key)``, building and
compiling the same query on every API request, and the first permission check then reads the user's
role assignments with a second one. The selector reads both at once; this answers exactly as DRF
does: an unknown token and an inactive user are refused with DRF's messages.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from lianxin.accounts import selectors


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user = selectors.token_user(key=str(key))
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, key  # request.auth: the token's key (no Token instance is read)
