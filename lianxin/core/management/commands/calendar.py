from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lianxin.core.calendar import CalendarFileError
from lianxin.core.models import CalendarYear
from lianxin.core.services import calendar_seed_from_package, calendar_years_load


class Command(BaseCommand):
    help = (
        "The official working-day calendar. `calendar seed` loads the years the chinese-calendar "
        "package knows; `calendar load FILE` loads later years (lines: YYYY-MM-DD,holiday|workday,name); "
        "`calendar list` shows loaded years."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["seed", "load", "list"])
        parser.add_argument("file", nargs="?")
        parser.add_argument("--replace", action="store_true", help="Load again a year already loaded.")

    def handle(self, *args, what, file=None, replace=False, **options):
        if what == "seed":
            years = calendar_seed_from_package()
            self.stdout.write(f"loaded years: {years or 'none (all already loaded)'}")
        elif what == "load":
            if not file:
                raise CommandError("calendar load needs a file")
            try:
                result = calendar_years_load(
                    actor=None,
                    text=Path(file).read_text(encoding="utf-8-sig"),
                    source=Path(file).name,
                    replace=replace,
                )
            except (CalendarFileError, ValidationError) as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                f"loaded years: {result['years']}; provisional deadlines recomputed: {result['recomputed']}"
            )
        else:
            for year in CalendarYear.objects.all():
                self.stdout.write(f"{year.year}\t{year.source}\t{year.loaded_at:%Y-%m-%d}")
