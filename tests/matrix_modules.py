"""Per-module permission-matrix entries.

Each module with its own pages or endpoints keeps its entries in ``tests/matrix_<module>.py``:

- ``WEB``: route name → (kwargs from the ``city`` fixture or None, {role: status}), as in
  tests/test_permission_matrix.py (helpers in tests/matrix_roles.py);
- ``API_COVERED``: the names of its /api/v1/ routes whose access is tested (by role, including
  "denied changes nothing") in that module's own test files.
"""

from importlib import import_module

from lianxin.modules import MODULES


def _modules():
    return [import_module(f"tests.matrix_{name}") for name in MODULES]


def web() -> dict:
    entries: dict = {}
    for module in _modules():
        overlap = set(entries) & set(module.WEB)
        assert not overlap, f"routes listed twice: {sorted(overlap)}"
        entries.update(module.WEB)
    return entries


def api_covered() -> set[str]:
    return set().union(*(module.API_COVERED for module in _modules()))
