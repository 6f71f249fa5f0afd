"""Art. 4(1): each township's written opinion; the consultation concludes when all have answered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from ..language import official
from ..models import AttachmentKind, AuditAction, Consultation, ConsultationOutcome, DutyRequest
from ..permissions import require_consulted_township
from .audit import record_event
from .errors import ConflictError
from .transitions import apply_transition, locked_request, locked_row
from .uploads import store_attachment

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def record_consultation_opinion(
    *, consultation: Consultation, actor: User, agrees: bool, opinion: str, letter: UploadedFile | None = None
) -> Consultation:
    require_consulted_township(actor, consultation)
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationError({"opinion": [_("请填写书面意见的内容。")]})
    if not agrees and len(opinion) < 10:
        raise ValidationError({"opinion": [_("不同意时请写明理由和修改建议（不少于 10 个字），以便部门修改。")]})
    with locked_request(consultation.request) as duty_request:
        consultation = locked_row(consultation)
        if consultation.outcome != ConsultationOutcome.PENDING or consultation.round != duty_request.consultation_round:
            raise ConflictError(_("该乡镇已就本轮征求意见作出答复，不能重复答复。"))
        if letter is not None:
            consultation.letter = store_attachment(
                duty_request=duty_request, kind=AttachmentKind.CONSULTATION_LETTER, uploaded=letter, actor=actor
            )
        consultation.outcome = ConsultationOutcome.AGREED if agrees else ConsultationOutcome.DISAGREED
        consultation.opinion = opinion
        consultation.responded_by = actor
        consultation.responded_at = timezone.now()
        consultation.save()
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.RECORD_CONSULTATION_OPINION,
            note=f"{official(ConsultationOutcome(consultation.outcome).label)}：{opinion}",
            data={"consultation": consultation.pk, "round": consultation.round, "agrees": agrees},
        )
        _conclude_if_all_answered(duty_request=duty_request, actor=actor)
    return consultation


def _conclude_if_all_answered(*, duty_request: DutyRequest, actor: User) -> None:
    outcomes = duty_request.current_outcomes()
    if ConsultationOutcome.PENDING in outcomes:
        return
    if ConsultationOutcome.DISAGREED in outcomes:
        transition, note = (
            duty_request.conclude_consultation_disagreed,
            "有乡镇不同意，退回申请部门修改后重新征求意见或撤回。",
        )
    else:
        transition, note = duty_request.conclude_consultation_agreed, "所有乡镇均同意，协商一致。"
    apply_transition(
        duty_request=duty_request,
        transition=transition,
        actor=actor,
        action=AuditAction.CONCLUDE_CONSULTATION,
        note=note,
    )
