"""Five systems (D10): goals and completion, the commitment quality check, 一会四评 weighted scores,
ballot integrity (one per code under concurrency, voided codes refused, anonymity), commendations
(four eyes), accountability suggestions (nothing automatic), the year's rhythm and the report."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.core.models import AuditEntry, Todo
from lianxin.performance import selectors, services
from lianxin.performance.models import (
    Ballot,
    BallotCode,
    BallotMark,
    CaseSource,
    CaseStatus,
    CodeStatus,
    CommendationStatus,
    CommitmentKind,
    CommitmentStatus,
    Criterion,
    MemberGroup,
    Satisfaction,
    ScoreKind,
)

from .test_registry_pages import registry_sample

YEAR = 2026
GOOD = {
    "target": "年内为辖区老人办成5件实事，满意率达到95%以上",
    "items": "每月走访独居老人1次\n开设老年食堂送餐服务",
    "measures": "支部书记牵头，党员分片包干，每季度通报",
    "deadline": dt.date(YEAR, 11, 30),
}


def perf_sample(city):
    """幸福社区: goals with an item, a draft commitment, a cycle with two people evaluated and codes,
    a nomination and a suggested case; kept on the city object for the permission matrix."""
    sample = getattr(city, "_perf_sample", None)
    if sample is not None:
        return sample
    secretary = User.objects.get(username="secretary")
    goal = services.goal_create(
        actor=secretary, organization=city.happy_committee, year=YEAR, title="2026年目标"
    )
    item = services.goal_item_add(
        actor=secretary,
        goal=goal,
        project="老旧小区楼道改造",
        target="完成3栋楼楼道粉刷",
        lead="王主任",
        due_on=dt.date(YEAR, 3, 31),
        practical=True,
        milestones=[("完成设计", dt.date(YEAR, 2, 28))],
    )
    commitment = services.commitment_create(
        actor=secretary, organization=city.happy_branch, year=YEAR, **GOOD
    )
    cycle = services.cycle_create(
        actor=secretary, place=city.happy, year=YEAR, half=1, title="2026年上半年测评"
    )
    evaluees = [
        services.evaluee_add(actor=secretary, cycle=cycle, name="王书记", role="书记"),
        services.evaluee_add(actor=secretary, cycle=cycle, name="幸福社区第一党支部"),
    ]
    services.codes_issue(actor=secretary, cycle=cycle, count=5)
    member = registry_sample(city)["member"]
    commendation = services.commendation_nominate(
        actor=secretary,
        place=city.happy,
        year=YEAR,
        criterion=Criterion.FIVE_LEADS,
        member=member,
        deeds="带头调解纠纷",
    )
    services.cases_suggest(today=dt.date(YEAR, 6, 1))
    from lianxin.performance.models import AccountabilityCase

    report = services.report_compile(actor=secretary, organization=city.happy_committee, year=YEAR)
    sample = {
        "goal": goal,
        "item": item,
        "commitment": commitment,
        "cycle": cycle,
        "evaluees": evaluees,
        "codes": list(cycle.codes.values_list("code", flat=True)),
        "commendation": commendation,
        "case": AccountabilityCase.objects.get(source=CaseSource.GOAL_ITEM, source_id=item.pk),
        "report": report,
        "member": member,
    }
    city._perf_sample = sample
    return sample


@pytest.fixture
def sample(city, personas):
    return perf_sample(city)


def _draft(city, personas, **changes):
    return services.commitment_create(
        actor=personas["community_secretary"],
        organization=city.happy_branch,
        year=YEAR,
        **(GOOD | changes),
    )


def _codes(problems):
    return {p["code"] for p in problems}


# --- commitments: the quality check --------------------------------------------------------------


@pytest.mark.django_db
def test_a_complete_commitment_passes_and_is_published(city, personas):
    commitment, problems = services.commitment_publish(
        actor=personas["community_secretary"], commitment=_draft(city, personas)
    )
    assert problems == []
    assert commitment.status == CommitmentStatus.PUBLISHED and commitment.published_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"target": ""}, "target_missing", "target"),
        ({"target": "努力做好服务"}, "target_vague", "target"),
        ({"target": "积极参加有关活动并进一步加强学习"}, "target_vague", "target"),
        ({"items": ""}, "items_missing", "items"),
        ({"items": "走访\n好"}, "items_vague", "items"),
        ({"measures": ""}, "measures_missing", "measures"),
        ({"deadline": None}, "deadline_missing", "deadline"),
        ({"deadline": dt.date(YEAR + 1, 1, 15)}, "deadline_outside", "deadline"),
        ({"deadline": dt.date(YEAR - 1, 12, 31)}, "deadline_outside", "deadline"),
    ],
)
def test_each_missing_element_returns_the_commitment_with_its_reason(city, personas, changes, code, field):
    secretary = personas["community_secretary"]
    commitment, problems = services.commitment_publish(
        actor=secretary, commitment=_draft(city, personas, **changes)
    )
    assert _codes(problems) == {code}
    assert {p["field"] for p in problems} == {field}
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.RETURNED
    assert commitment.return_reasons == problems and all(p["message"] for p in problems)
    assert commitment.published_at is None and commitment.board_url == ""
    # Rewritten, it passes.
    services.commitment_update(actor=secretary, commitment=commitment, **GOOD)
    commitment, problems = services.commitment_publish(actor=secretary, commitment=commitment)
    assert problems == [] and commitment.status == CommitmentStatus.PUBLISHED


@pytest.mark.django_db
def test_everything_missing_gives_every_reason(city, personas):
    commitment = _draft(city, personas, target="", items="", measures="", deadline=None)
    _commitment, problems = services.commitment_publish(
        actor=personas["community_secretary"], commitment=commitment
    )
    assert _codes(problems) == {"target_missing", "items_missing", "measures_missing", "deadline_missing"}


@pytest.mark.django_db
def test_an_instant_commitment_checks_the_deadline_against_its_own_period(city, personas):
    commitment = _draft(
        city,
        personas,
        kind=CommitmentKind.INSTANT,
        period_start=dt.date(YEAR, 7, 1),
        period_end=dt.date(YEAR, 7, 31),
        deadline=dt.date(YEAR, 8, 5),
    )
    _c, problems = services.commitment_publish(actor=personas["community_secretary"], commitment=commitment)
    assert _codes(problems) == {"deadline_outside"}


@pytest.mark.django_db
def test_member_commitments_start_from_their_kind_template_and_are_fulfilled(city, personas):
    secretary = personas["community_secretary"]
    member = registry_sample(city)["member"]  # retired
    assert services.group_for_member(member) == MemberGroup.RETIREE
    template = services.TEMPLATES[MemberGroup.RETIREE]
    commitment = services.commitment_create(
        actor=secretary,
        organization=city.happy_branch,
        member=member,
        year=YEAR,
        deadline=dt.date(YEAR, 12, 1),
        **template,
    )
    assert commitment.group == MemberGroup.RETIREE
    commitment, problems = services.commitment_publish(actor=secretary, commitment=commitment)
    assert problems == []
    for template in services.TEMPLATES.values():
        probe = _draft(city, personas, **{k: template[k] for k in ("target", "items", "measures")})
        assert services.commitment_check(probe) == [], template
    services.commitment_fulfil(actor=secretary, commitment=commitment, note="参加楼道巡查20次")
    services.commitment_fulfil(actor=secretary, commitment=commitment, note="全年完成", done=True)
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.FULFILLED and commitment.fulfilments.count() == 2


@pytest.mark.django_db
def test_commitments_are_written_only_inside_ones_scope(city, personas):
    with pytest.raises(PermissionDenied):
        services.commitment_create(
            actor=personas["outsider"], organization=city.happy_branch, year=YEAR, **GOOD
        )
    with pytest.raises(PermissionDenied):
        services.commitment_create(actor=personas["staff"], organization=city.happy_branch, year=YEAR, **GOOD)


# --- goals ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_goal_items_progress_and_completion_rates_per_level(city, personas):
    secretary = personas["community_secretary"]
    goal = services.goal_create(actor=secretary, organization=city.happy_committee, year=YEAR, title="目标")
    items = [
        services.goal_item_add(
            actor=secretary,
            goal=goal,
            project=f"项目{n}",
            target="完成",
            lead="王",
            due_on=dt.date(YEAR, 3, 1),
        )
        for n in range(20)
    ]
    with pytest.raises(ValidationError) as error:
        services.goal_letter_sign(actor=secretary, goal=goal, signed_by="", signed_on=dt.date(YEAR, 1, 5))
    assert "signed_by" in error.value.message_dict
    services.goal_letter_sign(actor=secretary, goal=goal, signed_by="王书记", signed_on=dt.date(YEAR, 1, 5))
    with pytest.raises(ValidationError):
        services.goal_letter_sign(
            actor=secretary, goal=goal, signed_by="王书记", signed_on=dt.date(YEAR, 1, 6)
        )
    for item in items[:19]:
        services.goal_progress(actor=secretary, item=item, progress=100, note="已完成")
    services.goal_progress(actor=secretary, item=items[19], progress=40, note="进行中")
    with pytest.raises(ValidationError) as error:
        services.goal_progress(actor=secretary, item=items[19], progress=120, note="x")
    assert "progress" in error.value.message_dict
    officer = personas["district_officer"]
    community = selectors.completion_rates(
        actor=officer, year=YEAR, level="community", today=dt.date(YEAR, 6, 1)
    )
    assert [(r.name, r.due, r.done, r.rate, r.meets_benchmark) for r in community] == [
        ("幸福社区", 20, 19, Decimal("95.0"), True)
    ]
    (east,) = selectors.completion_rates(
        actor=officer, year=YEAR, level="subdistrict", today=dt.date(YEAR, 6, 1)
    )
    assert east.name == "东街街道" and east.rate == Decimal("95.0")
    # Not yet due items do not count against the rate.
    assert selectors.completion_rates(actor=officer, year=YEAR, today=dt.date(YEAR, 2, 1))[0].rate is None
    # A community secretary elsewhere sees nothing of it.
    assert selectors.completion_rates(actor=personas["outsider"], year=YEAR) == []


@pytest.mark.django_db
def test_the_responsibility_letter_pdf(city, personas, client):
    from lianxin.core.pdf import PdfUnavailable

    sample = perf_sample(city)
    client.force_login(personas["community_secretary"])
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        pytest.skip(f"{PdfUnavailable.__name__}: {error}")
    response = client.get(f"/performance/goals/{sample['goal'].pk}/letter.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert f"{sample['goal'].year}年度目标责任书" in text.replace(" ", "")


# --- 一会四评: weighted scores --------------------------------------------------------------------


def _score_all(cycle, evaluee, personas, self_=None, peers=(), leader=None, votes=None):
    users = [personas["community_secretary"], personas["committee_member"]]
    if self_ is not None:
        services.score_record(actor=users[0], evaluee=evaluee, kind=ScoreKind.SELF, score=self_)
    for user, value in zip(users, peers, strict=False):
        services.score_record(actor=user, evaluee=evaluee, kind=ScoreKind.PEER, score=value)
    if leader is not None:
        services.score_record(
            actor=users[0],
            evaluee=evaluee,
            kind=ScoreKind.LEADER,
            score=leader,
            comment="工作扎实，联系群众紧密",
        )
    for rating, n in (votes or {}).items():
        codes = list(cycle.codes.filter(status=CodeStatus.ISSUED).values_list("code", flat=True)[:n])
        for code in codes:
            services.ballot_cast(code=code, ratings={e.pk: rating for e in cycle.evaluees.all()})


@pytest.mark.django_db
def test_weighted_score_with_default_weights(city, personas):
    secretary = personas["community_secretary"]
    cycle = services.cycle_create(actor=secretary, place=city.happy, year=YEAR, half=1, title="上半年")
    evaluee = services.evaluee_add(actor=secretary, cycle=cycle, name="王书记")
    services.codes_issue(actor=secretary, cycle=cycle, count=10)
    _score_all(
        cycle,
        evaluee,
        personas,
        self_=90,
        peers=(80, 90),
        leader=70,
        votes={Satisfaction.SATISFIED: 6, Satisfaction.BASICALLY: 3, Satisfaction.DISSATISFIED: 1},
    )
    (result,) = selectors.cycle_results(cycle)
    assert result.peer_score == Decimal("85.00")
    # public: (6×100 + 3×80 + 1×0) / 10 = 84; total = (10×90 + 20×85 + 30×70 + 40×84) / 100 = 80.6
    assert result.public_score == Decimal("84.00")
    assert result.total == Decimal("80.60") and result.complete
    assert result.votes == {"satisfied": 6, "basically": 3, "dissatisfied": 1}
    assert result.satisfaction_rate == Decimal("90.0")
    assert [c.comment for c in result.leader_comments] == ["工作扎实，联系群众紧密"]


@pytest.mark.django_db
def test_weights_are_configurable_and_must_add_up_to_100(city, personas):
    secretary = personas["community_secretary"]
    cycle = services.cycle_create(
        actor=secretary,
        place=city.happy,
        year=YEAR,
        half=2,
        title="下半年",
        weights={"weight_self": 0, "weight_peer": 50, "weight_leader": 50, "weight_public": 0},
    )
    evaluee = services.evaluee_add(actor=secretary, cycle=cycle, name="李委员")
    _score_all(cycle, evaluee, personas, self_=100, peers=(60,), leader=90)
    (result,) = selectors.cycle_results(cycle)
    assert result.total == Decimal("75.00") and result.complete  # self has weight 0: ignored
    services.cycle_set_weights(
        actor=secretary, cycle=cycle, weight_self=25, weight_peer=25, weight_leader=25, weight_public=25
    )
    cycle.refresh_from_db()
    (result,) = selectors.cycle_results(cycle)
    # No public ballots yet: the total is over the parts present, flagged incomplete.
    assert result.total == Decimal("83.33") and not result.complete
    with pytest.raises(ValidationError) as error:
        services.cycle_set_weights(
            actor=secretary, cycle=cycle, weight_self=30, weight_peer=30, weight_leader=30, weight_public=30
        )
    assert "weight_public" in error.value.message_dict


@pytest.mark.django_db
def test_leader_review_needs_a_comment_and_scores_stay_in_range(city, personas):
    secretary = personas["community_secretary"]
    cycle = services.cycle_create(actor=secretary, place=city.happy, year=YEAR, half=1, title="上半年")
    evaluee = services.evaluee_add(actor=secretary, cycle=cycle, name="王书记")
    with pytest.raises(ValidationError) as error:
        services.score_record(actor=secretary, evaluee=evaluee, kind=ScoreKind.LEADER, score=80)
    assert "comment" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.score_record(actor=secretary, evaluee=evaluee, kind=ScoreKind.SELF, score=101)
    assert "score" in error.value.message_dict
    # A second self-evaluation by the same person replaces the first.
    services.score_record(actor=secretary, evaluee=evaluee, kind=ScoreKind.SELF, score=70)
    services.score_record(actor=secretary, evaluee=evaluee, kind=ScoreKind.SELF, score=80)
    assert selectors.cycle_results(cycle)[0].self_score == Decimal("80.00")


# --- ballots -------------------------------------------------------------------------------------


def _ratings(cycle, rating=Satisfaction.SATISFIED):
    return {e.pk: rating for e in cycle.evaluees.all()}


@pytest.mark.django_db
def test_a_code_counts_once_and_a_voided_code_is_refused(city, personas):
    sample = perf_sample(city)
    cycle, (first, second, *_rest) = sample["cycle"], sample["codes"]
    ballot = Ballot.objects.get(
        pk=services.ballot_cast(code=services.format_code(first).lower(), ratings=_ratings(cycle))
    )
    assert ballot.code.status == CodeStatus.USED and ballot.channel == "online"
    assert ballot.cast_on == timezone.localdate() and ballot.cycle_id == cycle.pk
    assert sorted(ballot.marks.values_list("evaluee_id", "rating")) == sorted(
        (pk, rating) for pk, rating in _ratings(cycle).items()
    )
    with pytest.raises(services.BallotRefused) as error:
        services.ballot_cast(code=first, ratings=_ratings(cycle))
    assert "code" in error.value.message_dict
    services.code_void(actor=personas["staff"], cycle=cycle, code=second, reason="选票污损")
    with pytest.raises(services.BallotRefused):
        services.ballot_cast(code=second, ratings=_ratings(cycle))
    with pytest.raises(ValidationError):
        services.code_void(actor=personas["staff"], cycle=cycle, code=first, reason="已用不可作废")
    with pytest.raises(services.BallotRefused):
        services.ballot_cast(code="A" * 20, ratings=_ratings(cycle))
    assert Ballot.objects.count() == 1 and BallotMark.objects.count() == 2
    # Every person on the list must be rated.
    with pytest.raises(ValidationError) as error:
        services.ballot_cast(code=sample["codes"][2], ratings={sample["evaluees"][0].pk: "satisfied"})
    assert "ratings" in error.value.message_dict
    assert BallotCode.objects.get(code=sample["codes"][2]).status == CodeStatus.ISSUED


@pytest.mark.django_db
def test_ballots_are_anonymous_and_paper_entry_is_audited_without_the_marks(city, personas):
    sample = perf_sample(city)
    cycle = sample["cycle"]
    fields = {f.name for f in Ballot._meta.get_fields()}
    assert fields == {"id", "cycle", "code", "channel", "cast_on", "marks"}
    assert {f.name for f in BallotCode._meta.get_fields()} == {
        "id",
        "cycle",
        "code",
        "batch",
        "status",
        "voided_reason",
        "ballot",
    }
    audit_before = AuditEntry.objects.count()
    services.ballot_cast(code=sample["codes"][0], ratings=_ratings(cycle))
    assert AuditEntry.objects.count() == audit_before  # online: no trace that could carry an address
    services.ballot_cast(
        code=sample["codes"][1],
        ratings=_ratings(cycle, "dissatisfied"),
        channel="paper",
        actor=personas["staff"],
    )
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "performance.ballot.paper" and "dissatisfied" not in str(entry.after)
    with pytest.raises(PermissionDenied):
        services.ballot_cast(
            code=sample["codes"][2], ratings=_ratings(cycle), channel="paper", actor=personas["outsider"]
        )


@pytest.mark.django_db
def test_closed_cycles_take_no_more_ballots(city, personas):
    sample = perf_sample(city)
    services.cycle_close(actor=personas["community_secretary"], cycle=sample["cycle"])
    with pytest.raises(services.BallotRefused):
        services.ballot_cast(code=sample["codes"][0], ratings=_ratings(sample["cycle"]))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_threads_submitting_the_same_code_make_exactly_one_ballot(city, personas):
    sample = perf_sample(city)
    cycle, code = sample["cycle"], sample["codes"][0]
    ratings = _ratings(cycle)
    barrier = threading.Barrier(16)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            services.ballot_cast(code=code, ratings=ratings)
            outcomes.append("ok")
        except services.BallotRefused:
            outcomes.append("refused")
        except Exception as exc:  # reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 15, outcomes
    assert Ballot.objects.filter(code__code=code).count() == 1
    assert BallotMark.objects.filter(ballot__code__code=code).count() == 2
    assert BallotCode.objects.get(code=code).status == CodeStatus.USED


@pytest.mark.django_db
def test_codes_are_long_random_and_unique(city, personas):
    sample = perf_sample(city)
    codes = sample["codes"]
    assert len(set(codes)) == 5
    assert all(len(c) == 20 and set(c) <= set(services.CODE_ALPHABET) for c in codes)
    with pytest.raises(PermissionDenied):
        services.codes_issue(actor=personas["outsider"], cycle=sample["cycle"], count=3)
    with pytest.raises(ValidationError):
        services.codes_issue(actor=personas["staff"], cycle=sample["cycle"], count=0)


def test_a_code_is_refused_twice_by_the_database_and_a_ballot_writes_only_the_indexes_it_needs(
    city, personas
):
    """The code's uniqueness is a constraint of the database (a second row with the same code fails
    there, whatever the service does), and the two tables every ballot writes carry no index another
    one already answers: the code's cycle is in (cycle, status), a mark's ballot leads (ballot, evaluee),
    and PostgreSQL's LIKE index for a unique text field is not made (codes are looked up whole)."""
    from django.db import IntegrityError, transaction

    sample = perf_sample(city)
    with pytest.raises(IntegrityError), transaction.atomic():
        BallotCode.objects.create(cycle=sample["cycle"], code=sample["codes"][0])

    def indexed(table) -> list[tuple]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        return sorted(
            tuple(info["columns"])
            for info in found.values()
            if (info["index"] or info["unique"]) and not info["primary_key"]
        )

    assert indexed("performance_ballotcode") == [("code",), ("cycle_id", "status")]
    assert indexed("performance_ballotmark") == [("ballot_id", "evaluee_id"), ("evaluee_id",)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements prepared on a PostgreSQL server")
def test_a_residents_ballot_is_read_and_written_by_statements_prepared_once(city, personas):
    """The ballot's two hand-written statements are prepared on the connection (statements.
    prepared_cursor): the server plans them once, not on every ballot. Two ballots leave the same two
    prepared statements, each run twice."""
    sample = perf_sample(city)
    cycle, codes = sample["cycle"], sample["codes"]

    def prepared() -> dict:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE %s OR statement LIKE %s",
                ["%FROM performance_ballotcode c%", "%WITH claimed AS%"],
            )
            return dict(cursor.fetchall())

    before = prepared()
    for code in codes[:2]:
        services.ballot_cast(code=code, ratings=_ratings(cycle))
    runs = {statement: n - before.get(statement, 0) for statement, n in prepared().items()}
    assert sorted(runs.values()) == [2, 2], runs


# --- commendations, accountability, rhythm, report -------------------------------------------------


@pytest.mark.django_db
def test_commendations_need_a_second_person_and_fill_the_honour_roll(city, personas):
    sample = perf_sample(city)
    commendation = sample["commendation"]
    with pytest.raises(PermissionDenied):
        services.commendation_decide(
            actor=personas["community_secretary"], commendation=commendation, award=True
        )
    with pytest.raises(PermissionDenied):
        services.commendation_decide(
            actor=personas["committee_member"], commendation=commendation, award=True
        )
    services.commendation_decide(actor=personas["subdistrict_officer"], commendation=commendation, award=True)
    commendation.refresh_from_db()
    assert commendation.status == CommendationStatus.AWARDED
    assert [c.honouree for c in selectors.honour_roll(year=YEAR)] == ["张三"]
    with pytest.raises(ValidationError):
        services.commendation_decide(
            actor=personas["district_officer"], commendation=commendation, award=False
        )
    banner = services.commendation_nominate(
        actor=personas["subdistrict_officer"],
        place=city.east,
        year=YEAR,
        criterion=Criterion.RED_BANNER,
        organization=city.happy_committee,
        deeds="上半年考核第一",
    )
    services.commendation_decide(actor=personas["district_officer"], commendation=banner, award=True)
    assert [c.honouree for c in selectors.red_banner_holders()] == ["幸福社区党委"]
    with pytest.raises(ValidationError) as error:
        services.commendation_nominate(
            actor=personas["community_secretary"],
            place=city.happy,
            year=YEAR,
            criterion=Criterion.FIVE_GOODS,
            deeds="x",
        )
    assert "organization" in error.value.message_dict


@pytest.mark.django_db
def test_accountability_is_suggested_once_and_decided_by_a_person(city, personas):
    sample = perf_sample(city)
    secretary = personas["community_secretary"]
    case = sample["case"]
    assert case.status == CaseStatus.SUGGESTED and case.person == "王主任"
    assert services.cases_suggest(today=dt.date(YEAR, 6, 2)) == 0  # suggested once
    commitment, _ = services.commitment_publish(actor=secretary, commitment=sample["commitment"])
    services.commitment_mark_broken(actor=secretary, commitment=commitment, reason="未按期完成")
    assert services.cases_suggest(today=dt.date(YEAR, 6, 2)) == 1
    with pytest.raises(PermissionDenied):
        services.case_move(actor=personas["committee_member"], case=case, move="confirm")
    with pytest.raises(ValidationError):
        services.case_move(actor=secretary, case=case, move="close", review="x", outcome="criticism")
    services.case_move(actor=secretary, case=case, move="confirm")
    with pytest.raises(ValidationError) as error:
        services.case_move(actor=secretary, case=case, move="close", review="", outcome="")
    assert {"review", "outcome"} <= set(error.value.message_dict)
    case = services.case_move(
        actor=secretary, case=case, move="close", review="因资金未到位延期", outcome="no_fault"
    )
    assert case.status == CaseStatus.CLOSED and case.closed_by == secretary


@pytest.mark.django_db
def test_the_years_rhythm_puts_milestones_and_reminders_on_the_calendar(city, personas):
    secretary = personas["community_secretary"]
    import time_machine

    with time_machine.travel(dt.datetime(YEAR, 1, 5, 9, 0), tick=False):
        made = services.rhythm_plan(actor=secretary, place=city.happy, year=YEAR, assignee=secretary)
        again = services.rhythm_plan(actor=secretary, place=city.happy, year=YEAR, assignee=secretary)
    assert [m.kind for m in made] == ["commitments", "mid_year", "year_end"]
    assert [m.pk for m in again] == [m.pk for m in made]
    # 2026-02-28 is a Saturday but an official make-up working day (Spring Festival 调休).
    assert [m.due_on for m in made] == [dt.date(YEAR, 2, 28), dt.date(YEAR, 6, 30), dt.date(YEAR, 12, 31)]
    todos = Todo.objects.filter(assignee=secretary).order_by("due_on")
    assert [t.due_on for t in todos] == [m.due_on for m in made]
    # The rhythm page shows each milestone's reminder and whom it is for, read with the milestones.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lianxin.performance import selectors

    rows = list(selectors.milestone_list(actor=secretary, year=YEAR))
    with CaptureQueriesContext(connection) as queries:
        assert {m.todo.assignee for m in rows} == {secretary}
    assert len(queries) == 0


@pytest.mark.django_db
def test_the_secretarys_report_is_compiled_from_data_and_edited_before_publishing(city, personas):
    from lianxin.branch import services as branch

    sample = perf_sample(city)
    secretary = personas["community_secretary"]
    services.goal_progress(actor=secretary, item=sample["item"], progress=100, note="完成")
    from lianxin.branch.models import MeetingType

    branch.meeting_record(
        actor=secretary,
        organization=city.happy_branch,
        meeting_type=MeetingType.objects.first(),
        held_on=dt.date(YEAR, 3, 2),
        topic="学习",
        attendance={},
        late_reason="补录",
    ) if MeetingType.objects.exists() else None
    report = services.report_compile(actor=secretary, organization=city.happy_committee, year=YEAR)
    assert report.figures["goals"] == {
        "items": 1,
        "done": 1,
        "rate": "100.0%",
        "practical": 1,
        "practical_done": 1,
    }
    assert report.figures["meetings"]["held"] == MeetingType.objects.exists() * 1
    assert "100.0%" in report.text
    services.report_update(actor=secretary, report=report, text=report.text + "\n明年继续努力。")
    services.report_publish(actor=secretary, report=report)
    with pytest.raises(ValidationError):
        services.report_update(actor=secretary, report=report, text="改")
    with pytest.raises(ValidationError):
        services.report_compile(actor=secretary, organization=city.happy_committee, year=YEAR)


@pytest.mark.django_db
def test_the_portal_refuses_bad_used_and_voided_codes_without_login(city, personas, client):
    sample = perf_sample(city)
    cycle, codes = sample["cycle"], sample["codes"]
    assert client.get("/portal/evaluate/AAAAA/").status_code == 404
    assert client.get(f"/portal/evaluate/?code={services.format_code(codes[0]).lower()}").url == (
        f"/portal/evaluate/{codes[0]}/"
    )
    partial = client.post(f"/portal/evaluate/{codes[0]}/", {f"e{sample['evaluees'][0].pk}": "satisfied"})
    assert partial.status_code == 400 and Ballot.objects.count() == 0
    full = {f"e{e.pk}": "dissatisfied" for e in sample["evaluees"]}
    assert client.post(f"/portal/evaluate/{codes[0]}/", full).url == "/portal/evaluate/thanks/"
    assert client.post(f"/portal/evaluate/{codes[0]}/", full).status_code == 409
    services.code_void(actor=personas["staff"], cycle=cycle, code=codes[1], reason="遗失")
    assert client.get(f"/portal/evaluate/{codes[1]}/").status_code == 409
    assert client.post(f"/portal/evaluate/{codes[1]}/", full).status_code == 409
    assert Ballot.objects.count() == 1
    roll = client.get("/portal/evaluate/honours/")
    assert roll.status_code == 200


@pytest.mark.django_db
def test_the_slips_pdf_carries_one_qr_code_per_unused_code(city, personas, client):
    sample = perf_sample(city)
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        pytest.skip(str(error))
    services.ballot_cast(code=sample["codes"][0], ratings=_ratings(sample["cycle"]))
    from lianxin.performance.views import slip_rows

    rows = slip_rows("http://lianxin.example", sample["codes"][1:])
    assert [r["link"] for r in rows] == [
        f"http://lianxin.example/portal/evaluate/{c}/" for c in sample["codes"][1:]
    ]
    client.force_login(personas["staff"])
    response = client.get(f"/performance/evaluations/{sample['cycle'].pk}/slips.pdf?batch=1")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    client.force_login(personas["supervisor"])  # reads results, does not print codes
    assert client.get(f"/performance/evaluations/{sample['cycle'].pk}/slips.pdf?batch=1").status_code == 404


def test_a_member_commitment_from_the_page_names_the_member(city, personas, client):
    """The secretary picks the member from the list (their community's members only)."""
    from django.urls import reverse

    from lianxin.performance.models import Commitment

    member = registry_sample(city)["member"]
    client.force_login(personas["community_secretary"])
    url = reverse("performance_commitments")
    page = client.get(url, {"group": MemberGroup.RETIREE})
    choices = dict(page.context["form"].fields["member"].choices)
    assert choices[member.pk].startswith(member.resident.name)
    template = services.TEMPLATES[MemberGroup.RETIREE]
    response = client.post(
        url,
        {
            "op": "create",
            "organization": city.happy_branch.pk,
            "member": member.pk,
            "group": MemberGroup.RETIREE,
            "kind": CommitmentKind.YEARLY,
            "year": YEAR,
            "deadline": f"{YEAR}-12-01",
            **{k: template[k] for k in ("target", "items", "measures")},
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    made = Commitment.objects.get()
    assert made.member == member and made.group == MemberGroup.RETIREE
    # Another community's secretary does not see this member in the list.
    client.force_login(personas["outsider"])
    page = client.get(url, {"group": MemberGroup.RETIREE})
    assert member.pk not in dict(page.context["form"].fields["member"].choices)
