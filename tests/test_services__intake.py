"""Intake by the lead unit (admission/services/intake.py): who accepts, the one-time supplement notice (一次性告知)
and the department's resubmission (Art. 4(1)-(2)).

Every state-changing step after consultation starts goes through `workflows.engine` (support.do,
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly (support.direct_*): that is where the rule lives, and the assertion is that
nothing changed.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from admission.models import Attachment, AttachmentKind, DutyRequest, RequestState, SupplementNotice
from admission.services import intake
from admission.services import requests as request_services
from admission.services.errors import ConflictError
from tests.support import complete_values, do, pdf, snapshot, submitted_case

# --- who may ----------------------------------------------------------------------------------------


def test_art4_1_only_the_requesting_department_resubmits_after_supplement(banner):
    request = submitted_case(banner)
    do(
        request,
        "intake",
        banner.users["office"],
        lambda: intake.return_for_supplement(
            duty_request=request, actor=banner.users["office"], items=["补充法律依据原文"]
        ),
    )
    before = snapshot(request)
    for intruder in ("emergency", "naji", "office"):
        with pytest.raises(PermissionDenied):
            intake.resubmit_request(duty_request=request, actor=banner.users[intruder], note="代为补正")
    assert snapshot(request) == before == (RequestState.SUPPLEMENTING, 1, before[2])


@pytest.mark.parametrize("key", ["justice", "data", "office_clerk", "forestry", "naji", "leadership"])
def test_art4_2_only_a_lead_unit_decider_accepts_for_review(banner, key):
    request = submitted_case(banner)
    before = snapshot(request)
    with pytest.raises(PermissionDenied) as error:
        intake.accept_for_review(duty_request=request, actor=banner.users[key])
    assert "旗委编办" in str(error.value)
    with pytest.raises(PermissionDenied):
        intake.return_for_supplement(duty_request=request, actor=banner.users[key], items=["补充材料"])
    assert snapshot(request) == before
    assert not SupplementNotice.objects.filter(request=request).exists()


def test_art4_2_the_lead_unit_of_another_banner_cannot_accept(banner, other_banner):
    request = submitted_case(banner)
    with pytest.raises(PermissionDenied):
        intake.accept_for_review(duty_request=request, actor=other_banner.users["office"])
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.SUBMITTED


def test_art4_2_a_second_reviewer_of_the_lead_unit_may_accept(banner):
    request = submitted_case(banner)
    do(
        request,
        "intake",
        banner.users["office2"],
        lambda: intake.accept_for_review(duty_request=request, actor=banner.users["office2"]),
    )
    assert request.state == RequestState.UNDER_REVIEW


# --- supplement -------------------------------------------------------------------------------------


def test_intake_supplement_notice_lists_every_item_once_and_resubmission_resolves_it(banner):
    request = submitted_case(banner)
    with pytest.raises(ValidationError) as error:
        intake.return_for_supplement(duty_request=request, actor=banner.users["office"], items=["", "  "])
    assert set(error.value.message_dict) == {"items"}
    do(
        request,
        "intake",
        banner.users["office"],
        lambda: intake.return_for_supplement(
            duty_request=request, actor=banner.users["office"], items=[" 补充法律依据原文 ", "", "补充经费预算批复"]
        ),
    )
    assert request.state == RequestState.SUPPLEMENTING
    notice = SupplementNotice.objects.get(request=request)
    assert notice.items == ["补充法律依据原文", "补充经费预算批复"] and notice.resolved_at is None
    do(
        request,
        "supplement",
        banner.users["forestry"],
        lambda: intake.resubmit_request(
            duty_request=request, actor=banner.users["forestry"], note="已补正", supporting_files=[pdf("依据.pdf")]
        ),
    )
    assert request.state == RequestState.SUBMITTED
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert Attachment.objects.filter(request=request, kind=AttachmentKind.SUPPORTING).count() == 1


def test_art4_1_supplementing_cannot_add_a_township_that_was_not_consulted(banner):
    request = submitted_case(banner)
    do(
        request,
        "intake",
        banner.users["office"],
        lambda: intake.return_for_supplement(
            duty_request=request, actor=banner.users["office"], items=["补充法律依据原文"]
        ),
    )
    with pytest.raises((ValidationError, PermissionDenied, ConflictError)):
        request_services.save_draft(
            actor=banner.users["forestry"],
            values=complete_values(),
            townships=[banner.org("naji"), banner.org("liuhe"), banner.org("yadong")],
            duty_request=request,
        )
        do(
            request,
            "supplement",
            banner.users["forestry"],
            lambda: intake.resubmit_request(duty_request=request, actor=banner.users["forestry"], note="已补正"),
        )
