"""Intake by the lead unit: accept for joint review, or one notice of everything to supplement."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ..documents import content as drafts
from ..models import AttachmentKind, AuditAction, DutyRequest, OrganizationKind, SupplementNotice
from ..permissions import can_decide_for, is_applicant, membership_of
from .documents import issue_document
from .transitions import apply_transition, locked_request
from .uploads import store_attachment


def require_decider(actor, duty_request: DutyRequest, kinds: tuple[str, ...], what: str):
    """The actor's organization, if it is of one of `kinds` in the case's jurisdiction and the actor may decide."""
    membership = membership_of(actor)
    if (
        membership is None
        or membership.organization.kind not in kinds
        or membership.organization.jurisdiction_id != duty_request.jurisdiction_id
        or not can_decide_for(actor, membership.organization)
    ):
        raise PermissionDenied(f"只有{what}的审核人员或负责人可以办理。")
    return membership.organization


def _require_lead_unit(actor, duty_request: DutyRequest) -> None:
    require_decider(actor, duty_request, (OrganizationKind.ORGANIZATION_OFFICE,), "旗委编办")


def accept_for_review(*, duty_request: DutyRequest, actor, note: str = "") -> DutyRequest:
    _require_lead_unit(actor, duty_request)
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request, transition=duty_request.accept_for_review, actor=actor,
            action=AuditAction.ACCEPT_FOR_REVIEW, note=note.strip(),
        )
    return duty_request


def return_for_supplement(*, duty_request: DutyRequest, actor, items: list[str]) -> SupplementNotice:
    """One-time notice (一次性告知): every missing item at once, so the department supplements once."""
    _require_lead_unit(actor, duty_request)
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise ValidationError({"items": ["请逐条列出需要补正的全部材料或内容，每行一条。"]})
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request, transition=duty_request.return_for_supplement, actor=actor,
            action=AuditAction.RETURN_FOR_SUPPLEMENT, note="；".join(items), data={"items": items},
        )
        notice = SupplementNotice.objects.create(request=duty_request, items=items, issued_by=actor)
        issue_document(draft=drafts.supplement_notice(duty_request=duty_request, items=items), duty_request=duty_request, actor=actor)
        return notice


def resubmit_request(*, duty_request: DutyRequest, actor, note: str = "", supporting_files=()) -> DutyRequest:
    if not is_applicant(actor, duty_request):
        raise PermissionDenied("只有申请单位可以补正后重新提交。")
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request, transition=duty_request.resubmit, actor=actor, action=AuditAction.RESUBMIT_REQUEST,
            note=note.strip(),
        )
        for uploaded in supporting_files:
            store_attachment(duty_request=duty_request, kind=AttachmentKind.SUPPORTING, uploaded=uploaded, actor=actor)
        duty_request.supplement_notices.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    return duty_request
