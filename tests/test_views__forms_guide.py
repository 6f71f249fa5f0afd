"""Forms that guide (issue 13 part 6): only the chosen branch counts (without JavaScript too), every element the
measure requires is marked with its article, amounts are parsed on the server and never lost, dates keep their
order, and the consolidated opinion starts from what the joint meeting's members wrote."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from admission.models import (
    AdvisoryOpinion,
    ApprovalDecision,
    ApprovalStage,
    BureauReviewOpinion,
    DutyRequest,
    RequestState,
    SafeguardDelivery,
    SupplementNotice,
    TownshipDuty,
)
from admission.selectors import consolidation_draft
from admission.services.requests import REQUIRED_TEXT_ELEMENTS
from tests import support
from tests.support import errors_of, field_html
from tests.test_views__forms import _task_snapshot, post_task, refused, typed


@pytest.fixture
def under_review(banner):
    return support.to_under_review(banner)


@pytest.fixture
def reviewed(banner, under_review):
    support.bureau_opinions(banner, under_review)
    return under_review


def test_art4_2_lead_review_giving_an_opinion_ignores_what_was_typed_into_asking_others(client, banner, under_review):
    data = {
        "decision": "opinion",
        "passes": "1",
        "reasoning": "职责分工清楚。",
        "question": "草拟了一半的征求意见事项",
        "departments": [banner.org("emergency").pk],
        "experts": "张三，内蒙古大学",
    }
    response = post_task(client, banner.users["office"], under_review, "lead_review", data)
    assert response.status_code == 302
    assert BureauReviewOpinion.objects.filter(request=under_review, passes=True).count() == 1
    assert not AdvisoryOpinion.objects.filter(request=under_review).exists()


def test_art4_2_intake_accepting_ignores_supplement_items_typed_before_changing_the_choice(client, banner):
    submitted = support.submitted_case(banner)
    data = {"decision": "accept", "items": "补充佐证材料", "note": ""}
    assert post_task(client, banner.users["office"], submitted, "intake", data).status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == RequestState.UNDER_REVIEW
    assert not SupplementNotice.objects.filter(request=submitted).exists()


def test_each_branch_field_names_the_choice_that_shows_it_and_is_marked_required(client, banner, under_review):
    task = support.open_task(under_review, "lead_review")
    client.force_login(banner.users["office"])
    body = client.get(reverse("workflows:execute", args=[task.pk])).content.decode()
    assert 'data-branch="decision" data-branch-values="advice"' in field_html(body, "question")
    assert 'data-branch="decision" data-branch-values="opinion"' in field_html(body, "reasoning")
    assert '<span class="required-mark">*</span>' in field_html(body, "reasoning")
    assert "data-branch" not in field_html(body, "decision")


def test_art4_1_every_element_of_the_application_is_marked_required_with_the_article(client, banner):
    client.force_login(banner.users["forestry"])
    body = client.get(reverse("admission:request_create")).content.decode()
    for name in [name for name, _label in REQUIRED_TEXT_ELEMENTS] + ["funding_amount", "townships"]:
        html = field_html(body, name)
        assert '<span class="required-mark">*</span>' in html, name
        assert "第四条第一项" in html, name
    assert "第一条" in field_html(body, "end_date") and 'data-branch-values="temporary"' in field_html(body, "end_date")
    # 全选 / 全不选: the labels come from the server (translated), the buttons from app.js.
    assert 'data-select-all="全选" data-select-none="全不选"' in field_html(body, "townships")


@pytest.mark.parametrize(
    "typed_amount",
    ["1e5", "12abc", "十二万", "+500", "1234567890123456", "12.345", "0x1F", "1,2e3"],
)
def test_art5_an_amount_that_is_not_one_is_refused_and_what_was_typed_is_kept(client, banner, typed_amount):
    client.force_login(banner.users["forestry"])
    response = client.post(reverse("admission:request_create"), typed(banner, funding_amount=typed_amount))
    assert response.status_code == 422
    body = response.content.decode()
    assert errors_of(body, "funding_amount")
    assert f'value="{typed_amount}"' in field_html(body, "funding_amount")
    assert 'inputmode="decimal"' in field_html(body, "funding_amount") and 'type="text"' in field_html(
        body, "funding_amount"
    )
    assert not DutyRequest.objects.exists()


def test_art5_an_overlong_amount_is_named_as_too_long(client, banner):
    client.force_login(banner.users["forestry"])
    body = client.post(
        reverse("admission:request_create"), typed(banner, funding_amount="1234567890123456")
    ).content.decode()
    assert "金额位数过多：整数部分最多 12 位" in errors_of(body, "funding_amount")


@pytest.mark.parametrize(
    ("typed_amount", "amount"),
    [("120,000.50", Decimal("120000.50")), ("１２００００", Decimal("120000")), (" 86500. ", Decimal("86500"))],
)
def test_art5_an_amount_with_separators_or_full_width_digits_is_read(client, banner, typed_amount, amount):
    client.force_login(banner.users["forestry"])
    response = client.post(reverse("admission:request_create"), typed(banner, funding_amount=typed_amount))
    assert response.status_code == 302
    assert DutyRequest.objects.get().funding_amount == amount


def test_art5_a_safeguard_delivery_amount_is_parsed_the_same_way(client, banner):
    duty = TownshipDuty.objects.filter(request=support.admitted(banner), township=banner.org("naji")).get()
    client.force_login(banner.users["forestry"])
    url = reverse("admission:record_delivery", args=[duty.pk])
    response = client.post(url, {"kind": "funding", "amount": "5e4", "description": "阿财预〔2026〕8号"})
    assert response.status_code == 422 and 'value="5e4"' in response.content.decode()
    assert not SafeguardDelivery.objects.exists()
    client.post(url, {"kind": "funding", "amount": "50,000", "description": "阿财预〔2026〕8号"})
    assert SafeguardDelivery.objects.get().amount == Decimal("50000")


def test_art4_2_the_consolidated_opinion_starts_from_the_three_units_opinions(client, banner, reviewed):
    task = support.open_task(reviewed, "consolidate")
    opinions = {o.organization.kind: o.reasoning for o in BureauReviewOpinion.objects.filter(request=reviewed)}
    client.force_login(banner.users["office"])
    body = client.get(reverse("workflows:execute", args=[task.pk])).content.decode()
    assert opinions["justice_bureau"] in field_html(body, "legal_basis")
    assert opinions["organization_office"] in field_html(body, "division_of_responsibilities")
    assert opinions["data_bureau"] in field_html(body, "work_content")
    assert "那吉镇同意" in field_html(body, "consultation")
    assert "工作经费" in field_html(body, "safeguards")


def test_art4_2_the_consolidated_opinion_joins_the_opinions_as_clauses_without_doubled_punctuation(banner, reviewed):
    """Each township's opinion ends with 。: the draft reads "那吉镇同意：…；六合镇同意：…", never "…。；"."""
    draft = consolidation_draft(duty_request=reviewed)
    assert "那吉镇同意" in draft["consultation"] and "；" in draft["consultation"]
    assert "。；" not in draft["consultation"] and "。；" not in draft["safeguards"]


def test_art4_2_a_rejection_is_concluded_with_reasons_and_remedy_alone(client, banner, reviewed):
    data = {"passes": "0", "reasons": "缺少法定依据。", "remedy": "补充依据后重新申请。"}
    assert post_task(client, banner.users["office"], reviewed, "consolidate", data).status_code == 302
    reviewed.refresh_from_db()
    assert reviewed.state == RequestState.REJECTED


def test_art4_3_a_city_reply_cannot_be_dated_before_the_banners_examination(client, banner):
    awaiting_approval = support.awaiting_approval_case(banner)
    support.banner_decides(banner, awaiting_approval)
    examined = ApprovalDecision.objects.get(request=awaiting_approval, stage=ApprovalStage.BANNER_EXAMINATION)
    before = _task_snapshot(awaiting_approval)
    day_before = examined.decision_date - timedelta(days=1)
    data = {
        "approves": "1",
        "document_number": "呼政字〔2026〕12号",
        "decision_date": day_before.isoformat(),
        "reply_scan": support.pdf("批复.pdf"),
        "reasons": "",
    }
    body = refused(
        post_task(client, banner.users["office"], awaiting_approval, "city_decision", data), awaiting_approval, before
    )
    assert errors_of(body, "decision_date") == (
        f"<li>市政府批复日期（{day_before:%Y-%m-%d}）不能早于旗政府审核同意的日期（{examined.decision_date:%Y-%m-%d}），"
        "请核对批复文件上的日期。</li>"
    )
    assert examined.decision_date <= timezone.localdate()
