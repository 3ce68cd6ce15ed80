"""Page numbers for lists that can hold a city's worth of rows (lianxin.core.paging, issue 11)."""

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from lianxin.core.paging import CappedPaginator
from lianxin.places.models import Place


def test_the_count_stops_at_the_cap_and_the_pages_with_it(city):
    rows = Place.objects.order_by("pk")  # the conftest city has more than 5 places
    total = rows.count()
    paginator = CappedPaginator(rows, 2, cap=4)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 5
    assert "LIMIT" in queries.captured_queries[0]["sql"].upper()  # never a count of the whole table
    assert paginator.capped and paginator.num_pages == 2
    last = paginator.get_page(99)
    assert last.number == 2 and [p.pk for p in last] == [p.pk for p in rows[2:4]]

    roomy = CappedPaginator(rows, 2, cap=1000)
    assert (roomy.count, roomy.capped, roomy.num_pages) == (total, False, (total + 1) // 2)


def test_the_pager_says_when_only_the_first_rows_are_reachable(city):
    rows = Place.objects.order_by("pk")
    with translation.override("zh-hans"):
        capped = render_to_string(
            "registry/pager.html", {"page": CappedPaginator(rows, 2, cap=4).get_page(1)}
        )
        whole = render_to_string("registry/pager.html", {"page": CappedPaginator(rows, 2).get_page(1)})
    assert "第1页" in capped and "4" in capped and "筛选" in capped
    assert "筛选" not in whole and "第1页" in whole
