"""Pagination of /api/v1/ lists.

- ``Pages``: page numbers, ?page=N and ?page_size=N (at most 200), with the total ``count``. For lists
  that stay small (a community's residents, a year's meetings).
- ``Keyset``: for the lists that grow without bound (a city's residents' requests: a million rows). No
  total and no OFFSET: each page is the next ``page_size`` rows after the last one seen, in a stable
  newest-first order (by id), read through an index on that order — the 5,000th page costs what the first
  does. The response is ``{"next": url|null, "previous": url|null, "results": [...]}``; follow
  ``next`` (its ``cursor`` parameter is opaque). ?page_size=N as for ``Pages``.
"""

import functools
from base64 import b64encode
from urllib import parse

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination

MAX_PAGE_SIZE = 200


class Pages(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class Keyset(CursorPagination):
    """Newest first by primary key: unique (so no ties and no offsets in the cursor) and indexed on every
    table. Rows are numbered as they are recorded, so this is the order in which they were entered."""

    ordering = ("-id",)
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def decode_cursor(self, request):
        """DRF's cursor, its position (an id) checked too: a cursor edited by hand is the same 404
        ("Invalid cursor") as a garbled one, not an error from the database driver."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                position = int(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
            if not 0 <= position < 2**63:
                raise NotFound(self.invalid_cursor_message)
        return cursor

    def encode_cursor(self, cursor):
        """DRF's link, the same text: the page's URL with its query parameters sorted by name and the
        cursor's set. What surrounds the cursor depends only on the URL, so it is worked out once per
        URL (``_around_cursor``); DRF parses and encodes the whole query string for every link, 3 % of
        a page of 20 requests."""
        tokens = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = cursor.position
        encoded = b64encode(parse.urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")
        head, tail = _around_cursor(self.base_url, self.cursor_query_param)
        return f"{head}{parse.quote_plus(encoded, '')}{tail}"


@functools.lru_cache(maxsize=512)
def _around_cursor(url: str, key: str) -> tuple[str, str]:
    """``url`` as ``rest_framework.utils.urls.replace_query_param(url, key, value)`` writes it, split
    around the value: (the text up to ``key=``, the text after the value). A page's URL holds its own
    cursor, so each page after the first is a URL of its own: the cache keeps the recent ones."""
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    params = parse.parse_qs(query, keep_blank_values=True)
    params.pop(key, None)
    before = sorted((name, values) for name, values in params.items() if name < key)
    after = sorted((name, values) for name, values in params.items() if name > key)
    head = parse.urlencode([*before, (key, "")], doseq=True)
    tail = parse.urlencode(after, doseq=True)
    return (
        parse.urlunsplit((scheme, netloc, path, head, "")),
        (f"&{tail}" if tail else "") + (f"#{fragment}" if fragment else ""),
    )
