from django.core.management.base import BaseCommand, CommandError

from lianxin.core import audit


class Command(BaseCommand):
    help = "Audit log tools. `lianxin audit verify` checks the hash chain and names the first bad row."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify"])

    def handle(self, *args, what, **options):
        result = audit.verify()
        if not result.ok:
            raise CommandError(f"audit chain broken after {result.checked} good entries: {result.problem}")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {result.checked} entries"))
