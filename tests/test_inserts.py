"""admission/inserts.py inserts new rows as bulk_create does: every column's value, keys set in the order given
(over several statements too), and no row pointing at an unsaved one; insert_new_unless_present leaves out, in the
same statement, the rows a unique constraint would refuse, and says which."""

import pytest
from django.db import IntegrityError, transaction

from admission.inserts import ROWS_PER_STATEMENT, insert_new, insert_new_unless_present
from admission.models import AuditAction, AuditEvent, DutyRequest


def events(count: int, **fields) -> list[AuditEvent]:
    return [AuditEvent(action=AuditAction.ADMIN_CHANGE, note=f"第{n}条", data={"n": n}, **fields) for n in range(count)]


def test_rows_are_inserted_in_the_order_given_with_their_keys_and_values_across_statements(db):
    new = events(ROWS_PER_STATEMENT + 2)
    insert_new(new)
    keys = [event.pk for event in new]
    assert None not in keys and keys == sorted(keys)
    stored = {e.pk: e for e in AuditEvent.objects.filter(pk__in=keys)}
    assert [(stored[k].note, stored[k].data, stored[k].created_at) for k in keys] == [
        (e.note, e.data, e.created_at) for e in new
    ]
    assert all(e.created_at is not None and not e._state.adding for e in new)


def test_a_row_pointing_at_an_unsaved_row_is_refused_as_bulk_create_refuses_it(db):
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_new(events(1, request=DutyRequest()))


FIRST = 9_000_000  # AuditEvent.sequence is unique; numbers the chain has not reached


def test_only_rows_whose_unique_values_are_not_yet_there_are_inserted_and_each_says_whether_it_was(db):
    """Left out: a row whose value is stored (FIRST, FIRST + 1) or is an earlier row's, in its statement (FIRST + 2)
    or in an earlier one (FIRST + 10); never a row without one (NULLs are distinct). The others go in with their keys
    and values, in the order given, over several statements."""
    present = events(2)
    for number, event in enumerate(present):
        event.sequence, event.note = FIRST + number, "已有"
    insert_new(present)
    sequences = [
        FIRST,
        None,
        FIRST + 2,
        FIRST + 2,
        None,
        *(FIRST + 10 + n for n in range(ROWS_PER_STATEMENT - 5)),
        FIRST + 1,  # the second statement's rows
        FIRST + 3,
        FIRST + 10,
    ]
    new = events(len(sequences))
    for event, sequence in zip(new, sequences, strict=True):
        event.sequence = sequence
    expected = [False, True, True, False, True, *[True] * (ROWS_PER_STATEMENT - 5), False, True, False]

    assert insert_new_unless_present(new, unique=("sequence",)) == expected

    inserted = [event for event, went_in in zip(new, expected, strict=True) if went_in]
    keys = [event.pk for event in inserted]
    assert None not in keys and keys == sorted(keys) and not any(e._state.adding for e in inserted)
    assert all(e.pk is None and e._state.adding for e, went_in in zip(new, expected, strict=True) if not went_in)
    stored = AuditEvent.objects.filter(pk__in=keys + [e.pk for e in present]).order_by("pk")
    assert [(e.pk, e.sequence, e.note) for e in stored] == [(e.pk, e.sequence, e.note) for e in present + inserted]


def test_only_the_unique_constraints_refusal_is_left_out_any_other_still_fails(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new_unless_present([AuditEvent(action=None, note="无动作", sequence=FIRST)], unique=("sequence",))
    assert not AuditEvent.objects.filter(sequence=FIRST).exists()


def test_the_fields_must_be_those_of_one_unique_constraint(db):
    with pytest.raises(ValueError, match="no unique constraint on exactly note"):
        insert_new_unless_present(events(1), unique=("note",))
    assert not AuditEvent.objects.exists()
