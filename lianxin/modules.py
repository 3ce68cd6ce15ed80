"""The domain modules that plug in through their own files (actions, api, nav, demo, urls).

One list, read by the menu (lianxin.web.navigation), the API router (lianxin.api.urls), the demo
city (lianxin.core.demo) and the permission-matrix tests (tests/matrix_modules.py). Each module
provides ``nav.SECTIONS``, ``api.register(router)``, ``demo.populate(scale, seed, actor)`` and
``tests/matrix_<module>.py``.
"""

MODULES = (
    "assistance",
    "decisions",
    "disclosure",
    "performance",
    "disputes",
    "cobuilding",
    "elections",
    "governance",
)
