"""JSON for /api/v1/ written by orjson (docs/decisions/0004-orjson.md).

DRF's JSONRenderer encodes with the standard library: 0.17 ms for a list page of 20 requests (16 KB),
a tenth of the page's time; orjson writes the same bytes in 0.01 ms. The output is DRF's: compact,
UTF-8 (not \\u escapes), U+2028 and U+2029 escaped as DRF does, dates and times and decimals and
translated strings through DRF's own encoder (``default``). Anything orjson refuses (an integer
beyond 64 bits, a dict key that is not a string, a number or a bool), indented output (the
browsable API, ``Accept: application/json; indent=4``) and the settings UNICODE_JSON off or
COMPACT_JSON off go to DRF's renderer unchanged. One difference: a float that is not a number
(NaN, infinity) is written as null where DRF's strict encoder fails the request.
"""

import re

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Keys that are not strings (a number, a bool) are written as DRF writes them, but orjson's option for
# them slows every dict (a page of 20 requests: 16 -> 27 us): it is used only when a key needs it.
_ANY_KEYS = _OPTIONS | orjson.OPT_NON_STR_KEYS
# U+2028 and U+2029 in UTF-8. Both start with the byte E2, which a page seldom holds (it leads U+2000 to
# U+2FFF: Chinese quotation marks, dashes, ellipses) and which ``in`` finds with memchr: 0.3 us over a
# page of 20 requests (16 KB), where searching for the two sequences took 28 us.
_LINE_SEPARATORS = re.compile(b"\xe2\x80([\xa8\xa9])")
_ESCAPED = {b"\xa8": b"\\u2028", b"\xa9": b"\\u2029"}


class JSONRenderer(renderers.JSONRenderer):
    _default = JSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {})
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=self._default, option=_OPTIONS)
        except TypeError:
            try:
                rendered = orjson.dumps(data, default=self._default, option=_ANY_KEYS)
            except TypeError:
                return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2" in rendered:  # escaped as DRF does: valid JSON, but not valid JavaScript
            rendered = _LINE_SEPARATORS.sub(lambda found: _ESCAPED[found[1]], rendered)
        return rendered
