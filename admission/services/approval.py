"""Art. 1 and 4(3): who approves, and what admission puts on the townships' duty lists."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from ..documents import content as drafts
from ..language import official
from ..models import (
    ApprovalDecision,
    ApprovalStage,
    AttachmentKind,
    AuditAction,
    DutyRequest,
    OrganizationKind,
    RequestPurpose,
    TownshipDuty,
    Track,
)
from ..models.duties import terms_of_request
from ..permissions import require_banner_leadership, require_city_approver, require_lead_unit
from .audit import record_event
from .documents import issue_document
from .duties import adjust_duties, exit_duties, record_first_versions
from .transitions import apply_transition, locked_request
from .uploads import store_attachment

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def decide_at_banner(*, duty_request: DutyRequest, actor: User, approves: bool, reasons: str = "") -> ApprovalDecision:
    """Temporary track: the banner party committee and government approve or refuse.
    Regular track: the banner government examines, and passes it on to the city or refuses."""
    body = require_banner_leadership(actor, duty_request)
    reasons = (reasons or "").strip()
    if not approves and not reasons:
        raise ValidationError({"reasons": [_("不同意时须写明理由。")]})
    with locked_request(duty_request) as duty_request:
        temporary = duty_request.track == Track.TEMPORARY
        stage = ApprovalStage.BANNER_APPROVAL if temporary else ApprovalStage.BANNER_EXAMINATION
        if not approves:
            transition = duty_request.refuse_at_banner
        else:
            transition = duty_request.approve_temporary if temporary else duty_request.pass_banner_examination
        apply_transition(
            duty_request=duty_request,
            transition=transition,
            actor=actor,
            action=AuditAction.DECIDE_APPROVAL,
            note=f"{official(ApprovalStage(stage).label)}：{'同意' if approves else '不同意'}。{reasons}",
        )
        decision = ApprovalDecision.objects.create(
            request=duty_request,
            stage=stage,
            body=body,
            approves=approves,
            reasons=reasons,
            decision_date=timezone.localdate(),
            recorded_by=actor,
        )
        if approves and temporary:
            carry_out(duty_request=duty_request, decision=decision, actor=actor)
        elif not approves:
            issue_document(
                draft=drafts.refusal_notice(duty_request=duty_request, decision=decision),
                duty_request=duty_request,
                actor=actor,
            )
    return decision


def record_city_decision(
    *,
    duty_request: DutyRequest,
    actor: User,
    approves: bool,
    document_number: str,
    decision_date: date | None,
    reply_scan: UploadedFile | None = None,
    reasons: str = "",
) -> ApprovalDecision:
    """The city government decides outside this system; the lead unit records its reply."""
    require_lead_unit(actor, duty_request)
    document_number, reasons = (document_number or "").strip(), (reasons or "").strip()
    errors: dict[str, list[str]] = {}
    if not document_number:
        errors["document_number"] = [_("请填写市政府批复的文号，如“呼政字〔2026〕12号”。")]
    if decision_date is None:
        errors["decision_date"] = [_("请填写市政府批复的日期。")]
    elif decision_date > timezone.localdate():
        errors["decision_date"] = [_("批复日期不能晚于今天。")]
    else:
        examined = (
            duty_request.approval_decisions.filter(stage=ApprovalStage.BANNER_EXAMINATION)
            .values_list("decision_date", flat=True)
            .first()
        )
        if examined is not None and decision_date < examined:
            errors["decision_date"] = [
                _("市政府批复日期（%(reply)s）不能早于旗政府审核同意的日期（%(banner)s），请核对批复文件上的日期。")
                % {"reply": f"{decision_date:%Y-%m-%d}", "banner": f"{examined:%Y-%m-%d}"}
            ]
    if reply_scan is None:
        errors["reply_scan"] = [_("请上传市政府批复的扫描件。")]
    if not approves and not reasons:
        errors["reasons"] = [_("市政府不予批准时请摘录其理由。")]
    if errors:
        raise ValidationError(errors)
    assert reply_scan is not None  # a missing scan is among the errors above
    with locked_request(duty_request) as duty_request:
        # Among the case's bodies, read once for the decision's document too.
        city = duty_request.banner_body(OrganizationKind.CITY_GOVERNMENT)
        apply_transition(
            duty_request=duty_request,
            transition=duty_request.record_city_approval if approves else duty_request.refuse_by_city,
            actor=actor,
            action=AuditAction.DECIDE_APPROVAL,
            note=f"{city.name}{document_number}：{'批准' if approves else '不予批准'}。{reasons}",
        )
        scan = store_attachment(
            duty_request=duty_request, kind=AttachmentKind.CITY_REPLY, uploaded=reply_scan, actor=actor
        )
        decision = ApprovalDecision.objects.create(
            request=duty_request,
            stage=ApprovalStage.CITY_APPROVAL,
            body=city,
            approves=approves,
            reasons=reasons,
            document_number=document_number,
            decision_date=decision_date,
            reply_scan=scan,
            recorded_by=actor,
        )
        if approves:
            carry_out(duty_request=duty_request, decision=decision, actor=actor)
    return decision


def approve_at_city(*, duty_request: DutyRequest, actor: User, approves: bool, reasons: str = "") -> ApprovalDecision:
    """Art. 1, 4(3), issue 15: the government of a league or city on the platform approves the regular track inside
    it; its reply (批复) is an official document of its own, whose number the decision records."""
    city = require_city_approver(actor, duty_request)
    reasons = (reasons or "").strip()
    if not approves and not reasons:
        raise ValidationError({"reasons": [_("不予批准时须写明理由。")]})
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request,
            transition=duty_request.record_city_approval if approves else duty_request.refuse_by_city,
            actor=actor,
            action=AuditAction.DECIDE_APPROVAL,
            note=f"{city.name}：{'批准' if approves else '不予批准'}。{reasons}",
        )
        reply = issue_document(
            draft=drafts.city_approval(duty_request=duty_request, city=city, approves=approves, reasons=reasons),
            duty_request=duty_request,
            actor=actor,
        )
        decision = ApprovalDecision.objects.create(
            request=duty_request,
            stage=ApprovalStage.CITY_APPROVAL,
            body=city,
            approves=approves,
            reasons=reasons,
            document_number=reply.number,
            decision_date=timezone.localdate(),
            recorded_by=actor,
        )
        if approves:
            carry_out(duty_request=duty_request, decision=decision, actor=actor)
    return decision


def admit_to_duty_lists(*, duty_request: DutyRequest, decision: ApprovalDecision, actor: User) -> list[TownshipDuty]:
    """Art. 4(3), 4(5), 7: the only way onto a township's list is an admission decision."""
    now = timezone.now()
    terms = terms_of_request(duty_request)
    # One insert for all the townships' duties and one for their first versions, whatever the number of townships.
    duties = TownshipDuty.objects.bulk_create(
        [
            TownshipDuty(
                township=township,
                request=duty_request,
                decision=decision,
                department=duty_request.department,
                admitted_at=now,
                **terms,
            )
            for township in duty_request.townships_in_order()
        ]
    )
    record_first_versions(duties=duties, duty_request=duty_request, decision=decision)
    record_event(
        duty_request=duty_request,
        actor=actor,
        action=AuditAction.ADMIT_TO_DUTY_LIST,
        note="、".join(d.township.name for d in duties),
        data={"township_duties": [d.pk for d in duties]},
    )
    issue_document(
        draft=drafts.admission_decision(duty_request=duty_request, decision=decision),
        duty_request=duty_request,
        actor=actor,
    )
    return duties


def carry_out(*, duty_request: DutyRequest, decision: ApprovalDecision, actor: User) -> list[TownshipDuty]:
    """What the final approval does to the townships' lists: admit (Art. 4(3)), exit (4(4)) or adjust (4(5))."""
    action = {
        RequestPurpose.ADMISSION: admit_to_duty_lists,
        RequestPurpose.EXIT: exit_duties,
        RequestPurpose.ADJUSTMENT: adjust_duties,
    }[RequestPurpose(duty_request.purpose)]
    return action(duty_request=duty_request, decision=decision, actor=actor)
