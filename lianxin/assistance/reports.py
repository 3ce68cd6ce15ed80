"""The assistance reports as an Excel workbook (D6): cases by step and age, overdue steps, flagged
cases, payments per month. Every cell is text (lianxin.core.spreadsheets); the export is audited."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.spreadsheets import SheetSpec, write_workbook

from . import selectors
from .models import CaseStatus


def workbook(*, actor, year: int, today: dt.date) -> bytes:
    by_step = selectors.cases_by_step(actor=actor, today=today)
    bucket_labels = [
        f"{low}–{high}" if high is not None else f"{low}+" for low, high in selectors.AGE_BUCKETS
    ]
    overdue = selectors.case_list(actor=actor, overdue=True)
    flagged = selectors.case_list(actor=actor, flagged=True)
    payments = selectors.payments_per_month(actor=actor, year=year)
    sheets = [
        SheetSpec(
            _("Cases by step"),
            [_("Programme"), _("Step"), _("Open cases"), _("Overdue")]
            + [_("%(days)s days at the step") % {"days": label} for label in bucket_labels],
            [
                [r["programme"], r["step"], str(r["total"]), str(r["overdue"]), *map(str, r["buckets"])]
                for r in by_step
            ],
        ),
        SheetSpec(
            _("Overdue steps"),
            [_("Case number"), _("Programme"), _("Step"), _("Community"), _("Due on")],
            [
                [
                    c.number,
                    c.programme.name,
                    c.step.name if c.step else "",
                    c.community.name,
                    c.due_on.isoformat(),
                ]
                for c in overdue
            ],
        ),
        SheetSpec(
            _("Flagged cases"),
            [
                _("Case number"),
                _("Programme"),
                _("Step"),
                _("Status"),
                _("Community"),
                _("Reasons for the flag"),
            ],
            [
                [
                    c.number,
                    c.programme.name,
                    c.step.name if c.step else "",
                    CaseStatus(c.status).label,
                    c.community.name,
                    "；".join(c.flag_reasons),
                ]
                for c in flagged
            ],
        ),
        SheetSpec(
            _("Payments per month"),
            [_("Month"), _("Households"), _("Total (yuan)")],
            [[p["month"].strftime("%Y-%m"), str(p["households"]), str(p["total"])] for p in payments],
        ),
    ]
    who = actor.get_username()
    data = write_workbook(
        sheets,
        watermark=_("Exported by %(who)s on %(date)s")
        % {"who": who, "date": timezone.localdate().isoformat()},
        author=who,
    )
    with transaction.atomic():
        audit.record(actor=actor, action="assistance.export", after={"year": year, "sheets": len(sheets)})
    return data
