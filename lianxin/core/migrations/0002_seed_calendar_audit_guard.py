"""Seed the official calendar from chinese-calendar and guard the audit table on PostgreSQL."""

from django.db import migrations

PG_GUARD = """
CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_audit_append_only();
"""
PG_UNGUARD = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS core_audit_append_only();
"""


def seed_calendar(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    days = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            days[day] = ("holiday", name or "")
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            days[day] = ("workday", name or "")
    years = sorted({day.year for day in days})
    source = f"chinese-calendar {chinese_calendar.__version__}"
    for year in years:
        CalendarYear.objects.get_or_create(year=year, defaults={"source": source})
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, kind=k, name=n[:60]) for d, (k, n) in sorted(days.items())], ignore_conflicts=True
    )


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(seed_calendar, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
