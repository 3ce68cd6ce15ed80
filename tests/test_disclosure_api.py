"""/api/v1/notices/ and /api/v1/comments/ (issue 7): access by role, denials change nothing, a published
notice refuses PUT/PATCH with a clear message, corrections make versions, comments from anyone."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.core.models import AuditEntry
from lianxin.disclosure.models import BoardItem, Comment, CommentStatus, ItemStatus

from .conftest import PERSONA_NAMES, city_per_module
from .test_disclosure_pages import BODY, disclosure_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()

PUBLISHERS = {"community_secretary", "committee_member", "staff"}
OFFICERS = {"district_officer", "subdistrict_officer"}
BOARD_VIEWERS = OFFICERS | PUBLISHERS | {"supervisor"}


def v1(name, *args):
    return reverse(f"api:{name}", args=args)


@pytest.fixture
def sample(city, personas):
    return disclosure_sample(city)


def api(personas, role):
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(personas[role])
    return client


def state():
    return (
        list(BoardItem.objects.order_by("pk").values_list("pk", "status", "title", "body", "fingerprint")),
        list(Comment.objects.order_by("pk").values_list("pk", "status", "answer", "assignee_id")),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("role", [*PERSONA_NAMES, "anonymous"])
def test_notice_list_and_retrieve_public_or_staff_view(role, personas, sample):
    client = api(personas, role)
    response = client.get(v1("notice-list"))
    assert response.status_code == 200
    titles = {row["title"] for row in response.data["results"]}
    assert "幸福社区财务收支公开" in titles or role == "outsider"
    sees_drafts = role in PUBLISHERS | {"supervisor"}
    assert ("停水通知（草稿）" in titles) == sees_drafts
    # Retrieve: the published notice for everyone; the draft only for those who read drafts.
    assert client.get(v1("notice-detail", sample["notice"].pk)).status_code == 200
    assert client.get(v1("notice-detail", sample["draft"].pk)).status_code == (200 if sees_drafts else 404)
    # The public view even for staff.
    titles = {row["title"] for row in client.get(v1("notice-list"), {"public": "true"}).data["results"]}
    assert "停水通知（草稿）" not in titles and "幸福社区财务收支公开" in titles


@pytest.mark.parametrize("role", [*PERSONA_NAMES, "anonymous"])
def test_notice_create_publish_correct_by_role(role, personas, sample, city):
    client = api(personas, role)
    allowed = role in PUBLISHERS
    before = state()
    response = client.post(
        v1("notice-list"), {"place": city.happy.pk, "section": "service", "title": "新通知", "body": "内容"}
    )
    assert response.status_code == (
        201 if allowed else {"anonymous": 403}.get(role, 400 if role == "outsider" else 403)
    )
    patch = client.patch(v1("notice-detail", sample["notice"].pk), {"body": "改过"}, format="json")
    publish = client.post(v1("notice-publish", sample["draft"].pk))
    correct = client.post(
        v1("notice-correct", sample["notice"].pk),
        {"title": "幸福社区财务收支公开", "body": "更正后", "reason": "录入错误"},
        format="json",
    )
    if allowed:
        assert patch.status_code == 409
        assert publish.status_code == 200 and publish.data["status"] == ItemStatus.PUBLISHED
        assert (
            correct.status_code == 201
            and correct.data["version"] == 2
            and correct.data["previous"] == sample["notice"].pk
        )
        assert BoardItem.objects.get(pk=sample["notice"].pk).status == ItemStatus.CORRECTED
    else:
        # Object URLs: 404 for whoever cannot see the row (officers do not see drafts), 403 for readers.
        expected = {"anonymous": 403}.get(role, 403 if role in BOARD_VIEWERS else 404)
        expected_publish = 403 if role == "supervisor" else {"anonymous": 403}.get(role, 404)
        assert publish.status_code == expected_publish, publish.data
        assert correct.status_code == expected, correct.data
        assert patch.status_code == expected
        assert state() == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_published_notice_refuses_put_and_patch(method, personas, sample):
    client = api(personas, "community_secretary")
    before = state()
    response = getattr(client, method)(
        v1("notice-detail", sample["notice"].pk),
        {"section": "finance", "kind": "periodic", "title": "改", "body": "改过"},
        format="json",
    )
    assert response.status_code == 409
    assert "correction" in response.data["detail"] or "更正" in response.data["detail"]
    assert state() == before
    assert BoardItem.objects.get(pk=sample["notice"].pk).body == BODY


def test_draft_can_be_patched_then_published_then_not(personas, sample):
    client = api(personas, "staff")
    url = v1("notice-detail", sample["draft"].pk)
    response = client.patch(url, {"body": "明日8:00停水"}, format="json")
    assert response.status_code == 200 and response.data["body"] == "明日8:00停水"
    response = client.patch(url, {"title": " "}, format="json")
    assert response.status_code == 400 and "title" in response.data["errors"]
    assert client.post(v1("notice-publish", sample["draft"].pk)).status_code == 200
    assert client.patch(url, {"body": "再改"}, format="json").status_code == 409
    assert client.post(v1("notice-publish", sample["draft"].pk)).status_code == 400
    assert client.delete(url).status_code in (403, 405)
    assert BoardItem.objects.filter(pk=sample["draft"].pk, status=ItemStatus.PUBLISHED).exists()


def test_correct_needs_a_reason(personas, sample):
    client = api(personas, "staff")
    response = client.post(
        v1("notice-correct", sample["notice"].pk), {"title": "t", "body": "b", "reason": ""}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.data["errors"]
    assert BoardItem.objects.count() == 2


@pytest.mark.parametrize("role", [*PERSONA_NAMES, "anonymous"])
def test_comment_endpoints_by_role(role, personas, sample, city):
    client = api(personas, role)
    comment = sample["comment"]
    # Anyone may put a comment in the box.
    response = client.post(
        v1("comment-list"), {"place": city.happy.pk, "subject": "建议", "text": "多种树"}, format="json"
    )
    assert response.status_code == 201 and response.data["number"].startswith("YJ")
    viewers = BOARD_VIEWERS
    listed = client.get(v1("comment-list"))
    expected_list = 200 if role in viewers | {"outsider"} else 403
    assert listed.status_code == expected_list
    if expected_list == 200:
        numbers = {row["number"] for row in listed.data["results"]}
        assert (comment.number in numbers) == (role != "outsider")
        assert all("phone_enc" not in row for row in listed.data["results"])
    detail = client.get(v1("comment-detail", comment.pk))
    expected_detail = 200 if role in viewers else {"anonymous": 403}.get(role, 404)
    assert detail.status_code == expected_detail
    if expected_detail == 200:
        assert detail.data["phone_masked"] == "139****5678" and "13912345678" not in str(detail.data)
    before = state()
    assign = client.post(v1("comment-assign", comment.pk), {"assignee": personas["staff"].pk}, format="json")
    answer = client.post(v1("comment-answer", comment.pk), {"answer": "已处理。"}, format="json")
    if role in PUBLISHERS:
        assert assign.status_code == 200 and answer.status_code == 200
        assert answer.data["status"] == CommentStatus.ANSWERED and answer.data["answer_public"] is False
        close = client.post(v1("comment-close", comment.pk))
        assert close.status_code == 200 and close.data["status"] == CommentStatus.CLOSED
    else:
        denied = {"anonymous": 403}.get(role, 403 if role in BOARD_VIEWERS else 404)
        assert assign.status_code == denied and answer.status_code == denied
        assert client.post(v1("comment-close", comment.pk)).status_code == denied
        assert state() == before


def test_comment_submit_validation_names_fields(personas, city):
    client = APIClient()
    response = client.post(
        v1("comment-list"),
        {"place": city.happy_grid.pk, "subject": "", "text": "x", "anonymous": False, "phone": "1"},
        format="json",
    )
    assert response.status_code == 400 and {"place", "subject"} <= set(response.data["errors"])
    response = client.post(
        v1("comment-list"),
        {"place": city.happy.pk, "subject": "s", "text": "t", "anonymous": False, "phone": "1"},
        format="json",
    )
    assert response.status_code == 400 and "phone" in response.data["errors"]
    assert Comment.objects.count() == 0
