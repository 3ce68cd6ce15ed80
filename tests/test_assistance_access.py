"""Who may do what in assistance (D6): every /api/v1/ route of the module by persona; a denied call
changes nothing. The web routes are in tests/matrix_assistance.py (run by test_permission_matrix).

The sample: case A (张三's household, 幸福社区) at 调查 with an investigation and a photo; case B
(another household of 幸福社区) at 公示 with a notice running and one objection; a 一联一 pairing of
张三 with household B; the grid worker's declared relative."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianxin.accounts.models import User
from lianxin.assistance import programmes, services
from lianxin.assistance.models import Case, Objection, Pairing, Programme, RelativeDeclaration
from lianxin.core.models import AuditEntry
from lianxin.registry import services as registry
from lianxin.registry.models import Difficulty, Relationship

from .conftest import PERSONA_NAMES, city_per_module
from .test_assistance_flow import DOCUMENTS, PNG
from .test_registry_pages import registry_sample, valid_id

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

PERSONAS = [*PERSONA_NAMES, "anonymous"]
VIEWERS = {
    "district_officer",
    "subdistrict_officer",
    "community_secretary",
    "committee_member",
    "staff",
    "grid_worker",
    "supervisor",
}
HANDLERS = {"community_secretary", "committee_member", "staff", "grid_worker"}
DECLARERS = VIEWERS | {"outsider", "party_member", "resident"}


def _user(username):
    return User.objects.get(username=username)


def assistance_sample(city):
    """Made once per test and kept on the city object (both matrices point at its rows)."""
    sample = getattr(city, "_assistance_sample", None)
    if sample is not None:
        return sample
    programmes.ensure_defaults()
    people = registry_sample(city)
    secretary, staff, grid = _user("secretary"), _user("staff"), _user("grid")
    dibao = Programme.objects.get(code="dibao")
    case_a = services.case_open(
        actor=staff,
        programme=dibao,
        household=people["household"],
        applicant=people["head"],
        reason_category="old_age",
        amount="500",
    )
    case_a = services.case_advance(actor=staff, case=case_a, documents=DOCUMENTS)
    services.investigation_record(
        actor=grid,
        case=case_a,
        first_investigator=grid,
        second_investigator=staff,
        visited_on=timezone.localdate(),
        household_size=2,
        income="700",
        health="高血压",
        findings="属实",
        photos=[SimpleUploadedFile("a.png", PNG, content_type="image/png")],
    )
    household_b = registry.household_create(actor=secretary, place=city.happy_building, unit="3", room="301")
    head_b = registry.resident_create(
        actor=secretary,
        name="周小梅",
        id_number=valid_id("11010519800307002"),
        household=household_b,
        relationship=Relationship.HEAD,
    )
    registry.difficulty_add(
        actor=secretary, household=household_b, kind=Difficulty.DISABLED, cause="肢体残疾"
    )
    case_b = services.case_open(
        actor=staff,
        programme=dibao,
        household=household_b,
        applicant=head_b,
        reason_category="disability",
        amount="800",
    )
    case_b = services.case_advance(actor=staff, case=case_b, documents=DOCUMENTS)
    services.investigation_record(
        actor=grid,
        case=case_b,
        first_investigator=grid,
        second_investigator=staff,
        visited_on=timezone.localdate(),
        household_size=1,
        findings="属实",
    )
    case_b = services.case_advance(actor=grid, case=case_b)
    for name in ("王一", "赵二", "钱三"):
        services.vote_record(actor=secretary, case=case_b, voter_name=name, panel_role="member", choice="for")
    case_b = services.case_advance(actor=secretary, case=case_b)
    notice = services.notice_publish(actor=secretary, case=case_b)
    objection = services.objection_file(notice=notice, text="请核实此户收入情况", anonymous=True)
    pairing = services.pairing_create(
        actor=secretary,
        member=people["member"],
        household=household_b,
        plan="每月上门两次，协助办理残疾补贴",
        actions=[("协助申请残疾人两项补贴", timezone.localdate() + dt.timedelta(days=30))],
    )
    relative = services.relative_declare(actor=grid, household=household_b, relation="other", note="老同学")
    sample = {
        "case": case_a,
        "case_b": Case.objects.get(pk=case_b.pk),
        "notice": notice,
        "objection": objection,
        "pairing": pairing,
        "relative": relative,
        "photo": case_a.investigation.photos.get(),
        "household": people["household"],
        "head": people["head"],
    }
    city._assistance_sample = sample
    return sample


def v1(name, *args):
    return reverse(f"api:{name}", args=args)


def expect(allowed, ok, *, hidden=(), default=403, hidden_status=404, extra=None):
    row = {}
    for persona in PERSONAS:
        if persona == "anonymous":
            row[persona] = 403
        elif persona in allowed:
            row[persona] = ok
        elif persona in hidden:
            row[persona] = hidden_status
        else:
            row[persona] = default
    row.update(extra or {})
    return row


# Personas who cannot view cases see object URLs as 404 (the selector) — except where the service
# refuses first.
NOT_VIEWERS = set(PERSONA_NAMES) - VIEWERS
ACTORS_AT_INVESTIGATION = HANDLERS

MATRIX = [
    ("programme-list", "get", lambda s: v1("programme-list"), None, expect(VIEWERS | {"outsider"}, 200)),
    (
        "programme-detail",
        "get",
        lambda s: v1("programme-detail", Programme.objects.get(code="dibao").pk),
        None,
        expect(VIEWERS | {"outsider"}, 200),
    ),
    (
        "programme-update",
        "patch",
        lambda s: v1("programme-detail", Programme.objects.get(code="dibao").pk),
        lambda s: {"notice_days": 10},
        expect({"district_officer"}, 200, extra={}),
    ),
    ("case-list", "get", lambda s: v1("case-list"), None, expect(VIEWERS | {"outsider"}, 200)),
    (
        "case-create",
        "post",
        lambda s: v1("case-list"),
        lambda s: {
            "programme": "zaijiuye",
            "household": s["household"].pk,
            "applicant": s["head"].pk,
            "reason_category": "unemployment",
        },
        # The outsider's scope holds no such household: a field error.
        expect(HANDLERS, 201, extra={"outsider": 400}),
    ),
    (
        "case-detail",
        "get",
        lambda s: v1("case-detail", s["case"].pk),
        None,
        expect(VIEWERS, 200, hidden=NOT_VIEWERS),
    ),
    (
        "case-advance",
        "post",
        lambda s: v1("case-advance", s["case"].pk),
        lambda s: {},
        expect(HANDLERS, 200, hidden=NOT_VIEWERS),
    ),
    (
        "case-return",
        "post",
        lambda s: v1("case-return", s["case"].pk),
        lambda s: {"to_step": "apply", "reason": "补充材料"},
        expect(HANDLERS, 200, hidden=NOT_VIEWERS),
    ),
    (
        "case-reject",
        "post",
        lambda s: v1("case-reject", s["case"].pk),
        lambda s: {"reason": "不符合条件"},
        expect(HANDLERS, 200, hidden=NOT_VIEWERS),
    ),
    (
        "case-investigation",
        "post",
        lambda s: v1("case-investigation", s["case"].pk),
        lambda s: {
            "first_investigator": _user("staff").pk,
            "second_investigator": _user("committee").pk,
            "visited_on": timezone.localdate().isoformat(),
            "household_size": 2,
            "findings": "复查属实",
        },
        expect(HANDLERS, 200, hidden=NOT_VIEWERS),
    ),
    (
        "case-reveal",
        "post",
        lambda s: v1("case-reveal", s["case"].pk),
        lambda s: {"field": "income", "reason": "核对"},
        expect({"community_secretary", "staff"}, 200, hidden=NOT_VIEWERS),
    ),
    (
        "case-votes",
        "post",
        lambda s: v1("case-votes", s["case_b"].pk),
        lambda s: {"voter_name": "孙四", "panel_role": "member", "choice": "for"},
        # Case B is at 公示: nobody may vote now (a clear 400 for those who act there).
        expect(HANDLERS, 400, hidden=NOT_VIEWERS, extra={"grid_worker": 403}),
    ),
    (
        "case-notice",
        "post",
        lambda s: v1("case-notice", s["case_b"].pk),
        lambda s: {},
        # Already noticed: refused with a reason.
        expect(HANDLERS, 400, hidden=NOT_VIEWERS, extra={"grid_worker": 403}),
    ),
    ("objection-list", "get", lambda s: v1("objection-list"), None, expect(VIEWERS | {"outsider"}, 200)),
    (
        "objection-create",
        "post",
        lambda s: v1("objection-list"),
        lambda s: {"notice": s["notice"].pk, "text": "我有不同意见，请再核实", "anonymous": True},
        expect(set(PERSONA_NAMES), 201),
    ),
    (
        "objection-detail",
        "get",
        lambda s: v1("objection-detail", s["objection"].pk),
        None,
        # The objection belongs to the community: the grid worker's grid does not hold it.
        expect(VIEWERS - {"grid_worker"}, 200, hidden=NOT_VIEWERS | {"grid_worker"}),
    ),
    (
        "objection-answer",
        "post",
        lambda s: v1("objection-answer", s["objection"].pk),
        lambda s: {"answer": "已核实，情况属实", "upheld": False},
        expect(
            {"community_secretary", "committee_member", "staff"}, 200, hidden=NOT_VIEWERS | {"grid_worker"}
        ),
    ),
    ("relative-list", "get", lambda s: v1("relative-list"), None, expect(DECLARERS, 200)),
    (
        "relative-create",
        "post",
        lambda s: v1("relative-list"),
        lambda s: {"household": s["household"].pk, "relation": "in_law"},
        # The outsider cannot name a household of 幸福社区.
        expect(DECLARERS, 201, extra={"outsider": 400}),
    ),
    (
        "relative-detail",
        "get",
        lambda s: v1("relative-detail", s["relative"].pk),
        None,
        # One's own declaration, or a supervisor's view of their scope.
        expect({"grid_worker", "district_officer", "subdistrict_officer", "supervisor"}, 200, default=404),
    ),
    (
        "relative-end",
        "post",
        lambda s: v1("relative-end", s["relative"].pk),
        lambda s: {"reason": "已搬走"},
        expect(
            {"grid_worker"},
            200,
            default=404,
            extra={p: 403 for p in ("district_officer", "subdistrict_officer", "supervisor")},
        ),
    ),
    ("pairing-list", "get", lambda s: v1("pairing-list"), None, expect(VIEWERS | {"outsider"}, 200)),
    (
        "pairing-create",
        "post",
        lambda s: v1("pairing-list"),
        lambda s: {"member": s["pairing"].member_id, "household": s["household"].pk, "plan": "x"},
        expect({"community_secretary", "committee_member", "outsider"}, 400),
    ),
    (
        "pairing-detail",
        "get",
        lambda s: v1("pairing-detail", s["pairing"].pk),
        None,
        expect(VIEWERS, 200, hidden=NOT_VIEWERS),
    ),
    (
        "pairing-actions",
        "post",
        lambda s: v1("pairing-actions", s["pairing"].pk),
        lambda s: {"text": "送米送油", "due_on": "2027-01-20"},
        expect({"community_secretary", "committee_member"}, 201, hidden=NOT_VIEWERS),
    ),
    (
        "pairing-note",
        "post",
        lambda s: v1("pairing-note", s["pairing"].pk),
        lambda s: {"text": "已上门，帮助联系康复机构"},
        expect({"community_secretary", "committee_member"}, 201, hidden=NOT_VIEWERS),
    ),
    (
        "pairing-end",
        "post",
        lambda s: v1("pairing-end", s["pairing"].pk),
        lambda s: {"reason": "家庭情况好转"},
        expect({"community_secretary", "committee_member"}, 200, hidden=NOT_VIEWERS),
    ),
    ("pairing-coverage", "get", lambda s: v1("pairing-coverage"), None, expect(VIEWERS | {"outsider"}, 200)),
]


def state():
    return (
        list(AuditEntry.objects.filter(action__startswith="assistance.").values_list("seq", flat=True)),
        list(AuditEntry.objects.filter(action="reveal").values_list("seq", flat=True)),
        list(Case.objects.order_by("pk").values_list("pk", "version", "status")),
        list(Objection.objects.order_by("pk").values_list("pk", "answered_at")),
        list(RelativeDeclaration.objects.order_by("pk").values_list("pk", "ended_at")),
        list(Pairing.objects.order_by("pk").values_list("pk", "ended_on", "plan")),
        Programme.objects.get(code="dibao").notice_days,
    )


@pytest.mark.parametrize("name", [row[0] for row in MATRIX])
def test_api_matrix(name, city, personas):
    """Every persona against one route; each call runs in a savepoint rolled back afterwards, so all
    personas meet the same sample (built once per route)."""
    from django.db import transaction

    _name, method, url_of, body_of, expected = next(row for row in MATRIX if row[0] == name)
    sample = assistance_sample(city)
    problems = []
    for persona in PERSONAS:
        with transaction.atomic():
            client = APIClient()
            if persona != "anonymous":
                client.force_login(personas[persona])
            before = state()
            response = getattr(client, method)(
                url_of(sample), body_of(sample) if body_of else None, format="json"
            )
            if response.status_code != expected[persona]:
                problems.append(f"{persona}: {response.status_code} {response.content[:300]!r}")
            elif (response.status_code >= 400 or method == "get") and state() != before:
                problems.append(f"{persona}: a refused call changed something")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


BASENAMES = {"programme", "case", "objection", "relative", "pairing"}


def test_the_matrix_covers_every_route_of_the_module():
    from django.urls import get_resolver

    from . import matrix_assistance

    api = get_resolver().namespace_dict["api"][1]
    ours = {name for name in api.reverse_dict if isinstance(name, str) and name.split("-")[0] in BASENAMES}
    # Rows named <basename>-create/-update exercise the -list/-detail route with another method.
    exercised = {name.replace("-create", "-list").replace("-update", "-detail") for name, *_rest in MATRIX}
    assert ours == exercised
    assert matrix_assistance.API_COVERED == ours


def assistance_light_sample(city):
    """The rows the web permission matrix points at, written directly (no workflow, no audit): case A
    at 调查 with an investigation and a photo, a running notice of it, a pairing. Cheap enough to
    build for every persona of every route."""
    sample = getattr(city, "_assistance_light", None)
    if sample is not None:
        return sample
    from django.core.files.base import ContentFile

    from lianxin.assistance.models import Investigation, InvestigationPhoto, Notice
    from lianxin.core import crypto

    programmes.ensure_defaults()
    people = registry_sample(city)
    staff, grid = _user("staff"), _user("grid")
    dibao = Programme.objects.get(code="dibao")
    today = timezone.localdate()
    case = Case(
        number="BF2026-09999",
        programme=dibao,
        household=people["household"],
        applicant=people["head"],
        community=city.happy,
        place=people["household"].place,
        reason_category="old_age",
        step=dibao.steps.get(code="investigate"),
        step_started_on=today,
        created_by=staff,
    )
    case.set_deadline(today, 10)
    case.save()
    investigation = Investigation.objects.create(
        case=case,
        first_investigator=grid,
        second_investigator=staff,
        visited_on=today,
        household_size=2,
        income_enc=crypto.encrypt("700"),
        findings_enc=crypto.encrypt("属实"),
        recorded_by=grid,
    )
    photo = InvestigationPhoto(
        investigation=investigation,
        token="0" * 32,
        extension=".png",
        original_name="a.png",
        content_type="image/png",
        size=len(PNG),
        uploaded_by=grid,
    )
    photo.file.save("upload", ContentFile(PNG), save=False)
    photo.save()
    notice = Notice.objects.create(
        case=case,
        place=city.happy,
        masked_name="张*",
        community_name=city.happy.name,
        programme_name=dibao.name,
        amount="500.00",
        reason_category="old_age",
        starts_on=today,
        ends_on=today + dt.timedelta(days=9),
        days=7,
        published_by=staff,
    )
    pairing = Pairing.objects.create(
        member=people["member"],
        household=people["household"],
        place=people["household"].place,
        started_on=today,
        created_by=staff,
    )
    sample = {
        "case": case,
        "photo": photo,
        "notice": notice,
        "pairing": pairing,
        "household": people["household"],
    }
    city._assistance_light = sample
    return sample
