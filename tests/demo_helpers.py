"""Building the demo city for a test with only the modules it is about.

Each module's demo data has its own test; building every module's for each of them would
repeat minutes of work. ``build_city(monkeypatch, "decisions")`` builds the foundation's city
(registry, visits, requests, branch life) plus the named modules' demos.
"""

from importlib import import_module

from lianxin.core import demo
from lianxin.modules import MODULES


def build_city(monkeypatch, *modules: str, scale: str = "test") -> dict:
    unknown = set(modules) - set(MODULES)
    assert not unknown, f"not a module: {sorted(unknown)}"
    for module in MODULES:
        if module not in modules:
            monkeypatch.setattr(import_module(f"lianxin.{module}.demo"), "populate", lambda **kwargs: {})
    return demo.build_demo_city(scale=scale)
