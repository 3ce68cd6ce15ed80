import json

from django.core.management.base import BaseCommand

from lianxin.core.locks import TICK_LOCK, cluster_lock
from lianxin.core.services import tick


class Command(BaseCommand):
    help = (
        "Periodic sweep: reminders, overdue notices, provisional deadlines. Idempotent; run from cron. "
        "On PostgreSQL one node sweeps at a time (advisory lock); another node's run returns at once."
    )

    def handle(self, *args, **options):
        with cluster_lock(TICK_LOCK) as held:
            if not held:
                self.stdout.write(json.dumps({"skipped": "another node is sweeping"}))
                return
            self.stdout.write(json.dumps(tick(), ensure_ascii=False))
