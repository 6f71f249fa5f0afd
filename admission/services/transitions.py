"""Shared mechanics of every state-changing action: lock the case, check the transition, audit it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from ..models import AuditAction, DutyRequest, RequestState
from .audit import events_batched, record_event
from .errors import ConflictError

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class _Action:
    """One action's transaction: the cases it has locked, by key (lock_case)."""

    def __init__(self) -> None:
        self.locked: dict[int, DutyRequest] = {}
        self.handed: set[int] = set()
        self.memo: dict[object, object] = {}


_ACTION: ContextVar[_Action | None] = ContextVar("admission_action", default=None)


@contextmanager
def action_transaction(*, opened: bool = False) -> Iterator[None]:
    """The transaction of one action (workflows.engine opens it, `opened` when the case's lock already has): the
    services' blocks inside it take no savepoint. Nothing between them catches a service's error, so the whole action
    rolls back with it either way; the savepoints only cost two statements each. Its audit events are inserted in one
    statement at its end (audit.events_batched)."""
    token = _ACTION.set(_Action())
    try:
        with transaction.atomic(savepoint=not opened), events_batched():
            yield
    finally:
        _ACTION.reset(token)


def service_block() -> transaction.Atomic:
    """A service's atomic block: its own savepoint when called alone inside another transaction, none inside an
    action's transaction."""
    return transaction.atomic(savepoint=_ACTION.get() is None)


def lock_case(pk: int, *, parties: bool = True) -> DutyRequest:
    """The case, read and row-locked at once (inside an action, after the engine's lock on its process): the service
    it is handed to then does not read it a second time (locked_request), and the flow's next tasks take it as their
    process's case (locked_case)."""
    cases = DutyRequest.objects.select_for_update(of=("self",))
    if parties:  # the applicant and the department come along (documents and notices name them), not locked
        cases = cases.select_related("applicant", "department")
    case = cases.get(pk=pk)
    action = _ACTION.get()
    if action is not None:
        action.locked[pk] = case
    return case


def action_memo() -> dict[object, object] | None:
    """What the services may keep for the rest of the current action (its transaction): reads that cannot change
    before it commits; None outside an action."""
    action = _ACTION.get()
    return action.memo if action is not None else None


def locked_case(pk: int) -> DutyRequest | None:
    """The case as this action locked it with lock_case (and as its service left it), if it did."""
    action = _ACTION.get()
    return action.locked.get(pk) if action is not None else None


@contextmanager
def locked_request(duty_request: DutyRequest) -> Iterator[DutyRequest]:
    """A fresh copy of the case, row-locked until the surrounding transaction ends: `duty_request` itself when it is
    the copy this action has just locked (lock_case) and no service has had it yet, else read again."""
    with service_block():
        action = _ACTION.get()
        pk = duty_request.pk
        if action is not None and action.locked.get(pk) is duty_request and pk not in action.handed:
            action.handed.add(pk)
            yield duty_request
        else:
            yield DutyRequest.objects.select_for_update().get(pk=pk)


def apply_transition(
    *,
    duty_request: DutyRequest,
    transition: Callable[[], Any],
    actor: User,
    action: AuditAction,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Run one FSM transition of `request`, save it and record it, or raise ConflictError."""
    if not can_proceed(transition):
        state_label = RequestState(duty_request.state).label
        raise ConflictError(
            _("该申请当前状态为「%(state)s」，不能执行「%(action)s」。请刷新页面查看最新进展。")
            % {"state": state_label, "action": AuditAction(action).label}
        )
    from_state = duty_request.state
    transition()
    duty_request.save()
    record_event(
        duty_request=duty_request,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=duty_request.state,
        note=note,
        data=data,
    )
