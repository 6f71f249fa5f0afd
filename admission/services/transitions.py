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
from .audit import record_event
from .errors import ConflictError

if TYPE_CHECKING:
    from django.contrib.auth.models import User


_IN_ACTION: ContextVar[bool] = ContextVar("admission_in_action", default=False)


@contextmanager
def action_transaction(*, opened: bool = False) -> Iterator[None]:
    """The transaction of one action (workflows.engine opens it, `opened` when the case's lock already has): the
    services' blocks inside it take no savepoint. Nothing between them catches a service's error, so the whole action
    rolls back with it either way; the savepoints only cost two statements each."""
    token = _IN_ACTION.set(True)
    try:
        with transaction.atomic(savepoint=not opened):
            yield
    finally:
        _IN_ACTION.reset(token)


def service_block() -> transaction.Atomic:
    """A service's atomic block: its own savepoint when called alone inside another transaction, none inside an
    action's transaction."""
    return transaction.atomic(savepoint=not _IN_ACTION.get())


@contextmanager
def locked_request(duty_request: DutyRequest) -> Iterator[DutyRequest]:
    """A fresh copy of the case, row-locked until the surrounding transaction ends."""
    with service_block():
        yield DutyRequest.objects.select_for_update().get(pk=duty_request.pk)


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
