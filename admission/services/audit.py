"""The audit trail: append an event in the transaction of what it records; seal events into the hash chain after
commit; walk the chain to find the first event rewritten, removed or inserted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction

from ..inserts import insert_new
from ..models import AuditAction, AuditChainHead, AuditEvent, AuditOutcome, DutyRequest
from ..models.audit import GENESIS_HASH, event_digest
from ..permissions import membership_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class Origin:
    """Where an action comes from: the address and client of the web request, when there is one."""

    address: str | None = None
    user_agent: str = ""
    user: Any = None  # who is signed in to the request: the actor of events recorded by model receivers


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


@contextmanager
def acting_from(origin: Origin) -> Iterator[None]:
    """Every event recorded inside carries `origin` (set by the web layer for each request)."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def record_event(
    *,
    duty_request: DutyRequest | None,
    actor: User | AnonymousUser | None,
    action: AuditAction,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    jurisdiction_id: int | None = None,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
) -> AuditEvent:
    """Append one audit event; call it inside the transaction of the change it records."""
    origin = _origin.get() or Origin()
    if actor is None and origin.user is not None and origin.user.is_authenticated:
        actor = origin.user
    membership = membership_of(actor)
    if jurisdiction_id is None:
        if duty_request is not None:
            jurisdiction_id = duty_request.jurisdiction_id
        elif membership is not None:
            jurisdiction_id = membership.organization.jurisdiction_id
    event = AuditEvent(
        jurisdiction_id=jurisdiction_id,
        request=duty_request,
        actor=actor if actor is not None and actor.is_authenticated else None,
        organization=membership.organization if membership else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
        source_address=origin.address,
        user_agent=origin.user_agent[:300],
        outcome=outcome,
    )
    batch = _batch.get()
    if batch is not None:  # inside an action: inserted with the action's other events when it ends
        batch.append(event)
        return event
    insert_new([event])
    transaction.on_commit(seal_after_commit, robust=True)  # a failed seal is retried by the next one
    return event


_batch: ContextVar[list[AuditEvent] | None] = ContextVar("audit_batch", default=None)


@contextmanager
def events_batched() -> Iterator[None]:
    """The events recorded inside are inserted together, in the order recorded, when the block ends without an error
    (one statement for an action's two to five events: a decision, its document, an upload …); call it inside the
    transaction they belong to. They are sealed after its commit as ever; until the block ends they have no key."""
    batch: list[AuditEvent] = []
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    if batch:
        insert_new(batch)  # a statement built once, where bulk_create's building cost twice what it does
        transaction.on_commit(seal_after_commit, robust=True)


def record_security_event(
    *,
    actor: User | AnonymousUser | None,
    action: AuditAction,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    note: str = "",
    data: dict[str, Any] | None = None,
    jurisdiction_id: int | None = None,
) -> AuditEvent:
    """A login, a refusal, a download: an event of its own, committed even when nothing else is."""
    with transaction.atomic():
        return record_event(
            duty_request=None,
            actor=actor,
            action=action,
            outcome=outcome,
            note=note,
            data=data,
            jurisdiction_id=jurisdiction_id,
        )


def seal_after_commit() -> int:
    """What every recording transaction runs once it commits: seal, unless this process sealed less than
    ADMISSION_AUDIT_SEAL_SECONDS ago or another process is sealing right now.

    A seal is a transaction of its own (the chain's head locked, the pending events read and chained): after every
    commit it was a quarter of a completion's statements. At most one per interval per process, each sealing the
    batch committed meanwhile by every process; what the last commits of a burst leave is sealed by the next seal
    after the interval (this process's or any other's) or by the scheduler's (admission.seal_audit_events, every
    10 s; without a broker, the web process's sweep). A committer never waits for another's seal: the sealer that
    holds the chain's head looks again after its own commit and seals what was committed meanwhile. A process killed
    between its commit and its seal leaves events the same sweeps take."""
    global _sealed_at
    now = time.monotonic()
    if _sealed_at is not None and now - _sealed_at < settings.ADMISSION_AUDIT_SEAL_SECONDS:
        return 0
    _sealed_at = now
    return seal_pending_events(wait=False)


_sealed_at: float | None = None  # when this process last ran seal_after_commit's seal (time.monotonic)


def seal_pending_events(*, batch: int = 500, wait: bool = True) -> int:
    """Chain every committed, unsealed event onto the head, in the order they are found; returns how many.

    Sealing runs after the recording transaction commits, in its own short transaction, so concurrent cases do not
    queue on the chain's head while they work. With `wait=False` it gives way when another process holds the head;
    that process looks for pending events again before it stops, after its commit, when every event committed before
    this call is visible to it."""
    sealed = 0
    while True:
        with transaction.atomic():
            head = _lock_head(wait=wait)
            if head is None:  # another process is sealing, and looks again before it stops
                return sealed
            last_sequence, last_hash = head
            sql, params = _pending_statement(connection.vendor, batch)
            pending = list(AuditEvent.objects.raw(sql, params))
            for event in pending:
                event.sequence, event.previous_hash = last_sequence + 1, last_hash
                event.hash = event_digest(event.sealed_values())
                last_sequence, last_hash = event.sequence, event.hash
            if pending:
                _write_seals(pending)
                _write_head(last_sequence, last_hash)
        sealed += len(pending)
        if len(pending) < batch and not _any_pending():
            return sealed
        wait = False  # the rest was committed while we sealed: sealed by us, or by whoever holds the head now


# The seal's reads are compiled by Django once per process (and the head's writes are written out): building and
# compiling its four statements each time was 3,000 of the 4,300 Python calls of a seal of six events.
@cache
def _pending_statement(vendor: str, batch: int) -> tuple[str, tuple[Any, ...]]:
    """The first `batch` unsealed events, in the order they were inserted."""
    sql, params = AuditEvent.objects.filter(sequence__isnull=True).order_by("pk")[:batch].query.sql_with_params()
    return sql, tuple(params)


@cache
def _any_pending_statement(vendor: str) -> tuple[str, tuple[Any, ...]]:
    sql, params = AuditEvent.objects.filter(sequence__isnull=True).values_list("pk")[:1].query.sql_with_params()
    return sql, tuple(params)


def _any_pending() -> bool:
    """Whether an unsealed event is committed (or inserted by this transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(*_any_pending_statement(connection.vendor))
        return cursor.fetchone() is not None


def _write_seals(events: list[AuditEvent]) -> None:
    """The one permitted write to events (AuditEventQuerySet refuses update() to everyone else; on PostgreSQL a
    trigger refuses it for an event already sealed): one UPDATE from a list of values for the whole batch, which
    costs little Python per event where bulk_update's CASE per field and event cost a millisecond each."""
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(events))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET sequence = v.column2, previous_hash = v.column3, "
            f"hash = v.column4 FROM (VALUES {rows}) AS v WHERE id = v.column1 AND sequence IS NULL",
            [value for event in events for value in (event.pk, event.sequence, event.previous_hash, event.hash)],
        )


def _write_head(last_sequence: int, last_hash: str) -> None:
    """The chain's new end, on the head this transaction has locked."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditChainHead._meta.db_table} SET last_sequence = %s, last_hash = %s WHERE id = 1",
            [last_sequence, last_hash],
        )


@cache
def _head_statement(vendor: str, wait: bool) -> tuple[str, tuple[Any, ...]]:
    """The head's end, locked (without `wait`, skipping it when another holds it); compiled in a transaction."""
    heads = AuditChainHead.objects.filter(pk=1).select_for_update(skip_locked=not wait)
    sql, params = heads.values_list("last_sequence", "last_hash").query.sql_with_params()
    return sql, tuple(params)


def _lock_head(*, wait: bool) -> tuple[int, str] | None:
    """The chain's end (last sequence and hash), its head row-locked until the transaction ends; None when `wait` is
    false and another holds it."""
    with connection.cursor() as cursor:
        cursor.execute(*_head_statement(connection.vendor, wait))
        row = cursor.fetchone()
    if row is not None:
        return row[0], row[1]
    if not wait and AuditChainHead.objects.filter(pk=1).exists():
        return None
    head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head.last_sequence, head.last_hash


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    event_id: int | None
    problem: str


def verify_chain() -> tuple[int, ChainBreak | None]:
    """Walk the sealed chain in order: (events checked, the first break or None)."""
    expected_previous, expected_sequence, checked = GENESIS_HASH, 1, 0
    events = AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence")
    for event in events.iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return checked, ChainBreak(expected_sequence, None, f"missing: the chain jumps to #{event.sequence}")
        if event.previous_hash != expected_previous:
            return checked, ChainBreak(event.sequence, event.pk, "does not follow the event before it")
        if event_digest(event.sealed_values()) != event.hash:
            return checked, ChainBreak(event.sequence, event.pk, "altered after it was sealed")
        expected_previous, expected_sequence, checked = event.hash, expected_sequence + 1, checked + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_sequence, head.last_hash) != (expected_sequence - 1, expected_previous):
        return checked, ChainBreak(expected_sequence, None, f"missing: the chain ends before #{head.last_sequence}")
    return checked, None
