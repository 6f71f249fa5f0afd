"""The DutyRequest state machine itself (admission/models/requests.py, django-fsm-2): protected state, final states,
the track's approver, consultation conditions, and optimistic locking.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django_fsm import ConcurrentTransition, can_proceed

from admission.models import DutyRequest, RequestState, Track
from admission.models.requests import FINAL_STATES
from admission.services import consultation
from tests.support import consulting_case, do, draft


def test_fsm_state_cannot_be_assigned_directly(banner):
    request = draft(banner)
    with pytest.raises(AttributeError):
        request.state = RequestState.ADMITTED
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.DRAFT


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_fsm_final_states_have_no_way_out(state):
    request = DutyRequest(state=state, track=Track.REGULAR)
    assert list(request.get_available_state_transitions()) == []
    assert request.is_final and not request.is_editable


def test_art4_3_fsm_track_decides_who_approves():
    regular = DutyRequest(state=RequestState.AWAITING_APPROVAL, track=Track.REGULAR)
    temporary = DutyRequest(state=RequestState.AWAITING_APPROVAL, track=Track.TEMPORARY)
    assert can_proceed(regular.pass_banner_examination) and not can_proceed(regular.approve_temporary)
    assert can_proceed(temporary.approve_temporary) and not can_proceed(temporary.pass_banner_examination)
    assert not can_proceed(regular.record_city_approval)
    assert can_proceed(DutyRequest(state=RequestState.AWAITING_CITY, track=Track.REGULAR).record_city_approval)


def test_art4_1_fsm_consultation_conditions(banner):
    request = consulting_case(banner, townships=("naji", "liuhe", "yadong"))
    assert not can_proceed(request.conclude_consultation_agreed)
    assert not can_proceed(request.conclude_consultation_disagreed)
    assert not can_proceed(request.submit)
    naji = request.current_consultations().get(township=banner.org("naji"))
    do(
        request,
        "consult",
        banner.users["naji"],
        lambda: consultation.record_consultation_opinion(
            consultation=naji, actor=banner.users["naji"], agrees=False, opinion="人员不足，建议明确每镇 2 名专职人员。"
        ),
        consultation=naji.pk,
    )
    # one disagreement, two still pending: the consultation is not over yet
    assert request.state == RequestState.CONSULTING
    assert not can_proceed(request.conclude_consultation_disagreed)
    assert not can_proceed(request.conclude_consultation_agreed)


def test_fsm_a_stale_instance_cannot_overwrite_a_newer_state(banner):
    request = draft(banner)
    first = DutyRequest.objects.get(pk=request.pk)
    second = DutyRequest.objects.get(pk=request.pk)
    first.withdraw()
    first.save()
    second.start_consultation()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert DutyRequest.objects.get(pk=request.pk).state == RequestState.WITHDRAWN
