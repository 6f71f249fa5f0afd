"""Art. 3 and 4(2): joint review by the organization office, justice bureau and data bureau."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from ..documents import content as drafts
from ..inserts import insert_new_unless_present
from ..models import (
    JOINT_MEETING_KINDS,
    AdvisoryOpinion,
    AttachmentKind,
    AuditAction,
    BureauReviewOpinion,
    DutyRequest,
    Organization,
    OrganizationKind,
    RequestState,
    ReviewConclusion,
)
from ..models.requests import FOCUS_POINTS as FOCUS_POINTS  # the review's focus points, used by its pages too
from ..permissions import require_consulted_department, require_joint_meeting_member, require_lead_unit
from .audit import record_event
from .documents import issue_document
from .errors import ConflictError
from .transitions import apply_transition, locked_request
from .uploads import store_attachment

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _require_under_review(duty_request: DutyRequest) -> None:
    if duty_request.state != RequestState.UNDER_REVIEW:
        raise ConflictError(
            _("该申请当前状态为「%(state)s」，不在联席审核阶段。") % {"state": RequestState(duty_request.state).label}
        )


def record_bureau_opinion(
    *, duty_request: DutyRequest, actor: User, passes: bool | None, reasoning: str
) -> BureauReviewOpinion:
    """One member's own opinion: division of duties (编办), legality review (司法局), power list (政数局).
    Every missing part is named at once."""
    organization = require_joint_meeting_member(actor, duty_request)
    reasoning = (reasoning or "").strip()
    errors: dict[str, list[str]] = {}
    if passes is None:
        errors["passes"] = [_("请选择本单位意见。")]
    if not reasoning:
        errors["reasoning"] = [_("请写明审核意见及其依据。")]
    if errors:
        raise ValidationError(errors)
    assert passes is not None  # a missing choice is among the errors above
    with locked_request(duty_request) as duty_request:
        _require_under_review(duty_request)
        opinion = BureauReviewOpinion(
            request=duty_request, organization=organization, passes=passes, reasoning=reasoning, given_by=actor
        )
        # One statement, not a read before the insert: the opinion goes in unless the organization has given one
        # (bureau_opinion_once). No receiver needs its signals; half the Python calls of create().
        if not insert_new_unless_present([opinion], unique=("request", "organization"))[0]:
            raise ConflictError(
                _("%(organization)s已出具审核意见，不能重复提交。") % {"organization": organization.name}
            )
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.RECORD_BUREAU_OPINION,
            note=f"{'通过' if passes else '不通过'}：{reasoning}",
            data={"passes": passes},
        )
    return opinion


def request_advisory_opinions(
    *,
    duty_request: DutyRequest,
    actor: User,
    question: str,
    departments: Sequence[Organization] = (),
    experts: Sequence[tuple[str, str]] = (),
) -> list[AdvisoryOpinion]:
    """Art. 4(2): ask related departments (and, where needed, experts); the review waits for all answers."""
    require_lead_unit(actor, duty_request)
    question = (question or "").strip()
    errors: dict[str, list[str]] = {}
    if not question:
        errors["question"] = [_("请写明需要相关部门或专家发表意见的事项。")]
    if not departments and not experts:
        errors["departments"] = [_("请至少选择一个相关部门或填写一位专家。")]
    bad = [
        d.name
        for d in departments
        if d.kind != OrganizationKind.DEPARTMENT or d.jurisdiction_id != duty_request.jurisdiction_id
    ]
    if bad:
        errors["departments"] = [
            _("只能向本旗的职能部门征求意见：%(organizations)s。") % {"organizations": "、".join(bad)}
        ]
    if any(d.pk == duty_request.department_id for d in departments):
        errors["departments"] = [_("申请部门本身不能作为相关部门出具意见。")]
    if errors:
        raise ValidationError(errors)
    with locked_request(duty_request) as duty_request:
        _require_under_review(duty_request)
        created = [
            AdvisoryOpinion.objects.create(request=duty_request, organization=d, question=question, requested_by=actor)
            for d in departments
        ] + [
            AdvisoryOpinion.objects.create(
                request=duty_request,
                expert_name=name,
                expert_affiliation=affiliation,
                question=question,
                requested_by=actor,
            )
            for name, affiliation in experts
        ]
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.REQUEST_ADVISORY_OPINIONS,
            note=f"{question}（{'、'.join(a.source_label for a in created)}）",
            data={"advisory_opinions": [a.pk for a in created]},
        )
    return created


def record_advisory_opinion(
    *, advisory: AdvisoryOpinion, actor: User, answer: str, letter: UploadedFile | None = None
) -> AdvisoryOpinion:
    """A related department answers for itself; an expert's opinion is recorded by the lead unit."""
    if advisory.organization_id:
        require_consulted_department(actor, advisory)
    else:
        require_lead_unit(actor, advisory.request)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": [_("请填写意见内容。")]})
    with locked_request(advisory.request) as duty_request:
        _require_under_review(duty_request)
        advisory = AdvisoryOpinion.objects.select_for_update().get(pk=advisory.pk)
        if advisory.answered_at is not None:
            raise ConflictError(_("该意见已经出具，不能重复提交。"))
        if letter is not None:
            advisory.letter = store_attachment(
                duty_request=duty_request, kind=AttachmentKind.ADVISORY_LETTER, uploaded=letter, actor=actor
            )
        advisory.answer, advisory.answered_by, advisory.answered_at = answer, actor, timezone.now()
        advisory.save()
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.RECORD_ADVISORY_OPINION,
            note=f"{advisory.source_label}：{answer}",
            data={"advisory_opinion": advisory.pk},
        )
    return advisory


def conclude_review(
    *,
    duty_request: DutyRequest,
    actor: User,
    passes: bool,
    findings: dict[str, str],
    reasons: str = "",
    remedy: str = "",
) -> ReviewConclusion:
    """Art. 4(2): the consolidated review opinion. Passing addresses each of the five focus points; not passing
    needs written reasons and what to correct (the focus points it addresses go into the reply too)."""
    require_lead_unit(actor, duty_request)
    errors: dict[str, list[str]] = {}
    for field, label in FOCUS_POINTS:
        if passes and not (findings.get(field) or "").strip():
            errors[field] = [
                _("请写明对“%(focus_point)s”的审核意见（第四条第二项重点审核内容）。") % {"focus_point": label}
            ]
    if not passes and not reasons.strip():
        errors["reasons"] = [_("审核不通过须书面说明理由（第四条第二项）。")]
    if not passes and not remedy.strip():
        errors["remedy"] = [_("请写明部门重新申请前需要改正的事项。")]
    if errors:
        raise ValidationError(errors)
    with locked_request(duty_request) as duty_request:
        _require_under_review(duty_request)
        given = {o.organization.kind: o for o in duty_request.bureau_opinions.select_related("organization")}
        missing = [str(OrganizationKind(k).label) for k in JOINT_MEETING_KINDS if k not in given]
        if missing:
            raise ConflictError(
                _("尚待%(organizations)s出具审核意见，暂不能形成审核意见。") % {"organizations": "、".join(missing)}
            )
        if duty_request.advisory_opinions.filter(answered_at__isnull=True).exists():
            raise ConflictError(_("尚有相关部门或专家意见未返回，暂不能形成审核意见。"))
        failing = [str(OrganizationKind(k).label) for k, o in given.items() if not o.passes]
        if passes and failing:
            raise ValidationError(
                {
                    "passes": [
                        _("%(organizations)s的审核意见为不通过，审核结论不能为通过。")
                        % {"organizations": "、".join(failing)}
                    ]
                }
            )
        conclusion = ReviewConclusion.objects.create(
            request=duty_request,
            passes=passes,
            reasons=reasons.strip(),
            remedy=remedy.strip(),
            given_by=actor,
            **{field: (findings.get(field) or "").strip() for field, _ in FOCUS_POINTS},
        )
        apply_transition(
            duty_request=duty_request,
            transition=duty_request.pass_review if passes else duty_request.reject,
            actor=actor,
            action=AuditAction.CONCLUDE_REVIEW,
            note="审核通过，报旗委、旗政府。" if passes else f"审核不通过：{reasons.strip()}",
        )
        draft = (drafts.review_opinion if passes else drafts.non_admission_notice)(
            duty_request=duty_request, conclusion=conclusion
        )
        issue_document(draft=draft, duty_request=duty_request, actor=actor)
    return conclusion
