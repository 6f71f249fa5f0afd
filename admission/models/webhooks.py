"""Signed webhooks for the API's clients (issue 15 part 5): another system subscribes, as its API client's organization,
to decisions and issued documents; each event is delivered once per subscription, signed, and retried
(admission/services/webhooks.py, docs/webhooks.md)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEventType(models.TextChoices):
    DECISION_RECORDED = "decision.recorded", _("审批决定已记录")
    DOCUMENT_ISSUED = "document.issued", _("公文已印发（已生成并签章）")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送或等待重试")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("多次失败，已停止重试")


def all_event_types() -> list[str]:
    return list(WebhookEventType.values)


class WebhookSubscription(models.Model):
    """One target address of one API client: it receives the chosen events about what the client's organization
    may see. The secret signs every delivery; it is shown once, when the subscription is created."""

    client = models.ForeignKey(
        getattr(settings, "OAUTH2_PROVIDER_APPLICATION_MODEL", "oauth2_provider.Application"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("接口客户端"),
    )
    url = models.URLField(_("接收地址"), max_length=400, help_text=_("须为 https 地址；不能指向内网或本机地址。"))
    events = models.JSONField(_("事件"), default=all_event_types)
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook 订阅")
        verbose_name_plural = _("Webhook 订阅")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"


class WebhookDelivery(models.Model):
    """One event for one subscription: its payload is fixed when the event happens, so a retry or a re-send posts the
    same bytes under the same delivery id (the receiver's idempotency key)."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("Webhook 订阅")
    )
    delivery_id = models.UUIDField(_("投递编号"), default=uuid.uuid4, unique=True, editable=False)
    event_id = models.UUIDField(_("事件编号"))
    event_type = models.CharField(_("事件"), max_length=32, choices=WebhookEventType.choices)
    payload = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应状态码"), null=True, blank=True)
    last_error = models.CharField(_("最近失败原因"), max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试时间"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} · {self.delivery_id}"
