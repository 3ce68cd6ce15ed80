"""Disclosure pages (D9/D12, issue 7): staff board, drafts, publication, corrections, the late report and
its export, the comment box; the public portal; the PDF (Chinese text, fingerprint, short link)."""

import datetime as dt
import io
import re

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.models import User
from lianxin.core.models import AuditEntry
from lianxin.disclosure import services
from lianxin.disclosure.models import BoardItem, Comment, CommentStatus, ItemStatus

from .conftest import city_per_module

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

BODY = "一、收入：社区运转经费30,000元。\n二、支出：走访慰问困难群众6,800元。"


def disclosure_sample(city):
    """On 幸福社区's board: a published notice, a draft and a comment; made once per test."""
    sample = getattr(city, "_disclosure_sample", None)
    if sample is not None:
        return sample
    secretary = User.objects.get(username="secretary")
    notice = services.publish(
        actor=secretary,
        place=city.happy,
        section="finance",
        kind="periodic",
        title="幸福社区财务收支公开",
        body=BODY,
    )
    draft = services.draft_create(
        actor=secretary, place=city.happy, section="affairs", title="停水通知（草稿）", body="明日停水"
    )
    comment = services.comment_submit(
        place=city.happy,
        subject="楼道灯坏了",
        text="3号楼楼道灯坏了",
        anonymous=False,
        name="王芳",
        phone="13912345678",
    )
    sample = {"notice": notice, "draft": draft, "comment": comment}
    city._disclosure_sample = sample
    return sample


@pytest.fixture
def sample(city, personas):
    return disclosure_sample(city)


def login(client, personas, role):
    client.force_login(personas[role])
    return client


# --- "a published notice cannot be edited through any route" -------------------------------------


def test_published_notice_cannot_be_edited_through_web_form(client, personas, sample):
    notice = sample["notice"]
    login(client, personas, "community_secretary")
    url = reverse("disclosure_item_edit", args=[notice.pk])
    response = client.post(url, {"section": "finance", "kind": "periodic", "title": "改", "body": "改过"})
    assert response.status_code == 302 and response.url == reverse("disclosure_item", args=[notice.pk])
    page = client.get(response.url)
    assert "不能修改" in page.content.decode() or "cannot be changed" in page.content.decode()
    assert BoardItem.objects.get(pk=notice.pk).body == BODY
    assert not AuditEntry.objects.filter(action="disclosure.draft_update").exists()


def test_published_notice_cannot_be_edited_through_admin(client, personas, sample):
    notice = sample["notice"]
    login(client, personas, "sysadmin")
    url = f"/admin/disclosure/boarditem/{notice.pk}/change/"
    client.post(url, {"title": "改", "body": "改过", "section": "finance", "kind": "periodic"})
    assert BoardItem.objects.get(pk=notice.pk).title == "幸福社区财务收支公开"
    # Even a ModelForm with every field editable (a back office configured otherwise) cannot save it.
    form_class = modelform_factory(BoardItem, fields=["title", "body", "section", "kind", "place"])
    form = form_class(
        {"title": "改", "body": "改过", "section": "finance", "kind": "periodic", "place": notice.place_id},
        instance=BoardItem.objects.get(pk=notice.pk),
    )
    assert form.is_valid()
    with pytest.raises(ValidationError):
        form.save()
    assert BoardItem.objects.get(pk=notice.pk).body == BODY
    model_admin = admin.site._registry[BoardItem]
    assert not model_admin.has_change_permission(None, notice) and not model_admin.has_delete_permission(None)


def test_draft_edit_publish_and_correct_through_pages(client, personas, sample, city):
    draft = sample["draft"]
    login(client, personas, "staff")
    response = client.post(
        reverse("disclosure_item_edit", args=[draft.pk]),
        {
            "section": "affairs",
            "kind": "immediate",
            "title": "停水通知",
            "body": "明日8:00-12:00停水",
            "topic": "",
        },
    )
    assert response.status_code == 302
    assert BoardItem.objects.get(pk=draft.pk).title == "停水通知"
    client.post(reverse("disclosure_item_publish", args=[draft.pk]))
    item = BoardItem.objects.get(pk=draft.pk)
    assert item.status == ItemStatus.PUBLISHED and item.fingerprint
    # Correct: a new version; the old one says so and links to it on the portal.
    response = client.post(
        reverse("disclosure_item_correct", args=[item.pk]),
        {"title": "停水通知", "body": "明日8:00-14:00停水", "reason": "停水时间延长"},
    )
    new = BoardItem.objects.get(previous=item)
    assert response.status_code == 302 and response.url == reverse("disclosure_item", args=[new.pk])
    page = client.get(reverse("disclosure_portal_item", args=[item.pk])).content.decode()
    assert 'data-test="corrected-banner"' in page and reverse("disclosure_portal_item", args=[new.pk]) in page
    page = client.get(reverse("disclosure_portal_item", args=[new.pk])).content.decode()
    assert "停水时间延长" in page and new.fingerprint in page
    # The correction form of the old version is refused.
    response = client.get(reverse("disclosure_item_correct", args=[item.pk]))
    assert response.status_code == 302


def test_correction_form_requires_reason(client, personas, sample):
    notice = sample["notice"]
    login(client, personas, "committee_member")
    response = client.post(
        reverse("disclosure_item_correct", args=[notice.pk]),
        {"title": notice.title, "body": "新", "reason": ""},
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert BoardItem.objects.count() == 2


def test_new_item_page_creates_a_draft_for_own_community_only(client, personas, city):
    login(client, personas, "staff")
    data = {
        "place": city.unity.pk,
        "section": "service",
        "kind": "immediate",
        "title": "通知",
        "body": "内容",
    }
    response = client.post(reverse("disclosure_item_new"), data)
    assert response.status_code == 200 and "place" in response.context["form"].errors
    response = client.post(reverse("disclosure_item_new"), data | {"place": city.happy.pk})
    item = BoardItem.objects.get()
    assert response.status_code == 302 and item.status == ItemStatus.DRAFT and item.place == city.happy


def test_staff_list_hides_drafts_from_officers_not_from_supervisors(client, personas, sample):
    login(client, personas, "subdistrict_officer")
    page = client.get(reverse("disclosure")).content.decode()
    assert "幸福社区财务收支公开" in page and "停水通知（草稿）" not in page
    login(client, personas, "supervisor")
    page = client.get(reverse("disclosure")).content.decode()
    assert "停水通知（草稿）" in page
    page = client.get(reverse("disclosure_item", args=[sample["notice"].pk])).content.decode()
    assert 'data-test="audit-trail"' in page and "disclosure.publish" in page
    # The supervisor reads a draft but gets no buttons; a publisher gets them.
    page = client.get(reverse("disclosure_item", args=[sample["draft"].pk])).content.decode()
    assert "停水通知（草稿）" in page and 'data-test="publish"' not in page
    login(client, personas, "staff")
    page = client.get(reverse("disclosure_item", args=[sample["draft"].pk])).content.decode()
    assert 'data-test="publish"' in page and 'data-test="edit"' in page and 'data-test="correct"' not in page
    page = client.get(reverse("disclosure_item", args=[sample["notice"].pk])).content.decode()
    assert 'data-test="correct"' in page and 'data-test="edit"' not in page
    assert sample["notice"].fingerprint in page


# --- the late report -------------------------------------------------------------------------------


def test_late_report_and_export(client, personas, city):
    secretary = personas["community_secretary"]
    today = timezone.localdate()
    late = services.publish(
        actor=secretary,
        place=city.happy,
        section="finance",
        kind="periodic",
        title="迟到的财务公开",
        body="x",
        due_on=today - dt.timedelta(days=4),
    )
    services.publish(
        actor=secretary,
        place=city.happy,
        section="finance",
        kind="periodic",
        title="按时的财务公开",
        body="y",
        due_on=today + dt.timedelta(days=4),
    )
    overdue = services.draft_create(
        actor=secretary,
        place=city.happy,
        section="affairs",
        kind="periodic",
        title="未公开的季度报告",
        body="z",
        due_on=today - dt.timedelta(days=2),
    )
    services.publish(
        actor=personas["outsider"],
        place=city.unity,
        section="finance",
        title="团结社区迟到公开",
        body="w",
        due_on=today - dt.timedelta(days=1),
    )
    # A correction of the late item is not another late disclosure.
    services.correct(actor=secretary, item=late, title=late.title, body="x2", reason="更正")
    login(client, personas, "subdistrict_officer")
    response = client.get(reverse("disclosure_late"))
    report = response.context["report"]
    assert [i.title for i in report.late] == ["迟到的财务公开"] and report.late[0].days_late == 4
    assert [i.pk for i in report.overdue] == [overdue.pk] and report.overdue[0].days_overdue == 2
    assert report.per_community == [("幸福社区", 1, 1)]
    # Officers do not read drafts, but the report names what is missing.
    assert "未公开的季度报告" in response.content.decode()
    login(client, personas, "district_officer")
    report = client.get(reverse("disclosure_late")).context["report"]
    assert {i.title for i in report.late} == {"迟到的财务公开", "团结社区迟到公开"}
    before = AuditEntry.objects.count()
    response = client.post(reverse("disclosure_late_export"), {"date_from": "", "date_to": ""})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert {r[3] for r in rows[1:]} == {"迟到的财务公开", "团结社区迟到公开"}
    assert all(isinstance(v, str) for r in rows for v in r)
    assert AuditEntry.objects.count() == before + 1
    # Filtered by due date.
    report = client.get(
        reverse("disclosure_late"), {"date_from": (today - dt.timedelta(days=2)).isoformat()}
    ).context["report"]
    assert [i.title for i in report.late] == ["团结社区迟到公开"]


# --- the comment box (staff) -----------------------------------------------------------------------


def test_comment_handling_pages(client, personas, sample):
    comment = sample["comment"]
    login(client, personas, "community_secretary")
    page = client.get(reverse("disclosure_comment", args=[comment.pk])).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    client.post(reverse("disclosure_comment_reveal", args=[comment.pk]), {"reason": "回访"})
    page = client.get(reverse("disclosure_comment", args=[comment.pk])).content.decode()
    assert "13912345678" in page
    assert "13912345678" not in client.get(reverse("disclosure_comment", args=[comment.pk])).content.decode()
    client.post(reverse("disclosure_comment_assign", args=[comment.pk]), {"assignee": personas["staff"].pk})
    assert Comment.objects.get(pk=comment.pk).assignee == personas["staff"]
    login(client, personas, "supervisor")
    response = client.post(reverse("disclosure_comment_answer", args=[comment.pk]), {"answer": "x"})
    assert response.status_code == 403 and Comment.objects.get(pk=comment.pk).answer == ""
    login(client, personas, "staff")
    client.post(reverse("disclosure_comment_answer", args=[comment.pk]), {"answer": "已更换灯泡。"})
    comment.refresh_from_db()
    assert comment.status == CommentStatus.ANSWERED and comment.answer == "已更换灯泡。"
    # Not agreed to publication: not on the portal's answers page, but on the receipt page.
    page = client.get(reverse("disclosure_portal_answers", args=[comment.place_id])).content.decode()
    assert "已更换灯泡" not in page
    page = client.get(reverse("disclosure_portal_comment_status", args=[comment.number])).content.decode()
    assert "已更换灯泡" in page and "王芳" not in page and "5678" not in page
    client.post(reverse("disclosure_comment_close", args=[comment.pk]))
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.CLOSED


# --- the portal ------------------------------------------------------------------------------------


def test_portal_board_by_section_and_window(client, personas, city, sample):
    secretary = personas["community_secretary"]
    today = timezone.localdate()
    services.publish(
        actor=secretary,
        place=city.happy,
        section="affairs",
        title="已过期的通知",
        body="x",
        ends_on=today - dt.timedelta(days=1),
    )
    services.publish(
        actor=personas["district_officer"],
        place=city.district,
        section="government",
        topic="policy",
        title="和平区高龄津贴政策",
        body="80周岁以上老人每月发放高龄津贴。",
    )
    services.publish(
        actor=personas["outsider"], place=city.unity, section="affairs", title="团结社区通知", body="y"
    )
    url = reverse("disclosure_portal_community", args=[city.happy.pk])
    page = client.get(url).content.decode()
    assert "幸福社区财务收支公开" in page and "和平区高龄津贴政策" in page
    assert "已过期的通知" not in page and "团结社区通知" not in page and "停水通知（草稿）" not in page
    page = client.get(url, {"section": "finance"}).content.decode()
    assert "幸福社区财务收支公开" in page and "和平区高龄津贴政策" not in page
    page = client.get(url, {"topic": "policy"}).content.decode()
    assert "和平区高龄津贴政策" in page and "幸福社区财务收支公开" not in page
    assert "已过期的通知" in client.get(url, {"archive": "1"}).content.decode()
    # A draft has no public page.
    assert client.get(reverse("disclosure_portal_item", args=[sample["draft"].pk])).status_code == 404
    # The portal's own pages link to the board.
    assert reverse("disclosure_portal_home") in client.get(reverse("portal_file")).content.decode()


def test_short_link_redirects_to_the_exact_version(client, sample):
    notice = sample["notice"]
    response = client.get(reverse("disclosure_portal_short", args=[notice.code.lower()]))
    assert response.status_code == 302 and response.url == reverse("disclosure_portal_item", args=[notice.pk])
    assert client.get(reverse("disclosure_portal_short", args=[sample["draft"].code])).status_code == 404
    assert client.get(reverse("disclosure_portal_short", args=["NOPE"])).status_code == 404


def test_pdf_renders_chinese_fingerprint_and_short_link(client, sample):
    from pypdf import PdfReader

    notice = sample["notice"]
    response = client.get(reverse("disclosure_portal_item_pdf", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "幸福社区财务收支公开" in flat
    assert "走访慰问困难群众6,800元" in flat
    assert notice.fingerprint_short.replace(" ", "") in flat
    assert f"/portal/board/n/{notice.code}/" in flat
    # The QR code on the paper copy encodes the absolute short link (the same one printed beside it).
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from lianxin.core import qr
    from lianxin.disclosure.portal_views import _item_context

    request = RequestFactory().get("/")
    context = _item_context(request, notice)
    assert context["short_url"] == f"http://testserver/portal/board/n/{notice.code}/"
    html = render_to_string("disclosure/item_pdf.html", context)
    assert qr.svg_data_uri(context["short_url"], scale=3) in html


def test_portal_comment_form_validation_and_receipt(client, city):
    url = reverse("disclosure_portal_comment", args=[city.happy.pk])
    response = client.post(url, {"kind": "comment", "subject": "", "text": "", "phone": "12"})
    assert response.status_code == 200 and {"subject", "text"} <= set(response.context["form"].errors)
    assert Comment.objects.count() == 0
    response = client.post(
        url,
        {
            "kind": "report",
            "subject": "反映问题",
            "text": "有人占用消防通道",
            "anonymous": "on",
            "name": "张三",
        },
    )
    comment = Comment.objects.get()
    assert comment.anonymous and comment.name == "" and comment.kind == "report"
    assert comment.number in response.content.decode()
