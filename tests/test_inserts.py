"""admission/inserts.py inserts new rows as bulk_create does: every column's value, keys set in the order given
(over several statements too), and no row pointing at an unsaved one."""

import pytest

from admission.inserts import ROWS_PER_STATEMENT, insert_new
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
