"""One front door per action a person takes. Pages collect input, call one of these, and show the result.

Each door takes the locks in the engine's one order (process, then request rows), calls the service that
performs the transition and moves the flow in the same transaction. Task doors name the step they perform,
so a task of another step cannot be pushed through them. Actions on the duty list and on reports move no
case; their doors are the services themselves, re-exported here so pages have one place to call (so are comments,
抄送 and the 审批单, which leave the flow as it is).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from admission.models import (
    AdvisoryOpinion,
    ApprovalDecision,
    BureauReviewOpinion,
    Consultation,
    DutyRequest,
    Organization,
    RequestPurpose,
    RequestState,
    ReviewConclusion,
    SupplementNotice,
    TownshipDuty,
)
from admission.services import approval, changes, consultation, habits, intake, review
from admission.services import requests as request_services
from admission.services.duties import confirm_safeguard_delivery, record_safeguard_delivery
from admission.services.errors import ConflictError
from admission.services.habits import comment_on_case, copy_case, issue_approval_form
from admission.services.reports import handle_report, report_unadmitted_duty
from admission.services.transitions import lock_case, lock_row, locking

from . import engine

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "accept_for_review",
    "approve_at_city",
    "ask_for_advice",
    "claim_task",
    "comment_on_case",
    "conclude_review",
    "confirm_safeguard_delivery",
    "consult_townships",
    "copy_case",
    "decide_at_banner",
    "give_advice",
    "give_bureau_opinion",
    "give_consultation_opinion",
    "handle_report",
    "issue_approval_form",
    "propose_change",
    "reassign_task",
    "record_city_decision",
    "record_safeguard_delivery",
    "release_task",
    "report_unadmitted_duty",
    "resubmit_after_supplement",
    "return_for_supplement",
    "return_to_review",
    "revise_and_consult",
    "save_draft",
    "submit_application",
    "urge_task",
    "withdraw",
]


# --- before and around the flow: drafts, consultation, withdrawal, change proposals ------------------


def _consult(*, duty_request: DutyRequest, actor: User) -> DutyRequest:
    """Art. 4(1): send to the townships. A case whose flow waits at `revise` goes on through that task (one flow per
    case); a draft starts its flow here."""
    if duty_request.state == RequestState.REVISING:
        task = engine.open_human_task(duty_request, "revise")
        if task is None:
            raise ConflictError(_("该申请当前没有待办的修改任务，请刷新页面。"))
        return revise_and_consult(task=task, actor=actor)
    duty_request = request_services.start_consultation(duty_request=duty_request, actor=actor)
    engine.start_case(duty_request)
    return duty_request


def save_draft(
    *,
    actor: User,
    values: dict[str, Any],
    townships: Sequence[Organization] = (),
    duty_request: DutyRequest | None = None,
    consult: bool = False,
) -> DutyRequest:
    """Save the applicant's draft and, when asked, send it to the townships — all or nothing."""
    with engine.case_locked(duty_request):
        saved = request_services.save_draft(
            actor=actor, values=values, townships=list(townships), duty_request=duty_request
        )
        if consult:
            saved = _consult(duty_request=saved, actor=actor)
    return saved


def consult_townships(*, duty_request: DutyRequest, actor: User) -> DutyRequest:
    with engine.case_locked(duty_request):
        return _consult(duty_request=duty_request, actor=actor)


def propose_change(
    *, actor: User, duty: TownshipDuty, purpose: str, reasons: str, targets: Sequence[TownshipDuty] = ()
) -> DutyRequest:
    """Art. 4(4) exit / 4(5) adjustment. An exit goes out at once (to the other townships holding the duty, or on
    to the written application); an adjustment opens as a draft whose terms the applicant then edits."""
    with engine.case_locked(None):
        case = changes.propose_change(actor=actor, duty=duty, purpose=purpose, reasons=reasons, targets=list(targets))
        if case.purpose == RequestPurpose.EXIT:
            case = _consult(duty_request=case, actor=actor)
    return case


def withdraw(*, duty_request: DutyRequest, actor: User, reason: str) -> DutyRequest:
    """The applicant withdraws; the flow's open tasks are cancelled in the same transaction."""
    with engine.case_locked(duty_request):
        duty_request = request_services.withdraw_request(duty_request=duty_request, actor=actor, reason=reason)
        engine.cancel_case(duty_request)
    return duty_request


JOINT_REVIEW_NODES = ("lead_review", "legality_review", "data_review")

# --- tasks: one door per step of admission.procedure.STEPS ---------------------------------------------


def _case(task: Task, *, parties: bool = True) -> DutyRequest:
    """The task's case, read and row-locked by the process's artifact key (one query; the process is loaded with the
    task): the service's own lock takes this copy instead of reading the case again. Without `parties` when the step
    names neither the applicant nor the department."""
    return lock_case(int(task.process.artifact_object_id), parties=parties)


_CONSULTATIONS = locking(
    lambda pk, request_id: Consultation.objects.filter(pk=pk, request_id=request_id).select_related("township")
)


def _consultation(task: Task) -> Consultation:
    """The township's consultation, read and row-locked at once after its case (as _case; the order the service locks
    them in), with the township its permission names: the service's own lock takes this copy."""
    case = _case(task)
    found = lock_row(_CONSULTATIONS, pk=task.data["consultation"], request_id=case.pk)
    found.request = case
    return found


def give_consultation_opinion(
    *, task: Task, actor: User, agrees: bool, opinion: str, letter: UploadedFile | None = None
) -> Consultation:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("consult",),
        action=lambda: consultation.record_consultation_opinion(
            consultation=_consultation(task),
            actor=actor,
            agrees=agrees,
            opinion=opinion,
            letter=letter,
        ),
    )


def revise_and_consult(*, task: Task, actor: User) -> DutyRequest:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("revise",),
        action=lambda: request_services.start_consultation(
            duty_request=_case(task),
            actor=actor,
        ),
    )


def submit_application(
    *,
    task: Task,
    actor: User,
    application_letter: UploadedFile | None,
    supporting_files: Iterable[UploadedFile] = (),
) -> DutyRequest:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("submit",),
        action=lambda: request_services.submit_request(
            duty_request=_case(task),
            actor=actor,
            application_letter=application_letter,
            supporting_files=supporting_files,
        ),
    )


def accept_for_review(*, task: Task, actor: User, note: str = "") -> DutyRequest:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("intake",),
        action=lambda: intake.accept_for_review(
            duty_request=_case(task),
            actor=actor,
            note=note,
        ),
    )


def return_for_supplement(*, task: Task, actor: User, items: list[str]) -> SupplementNotice:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("intake",),
        action=lambda: intake.return_for_supplement(
            duty_request=_case(task),
            actor=actor,
            items=items,
        ),
    )


def resubmit_after_supplement(
    *, task: Task, actor: User, note: str = "", supporting_files: Iterable[UploadedFile] = ()
) -> DutyRequest:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("supplement",),
        action=lambda: intake.resubmit_request(
            duty_request=_case(task),
            actor=actor,
            note=note,
            supporting_files=supporting_files,
        ),
    )


def ask_for_advice(
    *,
    task: Task,
    actor: User,
    question: str,
    departments: Sequence[Organization] = (),
    experts: Sequence[tuple[str, str]] = (),
) -> list[AdvisoryOpinion]:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("lead_review",),
        action=lambda: review.request_advisory_opinions(
            duty_request=_case(task),
            actor=actor,
            question=question,
            departments=list(departments),
            experts=list(experts),
        ),
    )


def give_bureau_opinion(*, task: Task, actor: User, passes: bool | None, reasoning: str) -> BureauReviewOpinion:
    """Art. 3, 4(2): the opinion of one member of the joint meeting (lead, legality or data review)."""
    return engine.run_task(
        task=task,
        user=actor,
        nodes=JOINT_REVIEW_NODES,
        action=lambda: review.record_bureau_opinion(
            duty_request=_case(task, parties=False),  # a member's opinion, or the consolidation task it opens
            actor=actor,
            passes=passes,
            reasoning=reasoning,
        ),
    )


def give_advice(*, task: Task, actor: User, answer: str, letter: UploadedFile | None = None) -> AdvisoryOpinion:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("give_advice",),
        action=lambda: review.record_advisory_opinion(
            advisory=AdvisoryOpinion.objects.get(pk=task.data["advisory_opinion"]),
            actor=actor,
            answer=answer,
            letter=letter,
        ),
    )


def conclude_review(
    *, task: Task, actor: User, passes: bool, findings: dict[str, str], reasons: str = "", remedy: str = ""
) -> ReviewConclusion:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("consolidate",),
        action=lambda: review.conclude_review(
            duty_request=_case(task),
            actor=actor,
            passes=passes,
            findings=findings,
            reasons=reasons,
            remedy=remedy,
        ),
    )


def decide_at_banner(*, task: Task, actor: User, approves: bool, reasons: str = "") -> ApprovalDecision:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("banner_decision",),
        action=lambda: approval.decide_at_banner(
            duty_request=_case(task),
            actor=actor,
            approves=approves,
            reasons=reasons,
        ),
    )


def approve_at_city(*, task: Task, actor: User, approves: bool, reasons: str = "") -> ApprovalDecision:
    """Issue 15: the government of a league or city on the platform approves the regular track in it."""
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("city_approval",),
        action=lambda: approval.approve_at_city(
            duty_request=_case(task),
            actor=actor,
            approves=approves,
            reasons=reasons,
        ),
    )


def record_city_decision(
    *,
    task: Task,
    actor: User,
    approves: bool,
    document_number: str,
    decision_date: date | None,
    reply_scan: UploadedFile | None,
    reasons: str = "",
) -> ApprovalDecision:
    return engine.run_task(
        task=task,
        user=actor,
        nodes=("city_decision",),
        action=lambda: approval.record_city_decision(
            duty_request=_case(task),
            actor=actor,
            approves=approves,
            document_number=document_number,
            decision_date=decision_date,
            reply_scan=reply_scan,
            reasons=reasons,
        ),
    )


def claim_task(*, task: Task, actor: User) -> None:
    engine.claim(task=task, user=actor)


def release_task(*, task: Task, actor: User) -> None:
    engine.release(task=task, user=actor)


# --- the habits of approval offices (issue 13): 转办, 催办, 退回 --------------------------------------------------


def reassign_task(*, task: Task, actor: User, assignee: User, reason: str = "") -> None:
    """转办: the head gives a task of the unit to one of its members, under the case's lock."""
    engine.reassign(
        task=task,
        assignee=assignee,
        action=lambda current: habits.reassign_task(task=current, actor=actor, assignee=assignee, reason=reason),
    )


def urge_task(*, task: Task, actor: User, note: str = "") -> int:
    """催办: tells the holders of an overdue task; the flow stays as it is."""
    with engine.process_locked(task.process_id):
        return habits.urge_task(task=Task.objects.select_related("owner").get(pk=task.pk), actor=actor, note=note)


def return_to_review(*, task: Task, actor: User, nodes: Sequence[str], reasons: str) -> None:
    """退回 (admission.procedure.RETURNS_TO): the holder of the task sends the case back to the steps before it."""
    engine.send_back(
        task=task,
        user=actor,
        to_nodes=tuple(nodes),
        action=lambda: habits.return_to_review(
            duty_request=_case(task), actor=actor, from_node=task.flow_task.name, nodes=nodes, reasons=reasons
        ),
    )
