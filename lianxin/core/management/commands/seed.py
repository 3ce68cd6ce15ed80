import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lianxin.core import cityscale, demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Columns aligned for a terminal where a Chinese character takes two cells."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


class Command(BaseCommand):
    help = (
        "Build the demo city 连心市 with demo users who share one password, and print their logins. "
        "Only when DEMO_MODE is on; running it again prints the logins and adds nothing. "
        "--scale city loads a whole city for load tests (lianxin/core/cityscale.py, docs/cityscale.md); "
        "--fraction scales it down."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=[*sorted(demo.SCALES), "city"], default="demo")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
        parser.add_argument(
            "--fraction",
            type=float,
            default=1.0,
            help="With --scale city: the share of the full city to load (0 < F <= 1), e.g. 0.001.",
        )

    def handle(self, *args, scale, seed, fraction=1.0, **options):
        if not getattr(settings, "DEMO_MODE", False):
            raise CommandError(
                _(
                    "Demo data can only be loaded when DEMO_MODE is on: it creates accounts with a "
                    "published password, which must never exist in production."
                )
            )
        if scale == "city":
            return self._city(seed, fraction, options.get("verbosity", 1))
        if demo.demo_city() is not None:
            self.stdout.write(_("The demo city already exists; nothing was added."))
        else:
            try:
                result = demo.build_demo_city(scale=scale, seed=seed)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            places = result["places"]
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Demo city built: %(communities)d communities, %(grids)d grids, %(buildings)d "
                        "buildings, %(orgs)d party organizations, %(users)d users, %(households)d households, "
                        "%(residents)d residents, %(members)d party members."
                    )
                    % {
                        "communities": places.get("community", 0),
                        "grids": places.get("grid", 0),
                        "buildings": places.get("building", 0),
                        "orgs": sum(result["organizations"].values()),
                        "users": result["users"],
                        "households": result.get("households", 0),
                        "residents": result.get("residents", 0),
                        "members": result.get("party_members", 0),
                    }
                )
            )
        rows = [(_("Login"), _("Password"), _("Role"), _("Place"))]
        rows += [(login, demo.DEMO_PASSWORD, role, place) for login, role, place in demo.demo_logins()]
        self.stdout.write("")
        for line in _table(rows):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(
            _("All demo users share the password %(password)s. Never use demo data in production.")
            % {"password": demo.DEMO_PASSWORD}
        )

    def _city(self, seed: int, fraction: float, verbosity: int) -> None:
        log = self.stdout.write if verbosity >= 2 else None
        try:
            result = cityscale.build_city(seed=seed, fraction=fraction, log=log)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("City-scale data loaded in %(seconds)s s (fraction %(fraction)s, seed %(seed)d).")
                % {"seconds": result["seconds"], "fraction": fraction, "seed": seed}
            )
        )
        rows = [(_("Table"), _("Rows"), _("Seconds"))]
        rows += [
            (label, f"{count:,}", f"{result['timings'].get(label, 0):.1f}")
            for label, count in result["rows"].items()
        ]
        for line in _table(rows):
            self.stdout.write(line)
        self.stdout.write(
            _("Logins: %(login)s and the cityqu*, cityshuji*, citygongzuo* users; password %(password)s.")
            % {"login": cityscale.ADMIN_LOGIN, "password": demo.DEMO_PASSWORD}
        )
