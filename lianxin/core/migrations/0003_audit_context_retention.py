"""Audit entries carry outcome, source address and request id (hashed from chain version 2 on; the
entries already written stay version 1 and still verify), the head keeps the retention anchor, and on
PostgreSQL the append-only trigger lets exactly one DELETE through: the retention purge, which sets
``lianxin.audit_purge`` in its own transaction, and only for rows older than the 184-day minimum."""

from django.db import migrations, models

PG_GUARD = """
CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('lianxin.audit_purge', true) = 'on'
       AND OLD.at < now() - interval '184 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
"""
PG_PREVIOUS = """
CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_PREVIOUS)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_seed_calendar_audit_guard'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='chain_version',
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='chain_version',
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='ip',
            field=models.CharField(blank=True, max_length=45, verbose_name='source address'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='outcome',
            field=models.CharField(blank=True, max_length=16, verbose_name='outcome'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='request_id',
            field=models.CharField(blank=True, max_length=64, verbose_name='request id'),
        ),
        migrations.AddField(
            model_name='audithead',
            name='anchor_hash',
            field=models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64),
        ),
        migrations.AddField(
            model_name='audithead',
            name='anchor_seq',
            field=models.PositiveBigIntegerField(default=1),
        ),
        migrations.RunPython(guard, unguard),
    ]
