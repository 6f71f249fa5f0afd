from axes.helpers import get_cool_off
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import inheritance
from .models import (
    AuditEvent,
    CalendarDay,
    CalendarYear,
    DayUnit,
    DocumentKind,
    DocumentSetting,
    ExternalIdentity,
    GroupRobot,
    Jurisdiction,
    LoginLockout,
    Membership,
    OfficialDocument,
    Organization,
    OrganizationKind,
    RenderStatus,
    RobotDelivery,
    SecondFactorDevice,
    Step,
    TimeLimit,
    TownshipDuty,
)
from .models.documents import ISSUER_CHOICES, SIGNED_KINDS
from .models.organizations import mongolian_names
from .selectors import provisional_deadlines
from .services import rendering

admin.site.site_header = _("乡镇职责准入 · 管理后台")
admin.site.site_title = _("乡镇职责准入管理后台")
admin.site.index_title = _("系统管理")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the procedure writes: the admin shows them, nobody edits them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MongolianPreview:
    """The Mongolian name as it will read: horizontally (as on the header mark and the seal) and vertically, its
    lines from left to right (内政办发〔1996〕32号 art. 3); web/static/admission/mongolian.js redraws it as one types."""

    class Media:
        css = {"all": ["admission/mongolian.css"]}
        js = ["admission/mongolian.js"]

    @admin.display(description=_("蒙古文预览"))
    def mongolian_preview(self, obj):
        lines = mongolian_names(obj.mongolian_name) if obj is not None else []
        spans = format_html_join("", '<span class="line">{}</span>', ((line,) for line in lines))
        return format_html(
            '<div class="mongolian-preview" data-source="id_mongolian_name">'
            '<div class="horizontal" lang="mn-Mong">{}</div><div class="vertical" lang="mn-Mong">{}</div></div>',
            spans,
            spans,
        )


def _source(setting: inheritance.Inherited, jurisdiction: Jurisdiction) -> str:
    """Where an effective setting comes from, in the administrator's words."""
    if setting.source is None:
        return str(_("准入办法默认"))
    if setting.source.pk == jurisdiction.pk:
        return str(_("本级设置"))
    return str(_("继承自 %(name)s") % {"name": setting.source.name})


class DocumentSettingInline(admin.TabularInline):
    """A jurisdiction's own choices per kind of document; what it leaves blank it inherits (shown above)."""

    model = DocumentSetting
    extra = 0
    fields = ["kind", "issuer_kind", "signatory_role"]


@admin.register(Jurisdiction)
class JurisdictionAdmin(MongolianPreview, admin.ModelAdmin):
    list_display = [
        "name",
        "mongolian_name",
        "level",
        "division_code",
        "parent",
        "effective_abbreviation",
        "approves_in_system",
        "publishes_funding",
    ]
    list_filter = ["level", "parent"]
    list_select_related = ["parent__parent"]
    readonly_fields = ["mongolian_preview", "effective_settings"]
    inlines = [DocumentSettingInline]

    def changelist_view(self, request, extra_context=None):
        """Tells the administrator which banners' documents cite a measure by a provisional name."""
        unnamed = inheritance.banners_without_a_measure()
        if unnamed:
            messages.warning(
                request,
                _(
                    "以下旗县的公文暂按旗县名称引用准入办法（如“%(example)s”），请在旗县（或其盟市、自治区）的“准入办法”"
                    "中填写正式名称：%(names)s。"
                )
                % {"example": inheritance.measure(unnamed[0]).value, "names": "、".join(j.name for j in unnamed)},
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("生效的简称"))
    def effective_abbreviation(self, obj):
        setting = inheritance.document_abbreviation(obj)
        return format_html("{}<br><small>{}</small>", setting.value or "—", _source(setting, obj))

    @admin.display(description=_("生效的设置（本级未设置的继承上级）"))
    def effective_settings(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        obj = Jurisdiction.objects.select_related("parent__parent").get(pk=obj.pk)
        rows: list[tuple[str, str, str]] = []
        abbreviation = inheritance.document_abbreviation(obj)
        rows.append((str(_("简称")), abbreviation.value or "—", _source(abbreviation, obj)))
        measure = inheritance.measure(obj)
        rows.append(
            (
                str(_("准入办法")),
                f"《{measure.value}》",
                _source(measure, obj) if measure.source else str(_("暂按旗县名称拟定，请填写本级或上级的准入办法")),
            )
        )
        for kind in ISSUER_CHOICES:
            issuer = inheritance.issuing_body_kind(obj.pk, kind)
            rows.append(
                (
                    str(_("%(kind)s的发文机关") % {"kind": DocumentKind(kind).label}),
                    str(issuer.value.label),
                    _source(issuer, obj),
                )
            )
        for kind in sorted(SIGNED_KINDS):
            role = inheritance.signatory_role(obj.pk, kind)
            rows.append(
                (
                    str(_("%(kind)s的签发人") % {"kind": DocumentKind(kind).label}),
                    str(role.value.label),
                    _source(role, obj),
                )
            )
        for step, limit in inheritance.time_limits(obj):
            days, unit = limit.value
            rows.append(
                (
                    str(_("%(step)s时限") % {"step": Step(step).label}),
                    f"{days} {DayUnit(unit).label}",
                    _source(limit, obj),
                )
            )
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html(
            '<table class="effective-settings"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("设置"),
            _("生效值"),
            _("来源"),
            body,
        )


@admin.register(Organization)
class OrganizationAdmin(MongolianPreview, admin.ModelAdmin):
    list_display = ["name", "kind", "division_code", "number_prefix", "jurisdiction"]
    list_filter = ["jurisdiction", "kind"]
    list_select_related = ["jurisdiction__parent__parent"]
    search_fields = ["name", "division_code"]
    readonly_fields = ["mongolian_preview", "number_prefix"]

    @admin.display(description=_("发文机关代字"))
    def number_prefix(self, obj):
        """The full code of the body's numbers: its jurisdiction's abbreviation (or the inherited one) + its own."""
        if obj is None or obj.pk is None or not obj.document_code:
            return "—"
        if obj.kind == OrganizationKind.TOWNSHIP:
            return obj.document_code
        abbreviation = inheritance.document_abbreviation(obj.jurisdiction)
        return format_html(
            "{}<br><small>{}</small>",
            inheritance.document_prefix(obj),
            _("简称%(source)s") % {"source": _source(abbreviation, obj.jurisdiction)}
            if abbreviation.inherited_by(obj.jurisdiction)
            else _("本级简称"),
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["organization__jurisdiction", "organization__kind", "role"]
    search_fields = ["user__username", "organization__name"]
    autocomplete_fields = ["organization"]


class GroupRobotForm(forms.ModelForm):
    # An address typed without a scheme is taken as https (the default Django 6 will have).
    webhook_url = forms.URLField(label=_("Webhook 地址"), max_length=400, assume_scheme="https")

    class Meta:
        model = GroupRobot
        fields = ["organization", "platform", "webhook_url", "secret", "active"]
        widgets = {"secret": forms.PasswordInput(render_value=False)}

    def clean_secret(self):
        """The secret is never sent back to the browser; left blank on a change, the stored one is kept."""
        return self.cleaned_data["secret"] or (self.instance.secret if self.instance.pk else "")


@admin.register(GroupRobot)
class GroupRobotAdmin(admin.ModelAdmin):
    """The system administrator registers a unit's DingTalk or WeCom group robot; what arrives for the unit is posted
    to its group too."""

    form = GroupRobotForm

    list_display = ["organization", "platform", "active"]
    list_filter = ["platform", "active", "organization__jurisdiction"]
    autocomplete_fields = ["organization"]


@admin.register(RobotDelivery)
class RobotDeliveryAdmin(ReadOnlyAdmin):
    """What was posted to each group robot, and why a post failed (retried by the task engine)."""

    list_display = ["created_at", "robot", "sent_at", "error"]
    list_filter = ["robot__platform", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["text"]


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """The system administrator ties each platform account (统一身份认证) to a member here: by its subject, or by a
    pre-registered value bound at the first login. A platform account with no row here cannot log in."""

    list_display = ["user", "issuer", "subject", "claim_value", "bound_at", "last_login_at"]
    list_filter = ["issuer"]
    search_fields = ["user__username", "user__first_name", "subject", "claim_value"]
    autocomplete_fields = ["user"]
    readonly_fields = ["bound_at", "last_login_at", "created_at"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("issuer", getattr(settings, "OIDC_OP_ISSUER", ""))
        return initial


@admin.register(TownshipDuty)
class TownshipDutyAdmin(ReadOnlyAdmin):
    """Read-only: a duty reaches a list only through an admission decision (Art. 7)."""

    list_display = ["duty_name", "township", "department", "track", "status", "admitted_at"]
    list_filter = ["township__jurisdiction", "track", "status"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail, read-only, for the audit administrator: filter by what, outcome, where and when."""

    list_display = [
        "sequence",
        "created_at",
        "action",
        "outcome",
        "actor",
        "organization",
        "source_address",
        "request",
        "note",
    ]
    list_filter = ["action", "outcome", "jurisdiction", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["note", "actor__username", "source_address", "hash"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "organization", "request"]


class CalendarAdmin(admin.ModelAdmin):
    """Tells the administrator, on the pages where it is done, which year's schedule open due dates wait for."""

    def changelist_view(self, request, extra_context=None):
        for instruction, count in provisional_deadlines():
            messages.warning(
                request,
                ngettext(
                    "%(instruction)s目前有 %(count)s 项未办结任务的到期日为暂估，录入后自动重新计算。",
                    "%(instruction)s目前有 %(count)s 项未办结任务的到期日为暂估，录入后自动重新计算。",
                    count,
                )
                % {"instruction": instruction, "count": count},
            )
        return super().changelist_view(request, extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdmin):
    """Enter each year's official holidays and make-up working days here, and local days per banner."""

    list_display = ["date", "is_working_day", "note", "jurisdiction"]
    list_filter = ["jurisdiction", "is_working_day"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdmin):
    list_display = ["year", "source"]


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "step", "days", "unit"]
    list_editable = ["days", "unit"]
    list_filter = ["jurisdiction"]


class RenderQueueFilter(admin.SimpleListFilter):
    """Where a document's PDF stands; “死信” are the dead letters: failed ADMISSION_RENDER_MAX_ATTEMPTS times."""

    title = _("生成队列")
    parameter_name = "render_queue"

    def lookups(self, request, model_admin):
        return [
            ("dead", _("死信：多次生成失败，已停止重试")),
            ("retrying", _("生成失败，等待重试")),
            ("pending", _("生成中")),
        ]

    def queryset(self, request, queryset):
        dead = Q(render_status=RenderStatus.FAILED, render_attempts__gte=rendering.max_attempts())
        if self.value() == "dead":
            return queryset.filter(dead)
        if self.value() == "retrying":
            return queryset.filter(render_status=RenderStatus.FAILED).exclude(dead)
        if self.value() == "pending":
            return queryset.filter(render_status=RenderStatus.PENDING)
        return queryset


@admin.register(OfficialDocument)
class OfficialDocumentAdmin(ReadOnlyAdmin):
    """Read-only register: a document is never changed after issue. Its PDF may be produced again when it has none:
    the dead-letter list (filter 生成队列 → 死信) shows each error, and the action retries."""

    list_display = [
        "number",
        "title",
        "issuer",
        "issued_at",
        "render_status",
        "render_attempts",
        "error",
        "next_attempt_at",
        "status",
    ]
    list_filter = [RenderQueueFilter, "jurisdiction", "kind", "render_status", "status"]
    search_fields = ["number", "title", "verification_code"]
    actions = ["retry_rendering"]

    @admin.display(description=_("生成错误"))
    def error(self, document):
        return document.render_error[:200]

    def has_retry_permission(self, request):
        return request.user.has_perm("admission.change_officialdocument")

    @admin.action(description=_("重新生成所选公文的 PDF（已生成的不动）"), permissions=["retry"])
    def retry_rendering(self, request, queryset):
        queued = rendering.retry_now(queryset)
        self.message_user(
            request,
            ngettext(
                "已提交 %(count)d 份公文重新生成；刷新本页查看结果。",
                "已提交 %(count)d 份公文重新生成；刷新本页查看结果。",
                queued,
            )
            % {"count": queued},
        )

    def changelist_view(self, request, extra_context=None):
        dead = rendering.dead_documents().count()
        if dead and request.GET.get("render_queue") != "dead":
            self.message_user(
                request,
                ngettext(
                    "%(count)d 份公文生成失败 %(attempts)d 次，已停止重试：在“生成队列”中选“死信”查看错误并重新生成。",
                    "%(count)d 份公文生成失败 %(attempts)d 次，已停止重试：在“生成队列”中选“死信”查看错误并重新生成。",
                    dead,
                )
                % {"count": dead, "attempts": rendering.max_attempts()},
                level="warning",
            )
        return super().changelist_view(request, extra_context)


class _OriginalPermissions:
    """The proxies answer to the libraries' own permissions (services/administrators.py gives the security
    administrator view and delete on them): no add, no change."""

    original: str

    def _has(self, request, verb: str) -> bool:
        app_label, model = self.original.split(".")
        return request.user.has_perm(f"{app_label}.{verb}_{model}")

    def has_module_permission(self, request):
        return self._has(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._has(request, "view")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self._has(request, "delete")


def _with_lockout_totals(queryset):
    """Each failed-login record with the failures, within the cool-off, of its account and of its address: django-axes
    locks an account or an address when either total reaches AXES_FAILURE_LIMIT (an address guessing several accounts
    has several records, none of which reaches it alone)."""
    cool_off = get_cool_off()
    recent = Q(attempt_time__gte=timezone.now() - cool_off) if cool_off is not None else Q()

    def total(field: str):
        rows = LoginLockout.objects.filter(recent, **{field: OuterRef(field)}).values(field)
        return Coalesce(Subquery(rows.annotate(n=Sum("failures_since_start")).values("n")[:1]), 0)

    return queryset.annotate(account_failures=total("username"), address_failures=total("ip_address"))


class LockedFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("锁定中")), ("no", _("未锁定"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        limit = settings.AXES_FAILURE_LIMIT
        locked = Q(account_failures__gte=limit) | Q(address_failures__gte=limit)
        return queryset.filter(locked) if self.value() == "yes" else queryset.exclude(locked)


@admin.register(LoginLockout)
class LoginLockoutAdmin(_OriginalPermissions, admin.ModelAdmin):
    """Failed logins by account and address (django-axes). Deleting a record unlocks: select it, then 删除所选."""

    original = "axes.accessattempt"
    list_display = ["account", "address", "failures", "locked", "last_failure", "client"]
    list_filter = [LockedFilter]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fields = ("account", "address", "failures", "locked", "last_failure", "client", "page")
    readonly_fields = ("account", "address", "failures", "locked", "last_failure", "client", "page")

    @admin.display(description=_("用户名"), ordering="username")
    def account(self, attempt):
        return attempt.username or "—"

    @admin.display(description=_("来源地址"), ordering="ip_address")
    def address(self, attempt):
        return attempt.ip_address or "—"

    @admin.display(description=_("失败次数"), ordering="failures_since_start")
    def failures(self, attempt):
        return attempt.failures_since_start

    @admin.display(description=_("最近失败时间"), ordering="attempt_time")
    def last_failure(self, attempt):
        return timezone.localtime(attempt.attempt_time).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description=_("客户端"))
    def client(self, attempt):
        return attempt.user_agent[:120]

    @admin.display(description=_("登录页面"))
    def page(self, attempt):
        return attempt.path_info

    def get_queryset(self, request):
        return _with_lockout_totals(super().get_queryset(request))

    @admin.display(description=_("状态"))
    def locked(self, attempt):
        limit = settings.AXES_FAILURE_LIMIT
        account, address = attempt.account_failures >= limit, attempt.address_failures >= limit
        if account and address:
            return _("锁定中（账号和地址）")
        if account:
            return _("锁定中（账号）")
        if address:
            return _("锁定中（地址）")
        return _("未锁定")

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not request.GET.get("_popup"):
            self.message_user(
                request,
                _(
                    "选中记录后执行“删除所选”即解除锁定，解除操作记入审计日志。地址被锁定时，按地址搜索并选中该地址的全部记录。"
                ),
                level="info",
            )
        return super().changelist_view(request, extra_context)


@admin.register(SecondFactorDevice)
class SecondFactorDeviceAdmin(_OriginalPermissions, admin.ModelAdmin):
    """Users' authenticator apps (django-otp TOTP); the key is never shown. Deleting one resets the user's second
    factor: a head, reviewer or administrator enrols again at the next login."""

    original = "otp_totp.totpdevice"
    list_display = ["owner", "state", "enrolled", "last_used", "failures"]
    search_fields = ["user__username", "user__first_name"]
    list_select_related = ["user"]
    fields = ("owner", "state", "enrolled", "last_used", "failures")
    readonly_fields = ("owner", "state", "enrolled", "last_used", "failures")

    @admin.display(description=_("用户"), ordering="user__username")
    def owner(self, device):
        name = device.user.get_full_name()
        return f"{device.user.get_username()}（{name}）" if name else device.user.get_username()

    @admin.display(description=_("状态"), ordering="confirmed")
    def state(self, device):
        return _("已启用") if device.confirmed else _("未确认")

    @admin.display(description=_("启用时间"), ordering="created_at")
    def enrolled(self, device):
        return timezone.localtime(device.created_at).strftime("%Y-%m-%d %H:%M") if device.created_at else "—"

    @admin.display(description=_("最近使用"), ordering="last_used_at")
    def last_used(self, device):
        return timezone.localtime(device.last_used_at).strftime("%Y-%m-%d %H:%M") if device.last_used_at else "—"

    @admin.display(description=_("连续验证失败"), ordering="throttling_failure_count")
    def failures(self, device):
        return device.throttling_failure_count


# Shown above in Chinese, under the security administrator's permissions; not twice.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
