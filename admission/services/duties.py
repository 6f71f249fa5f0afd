"""What happens to a duty on a township's list after admission: its versions (Art. 4(5)), its exit (Art. 4(4)),
and its resources (Art. 5: the department records what it delivered, the township confirms receipt)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..documents import content as drafts
from ..language import official
from ..models import (
    ApprovalDecision,
    AuditAction,
    DutyRequest,
    DutyStatus,
    DutyVersion,
    SafeguardDelivery,
    SafeguardKind,
    TownshipDuty,
)
from ..models.duties import terms_of_duty, terms_of_request
from ..permissions import require_can_confirm_safeguard_delivery, require_can_record_safeguard_delivery
from .audit import record_event
from .documents import issue_document
from .errors import ConflictError

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_version(
    *, duty: TownshipDuty, duty_request: DutyRequest, decision: ApprovalDecision, changed_fields: list[str]
) -> DutyVersion:
    number = (duty.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return DutyVersion.objects.create(
        duty=duty,
        number=number,
        request=duty_request,
        decision=decision,
        changed_fields=changed_fields,
        terms={term: _jsonable(value) for term, value in terms_of_duty(duty).items()},
        valid_from=timezone.now(),
    )


def record_first_versions(
    *, duties: list[TownshipDuty], duty_request: DutyRequest, decision: ApprovalDecision
) -> list[DutyVersion]:
    """Version 1 of duties just admitted, in one insert (record_version reads the last number; new ones have none)."""
    now = timezone.now()
    return DutyVersion.objects.bulk_create(
        [
            DutyVersion(
                duty=duty,
                number=1,
                request=duty_request,
                decision=decision,
                changed_fields=[],
                terms={term: _jsonable(value) for term, value in terms_of_duty(duty).items()},
                valid_from=now,
            )
            for duty in duties
        ]
    )


def _locked_targets(duty_request: DutyRequest) -> list[TownshipDuty]:
    duties = list(
        TownshipDuty.objects.select_for_update(of=("self",))
        .select_related("township")
        .filter(change_requests=duty_request)
        .order_by("township__division_code")
    )
    gone = [d.township.name for d in duties if d.status != DutyStatus.ACTIVE]
    if gone or not duties:
        raise ConflictError(
            _("%(townships)s的该项职责已不在清单上，请刷新页面。") % {"townships": "、".join(gone) or _("所涉乡镇")}
        )
    return duties


def exit_duties(*, duty_request: DutyRequest, decision: ApprovalDecision, actor: User) -> list[TownshipDuty]:
    """Art. 4(4): on approval the duty leaves the current list, kept on record with its exit decision,
    and every party is told in writing."""
    duties = _locked_targets(duty_request)
    now = timezone.now()
    for duty in duties:
        duty.status, duty.exit_decision, duty.exited_at = DutyStatus.EXITED, decision, now
        duty.save(update_fields=["status", "exit_decision", "exited_at"])
    record_event(
        duty_request=duty_request,
        actor=actor,
        action=AuditAction.EXIT_FROM_DUTY_LIST,
        note="、".join(d.township.name for d in duties),
        data={"township_duties": [d.pk for d in duties]},
    )
    issue_document(
        draft=drafts.exit_notice(duty_request=duty_request, decision=decision), duty_request=duty_request, actor=actor
    )
    return duties


def adjust_duties(*, duty_request: DutyRequest, decision: ApprovalDecision, actor: User) -> list[TownshipDuty]:
    """Art. 4(5): the approved terms replace the current ones; each duty gets a new version saying what changed."""
    duties = _locked_targets(duty_request)
    notice = drafts.adjustment_notice(duty_request=duty_request, decision=decision)
    proposed = terms_of_request(duty_request)
    changes: dict[int, list[str]] = {}
    for duty in duties:
        changed = [term for term, value in proposed.items() if getattr(duty, term) != value]
        for term in changed:
            setattr(duty, term, proposed[term])
        if changed:
            duty.save(update_fields=changed)
        record_version(duty=duty, duty_request=duty_request, decision=decision, changed_fields=changed)
        changes[duty.pk] = changed
    record_event(
        duty_request=duty_request,
        actor=actor,
        action=AuditAction.ADJUST_DUTY,
        note="、".join(d.township.name for d in duties),
        data={"changed_fields": changes},
    )
    issue_document(draft=notice, duty_request=duty_request, actor=actor)
    return duties


def record_safeguard_delivery(
    *, duty: TownshipDuty, actor: User, kind: str, description: str, amount: Decimal | None = None
) -> SafeguardDelivery:
    require_can_record_safeguard_delivery(actor, duty)
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in SafeguardKind.values:
        errors["kind"] = [_("请选择保障类别。")]
    if not description:
        errors["description"] = [_("请写明拨付或提供的内容，如拨款文号、培训时间和人数。")]
    if kind == SafeguardKind.FUNDING and (amount is None or amount <= 0):
        errors["amount"] = [_("工作经费请填写实际拨付的金额（元），须大于 0。")]
    if kind != SafeguardKind.FUNDING and amount is not None:
        errors["amount"] = [_("只有工作经费需要填写金额。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        duty = TownshipDuty.objects.select_for_update().get(pk=duty.pk)
        if duty.status != DutyStatus.ACTIVE:
            raise ConflictError(_("该职责事项已退出清单，不能再登记保障措施。"))
        delivery = SafeguardDelivery.objects.create(
            duty=duty, kind=kind, amount=amount, description=description, recorded_by=actor
        )
        record_event(
            duty_request=duty.request,
            actor=actor,
            action=AuditAction.RECORD_SAFEGUARD_DELIVERY,
            note=f"{duty.township.name}：{official(SafeguardKind(kind).label)}{f' {amount:,.2f}元' if amount else ''}，{description}",
            data={"duty": duty.pk, "delivery": delivery.pk},
        )
    return delivery


def confirm_safeguard_delivery(*, delivery: SafeguardDelivery, actor: User) -> SafeguardDelivery:
    require_can_confirm_safeguard_delivery(actor, delivery)
    with transaction.atomic():
        delivery = (
            SafeguardDelivery.objects.select_for_update()
            .select_related("duty__township", "duty__request")
            .get(pk=delivery.pk)
        )
        if delivery.confirmed_at is not None:
            raise ConflictError(_("该项保障已经确认收到，无需重复确认。"))
        delivery.confirmed_by, delivery.confirmed_at = actor, timezone.now()
        delivery.save(update_fields=["confirmed_by", "confirmed_at"])
        record_event(
            duty_request=delivery.duty.request,
            actor=actor,
            action=AuditAction.CONFIRM_SAFEGUARD_DELIVERY,
            note=f"{delivery.duty.township.name}确认收到：{official(SafeguardKind(delivery.kind).label)}，{delivery.description}",
            data={"duty": delivery.duty_id, "delivery": delivery.pk},
        )
    return delivery
