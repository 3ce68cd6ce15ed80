"""Branch-life settings, each with the source's value (or a plain default) when unset (D3)."""

from django.conf import settings

# Working days allowed for a must-visit (五个必访), by cause.
DEFAULT_VISIT_DAYS = {"ill": 3, "difficulty": 5, "absent": 10, "criticised": 5, "deceased": 2}
# Minimum months in a recruitment stage before the next step (activist ≥ 1 year, probation 1 year).
DEFAULT_MIN_MONTHS = {"applicant": 0, "activist": 12, "target": 0, "probationary": 12}
# Documents to hold before a recruit leaves each stage.
DEFAULT_DOCUMENTS = {
    "applicant": ["入党申请书", "谈话记录"],
    "activist": ["入党积极分子推荐表", "培养考察登记表", "思想汇报"],
    "target": ["政治审查材料", "短期集中培训证明", "入党志愿书"],
    "probationary": ["入党宣誓记录", "转正申请书", "预备期考察材料"],
}


def late_entry_days() -> int:
    """A meeting recorded more than this many days after it was held needs a reason."""
    return int(getattr(settings, "LIANXIN_BRANCH_LATE_ENTRY_DAYS", 7))


def absence_streak() -> int:
    """Consecutive absences that call for a visit."""
    return int(getattr(settings, "LIANXIN_BRANCH_ABSENCE_STREAK", 3))


def visit_days(cause: str) -> int:
    return int({**DEFAULT_VISIT_DAYS, **getattr(settings, "LIANXIN_BRANCH_VISIT_DAYS", {})}[cause])


def reminder_days() -> int:
    """How many days before a period ends its secretary is reminded of a meeting not yet held."""
    return int(getattr(settings, "LIANXIN_BRANCH_REMINDER_DAYS", 10))


def min_months(stage: str) -> int:
    return int(
        {**DEFAULT_MIN_MONTHS, **getattr(settings, "LIANXIN_BRANCH_RECRUIT_MIN_MONTHS", {})}.get(stage, 0)
    )


def documents(stage: str) -> list[str]:
    return list(
        {**DEFAULT_DOCUMENTS, **getattr(settings, "LIANXIN_BRANCH_RECRUIT_DOCUMENTS", {})}.get(stage, [])
    )
