from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from lianxin.core import audit


class Command(BaseCommand):
    help = (
        "Audit log tools. `lianxin audit verify` checks the hash chain and names the first bad row; "
        "`lianxin audit purge [--user AUDITOR]` deletes entries older than LIANXIN_AUDIT_RETENTION_DAYS "
        "(never fewer than 184 days), keeping the chain verifiable from a recorded anchor."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify", "purge"])
        parser.add_argument(
            "--user", help="login name of the auditor running the purge (else: the scheduled job)"
        )

    def handle(self, *args, what, user=None, **options):
        if what == "purge":
            actor = None
            if user:
                actor = get_user_model().objects.filter(username=user, is_active=True).first()
                if actor is None:
                    raise CommandError(f"no active account {user}")
            try:
                result = audit.purge(actor=actor)
            except PermissionDenied:
                raise CommandError(f"{user} may not purge the audit log (only an auditor may)") from None
            self.stdout.write(
                f"purged {result.deleted} entries older than {result.cutoff.isoformat()}; "
                f"the chain now starts at #{result.anchor_seq}"
            )
        result = audit.verify()
        if not result.ok:
            raise CommandError(f"audit chain broken after {result.checked} good entries: {result.problem}")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {result.checked} entries"))
