"""等保2.0 安全审计: the audit trail cannot be rewritten unnoticed. Events are sealed into a hash chain after their
transaction commits; `manage.py verify_audit` walks it and names the first broken event; on PostgreSQL the table
refuses UPDATE and DELETE outright."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from admission.models import AuditAction, AuditChainHead, AuditEvent
from admission.services.audit import seal_pending_events, verify_chain
from tests import support

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")


@pytest.fixture
def sealed_case(banner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        duty_request = support.to_under_review(banner)
    assert not AuditEvent.objects.filter(sequence__isnull=True).exists()
    return duty_request


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _tamper(statement: str, *params) -> None:
    """SQL by someone who can also switch off PostgreSQL's trigger (the table's owner): the chain still tells."""
    if connection.vendor == "postgresql":
        _sql("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred FK checks, so the table may be altered
        _sql("ALTER TABLE admission_auditevent DISABLE TRIGGER admission_audit_append_only")
    _sql(statement, *params)
    if connection.vendor == "postgresql":
        _sql("ALTER TABLE admission_auditevent ENABLE TRIGGER admission_audit_append_only")


def test_every_committed_event_is_sealed_onto_one_unbroken_chain(sealed_case):
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert all(later.previous_hash == earlier.hash for earlier, later in zip(events, events[1:]))
    head = AuditChainHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (events[-1].sequence, events[-1].hash)
    assert verify_chain() == (len(events), None)
    call_command("verify_audit")


def test_an_event_recorded_before_a_crash_is_sealed_by_the_next_seal(banner):
    """The test's transaction never commits, so no on-commit seal runs: as after a process killed in between."""
    support.draft(banner)
    pending = AuditEvent.objects.filter(sequence__isnull=True).count()
    assert AuditEvent.objects.changes().filter(sequence__isnull=True).count() == 1  # the draft, beside the members
    assert seal_pending_events() == pending
    assert verify_chain() == (pending, None)


def test_an_event_rewritten_by_sql_is_named_by_verify_audit(sealed_case):
    approval = AuditEvent.objects.filter(action=AuditAction.ACCEPT_FOR_REVIEW).get()
    _tamper("UPDATE admission_auditevent SET actor_id = NULL, note = %s WHERE id = %s", "改写", approval.pk)

    checked, broken = verify_chain()
    assert broken is not None and broken.event_id == approval.pk and "altered" in broken.problem
    assert checked == approval.sequence - 1
    with pytest.raises(CommandError, match=rf"broken at #{approval.sequence} \(event id {approval.pk}\)"):
        call_command("verify_audit")


def test_an_event_deleted_by_sql_is_named_by_verify_audit(sealed_case):
    victim = AuditEvent.objects.order_by("sequence")[2]
    _tamper("DELETE FROM admission_auditevent WHERE id = %s", victim.pk)

    _checked, broken = verify_chain()
    assert broken is not None and broken.sequence == victim.sequence and "missing" in broken.problem
    with pytest.raises(CommandError, match=rf"broken at #{victim.sequence}"):
        call_command("verify_audit")


def test_the_last_event_deleted_by_sql_is_caught_by_the_chain_head(sealed_case):
    last = AuditEvent.objects.order_by("-sequence").first()
    _tamper("DELETE FROM admission_auditevent WHERE id = %s", last.pk)
    _checked, broken = verify_chain()
    assert broken is not None and "ends before" in broken.problem


@on_postgresql
@pytest.mark.postgres
def test_postgresql_refuses_to_update_or_delete_an_audit_event(sealed_case):
    event = AuditEvent.objects.order_by("sequence").first()
    for statement in (
        "UPDATE admission_auditevent SET note = 'x' WHERE id = %s",
        "UPDATE admission_auditevent SET hash = 'x' WHERE id = %s",
        "DELETE FROM admission_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql(statement, event.pk)
    assert verify_chain()[1] is None


def test_the_orm_refuses_to_change_an_event(sealed_case):
    event = AuditEvent.objects.first()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(note="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()


def _waiting_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


@on_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_committer_gives_way_to_a_seal_in_progress_which_seals_its_event_too():
    """Issue 15 (scale): sealing after each commit under the head's lock made every committer queue behind the
    others' seals. Now a committer that finds the head locked does not wait, and the sealer holding it looks again
    after its own commit: the committer's event is sealed in that sealer's next batch, and the chain stays whole.

    Real row locks in three connections: `head` and `row` hold what a sealer needs, a sealer is stopped half-way
    (holding the head, waiting for the event row), and an event committed meanwhile is sealed by that sealer."""
    import threading

    from django.db import connections

    from admission.services.audit import record_security_event, seal_after_commit

    AuditChainHead.objects.get_or_create(pk=1)
    opened: dict[str, object] = {}

    def locker(name: str, sql: str, params: list, release: threading.Event) -> None:
        try:
            with transaction.atomic():
                _sql(sql, *params)
                opened[name] = True
                release.wait(20)
        finally:
            connections.close_all()

    release_head, release_row = threading.Event(), threading.Event()
    head = threading.Thread(
        target=locker,
        args=("head", "SELECT 1 FROM admission_auditchainhead WHERE id = 1 FOR UPDATE", [], release_head),
    )
    head.start()
    while "head" not in opened:
        threading.Event().wait(0.01)

    # 1. A committer finds the head locked: it does not wait (a lock timeout would raise here), its event stays
    #    pending for now.
    _sql("SET lock_timeout = '2s'")
    first = record_security_event(actor=None, action=AuditAction.LOGIN_FAILED, note="甲")
    assert AuditEvent.objects.get(pk=first.pk).sequence is None
    assert seal_after_commit() == 0

    # 2. A sealer takes the head once it is free and stops on the first event's row, held by another connection.
    row = threading.Thread(
        target=locker,
        args=("row", "SELECT 1 FROM admission_auditevent WHERE id = %s FOR UPDATE", [first.pk], release_row),
    )
    row.start()
    while "row" not in opened:
        threading.Event().wait(0.01)
    sealer: dict[str, object] = {}

    def seal() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                sealer["pid"] = cursor.fetchone()[0]
            sealer["sealed"] = seal_pending_events()
        finally:
            connections.close_all()

    sealing = threading.Thread(target=seal)
    sealing.start()
    release_head.set()
    head.join(10)
    for _ in range(500):
        if "pid" in sealer and _waiting_for_a_lock(sealer["pid"]):
            break
        threading.Event().wait(0.01)
    assert _waiting_for_a_lock(sealer["pid"]), "the sealer never reached the event's row"

    # 3. Another event commits while the sealer holds the head: its committer gives way at once.
    second = record_security_event(actor=None, action=AuditAction.LOGIN_FAILED, note="乙")
    assert AuditEvent.objects.get(pk=second.pk).sequence is None

    # 4. The sealer goes on, commits the first, looks again and seals the second.
    release_row.set()
    row.join(10)
    sealing.join(20)
    assert sealer["sealed"] == 2
    events = AuditEvent.objects.filter(pk__in=[first.pk, second.pk]).order_by("sequence")
    assert [e.pk for e in events] == [first.pk, second.pk]
    assert not AuditEvent.objects.filter(sequence__isnull=True).exists()
    assert verify_chain() == (AuditEvent.objects.count(), None)


@pytest.mark.django_db(transaction=True)
def test_a_process_seals_at_most_once_an_interval_and_its_next_seal_takes_what_it_left(settings):
    """Issue 15 (scale): a seal after every commit was a quarter of a task completion's statements. A process now
    seals after a commit at most once every ADMISSION_AUDIT_SEAL_SECONDS; an event committed in between waits for
    the next seal, which chains it in order."""
    import time

    from admission.services.audit import record_security_event

    settings.ADMISSION_AUDIT_SEAL_SECONDS = 0.5
    time.sleep(0.5)  # whatever this process sealed before is an interval ago

    first = record_security_event(actor=None, action=AuditAction.LOGIN_FAILED, note="甲")
    second = record_security_event(actor=None, action=AuditAction.LOGIN_FAILED, note="乙")
    assert AuditEvent.objects.get(pk=first.pk).sequence is not None
    assert AuditEvent.objects.get(pk=second.pk).sequence is None

    time.sleep(0.5)
    third = record_security_event(actor=None, action=AuditAction.LOGIN_FAILED, note="丙")
    events = AuditEvent.objects.filter(pk__in=[first.pk, second.pk, third.pk]).order_by("sequence")
    assert [e.pk for e in events] == [first.pk, second.pk, third.pk]
    assert not AuditEvent.objects.filter(sequence__isnull=True).exists()
    assert verify_chain() == (AuditEvent.objects.count(), None)
