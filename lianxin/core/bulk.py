"""Fast bulk inserts for imports of hundreds of thousands of rows.

``QuerySet.bulk_create`` spends most of its time preparing each value through the field machinery;
for plain columns the database adapter does the same work. ``insert_rows`` prepares only the values
that need it (dates, datetimes, JSON) once per column and sends one parameterised single-row INSERT
through ``executemany``. Rows must already be valid: this is for the importer's commit path, after
the same validation the services apply. Primary keys are not returned: callers look rows up by their
natural unique key (e.g. a resident's ID-number hash).
"""

from django.db import connection, models


def _adapter(field):
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.TimeField):
        return ops.adapt_timefield_value
    if isinstance(field, models.DecimalField):
        return lambda value, f=field: ops.adapt_decimalfield_value(value, f.max_digits, f.decimal_places)
    if isinstance(field, models.JSONField):
        return lambda value, f=field: f.get_db_prep_save(value, connection)
    return None


def insert_rows(model: type[models.Model], objs: list[models.Model], *, batch_size: int = 5000) -> int:
    """INSERT ``objs`` (unsaved instances) without returning primary keys. Returns the row count."""
    if not objs:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    getters = [(f.attname, _adapter(f)) for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            rows = []
            for obj in objs[start : start + batch_size]:
                row = []
                for attname, adapt in getters:
                    value = getattr(obj, attname)
                    row.append(adapt(value) if adapt is not None and value is not None else value)
                rows.append(row)
            cursor.executemany(sql, rows)
    return len(objs)
