"""Art. 5, resources follow the duty: the department records what it delivered, the township confirms receipt."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import AuditAction, DutyStatus, SafeguardDelivery, SafeguardKind, TownshipDuty
from ..permissions import acts_for
from .audit import record_event
from .errors import ConflictError


def record_safeguard_delivery(
    *, duty: TownshipDuty, actor, kind: str, description: str, amount: Decimal | None = None
) -> SafeguardDelivery:
    if not acts_for(actor, duty.department):
        raise PermissionDenied("只有承担保障责任的部门可以登记保障措施落实情况。")
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in SafeguardKind.values:
        errors["kind"] = ["请选择保障类别。"]
    if not description:
        errors["description"] = ["请写明拨付或提供的内容，如拨款文号、培训时间和人数。"]
    if kind == SafeguardKind.FUNDING and (amount is None or amount <= 0):
        errors["amount"] = ["工作经费请填写实际拨付的金额（元），须大于 0。"]
    if kind != SafeguardKind.FUNDING and amount is not None:
        errors["amount"] = ["只有工作经费需要填写金额。"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        duty = TownshipDuty.objects.select_for_update().get(pk=duty.pk)
        if duty.status != DutyStatus.ACTIVE:
            raise ConflictError("该职责事项已退出清单，不能再登记保障措施。")
        delivery = SafeguardDelivery.objects.create(
            duty=duty, kind=kind, amount=amount, description=description, recorded_by=actor
        )
        record_event(
            request=duty.request, actor=actor, action=AuditAction.RECORD_SAFEGUARD_DELIVERY,
            note=f"{duty.township.name}：{SafeguardKind(kind).label}{f' {amount:,.2f}元' if amount else ''}，{description}",
            data={"duty": duty.pk, "delivery": delivery.pk},
        )
    return delivery


def confirm_safeguard_delivery(*, delivery: SafeguardDelivery, actor) -> SafeguardDelivery:
    if not acts_for(actor, delivery.duty.township):
        raise PermissionDenied("只有接收保障的乡镇可以确认收到。")
    with transaction.atomic():
        delivery = SafeguardDelivery.objects.select_for_update().select_related("duty__township", "duty__request") \
            .get(pk=delivery.pk)
        if delivery.confirmed_at is not None:
            raise ConflictError("该项保障已经确认收到，无需重复确认。")
        delivery.confirmed_by, delivery.confirmed_at = actor, timezone.now()
        delivery.save(update_fields=["confirmed_by", "confirmed_at"])
        record_event(
            request=delivery.duty.request, actor=actor, action=AuditAction.CONFIRM_SAFEGUARD_DELIVERY,
            note=f"{delivery.duty.township.name}确认收到：{delivery.get_kind_display()}，{delivery.description}",
            data={"duty": delivery.duty_id, "delivery": delivery.pk},
        )
    return delivery
