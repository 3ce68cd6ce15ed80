"""Fast bulk inserts for imports of hundreds of thousands of rows.

``QuerySet.bulk_create`` spends most of its time building instances and preparing each value through
the field machinery; for plain columns the database adapter does the same work. ``insert_values``
takes plain tuples of the varying columns, prepares only the values that need it (dates, datetimes,
JSON), gives every other column one value for all rows (``constants`` or the field's default, prepared
once) and sends one parameterised single-row INSERT through ``executemany``. Rows must already be
valid: this is for the importer's commit path, after the same validation the services apply. Primary
keys are not returned: callers reserve them first (``reserve_ids``) or look rows up by their natural
unique key (``values_in``).
"""

import contextlib

from django.conf import settings
from django.db import connection, models


@contextlib.contextmanager
def large_page_cache():
    """On SQLite, a page cache of LIANXIN_SQLITE_BULK_CACHE_MB (default 64) for the duration, then the
    connection's own size again. A bulk insert into indexed columns with random keys (keyed hashes,
    pinyin) touches index pages all over the file; with SQLite's default 2 MB cache each row re-reads
    them. At 170,000 residents the insert took 1.5× as long as with 64 MB (bench/import_members.py).
    Only for the bulk write: every pooled connection keeping 64 MB would be too much for a small server.
    Does nothing on PostgreSQL (its cache is the server's shared_buffers)."""
    if connection.vendor != "sqlite":
        yield
        return
    megabytes = int(getattr(settings, "LIANXIN_SQLITE_BULK_CACHE_MB", 64))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * megabytes:d}")  # negative: KiB, not pages
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before):d}")


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


def _prepared(field, value):
    adapt = _adapter(field)
    return adapt(value) if adapt is not None and value is not None else value


def insert_values(
    model: type[models.Model],
    rows,
    *,
    columns: list[str],
    constants: dict | None = None,
    batch_size: int = 5000,
    adapted: bool = False,
) -> int:
    """INSERT ``rows`` (tuples aligned with ``columns``, attribute names) without model instances.

    Every other concrete column takes ``constants[name]`` or the field's default, prepared once.
    The primary key is set only when ``columns`` names it (keys from ``reserve_ids``). With
    ``adapted``, the rows' dates are already what ``date_adapter`` gives and are sent as they are.
    Returns the row count.
    """
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = (set(columns) | set(constants or ())) - set(fields)
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    constants = constants or {}
    fixed = [
        (name, _prepared(f, constants[name] if name in constants else f.get_default()))
        for name, f in fields.items()
        if name not in columns and not f.primary_key
    ]
    names = [*columns, *(name for name, _value in fixed)]
    tail = tuple(value for _name, value in fixed)
    adapters = [] if adapted else [(i, a) for i, name in enumerate(columns) if (a := _adapter(fields[name]))]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(fields[n].column) for n in names)}) "
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
    count = 0
    with connection.cursor() as cursor:
        batch = []
        for row in rows:
            if adapters:
                row = list(row)
                for i, adapt in adapters:
                    if row[i] is not None:
                        row[i] = adapt(row[i])
            batch.append((*row, *tail))
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def date_adapter():
    """The connection's conversion of a ``datetime.date`` for a parameter (None stays None)."""
    return connection.ops.adapt_datefield_value


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys for rows about to be inserted with ``insert_values``, so that the caller
    need not read them back by a natural key. Insert rows with all of them in the same transaction.
    SQLite: inside a transaction that writes (the write lock is held, so nobody else can take the
    same keys), above the AUTOINCREMENT high-water mark (a deleted row's key is never reused).
    PostgreSQL: from the column's own sequence."""
    if count <= 0:
        return []
    meta, quote = model._meta, connection.ops.quote_name
    table, pk = meta.db_table, meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [value for (value,) in cursor.fetchall()]
        if connection.vendor != "sqlite" or not connection.in_atomic_block:
            raise RuntimeError("reserve_ids needs a transaction on SQLite or PostgreSQL")
        cursor.execute(f"SELECT MAX({quote(pk)}) FROM {quote(table)}")
        (highest,) = cursor.fetchone()
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        sequence = cursor.fetchone()
        first = max(highest or 0, sequence[0] if sequence else 0) + 1
        return list(range(first, first + count))


def values_in(model: type[models.Model], key: str, keys: list, fields: list[str]) -> list[tuple]:
    """``fields`` of the rows whose ``key`` is one of ``keys``, as tuples: one plain SELECT, without the
    per-value preparation a QuerySet's ``__in`` lookup does (measurable with 2,000 keys a chunk)."""
    if not keys:
        return []
    meta, quote = model._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(f).column) for f in fields)
    column = quote(meta.get_field(key).column)
    if connection.vendor == "postgresql":
        condition, params = f"{column} = ANY(%s)", [list(keys)]
    else:
        condition, params = f"{column} IN ({', '.join(['%s'] * len(keys))})", list(keys)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {condition}", params)
        return cursor.fetchall()


def save_binary(model: type[models.Model], pk, values: dict[str, bytes]) -> None:
    """UPDATE large binary columns of one row, sending the bytes as they are.

    Django's PostgreSQL backend binds parameters on the client by default: bytes become a hex literal
    inside the SQL text, several copies of twice their size in memory (64 MB for a 6 MB upload and its
    dry run's rows). psycopg's own cursor sends them as binary parameters; same transaction.
    """
    meta, quote = model._meta, connection.ops.quote_name
    sets = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in values)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, [*(psycopg.Binary(value) for value in values.values()), pk])
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*values.values(), pk])
