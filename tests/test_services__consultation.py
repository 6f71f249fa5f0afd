"""The townships' written opinions (admission/services/consultation.py, Art. 4(1)): who answers, what an answer needs,
what agreement and disagreement lead to, and rounds.

Every state-changing step after consultation starts goes through `workflows.engine` (support.do,
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly (support.direct_*): that is where the rule lives, and the assertion is that
nothing changed.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from admission.models import (
    Attachment,
    AttachmentKind,
    AuditAction,
    AuditEvent,
    Consultation,
    ConsultationOutcome,
    RequestState,
)
from admission.services import consultation
from admission.services import requests as request_services
from admission.services.errors import ConflictError
from tests.support import (
    complete_values,
    consult_all,
    consulting_case,
    direct_submit,
    do,
    open_task,
    revising_case,
    snapshot,
    submit,
)
from workflows import engine

# --- who answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("intruder", ["liuhe", "yadong", "forestry", "office"])
def test_art4_1_only_the_consulted_township_records_its_opinion(banner, intruder):
    request = consulting_case(banner)
    naji = request.current_consultations().get(township=banner.org("naji"))
    before = snapshot(request)
    with pytest.raises(PermissionDenied):
        consultation.record_consultation_opinion(
            consultation=naji, actor=banner.users[intruder], agrees=True, opinion="代为同意，按方案落实。"
        )
    naji.refresh_from_db()
    assert naji.outcome == ConsultationOutcome.PENDING and naji.responded_by is None
    assert snapshot(request) == before


def test_art4_1_the_flow_refuses_a_township_working_on_another_townships_task(banner):
    request = consulting_case(banner)
    naji = request.current_consultations().get(township=banner.org("naji"))
    with pytest.raises(PermissionDenied):
        do(request, "consult", banner.users["liuhe"], lambda: None, consultation=naji.pk)
    open_task(request, "consult", consultation=naji.pk)


# --- opinions and rounds ----------------------------------------------------------------------------


def test_art4_1_consultation_creates_one_pending_opinion_per_township(banner):
    request = consulting_case(banner, townships=("naji", "liuhe", "yadong"))
    assert request.state == RequestState.CONSULTING and request.consultation_round == 1
    rows = Consultation.objects.filter(request=request)
    assert {(c.township_id, c.round, c.outcome) for c in rows} == {
        (banner.org(k).pk, 1, ConsultationOutcome.PENDING) for k in ("naji", "liuhe", "yadong")
    }
    assert {t.data["township"] for t in engine.open_tasks(request)} == {
        banner.org(k).pk for k in ("naji", "liuhe", "yadong")
    }


@pytest.mark.parametrize(
    ("opinion", "message"),
    [
        ("", "请填写书面意见的内容。"),
        ("   ", "请填写书面意见的内容。"),
        ("不同意。", "不同意时请写明理由和修改建议（不少于 10 个字），以便部门修改。"),
        ("人员不足，不同意。", "不同意时请写明理由和修改建议（不少于 10 个字），以便部门修改。"),
    ],
)
def test_art4_1_a_disagreement_requires_written_reasons(banner, opinion, message):
    request = consulting_case(banner)
    naji = request.current_consultations().get(township=banner.org("naji"))
    before = snapshot(request)
    with pytest.raises(ValidationError) as error:
        do(
            request,
            "consult",
            banner.users["naji"],
            lambda: consultation.record_consultation_opinion(
                consultation=naji, actor=banner.users["naji"], agrees=False, opinion=opinion
            ),
            consultation=naji.pk,
        )
    assert error.value.message_dict == {"opinion": [message]}
    naji.refresh_from_db()
    assert naji.outcome == ConsultationOutcome.PENDING and naji.opinion == ""
    assert snapshot(request) == before
    open_task(request, "consult", consultation=naji.pk)  # the task is still there, unclaimed work rolled back


def test_art4_1_an_agreement_needs_some_written_opinion_but_no_minimum_length(banner):
    request = consulting_case(banner)
    naji = request.current_consultations().get(township=banner.org("naji"))
    with pytest.raises(ValidationError):
        consultation.record_consultation_opinion(
            consultation=naji, actor=banner.users["naji"], agrees=True, opinion=" "
        )
    do(
        request,
        "consult",
        banner.users["naji"],
        lambda: consultation.record_consultation_opinion(
            consultation=naji, actor=banner.users["naji"], agrees=True, opinion="同意。"
        ),
        consultation=naji.pk,
    )
    naji.refresh_from_db()
    assert naji.outcome == ConsultationOutcome.AGREED and naji.opinion == "同意。"
    assert naji.responded_by == banner.users["naji"] and naji.responded_at is not None


def test_art4_1_any_disagreement_sends_the_request_back_for_revision(banner):
    request = consulting_case(banner, townships=("naji", "liuhe", "yadong"))
    consult_all(banner, request, disagree=("yadong",))
    assert request.state == RequestState.REVISING
    outcomes = dict(request.current_consultations().values_list("township__name", "outcome"))
    assert sorted(outcomes.values()) == [
        ConsultationOutcome.AGREED,
        ConsultationOutcome.AGREED,
        ConsultationOutcome.DISAGREED,
    ]
    conclusion = AuditEvent.objects.filter(request=request, action=AuditAction.CONCLUDE_CONSULTATION).get()
    assert (conclusion.from_state, conclusion.to_state) == (RequestState.CONSULTING, RequestState.REVISING)
    assert [t.flow_task.name for t in engine.open_tasks(request)] == ["revise"]
    with pytest.raises(ConflictError):
        direct_submit(banner, request)


def test_art4_1_submission_only_after_all_agree(banner):
    request = consulting_case(banner, townships=("naji", "liuhe"))
    naji = request.current_consultations().get(township=banner.org("naji"))
    do(
        request,
        "consult",
        banner.users["naji"],
        lambda: consultation.record_consultation_opinion(
            consultation=naji, actor=banner.users["naji"], agrees=True, opinion="同意承担。"
        ),
        consultation=naji.pk,
    )
    assert request.state == RequestState.CONSULTING
    with pytest.raises(ConflictError):
        direct_submit(banner, request)
    liuhe = request.current_consultations().get(township=banner.org("liuhe"))
    do(
        request,
        "consult",
        banner.users["liuhe"],
        lambda: consultation.record_consultation_opinion(
            consultation=liuhe, actor=banner.users["liuhe"], agrees=True, opinion="同意承担。"
        ),
        consultation=liuhe.pk,
    )
    assert request.state == RequestState.CONSULTED
    conclusion = AuditEvent.objects.get(request=request, action=AuditAction.CONCLUDE_CONSULTATION)
    assert (conclusion.from_state, conclusion.to_state, conclusion.actor) == (
        RequestState.CONSULTING,
        RequestState.CONSULTED,
        banner.users["liuhe"],
    )
    submit(banner, request)
    assert request.state == RequestState.SUBMITTED and request.submitted_at is not None
    letter = Attachment.objects.get(request=request)
    assert letter.kind == AttachmentKind.APPLICATION_LETTER and letter.uploaded_by == banner.users["forestry"]


def test_art4_1_an_opinion_cannot_be_recorded_twice(banner):
    request = consulting_case(banner, townships=("naji", "liuhe"))
    naji = request.current_consultations().get(township=banner.org("naji"))
    do(
        request,
        "consult",
        banner.users["naji"],
        lambda: consultation.record_consultation_opinion(
            consultation=naji, actor=banner.users["naji"], agrees=True, opinion="同意承担。"
        ),
        consultation=naji.pk,
    )
    before = snapshot(request)
    with pytest.raises(ConflictError) as error:
        consultation.record_consultation_opinion(
            consultation=naji, actor=banner.users["naji"], agrees=False, opinion="改变主意，人员不足无法承担。"
        )
    assert "不能重复答复" in error.value.message
    naji.refresh_from_db()
    assert naji.outcome == ConsultationOutcome.AGREED and naji.opinion == "同意承担。"
    assert snapshot(request) == before


def test_art4_1_a_new_round_creates_new_consultations_and_keeps_the_old_ones(banner):
    request = revising_case(banner)
    round1 = {c.pk: (c.township_id, c.outcome) for c in Consultation.objects.filter(request=request)}
    assert len(round1) == 2
    # The department revises what the township objected to, then consults again.
    revised = request_services.save_draft(
        actor=banner.users["forestry"],
        values=complete_values(staffing="每镇明确 2 名专职人员，经费单列。"),
        townships=[banner.org("naji"), banner.org("liuhe")],
        duty_request=request,
    )
    assert revised.state == RequestState.REVISING
    do(
        request,
        "revise",
        banner.users["forestry"],
        lambda: request_services.start_consultation(duty_request=request, actor=banner.users["forestry"]),
    )
    assert request.state == RequestState.CONSULTING and request.consultation_round == 2
    round2 = list(request.current_consultations())
    assert len(round2) == 2 and all(c.round == 2 and c.outcome == ConsultationOutcome.PENDING for c in round2)
    assert not {c.pk for c in round2} & set(round1)
    # the first round's opinions are kept as they were
    assert {c.pk: (c.township_id, c.outcome) for c in Consultation.objects.filter(request=request, round=1)} == round1
    # an opinion of the old round cannot be answered again
    old_liuhe = Consultation.objects.get(request=request, round=1, township=banner.org("liuhe"))
    with pytest.raises(ConflictError):
        consultation.record_consultation_opinion(
            consultation=old_liuhe, actor=banner.users["liuhe"], agrees=True, opinion="同意。"
        )
    consult_all(banner, request)
    assert request.state == RequestState.CONSULTED
    submit(banner, request)
    assert request.state == RequestState.SUBMITTED


def test_art4_1_a_new_round_consults_the_townships_named_now(banner):
    request = revising_case(banner)
    request_services.save_draft(
        actor=banner.users["forestry"],
        values=complete_values(),
        townships=[banner.org("naji"), banner.org("yadong")],
        duty_request=request,
    )
    do(
        request,
        "revise",
        banner.users["forestry"],
        lambda: request_services.start_consultation(duty_request=request, actor=banner.users["forestry"]),
    )
    assert set(request.current_consultations().values_list("township", flat=True)) == {
        banner.org("naji").pk,
        banner.org("yadong").pk,
    }
