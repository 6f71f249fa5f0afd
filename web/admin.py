"""The admin's pages that speak HTTP themselves (admission/admin.py registers the domain's models without doing so):
the API clients' webhook subscriptions, whose signing secret is shown on a page of its own once, and their
deliveries with the administrator's re-send (issue 15, docs/webhooks.md)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from admission.admin import ReadOnlyAdmin
from admission.models import DeliveryStatus, WebhookDelivery, WebhookEventType, WebhookSubscription
from admission.permissions import membership_of
from admission.services import webhooks


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("接收地址"),
        max_length=400,
        assume_scheme="https",
        help_text=_("须为 https 地址；不能指向内网或本机地址。"),
    )
    events = forms.MultipleChoiceField(
        label=_("事件"), choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["client", "url", "events", "active"]

    def clean(self):
        """The service's checks (https, a public address, a client with an organization), on this page."""
        cleaned = super().clean()
        url, client = cleaned.get("url"), cleaned.get("client")
        try:
            if url:
                webhooks.validate_target(url)
            if client is not None and membership_of(client.user) is None:
                raise ValidationError({"client": [_("该接口客户端没有所属单位，不能订阅事件。")]})
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, problem)
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """The system administrator subscribes an API client's system to decisions and issued documents (issue 15,
    docs/webhooks.md). The signing secret is shown once, when the subscription is saved for the first time (and when
    it is replaced); every change is an audit event."""

    form = WebhookSubscriptionForm
    list_display = ["client", "organization", "url", "event_labels", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "client__name"]
    actions = ["replace_secret"]

    @admin.display(description=_("所属单位"))
    def organization(self, subscription):
        membership = membership_of(subscription.client.user)
        return membership.organization.name if membership else "—"

    @admin.display(description=_("事件"))
    def event_labels(self, subscription):
        return "、".join(str(WebhookEventType(e).label) for e in subscription.events if e in WebhookEventType.values)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client__user")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            webhooks.update_subscription(
                subscription=obj, url=data["url"], events=data["events"], active=data["active"], actor=request.user
            )
            return
        subscription, secret = webhooks.create_subscription(
            client=data["client"], url=data["url"], events=data["events"], active=data["active"], actor=request.user
        )
        obj.pk, obj.secret, obj.events, obj.created_at = (
            subscription.pk,
            secret,
            subscription.events,
            subscription.created_at,
        )
        request._webhook_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_webhook_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return self._show_secret(request, obj, secret)

    def _show_secret(self, request, subscription, secret):
        """The secret in the page itself, never in a message (messages may travel in a cookie)."""
        return TemplateResponse(
            request,
            "admin/admission/webhooksubscription/secret.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Webhook 签名密钥"),
                "subscription": subscription,
                "secret": secret,
                "opts": self.model._meta,
            },
        )

    def has_replace_permission(self, request):
        return request.user.has_perm("admission.change_webhooksubscription")

    @admin.action(description=_("更换所选订阅的签名密钥（新密钥只显示一次）"), permissions=["replace"])
    def replace_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个订阅更换密钥。"), level="warning")
            return None
        subscription = queryset.select_related("client").get()
        secret = webhooks.rotate_secret(subscription=subscription, actor=request.user)
        return self._show_secret(request, subscription, secret)


class DeliveryQueueFilter(admin.SimpleListFilter):
    title = _("投递状态")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("failed", _("失败：多次重试未成功，已停止重试")),
            ("retrying", _("等待重试")),
            ("delivered", _("已送达")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(status=DeliveryStatus.FAILED)
        if self.value() == "retrying":
            return queryset.filter(status=DeliveryStatus.PENDING, attempts__gt=0)
        if self.value() == "delivered":
            return queryset.filter(status=DeliveryStatus.DELIVERED)
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Each event sent to each subscription: attempts, the last answer, the next retry. A failed delivery (filter
    投递状态 → 失败) is sent again with the action, under the same delivery id."""

    list_display = [
        "created_at",
        "subscription",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = [DeliveryQueueFilter, "event_type", "status"]
    search_fields = ["delivery_id", "event_id", "subscription__url"]
    list_select_related = ["subscription__client"]
    actions = ["send_again"]

    @admin.display(description=_("最近失败原因"))
    def error(self, delivery):
        return delivery.last_error[:200]

    def has_resend_permission(self, request):
        return request.user.has_perm("admission.change_webhookdelivery")

    @admin.action(description=_("重新发送所选投递（同一投递编号）"), permissions=["resend"])
    def send_again(self, request, queryset):
        queued = webhooks.resend(deliveries=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "已提交 %(count)d 条重新发送；刷新本页查看结果。",
                "已提交 %(count)d 条重新发送；刷新本页查看结果。",
                queued,
            )
            % {"count": queued},
        )

    def changelist_view(self, request, extra_context=None):
        failed = WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count()
        if failed and request.GET.get("delivery") != "failed":
            self.message_user(
                request,
                ngettext(
                    "%(count)d 条 Webhook 投递多次失败，已停止重试：在“投递状态”中选“失败”查看原因并重新发送。",
                    "%(count)d 条 Webhook 投递多次失败，已停止重试：在“投递状态”中选“失败”查看原因并重新发送。",
                    failed,
                )
                % {"count": failed},
                level="warning",
            )
        return super().changelist_view(request, extra_context)
