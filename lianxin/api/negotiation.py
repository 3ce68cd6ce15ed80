"""DRF's content negotiation with its answers remembered.

Choosing a renderer parses the Accept header into media types and compares each with each renderer's
on every request: 0.06 ms of the requests list page's 1.7 in process. The answer depends only on the
Accept header, the format asked for (a URL suffix or ``?format=``) and the view's renderer classes, and
nearly every client sends the same header every time, so it is kept per those three. A choice that
fails (406, or 404 for an unknown format) is not kept: DRF answers it again each time.
"""

from rest_framework import negotiation

CACHE_SIZE = 256  # distinct (Accept, format, renderers) seen; emptied when full (Accept is the client's)


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    _answers: dict = {}

    def select_renderer(self, request, renderers, format_suffix=None):
        asked = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (request.META.get("HTTP_ACCEPT"), asked, tuple(type(renderer) for renderer in renderers))
        found = self._answers.get(key)
        if found is None:
            renderer, media_type = super().select_renderer(request, renderers, format_suffix)
            found = (renderers.index(renderer), media_type)
            if len(self._answers) >= CACHE_SIZE:
                self._answers.clear()
            self._answers[key] = found
        index, media_type = found
        return renderers[index], media_type
