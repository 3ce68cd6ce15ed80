"""Pagination of /api/v1/ lists.

- ``Pages``: page numbers, ?page=N and ?page_size=N (at most 200), with the total ``count``. For lists
  that stay small (a community's residents, a year's meetings).
- ``Keyset``: for the lists that grow without bound (a city's residents' requests: a million rows). No
  total and no OFFSET: each page is the next ``page_size`` rows after the last one seen, in a stable
  newest-first order (by id), read through an index on that order — the 5,000th page costs what the first
  does. The response is ``{"next": url|null, "previous": url|null, "results": [...]}``; follow
  ``next`` (its ``cursor`` parameter is opaque). ?page_size=N as for ``Pages``.
"""

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
