from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from lianxin.core import audit
from lianxin.core import backup as backups


class Command(BaseCommand):
    help = "Replace the whole database with a backup made by `lianxin backup`. Needs --yes."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="really replace every row of the database")

    def handle(self, *args, file, yes=False, **options):
        if not yes:
            raise CommandError("restore replaces every row of the database; add --yes to go ahead")
        source = Path(file)
        if not source.is_file():
            raise CommandError(f"no such backup: {source}")
        backups.restore(source)
        result = audit.verify()
        with transaction.atomic():
            audit.record(
                actor=None, action="backup.restore", after={"file": source.name, "chain_ok": result.ok}
            )
        if not result.ok:
            raise CommandError(f"restored, but the audit chain does not verify: {result.problem}")
        self.stdout.write(
            self.style.SUCCESS(f"restored from {source}; audit chain intact ({result.checked} entries)")
        )
