"""Sample co-building data of 幸福社区 for the permission matrix and the page tests (built once per test)."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianxin.cobuilding import services


def _actor(username):
    from lianxin.accounts.models import User

    return User.objects.get(username=username)


def cobuilding_sample(city) -> dict:
    cached = getattr(city, "_cobuilding_sample", None)
    if cached is not None:
        return cached
    secretary, staff = _actor("secretary"), _actor("staff")
    today = timezone.localdate()
    unit = services.unit_create(
        actor=staff,
        place=city.happy,
        name="市第一人民医院",
        kind="hospital",
        contact_name="王主任",
        contact_phone="0731-5550123",
    )
    agreement = services.agreement_create(
        actor=staff,
        unit=unit,
        title="幸福社区与市第一人民医院共驻共建协议",
        signed_on=today,
        commitments=[
            ("unit", "welfare", "每季度义诊一次", None),
            ("community", "party", "联合开展主题党日", None),
        ],
    )
    meeting = services.meeting_record(
        actor=staff,
        place=city.happy,
        title="第一季度联席会议",
        held_on=today,
        minutes="通报共建项目进展。",
        units=[unit],
    )
    pairing = services.pairing_create(
        actor=staff, place=city.happy, kind="leader", name="李副市长", post="副市长", started_on=today
    )
    visit = services.pairing_visit_record(
        actor=staff,
        pairing=pairing,
        visited_on=today,
        summary="调研社区服务中心建设。",
        problems=["活动用房不足"],
    )
    room = services.room_create(
        actor=staff,
        place=city.happy,
        name="党员活动室",
        kind="party",
        opens_at=dt.time(8, 0),
        closes_at=dt.time(21, 0),
    )
    starts = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=3), dt.time(9, 0)))
    booking = services.booking_create(
        actor=None,
        room=room,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        purpose="太极拳练习",
        booker_kind="resident",
        booker_name="赵阿姨",
        phone="13800001111",
        people=8,
    )
    fund = services.fund_open(actor=staff, place=city.happy, kind="operating", year=today.year)
    entry = services.entry_record(
        actor=staff,
        fund=fund,
        direction="expense",
        amount_fen=300_00,
        occurred_on=today,
        purpose="打印宣传资料",
    )
    voucher = services.voucher_add(
        actor=staff, entry=entry, upload=SimpleUploadedFile("发票.pdf", b"%PDF-1.4 x")
    )
    volunteer = services.volunteer_register(actor=staff, place=city.happy, name="陈志愿")
    activity = services.activity_record(
        actor=secretary, place=city.happy, title="清理楼道杂物", held_on=today, hours={volunteer: 2}
    )
    sample = {
        "unit": unit,
        "agreement": agreement,
        "commitment": agreement.commitments.first(),
        "meeting": meeting,
        "pairing": pairing,
        "problem": visit.problems.first(),
        "room": room,
        "booking": booking,
        "fund": fund,
        "entry": entry,
        "voucher": voucher,
        "volunteer": volunteer,
        "activity": activity,
    }
    city._cobuilding_sample = sample
    return sample
