"""Admission decisions (admission/services/approval.py, Art. 1 tracks, Art. 4(3)): the banner leadership's decision
and the city government's, recorded by the lead unit.

Every state-changing step after consultation starts goes through `workflows.engine` (support.do,
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly (support.direct_*): that is where the rule lives, and the assertion is that
nothing changed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from admission.models import ApprovalDecision, DutyRequest, RequestState, TownshipDuty
from admission.services import approval
from admission.services.errors import ConflictError
from tests.support import (
    admitted_temporary_case,
    awaiting_approval_case,
    awaiting_city_case,
    direct_banner_refuses,
    direct_city_approves,
    direct_city_refuses,
    pdf,
    snapshot,
    temporary_overrides,
)

# --- who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["office", "office2", "justice", "forestry", "naji"])
def test_art4_3_only_the_banner_leadership_decides_at_the_banner(banner, key):
    request = awaiting_approval_case(banner)
    before = snapshot(request)
    with pytest.raises(PermissionDenied) as error:
        approval.decide_at_banner(duty_request=request, actor=banner.users[key], approves=True)
    assert "旗委、旗政府" in str(error.value)
    assert snapshot(request) == before
    assert not ApprovalDecision.objects.filter(request=request).exists()


@pytest.mark.parametrize("key", ["leadership", "office_clerk", "justice", "forestry"])
def test_art4_3_leadership_and_others_cannot_record_the_city_decision(banner, key):
    request = awaiting_city_case(banner)
    before = snapshot(request)
    with pytest.raises(PermissionDenied):
        approval.record_city_decision(
            duty_request=request,
            actor=banner.users[key],
            approves=True,
            document_number="呼政字〔2026〕12号",
            decision_date=timezone.localdate(),
            reply_scan=pdf("批复.pdf"),
        )
    assert snapshot(request) == before
    assert not TownshipDuty.objects.filter(request=request).exists()


# --- decisions --------------------------------------------------------------------------------------


def test_art4_3_a_refusal_needs_reasons(banner):
    request = awaiting_approval_case(banner)
    with pytest.raises(ValidationError) as error:
        approval.decide_at_banner(duty_request=request, actor=banner.users["leadership"], approves=False, reasons=" ")
    assert set(error.value.message_dict) == {"reasons"}
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.AWAITING_APPROVAL


def test_art4_3_city_decision_needs_number_date_scan_and_reasons(banner):
    request = awaiting_city_case(banner)
    before = snapshot(request)
    with pytest.raises(ValidationError) as error:
        approval.record_city_decision(
            duty_request=request,
            actor=banner.users["office"],
            approves=False,
            document_number=" ",
            decision_date=None,
            reply_scan=None,
            reasons="",
        )
    assert set(error.value.message_dict) == {"document_number", "decision_date", "reply_scan", "reasons"}
    with pytest.raises(ValidationError) as error:
        approval.record_city_decision(
            duty_request=request,
            actor=banner.users["office"],
            approves=True,
            document_number="呼政字〔2026〕12号",
            decision_date=timezone.localdate() + timedelta(days=1),
            reply_scan=pdf(),
        )
    assert error.value.message_dict == {"decision_date": ["批复日期不能晚于今天。"]}
    assert snapshot(request) == before


def test_art4_3_a_temporary_task_is_admitted_by_the_banner_and_never_goes_to_the_city(banner):
    request = admitted_temporary_case(banner)
    assert request.state == RequestState.ADMITTED
    decision = ApprovalDecision.objects.get(request=request)
    assert decision.body == banner.org("leadership") and decision.approves
    assert set(TownshipDuty.objects.filter(request=request).values_list("township", flat=True)) == {
        banner.org("naji").pk,
        banner.org("liuhe").pk,
    }
    with pytest.raises(ConflictError):
        direct_city_approves(banner, request)


@pytest.mark.parametrize("temporary", [False, True], ids=["regular", "temporary"])
def test_art4_3_a_city_refusal_cannot_be_recorded_before_the_banner_has_examined(banner, temporary):
    request = awaiting_approval_case(banner, **(temporary_overrides() if temporary else {}))
    before = snapshot(request)
    with pytest.raises(ConflictError):
        direct_city_refuses(banner, request)
    assert snapshot(request) == before


def test_art4_3_the_banner_cannot_decide_twice(banner):
    request = awaiting_city_case(banner)
    before = snapshot(request)
    with pytest.raises(ConflictError):
        direct_banner_refuses(banner, request)
    assert snapshot(request) == before
