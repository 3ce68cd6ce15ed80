"""The source's default meeting frequencies (D3, 三会一课); administrators change them per deployment."""

from django.db import migrations

LEADING = ["committee", "general_branch", "branch"]
DEFAULTS = [
    # code, name, months per period, organization kinds
    ("committee_meeting", "支委会", 1, LEADING),
    ("group_meeting", "党小组会", 1, ["group"]),
    ("general_meeting", "党员大会", 3, LEADING),
    ("party_lecture", "党课", 6, LEADING),
    ("organizational_life", "组织生活会", 12, LEADING),
    ("democratic_life", "民主生活会", 12, ["committee"]),
]


def seed(apps, schema_editor):
    MeetingType = apps.get_model("branch", "MeetingType")
    for position, (code, name, months, kinds) in enumerate(DEFAULTS, start=1):
        MeetingType.objects.get_or_create(
            code=code,
            defaults={"name": name, "period_months": months, "org_kinds": kinds, "position": position},
        )


def unseed(apps, schema_editor):
    apps.get_model("branch", "MeetingType").objects.filter(code__in=[row[0] for row in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("branch", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
