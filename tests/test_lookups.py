"""lianxin.core.lookups: a condition on choice values written into the SQL (issue 11)."""

import pytest

from lianxin.appeals.models import OPEN_STATUSES, Request, RequestStatus
from lianxin.core import lookups

from .test_appeals_services import intake


def test_among_writes_its_values_into_the_sql_and_selects_like_in(city, personas):
    staff = personas["staff"]
    made = [intake(staff, city.happy, description=f"第{i}件") for i in range(3)]
    Request.objects.filter(pk=made[0].pk).update(status=RequestStatus.CLOSED)
    Request.objects.filter(pk=made[1].pk).update(status=RequestStatus.IN_PROGRESS)
    queryset = Request.objects.filter(lookups.among("status", OPEN_STATUSES))
    sql, params = queryset.query.sql_with_params()
    assert "IN ('open', 'in_progress')" in sql and params == ()
    expected = set(Request.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True))
    assert set(queryset.values_list("pk", flat=True)) == expected == {made[1].pk, made[2].pk}
    assert set(Request.objects.open().values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("values", [(), ("open'; DROP TABLE x; --",), ("Open",), (1,), ("a b",)])
def test_among_takes_only_choice_words(values):
    with pytest.raises(ValueError):
        lookups.among("status", values)
