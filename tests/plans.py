"""Query plans for tests that check which index answers a statement."""


def generic_plan(cursor, sql: str, params) -> list[str]:
    """PostgreSQL's generic plan of ``sql`` (Django's %s placeholders) with ``params``, as kept
    statements are planned (lianxin.core.statements.plan_once): prepared under force_generic_plan for
    the rest of the caller's transaction, explained, deallocated. The plan's lines."""
    cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    numbered = sql.replace("%s", "{}").format(*(f"${i}" for i in range(1, len(params) + 1)))
    cursor.execute(f"PREPARE plan_probe AS {numbered}")
    try:
        cursor.execute(f"EXPLAIN EXECUTE plan_probe({', '.join(['%s'] * len(params))})", params)
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.execute("DEALLOCATE plan_probe")
