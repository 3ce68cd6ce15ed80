from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from lianxin.core import audit
from lianxin.core import backup as backups


class Command(BaseCommand):
    help = (
        "Back up the whole database to FILE: SQLite through its online backup API (safe while the app "
        "runs), PostgreSQL through pg_dump --format=custom. Restore with `lianxin restore FILE --yes`."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="default: data/backups/lianxin-YYYYmmdd-HHMMSS.<ext>")

    def handle(self, *args, file=None, **options):
        from django.conf import settings
        from django.db import connection

        ext = "sqlite3" if connection.vendor == "sqlite" else "dump"
        target = (
            Path(file)
            if file
            else settings.DATA_DIR / "backups" / (f"lianxin-{timezone.localtime():%Y%m%d-%H%M%S}.{ext}")
        )
        backups.backup(target)
        with transaction.atomic():
            audit.record(
                actor=None,
                action="backup.create",
                after={"file": target.name, "bytes": target.stat().st_size},
            )
        self.stdout.write(self.style.SUCCESS(f"backed up to {target} ({target.stat().st_size} bytes)"))
