"""Drafting, consulting, submitting and withdrawing a duty request (Art. 1, 4(1), 7)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..documents import content as drafts
from ..inheritance import measure_title
from ..models import (
    AffairClass,
    AttachmentKind,
    AuditAction,
    Consultation,
    DutyRequest,
    Jurisdiction,
    Organization,
    OrganizationKind,
    RequestPurpose,
    Track,
)
from ..models.duties import DUTY_TERMS, REQUEST_FIELD, terms_of_duty, terms_of_request
from ..permissions import (
    require_applicant_to_submit,
    require_can_consult,
    require_can_create_request,
    require_can_edit_request,
    require_can_withdraw,
    require_membership,
)
from .audit import record_event
from .documents import issue_document
from .transitions import apply_transition, locked_request
from .uploads import store_attachment

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Art. 1 and Art. 7: what is refused, why, and where the department should go instead.
OUT_OF_SCOPE_REASONS: dict[str, Any] = {
    AffairClass.ADMINISTRATIVE_PENALTY: gettext_lazy(
        "行政处罚属于行政权力事项，不适用职责准入（%(measure)s第一条）。如确需由乡镇行使，请按行政执法权下放程序报请依法赋权，并调整权责清单。"
    ),
    AffairClass.ADMINISTRATIVE_LICENSING: gettext_lazy(
        "行政许可属于行政权力事项，不适用职责准入（%(measure)s第一条）。如确需由乡镇实施，请按相对集中行政许可权和赋权程序办理，并调整权责清单。"
    ),
    AffairClass.ADMINISTRATIVE_COERCION: gettext_lazy(
        "行政强制属于行政权力事项，不适用职责准入（%(measure)s第一条）。如确需由乡镇实施，请按行政执法权下放程序报请依法赋权。"
    ),
    AffairClass.OTHER_ADMINISTRATIVE_POWER: gettext_lazy(
        "行政征收、给付、检查、确认、奖励、裁决等属于行政权力事项，不适用职责准入（%(measure)s第一条）。请按权责清单动态调整和依法赋权程序办理。"
    ),
    AffairClass.EMERGENCY_HANDLING: gettext_lazy(
        "涉及人民群众生命财产安全和公共安全的突发、紧急事件处置工作不宜纳入乡镇职责准入事项（%(measure)s第七条），请按突发事件应急预案和属地应急处置机制办理。"
    ),
}

# Art. 4(1): the elements a written application must contain, in the measure's order.
REQUIRED_TEXT_ELEMENTS: tuple[tuple[str, Any], ...] = (
    ("duty_name", gettext_lazy("职责名称")),
    ("work_objective", gettext_lazy("工作目标")),
    ("powers_and_responsibilities", gettext_lazy("权责内容")),
    ("legal_basis", gettext_lazy("法定依据")),
    ("division_of_responsibilities", gettext_lazy("责任分工")),
    ("work_process", gettext_lazy("办事流程")),
    ("completion_time_limit", gettext_lazy("完成时限")),
    ("operating_mechanism", gettext_lazy("运行机制")),
    ("staffing", gettext_lazy("人员安排")),
    ("technical_support", gettext_lazy("保障措施·技术支持")),
    ("training", gettext_lazy("保障措施·业务培训")),
)

EDITABLE_FIELDS = (
    "duty_name",
    "affair_class",
    "track",
    "end_date",
    "list_category",
    "work_objective",
    "powers_and_responsibilities",
    "legal_basis",
    "division_of_responsibilities",
    "work_process",
    "completion_time_limit",
    "operating_mechanism",
    "staffing",
    "funding_amount",
    "funding_source",
    "technical_support",
    "training",
)


def fields_to_edit(duty_request: DutyRequest | None) -> tuple[str, ...]:
    """An exit changes nothing but the list, so only its reasons are written; an adjustment rewrites the terms."""
    if duty_request is None or duty_request.purpose == RequestPurpose.ADMISSION:
        return EDITABLE_FIELDS
    if duty_request.purpose == RequestPurpose.EXIT:
        return ("change_reasons",)
    # Only what the list holds can be adjusted: a change elsewhere would change nothing on it.
    return (*(REQUEST_FIELD.get(term, term) for term in DUTY_TERMS), "change_reasons")


def change_errors(*, duty_request: DutyRequest) -> dict[str, list[str]]:
    """Art. 4(4), 4(5): an exit or adjustment says why; an adjustment changes something, and a regular duty
    stays regular (one no longer needed at the township leaves by exit)."""
    errors: dict[str, list[str]] = {}
    word = RequestPurpose(duty_request.purpose).label
    if not duty_request.change_reasons.strip():
        errors["change_reasons"] = [
            _("请写明%(purpose)s的理由（如任务已完成、不再适宜由乡镇承担、法律政策调整等）。") % {"purpose": word}
        ]
    if duty_request.purpose == RequestPurpose.ADJUSTMENT:
        proposed = terms_of_request(duty_request)
        current = [terms_of_duty(d) for d in duty_request.target_duties.all()]
        if current and all(terms == proposed for terms in current):
            errors["__all__"] = [_("调整申请与现行职责事项内容完全相同，请修改需要调整的内容后再提交。")]
        if duty_request.track == Track.TEMPORARY and any(t["track"] == Track.REGULAR for t in current):
            errors["track"] = [_("常态化职责事项不能调整为阶段性、临时性工作任务；不再需要乡镇承担的，请申请退出。")]
    return errors


def scope_errors(*, affair_class: str, jurisdiction_id: int) -> dict[str, list[str]]:
    """Art. 1, Art. 7: administrative powers and emergency handling cannot be admitted. The message cites the
    banner's measure (read only when there is one to give)."""
    reason = OUT_OF_SCOPE_REASONS.get(affair_class)
    if not reason:
        return {}
    banner = Jurisdiction.objects.select_related("parent__parent").get(pk=jurisdiction_id)
    return {"affair_class": [reason % {"measure": measure_title(banner)}]}


def format_errors(
    *, track: str, end_date: date | None, funding_amount: Decimal | None, today: date
) -> dict[str, list[str]]:
    """Rules that hold even for a draft: they describe what the values mean, not whether they are complete."""
    errors: dict[str, list[str]] = {}
    if track == Track.TEMPORARY and end_date is not None and end_date <= today:
        errors["end_date"] = [_("阶段性、临时性工作任务的截止日期须晚于今天。")]
    if track == Track.REGULAR and end_date is not None:
        errors["end_date"] = [
            _("常态化职责事项不设截止日期；如工作有明确时限，请将准入类型选为“阶段性、临时性工作任务”。")
        ]
    if funding_amount is not None and funding_amount < 0:
        errors["funding_amount"] = [_("工作经费不能为负数。")]
    return errors


def completeness_errors(*, values: dict[str, Any], townships: list[Organization]) -> dict[str, list[str]]:
    """Art. 4(1): every element must be present before the townships are consulted and before submission."""
    errors: dict[str, list[str]] = {}
    for field, label in REQUIRED_TEXT_ELEMENTS:
        if not str(values.get(field) or "").strip():
            errors[field] = [_("请填写“%(element)s”（第四条第一项要求书面申请包括此项）。") % {"element": label}]
    if values.get("track") == Track.TEMPORARY and not values.get("end_date"):
        errors["end_date"] = [_("阶段性、临时性工作任务须写明截止日期（第一条、第四条第三项）。")]
    amount = values.get("funding_amount")
    if amount is None:
        errors["funding_amount"] = [
            _("请填写工作经费金额（元），没有经费请填 0 并在技术支持、培训中写明保障方式（第五条）。")
        ]
    elif amount > 0 and not str(values.get("funding_source") or "").strip():
        errors["funding_source"] = [_("有工作经费时请写明经费来源（如旗本级财政预算）。")]
    if not townships:
        errors["townships"] = [_("请至少选择一个涉及的乡镇。")]
    return errors


def _merge(*error_dicts: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for errors in error_dicts:
        for field, messages in errors.items():
            merged.setdefault(field, []).extend(messages)
    return merged


def _check_townships(*, townships: list[Organization], jurisdiction_id: int) -> None:
    if any(t.kind != OrganizationKind.TOWNSHIP or t.jurisdiction_id != jurisdiction_id for t in townships):
        raise ValidationError({"townships": [_("只能选择本旗的乡镇。")]})


def save_draft(
    *,
    actor: User,
    values: dict[str, Any],
    townships: list[Organization] | None = None,
    duty_request: DutyRequest | None = None,
) -> DutyRequest:
    """Create or update the applicant's draft. Scope and format are checked now; completeness later.
    The townships of an exit or adjustment are those holding the duty: `townships` is ignored for them."""
    if duty_request is None:
        require_can_create_request(actor)
    else:
        require_can_edit_request(actor, duty_request)
    membership = require_membership(actor)
    errors = _merge(
        scope_errors(
            affair_class=values.get("affair_class", AffairClass.ADMINISTRATIVE_AFFAIR),
            jurisdiction_id=membership.organization.jurisdiction_id,
        ),
        format_errors(
            track=values.get("track", Track.REGULAR),
            end_date=values.get("end_date"),
            funding_amount=values.get("funding_amount"),
            today=timezone.localdate(),
        ),
    )
    if errors:
        raise ValidationError(errors)
    fields = fields_to_edit(duty_request)
    if fields == EDITABLE_FIELDS:
        _check_townships(townships=townships or [], jurisdiction_id=membership.organization.jurisdiction_id)
    with transaction.atomic():
        if duty_request is None:
            duty_request = DutyRequest(
                jurisdiction_id=membership.organization.jurisdiction_id,
                department=membership.organization,
                applicant=membership.organization,
                created_by=actor,
            )
            action, changed = AuditAction.CREATE_REQUEST, list(fields)
        else:
            duty_request = DutyRequest.objects.select_for_update().get(pk=duty_request.pk)
            require_can_edit_request(actor, duty_request)
            action = AuditAction.UPDATE_REQUEST
            changed = [f for f in fields if getattr(duty_request, f) != values.get(f)]
        for field in fields:
            setattr(duty_request, field, values.get(field))
        duty_request.save()
        if fields == EDITABLE_FIELDS and not duty_request.is_change:
            previous = set(duty_request.townships.values_list("pk", flat=True))
            duty_request.townships.set(townships or [])
            if previous != {t.pk for t in townships or []}:
                changed.append("townships")
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=action,
            note=duty_request.duty_name,
            data={"changed_fields": changed},
        )
    return duty_request


def start_consultation(*, duty_request: DutyRequest, actor: User) -> DutyRequest:
    """Art. 4(1): ask each township concerned for its written opinion (a new round each time).

    An exit or adjustment asks the townships holding the duty, except the one asking (Art. 4(4), 4(5)); when
    that leaves nobody, the case goes straight on to the written application."""
    require_can_consult(actor, duty_request)
    with locked_request(duty_request) as duty_request:
        townships = list(duty_request.townships.order_by("division_code"))
        checks = (
            []
            if duty_request.purpose == RequestPurpose.EXIT
            else [
                scope_errors(affair_class=duty_request.affair_class, jurisdiction_id=duty_request.jurisdiction_id),
                completeness_errors(values={f: getattr(duty_request, f) for f in EDITABLE_FIELDS}, townships=townships),
                format_errors(
                    track=duty_request.track,
                    end_date=duty_request.end_date,
                    funding_amount=duty_request.funding_amount,
                    today=timezone.localdate(),
                ),
            ]
        )
        errors = _merge(*checks, change_errors(duty_request=duty_request) if duty_request.is_change else {})
        if errors:
            raise ValidationError(errors)
        townships = [t for t in townships if t.pk != duty_request.applicant_id]
        if not townships:
            apply_transition(
                duty_request=duty_request,
                transition=duty_request.skip_consultation,
                actor=actor,
                action=AuditAction.SKIP_CONSULTATION,
                note="由持有该职责的乡镇本身提出，无其他乡镇需征求意见。",
            )
            return duty_request
        apply_transition(
            duty_request=duty_request,
            transition=duty_request.start_consultation,
            actor=actor,
            action=AuditAction.START_CONSULTATION,
            note="、".join(t.name for t in townships),
        )
        Consultation.objects.bulk_create(
            Consultation(request=duty_request, township=t, round=duty_request.consultation_round) for t in townships
        )
        for township in townships:
            issue_document(
                draft=drafts.consultation_letter(duty_request=duty_request, township=township),
                duty_request=duty_request,
                actor=actor,
            )
    return duty_request


def submit_request(
    *,
    duty_request: DutyRequest,
    actor: User,
    application_letter: UploadedFile | None,
    supporting_files: Iterable[UploadedFile] = (),
) -> DutyRequest:
    """Art. 4(1): after agreement, the department applies in writing to the lead unit."""
    require_applicant_to_submit(actor, duty_request)
    if application_letter is None:
        raise ValidationError({"application_letter": [_("请上传加盖单位公章的书面申请（PDF、JPEG、PNG 或 OFD）。")]})
    # The content cannot change after consultation starts, so what the townships agreed to is what is submitted.
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request, transition=duty_request.submit, actor=actor, action=AuditAction.SUBMIT_REQUEST
        )
        store_attachment(
            duty_request=duty_request, kind=AttachmentKind.APPLICATION_LETTER, uploaded=application_letter, actor=actor
        )
        for uploaded in supporting_files:
            store_attachment(duty_request=duty_request, kind=AttachmentKind.SUPPORTING, uploaded=uploaded, actor=actor)
    return duty_request


def withdraw_request(*, duty_request: DutyRequest, actor: User, reason: str) -> DutyRequest:
    """The applicant withdraws its request before a decision."""
    require_can_withdraw(actor, duty_request)
    if not reason.strip():
        raise ValidationError({"reason": [_("请写明撤回理由。")]})
    with locked_request(duty_request) as duty_request:
        apply_transition(
            duty_request=duty_request,
            transition=duty_request.withdraw,
            actor=actor,
            action=AuditAction.WITHDRAW_REQUEST,
            note=reason.strip(),
        )
    return duty_request
