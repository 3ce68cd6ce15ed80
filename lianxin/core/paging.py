"""Page numbers for staff lists that can hold a city's worth of rows.

``CappedPaginator`` counts at most ``cap`` rows (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``): the count a
page shows costs the same for a community's 300 requests as for a district's million. Beyond the cap
the page says "more than N" and the last reachable page is the cap's; a narrower filter finds the rest.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, cap: int = CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return min(self.object_list[: self.cap + 1].count(), self.cap + 1)

    @property
    def capped(self) -> bool:
        """More rows than the cap: the pages stop at the cap."""
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        if self.capped:
            return self.cap // self.per_page
        return super().num_pages
