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
