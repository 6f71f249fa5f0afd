"""Art. 4(4) exit and Art. 4(5) adjustment: opening a case about a duty already on townships' lists.

The case is a DutyRequest with a purpose; from here on it follows the admission procedure (consultation of the
other townships holding the duty, written application, joint review, approval on the duty's track)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..language import official
from ..models import AuditAction, DutyRequest, DutyStatus, OrganizationKind, RequestPurpose, TownshipDuty
from ..models.requests import FINAL_STATES
from ..permissions import membership_of, require_can_propose_change, require_membership
from .audit import record_event
from .errors import ConflictError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..permissions import Viewer

# Art. 4(1) elements that are not terms of the duty: carried over from the case that admitted it.
CARRIED_OVER = (
    "affair_class",
    "work_objective",
    "division_of_responsibilities",
    "work_process",
    "completion_time_limit",
    "operating_mechanism",
    "staffing",
)


def change_targets(*, duty: TownshipDuty, user: Viewer) -> list[TownshipDuty]:
    """The duties one proposal may cover: a township only its own; the department or the office every township
    holding the same admitted duty."""
    membership = membership_of(user)
    if membership is not None and membership.organization.kind == OrganizationKind.TOWNSHIP:
        return [duty]
    return list(
        TownshipDuty.objects.filter(request_id=duty.request_id, status=DutyStatus.ACTIVE)
        .select_related("township")
        .order_by("township__division_code")
    )


def propose_change(
    *, actor: User, duty: TownshipDuty, purpose: str, reasons: str, targets: list[TownshipDuty] | None = None
) -> DutyRequest:
    """Open an exit or adjustment case as the applicant's draft, carrying the duty's current terms."""
    if purpose not in (RequestPurpose.EXIT, RequestPurpose.ADJUSTMENT):
        raise ValidationError({"purpose": [_("请选择申请退出或提出调整。")]})
    require_can_propose_change(actor, duty, purpose)
    reasons = (reasons or "").strip()
    allowed = {d.pk for d in change_targets(duty=duty, user=actor)}
    targets = targets if targets is not None else [duty]
    errors: dict[str, list[str]] = {}
    if not reasons:
        errors["reasons"] = [
            _("请写明%(purpose)s的理由（如任务已完成、不再适宜由乡镇承担、法律政策调整等）。")
            % {"purpose": RequestPurpose(purpose).label}
        ]
    if not targets:
        errors["targets"] = [_("请至少选择一个乡镇。")]
    elif any(t.pk not in allowed for t in targets):
        errors["targets"] = [_("只能选择仍承担该项职责的乡镇；乡镇只能就本乡镇的职责提出。")]
    if errors:
        raise ValidationError(errors)
    org = require_membership(actor).organization
    with transaction.atomic():
        locked = list(
            TownshipDuty.objects.select_for_update(of=("self",))
            .select_related("request", "township")
            .filter(pk__in=[t.pk for t in targets])
            .order_by("pk")
        )
        if any(d.status != DutyStatus.ACTIVE for d in locked):
            raise ConflictError(_("所选职责事项已退出清单，请刷新页面。"))
        open_case = DutyRequest.objects.filter(target_duties__in=locked).exclude(state__in=FINAL_STATES).first()
        if open_case is not None:
            raise ConflictError(
                _("该职责事项已有正在办理的%(purpose)s申请（%(reference)s），请待其办结或撤回后再提出。")
                % {"purpose": open_case.get_purpose_display(), "reference": open_case.reference}
            )
        admitted_by = locked[0].request
        current = locked[0]
        duty_request = DutyRequest.objects.create(
            jurisdiction_id=current.township.jurisdiction_id,
            purpose=purpose,
            department_id=current.department_id,
            applicant=org,
            created_by=actor,
            change_reasons=reasons,
            duty_name=current.duty_name,
            legal_basis=current.legal_basis,
            powers_and_responsibilities=current.content,
            track=current.track,
            list_category=current.category,
            end_date=current.end_date,
            funding_amount=current.funding_amount,
            funding_source=current.funding_source,
            technical_support=current.technical_support,
            training=current.training,
            **{field: getattr(admitted_by, field) for field in CARRIED_OVER},
        )
        duty_request.target_duties.set(locked)
        duty_request.townships.set([d.township for d in locked])
        record_event(
            duty_request=duty_request,
            actor=actor,
            action=AuditAction.PROPOSE_CHANGE,
            note=f"{official(RequestPurpose(purpose).label)}“{current.duty_name}”（{'、'.join(d.township.name for d in locked)}）：{reasons}",
            data={"township_duties": [d.pk for d in locked], "admitted_by": admitted_by.pk},
        )
    return duty_request
