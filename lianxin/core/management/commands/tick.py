import json

from django.core.management.base import BaseCommand

from lianxin.core.services import tick


class Command(BaseCommand):
    help = "Periodic sweep: reminders, overdue notices, provisional deadlines. Idempotent; run from cron."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(tick(), ensure_ascii=False))
