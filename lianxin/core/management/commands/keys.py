import base64
import secrets

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from lianxin.core import crypto


def encrypted_columns():
    """(model, [fields]) for every model that declares ``encrypted_fields``."""
    for model in apps.get_models():
        fields = getattr(model, "encrypted_fields", None)
        if fields:
            yield model, list(fields)


class Command(BaseCommand):
    help = (
        "Field-encryption keys. `keys generate` prints fresh values for LIANXIN_FIELD_KEYS and "
        "LIANXIN_LOOKUP_KEY; `keys rotate` re-encrypts every value not under the current key "
        "(set the new key as LIANXIN_FIELD_KEY_ID first, keep the old one in LIANXIN_FIELD_KEYS until done)."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["generate", "rotate", "status"])
        parser.add_argument("--key-id", default="k1")

    def handle(self, *args, what, key_id, **options):
        if what == "generate":
            self.stdout.write(
                f"LIANXIN_FIELD_KEYS={key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"
            )
            self.stdout.write(f"LIANXIN_FIELD_KEY_ID={key_id}")
            self.stdout.write(f"LIANXIN_LOOKUP_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}")
            return
        current = crypto.keyring().current
        for model, fields in encrypted_columns():
            stale = 0
            for row in model._base_manager.only("pk", *fields).iterator(chunk_size=1000):
                old = {
                    f: getattr(row, f)
                    for f in fields
                    if getattr(row, f) and crypto.key_id(getattr(row, f)) != current
                }
                if not old:
                    continue
                stale += 1
                if what == "rotate":
                    with transaction.atomic():
                        new = {f: crypto.encrypt(crypto.decrypt(v)) for f, v in old.items()}
                        # Compare-and-set: a row changed meanwhile is left for the next run.
                        model._base_manager.filter(pk=row.pk, **old).update(**new)
            verb = "re-encrypted" if what == "rotate" else "not under the current key"
            self.stdout.write(f"{model._meta.label}: {stale} rows {verb}")
