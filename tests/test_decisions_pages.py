"""Decisions pages (issue 7): the matter page shows the chain with each record and the rule's
explanation; stages are recorded through the form; residents comment, propose topics and vote on
the portal without signing in."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from lianxin.decisions import services
from lianxin.decisions.models import AgendaItem, BallotCode, DraftComment, HouseholdVote, Matter, StageRecord

from .conftest import city_per_module
from .test_decisions_helpers import category, decisions_sample

# Built once for the module's tests (tests/conftest.city_per_module).
city_once, city, personas = city_per_module()


def test_recording_a_stage_through_the_form(client, city, personas):
    secretary = personas["community_secretary"]
    matter = services.matter_create(
        actor=secretary, place=city.happy, title="低保金发放名单", category=category("subsistence")
    )
    client.force_login(secretary)
    url = reverse("decisions_stage", args=[matter.pk])
    page = client.get(url)
    assert page.status_code == 200 and "stage-form" in page.content.decode()
    bad = client.post(
        url,
        {
            "held_on": timezone.localdate().isoformat(),
            "entitled": 7,
            "present": 9,
            "votes_for": 5,
            "votes_against": 0,
            "abstain": 0,
        },
    )
    assert bad.status_code == 200 and not StageRecord.objects.exists()
    assert "has-error" in bad.content.decode()
    done = client.post(
        url,
        {
            "held_on": timezone.localdate().isoformat(),
            "location": "党群服务中心",
            "entitled": 7,
            "present": 6,
            "votes_for": 4,
            "votes_against": 1,
            "abstain": 1,
        },
    )
    assert done.status_code == 302
    matter.refresh_from_db()
    assert matter.status == "deliberation"
    detail = client.get(reverse("decisions_matter", args=[matter.pk])).content.decode()
    record = StageRecord.objects.get(matter=matter)
    assert record.explanation in detail and "党群服务中心" in detail
    assert 'data-test="stage-proposal"' in detail and 'data-test="explanation"' in detail


def test_the_matter_list_and_the_ballot_page(client, city, personas):
    sample = decisions_sample(city)
    client.force_login(personas["staff"])
    listing = client.get(reverse("decisions")).content.decode()
    assert sample["matter"].title in listing
    ballot = client.get(reverse("decisions_ballot", args=[sample["matter"].pk])).content.decode()
    assert 'data-test="tally"' in ballot
    # Staff read but do not see the codes to hand out.
    assert 'data-test="codes"' not in ballot
    client.force_login(personas["community_secretary"])
    ballot = client.get(reverse("decisions_ballot", args=[sample["matter"].pk])).content.decode()
    code = BallotCode.objects.filter(matter=sample["matter"]).first().code
    assert code in ballot


def test_a_resident_comments_on_the_draft(client, city, personas):
    sample = decisions_sample(city)
    url = reverse("decisions_portal_matter", args=[sample["matter"].pk])
    page = client.get(url).content.decode()
    assert "改造方案草案" in page and 'data-test="comment-form"' in page
    response = client.post(url, {"text": "建议增加无障碍坡道", "name": ""})
    assert response.status_code == 200 and 'data-test="comment-sent"' in response.content.decode()
    assert DraftComment.objects.get().text == "建议增加无障碍坡道"
    home = client.get(reverse("decisions_portal")).content.decode()
    assert sample["matter"].title in home


def test_a_matter_without_draft_or_publication_is_not_public(client, city, personas):
    matter = services.matter_create(
        actor=personas["community_secretary"], place=city.happy, title="内部", category=category("other")
    )
    assert client.get(reverse("decisions_portal_matter", args=[matter.pk])).status_code == 404


def test_a_resident_proposes_a_topic(client, city, personas):
    response = client.post(
        reverse("decisions_portal_agenda"),
        {"place": city.happy.pk, "title": "小区停车难", "detail": "", "name": "", "phone": "12ab"},
    )
    assert "has-error" in response.content.decode() and not AgendaItem.objects.exists()
    response = client.post(
        reverse("decisions_portal_agenda"),
        {"place": city.happy.pk, "title": "小区停车难", "detail": "", "name": "", "phone": ""},
    )
    assert 'data-test="agenda-sent"' in response.content.decode()
    assert AgendaItem.objects.get().from_portal


def test_a_household_votes_with_its_code(client, city, personas):
    sample = decisions_sample(city)
    code = BallotCode.objects.filter(matter=sample["matter"]).first()
    response = client.post(reverse("decisions_portal_vote"), {"code": code.code.lower(), "choice": "for"})
    assert 'data-test="vote-counted"' in response.content.decode()
    again = client.post(reverse("decisions_portal_vote"), {"code": code.code, "choice": "against"})
    assert "has-error" in again.content.decode()
    assert HouseholdVote.objects.get().choice == "for"


def test_the_charter_is_public(client, city, personas):
    sample = decisions_sample(city)
    secretary = personas["community_secretary"]
    services.charter_adopt(
        actor=secretary,
        place=city.happy,
        title="幸福社区居民自治章程",
        text="第二版全文",
        adopted_by="居民代表会议",
        adopted_on=timezone.localdate() - dt.timedelta(days=3),
        change_note="增加议事日",
    )
    page = client.get(reverse("decisions_portal_charter", args=[sample["charter"].place_id])).content.decode()
    assert "第二版全文" in page and "第一条" not in page and "增加议事日" in page


def test_the_deliberation_day_page_records_the_day(client, city, personas):
    sample = decisions_sample(city)
    day, item = sample["day"], sample["item"]
    client.force_login(personas["committee_member"])
    url = reverse("decisions_day", args=[day.pk])
    assert "楼道灯坏了" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "attendees": 30,
            "minutes": "讨论楼道照明",
            f"status_{item.pk}": "discussed",
            f"outcome_{item.pk}": "物业三日内修复",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    day.refresh_from_db()
    assert day.status == "held" and item.outcome == "物业三日内修复"
    assert Matter.objects.count() == 1


def test_the_administrator_sets_mandatory_categories_and_it_is_audited(client, city, personas):
    from lianxin.core.models import AuditEntry
    from lianxin.decisions.models import MatterCategory

    environment = MatterCategory.objects.get(code="environment")
    client.force_login(personas["sysadmin"])
    url = reverse("admin:decisions_mattercategory_change", args=[environment.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": environment.name, "mandatory": "on", "major": "", "position": 7})
    assert response.status_code == 302
    environment.refresh_from_db()
    assert environment.mandatory
    assert AuditEntry.objects.filter(action="decision.category_change").exists()
    client.force_login(personas["community_secretary"])
    assert client.get(url).status_code == 302
