"""Art. 7–8: reports of duties pushed down without admission, handled by the organization office to a finding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..language import official
from ..models import (
    AttachmentKind,
    AuditAction,
    Organization,
    OrganizationKind,
    PushDownMethod,
    ReportFinding,
    UnadmittedDutyReport,
)
from ..permissions import require_can_handle_report, require_can_report_unadmitted_duty, require_membership
from .audit import record_event
from .errors import ConflictError
from .uploads import store_attachment

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def report_unadmitted_duty(
    *,
    actor: User,
    department: Organization | None,
    duty_description: str,
    method: str,
    details: str,
    evidence: Iterable[UploadedFile] = (),
) -> UnadmittedDutyReport:
    require_can_report_unadmitted_duty(actor)
    township = require_membership(actor).organization
    errors: dict[str, list[str]] = {}
    if (
        department is None
        or department.kind != OrganizationKind.DEPARTMENT
        or department.jurisdiction_id != township.jurisdiction_id
    ):
        errors["department"] = [_("请选择下放事项的本旗职能部门。")]
    if not (duty_description or "").strip():
        errors["duty_description"] = [_("请写明被下放的工作事项。")]
    if method not in PushDownMethod.values:
        errors["method"] = [_("请选择下放方式。")]
    if not (details or "").strip():
        errors["details"] = [_("请写明具体情况：时间、文件或会议、要求乡镇做什么。")]
    if errors:
        raise ValidationError(errors)
    assert department is not None  # a missing department is among the errors above
    with transaction.atomic():
        report = UnadmittedDutyReport.objects.create(
            jurisdiction_id=township.jurisdiction_id,
            township=township,
            department=department,
            duty_description=duty_description.strip(),
            method=method,
            details=details.strip(),
            reported_by=actor,
        )
        for uploaded in evidence:
            store_attachment(
                duty_request=None, report=report, kind=AttachmentKind.REPORT_EVIDENCE, uploaded=uploaded, actor=actor
            )
        record_event(
            duty_request=None,
            jurisdiction_id=report.jurisdiction_id,
            actor=actor,
            action=AuditAction.REPORT_UNADMITTED_DUTY,
            note=f"{township.name}反映{department.name}：{report.duty_description}（{official(PushDownMethod(report.method).label)}）",
            data={"report": report.pk},
        )
    return report


def handle_report(
    *, report: UnadmittedDutyReport, actor: User, finding: str, finding_text: str
) -> UnadmittedDutyReport:
    require_can_handle_report(actor, report)
    errors: dict[str, list[str]] = {}
    if finding not in ReportFinding.values:
        errors["finding"] = [_("请选择处理结果。")]
    if not (finding_text or "").strip():
        errors["finding_text"] = [_("请写明核查情况和处理意见，反映的乡镇将看到这段文字。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        report = UnadmittedDutyReport.objects.select_for_update().get(pk=report.pk)
        if report.handled_at is not None:
            raise ConflictError(_("该反映事项已经处理完毕。"))
        report.finding, report.finding_text = finding, finding_text.strip()
        report.handled_by, report.handled_at = actor, timezone.now()
        report.save()
        record_event(
            duty_request=None,
            jurisdiction_id=report.jurisdiction_id,
            actor=actor,
            action=AuditAction.HANDLE_REPORT,
            note=f"{official(ReportFinding(report.finding).label)}：{report.finding_text}",
            data={"report": report.pk},
        )
    return report
