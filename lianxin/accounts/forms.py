"""Sign-in forms: one answer for every wrong login name or password; a lock says only when to retry."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The login name or password is not correct. Please try again."),
        "inactive": _("The login name or password is not correct. Please try again."),
        "locked": _(
            "Too many failed attempts with this login name from this computer. Please try again after %(time)s."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            until = getattr(self.request, "lianxin_locked_until", None)
            if until is not None:
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"time": timezone.localtime(until).strftime("%H:%M")},
                ) from None
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(_("Please enter the six digits shown in your authenticator app."))
        return code
