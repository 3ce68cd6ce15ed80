"""D11 funds: append-only ledgers, four-eyes approval, and a published summary that always matches."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from lianxin.cobuilding import services
from lianxin.cobuilding.models import Direction, EntryStatus, Fund, FundPublication, LedgerEntry
from lianxin.core.models import AuditEntry

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

YEAR = dt.date.today().year


def _ledger_sums(place_id, year):
    """Independent of the module's own summing: straight from the ledger rows."""
    result = {}
    for fund in Fund.objects.filter(place_id=place_id, year=year):
        lines = LedgerEntry.objects.filter(fund=fund, status=EntryStatus.APPROVED)
        income = lines.filter(direction=Direction.INCOME).aggregate(s=Sum("amount_fen"))["s"] or 0
        spent = lines.filter(direction=Direction.EXPENSE).aggregate(s=Sum("amount_fen"))["s"] or 0
        result[fund.kind] = {
            "budget": fund.budget_fen,
            "income": income,
            "spent": spent,
            "balance": income - spent,
        }
    return result


def _published(place_id, year):
    publication = FundPublication.objects.get(place_id=place_id, year=year)
    return publication, {
        row["kind"]: {k: row[k] for k in ("budget", "income", "spent", "balance")}
        for row in publication.figures["funds"]
    }


def _board_body(publication):
    """The body on the disclosure board when it took the summary; the stored one otherwise."""
    if publication.board_item_id is None:
        assert services.disclosure_publish() is None, (
            "the board exists but the summary was not published there"
        )
        return publication.body
    from lianxin.disclosure.models import BoardItem

    return BoardItem.objects.get(pk=publication.board_item_id).body


def _agrees(place, year):
    sums = _ledger_sums(place.pk, year)
    publication, published = _published(place.pk, year)
    assert published == sums
    body = _board_body(publication)
    for row in sums.values():
        for value in row.values():
            assert services.yuan(value) in body
    return sums


@pytest.fixture
def funds(city, personas):
    staff = personas["staff"]
    operating = services.fund_open(actor=staff, place=city.happy, kind="operating", year=YEAR)
    party = services.fund_open(actor=staff, place=city.happy, kind="party", year=YEAR, budget_fen=4_200_00)
    return operating, party


def test_summary_matches_the_ledger_after_entries_edits_and_reversals(city, personas, funds):
    secretary, staff, committee = (
        personas["community_secretary"],
        personas["staff"],
        personas["committee_member"],
    )
    operating, party = funds
    day = dt.date(YEAR, 1, 15) if dt.date.today() >= dt.date(YEAR, 1, 15) else dt.date.today()
    _agrees(city.happy, YEAR)
    grant = services.entry_record(
        actor=staff,
        fund=operating,
        direction="income",
        amount_fen=120_000_00,
        occurred_on=day,
        purpose="区财政拨付运转经费",
    )
    paper = services.entry_record(
        actor=staff,
        fund=operating,
        direction="expense",
        amount_fen=1_234_56,
        occurred_on=day,
        purpose="办公用纸",
        payee="文具店",
    )
    books = services.entry_record(
        actor=staff,
        fund=party,
        direction="expense",
        amount_fen=800_00,
        occurred_on=day,
        purpose="党员学习书籍",
    )
    # Pending spending is not in the ledger yet.
    assert _agrees(city.happy, YEAR)["operating"]["spent"] == 0
    services.entry_decide(actor=secretary, entry=paper, approve=True)
    services.entry_decide(actor=committee, entry=books, approve=True)
    assert _agrees(city.happy, YEAR)["operating"] == {
        "budget": 120_000_00,
        "income": 120_000_00,
        "spent": 1_234_56,
        "balance": 120_000_00 - 1_234_56,
    }
    # An edit of a line in the ledger: reversed and recorded again, then approved by another person.
    corrected = services.entry_correct(
        actor=secretary, entry=paper, amount_fen=1_243_56, purpose="办公用纸（更正）", reason="金额录错"
    )
    assert _agrees(city.happy, YEAR)["operating"]["spent"] == 0
    services.entry_decide(actor=committee, entry=corrected, approve=True)
    services.entry_reverse(actor=secretary, entry=books, reason="退货")
    services.entry_reverse(actor=committee, entry=grant, reason="拨款重复入账")
    services.fund_budget_set(actor=secretary, fund=party, budget_fen=4_300_00, reason="党员人数增加")
    sums = _agrees(city.happy, YEAR)
    assert sums["operating"] == {"budget": 120_000_00, "income": 0, "spent": 1_243_56, "balance": -1_243_56}
    assert sums["party"] == {"budget": 4_300_00, "income": 0, "spent": 0, "balance": 0}
    # Nothing was deleted: every line is still there, each reversal pointing at its line.
    assert LedgerEntry.objects.filter(fund__place=city.happy).count() == 7
    assert LedgerEntry.objects.filter(reverses__isnull=False).count() == 3


def test_nobody_approves_their_own_spending(city, personas, funds):
    secretary = personas["community_secretary"]
    operating, _party = funds
    entry = services.entry_record(
        actor=secretary,
        fund=operating,
        direction="expense",
        amount_fen=500_00,
        occurred_on=dt.date.today(),
        purpose="慰问品",
    )
    audit_before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.entry_decide(actor=secretary, entry=entry, approve=True)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING and AuditEntry.objects.count() == audit_before
    with pytest.raises(PermissionDenied):  # staff record but do not approve
        services.entry_decide(actor=personas["staff"], entry=entry, approve=True)


def test_a_line_is_reversed_once_and_reversals_are_not_reversed(city, personas, funds):
    secretary, staff = personas["community_secretary"], personas["staff"]
    operating, _party = funds
    income = services.entry_record(
        actor=staff,
        fund=operating,
        direction="income",
        amount_fen=100_00,
        occurred_on=dt.date.today(),
        purpose="捐赠",
    )
    reversal = services.entry_reverse(actor=secretary, entry=income, reason="错记")
    assert reversal.amount_fen == -100_00 and reversal.reverses_id == income.pk
    with pytest.raises(ValidationError):
        services.entry_reverse(actor=secretary, entry=income, reason="再来一次")
    with pytest.raises(ValidationError):
        services.entry_reverse(actor=secretary, entry=reversal, reason="撤销冲销")
    pending = services.entry_record(
        actor=staff,
        fund=operating,
        direction="expense",
        amount_fen=1,
        occurred_on=dt.date.today(),
        purpose="x",
    )
    with pytest.raises(ValidationError):
        services.entry_reverse(actor=secretary, entry=pending, reason="未入账")


def test_bad_amounts_and_dates_are_named(city, personas, funds):
    operating, _party = funds
    with pytest.raises(ValidationError) as exc:
        services.entry_record(
            actor=personas["staff"],
            fund=operating,
            direction="expense",
            amount_fen=0,
            occurred_on=dt.date.today() + dt.timedelta(days=3),
            purpose="",
        )
    assert {"amount", "occurred_on", "purpose"} <= set(exc.value.message_dict)
    assert services.parse_yuan("1,200.50") == 120050
    with pytest.raises(ValidationError):
        services.parse_yuan("12.345")
    with pytest.raises(ValidationError):
        services.parse_yuan("十二")


def test_party_fund_defaults_to_100_yuan_per_member(city, personas):
    from lianxin.registry.models import PartyMember

    fund = services.fund_open(actor=personas["staff"], place=city.happy, kind="party", year=YEAR - 1)
    members = PartyMember.objects.under(city.happy.path).filter(status="active").count()
    assert fund.budget_fen == members * 100_00
    operating = services.fund_open(actor=personas["staff"], place=city.happy, kind="operating", year=YEAR - 1)
    assert operating.budget_fen == 120_000_00
    with pytest.raises(ValidationError):
        services.fund_open(actor=personas["staff"], place=city.happy, kind="party", year=YEAR - 1)


def test_outsiders_cannot_touch_the_ledger(city, personas, funds):
    operating, _party = funds
    for role in ("outsider", "grid_worker", "resident", "supervisor"):
        with pytest.raises(PermissionDenied):
            services.entry_record(
                actor=personas[role],
                fund=operating,
                direction="income",
                amount_fen=1,
                occurred_on=dt.date.today(),
                purpose="x",
            )
    assert not LedgerEntry.objects.exists()


def test_vouchers_are_checked_by_content(city, personas, funds):
    from django.core.files.uploadedfile import SimpleUploadedFile

    operating, _party = funds
    entry = services.entry_record(
        actor=personas["staff"],
        fund=operating,
        direction="expense",
        amount_fen=50_00,
        occurred_on=dt.date.today(),
        purpose="打印",
    )
    voucher = services.voucher_add(
        actor=personas["staff"], entry=entry, upload=SimpleUploadedFile("发票.pdf", b"%PDF-1.4 test")
    )
    assert voucher.content_type == "application/pdf" and voucher.size == 13
    with pytest.raises(ValidationError):
        services.voucher_add(
            actor=personas["staff"],
            entry=entry,
            upload=SimpleUploadedFile("发票.pdf", b"MZ\x90\x00 not a pdf"),
        )


def test_hardship_payments_from_branch_life_are_taken_in_once(city, personas):
    from decimal import Decimal

    from lianxin.branch import services as branch

    from .test_registry_pages import registry_sample

    member = registry_sample(city)["member"]
    secretary, committee = personas["community_secretary"], personas["committee_member"]
    application = branch.hardship_apply(
        actor=committee, member=member, amount=Decimal("800.00"), reason="住院"
    )
    branch.hardship_decide(actor=secretary, application=application, approve=True)
    branch.hardship_pay(
        actor=committee, application=application, amount=Decimal("300.50"), paid_on=dt.date.today()
    )
    fund = services.fund_open(
        actor=personas["staff"], place=city.happy, kind="hardship", year=YEAR, budget_fen=0
    )
    assert services.hardship_take_in(actor=personas["staff"], fund=fund) == 1
    assert services.hardship_take_in(actor=personas["staff"], fund=fund) == 0
    line = LedgerEntry.objects.get(fund=fund)
    assert line.amount_fen == 30050 and line.status == EntryStatus.APPROVED and line.approved_by == secretary
    assert _agrees(city.happy, YEAR)["hardship"]["spent"] == 30050
