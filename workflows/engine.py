"""The seam between people's actions and the flow: lock the process, run the service, move the flow.

Views call these; each runs in one transaction under the process row lock, so a service's FSM
transition and the flow's task changes commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from admission.models import DutyRequest, RequestState
from admission.services import requests as request_services
from admission.services.errors import ConflictError

from .models import AdmissionProcess

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
BUSY_MESSAGE = "其他人员正在办理该申请，请稍候几秒后重试。"


def _flow():
    from .flows import AdmissionFlow

    return AdmissionFlow


def active_process(duty_request: DutyRequest) -> AdmissionProcess | None:
    return AdmissionProcess.for_request(duty_request).filter(status=PROCESS.NEW).first()


def _holder(task: Task) -> str:
    return task.owner.get_full_name() or task.owner.get_username() if task.owner_id else "其他人员"


def begin_consultation(*, duty_request: DutyRequest, actor) -> DutyRequest:
    """Art. 4(1): a draft goes to the townships; this starts the case's flow."""
    with transaction.atomic():
        duty_request = request_services.start_consultation(duty_request=duty_request, actor=actor)
        _flow().start.run(duty_request=duty_request)
    return duty_request


def consult_townships(*, duty_request: DutyRequest, actor) -> DutyRequest:
    """Art. 4(1): send the request to the townships — the first time (a new flow), or again after a
    disagreement (through the open revise task, so there is only ever one flow per case)."""
    if duty_request.state == RequestState.REVISING:
        task = open_tasks(duty_request).filter(flow_task_type="HUMAN").first()
        if task is None or task.flow_task.name != "revise":
            raise ConflictError("该申请当前没有待办的修改任务，请刷新页面。")
        perform_task(task=task, user=actor, action=lambda activation: request_services.start_consultation(
            duty_request=duty_request, actor=actor))
        duty_request.refresh_from_db()
        return duty_request
    return begin_consultation(duty_request=duty_request, actor=actor)


def perform_task(*, task: Task, user, action: Callable[[Any], Any]) -> Any:
    """Claim `task` for `user` if nobody has, run `action(activation)` (a service call), complete the task.

    Any exception rolls back the claim, the service's changes and the flow's moves alike.
    """
    flow_class = task.flow_task.flow_class
    try:
        with flow_class.lock(task.process_id), transaction.atomic():
            task = Task.objects.select_related("owner").get(pk=task.pk)
            if task.status not in OPEN_TASK_STATUSES:
                finished = timezone.localtime(task.finished).strftime("%Y-%m-%d %H:%M") if task.finished else ""
                raise ConflictError(f"该任务已由{_holder(task)}于 {finished} 办理完毕，无需重复办理。")
            if task.owner_id and task.owner_id != user.pk:
                raise ConflictError(f"该任务已由{_holder(task)}领取办理，请在任务队列中选择其他任务。")
            activation = task.flow_task.activation_class(task)
            if task.status == STATUS.NEW:
                if not task.flow_task.can_assign(user, task):
                    raise PermissionDenied("您所在单位无权办理该任务。")
                activation.assign(user)
            activation.start(None)
            result = action(activation)
            activation.execute()
            return result
    except FlowLockFailed as error:
        raise ConflictError(BUSY_MESSAGE) from error


def claim_task(*, task: Task, user) -> None:
    try:
        with task.flow_task.flow_class.lock(task.process_id), transaction.atomic():
            task = Task.objects.select_related("owner").get(pk=task.pk)
            if task.status != STATUS.NEW:
                raise ConflictError(f"该任务已由{_holder(task)}领取或办结。")
            if not task.flow_task.can_assign(user, task):
                raise PermissionDenied("您所在单位无权办理该任务。")
            task.flow_task.activation_class(task).assign(user)
    except FlowLockFailed as error:
        raise ConflictError(BUSY_MESSAGE) from error


def release_task(*, task: Task, user) -> None:
    try:
        with task.flow_task.flow_class.lock(task.process_id), transaction.atomic():
            task = Task.objects.get(pk=task.pk)
            if task.status != STATUS.ASSIGNED or task.owner_id != user.pk:
                raise ConflictError("只能退回本人已领取且尚未办结的任务。")
            task.flow_task.activation_class(task).unassign()
    except FlowLockFailed as error:
        raise ConflictError(BUSY_MESSAGE) from error


def withdraw(*, duty_request: DutyRequest, actor, reason: str) -> DutyRequest:
    """The department withdraws; the flow's open tasks are cancelled in the same transaction."""
    process = active_process(duty_request)
    if process is None:
        return request_services.withdraw_request(duty_request=duty_request, actor=actor, reason=reason)
    flow_class = _flow()
    try:
        with flow_class.lock(process.pk), transaction.atomic():
            duty_request = request_services.withdraw_request(duty_request=duty_request, actor=actor, reason=reason)
            flow_class.instance.cancel(process)
    except FlowLockFailed as error:
        raise ConflictError(BUSY_MESSAGE) from error
    return duty_request


def open_tasks(duty_request: DutyRequest):
    return (
        Task.objects.filter(process__in=AdmissionProcess.for_request(duty_request), status__in=OPEN_TASK_STATUSES)
        .select_related("owner")
        .order_by("created")
    )
