"""System checks: production must have its field-encryption keys before it stores a single ID number."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def field_keys_configured(app_configs, **kwargs):
    from . import crypto

    try:
        ring = crypto.keyring()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="lianxin.E001")]
    if not settings.DEMO_MODE and getattr(settings, "LIANXIN_FIELD_KEYS_FROM_FILE", False):
        return [Error("Production must take field keys from the environment, not a file.", id="lianxin.E002")]
    del ring
    return []
