from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import AuditAction, AuditEvent, DutyRequest
from ..permissions import membership_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def record_event(
    *,
    duty_request: DutyRequest | None,
    actor: User | None,
    action: AuditAction,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    jurisdiction_id: int | None = None,
) -> AuditEvent:
    """Append one audit event; call it inside the transaction of the change it records."""
    membership = membership_of(actor)
    jurisdiction_id = duty_request.jurisdiction_id if duty_request is not None else jurisdiction_id
    if jurisdiction_id is None:
        raise ValueError("An audit event belongs to a request or names its jurisdiction.")
    return AuditEvent.objects.create(
        jurisdiction_id=jurisdiction_id,
        request=duty_request,
        actor=actor if actor is not None and actor.is_authenticated else None,
        organization=membership.organization if membership else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
