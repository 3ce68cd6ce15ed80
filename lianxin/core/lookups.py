"""Conditions written into the SQL with their values, so that a partial index matches them.

Django passes every value as a parameter. A kept statement (lianxin.core.statements) is planned once,
generically, on PostgreSQL: ``status IN ($1, $2)`` there cannot be proved to imply an index's
``WHERE status IN ('open', 'in_progress')``, and the index is never used. With the values written
in, both PostgreSQL and SQLite see the same condition as the index's and may use it.
"""

import re

from django.db.models import F, Q
from django.db.models.lookups import Lookup

_WORD = re.compile(r"[a-z][a-z0-9_]*")


class Among(Lookup):
    """``Among(F("status"), ("open", "in_progress"))``: ``status IN ('open', 'in_progress')`` with the
    values in the SQL. Only for a fixed set of choice values (lowercase words, checked here): never
    for anything a user typed."""

    lookup_name = "among"
    prepare_rhs = False

    def __init__(self, lhs, rhs):
        values = tuple(rhs)
        if not values or not all(isinstance(value, str) and _WORD.fullmatch(value) for value in values):
            raise ValueError(f"Among takes lowercase choice values, not {values!r}")
        super().__init__(lhs, values)

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = ", ".join(f"'{value}'" for value in self.rhs)
        return f"{lhs} IN ({values})", params


def among(field: str, values) -> Q:
    """``Q(field__in=values)`` written with its values (``Among``), for a set of choice values."""
    return Q(Among(F(field), [str(value) for value in values]))
