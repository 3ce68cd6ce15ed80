"""Materialized paths shared by the place tree, the party-organization tree and every place-scoped row.

A path is the chain of primary keys from the root, each as a fixed-width run of digits:
place 7 under place 3 under place 1 has the path ``000000010000000300000007``.
Digits only, so byte order and every database collation agree, and "everything under X"
is one range scan on a plain B-tree index: ``X.path <= path < successor(X.path)``.
"""

from collections.abc import Iterable

from django.db.models import CharField, Count, Func, Q
from django.db.models.lookups import Exact

SEGMENT = 8
MAX_DEPTH = 30
PATH_LENGTH = SEGMENT * MAX_DEPTH


def segment(pk: int) -> str:
    if pk <= 0 or pk >= 10**SEGMENT:
        raise ValueError(f"primary key {pk} does not fit a path segment")
    return f"{pk:0{SEGMENT}d}"


def child_path(parent_path: str, pk: int) -> str:
    return f"{parent_path}{segment(pk)}"


def successor(path: str) -> str:
    """The smallest path that sorts after every path in the subtree rooted at ``path``."""
    if not path or len(path) % SEGMENT:
        raise ValueError(f"malformed path {path!r}")
    head, last = path[:-SEGMENT], int(path[-SEGMENT:])
    return f"{head}{last + 1:0{SEGMENT}d}"


def depth_of(path: str) -> int:
    return len(path) // SEGMENT


def ancestors_of(path: str) -> list[str]:
    """Paths of the ancestors of ``path``, root first, excluding the node itself."""
    return [path[:i] for i in range(SEGMENT, len(path), SEGMENT)]


def pks_of(path: str) -> list[int]:
    return [int(path[i : i + SEGMENT]) for i in range(0, len(path), SEGMENT)]


def is_within(path: str, root: str) -> bool:
    return path.startswith(root)


def minimal_roots(paths: Iterable[str]) -> list[str]:
    """Drop every path that lies inside another one: the covering set of subtrees."""
    roots: list[str] = []
    for path in sorted(set(paths)):
        if not roots or not path.startswith(roots[-1]):
            roots.append(path)
    return roots


def under_q(field: str, paths: Iterable[str]) -> Q:
    """A filter for rows whose ``field`` lies in any of the subtrees rooted at ``paths``.

    An empty set of paths matches nothing.
    """
    query = Q(pk__in=[])
    for root in minimal_roots(paths):
        query |= Q(**{f"{field}__gte": root, f"{field}__lt": successor(root)})
    return query


def count_under(queryset, field: str, paths: Iterable[str]) -> dict[str, int]:
    """The rows of ``queryset`` in each subtree rooted at ``paths``, by root: one query over their
    union, one filtered count per root (a page of organizations or campaigns counted at once)."""
    roots = sorted(set(paths))
    if not roots:
        return {}
    counts = queryset.filter(under_q(field, roots)).aggregate(
        **{f"n{i}": Count("pk", filter=under_q(field, [root])) for i, root in enumerate(roots)}
    )
    return {root: counts[f"n{i}"] for i, root in enumerate(roots)}


class Prefix(Func):
    """The first ``length`` characters of a path column: ``SUBSTR(field, 1, length)`` with both bounds
    written into the SQL. An index on the same expression then matches the query on SQLite (which
    matches expressions as written) and in PostgreSQL's generic plans (Django's ``Substr`` would pass
    the bounds as parameters, and neither database would use the index)."""

    function = "SUBSTR"
    output_field = CharField()

    def __init__(self, expression, length: int, **extra):
        if isinstance(length, bool) or not isinstance(length, int) or length <= 0:
            raise ValueError(f"a prefix length is a positive int, not {length!r}")
        super().__init__(expression, **extra)
        self.length = length

    def as_sql(self, compiler, connection, **extra):
        template = f"%(function)s(%(expressions)s, 1, {self.length:d})"
        return super().as_sql(compiler, connection, template=template, **extra)


def prefix_q(field: str, path: str, indexed: Iterable[int]) -> Q:
    """Rows whose ``field`` lies in the subtree rooted at ``path``, written as equalities on prefixes:
    the longest of the ``indexed`` lengths that ``path`` covers (an index on ``Prefix(field, n)``
    finds those rows), then the whole path when it is longer."""
    covered = [n for n in indexed if n <= len(path)]
    if not covered or len(path) % SEGMENT:
        raise ValueError(f"path {path!r} is shorter than every indexed prefix")
    n = max(covered)
    query = Q(Exact(Prefix(field, n), path[:n]))
    if len(path) > n:
        query &= Q(Exact(Prefix(field, len(path)), path))
    return query
