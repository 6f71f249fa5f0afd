"""The mechanics every state-changing service shares (admission/services/transitions.py, Art. 2 strict procedure):
an action the state does not allow is refused, says why, and changes nothing; services act on the current state.

Every state-changing step after consultation starts goes through `workflows.engine` (support.do,
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly (support.direct_*): that is where the rule lives, and the assertion is that
nothing changed.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from admission.models import ApprovalDecision, Attachment, DutyRequest, RequestState
from admission.services.errors import ConflictError
from admission.services.transitions import action_transaction, lock_row, locked_row, locking
from tests.support import (
    admitted_temporary_case,
    awaiting_approval_case,
    awaiting_city_case,
    consulted_case,
    consulting_case,
    direct_accept,
    direct_banner_approves,
    direct_banner_refuses,
    direct_bureau,
    direct_city_approves,
    direct_conclude,
    direct_edit,
    direct_resubmit,
    direct_start,
    direct_submit,
    direct_supplement,
    direct_withdraw,
    draft,
    rejected_case,
    revising_case,
    snapshot,
    submitted_case,
    to_under_review,
)
from workflows import actions

# --- illegal transitions ----------------------------------------------------------------------------


def _withdrawn(banner):
    request = consulting_case(banner)
    return actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="方案调整，撤回重报。")


STAGES = {
    "draft": lambda b: draft(b),
    "consulting": consulting_case,
    "revising": revising_case,
    "consulted": consulted_case,
    "submitted": submitted_case,
    "under_review": lambda b: to_under_review(b),
    "awaiting_approval": awaiting_approval_case,
    "awaiting_city": awaiting_city_case,
    "admitted": admitted_temporary_case,
    "rejected": rejected_case,
    "withdrawn": _withdrawn,
}


ILLEGAL = [
    ("draft", direct_submit, ConflictError),
    ("consulting", direct_submit, ConflictError),  # consultation pending (Art. 4(1))
    ("revising", direct_submit, ConflictError),  # a township disagreed (Art. 4(1))
    ("submitted", direct_submit, ConflictError),  # no second submission
    ("draft", direct_accept, ConflictError),  # accepting a draft
    ("consulted", direct_accept, ConflictError),
    ("under_review", direct_accept, ConflictError),
    ("consulting", direct_supplement, ConflictError),
    ("under_review", direct_supplement, ConflictError),
    ("submitted", direct_resubmit, ConflictError),
    ("submitted", direct_bureau, ConflictError),  # review before intake
    ("awaiting_approval", direct_bureau, ConflictError),
    ("submitted", direct_conclude, ConflictError),
    ("submitted", direct_banner_approves, ConflictError),
    ("under_review", direct_banner_approves, ConflictError),  # approving before review (Art. 4(2)-(3))
    ("under_review", direct_banner_refuses, ConflictError),
    ("awaiting_city", direct_banner_approves, ConflictError),
    ("admitted", direct_banner_approves, ConflictError),
    ("under_review", direct_city_approves, ConflictError),
    ("awaiting_approval", direct_city_approves, ConflictError),  # the city only after the banner's examination
    ("rejected", direct_city_approves, ConflictError),
    ("consulting", direct_start, PermissionDenied),  # content is frozen while the townships are consulted
    ("consulted", direct_start, PermissionDenied),
    ("consulting", direct_edit, PermissionDenied),
    ("consulted", direct_edit, PermissionDenied),
    ("under_review", direct_edit, PermissionDenied),
    ("admitted", direct_edit, PermissionDenied),
    ("admitted", direct_withdraw, PermissionDenied),  # withdrawal only before a decision
    ("rejected", direct_withdraw, PermissionDenied),
    ("withdrawn", direct_withdraw, PermissionDenied),
]


@pytest.mark.parametrize(
    ("stage", "action", "exception"), ILLEGAL, ids=[f"{s}-{a.__name__.removeprefix('direct_')}" for s, a, _ in ILLEGAL]
)
def test_art2_illegal_transitions_are_refused_and_change_nothing(banner, stage, action, exception):
    request = STAGES[stage](banner)
    request.refresh_from_db()
    assert request.state == stage
    before = snapshot(request)
    decisions = ApprovalDecision.objects.filter(request=request).count()
    attachments = Attachment.objects.filter(request=request).count()
    with pytest.raises(exception) as error:
        action(banner, request)
    if exception is ConflictError:
        assert f"「{RequestState(stage).label}」" in error.value.message
    assert snapshot(request) == before
    assert ApprovalDecision.objects.filter(request=request).count() == decisions
    assert Attachment.objects.filter(request=request).count() == attachments


def test_art2_a_refused_transition_message_names_state_and_action(banner):
    request = consulting_case(banner)
    with pytest.raises(ConflictError) as error:
        direct_submit(banner, request)
    assert (
        error.value.message == "该申请当前状态为「征求乡镇意见中」，不能执行「提交书面申请」。请刷新页面查看最新进展。"
    )


def test_art2_services_act_on_the_current_state_not_the_callers_stale_copy(banner):
    request = consulted_case(banner)
    stale = DutyRequest.objects.get(pk=request.pk)
    actions.withdraw(duty_request=request, actor=banner.users["forestry"], reason="方案调整。")
    assert stale.state == RequestState.CONSULTED
    before = snapshot(request)
    with pytest.raises(ConflictError) as error:
        direct_submit(banner, stale)
    assert "「已撤回」" in error.value.message
    assert snapshot(request) == before


def test_a_row_an_action_locked_is_handed_to_one_service_unread_and_read_again_after(banner, django_assert_num_queries):
    """lock_row/locked_row: the service after the action's lock takes its copy without a second read; any later
    service, or a copy the action did not lock, reads the row as it now is."""
    request = consulting_case(banner)
    stale = DutyRequest.objects.get(pk=request.pk)
    with action_transaction():
        locked = lock_row(locking(lambda pk: DutyRequest.objects.filter(pk=pk)), pk=request.pk)
        with django_assert_num_queries(0):
            assert locked_row(locked) is locked
        DutyRequest.objects.filter(pk=request.pk).update(duty_name="林草防火巡查")
        again = locked_row(locked)
        assert again is not locked and again.duty_name == "林草防火巡查"
        assert locked_row(stale).duty_name == "林草防火巡查"
