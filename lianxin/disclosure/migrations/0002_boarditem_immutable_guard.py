"""A database guard: a published or corrected board item's content cannot be changed, even by a raw
UPDATE. Only ``published -> corrected`` (with ``corrected_at``) and ``place_path`` (a place moved) may
change. (Deletes are refused by the model: a trigger would also stop the test runner's flush on SQLite.)
NOTE: on SQLite a later migration that rebuilds this table drops the trigger; re-create it there."""

from django.db import migrations

COLUMNS = [
    "place_id",
    "section",
    "kind",
    "topic",
    "title",
    "body",
    "starts_on",
    "ends_on",
    "due_on",
    "source_type_id",
    "source_id",
    "source_key",
    "version",
    "previous_id",
    "correction_reason",
    "fingerprint",
    "code",
    "created_by_id",
    "created_at",
    "published_by_id",
    "published_at",
]
MESSAGE = "published board items are immutable: publish a correction instead"

SQLITE_GUARD = f"""
CREATE TRIGGER disclosure_boarditem_immutable BEFORE UPDATE ON disclosure_boarditem
WHEN OLD.status <> 'draft' AND (
    {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COLUMNS)}
    OR NEW.status = 'draft' OR (OLD.status = 'corrected' AND NEW.status <> 'corrected')
)
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""
SQLITE_UNGUARD = "DROP TRIGGER IF EXISTS disclosure_boarditem_immutable;"

PG_GUARD = f"""
CREATE OR REPLACE FUNCTION disclosure_boarditem_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'draft' AND (
        {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in COLUMNS)}
        OR NEW.status = 'draft' OR (OLD.status = 'corrected' AND NEW.status <> 'corrected')
    ) THEN
        RAISE EXCEPTION '{MESSAGE}';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disclosure_boarditem_immutable BEFORE UPDATE ON disclosure_boarditem
    FOR EACH ROW EXECUTE FUNCTION disclosure_boarditem_immutable();
"""
PG_UNGUARD = """
DROP TRIGGER IF EXISTS disclosure_boarditem_immutable ON disclosure_boarditem;
DROP FUNCTION IF EXISTS disclosure_boarditem_immutable();
"""


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_GUARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UNGUARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0001_initial")]

    operations = [migrations.RunPython(guard, unguard)]
