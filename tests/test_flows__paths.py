"""Every path through the procedure, with the flow and the request checked against each other after every step.

The request's FSM state is the record; the Viewflow process routes people. After each step the open human
tasks must be exactly those the state calls for, and the audit trail must chain from draft to the current state.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from admission.models import (
    AuditAction,
    AuditEvent,
    Consultation,
    ConsultationOutcome,
    DutyRequest,
    OrganizationKind,
    RequestState,
    ReviewConclusion,
    SupplementNotice,
    TownshipDuty,
    Track,
)
from admission.permissions import banner_body_decision_permission, organization_decision_permission
from admission.services import intake, review
from admission.services import requests as request_services
from admission.services.errors import ConflictError
from tests import support
from workflows import actions, engine
from workflows.models import AdmissionProcess

# The human tasks that may be open in each state; the empty set means the case is finished or not started.
TASKS_BY_STATE = {
    RequestState.DRAFT: set(),
    RequestState.CONSULTING: {"consult"},
    RequestState.REVISING: {"revise"},
    RequestState.CONSULTED: {"submit"},
    RequestState.SUBMITTED: {"intake"},
    RequestState.SUPPLEMENTING: {"supplement"},
    RequestState.UNDER_REVIEW: {"lead_review", "legality_review", "data_review", "give_advice", "consolidate"},
    RequestState.AWAITING_APPROVAL: {"banner_decision"},
    RequestState.AWAITING_CITY: {"city_decision"},
    RequestState.ADMITTED: set(),
    RequestState.REJECTED: set(),
    RequestState.REFUSED: set(),
    RequestState.WITHDRAWN: set(),
}


def open_human_tasks(request) -> list[str]:
    return [t.flow_task.name for t in engine.open_tasks(request) if t.flow_task_type == "HUMAN"]


def assert_in_step(request, *, expect_state=None, expect_tasks=None) -> None:
    """The invariant: process and request never disagree, and the audit trail explains the state."""
    request.refresh_from_db()
    if expect_state is not None:
        assert request.state == expect_state
    nodes = open_human_tasks(request)
    allowed = TASKS_BY_STATE[request.state]
    assert set(nodes) <= allowed, f"{request.state}: unexpected open tasks {nodes}"
    processes = list(AdmissionProcess.for_request(request))
    if request.state == RequestState.DRAFT:
        assert processes == []
    elif request.is_final:
        assert nodes == []
        if request.state == RequestState.WITHDRAWN:
            # A draft is withdrawn before any flow exists; otherwise the flow is cancelled with it.
            assert all(p.status == PROCESS.CANCELED for p in processes)
        else:
            assert [p.status for p in processes] == [PROCESS.DONE]
    else:
        assert nodes, f"{request.state}: nobody holds the case"
        assert [p.status for p in processes].count(PROCESS.NEW) == 1
    if expect_tasks is not None:
        assert sorted(nodes) == sorted(expect_tasks)
    transitions = [e for e in request.audit_events.all() if e.to_state]
    if not transitions:
        assert request.state == RequestState.DRAFT
        return
    assert transitions[0].from_state == RequestState.DRAFT
    for before, after in zip(transitions, transitions[1:]):
        assert after.from_state == before.to_state
    assert transitions[-1].to_state == request.state
    assert all(e.actor_id and e.organization_id for e in request.audit_events.all())


def started(banner, **overrides):
    request = support.draft(banner, **overrides)
    assert_in_step(request, expect_state=RequestState.DRAFT)
    request = actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    assert_in_step(request, expect_state=RequestState.CONSULTING, expect_tasks=["consult", "consult"])
    return request


def reviewed(banner, request):
    support.bureau_opinions(banner, request)
    assert_in_step(request, expect_state=RequestState.UNDER_REVIEW, expect_tasks=["consolidate"])
    support.conclude(banner, request)
    assert_in_step(request, expect_state=RequestState.AWAITING_APPROVAL, expect_tasks=["banner_decision"])


def test_art4_regular_duty_admitted_after_banner_examination_and_city_approval(banner):
    request = started(banner)
    support.consult_all(banner, request)
    assert_in_step(request, expect_state=RequestState.CONSULTED, expect_tasks=["submit"])
    support.submit(banner, request)
    assert_in_step(request, expect_state=RequestState.SUBMITTED, expect_tasks=["intake"])
    support.accept(banner, request)
    assert_in_step(
        request, expect_state=RequestState.UNDER_REVIEW, expect_tasks=["lead_review", "legality_review", "data_review"]
    )
    reviewed(banner, request)
    support.banner_decides(banner, request)
    assert_in_step(request, expect_state=RequestState.AWAITING_CITY, expect_tasks=["city_decision"])
    support.city_decides(banner, request)
    assert_in_step(request, expect_state=RequestState.ADMITTED)

    duties = TownshipDuty.objects.filter(request=request).order_by("township__division_code")
    assert [d.township for d in duties] == [banner.org("naji"), banner.org("liuhe")]
    for duty in duties:
        assert (duty.funding_amount, duty.funding_source) == (request.funding_amount, "旗本级财政预算")
        assert duty.technical_support == request.technical_support and duty.training == request.training
        assert duty.track == Track.REGULAR and duty.end_date is None
    assert request.approval_decisions.count() == 2
    assert request.audit_events.filter(action=AuditAction.ADMIT_TO_DUTY_LIST).count() == 1


def test_art1_temporary_task_is_admitted_by_the_banner_without_the_city(banner):
    temporary = support.temporary_values()
    request = started(banner, **{k: temporary[k] for k in ("duty_name", "track", "end_date", "completion_time_limit")})
    support.consult_all(banner, request)
    support.submit(banner, request)
    support.accept(banner, request)
    reviewed(banner, request)
    support.banner_decides(banner, request)
    assert_in_step(request, expect_state=RequestState.ADMITTED)
    duties = TownshipDuty.objects.filter(request=request)
    assert duties.count() == 2
    assert {d.end_date for d in duties} == {request.end_date} and request.end_date is not None
    assert request.approval_decisions.count() == 1


def test_art4_1_disagreement_sends_the_request_back_and_a_new_round_needs_everyone(banner):
    request = started(banner)
    support.consult_all(banner, request, disagree=("liuhe",))
    assert_in_step(request, expect_state=RequestState.REVISING, expect_tasks=["revise"])
    disagreement = Consultation.objects.get(request=request, township=banner.org("liuhe"), round=1)
    assert disagreement.outcome == ConsultationOutcome.DISAGREED and "人员不足" in disagreement.opinion

    support.do(
        request,
        "revise",
        banner.users["forestry"],
        lambda: request_services.start_consultation(duty_request=request, actor=banner.users["forestry"]),
    )
    assert_in_step(request, expect_state=RequestState.CONSULTING, expect_tasks=["consult", "consult"])
    assert request.consultation_round == 2
    assert Consultation.objects.filter(request=request, round=2, outcome=ConsultationOutcome.PENDING).count() == 2

    support.consult_all(banner, request)
    assert_in_step(request, expect_state=RequestState.CONSULTED, expect_tasks=["submit"])
    # The first round's written opinions stay on record.
    assert Consultation.objects.filter(request=request).count() == 4


def test_art4_1_department_may_withdraw_instead_of_revising(banner):
    request = started(banner)
    support.consult_all(banner, request, disagree=("naji", "liuhe"))
    assert_in_step(request, expect_state=RequestState.REVISING)
    actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="乡镇均不同意，不再申请。")
    assert_in_step(request, expect_state=RequestState.WITHDRAWN)


def test_intake_supplement_loop_sends_one_notice_listing_everything(banner):
    request = started(banner)
    support.consult_all(banner, request)
    support.submit(banner, request)
    items = ["书面申请未盖章。", "缺少各乡镇人员安排明细。"]
    support.do(
        request,
        "intake",
        banner.users["office"],
        lambda: intake.return_for_supplement(duty_request=request, actor=banner.users["office"], items=items),
    )
    assert_in_step(request, expect_state=RequestState.SUPPLEMENTING, expect_tasks=["supplement"])
    notice = SupplementNotice.objects.get(request=request)
    assert notice.items == items and notice.resolved_at is None

    support.do(
        request,
        "supplement",
        banner.users["forestry"],
        lambda: intake.resubmit_request(
            duty_request=request,
            actor=banner.users["forestry"],
            note="已补正。",
            supporting_files=[support.pdf("补正.pdf")],
        ),
    )
    assert_in_step(request, expect_state=RequestState.SUBMITTED, expect_tasks=["intake"])
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    support.accept(banner, request)
    assert_in_step(request, expect_state=RequestState.UNDER_REVIEW)


def test_art4_2_review_waits_for_every_advisory_opinion(banner):
    request = support.to_under_review(banner)
    office, emergency = banner.users["office"], banner.users["emergency"]
    support.do(
        request,
        "lead_review",
        office,
        lambda: review.request_advisory_opinions(
            duty_request=request,
            actor=office,
            question="与贵局职责是否交叉？",
            departments=[banner.org("emergency")],
            experts=[("王教授", "内蒙古大学法学院")],
        ),
    )
    support.do(
        request,
        "legality_review",
        banner.users["justice"],
        lambda: review.record_bureau_opinion(
            duty_request=request, actor=banner.users["justice"], passes=True, reasoning="合法。"
        ),
    )
    support.do(
        request,
        "data_review",
        banner.users["data"],
        lambda: review.record_bureau_opinion(
            duty_request=request, actor=banner.users["data"], passes=True, reasoning="与权责清单衔接。"
        ),
    )
    # The justice and data bureaus are done, but the lead unit's own review waits for the answers.
    assert_in_step(request, expect_state=RequestState.UNDER_REVIEW, expect_tasks=["give_advice", "give_advice"])

    department_ask, expert_ask = request.advisory_opinions.order_by("expert_name")
    support.do(
        request,
        "give_advice",
        emergency,
        lambda: review.record_advisory_opinion(advisory=department_ask, actor=emergency, answer="无交叉。"),
        advisory_opinion=department_ask.pk,
    )
    assert_in_step(request, expect_tasks=["give_advice"])
    support.do(
        request,
        "give_advice",
        office,
        lambda: review.record_advisory_opinion(advisory=expert_ask, actor=office, answer="专家认为可行。"),
        advisory_opinion=expert_ask.pk,
    )
    assert_in_step(request, expect_state=RequestState.UNDER_REVIEW, expect_tasks=["lead_review"])

    support.do(
        request,
        "lead_review",
        office,
        lambda: review.record_bureau_opinion(
            duty_request=request, actor=office, passes=True, reasoning="综合相关部门和专家意见，同意。"
        ),
    )
    assert_in_step(request, expect_tasks=["consolidate"])
    assert request.audit_events.filter(action=AuditAction.RECORD_ADVISORY_OPINION).count() == 2


def test_art4_2_not_passing_ends_rejected_with_written_reasons(banner):
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request, passes=("office", "data"))
    support.conclude(banner, request, passes=False)
    assert_in_step(request, expect_state=RequestState.REJECTED)
    conclusion = ReviewConclusion.objects.get(request=request)
    assert not conclusion.passes and "法定依据不足" in conclusion.reasons
    assert not TownshipDuty.objects.filter(request=request).exists()


def test_art4_2_rejection_requires_written_reasons(banner):
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    with pytest.raises(ValidationError) as error:
        support.do(
            request,
            "consolidate",
            banner.users["office"],
            lambda: review.conclude_review(
                duty_request=request, actor=banner.users["office"], passes=False, findings=support.FINDINGS, reasons=""
            ),
        )
    assert "reasons" in error.value.message_dict
    # Nothing moved: the task is still open and the request still under review.
    assert_in_step(request, expect_state=RequestState.UNDER_REVIEW, expect_tasks=["consolidate"])


def test_art4_3_leadership_refusal_ends_the_request(banner):
    request = support.to_under_review(banner)
    reviewed(banner, request)
    support.banner_decides(banner, request, approves=False)
    assert_in_step(request, expect_state=RequestState.REFUSED)
    assert request.approval_decisions.get().reasons == "暂缓下放。"
    assert not TownshipDuty.objects.filter(request=request).exists()


def test_art4_3_city_refusal_ends_a_regular_request(banner):
    request = support.to_under_review(banner)
    reviewed(banner, request)
    support.banner_decides(banner, request)
    support.city_decides(banner, request, approves=False)
    assert_in_step(request, expect_state=RequestState.REFUSED)
    assert not TownshipDuty.objects.filter(request=request).exists()


def _walk_to(banner, state):
    request = support.draft(banner)
    if state == RequestState.DRAFT:
        return request
    request = actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    if state == RequestState.CONSULTING:
        return request
    support.consult_all(banner, request)
    if state == RequestState.CONSULTED:
        return request
    support.submit(banner, request)
    support.accept(banner, request)
    if state == RequestState.UNDER_REVIEW:
        return request
    reviewed(banner, request)
    if state == RequestState.AWAITING_APPROVAL:
        return request
    support.banner_decides(banner, request)
    return request


@pytest.mark.parametrize(
    "state",
    [
        RequestState.DRAFT,
        RequestState.CONSULTING,
        RequestState.CONSULTED,
        RequestState.UNDER_REVIEW,
        RequestState.AWAITING_APPROVAL,
        RequestState.AWAITING_CITY,
    ],
)
def test_department_withdraws_before_a_decision_and_every_open_task_is_cancelled(banner, state):
    request = _walk_to(banner, state)
    assert request.state == state
    actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="工作已调整。")
    assert_in_step(request, expect_state=RequestState.WITHDRAWN)
    event = request.audit_events.get(action=AuditAction.WITHDRAW_REQUEST)
    assert (event.from_state, event.note) == (state, "工作已调整。")
    assert not Task.objects.filter(
        process__in=AdmissionProcess.for_request(request), status__in=engine.OPEN_TASK_STATUSES
    ).exists()


def test_withdrawal_after_admission_is_refused(banner):
    request = _walk_to(banner, RequestState.AWAITING_CITY)
    support.city_decides(banner, request)
    with pytest.raises(PermissionDenied):
        actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="不想要了。")
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.ADMITTED
    assert not request.audit_events.filter(action=AuditAction.WITHDRAW_REQUEST).exists()


def test_a_finished_task_cannot_be_performed_twice(banner):
    request = support.to_under_review(banner)
    task = support.open_task(request, "legality_review")
    justice = banner.users["justice"]
    actions.give_bureau_opinion(task=task, actor=justice, passes=True, reasoning="合法。")
    with pytest.raises(ConflictError) as error:
        actions.give_bureau_opinion(task=task, actor=justice, passes=False, reasoning="再审一次。")
    assert "办理完毕" in error.value.message
    assert request.bureau_opinions.count() == 1
    assert AuditEvent.objects.filter(request=request, action=AuditAction.RECORD_BUREAU_OPINION).count() == 1


def test_issue15_a_review_lands_in_the_queue_of_the_banners_body_of_now_though_the_bodies_are_kept_in_the_cache(
    banner, django_assert_num_queries
):
    """Issue 15 (scale): the body a new task's permission names is read from the cache; a body that takes over
    another's kind (here a department made the justice bureau) gets the next review at once."""
    jurisdiction_id = banner.jurisdiction.pk
    justice, successor = banner.org("justice"), banner.org("agriculture")
    permission = banner_body_decision_permission(jurisdiction_id, OrganizationKind.JUSTICE_BUREAU)
    assert permission == organization_decision_permission(justice.pk)
    with django_assert_num_queries(0):
        assert banner_body_decision_permission(jurisdiction_id, OrganizationKind.JUSTICE_BUREAU) == permission

    justice.kind = OrganizationKind.DEPARTMENT
    justice.save()
    successor.kind = OrganizationKind.JUSTICE_BUREAU
    successor.save()
    request = support.to_under_review(banner)
    assert support.open_task(request, "legality_review").owner_permission == organization_decision_permission(
        successor.pk
    )
