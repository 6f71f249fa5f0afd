"""The audit trail (admission/services/audit.py, models/audit.py): exactly one event per transition, an unbroken
chain, and events that cannot be changed or deleted.

Every state-changing step after consultation starts goes through `workflows.engine` (support.do,
actions.consult_townships / actions.withdraw) so the flow and the request stay in step. Refused actions are
called on the service directly (support.direct_*): that is where the rule lives, and the assertion is that
nothing changed.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import ProtectedError

from admission.models import AuditAction, AuditEvent, DutyRequest, RequestState, TownshipDuty
from admission.services import intake
from admission.services import requests as request_services
from tests.support import (
    admitted_temporary_case,
    awaiting_city_case,
    city_decides,
    consulting_case,
    direct_city_refuses,
    do,
    draft,
    rejected_case,
    revising_case,
    submitted_case,
)
from workflows import actions

# --- audit ------------------------------------------------------------------------------------------


def _state_changes(request):
    return [
        (e.action, e.from_state, e.to_state, e.actor.username, e.organization_id)
        for e in AuditEvent.objects.filter(request=request).exclude(to_state="").select_related("actor")
    ]


def test_audit_each_transition_of_the_regular_path_writes_exactly_one_event(banner):
    request = awaiting_city_case(banner)
    city_decides(banner, request)
    assert request.state == RequestState.ADMITTED
    u, o = banner.users, banner.org
    assert _state_changes(request) == [
        (AuditAction.START_CONSULTATION, "draft", "consulting", u["forestry"].username, o("forestry").pk),
        (AuditAction.CONCLUDE_CONSULTATION, "consulting", "consulted", u["liuhe"].username, o("liuhe").pk),
        (AuditAction.SUBMIT_REQUEST, "consulted", "submitted", u["forestry"].username, o("forestry").pk),
        (AuditAction.ACCEPT_FOR_REVIEW, "submitted", "under_review", u["office"].username, o("office").pk),
        (AuditAction.CONCLUDE_REVIEW, "under_review", "awaiting_approval", u["office"].username, o("office").pk),
        (
            AuditAction.DECIDE_APPROVAL,
            "awaiting_approval",
            "awaiting_city",
            u["leadership"].username,
            o("leadership").pk,
        ),
        (AuditAction.DECIDE_APPROVAL, "awaiting_city", "admitted", u["office"].username, o("office").pk),
    ]
    # events that are not transitions carry no state change, and every event names who and for whom
    for event in AuditEvent.objects.filter(request=request):
        assert event.actor is not None and event.organization == event.actor.membership.organization
        assert event.jurisdiction_id == banner.jurisdiction.pk
        if event.action not in {
            AuditAction.START_CONSULTATION,
            AuditAction.CONCLUDE_CONSULTATION,
            AuditAction.SUBMIT_REQUEST,
            AuditAction.ACCEPT_FOR_REVIEW,
            AuditAction.CONCLUDE_REVIEW,
            AuditAction.DECIDE_APPROVAL,
        }:
            assert event.from_state == event.to_state == ""


def test_audit_each_transition_of_the_other_paths_writes_exactly_one_event(banner):
    u, o = banner.users, banner.org
    revising = revising_case(banner)
    do(
        revising,
        "revise",
        u["forestry"],
        lambda: request_services.start_consultation(duty_request=revising, actor=u["forestry"]),
    )
    actions.withdraw(duty_request=revising, actor=u["forestry"], reason="撤回重报。")
    assert _state_changes(revising) == [
        (AuditAction.START_CONSULTATION, "draft", "consulting", u["forestry"].username, o("forestry").pk),
        (AuditAction.CONCLUDE_CONSULTATION, "consulting", "revising", u["liuhe"].username, o("liuhe").pk),
        (AuditAction.START_CONSULTATION, "revising", "consulting", u["forestry"].username, o("forestry").pk),
        (AuditAction.WITHDRAW_REQUEST, "consulting", "withdrawn", u["forestry"].username, o("forestry").pk),
    ]

    temporary = admitted_temporary_case(banner)
    assert _state_changes(temporary)[-1] == (
        AuditAction.DECIDE_APPROVAL,
        "awaiting_approval",
        "admitted",
        u["leadership"].username,
        o("leadership").pk,
    )
    assert len(_state_changes(temporary)) == 6

    rejected = rejected_case(banner)
    assert _state_changes(rejected)[-1] == (
        AuditAction.CONCLUDE_REVIEW,
        "under_review",
        "rejected",
        u["office"].username,
        o("office").pk,
    )

    supplemented = submitted_case(banner)
    do(
        supplemented,
        "intake",
        u["office"],
        lambda: intake.return_for_supplement(duty_request=supplemented, actor=u["office"], items=["补充法律依据原文"]),
    )
    do(
        supplemented,
        "supplement",
        u["forestry"],
        lambda: intake.resubmit_request(duty_request=supplemented, actor=u["forestry"], note="已补正"),
    )
    assert _state_changes(supplemented)[-2:] == [
        (AuditAction.RETURN_FOR_SUPPLEMENT, "submitted", "supplementing", u["office"].username, o("office").pk),
        (AuditAction.RESUBMIT_REQUEST, "supplementing", "submitted", u["forestry"].username, o("forestry").pk),
    ]

    refused = awaiting_city_case(banner)
    do(refused, "city_decision", u["office"], lambda: direct_city_refuses(banner, refused))
    assert refused.state == RequestState.REFUSED
    assert _state_changes(refused)[-1] == (
        AuditAction.DECIDE_APPROVAL,
        "awaiting_city",
        "refused",
        u["office"].username,
        o("office").pk,
    )
    assert not TownshipDuty.objects.filter(request=refused).exists()


def test_audit_the_state_change_events_form_an_unbroken_chain(banner):
    request = awaiting_city_case(banner)
    city_decides(banner, request)
    changes = _state_changes(request)
    assert changes[0][1] == RequestState.DRAFT and changes[-1][2] == request.state
    for previous, following in zip(changes, changes[1:]):
        assert previous[2] == following[1]


def test_audit_event_cannot_be_updated_or_deleted(banner):
    request = draft(banner)
    event = AuditEvent.objects.get(request=request)
    original = (event.action, event.note, event.actor_id)
    event.note = "改写历史"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(note="改写历史")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["note"])
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"note": "改写历史"})
    fresh = AuditEvent.objects.get(pk=event.pk)
    assert (fresh.action, fresh.note, fresh.actor_id) == original
    assert AuditEvent.objects.filter(request=request).count() == 1


def test_audit_events_outlive_attempts_to_delete_the_request(banner):
    request = consulting_case(banner)
    count = AuditEvent.objects.filter(request=request).count()
    assert count > 0
    with pytest.raises(ProtectedError):
        DutyRequest.objects.filter(pk=request.pk).delete()
    assert AuditEvent.objects.filter(request=request).count() == count
