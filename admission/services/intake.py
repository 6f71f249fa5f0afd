"""Intake by the lead unit: accept for joint review, or one notice of everything to supplement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from ..documents import content as drafts
from ..models import AttachmentKind, AuditAction, DutyRequest, SupplementNotice
from ..permissions import require_applicant_to_resubmit, require_lead_unit
from .documents import issue_document
from .transitions import apply_transition, locked_request
from .uploads import store_attachment

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def accept_for_review(*, duty_request: DutyRequest, actor: User, note: str = "") -> DutyRequest:
    require_lead_unit(actor, duty_request)
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request,
            transition=duty_request.accept_for_review,
            actor=actor,
            action=AuditAction.ACCEPT_FOR_REVIEW,
            note=note.strip(),
        )
    return duty_request


def return_for_supplement(*, duty_request: DutyRequest, actor: User, items: list[str]) -> SupplementNotice:
    """One-time notice (一次性告知): every missing item at once, so the department supplements once."""
    require_lead_unit(actor, duty_request)
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise ValidationError({"items": [_("请逐条列出需要补正的全部材料或内容，每行一条。")]})
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request,
            transition=duty_request.return_for_supplement,
            actor=actor,
            action=AuditAction.RETURN_FOR_SUPPLEMENT,
            note="；".join(items),
            data={"items": items},
        )
        notice = SupplementNotice.objects.create(request=duty_request, items=items, issued_by=actor)
        issue_document(
            draft=drafts.supplement_notice(duty_request=duty_request, items=items),
            duty_request=duty_request,
            actor=actor,
        )
        return notice


def resubmit_request(
    *, duty_request: DutyRequest, actor: User, note: str = "", supporting_files: Iterable[UploadedFile] = ()
) -> DutyRequest:
    require_applicant_to_resubmit(actor, duty_request)
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request,
            transition=duty_request.resubmit,
            actor=actor,
            action=AuditAction.RESUBMIT_REQUEST,
            note=note.strip(),
        )
        for uploaded in supporting_files:
            store_attachment(duty_request=duty_request, kind=AttachmentKind.SUPPORTING, uploaded=uploaded, actor=actor)
        duty_request.supplement_notices.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    return duty_request
