"""The joint meeting's review (admission/services/review.py, Art. 3, Art. 4(2)): the bureaus' opinions and the lead
unit's conclusion.

Every state-changing step after consultation starts goes through `workflows.engine` (support.do,
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly (support.direct_*): that is where the rule lives, and the assertion is that
nothing changed.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.status import STATUS

from admission.models import BureauReviewOpinion, DocumentKind, DutyRequest, RequestState, ReviewConclusion
from admission.services import review
from admission.services.errors import ConflictError
from tests.support import FINDINGS, bureau_opinions, conclude, direct_bureau, do, open_task, snapshot, to_under_review
from workflows import actions

# --- who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["forestry", "naji", "office_clerk", "leadership"])
def test_art3_only_joint_meeting_deciders_give_bureau_opinions(banner, key):
    request = to_under_review(banner)
    with pytest.raises(PermissionDenied):
        review.record_bureau_opinion(duty_request=request, actor=banner.users[key], passes=True, reasoning="同意。")
    assert not BureauReviewOpinion.objects.filter(request=request).exists()


@pytest.mark.parametrize("key", ["justice", "data", "office_clerk", "leadership", "forestry"])
def test_art4_2_only_the_lead_unit_concludes_the_review(banner, key):
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    before = snapshot(request)
    with pytest.raises(PermissionDenied):
        review.conclude_review(duty_request=request, actor=banner.users[key], passes=True, findings=FINDINGS)
    assert snapshot(request) == before
    assert not ReviewConclusion.objects.filter(request=request).exists()


# --- opinions and conclusion ------------------------------------------------------------------------


def test_art4_2_each_bureau_gives_one_reasoned_opinion(banner):
    request = to_under_review(banner)
    with pytest.raises(ValidationError) as error:
        review.record_bureau_opinion(duty_request=request, actor=banner.users["justice"], passes=True, reasoning="  ")
    assert set(error.value.message_dict) == {"reasoning"}
    do(
        request,
        "legality_review",
        banner.users["justice"],
        lambda: review.record_bureau_opinion(
            duty_request=request, actor=banner.users["justice"], passes=True, reasoning="依据充分。"
        ),
    )
    before = snapshot(request)
    with pytest.raises(ConflictError) as error:
        review.record_bureau_opinion(
            duty_request=request, actor=banner.users["justice"], passes=False, reasoning="改判。"
        )
    assert "旗司法局" in error.value.message
    assert BureauReviewOpinion.objects.get(request=request).passes is True
    assert snapshot(request) == before


def test_art4_2_a_second_opinion_through_the_task_is_refused_and_its_completion_rolled_back(banner):
    """The opinion's insert leaves out a second opinion of the organization (bureau_opinion_once), and the refusal
    rolls back the whole completion: the task's claim, the flow's moves and the audit event alike."""
    request = to_under_review(banner)
    direct_bureau(banner, request)  # given by the service alone, the task left open
    task = open_task(request, "legality_review")
    before = snapshot(request)
    with pytest.raises(ConflictError) as error:
        actions.give_bureau_opinion(task=task, actor=banner.users["justice"], passes=False, reasoning="改判。")
    assert error.value.message == f"{banner.org('justice').name}已出具审核意见，不能重复提交。"
    task.refresh_from_db()
    assert (task.status, task.owner) == (STATUS.NEW, None)
    assert BureauReviewOpinion.objects.get(request=request).passes is True
    assert snapshot(request) == before


def test_art4_2_the_review_waits_for_every_bureau(banner):
    request = to_under_review(banner)
    do(
        request,
        "lead_review",
        banner.users["office"],
        lambda: review.record_bureau_opinion(
            duty_request=request, actor=banner.users["office"], passes=True, reasoning="分工明确。"
        ),
    )
    with pytest.raises(ConflictError) as error:
        review.conclude_review(duty_request=request, actor=banner.users["office"], passes=True, findings=FINDINGS)
    assert "旗司法局" in error.value.message and "旗政数局" in error.value.message
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.UNDER_REVIEW
    assert not ReviewConclusion.objects.filter(request=request).exists()


def test_art4_2_a_review_cannot_pass_over_a_failing_bureau(banner):
    request = to_under_review(banner)
    bureau_opinions(banner, request, passes=("office", "data"))
    with pytest.raises(ValidationError) as error:
        review.conclude_review(duty_request=request, actor=banner.users["office"], passes=True, findings=FINDINGS)
    assert "旗司法局" in error.value.message_dict["passes"][0]
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.UNDER_REVIEW


def test_art4_2_non_admission_needs_written_reasons_and_what_to_correct_not_every_focus_point(banner):
    """Art. 4(2): "审核不通过的，应当书面说明理由" — reasons and the remedy are required; the focus points a rejection
    addresses go into the reply, the others are left out (issue 13: a rejection no longer demands all five)."""
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    with pytest.raises(ValidationError) as error:
        review.conclude_review(
            duty_request=request,
            actor=banner.users["office"],
            passes=False,
            findings={"work_content": "属于行政事务。"},
            reasons=" ",
            remedy="",
        )
    assert set(error.value.message_dict) == {"reasons", "remedy"}
    assert "第四条第二项" in error.value.message_dict["reasons"][0]
    review.conclude_review(
        duty_request=request,
        actor=banner.users["office"],
        passes=False,
        findings={"legal_basis": "缺少法定依据。"},
        reasons="无法律法规依据。",
        remedy="补充依据后重新申请。",
    )
    notice = request.documents.get(kind=DocumentKind.NON_ADMISSION_NOTICE)
    paragraphs = [block.get("h1") or block.get("p") for block in notice.content["blocks"]]
    assert paragraphs[1:7] == [
        "一、审核情况",
        "法定依据：缺少法定依据。",
        "二、依据和理由",
        "无法律法规依据。",
        "三、重新申请需改正的事项",
        "补充依据后重新申请。",
    ]


def test_art4_2_a_rejection_concluded_through_the_helper_is_rejected(banner):
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    conclude(banner, request, passes=False)
    assert request.state == RequestState.REJECTED and request.concluded_at is not None
    assert ReviewConclusion.objects.get(request=request).reasons == "法定依据不足，该事项属于部门法定职责。"
