"""The seam between the flow and the domain: locks, in one fixed order, and task bookkeeping.

Every action runs in one transaction that first locks the case's process row (Viewflow's
select_for_update lock), then lets the service lock the request rows it changes. One order everywhere,
so two people acting on one case wait for each other instead of deadlocking into a false "busy".
Only workflows.actions calls the functions that change anything here.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from admission.compiled import CompiledQuery
from admission.models import DutyRequest
from admission.services.errors import ConflictError
from admission.services.transitions import action_transaction, locked_case

from .flows import AdmissionFlow
from .models import AdmissionProcess
from .nodes import links_together

if TYPE_CHECKING:
    from django.contrib.auth.models import User

T = TypeVar("T")

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def busy_message() -> str:
    return _("其他人员正在办理该申请，请稍候几秒后重试。")


def active_process(duty_request: DutyRequest) -> AdmissionProcess | None:
    return AdmissionProcess.for_request(duty_request).filter(status=PROCESS.NEW).first()


def open_tasks(duty_request: DutyRequest) -> QuerySet[Task]:
    return cast(  # Viewflow ships no types
        "QuerySet[Task]",
        Task.objects.filter(process__in=AdmissionProcess.for_request(duty_request), status__in=OPEN_TASK_STATUSES)
        .select_related("owner", "process")
        .order_by("created"),
    )


def open_human_task(duty_request: DutyRequest, node: str) -> Task | None:
    return next((t for t in open_tasks(duty_request).filter(flow_task_type="HUMAN") if t.flow_task.name == node), None)


@contextmanager
def process_locked(process_pk: int | None) -> Iterator[None]:
    """One transaction holding the process row (when the case has one); a lock timeout is a ConflictError."""
    try:
        if process_pk is None:
            with action_transaction():
                yield
        else:
            with AdmissionFlow.lock(process_pk), action_transaction(opened=True):
                yield
    except FlowLockFailed as error:
        raise ConflictError(busy_message()) from error


@contextmanager
def case_locked(duty_request: DutyRequest | None) -> Iterator[None]:
    """Lock the case's open process first, whatever the action then does to the request rows."""
    process = active_process(duty_request) if duty_request is not None and duty_request.pk else None
    with process_locked(process.pk if process else None):
        yield


def start_case(duty_request: DutyRequest) -> None:
    """Start the case's flow; its first nodes read the state the service just set."""
    with links_together():
        AdmissionFlow.start.run(duty_request=duty_request)


def cancel_case(duty_request: DutyRequest) -> None:
    """Cancel the open process and its tasks (inside the caller's case_locked transaction)."""
    process = active_process(duty_request)
    if process is not None:
        AdmissionFlow.instance.cancel(process)


def _holder(task: Task) -> str:
    if task.owner_id:
        owner: User = task.owner
        return owner.get_full_name() or owner.get_username()
    return _("其他人员")


def _finished_message(task: Task) -> str:
    if task.status == STATUS.CANCELED:
        return _("该任务已退回或撤销，无需再办理，请刷新页面。")
    finished = timezone.localtime(task.finished).strftime("%Y-%m-%d %H:%M") if task.finished else ""
    return _("该任务已由%(holder)s于 %(finished)s 办理完毕，无需重复办理。") % {
        "holder": _holder(task),
        "finished": finished,
    }


def _refuse_unit() -> PermissionDenied:
    return PermissionDenied(_("您所在单位无权办理该任务。"))


def taken_message(task: Task) -> str:
    """What a colleague who lost the race for `task` is told: who finished it and when, or who holds it."""
    if task.status not in OPEN_TASK_STATUSES:
        return _finished_message(task)
    return _("该任务已由%(holder)s领取办理，请在任务队列中选择其他任务。") % {"holder": _holder(task)}


def _tasks_locking_process(*, nowait: bool) -> CompiledQuery[Task]:
    """task_locked's read, compiled once per process (admission.compiled)."""
    return CompiledQuery(
        lambda pk: (
            Task.objects.select_related("process").select_for_update(nowait=nowait, of=("process",)).filter(pk=pk)
        )
    )


_TASK_LOCKING_PROCESS = {nowait: _tasks_locking_process(nowait=nowait) for nowait in (False, True)}


@contextmanager
def task_locked(task_pk: int) -> Iterator[Task]:
    """One transaction holding the task's process row (as process_locked), the task read in the statement that locks
    it (SELECT … FOR UPDATE OF the process NOWAIT): one statement where the lock and the read were two. A lock held
    by someone else is tried again as Viewflow's lock does (its attempts and back-off), then is a ConflictError."""
    policy = AdmissionFlow.lock_impl
    attempts = max(1, int(getattr(policy, "attempts", 5)))
    for attempt in range(attempts):
        with action_transaction():
            try:
                # Not its owner: only a refusal names them (taken_message reads them then), and an owner who
                # completes the task is the acting user (run_task hands that object over).
                task = _TASK_LOCKING_PROCESS[bool(getattr(policy, "nowait", True))].get(pk=task_pk)
            except DatabaseError:
                transaction.set_rollback(True)
            else:
                yield task
                return
        if attempt == attempts - 1:
            raise ConflictError(busy_message())
        time.sleep(((attempt + 1) * random.random() + 2**attempt) / 2.5)


def run_task(*, task: Task, user: User, nodes: tuple[str, ...], action: Callable[[], T]) -> T:
    """Claim `task` for `user` if nobody has, run `action()` (the service call), complete the task.

    `nodes` are the steps the caller performs: a task of another step is refused, so each transition has
    one way in. Any exception rolls back the claim, the service's changes and the flow's moves alike.
    """
    if task.flow_task.name not in nodes:
        raise ConflictError(_("该任务不是这一办理环节，请刷新页面。"))
    with task_locked(task.pk) as task:
        if task.status not in OPEN_TASK_STATUSES or (task.owner_id and task.owner_id != user.pk):
            raise ConflictError(taken_message(task))
        if task.owner_id:
            task.owner = user
        if task.status == STATUS.NEW:
            if not task.flow_task.can_assign(user, task):
                raise _refuse_unit()
            # Viewflow's assign() without its save: the task is saved once, done, by execute() below.
            task.owner, task.status = user, STATUS.ASSIGNED
        activation = task.flow_task.activation_class(task)
        activation.start(None)
        result = action()
        case = locked_case(int(task.process.artifact_object_id))
        if case is not None:  # the next tasks' permissions and deadlines read it as the service left it
            activation.process.artifact = case
        with links_together():
            activation.execute()
        return result


def claim(*, task: Task, user: User) -> None:
    with process_locked(task.process_id):
        task = Task.objects.select_related("owner").get(pk=task.pk)
        if task.status != STATUS.NEW:
            raise ConflictError(taken_message(task))
        if not task.flow_task.can_assign(user, task):
            raise _refuse_unit()
        task.flow_task.activation_class(task).assign(user)


def release(*, task: Task, user: User) -> None:
    with process_locked(task.process_id):
        task = Task.objects.get(pk=task.pk)
        if task.status != STATUS.ASSIGNED or task.owner_id != user.pk:
            raise ConflictError(_("只能退回本人已领取且尚未办结的任务。"))
        task.flow_task.activation_class(task).unassign()


def reassign(*, task: Task, assignee: User, action: Callable[[Task], T]) -> T:
    """转办: run `action(task)` on the task as it is now (the service's checks and record), then give it to
    `assignee`."""
    with process_locked(task.process_id):
        task = Task.objects.select_related("owner", "process").get(pk=task.pk)
        result = action(task)
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(assignee)
        else:
            activation.reassign(user=assignee)
        return result


def _path_back(task: Task, to_nodes: tuple[str, ...]) -> list[Task]:
    """The finished tasks from `task` back to the latest task of a step in `to_nodes`, newest first; empty when no
    such step lies behind it."""
    if task.status != STATUS.DONE:
        return []
    if task.flow_task.name in to_nodes:
        return [task]
    behind = [t for previous in task.previous.all() for t in _path_back(previous, to_nodes)]
    return [task, *behind] if behind else []


def send_back(*, task: Task, user: User, to_nodes: tuple[str, ...], action: Callable[[], T]) -> T:
    """退回 with Viewflow's own moves: cancel the open task, undo every finished task between it and the latest task
    of each step sent back to (newest first: a task is undone only once all that followed it is), then revive those
    steps' tasks, which flow on from there as before (a revived review joins again and comes back here)."""
    with process_locked(task.process_id):
        task = Task.objects.select_related("owner").get(pk=task.pk)
        if task.status not in OPEN_TASK_STATUSES:
            raise ConflictError(_finished_message(task))
        if (
            task.owner_id
            and task.owner_id != user.pk
            or not task.owner_id
            and not task.flow_task.can_assign(user, task)
        ):
            raise _refuse_unit()
        result = action()
        task.flow_task.activation_class(task).cancel()
        to_undo = [t for previous in task.previous.all() for t in _path_back(previous, to_nodes)]
        targets = [t for t in to_undo if t.flow_task.name in to_nodes]
        if {t.flow_task.name for t in targets} != set(to_nodes):
            raise ConflictError(_("找不到要退回的环节，请刷新页面。"))
        for done in to_undo:  # newest first: each after what followed it
            done.refresh_from_db()
            done.flow_task.activation_class(done).undo()
        for target in targets:
            target.refresh_from_db()
            target.flow_task.activation_class(target).revive()
        return result
