"""URL sections: ``include`` for a prefix, resolved without raising when the path is elsewhere, and
remembered per path.

Django tries the patterns of a URLconf in order. An included URLconf whose prefix does not match
raises Resolver404, which its parent catches before trying the next one: /api/v1/requests/ went
through 27 of those, 55 µs of every API request (the bare endpoint resolves in 10 µs). A ``section``
answers "not here" (None, as a plain pattern does) instead. The one difference is the list of
patterns tried that Django's debug 404 page shows: it names only the sections that matched.

Even so, /api/v1/requests/ took 61 µs to resolve: the sections of the resources registered before it
are tried one by one, and every level builds its match and its list of patterns tried. What a path
resolves to depends on nothing but the path (the patterns are fixed once loaded, and Django keeps
them as long), so a section remembers the match of each path it resolved (``REMEMBERED`` of them;
emptied when full: paths with ids are many) and hands out a copy of it. Paths it does not resolve
(elsewhere, or missing under it) are worked out every time.
"""

from django.urls import ResolverMatch, URLResolver
from django.urls.resolvers import RoutePattern

REMEMBERED = 1024  # matches per section


class Section(URLResolver):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._matches: dict[str, ResolverMatch] = {}

    def resolve(self, path):
        path = str(path)
        found = self._matches.get(path)
        if found is None:
            if self.pattern.match(path) is None:
                return None
            found = super().resolve(path)
            if len(self._matches) >= REMEMBERED:
                self._matches.clear()
            self._matches[path] = found
        return ResolverMatch(  # a copy: its arguments are the view's, and a view may change them
            found.func,
            found.args,
            dict(found.kwargs),
            found.url_name,
            found.app_names,
            found.namespaces,
            found.route,
            list(found.tried),
            captured_kwargs=dict(found.captured_kwargs),
            extra_kwargs=dict(found.extra_kwargs),
        )


def section(route: str, included: tuple) -> Section:
    """``path(route, included)`` as a Section: ``included`` as ``path`` takes it, what ``include``
    returns or ``admin.site.urls``."""
    module, app_name, namespace = included
    return Section(RoutePattern(route, is_endpoint=False), module, app_name=app_name, namespace=namespace)
