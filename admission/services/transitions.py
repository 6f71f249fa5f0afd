"""Shared mechanics of every state-changing action: lock the case, check the transition, audit it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from ..compiled import CompiledQuery
from ..models import AuditAction, DutyRequest, RequestState
from .audit import events_batched, record_event
from .errors import ConflictError

if TYPE_CHECKING:
    from django.contrib.auth.models import User


M = TypeVar("M", bound=Model)


class _Action:
    """One action's transaction: the cases it has locked, by key (lock_case), the rows it has locked that no service
    has taken yet (lock_row), and the new rows it inserts at its end (insert_at_action_end)."""

    def __init__(self) -> None:
        self.locked: dict[int, DutyRequest] = {}
        self.unhanded: dict[tuple[type[Model], object], Model] = {}
        self.memo: dict[object, object] = {}
        self.new_rows: dict[type[Model], list[Model]] = {}


_ACTION: ContextVar[_Action | None] = ContextVar("admission_action", default=None)


@contextmanager
def action_transaction(*, opened: bool = False) -> Iterator[None]:
    """The transaction of one action (workflows.engine opens it, `opened` when the case's lock already has): the
    services' blocks inside it take no savepoint. Nothing between them catches a service's error, so the whole action
    rolls back with it either way; the savepoints only cost two statements each. Its audit events are inserted in one
    statement at its end (audit.events_batched), and so are its new rows of each other kind (insert_at_action_end)."""
    action = _Action()
    token = _ACTION.set(action)
    try:
        with transaction.atomic(savepoint=not opened), events_batched():
            yield
            for model, rows in action.new_rows.items():
                model._default_manager.bulk_create(rows)
    finally:
        _ACTION.reset(token)


def service_block() -> transaction.Atomic:
    """A service's atomic block: its own savepoint when called alone inside another transaction, none inside an
    action's transaction."""
    return transaction.atomic(savepoint=_ACTION.get() is None)


def locking(rows: Callable[..., QuerySet[M]]) -> CompiledQuery[M]:
    """The rows `rows(**keys)` selects, as lock_row reads them: each row-locked (what they select along is not),
    compiled once per process (admission.compiled; an action's reads of its rows are on every completion)."""
    # wraps: the keys are the parameters of `rows`
    return CompiledQuery(wraps(rows)(lambda **keys: rows(**keys).select_for_update(of=("self",))))


def lock_row(rows: CompiledQuery[M], **keys: int) -> M:
    """The row of `rows` (from `locking`) with `keys`, read and row-locked at once (inside an action, after the
    engine's lock on its process and in the order the service would lock it): the service it is handed to then does
    not read it a second time (locked_row). What `rows` selects along comes with it, not locked."""
    row = rows.get(**keys)
    action = _ACTION.get()
    if action is not None:
        action.unhanded[(type(row), row.pk)] = row
    return row


def locked_row(row: M) -> M:
    """A fresh copy of `row`, row-locked until the surrounding transaction ends: `row` itself when it is the copy this
    action has just locked (lock_row) and no service has had it yet, else read again."""
    action = _ACTION.get()
    key = (type(row), row.pk)
    if action is not None and action.unhanded.get(key) is row:
        del action.unhanded[key]
        return row
    return type(row)._default_manager.select_for_update().get(pk=row.pk)


def _cases(*, parties: bool) -> CompiledQuery[DutyRequest]:
    def rows(pk: int) -> QuerySet[DutyRequest]:
        cases = DutyRequest.objects.filter(pk=pk)
        # the applicant and the department come along (documents and notices name them), not locked
        return cases.select_related("applicant", "department") if parties else cases

    return locking(rows)


_CASES = {parties: _cases(parties=parties) for parties in (False, True)}


def lock_case(pk: int, *, parties: bool = True) -> DutyRequest:
    """The case, read and row-locked at once (lock_row); the flow's next tasks take it as their process's case
    (locked_case)."""
    case = lock_row(_CASES[parties], pk=pk)
    action = _ACTION.get()
    if action is not None:
        action.locked[pk] = case
    return case


def insert_at_action_end(row: M) -> M:
    """Insert the new `row` with the current action's other new rows of its kind, in one statement when the action
    ends without an error (a split's three reviews get their deadlines in one), or at once outside an action. Only
    for rows nothing reads back within the action and no receiver of post_save needs (a bulk insert sends none)."""
    action = _ACTION.get()
    if action is None:
        row.save(force_insert=True)
    else:
        action.new_rows.setdefault(type(row), []).append(row)
    return row


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
    """A fresh copy of the case, row-locked until the surrounding transaction ends (locked_row), in a service's
    block."""
    with service_block():
        yield locked_row(duty_request)


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
    from_state = duty_request.state
    try:
        # django-fsm checks the source state and the conditions before it changes anything; asking can_proceed first
        # would read the conditions' rows twice.
        transition()
    except TransitionNotAllowed:
        raise ConflictError(
            _("该申请当前状态为「%(state)s」，不能执行「%(action)s」。请刷新页面查看最新进展。")
            % {"state": RequestState(from_state).label, "action": AuditAction(action).label}
        ) from None
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
