"""The service layer (admission/services/*) and the DutyRequest FSM, article by article.

Every state-changing step after consultation starts goes through `workflows.engine` (support.do and
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly: that is where the rule lives, and the assertion is that nothing changed.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from admission.models import (
    AffairClass,
    ApprovalDecision,
    Attachment,
    AttachmentKind,
    AuditAction,
    AuditEvent,
    BureauReviewOpinion,
    Consultation,
    ConsultationOutcome,
    DutyRequest,
    RequestState,
    ReviewConclusion,
    SupplementNotice,
    TownshipDuty,
    Track,
)
from admission.models.requests import FINAL_STATES
from admission.services import approval, consultation, intake, review
from admission.services import requests as request_services
from admission.services.errors import ConflictError
from admission.services.requests import MEASURE, OUT_OF_SCOPE_REASONS, REQUIRED_TEXT_ELEMENTS
from admission.services.uploads import check_upload
from tests import support
from tests.support import (
    FINDINGS,
    banner_decides,
    bureau_opinions,
    city_decides,
    complete_values,
    conclude,
    consult_all,
    do,
    draft,
    open_task,
    pdf,
    submit,
    to_under_review,
)
from workflows import actions, engine
from workflows.models import AdmissionProcess

MB = 1024 * 1024


# --- helpers ----------------------------------------------------------------------------------------


def _consulting(banner, **overrides):
    return actions.consult_townships(duty_request=draft(banner, **overrides), actor=banner.users["forestry"])


def _consulted(banner, **overrides):
    request = _consulting(banner, **overrides)
    consult_all(banner, request)
    return request


def _revising(banner):
    request = _consulting(banner)
    consult_all(banner, request, disagree=("liuhe",))
    return request


def _submitted(banner):
    request = _consulted(banner)
    submit(banner, request)
    return request


def _awaiting_approval(banner, **overrides):
    request = to_under_review(banner, **overrides)
    bureau_opinions(banner, request)
    conclude(banner, request)
    return request


def _awaiting_city(banner):
    request = _awaiting_approval(banner)
    banner_decides(banner, request)
    return request


def _temporary_overrides():
    return {"track": Track.TEMPORARY, "end_date": timezone.localdate() + timedelta(days=180),
            "completion_time_limit": "2027年5月31日前"}


def _admitted(banner):
    request = _awaiting_approval(banner, **_temporary_overrides())
    banner_decides(banner, request)
    return request


def _rejected(banner):
    request = to_under_review(banner)
    bureau_opinions(banner, request, passes=("office", "data"))
    conclude(banner, request, passes=False)
    return request


def _withdrawn(banner):
    request = _consulting(banner)
    return actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="方案调整，撤回重报。")


STAGES = {
    "draft": lambda b: draft(b),
    "consulting": _consulting,
    "revising": _revising,
    "consulted": _consulted,
    "submitted": _submitted,
    "under_review": lambda b: to_under_review(b),
    "awaiting_approval": _awaiting_approval,
    "awaiting_city": _awaiting_city,
    "admitted": _admitted,
    "rejected": _rejected,
    "withdrawn": _withdrawn,
}


def _events(request) -> list[int]:
    return list(AuditEvent.objects.filter(request_id=request.pk).order_by("pk").values_list("pk", flat=True))


def _snapshot(request):
    fresh = DutyRequest.objects.get(pk=request.pk)
    return fresh.state, fresh.consultation_round, _events(request)


def _blank_values(**overrides) -> dict:
    """What the edit form hands the service when nothing was filled in (forms.DutyRequestForm.values)."""
    values: dict[str, object] = dict.fromkeys(request_services.EDITABLE_FIELDS, "")
    values.update(affair_class=AffairClass.ADMINISTRATIVE_AFFAIR, track=Track.REGULAR, end_date=None,
                  funding_amount=None)
    values.update(overrides)
    return values


def _ofd_bytes(*, with_root: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        if with_root:
            package.writestr("OFD.xml", '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD DocType="OFD"/>')
        package.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return buffer.getvalue()


# --- Art. 4(1): completeness -------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   \n\t"], ids=["empty", "whitespace"])
@pytest.mark.parametrize(("field", "label"), REQUIRED_TEXT_ELEMENTS, ids=[f for f, _ in REQUIRED_TEXT_ELEMENTS])
def test_art4_1_each_missing_element_is_named(banner, field, label, blank):
    request = draft(banner, **{field: blank})
    assert request.state == RequestState.DRAFT  # a draft may be incomplete
    before = _snapshot(request)
    with pytest.raises(ValidationError) as error:
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    errors = error.value.message_dict
    assert set(errors) == {field}
    assert errors[field] == [f"请填写“{label}”（第四条第一项要求书面申请包括此项）。"]
    assert _snapshot(request) == before
    assert not Consultation.objects.filter(request=request).exists()
    assert not AdmissionProcess.for_request(request).exists()


@pytest.mark.parametrize(("overrides", "townships", "field", "words"), [
    ({"funding_amount": None}, ("naji",), "funding_amount", ("工作经费金额", "第五条")),
    ({"funding_source": ""}, ("naji",), "funding_source", ("经费来源",)),
    ({"funding_source": "  "}, ("naji",), "funding_source", ("经费来源",)),
    ({}, (), "townships", ("至少选择一个", "乡镇")),
    ({"track": Track.TEMPORARY, "end_date": None}, ("naji",), "end_date", ("截止日期", "阶段性、临时性")),
], ids=["funding_amount_none", "funding_source_empty", "funding_source_blank", "townships_empty",
        "temporary_without_end_date"])
def test_art4_1_missing_safeguard_township_or_end_date_is_named(banner, overrides, townships, field, words):
    request = draft(banner, townships=townships, **overrides)
    before = _snapshot(request)
    with pytest.raises(ValidationError) as error:
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    errors = error.value.message_dict
    assert set(errors) == {field}
    for word in words:
        assert word in errors[field][0]
    assert _snapshot(request) == before
    assert not AdmissionProcess.for_request(request).exists()


def test_art4_1_no_funding_is_allowed_when_stated_as_zero(banner):
    request = draft(banner, funding_amount=Decimal("0"), funding_source="")
    request = actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    assert request.state == RequestState.CONSULTING


def test_art4_1_all_missing_elements_are_named_in_one_error(banner):
    values = _blank_values(track=Track.TEMPORARY)
    request = request_services.save_draft(actor=banner.users["forestry"], values=values, townships=[])
    assert request.state == RequestState.DRAFT and request.pk is not None
    with pytest.raises(ValidationError) as error:
        request_services.start_consultation(duty_request=request, actor=banner.users["forestry"])
    errors = error.value.message_dict
    expected = {f for f, _ in REQUIRED_TEXT_ELEMENTS} | {"funding_amount", "townships", "end_date"}
    assert set(errors) == expected
    for field, label in REQUIRED_TEXT_ELEMENTS:
        assert str(label) in errors[field][0]
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT and request.consultation_round == 0


def test_art4_1_a_draft_may_be_saved_incomplete_and_completed_later(banner):
    forestry = banner.users["forestry"]
    request = request_services.save_draft(actor=forestry, values=_blank_values(duty_name="森林草原防火巡查"), townships=[])
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT
    assert request.work_objective == "" and request.funding_amount is None and not request.townships.exists()
    created = AuditEvent.objects.get(request=request)
    assert created.action == AuditAction.CREATE_REQUEST and created.from_state == created.to_state == ""

    request = request_services.save_draft(actor=forestry, values=complete_values(), townships=[banner.org("naji")],
                                          duty_request=request)
    update = AuditEvent.objects.filter(request=request).latest("pk")
    assert update.action == AuditAction.UPDATE_REQUEST
    assert "work_objective" in update.data["changed_fields"] and "townships" in update.data["changed_fields"]
    assert "duty_name" not in update.data["changed_fields"]
    request = actions.consult_townships(duty_request=request, actor=forestry)
    assert request.state == RequestState.CONSULTING


def test_art4_1_start_consultation_rechecks_format_rules_on_a_draft_whose_end_date_has_passed(banner):
    request = draft(banner, **_temporary_overrides())
    DutyRequest.objects.filter(pk=request.pk).update(end_date=timezone.localdate())
    with pytest.raises(ValidationError) as error:
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    assert error.value.message_dict == {"end_date": ["阶段性、临时性工作任务的截止日期须晚于今天。"]}
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


# --- Art. 1 / Art. 7: scope --------------------------------------------------------------------------


SCOPE_KEYWORDS = {
    AffairClass.ADMINISTRATIVE_PENALTY: ("行政处罚", "不适用职责准入", "第一条", "行政执法权下放", "依法赋权"),
    AffairClass.ADMINISTRATIVE_LICENSING: ("行政许可", "不适用职责准入", "第一条", "相对集中行政许可权", "权责清单"),
    AffairClass.ADMINISTRATIVE_COERCION: ("行政强制", "不适用职责准入", "第一条", "行政执法权下放", "依法赋权"),
    AffairClass.OTHER_ADMINISTRATIVE_POWER: ("行政征收", "行政权力事项", "不适用职责准入", "第一条", "依法赋权"),
    AffairClass.EMERGENCY_HANDLING: ("突发、紧急事件处置", "不宜纳入", "第七条", "应急预案", "属地应急处置机制"),
}


def test_art1_every_out_of_scope_class_has_a_reason():
    out_of_scope = {c for c in AffairClass if c != AffairClass.ADMINISTRATIVE_AFFAIR}
    assert set(OUT_OF_SCOPE_REASONS) == out_of_scope == set(SCOPE_KEYWORDS)


@pytest.mark.parametrize("affair_class", list(SCOPE_KEYWORDS), ids=[c.value for c in SCOPE_KEYWORDS])
def test_art1_art7_out_of_scope_affair_is_refused_with_reason_and_channel(banner, affair_class):
    with pytest.raises(ValidationError) as error:
        draft(banner, affair_class=affair_class)
    errors = error.value.message_dict
    assert set(errors) == {"affair_class"}
    message = errors["affair_class"][0]
    assert message == OUT_OF_SCOPE_REASONS[affair_class] % {"measure": MEASURE}
    assert str(MEASURE) in message
    for word in SCOPE_KEYWORDS[affair_class]:
        assert word in message
    assert not DutyRequest.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("affair_class", list(SCOPE_KEYWORDS), ids=[c.value for c in SCOPE_KEYWORDS])
def test_art1_art7_an_existing_draft_cannot_be_changed_to_an_out_of_scope_affair(banner, affair_class):
    request = draft(banner)
    before = _snapshot(request)
    with pytest.raises(ValidationError) as error:
        request_services.save_draft(actor=banner.users["forestry"], values=complete_values(affair_class=affair_class),
                                    townships=[banner.org("naji")], duty_request=request)
    assert "affair_class" in error.value.message_dict
    request.refresh_from_db()
    assert request.affair_class == AffairClass.ADMINISTRATIVE_AFFAIR
    assert set(request.townships.all()) == {banner.org("naji"), banner.org("liuhe")}
    assert _snapshot(request) == before


def test_art1_out_of_scope_affair_is_refused_again_when_consultation_starts(banner):
    request = draft(banner)
    DutyRequest.objects.filter(pk=request.pk).update(affair_class=AffairClass.ADMINISTRATIVE_PENALTY)
    with pytest.raises(ValidationError) as error:
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    assert "行政处罚" in error.value.message_dict["affair_class"][0]
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


# --- format rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"track": Track.REGULAR, "end_date": timezone.localdate() + timedelta(days=30)}, "end_date",
     "常态化职责事项不设截止日期；如工作有明确时限，请将准入类型选为“阶段性、临时性工作任务”。"),
    ({"track": Track.TEMPORARY, "end_date": timezone.localdate()}, "end_date",
     "阶段性、临时性工作任务的截止日期须晚于今天。"),
    ({"track": Track.TEMPORARY, "end_date": timezone.localdate() - timedelta(days=1)}, "end_date",
     "阶段性、临时性工作任务的截止日期须晚于今天。"),
    ({"funding_amount": Decimal("-0.01")}, "funding_amount", "工作经费不能为负数。"),
], ids=["regular_with_end_date", "temporary_ending_today", "temporary_ending_yesterday", "negative_funding"])
def test_format_rules_refuse_the_draft(banner, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        draft(banner, **overrides)
    assert error.value.message_dict == {field: [message]}
    assert not DutyRequest.objects.exists()


def test_format_rules_accept_a_temporary_task_ending_tomorrow(banner):
    request = draft(banner, track=Track.TEMPORARY, end_date=timezone.localdate() + timedelta(days=1))
    assert request.state == RequestState.DRAFT and request.track == Track.TEMPORARY


def test_format_errors_are_reported_together(banner):
    with pytest.raises(ValidationError) as error:
        draft(banner, affair_class=AffairClass.ADMINISTRATIVE_LICENSING, end_date=timezone.localdate(),
              funding_amount=Decimal("-5"))
    assert set(error.value.message_dict) == {"affair_class", "end_date", "funding_amount"}


# --- townships ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("org_key", ["forestry", "emergency", "office", "justice", "data", "leadership", "city"])
def test_only_townships_can_be_named(banner, org_key):
    with pytest.raises(ValidationError) as error:
        request_services.save_draft(actor=banner.users["forestry"], values=complete_values(),
                                    townships=[banner.org("naji"), banner.org(org_key)])
    assert error.value.message_dict == {"townships": ["只能选择本旗的乡镇。"]}
    assert not DutyRequest.objects.exists()


def test_townships_of_another_jurisdiction_are_refused_on_create_and_on_edit(banner, other_banner):
    with pytest.raises(ValidationError) as error:
        request_services.save_draft(actor=banner.users["forestry"], values=complete_values(),
                                    townships=[banner.org("naji"), other_banner.org("naji")])
    assert error.value.message_dict == {"townships": ["只能选择本旗的乡镇。"]}
    assert not DutyRequest.objects.exists()

    request = draft(banner)
    with pytest.raises(ValidationError):
        request_services.save_draft(actor=banner.users["forestry"], values=complete_values(),
                                    townships=[other_banner.org("liuhe")], duty_request=request)
    assert set(DutyRequest.objects.get(pk=request.pk).townships.all()) == {banner.org("naji"), banner.org("liuhe")}


def test_the_request_belongs_to_the_actors_department_and_jurisdiction(banner):
    request = draft(banner, department="emergency", townships=("yadong",))
    assert request.department == banner.org("emergency")
    assert request.jurisdiction == banner.jurisdiction
    assert request.created_by == banner.users["emergency"]
    assert list(request.townships.all()) == [banner.org("yadong")]


# --- permissions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["naji", "liuhe", "yadong", "office", "office_clerk", "office2", "justice", "data",
                                 "leadership"])
def test_only_a_department_can_create_a_draft(banner, key):
    with pytest.raises(PermissionDenied) as error:
        draft(banner, department=key)
    assert "只有旗直职能部门" in str(error.value)
    assert not DutyRequest.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("intruder", ["emergency", "agriculture", "naji", "office"])
def test_only_the_requesting_department_edits_its_draft(banner, intruder):
    request = draft(banner)
    before = _snapshot(request)
    with pytest.raises(PermissionDenied):
        request_services.save_draft(actor=banner.users[intruder], values=complete_values(duty_name="篡改"),
                                    townships=[banner.org("yadong")], duty_request=request)
    request.refresh_from_db()
    assert request.duty_name == "森林草原防火巡查" and _snapshot(request) == before


def test_a_department_of_another_banner_cannot_edit_or_consult(banner, other_banner):
    request = draft(banner)
    with pytest.raises(PermissionDenied):
        request_services.save_draft(actor=other_banner.users["forestry"], values=complete_values(),
                                    townships=[banner.org("naji")], duty_request=request)
    with pytest.raises(PermissionDenied):
        actions.consult_townships(duty_request=request, actor=other_banner.users["forestry"])
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


@pytest.mark.parametrize("intruder", ["emergency", "naji", "office"])
def test_only_the_requesting_department_starts_consultation(banner, intruder):
    request = draft(banner)
    before = _snapshot(request)
    with pytest.raises(PermissionDenied):
        actions.consult_townships(duty_request=request, actor=banner.users[intruder])
    assert _snapshot(request) == before
    assert not AdmissionProcess.for_request(request).exists()


@pytest.mark.parametrize("intruder", ["emergency", "naji", "office"])
def test_only_the_requesting_department_submits(banner, intruder):
    request = _consulted(banner)
    before = _snapshot(request)
    with pytest.raises(PermissionDenied):
        request_services.submit_request(duty_request=request, actor=banner.users[intruder], application_letter=pdf())
    with pytest.raises(PermissionDenied):
        do(request, "submit", banner.users[intruder], lambda: request_services.submit_request(
            duty_request=request, actor=banner.users[intruder], application_letter=pdf()))
    assert _snapshot(request) == before
    assert not Attachment.objects.filter(request=request).exists()
    open_task(request, "submit")  # still waiting for the department


@pytest.mark.parametrize("intruder", ["emergency", "naji", "office", "leadership"])
def test_only_the_requesting_department_withdraws(banner, intruder):
    request = _consulting(banner)
    before = _snapshot(request)
    with pytest.raises(PermissionDenied):
        actions.withdraw(duty_request=request, actor=banner.users[intruder], reason="越权撤回。")
    assert _snapshot(request) == before


def test_only_the_requesting_department_resubmits_after_supplement(banner):
    request = _submitted(banner)
    do(request, "intake", banner.users["office"], lambda: intake.return_for_supplement(
        duty_request=request, actor=banner.users["office"], items=["补充法律依据原文"]))
    before = _snapshot(request)
    for intruder in ("emergency", "naji", "office"):
        with pytest.raises(PermissionDenied):
            intake.resubmit_request(duty_request=request, actor=banner.users[intruder], note="代为补正")
    assert _snapshot(request) == before == (RequestState.SUPPLEMENTING, 1, before[2])


@pytest.mark.parametrize("intruder", ["liuhe", "yadong", "forestry", "office"])
def test_art4_1_only_the_consulted_township_records_its_opinion(banner, intruder):
    request = _consulting(banner)
    naji = request.current_consultations().get(township=banner.org("naji"))
    before = _snapshot(request)
    with pytest.raises(PermissionDenied):
        consultation.record_consultation_opinion(consultation=naji, actor=banner.users[intruder], agrees=True,
                                                 opinion="代为同意，按方案落实。")
    naji.refresh_from_db()
    assert naji.outcome == ConsultationOutcome.PENDING and naji.responded_by is None
    assert _snapshot(request) == before


def test_art4_1_the_flow_refuses_a_township_working_on_another_townships_task(banner):
    request = _consulting(banner)
    naji = request.current_consultations().get(township=banner.org("naji"))
    with pytest.raises(PermissionDenied):
        do(request, "consult", banner.users["liuhe"], lambda: None, consultation=naji.pk)
    open_task(request, "consult", consultation=naji.pk)


@pytest.mark.parametrize("key", ["justice", "data", "office_clerk", "forestry", "naji", "leadership"])
def test_art4_2_only_a_lead_unit_decider_accepts_for_review(banner, key):
    request = _submitted(banner)
    before = _snapshot(request)
    with pytest.raises(PermissionDenied) as error:
        intake.accept_for_review(duty_request=request, actor=banner.users[key])
    assert "旗委编办" in str(error.value)
    with pytest.raises(PermissionDenied):
        intake.return_for_supplement(duty_request=request, actor=banner.users[key], items=["补充材料"])
    assert _snapshot(request) == before
    assert not SupplementNotice.objects.filter(request=request).exists()


def test_art4_2_the_lead_unit_of_another_banner_cannot_accept(banner, other_banner):
    request = _submitted(banner)
    with pytest.raises(PermissionDenied):
        intake.accept_for_review(duty_request=request, actor=other_banner.users["office"])
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.SUBMITTED


def test_art4_2_a_second_reviewer_of_the_lead_unit_may_accept(banner):
    request = _submitted(banner)
    do(request, "intake", banner.users["office2"],
       lambda: intake.accept_for_review(duty_request=request, actor=banner.users["office2"]))
    assert request.state == RequestState.UNDER_REVIEW


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
    before = _snapshot(request)
    with pytest.raises(PermissionDenied):
        review.conclude_review(duty_request=request, actor=banner.users[key], passes=True, findings=FINDINGS)
    assert _snapshot(request) == before
    assert not ReviewConclusion.objects.filter(request=request).exists()


@pytest.mark.parametrize("key", ["office", "office2", "justice", "forestry", "naji"])
def test_art4_3_only_the_banner_leadership_decides_at_the_banner(banner, key):
    request = _awaiting_approval(banner)
    before = _snapshot(request)
    with pytest.raises(PermissionDenied) as error:
        approval.decide_at_banner(duty_request=request, actor=banner.users[key], approves=True)
    assert "旗委、旗政府" in str(error.value)
    assert _snapshot(request) == before
    assert not ApprovalDecision.objects.filter(request=request).exists()


@pytest.mark.parametrize("key", ["leadership", "office_clerk", "justice", "forestry"])
def test_art4_3_leadership_and_others_cannot_record_the_city_decision(banner, key):
    request = _awaiting_city(banner)
    before = _snapshot(request)
    with pytest.raises(PermissionDenied):
        approval.record_city_decision(duty_request=request, actor=banner.users[key], approves=True,
                                      document_number="呼政字〔2026〕12号", decision_date=timezone.localdate(),
                                      reply_scan=pdf("批复.pdf"))
    assert _snapshot(request) == before
    assert not TownshipDuty.objects.filter(request=request).exists()


# --- illegal transitions -----------------------------------------------------------------------------


def _submit(b, r):
    return request_services.submit_request(duty_request=r, actor=b.users["forestry"], application_letter=pdf())


def _accept(b, r):
    return intake.accept_for_review(duty_request=r, actor=b.users["office"])


def _supplement(b, r):
    return intake.return_for_supplement(duty_request=r, actor=b.users["office"], items=["补充法律依据"])


def _resubmit(b, r):
    return intake.resubmit_request(duty_request=r, actor=b.users["forestry"], note="已补正")


def _bureau(b, r):
    return review.record_bureau_opinion(duty_request=r, actor=b.users["justice"], passes=True, reasoning="依据充分。")


def _conclude(b, r):
    return review.conclude_review(duty_request=r, actor=b.users["office"], passes=True, findings=FINDINGS)


def _banner_approves(b, r):
    return approval.decide_at_banner(duty_request=r, actor=b.users["leadership"], approves=True)


def _banner_refuses(b, r):
    return approval.decide_at_banner(duty_request=r, actor=b.users["leadership"], approves=False, reasons="暂缓下放。")


def _city_approves(b, r):
    return approval.record_city_decision(duty_request=r, actor=b.users["office"], approves=True,
                                         document_number="呼政字〔2026〕12号", decision_date=timezone.localdate(),
                                         reply_scan=pdf("批复.pdf"))


def _city_refuses(b, r):
    return approval.record_city_decision(duty_request=r, actor=b.users["office"], approves=False,
                                         document_number="呼政字〔2026〕13号", decision_date=timezone.localdate(),
                                         reply_scan=pdf("批复.pdf"), reasons="不符合要求。")


def _start(b, r):
    return request_services.start_consultation(duty_request=r, actor=b.users["forestry"])


def _withdraw(b, r):
    return actions.withdraw(duty_request=r, actor=b.users["forestry"], reason="撤回。")


def _edit(b, r):
    return request_services.save_draft(actor=b.users["forestry"], values=complete_values(duty_name="改名"),
                                       townships=[b.org("naji")], duty_request=r)


ILLEGAL = [
    ("draft", _submit, ConflictError),
    ("consulting", _submit, ConflictError),           # consultation pending (Art. 4(1))
    ("revising", _submit, ConflictError),             # a township disagreed (Art. 4(1))
    ("submitted", _submit, ConflictError),            # no second submission
    ("draft", _accept, ConflictError),                # accepting a draft
    ("consulted", _accept, ConflictError),
    ("under_review", _accept, ConflictError),
    ("consulting", _supplement, ConflictError),
    ("under_review", _supplement, ConflictError),
    ("submitted", _resubmit, ConflictError),
    ("submitted", _bureau, ConflictError),            # review before intake
    ("awaiting_approval", _bureau, ConflictError),
    ("submitted", _conclude, ConflictError),
    ("submitted", _banner_approves, ConflictError),
    ("under_review", _banner_approves, ConflictError),  # approving before review (Art. 4(2)-(3))
    ("under_review", _banner_refuses, ConflictError),
    ("awaiting_city", _banner_approves, ConflictError),
    ("admitted", _banner_approves, ConflictError),
    ("under_review", _city_approves, ConflictError),
    ("awaiting_approval", _city_approves, ConflictError),  # the city only after the banner's examination
    ("rejected", _city_approves, ConflictError),
    ("consulting", _start, PermissionDenied),         # content is frozen while the townships are consulted
    ("consulted", _start, PermissionDenied),
    ("consulting", _edit, PermissionDenied),
    ("consulted", _edit, PermissionDenied),
    ("under_review", _edit, PermissionDenied),
    ("admitted", _edit, PermissionDenied),
    ("admitted", _withdraw, PermissionDenied),        # withdrawal only before a decision
    ("rejected", _withdraw, PermissionDenied),
    ("withdrawn", _withdraw, PermissionDenied),
]


@pytest.mark.parametrize(("stage", "action", "exception"), ILLEGAL,
                         ids=[f"{s}-{a.__name__.lstrip('_')}" for s, a, _ in ILLEGAL])
def test_illegal_transitions_are_refused_and_change_nothing(banner, stage, action, exception):
    request = STAGES[stage](banner)
    request.refresh_from_db()
    assert request.state == stage
    before = _snapshot(request)
    decisions = ApprovalDecision.objects.filter(request=request).count()
    attachments = Attachment.objects.filter(request=request).count()
    with pytest.raises(exception) as error:
        action(banner, request)
    if exception is ConflictError:
        assert f"「{RequestState(stage).label}」" in error.value.message
    assert _snapshot(request) == before
    assert ApprovalDecision.objects.filter(request=request).count() == decisions
    assert Attachment.objects.filter(request=request).count() == attachments


def test_withdrawal_after_a_decision_names_the_reason(banner):
    request = _admitted(banner)
    with pytest.raises(PermissionDenied) as error:
        request_services.withdraw_request(duty_request=request, actor=banner.users["forestry"], reason="撤回。")
    assert "作出决定前" in str(error.value)


def test_a_refused_transition_message_names_state_and_action(banner):
    request = _consulting(banner)
    with pytest.raises(ConflictError) as error:
        _submit(banner, request)
    assert error.value.message == "该申请当前状态为「征求乡镇意见中」，不能执行「提交书面申请」。请刷新页面查看最新进展。"


def test_services_act_on_the_current_state_not_the_callers_stale_copy(banner):
    request = _consulted(banner)
    stale = DutyRequest.objects.get(pk=request.pk)
    actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="方案调整。")
    assert stale.state == RequestState.CONSULTED
    before = _snapshot(request)
    with pytest.raises(ConflictError) as error:
        _submit(banner, stale)
    assert "「已撤回」" in error.value.message
    assert _snapshot(request) == before


def test_withdrawal_needs_a_reason_and_cancels_the_flow(banner):
    request = _consulted(banner)
    with pytest.raises(ValidationError) as error:
        actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="  ")
    assert error.value.message_dict == {"reason": ["请写明撤回理由。"]}
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.CONSULTED
    request = actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="方案调整，撤回重报。")
    assert request.state == RequestState.WITHDRAWN and request.concluded_at is not None
    assert not engine.open_tasks(request).exists()
    event = AuditEvent.objects.filter(request=request).latest("pk")
    assert (event.action, event.from_state, event.to_state, event.note) == (
        AuditAction.WITHDRAW_REQUEST, RequestState.CONSULTED, RequestState.WITHDRAWN, "方案调整，撤回重报。")


def test_a_draft_can_be_withdrawn_without_a_flow(banner):
    request = draft(banner)
    request = actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="不再需要。")
    assert request.state == RequestState.WITHDRAWN


# --- the FSM itself ----------------------------------------------------------------------------------


def test_fsm_state_cannot_be_assigned_directly(banner):
    request = draft(banner)
    with pytest.raises(AttributeError):
        request.state = RequestState.ADMITTED
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_fsm_final_states_have_no_way_out(state):
    request = DutyRequest(state=state, track=Track.REGULAR)
    assert list(request.get_available_state_transitions()) == []
    assert request.is_final and not request.is_editable


def test_fsm_track_decides_who_approves():
    regular = DutyRequest(state=RequestState.AWAITING_APPROVAL, track=Track.REGULAR)
    temporary = DutyRequest(state=RequestState.AWAITING_APPROVAL, track=Track.TEMPORARY)
    assert can_proceed(regular.pass_banner_examination) and not can_proceed(regular.approve_temporary)
    assert can_proceed(temporary.approve_temporary) and not can_proceed(temporary.pass_banner_examination)
    assert not can_proceed(regular.record_city_approval)
    assert can_proceed(DutyRequest(state=RequestState.AWAITING_CITY, track=Track.REGULAR).record_city_approval)


def test_fsm_consultation_conditions(banner):
    request = _consulting(banner, townships=("naji", "liuhe", "yadong"))
    assert not can_proceed(request.conclude_consultation_agreed)
    assert not can_proceed(request.conclude_consultation_disagreed)
    assert not can_proceed(request.submit)
    naji = request.current_consultations().get(township=banner.org("naji"))
    do(request, "consult", banner.users["naji"], lambda: consultation.record_consultation_opinion(
        consultation=naji, actor=banner.users["naji"], agrees=False, opinion="人员不足，建议明确每镇 2 名专职人员。"),
       consultation=naji.pk)
    # one disagreement, two still pending: the consultation is not over yet
    assert request.state == RequestState.CONSULTING
    assert not can_proceed(request.conclude_consultation_disagreed)
    assert not can_proceed(request.conclude_consultation_agreed)


def test_fsm_a_stale_instance_cannot_overwrite_a_newer_state(banner):
    request = draft(banner)
    first = DutyRequest.objects.get(pk=request.pk)
    second = DutyRequest.objects.get(pk=request.pk)
    first.withdraw()
    first.save()
    second.start_consultation()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.WITHDRAWN


# --- consultation (Art. 4(1)) ------------------------------------------------------------------------


def test_art4_1_consultation_creates_one_pending_opinion_per_township(banner):
    request = _consulting(banner, townships=("naji", "liuhe", "yadong"))
    assert request.state == RequestState.CONSULTING and request.consultation_round == 1
    rows = Consultation.objects.filter(request=request)
    assert {(c.township_id, c.round, c.outcome) for c in rows} == {
        (banner.org(k).pk, 1, ConsultationOutcome.PENDING) for k in ("naji", "liuhe", "yadong")}
    assert {t.data["township"] for t in engine.open_tasks(request)} == {banner.org(k).pk for k in ("naji", "liuhe", "yadong")}


@pytest.mark.parametrize(("opinion", "message"), [
    ("", "请填写书面意见的内容。"),
    ("   ", "请填写书面意见的内容。"),
    ("不同意。", "不同意时请写明理由和修改建议（不少于 10 个字），以便部门修改。"),
    ("人员不足，不同意。", "不同意时请写明理由和修改建议（不少于 10 个字），以便部门修改。"),
])
def test_art4_1_a_disagreement_requires_written_reasons(banner, opinion, message):
    request = _consulting(banner)
    naji = request.current_consultations().get(township=banner.org("naji"))
    before = _snapshot(request)
    with pytest.raises(ValidationError) as error:
        do(request, "consult", banner.users["naji"], lambda: consultation.record_consultation_opinion(
            consultation=naji, actor=banner.users["naji"], agrees=False, opinion=opinion), consultation=naji.pk)
    assert error.value.message_dict == {"opinion": [message]}
    naji.refresh_from_db()
    assert naji.outcome == ConsultationOutcome.PENDING and naji.opinion == ""
    assert _snapshot(request) == before
    open_task(request, "consult", consultation=naji.pk)  # the task is still there, unclaimed work rolled back


def test_art4_1_an_agreement_needs_some_written_opinion_but_no_minimum_length(banner):
    request = _consulting(banner)
    naji = request.current_consultations().get(township=banner.org("naji"))
    with pytest.raises(ValidationError):
        consultation.record_consultation_opinion(consultation=naji, actor=banner.users["naji"], agrees=True,
                                                 opinion=" ")
    do(request, "consult", banner.users["naji"], lambda: consultation.record_consultation_opinion(
        consultation=naji, actor=banner.users["naji"], agrees=True, opinion="同意。"), consultation=naji.pk)
    naji.refresh_from_db()
    assert naji.outcome == ConsultationOutcome.AGREED and naji.opinion == "同意。"
    assert naji.responded_by == banner.users["naji"] and naji.responded_at is not None


def test_art4_1_any_disagreement_sends_the_request_back_for_revision(banner):
    request = _consulting(banner, townships=("naji", "liuhe", "yadong"))
    consult_all(banner, request, disagree=("yadong",))
    assert request.state == RequestState.REVISING
    outcomes = dict(request.current_consultations().values_list("township__name", "outcome"))
    assert sorted(outcomes.values()) == [ConsultationOutcome.AGREED, ConsultationOutcome.AGREED,
                                         ConsultationOutcome.DISAGREED]
    conclusion = AuditEvent.objects.filter(request=request, action=AuditAction.CONCLUDE_CONSULTATION).get()
    assert (conclusion.from_state, conclusion.to_state) == (RequestState.CONSULTING, RequestState.REVISING)
    assert [t.flow_task.name for t in engine.open_tasks(request)] == ["revise"]
    with pytest.raises(ConflictError):
        _submit(banner, request)


def test_art4_1_submission_only_after_all_agree(banner):
    request = _consulting(banner, townships=("naji", "liuhe"))
    naji = request.current_consultations().get(township=banner.org("naji"))
    do(request, "consult", banner.users["naji"], lambda: consultation.record_consultation_opinion(
        consultation=naji, actor=banner.users["naji"], agrees=True, opinion="同意承担。"), consultation=naji.pk)
    assert request.state == RequestState.CONSULTING
    with pytest.raises(ConflictError):
        _submit(banner, request)
    liuhe = request.current_consultations().get(township=banner.org("liuhe"))
    do(request, "consult", banner.users["liuhe"], lambda: consultation.record_consultation_opinion(
        consultation=liuhe, actor=banner.users["liuhe"], agrees=True, opinion="同意承担。"), consultation=liuhe.pk)
    assert request.state == RequestState.CONSULTED
    conclusion = AuditEvent.objects.get(request=request, action=AuditAction.CONCLUDE_CONSULTATION)
    assert (conclusion.from_state, conclusion.to_state, conclusion.actor) == (
        RequestState.CONSULTING, RequestState.CONSULTED, banner.users["liuhe"])
    submit(banner, request)
    assert request.state == RequestState.SUBMITTED and request.submitted_at is not None
    letter = Attachment.objects.get(request=request)
    assert letter.kind == AttachmentKind.APPLICATION_LETTER and letter.uploaded_by == banner.users["forestry"]


def test_art4_1_an_opinion_cannot_be_recorded_twice(banner):
    request = _consulting(banner, townships=("naji", "liuhe"))
    naji = request.current_consultations().get(township=banner.org("naji"))
    do(request, "consult", banner.users["naji"], lambda: consultation.record_consultation_opinion(
        consultation=naji, actor=banner.users["naji"], agrees=True, opinion="同意承担。"), consultation=naji.pk)
    before = _snapshot(request)
    with pytest.raises(ConflictError) as error:
        consultation.record_consultation_opinion(consultation=naji, actor=banner.users["naji"], agrees=False,
                                                 opinion="改变主意，人员不足无法承担。")
    assert "不能重复答复" in error.value.message
    naji.refresh_from_db()
    assert naji.outcome == ConsultationOutcome.AGREED and naji.opinion == "同意承担。"
    assert _snapshot(request) == before


def test_art4_1_a_new_round_creates_new_consultations_and_keeps_the_old_ones(banner):
    request = _revising(banner)
    round1 = {c.pk: (c.township_id, c.outcome) for c in Consultation.objects.filter(request=request)}
    assert len(round1) == 2
    # The department revises what the township objected to, then consults again.
    revised = request_services.save_draft(
        actor=banner.users["forestry"], values=complete_values(staffing="每镇明确 2 名专职人员，经费单列。"),
        townships=[banner.org("naji"), banner.org("liuhe")], duty_request=request)
    assert revised.state == RequestState.REVISING
    do(request, "revise", banner.users["forestry"],
       lambda: request_services.start_consultation(duty_request=request, actor=banner.users["forestry"]))
    assert request.state == RequestState.CONSULTING and request.consultation_round == 2
    round2 = list(request.current_consultations())
    assert len(round2) == 2 and all(c.round == 2 and c.outcome == ConsultationOutcome.PENDING for c in round2)
    assert not {c.pk for c in round2} & set(round1)
    # the first round's opinions are kept as they were
    assert {c.pk: (c.township_id, c.outcome) for c in Consultation.objects.filter(request=request, round=1)} == round1
    # an opinion of the old round cannot be answered again
    old_liuhe = Consultation.objects.get(request=request, round=1, township=banner.org("liuhe"))
    with pytest.raises(ConflictError):
        consultation.record_consultation_opinion(consultation=old_liuhe, actor=banner.users["liuhe"], agrees=True,
                                                 opinion="同意。")
    consult_all(banner, request)
    assert request.state == RequestState.CONSULTED
    submit(banner, request)
    assert request.state == RequestState.SUBMITTED


def test_art4_1_a_new_round_consults_the_townships_named_now(banner):
    request = _revising(banner)
    request_services.save_draft(actor=banner.users["forestry"], values=complete_values(),
                                townships=[banner.org("naji"), banner.org("yadong")], duty_request=request)
    do(request, "revise", banner.users["forestry"],
       lambda: request_services.start_consultation(duty_request=request, actor=banner.users["forestry"]))
    assert set(request.current_consultations().values_list("township", flat=True)) == {
        banner.org("naji").pk, banner.org("yadong").pk}


def test_art4_1_the_content_is_frozen_while_the_townships_are_consulted(banner):
    request = _consulting(banner)
    with pytest.raises(PermissionDenied):
        request_services.save_draft(actor=banner.users["forestry"], values=complete_values(legal_basis="无"),
                                    townships=[banner.org("naji")], duty_request=request)
    request.refresh_from_db()
    assert request.legal_basis == complete_values()["legal_basis"]


# --- intake, review, approval rules ------------------------------------------------------------------


def test_intake_supplement_notice_lists_every_item_once_and_resubmission_resolves_it(banner):
    request = _submitted(banner)
    with pytest.raises(ValidationError) as error:
        intake.return_for_supplement(duty_request=request, actor=banner.users["office"], items=["", "  "])
    assert set(error.value.message_dict) == {"items"}
    do(request, "intake", banner.users["office"], lambda: intake.return_for_supplement(
        duty_request=request, actor=banner.users["office"], items=[" 补充法律依据原文 ", "", "补充经费预算批复"]))
    assert request.state == RequestState.SUPPLEMENTING
    notice = SupplementNotice.objects.get(request=request)
    assert notice.items == ["补充法律依据原文", "补充经费预算批复"] and notice.resolved_at is None
    do(request, "supplement", banner.users["forestry"], lambda: intake.resubmit_request(
        duty_request=request, actor=banner.users["forestry"], note="已补正", supporting_files=[pdf("依据.pdf")]))
    assert request.state == RequestState.SUBMITTED
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert Attachment.objects.filter(request=request, kind=AttachmentKind.SUPPORTING).count() == 1


def test_art4_1_supplementing_cannot_add_a_township_that_was_not_consulted(banner):
    request = _submitted(banner)
    do(request, "intake", banner.users["office"], lambda: intake.return_for_supplement(
        duty_request=request, actor=banner.users["office"], items=["补充法律依据原文"]))
    with pytest.raises((ValidationError, PermissionDenied, ConflictError)):
        request_services.save_draft(
            actor=banner.users["forestry"], values=complete_values(),
            townships=[banner.org("naji"), banner.org("liuhe"), banner.org("yadong")], duty_request=request)
        do(request, "supplement", banner.users["forestry"], lambda: intake.resubmit_request(
            duty_request=request, actor=banner.users["forestry"], note="已补正"))


def test_art4_2_each_bureau_gives_one_reasoned_opinion(banner):
    request = to_under_review(banner)
    with pytest.raises(ValidationError) as error:
        review.record_bureau_opinion(duty_request=request, actor=banner.users["justice"], passes=True, reasoning="  ")
    assert set(error.value.message_dict) == {"reasoning"}
    do(request, "legality_review", banner.users["justice"], lambda: review.record_bureau_opinion(
        duty_request=request, actor=banner.users["justice"], passes=True, reasoning="依据充分。"))
    before = _snapshot(request)
    with pytest.raises(ConflictError) as error:
        review.record_bureau_opinion(duty_request=request, actor=banner.users["justice"], passes=False, reasoning="改判。")
    assert "旗司法局" in error.value.message
    assert BureauReviewOpinion.objects.get(request=request).passes is True
    assert _snapshot(request) == before


def test_art4_2_the_review_waits_for_every_bureau(banner):
    request = to_under_review(banner)
    do(request, "lead_review", banner.users["office"], lambda: review.record_bureau_opinion(
        duty_request=request, actor=banner.users["office"], passes=True, reasoning="分工明确。"))
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


def test_art4_2_non_admission_needs_written_reasons_and_every_focus_point(banner):
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    with pytest.raises(ValidationError) as error:
        review.conclude_review(duty_request=request, actor=banner.users["office"], passes=False,
                               findings={"work_content": "属于行政事务。"}, reasons=" ", remedy="")
    assert set(error.value.message_dict) == {
        "legal_basis", "division_of_responsibilities", "consultation", "safeguards", "reasons", "remedy"}
    assert "第四条第二项" in error.value.message_dict["reasons"][0]
    conclude(banner, request, passes=False)
    assert request.state == RequestState.REJECTED and request.concluded_at is not None
    assert ReviewConclusion.objects.get(request=request).reasons == "法定依据不足，该事项属于部门法定职责。"


def test_art4_3_a_refusal_needs_reasons(banner):
    request = _awaiting_approval(banner)
    with pytest.raises(ValidationError) as error:
        approval.decide_at_banner(duty_request=request, actor=banner.users["leadership"], approves=False, reasons=" ")
    assert set(error.value.message_dict) == {"reasons"}
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.AWAITING_APPROVAL


def test_art4_3_city_decision_needs_number_date_scan_and_reasons(banner):
    request = _awaiting_city(banner)
    before = _snapshot(request)
    with pytest.raises(ValidationError) as error:
        approval.record_city_decision(duty_request=request, actor=banner.users["office"], approves=False,
                                      document_number=" ", decision_date=None, reply_scan=None, reasons="")
    assert set(error.value.message_dict) == {"document_number", "decision_date", "reply_scan", "reasons"}
    with pytest.raises(ValidationError) as error:
        approval.record_city_decision(duty_request=request, actor=banner.users["office"], approves=True,
                                      document_number="呼政字〔2026〕12号",
                                      decision_date=timezone.localdate() + timedelta(days=1), reply_scan=pdf())
    assert error.value.message_dict == {"decision_date": ["批复日期不能晚于今天。"]}
    assert _snapshot(request) == before


def test_art4_3_a_temporary_task_is_admitted_by_the_banner_and_never_goes_to_the_city(banner):
    request = _admitted(banner)
    assert request.state == RequestState.ADMITTED
    decision = ApprovalDecision.objects.get(request=request)
    assert decision.body == banner.org("leadership") and decision.approves
    assert set(TownshipDuty.objects.filter(request=request).values_list("township", flat=True)) == {
        banner.org("naji").pk, banner.org("liuhe").pk}
    with pytest.raises(ConflictError):
        _city_approves(banner, request)


@pytest.mark.parametrize("temporary", [False, True], ids=["regular", "temporary"])
def test_art4_3_a_city_refusal_cannot_be_recorded_before_the_banner_has_examined(banner, temporary):
    request = _awaiting_approval(banner, **(_temporary_overrides() if temporary else {}))
    before = _snapshot(request)
    with pytest.raises(ConflictError):
        _city_refuses(banner, request)
    assert _snapshot(request) == before


def test_art4_3_the_banner_cannot_decide_twice(banner):
    request = _awaiting_city(banner)
    before = _snapshot(request)
    with pytest.raises(ConflictError):
        _banner_refuses(banner, request)
    assert _snapshot(request) == before


# --- uploads -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("申请.pdf", b"%PDF-1.7\n" + b"\x00" * 64, "application/pdf"),
    ("scan.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
    ("scan.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "image/png"),
    ("申请.ofd", _ofd_bytes(), "application/ofd"),
    ("misnamed.png", b"%PDF-1.4\n" + b"\x00" * 64, "application/pdf"),  # judged by content, not by name
    ("noext", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
], ids=["pdf", "jpeg", "png", "ofd", "pdf_named_png", "png_without_extension"])
def test_uploads_accepted_by_content(name, content, content_type):
    uploaded = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    assert check_upload(uploaded) == content_type
    assert uploaded.tell() == 0  # rewound for storage


@pytest.mark.parametrize(("name", "content"), [
    ("申请.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64),
    ("申请.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64),
    ("申请.pdf", b"#!/bin/sh\nrm -rf /\n"),
    ("申请.pdf", "这是一段文字，不是扫描件。".encode()),
    ("申请.pdf", b"<html><body>%PDF-1.7</body></html>"),
    ("申请.ofd", _ofd_bytes(with_root=False)),
    ("申请.ofd", b"PK\x03\x04 not really a zip"),
    ("申请.jpg", b"GIF89a" + b"\x00" * 64),
], ids=["windows_exe", "elf", "shell_script", "text", "html_with_pdf_marker", "zip_without_ofd_root",
        "broken_zip", "gif"])
def test_uploads_refused_by_content(name, content):
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"), field_label="书面申请")
    message = error.value.messages[0]
    assert f"书面申请「{name}」" in message and "PDF、JPEG、PNG、OFD" in message and "按文件内容判断" in message


def test_uploads_empty_file_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("申请.pdf", b""))
    assert "空文件" in error.value.messages[0]


def test_uploads_over_20_mb_refused_at_the_real_limit():
    assert django_settings.ADMISSION_MAX_UPLOAD_BYTES == 20 * MB
    too_big = SimpleUploadedFile("大文件.pdf", support.PDF_BYTES)
    too_big.size = 20 * MB + 1  # the check reads .size; no need to allocate 20 MB
    with pytest.raises(ValidationError) as error:
        check_upload(too_big)
    assert "超过 20 MB 上限" in error.value.messages[0] and "大文件.pdf" in error.value.messages[0]
    at_limit = SimpleUploadedFile("刚好.pdf", support.PDF_BYTES)
    at_limit.size = 20 * MB
    assert check_upload(at_limit) == "application/pdf"


def test_uploads_a_refused_letter_rolls_back_the_submission(banner):
    request = _consulted(banner)
    before = _snapshot(request)
    fake = SimpleUploadedFile("申请.pdf", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/pdf")
    with pytest.raises(ValidationError):
        do(request, "submit", banner.users["forestry"], lambda: request_services.submit_request(
            duty_request=request, actor=banner.users["forestry"], application_letter=fake))
    too_big = pdf()
    too_big.size = 20 * MB + 1
    with pytest.raises(ValidationError):
        do(request, "submit", banner.users["forestry"], lambda: request_services.submit_request(
            duty_request=request, actor=banner.users["forestry"], application_letter=too_big))
    with pytest.raises(ValidationError) as error:
        request_services.submit_request(duty_request=request, actor=banner.users["forestry"], application_letter=None)
    assert set(error.value.message_dict) == {"application_letter"}
    assert _snapshot(request) == before
    assert not Attachment.objects.filter(request=request).exists()
    open_task(request, "submit")
    submit(banner, request)
    assert request.state == RequestState.SUBMITTED


def test_uploads_are_stored_under_media_root_with_a_generated_name(banner, settings):
    request = _consulted(banner)
    content = support.PDF_BYTES + b"% body\n"
    letter = SimpleUploadedFile("../../../static/申请.pdf", content, content_type="text/html")
    do(request, "submit", banner.users["forestry"], lambda: request_services.submit_request(
        duty_request=request, actor=banner.users["forestry"], application_letter=letter,
        supporting_files=[SimpleUploadedFile("照片.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)]))
    stored = Attachment.objects.get(request=request, kind=AttachmentKind.APPLICATION_LETTER)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    path = Path(stored.file.path).resolve()
    assert path.is_relative_to(media_root) and path.is_file()
    assert not path.is_relative_to(Path(django_settings.STATIC_ROOT).resolve())
    assert stored.file.name.startswith("attachments/") and "申请" not in stored.file.name and ".." not in stored.file.name
    assert path.read_bytes() == content
    assert stored.sha256 == hashlib.sha256(content).hexdigest() and stored.size == len(content)
    assert stored.content_type == "application/pdf"  # sniffed, not the client's claim
    assert stored.uploaded_by == banner.users["forestry"] and stored.organization == banner.org("forestry")
    photo = Attachment.objects.get(request=request, kind=AttachmentKind.SUPPORTING)
    assert photo.content_type == "image/png" and Path(photo.file.path).resolve().is_relative_to(media_root)
    attach_events = AuditEvent.objects.filter(request=request, action=AuditAction.ATTACH_FILE)
    assert {e.data["sha256"] for e in attach_events} == {stored.sha256, photo.sha256}


def test_uploads_media_root_is_outside_the_static_web_root():
    from config import settings as configured

    media = Path(configured.MEDIA_ROOT).resolve()
    static_dirs = [Path(configured.STATIC_ROOT).resolve(),
                   *(Path(d).resolve() for d in getattr(configured, "STATICFILES_DIRS", []))]
    for static in static_dirs:
        assert not media.is_relative_to(static) and not static.is_relative_to(media)


# --- audit -------------------------------------------------------------------------------------------


def _state_changes(request):
    return [
        (e.action, e.from_state, e.to_state, e.actor.username, e.organization_id)
        for e in AuditEvent.objects.filter(request=request).exclude(to_state="").select_related("actor")
    ]


def test_audit_each_transition_of_the_regular_path_writes_exactly_one_event(banner):
    request = _awaiting_city(banner)
    city_decides(banner, request)
    assert request.state == RequestState.ADMITTED
    u, o = banner.users, banner.org
    assert _state_changes(request) == [
        (AuditAction.START_CONSULTATION, "draft", "consulting", u["forestry"].username, o("forestry").pk),
        (AuditAction.CONCLUDE_CONSULTATION, "consulting", "consulted", u["liuhe"].username, o("liuhe").pk),
        (AuditAction.SUBMIT_REQUEST, "consulted", "submitted", u["forestry"].username, o("forestry").pk),
        (AuditAction.ACCEPT_FOR_REVIEW, "submitted", "under_review", u["office"].username, o("office").pk),
        (AuditAction.CONCLUDE_REVIEW, "under_review", "awaiting_approval", u["office"].username, o("office").pk),
        (AuditAction.DECIDE_APPROVAL, "awaiting_approval", "awaiting_city", u["leadership"].username,
         o("leadership").pk),
        (AuditAction.DECIDE_APPROVAL, "awaiting_city", "admitted", u["office"].username, o("office").pk),
    ]
    # events that are not transitions carry no state change, and every event names who and for whom
    for event in AuditEvent.objects.filter(request=request):
        assert event.actor is not None and event.organization == event.actor.membership.organization
        assert event.jurisdiction_id == banner.jurisdiction.pk
        if event.action not in {AuditAction.START_CONSULTATION, AuditAction.CONCLUDE_CONSULTATION,
                                AuditAction.SUBMIT_REQUEST, AuditAction.ACCEPT_FOR_REVIEW,
                                AuditAction.CONCLUDE_REVIEW, AuditAction.DECIDE_APPROVAL}:
            assert event.from_state == event.to_state == ""


def test_audit_each_transition_of_the_other_paths_writes_exactly_one_event(banner):
    u, o = banner.users, banner.org
    revising = _revising(banner)
    do(revising, "revise", u["forestry"],
       lambda: request_services.start_consultation(duty_request=revising, actor=u["forestry"]))
    actions.withdraw(duty_request=revising, actor=u["forestry"], reason="撤回重报。")
    assert _state_changes(revising) == [
        (AuditAction.START_CONSULTATION, "draft", "consulting", u["forestry"].username, o("forestry").pk),
        (AuditAction.CONCLUDE_CONSULTATION, "consulting", "revising", u["liuhe"].username, o("liuhe").pk),
        (AuditAction.START_CONSULTATION, "revising", "consulting", u["forestry"].username, o("forestry").pk),
        (AuditAction.WITHDRAW_REQUEST, "consulting", "withdrawn", u["forestry"].username, o("forestry").pk),
    ]

    temporary = _admitted(banner)
    assert _state_changes(temporary)[-1] == (
        AuditAction.DECIDE_APPROVAL, "awaiting_approval", "admitted", u["leadership"].username, o("leadership").pk)
    assert len(_state_changes(temporary)) == 6

    rejected = _rejected(banner)
    assert _state_changes(rejected)[-1] == (
        AuditAction.CONCLUDE_REVIEW, "under_review", "rejected", u["office"].username, o("office").pk)

    supplemented = _submitted(banner)
    do(supplemented, "intake", u["office"], lambda: intake.return_for_supplement(
        duty_request=supplemented, actor=u["office"], items=["补充法律依据原文"]))
    do(supplemented, "supplement", u["forestry"], lambda: intake.resubmit_request(
        duty_request=supplemented, actor=u["forestry"], note="已补正"))
    assert _state_changes(supplemented)[-2:] == [
        (AuditAction.RETURN_FOR_SUPPLEMENT, "submitted", "supplementing", u["office"].username, o("office").pk),
        (AuditAction.RESUBMIT_REQUEST, "supplementing", "submitted", u["forestry"].username, o("forestry").pk),
    ]

    refused = _awaiting_city(banner)
    do(refused, "city_decision", u["office"], lambda: _city_refuses(banner, refused))
    assert refused.state == RequestState.REFUSED
    assert _state_changes(refused)[-1] == (
        AuditAction.DECIDE_APPROVAL, "awaiting_city", "refused", u["office"].username, o("office").pk)
    assert not TownshipDuty.objects.filter(request=refused).exists()


def test_audit_the_state_change_events_form_an_unbroken_chain(banner):
    request = _awaiting_city(banner)
    city_decides(banner, request)
    changes = _state_changes(request)
    assert changes[0][1] == RequestState.DRAFT and changes[-1][2] == request.state
    for previous, following in zip(changes, changes[1:]):
        assert previous[2] == following[1]


def test_audit_event_cannot_be_updated_or_deleted(banner):
    request = draft(banner)
    event = AuditEvent.objects.get(request=request)
    original = (event.action, event.note, event.actor_id)
    event.note = "改写历史"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(note="改写历史")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["note"])
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"note": "改写历史"})
    fresh = AuditEvent.objects.get(pk=event.pk)
    assert (fresh.action, fresh.note, fresh.actor_id) == original
    assert AuditEvent.objects.filter(request=request).count() == 1


def test_audit_events_outlive_attempts_to_delete_the_request(banner):
    request = _consulting(banner)
    count = AuditEvent.objects.filter(request=request).count()
    assert count > 0
    with pytest.raises(ProtectedError):
        DutyRequest.objects.filter(pk=request.pk).delete()
    assert AuditEvent.objects.filter(request=request).count() == count
