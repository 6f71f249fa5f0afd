from __future__ import annotations

from typing import Any

from ..models import AuditAction, AuditEvent, DutyRequest
from ..permissions import membership_of


def record_event(
    *,
    duty_request: DutyRequest | None,
    actor,
    action: AuditAction,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    jurisdiction_id: int | None = None,
) -> AuditEvent:
    """Append one audit event; call it inside the transaction of the change it records."""
    membership = membership_of(actor)
    return AuditEvent.objects.create(
        jurisdiction_id=duty_request.jurisdiction_id if duty_request is not None else jurisdiction_id,
        request=duty_request,
        actor=actor if actor is not None and actor.is_authenticated else None,
        organization=membership.organization if membership else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
