"""Settings of the governance module, with the defaults documented in docs/governance.md."""

from django.conf import settings

# A contact is overdue when its last log entry (or the assignment, if none) is more than this many
# official working days ago. 22 working days is about one calendar month.
CONTACT_WORKING_DAYS = 22

# Share of the reviewed score (percent of the checklist's points) for class 1 and class 2;
# anything below class 2's threshold is class 3.
RATING_THRESHOLDS = {1: 90, 2: 70}

# Working days an upgrade-plan item gets by default.
UPGRADE_WORKING_DAYS = 60


def contact_working_days() -> int:
    return int(getattr(settings, "LIANXIN_GOVERNANCE_CONTACT_WORKING_DAYS", CONTACT_WORKING_DAYS))


def rating_thresholds() -> dict[int, int]:
    return {**RATING_THRESHOLDS, **getattr(settings, "LIANXIN_GOVERNANCE_RATING_THRESHOLDS", {})}


def upgrade_working_days() -> int:
    return int(getattr(settings, "LIANXIN_GOVERNANCE_UPGRADE_WORKING_DAYS", UPGRADE_WORKING_DAYS))
