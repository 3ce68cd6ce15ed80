"""Assistance and benefits (D6, issue 6): the 9-step 低保 flow through the API, the rules of 公示,
returns, recusal of related people, and concurrent approvals.

Given the city and personas of conftest.py and the registry sample (张三 and 李四, 幸福社区 1号楼
1单元101). 审核 and 审批 are district steps; 审批 needs a second district officer (four eyes).
"""

import datetime as dt
import threading
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.assistance import programmes, services
from lianxin.assistance.models import (
    Case,
    CaseEvent,
    CaseStatus,
    LedgerEntry,
    Notice,
    Objection,
    PaymentPlan,
    Programme,
    Recusal,
)
from lianxin.core import crypto
from lianxin.core.access import Role
from lianxin.core.models import AuditEntry, Notification

from .conftest import make_user
from .test_registry_pages import registry_sample

D = dt.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DOCUMENTS = ["低保申请书", "户口簿", "身份证", "收入证明"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
START = D(2026, 3, 2)  # a Monday with no holiday in the next weeks


def at(day, hour=9):
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def v1(name, *args):
    return reverse(f"api:{name}", args=args)


@pytest.fixture
def second_district(city):
    return make_user("district2", Role.DISTRICT_OFFICER, city.district, "区干部二")


def open_case(city, personas, **extra):
    programmes.ensure_defaults()
    people = registry_sample(city)
    return services.case_open(
        actor=personas["staff"],
        programme=Programme.objects.get(code="dibao"),
        household=people["household"],
        applicant=people["head"],
        reason_category="illness",
        reason="老伴长期住院，医疗开支大",
        amount="650.00",
        **extra,
    )


def drive_to(case, code, personas, time_machine=None, second=None):
    """Move a 低保 case forward with the right people until it is at step ``code``."""
    staff, secretary, grid = personas["staff"], personas["community_secretary"], personas["grid_worker"]
    while case.step.code != code:
        step = case.step.code
        if step == "apply":
            case = services.case_advance(actor=staff, case=case, documents=DOCUMENTS)
        elif step == "investigate":
            services.investigation_record(
                actor=grid,
                case=case,
                first_investigator=grid,
                second_investigator=staff,
                visited_on=case.step_started_on,
                household_size=2,
                composition="张三（户主）、李四（配偶）",
                income="每月养老金 800 元",
                health="李四：尿毒症，每周透析",
                findings="家中陈设简陋，医疗票据属实",
            )
            case = services.case_advance(actor=grid, case=case)
        elif step == "deliberate":
            for name in ("王一", "赵二", "钱三"):
                services.vote_record(
                    actor=secretary, case=case, voter_name=name, panel_role="member", choice="for"
                )
            case = services.case_advance(actor=secretary, case=case)
        elif step == "notice":
            notice = services.current_notice(case) or services.notice_publish(actor=secretary, case=case)
            time_machine.move_to(at(notice.ends_on + dt.timedelta(days=1)), tick=False)
            case = services.case_advance(actor=secretary, case=case)
        elif step == "first_review":
            case = services.case_advance(actor=personas["subdistrict_officer"], case=case)
        elif step in ("review", "certify"):
            case = services.case_advance(
                actor=personas["district_officer"], case=case, review_note="全面复核：材料属实"
            )
        elif step == "approve":
            case = services.case_advance(actor=second, case=case)
        else:  # pragma: no cover - a step this helper does not know
            raise AssertionError(step)
    return case


def test_full_dibao_flow_through_the_api(city, personas, second_district, time_machine):
    """申请 → 调查 → 评议 → 公示 → 初审 → 审核 → 审批 → 发证 → 发放, every move by its own people."""
    time_machine.move_to(at(START), tick=False)
    programmes.ensure_defaults()
    people = registry_sample(city)
    staff, grid, secretary = personas["staff"], personas["grid_worker"], personas["community_secretary"]

    listing = api(staff).get(v1("programme-list")).json()["results"]
    dibao = next(p for p in listing if p["code"] == "dibao")
    assert [s["name"] for s in dibao["steps"]] == [
        "申请",
        "调查",
        "评议",
        "公示",
        "初审",
        "审核",
        "审批",
        "发证",
        "发放",
    ]
    assert [s["is_public"] for s in dibao["steps"]].count(True) == 1 and dibao["notice_days"] == 7

    response = api(staff).post(
        v1("case-list"),
        {
            "programme": "dibao",
            "household": people["household"].pk,
            "applicant": people["head"].pk,
            "reason_category": "illness",
            "reason": "老伴长期住院",
            "amount": "650.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["step"] == "apply" and response.json()["can_act"] is True

    # 申请: the documents must be seen first.
    refused = api(staff).post(v1("case-advance", pk), {}, format="json")
    assert refused.status_code == 400 and "documents" in refused.json()["errors"]
    moved = api(staff).post(v1("case-advance", pk), {"documents": DOCUMENTS}, format="json")
    assert moved.status_code == 200 and moved.json()["step"] == "investigate"

    # 调查: two investigators, sensitive findings masked, a photo.
    response = api(grid).post(
        v1("case-investigation", pk),
        {
            "first_investigator": grid.pk,
            "second_investigator": staff.pk,
            "visited_on": "2026-03-02",
            "household_size": 2,
            "composition": "张三、李四",
            "income": "800",
            "health": "尿毒症",
            "findings": "属实",
            "photos": [_upload()],
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    investigation = response.json()["investigation"]
    assert (
        investigation["health"] == "••••••"
        and investigation["income"] == "••••••"
        and investigation["photos"] == 1
    )
    assert "尿毒症" not in response.content.decode()
    assert api(grid).post(v1("case-advance", pk), {}, format="json").json()["step"] == "deliberate"

    # 评议: three named votes, tallied.
    for name, choice in (("王一", "for"), ("赵二", "for"), ("钱三", "against")):
        vote = api(secretary).post(
            v1("case-votes", pk),
            {"voter_name": name, "panel_role": "representative", "choice": choice},
            format="json",
        )
        assert vote.status_code == 201, vote.content
    detail = api(secretary).get(v1("case-detail", pk)).json()
    assert detail["tally"] == {"for": 2, "against": 1, "abstain": 0, "total": 3, "passed": True}
    assert [v["voter_name"] for v in detail["votes"]] == ["王一", "赵二", "钱三"]
    assert api(secretary).post(v1("case-advance", pk), {}, format="json").json()["step"] == "notice"

    # 公示: published for 7 working days; it cannot pass before the period ends.
    notice = api(secretary).post(v1("case-notice", pk), {}, format="json")
    assert notice.status_code == 201, notice.content
    assert notice.json()["masked_name"] == "张*" and notice.json()["ends_on"] == "2026-03-10"
    early = api(secretary).post(v1("case-advance", pk), {}, format="json")
    assert early.status_code == 400 and "notice" in early.json()["errors"]
    time_machine.move_to(at(D(2026, 3, 11)), tick=False)
    assert api(secretary).post(v1("case-advance", pk), {}, format="json").json()["step"] == "first_review"

    # 初审 at the subdistrict, 审核 and 审批 at the district by two people, 发证, 发放.
    assert api(staff).post(v1("case-advance", pk), {}, format="json").status_code == 403
    assert (
        api(personas["subdistrict_officer"]).post(v1("case-advance", pk), {}, format="json").json()["step"]
        == "review"
    )
    district = personas["district_officer"]
    assert api(district).post(v1("case-advance", pk), {}, format="json").json()["step"] == "approve"
    same_person = api(district).post(v1("case-advance", pk), {}, format="json")
    assert same_person.status_code == 403
    assert api(second_district).post(v1("case-advance", pk), {}, format="json").json()["step"] == "certify"
    assert api(district).post(v1("case-advance", pk), {}, format="json").json()["step"] == "pay"
    done = api(secretary).post(v1("case-advance", pk), {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "approved"

    case = Case.objects.get(pk=pk)
    plan = PaymentPlan.objects.get(case=case)
    assert str(plan.monthly_amount) == "650.00" and plan.review_on == D(2027, 3, 11)
    advances = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ADVANCE)
    assert [e.from_step.code for e in advances] == [
        "apply",
        "investigate",
        "deliberate",
        "notice",
        "first_review",
        "review",
        "approve",
        "certify",
        "pay",
    ]
    assert AuditEntry.objects.filter(action="assistance.case_advance", object_id=str(pk)).count() == 9
    entry = (
        AuditEntry.objects.filter(action="assistance.case_advance", object_id=str(pk)).order_by("seq").first()
    )
    assert (
        entry.before["step"] != entry.after["step"] and entry.after["version"] == entry.before["version"] + 1
    )
    # The next step's people are told; the sensitive findings are stored encrypted.
    assert Notification.objects.filter(
        recipient=personas["subdistrict_officer"], url__contains=str(pk)
    ).exists()
    stored = case.investigation
    assert (
        stored.health_enc
        and "尿毒症" not in stored.health_enc
        and crypto.decrypt(stored.health_enc) == "尿毒症"
    )

    # Payments: the month is paid once, however often it runs; stop and resume are in the ledger.
    assert len(services.payments_run(actor=secretary, month=D(2026, 3, 1))) == 1
    assert services.payments_run(actor=secretary, month=D(2026, 3, 1)) == []
    services.payment_stop(actor=secretary, plan=plan, reason="外出务工有收入")
    assert services.payments_run(actor=secretary, month=D(2026, 4, 1)) == []
    with pytest.raises(ValidationError):
        services.payment_stop(actor=secretary, plan=plan, reason="again")
    services.payment_resume(actor=secretary, plan=plan, reason="务工结束")
    assert len(services.payments_run(actor=secretary, month=D(2026, 5, 1))) == 1
    kinds = list(
        LedgerEntry.objects.filter(household=case.household).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["payment", "stop", "resume", "payment"]


def _assistance_entries():
    # Signing the API clients in is audited too; only this module's writes count here.
    return AuditEntry.objects.filter(action__startswith="assistance.").count()


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("home.png", PNG, content_type="image/png")


def test_skipping_the_public_notice_is_refused(city, personas, second_district, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = drive_to(open_case(city, personas), "notice", personas)
    secretary = personas["community_secretary"]
    before = (case.version, _assistance_entries())

    # Passing 公示 without a notice, or "returning" forward past it, is refused; nothing changes.
    response = api(secretary).post(v1("case-advance", case.pk), {}, format="json")
    assert response.status_code == 400 and "notice" in response.json()["errors"]
    forward = api(secretary).post(
        v1("case-return", case.pk), {"to_step": "first_review", "reason": "跳过"}, format="json"
    )
    assert forward.status_code == 400 and "to_step" in forward.json()["errors"]
    # The subdistrict cannot act while the case is at the community's notice step.
    assert (
        api(personas["subdistrict_officer"]).post(v1("case-advance", case.pk), {}, format="json").status_code
        == 403
    )
    case.refresh_from_db()
    assert (case.version, _assistance_entries()) == before and case.step.code == "notice"


def test_an_unanswered_objection_blocks_the_notice(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = drive_to(open_case(city, personas), "notice", personas)
    secretary = personas["community_secretary"]
    notice = services.notice_publish(actor=secretary, case=case)
    filed = api(personas["resident"]).post(
        v1("objection-list"),
        {"notice": notice.pk, "text": "该户有一辆新车，收入不实", "anonymous": True},
        format="json",
    )
    assert filed.status_code == 201, filed.content
    time_machine.move_to(at(notice.ends_on + dt.timedelta(days=3)), tick=False)

    blocked = api(secretary).post(v1("case-advance", case.pk), {}, format="json")
    assert blocked.status_code == 400 and "objections" in blocked.json()["errors"]
    case.refresh_from_db()
    assert case.step.code == "notice"

    objection = Objection.objects.get()
    answered = api(secretary).post(
        v1("objection-answer", objection.pk),
        {"answer": "经核查，车辆为亲属借用，已查看行驶证", "upheld": False},
        format="json",
    )
    assert answered.status_code == 200 and answered.json()["answered_at"]
    assert (
        api(secretary)
        .post(v1("objection-answer", objection.pk), {"answer": "again"}, format="json")
        .status_code
        == 400
    )
    assert (
        api(secretary).post(v1("case-advance", case.pk), {}, format="json").json()["step"] == "first_review"
    )


def test_an_upheld_objection_blocks_too_and_the_case_can_be_returned(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = drive_to(open_case(city, personas), "notice", personas)
    secretary = personas["community_secretary"]
    notice = services.notice_publish(actor=secretary, case=case)
    objection = services.objection_file(notice=notice, text="该户子女在外地经商，收入较高", anonymous=True)
    services.objection_answer(actor=secretary, objection=objection, answer="属实，需重新调查", upheld=True)
    time_machine.move_to(at(notice.ends_on + dt.timedelta(days=1)), tick=False)
    with pytest.raises(ValidationError) as refused:
        services.case_advance(actor=secretary, case=case)
    assert "objections" in refused.value.message_dict


def test_a_return_to_an_earlier_step(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = drive_to(open_case(city, personas), "notice", personas)
    secretary = personas["community_secretary"]
    notice = services.notice_publish(actor=secretary, case=case)

    no_reason = api(secretary).post(
        v1("case-return", case.pk), {"to_step": "investigate", "reason": " "}, format="json"
    )
    assert no_reason.status_code == 400
    response = api(secretary).post(
        v1("case-return", case.pk),
        {"to_step": "investigate", "reason": "群众反映收入不实，需重新入户调查"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["step"] == "investigate"
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.RETURN).get()
    assert (event.from_step.code, event.to_step.code, event.actor) == ("notice", "investigate", secretary)
    assert event.reason == "群众反映收入不实，需重新入户调查"
    entry = AuditEntry.objects.get(action="assistance.case_return")
    assert entry.reason == event.reason and entry.before["step"] != entry.after["step"]
    # The notice is withdrawn and the deliberation votes again.
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.withdrawn_at is not None and case.vote_round == 2
    assert services.tally(case)["total"] == 0
    case = drive_to(case, "notice", personas)
    assert services.tally(case)["total"] == 3


def test_recusal_the_investigators_relative_applies(city, personas, time_machine):
    """The grid worker declared the household as her sister's: she cannot act on the case, the case
    is flagged for the supervisors and needs a full review at the sampled step."""
    time_machine.move_to(at(START), tick=False)
    programmes.ensure_defaults()
    people = registry_sample(city)
    grid, staff = personas["grid_worker"], personas["staff"]
    response = api(grid).post(
        v1("relative-list"),
        {"household": people["household"].pk, "relation": "sibling", "note": "姐姐家"},
        format="json",
    )
    assert response.status_code == 201, response.content

    case = open_case(city, personas)
    assert case.flagged and case.full_review
    assert Recusal.objects.filter(case=case, user=grid).exists()
    assert Notification.objects.filter(recipient=personas["supervisor"], url__contains=str(case.pk)).exists()
    case = services.case_advance(actor=staff, case=case, documents=DOCUMENTS)
    assert case.step.code == "investigate"
    assert not services.can_act(grid, case) and services.can_act(staff, case)

    before = _assistance_entries()
    assert api(grid).post(v1("case-advance", case.pk), {}, format="json").status_code == 403
    investigation = api(grid).post(
        v1("case-investigation", case.pk),
        {
            "first_investigator": grid.pk,
            "second_investigator": staff.pk,
            "visited_on": "2026-03-02",
            "household_size": 2,
            "findings": "属实",
        },
        format="json",
    )
    assert investigation.status_code == 403
    # Nor may someone else name her as an investigator.
    with pytest.raises(ValidationError) as named:
        services.investigation_record(
            actor=staff,
            case=case,
            first_investigator=staff,
            second_investigator=grid,
            visited_on=START,
            household_size=2,
            findings="属实",
        )
    assert "second_investigator" in named.value.message_dict
    assert _assistance_entries() == before

    # The supervisors see it in the flagged list; the sampled 审核 needs the full review's findings.
    flagged = api(personas["supervisor"]).get(v1("case-list"), {"flagged": True}).json()["results"]
    assert [row["id"] for row in flagged] == [case.pk]
    page = _client(personas["supervisor"]).get(reverse("assistance_flagged"))
    assert page.status_code == 200 and case.number in page.content.decode()
    second = make_user("grid2", Role.GRID_WORKER, city.happy_grid, "网格员二")
    services.investigation_record(
        actor=staff,
        case=case,
        first_investigator=staff,
        second_investigator=second,
        visited_on=START,
        household_size=2,
        findings="属实",
    )
    case = services.case_advance(actor=staff, case=case)
    for name in ("王一", "赵二", "钱三"):
        services.vote_record(
            actor=personas["community_secretary"],
            case=case,
            voter_name=name,
            panel_role="member",
            choice="for",
        )
    case = services.case_advance(actor=personas["community_secretary"], case=case)
    case = drive_to(case, "review", personas, time_machine)
    with pytest.raises(ValidationError) as sampled:
        services.case_advance(actor=personas["district_officer"], case=case)
    assert "review_note" in sampled.value.message_dict


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_nobody_acts_on_their_own_application(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    from lianxin.branch.services import member_account_link

    people = registry_sample(city)
    staff = personas["staff"]
    member_account_link(actor=personas["community_secretary"], user=staff, resident=people["spouse"])
    with pytest.raises(PermissionDenied):
        open_case(city, personas)
    case = services.case_open(
        actor=personas["community_secretary"],
        programme=Programme.objects.get(code="dibao"),
        household=people["household"],
        applicant=people["spouse"],
        reason_category="illness",
        applicant_user=staff,
    )
    assert case.flagged and not services.can_act(staff, case)
    with pytest.raises(PermissionDenied):
        services.case_advance(actor=staff, case=case, documents=DOCUMENTS)


def test_a_panel_member_related_to_the_household_cannot_vote(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = drive_to(open_case(city, personas), "deliberate", personas)
    member = personas["party_member"]
    services.relative_declare(actor=member, household=case.household, relation="in_law")
    case.refresh_from_db()
    assert case.flagged
    with pytest.raises(ValidationError) as refused:
        services.vote_record(
            actor=personas["community_secretary"],
            case=case,
            voter_name="党员",
            voter=member,
            panel_role="representative",
            choice="for",
        )
    assert "voter" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.vote_record(
            actor=personas["community_secretary"],
            case=case,
            voter_name="李四",
            panel_role="representative",
            choice="for",
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_approvals_of_the_same_step_make_one_transition(city, personas):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    programmes.ensure_defaults()
    case = open_case(city, personas)
    approvers = [make_user(f"staff{n}", Role.STAFF, city.happy, f"社工{n}") for n in range(8)]
    barrier, outcomes = threading.Barrier(8), []

    def approve(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.case_advance(actor=user, case=case, documents=DOCUMENTS)
            outcomes.append("moved")
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # reported below
            outcomes.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved"] + ["refused"] * 7, outcomes
    case.refresh_from_db()
    assert case.step.code == "investigate" and case.version == 1
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ADVANCE).count() == 1
    assert AuditEntry.objects.filter(action="assistance.case_advance").count() == 1


def test_a_stale_version_is_refused(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = open_case(city, personas)
    staff = personas["staff"]
    stale = case.version
    services.case_advance(actor=staff, case=case, documents=DOCUMENTS)
    response = api(staff).post(v1("case-advance", case.pk), {"version": stale}, format="json")
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.step.code == "investigate"


def test_the_notice_period_counts_working_days(city, personas, time_machine):
    # Published on Friday 2026-09-25: National Day (10-01 … 10-07) is not counted.
    time_machine.move_to(at(D(2026, 9, 25)), tick=False)
    ends_on, provisional = services.notice_ends_on(D(2026, 9, 25), 7)
    assert not provisional and ends_on > D(2026, 10, 7)
    assert services.notice_ends_on(START, 7)[0] == D(2026, 3, 10)


def test_masked_names():
    assert services.mask_name("张三明") == "张*明"
    assert services.mask_name("张三") == "张*"
    assert services.mask_name("欧阳娜娜") == "欧阳**"


def test_reveal_needs_permission_and_a_reason_and_is_audited(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = drive_to(open_case(city, personas), "deliberate", personas)
    investigation = case.investigation
    with pytest.raises(PermissionDenied):
        services.investigation_reveal(
            actor=personas["grid_worker"], investigation=investigation, field="health", reason="看看"
        )
    with pytest.raises(ValidationError):
        services.investigation_reveal(
            actor=personas["staff"], investigation=investigation, field="health", reason=" "
        )
    assert not AuditEntry.objects.filter(action="reveal").exists()
    value = services.investigation_reveal(
        actor=personas["staff"], investigation=investigation, field="health", reason="初审需核对病情"
    )
    assert value == "李四：尿毒症，每周透析"
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.reason == "初审需核对病情" and entry.after == {"field": "investigation.health"}
    response = api(personas["staff"]).post(
        v1("case-reveal", case.pk), {"field": "income", "reason": "核对"}, format="json"
    )
    assert response.status_code == 200 and response.json()["value"] == "每月养老金 800 元"
    assert (
        api(personas["grid_worker"])
        .post(v1("case-reveal", case.pk), {"field": "income", "reason": "x"}, format="json")
        .status_code
        == 403
    )


def test_a_rejected_case_closes_with_its_reason(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = open_case(city, personas)
    response = api(personas["staff"]).post(
        v1("case-reject", case.pk), {"reason": "收入高于当地标准"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert api(personas["staff"]).post(v1("case-advance", case.pk), {}, format="json").status_code == 400
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REJECTED
    assert Notice.objects.count() == 0


def test_pairing_plan_notes_and_coverage(city, personas, time_machine):
    time_machine.move_to(at(START), tick=False)
    from lianxin.assistance import selectors
    from lianxin.registry import services as registry
    from lianxin.registry.models import Difficulty

    people = registry_sample(city)
    secretary = personas["community_secretary"]
    other = registry.household_create(actor=secretary, place=city.happy_building, unit="2", room="202")
    registry.difficulty_add(actor=secretary, household=other, kind=Difficulty.UNEMPLOYED, cause="下岗")
    coverage = {row["community"].name: row for row in selectors.pairing_coverage(actor=secretary)}
    assert (coverage["幸福社区"]["total"], coverage["幸福社区"]["paired"]) == (2, 0)

    with pytest.raises(ValidationError):  # 张三 lives in the sample household
        services.pairing_create(actor=secretary, member=people["member"], household=people["household"])
    pairing = services.pairing_create(
        actor=secretary,
        member=people["member"],
        household=other,
        plan="帮助联系再就业培训",
        actions=[("报名再就业培训", D(2026, 3, 20))],
    )
    with pytest.raises(ValidationError):  # one household per member
        services.pairing_create(actor=secretary, member=people["member"], household=other)
    with pytest.raises(PermissionDenied):
        services.pairing_create(actor=personas["outsider"], member=people["member"], household=other)
    services.pairing_note_add(actor=secretary, pairing=pairing, text="已陪同报名")
    services.pairing_action_done(actor=secretary, action=pairing.actions.get())
    coverage = {row["community"].name: row for row in selectors.pairing_coverage(actor=secretary)}
    assert (
        coverage["幸福社区"]["total"],
        coverage["幸福社区"]["paired"],
        coverage["幸福社区"]["percent"],
    ) == (2, 1, 50)
    response = api(secretary).get(v1("pairing-coverage")).json()
    assert [(r["community_name"], r["paired"]) for r in response] == [("幸福社区", 1)]


def test_yearly_review_reminders_are_sent_once(city, personas, second_district, time_machine):
    time_machine.move_to(at(START), tick=False)
    case = drive_to(open_case(city, personas), "pay", personas, time_machine, second=second_district)
    case = services.case_advance(actor=personas["community_secretary"], case=case)
    plan = case.payment_plan
    assert services.payments_remind(today=plan.review_on - dt.timedelta(days=60)) == 0
    first = services.payments_remind(today=plan.review_on - dt.timedelta(days=10))
    assert first >= 1 and services.payments_remind(today=plan.review_on - dt.timedelta(days=9)) == 0
    assert Notification.objects.filter(
        recipient=personas["community_secretary"], title__contains=case.number
    ).exists()
    services.payment_review(
        actor=personas["community_secretary"], plan=plan, note="年审：收入无变化", monthly_amount="680"
    )
    plan.refresh_from_db()
    assert str(plan.monthly_amount) == "680.00" and plan.review_on > START
