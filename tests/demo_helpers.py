"""Building the demo city for a test with only the modules it is about.

Each module's demo data has its own test; building every module's for each of them would
repeat minutes of work. ``build_city(monkeypatch, "decisions")`` builds the foundation's city
(registry, visits, requests, branch life) plus the named modules' demos.
"""

from importlib import import_module

import pytest

from lianxin.core import demo
from lianxin.modules import MODULES

from .conftest import built_for_module


def build_city(monkeypatch, *modules: str, scale: str = "test") -> dict:
    unknown = set(modules) - set(MODULES)
    assert not unknown, f"not a module: {sorted(unknown)}"
    for module in MODULES:
        if module not in modules:
            monkeypatch.setattr(import_module(f"lianxin.{module}.demo"), "populate", lambda **kwargs: {})
    return demo.build_demo_city(scale=scale)


def module_city(*modules: str):
    """A module-scoped fixture: the demo city with the named modules' demos, built once for the test
    module inside a transaction rolled back after its last test. Each test still runs in its own
    savepoint (mark it django_db), so what one test writes the next does not see.

    Keep such tests in a module of their own: a test in the same module that needs an empty
    database would find the city. (Each xdist worker that runs some of them builds it once. Whole
    files per worker, --dist loadfile, would build it once in all but runs a file's transactional
    tests, which leave the tables empty, before other files' tests that need the data migrations'
    rows: pytest-django orders transactional tests last only within the default distribution.)"""

    @pytest.fixture(scope="module")
    def fixture(django_db_setup, django_db_blocker):
        def build():
            patch = pytest.MonkeyPatch()
            try:
                return build_city(patch, *modules)
            finally:
                patch.undo()

        yield from built_for_module(django_db_blocker, build)

    return fixture
