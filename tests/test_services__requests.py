"""The department's request (admission/services/requests.py): the draft and its completeness (Art. 4(1)), scope
(Art. 1, Art. 7), format rules, the townships named, who may draft, edit, consult and submit, and withdrawal (Art. 2).

Every state-changing step after consultation starts goes through `workflows.engine` (support.do,
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly (support.direct_*): that is where the rule lives, and the assertion is that
nothing changed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from admission.models import (
    AffairClass,
    Attachment,
    AuditAction,
    AuditEvent,
    Consultation,
    DutyRequest,
    RequestState,
    Track,
)
from admission.services import requests as request_services
from admission.services.requests import OUT_OF_SCOPE_REASONS, REQUIRED_TEXT_ELEMENTS
from tests.support import (
    admitted_temporary_case,
    complete_values,
    consulted_case,
    consulting_case,
    do,
    draft,
    open_task,
    pdf,
    snapshot,
    temporary_overrides,
)
from workflows import actions, engine
from workflows.models import AdmissionProcess

# --- helpers ----------------------------------------------------------------------------------------


def _blank_values(**overrides) -> dict:
    """What the edit form hands the service when nothing was filled in (forms.DutyRequestForm.values)."""
    values: dict[str, object] = dict.fromkeys(request_services.EDITABLE_FIELDS, "")
    values.update(
        affair_class=AffairClass.ADMINISTRATIVE_AFFAIR, track=Track.REGULAR, end_date=None, funding_amount=None
    )
    values.update(overrides)
    return values


# --- Art. 4(1): completeness ------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   \n\t"], ids=["empty", "whitespace"])
@pytest.mark.parametrize(("field", "label"), REQUIRED_TEXT_ELEMENTS, ids=[f for f, _ in REQUIRED_TEXT_ELEMENTS])
def test_art4_1_each_missing_element_is_named(banner, field, label, blank):
    request = draft(banner, **{field: blank})
    assert request.state == RequestState.DRAFT  # a draft may be incomplete
    before = snapshot(request)
    with pytest.raises(ValidationError) as error:
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    errors = error.value.message_dict
    assert set(errors) == {field}
    assert errors[field] == [f"请填写“{label}”（第四条第一项要求书面申请包括此项）。"]
    assert snapshot(request) == before
    assert not Consultation.objects.filter(request=request).exists()
    assert not AdmissionProcess.for_request(request).exists()


@pytest.mark.parametrize(
    ("overrides", "townships", "field", "words"),
    [
        ({"funding_amount": None}, ("naji",), "funding_amount", ("工作经费金额", "第五条")),
        ({"funding_source": ""}, ("naji",), "funding_source", ("经费来源",)),
        ({"funding_source": "  "}, ("naji",), "funding_source", ("经费来源",)),
        ({}, (), "townships", ("至少选择一个", "乡镇")),
        ({"track": Track.TEMPORARY, "end_date": None}, ("naji",), "end_date", ("截止日期", "阶段性、临时性")),
    ],
    ids=[
        "funding_amount_none",
        "funding_source_empty",
        "funding_source_blank",
        "townships_empty",
        "temporary_without_end_date",
    ],
)
def test_art4_1_missing_safeguard_township_or_end_date_is_named(banner, overrides, townships, field, words):
    request = draft(banner, townships=townships, **overrides)
    before = snapshot(request)
    with pytest.raises(ValidationError) as error:
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    errors = error.value.message_dict
    assert set(errors) == {field}
    for word in words:
        assert word in errors[field][0]
    assert snapshot(request) == before
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
    request = request_services.save_draft(
        actor=forestry, values=_blank_values(duty_name="森林草原防火巡查"), townships=[]
    )
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT
    assert request.work_objective == "" and request.funding_amount is None and not request.townships.exists()
    created = AuditEvent.objects.get(request=request)
    assert created.action == AuditAction.CREATE_REQUEST and created.from_state == created.to_state == ""

    request = request_services.save_draft(
        actor=forestry, values=complete_values(), townships=[banner.org("naji")], duty_request=request
    )
    update = AuditEvent.objects.filter(request=request).latest("pk")
    assert update.action == AuditAction.UPDATE_REQUEST
    assert "work_objective" in update.data["changed_fields"] and "townships" in update.data["changed_fields"]
    assert "duty_name" not in update.data["changed_fields"]
    request = actions.consult_townships(duty_request=request, actor=forestry)
    assert request.state == RequestState.CONSULTING


def test_art4_1_start_consultation_rechecks_format_rules_on_a_draft_whose_end_date_has_passed(banner):
    request = draft(banner, **temporary_overrides())
    DutyRequest.objects.filter(pk=request.pk).update(end_date=timezone.localdate())
    with pytest.raises(ValidationError) as error:
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    assert error.value.message_dict == {"end_date": ["阶段性、临时性工作任务的截止日期须晚于今天。"]}
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


# --- Art. 1 / Art. 7: scope -------------------------------------------------------------------------


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
    measure = "《阿荣旗乡镇职责准入管理办法（试行）》"  # the banner's own (tests/support.py)
    assert message == OUT_OF_SCOPE_REASONS[affair_class] % {"measure": measure}
    for word in SCOPE_KEYWORDS[affair_class]:
        assert word in message
    assert not DutyRequest.objects.exists()
    assert not AuditEvent.objects.changes().exists()


@pytest.mark.parametrize("affair_class", list(SCOPE_KEYWORDS), ids=[c.value for c in SCOPE_KEYWORDS])
def test_art1_art7_an_existing_draft_cannot_be_changed_to_an_out_of_scope_affair(banner, affair_class):
    request = draft(banner)
    before = snapshot(request)
    with pytest.raises(ValidationError) as error:
        request_services.save_draft(
            actor=banner.users["forestry"],
            values=complete_values(affair_class=affair_class),
            townships=[banner.org("naji")],
            duty_request=request,
        )
    assert "affair_class" in error.value.message_dict
    request.refresh_from_db()
    assert request.affair_class == AffairClass.ADMINISTRATIVE_AFFAIR
    assert set(request.townships.all()) == {banner.org("naji"), banner.org("liuhe")}
    assert snapshot(request) == before


def test_art1_out_of_scope_affair_is_refused_again_when_consultation_starts(banner):
    request = draft(banner)
    DutyRequest.objects.filter(pk=request.pk).update(affair_class=AffairClass.ADMINISTRATIVE_PENALTY)
    with pytest.raises(ValidationError) as error:
        actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    assert "行政处罚" in error.value.message_dict["affair_class"][0]
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


# --- format rules (Art. 1 tracks, Art. 5 funding) ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"track": Track.REGULAR, "end_date": timezone.localdate() + timedelta(days=30)},
            "end_date",
            "常态化职责事项不设截止日期；如工作有明确时限，请将准入类型选为“阶段性、临时性工作任务”。",
        ),
        (
            {"track": Track.TEMPORARY, "end_date": timezone.localdate()},
            "end_date",
            "阶段性、临时性工作任务的截止日期须晚于今天。",
        ),
        (
            {"track": Track.TEMPORARY, "end_date": timezone.localdate() - timedelta(days=1)},
            "end_date",
            "阶段性、临时性工作任务的截止日期须晚于今天。",
        ),
        ({"funding_amount": Decimal("-0.01")}, "funding_amount", "工作经费不能为负数。"),
    ],
    ids=["regular_with_end_date", "temporary_ending_today", "temporary_ending_yesterday", "negative_funding"],
)
def test_art1_art5_format_rules_refuse_the_draft(banner, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        draft(banner, **overrides)
    assert error.value.message_dict == {field: [message]}
    assert not DutyRequest.objects.exists()


def test_art1_format_rules_accept_a_temporary_task_ending_tomorrow(banner):
    request = draft(banner, track=Track.TEMPORARY, end_date=timezone.localdate() + timedelta(days=1))
    assert request.state == RequestState.DRAFT and request.track == Track.TEMPORARY


def test_art1_art5_format_errors_are_reported_together(banner):
    with pytest.raises(ValidationError) as error:
        draft(
            banner,
            affair_class=AffairClass.ADMINISTRATIVE_LICENSING,
            end_date=timezone.localdate(),
            funding_amount=Decimal("-5"),
        )
    assert set(error.value.message_dict) == {"affair_class", "end_date", "funding_amount"}


# --- townships --------------------------------------------------------------------------------------


@pytest.mark.parametrize("org_key", ["forestry", "emergency", "office", "justice", "data", "leadership", "city"])
def test_art4_1_only_townships_can_be_named(banner, org_key):
    with pytest.raises(ValidationError) as error:
        request_services.save_draft(
            actor=banner.users["forestry"],
            values=complete_values(),
            townships=[banner.org("naji"), banner.org(org_key)],
        )
    assert error.value.message_dict == {"townships": ["只能选择本旗的乡镇。"]}
    assert not DutyRequest.objects.exists()


def test_art4_1_townships_of_another_jurisdiction_are_refused_on_create_and_on_edit(banner, other_banner):
    with pytest.raises(ValidationError) as error:
        request_services.save_draft(
            actor=banner.users["forestry"],
            values=complete_values(),
            townships=[banner.org("naji"), other_banner.org("naji")],
        )
    assert error.value.message_dict == {"townships": ["只能选择本旗的乡镇。"]}
    assert not DutyRequest.objects.exists()

    request = draft(banner)
    with pytest.raises(ValidationError):
        request_services.save_draft(
            actor=banner.users["forestry"],
            values=complete_values(),
            townships=[other_banner.org("liuhe")],
            duty_request=request,
        )
    assert set(DutyRequest.objects.get(pk=request.pk).townships.all()) == {banner.org("naji"), banner.org("liuhe")}


def test_art4_1_the_request_belongs_to_the_actors_department_and_jurisdiction(banner):
    request = draft(banner, department="emergency", townships=("yadong",))
    assert request.department == banner.org("emergency")
    assert request.jurisdiction == banner.jurisdiction
    assert request.created_by == banner.users["emergency"]
    assert list(request.townships.all()) == [banner.org("yadong")]


# --- permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["naji", "liuhe", "yadong", "office", "office_clerk", "office2", "justice", "data", "leadership"]
)
def test_art4_1_only_a_department_can_create_a_draft(banner, key):
    with pytest.raises(PermissionDenied) as error:
        draft(banner, department=key)
    assert "只有旗直职能部门" in str(error.value)
    assert not DutyRequest.objects.exists() and not AuditEvent.objects.changes().exists()


@pytest.mark.parametrize("intruder", ["emergency", "agriculture", "naji", "office"])
def test_art4_1_only_the_requesting_department_edits_its_draft(banner, intruder):
    request = draft(banner)
    before = snapshot(request)
    with pytest.raises(PermissionDenied):
        request_services.save_draft(
            actor=banner.users[intruder],
            values=complete_values(duty_name="篡改"),
            townships=[banner.org("yadong")],
            duty_request=request,
        )
    request.refresh_from_db()
    assert request.duty_name == "森林草原防火巡查" and snapshot(request) == before


def test_art4_1_a_department_of_another_banner_cannot_edit_or_consult(banner, other_banner):
    request = draft(banner)
    with pytest.raises(PermissionDenied):
        request_services.save_draft(
            actor=other_banner.users["forestry"],
            values=complete_values(),
            townships=[banner.org("naji")],
            duty_request=request,
        )
    with pytest.raises(PermissionDenied):
        actions.consult_townships(duty_request=request, actor=other_banner.users["forestry"])
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


@pytest.mark.parametrize("intruder", ["emergency", "naji", "office"])
def test_art4_1_only_the_requesting_department_starts_consultation(banner, intruder):
    request = draft(banner)
    before = snapshot(request)
    with pytest.raises(PermissionDenied):
        actions.consult_townships(duty_request=request, actor=banner.users[intruder])
    assert snapshot(request) == before
    assert not AdmissionProcess.for_request(request).exists()


@pytest.mark.parametrize("intruder", ["emergency", "naji", "office"])
def test_art4_1_only_the_requesting_department_submits(banner, intruder):
    request = consulted_case(banner)
    before = snapshot(request)
    with pytest.raises(PermissionDenied):
        request_services.submit_request(duty_request=request, actor=banner.users[intruder], application_letter=pdf())
    with pytest.raises(PermissionDenied):
        do(
            request,
            "submit",
            banner.users[intruder],
            lambda: request_services.submit_request(
                duty_request=request, actor=banner.users[intruder], application_letter=pdf()
            ),
        )
    assert snapshot(request) == before
    assert not Attachment.objects.filter(request=request).exists()
    open_task(request, "submit")  # still waiting for the department


@pytest.mark.parametrize("intruder", ["emergency", "naji", "office", "leadership"])
def test_art2_only_the_requesting_department_withdraws(banner, intruder):
    request = consulting_case(banner)
    before = snapshot(request)
    with pytest.raises(PermissionDenied):
        actions.withdraw(duty_request=request, actor=banner.users[intruder], reason="越权撤回。")
    assert snapshot(request) == before


# --- the content while the townships are consulted --------------------------------------------------


def test_art4_1_the_content_is_frozen_while_the_townships_are_consulted(banner):
    request = consulting_case(banner)
    with pytest.raises(PermissionDenied):
        request_services.save_draft(
            actor=banner.users["forestry"],
            values=complete_values(legal_basis="无"),
            townships=[banner.org("naji")],
            duty_request=request,
        )
    request.refresh_from_db()
    assert request.legal_basis == complete_values()["legal_basis"]


# --- withdrawal (Art. 2: strict procedure) ----------------------------------------------------------


def test_art2_withdrawal_after_a_decision_names_the_reason(banner):
    request = admitted_temporary_case(banner)
    with pytest.raises(PermissionDenied) as error:
        request_services.withdraw_request(duty_request=request, actor=banner.users["forestry"], reason="撤回。")
    assert "作出决定前" in str(error.value)


def test_art2_withdrawal_needs_a_reason_and_cancels_the_flow(banner):
    request = consulted_case(banner)
    with pytest.raises(ValidationError) as error:
        actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="  ")
    assert error.value.message_dict == {"reason": ["请写明撤回理由。"]}
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.CONSULTED
    request = actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="方案调整，撤回重报。")
    assert request.state == RequestState.WITHDRAWN and request.concluded_at is not None
    assert not engine.open_tasks(request).exists()
    event = AuditEvent.objects.filter(request=request).latest("pk")
    assert (event.action, event.from_state, event.to_state, event.note) == (
        AuditAction.WITHDRAW_REQUEST,
        RequestState.CONSULTED,
        RequestState.WITHDRAWN,
        "方案调整，撤回重报。",
    )


def test_art2_a_draft_can_be_withdrawn_without_a_flow(banner):
    request = draft(banner)
    request = actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="不再需要。")
    assert request.state == RequestState.WITHDRAWN
