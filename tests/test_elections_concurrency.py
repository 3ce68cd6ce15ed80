"""Must-show: eight submissions of one ballot code at once count once (PostgreSQL: real concurrent
connections; SQLite serializes writers, so the race cannot happen there)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from lianxin.core.access import Role
from lianxin.elections import services
from lianxin.elections.models import Ballot, BallotCode, CodeStatus, Mark

from .conftest import _build_city, make_user
from .test_elections_helpers import ids, make_election, open_first_round


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_concurrent_submissions_of_one_code_count_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections need PostgreSQL")
    city = _build_city()
    secretary = make_user("sec-elect", Role.COMMUNITY_SECRETARY, city.happy)
    election = make_election(city, seats=1, candidates=2, actor=secretary)
    first = open_first_round(election, entitled=10, present=10, actor=secretary)
    [code] = services.codes_issue(actor=secretary, round=first, count=1)
    candidate = ids(first)[0]
    barrier = threading.Barrier(8)
    counted, refused, crashed = [], [], []

    def cast(n):
        try:
            barrier.wait()
            services.code_ballot_cast(code=code, marks={candidate: Mark.FOR})
            counted.append(n)
        except ValidationError as exc:
            refused.append(exc)
        except Exception as exc:  # reported below
            crashed.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not crashed, crashed
    assert len(counted) == 1 and len(refused) == 7
    assert Ballot.objects.filter(round=first).count() == 1
    assert BallotCode.objects.get(code=code).status == CodeStatus.USED
