from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .documents import jobs
from .models import (
    AuditEvent,
    CalendarDay,
    CalendarYear,
    ExternalIdentity,
    Jurisdiction,
    Membership,
    OfficialDocument,
    Organization,
    RenderStatus,
    TimeLimit,
    TownshipDuty,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the procedure writes: the admin shows them, nobody edits them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "division_code", "city_name"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "division_code", "document_prefix", "jurisdiction"]
    list_filter = ["jurisdiction", "kind"]
    search_fields = ["name", "division_code"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["organization__jurisdiction", "organization__kind", "role"]
    search_fields = ["user__username", "organization__name"]
    autocomplete_fields = ["organization"]


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


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Enter each year's official holidays and make-up working days here, and local days per banner."""

    list_display = ["date", "is_working_day", "note", "jurisdiction"]
    list_filter = ["jurisdiction", "is_working_day"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
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
        dead = Q(render_status=RenderStatus.FAILED, render_attempts__gte=jobs.max_attempts())
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
        queued = jobs.retry_now(queryset)
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
        dead = jobs.dead_documents().count()
        if dead and request.GET.get("render_queue") != "dead":
            self.message_user(
                request,
                ngettext(
                    "%(count)d 份公文生成失败 %(attempts)d 次，已停止重试：在“生成队列”中选“死信”查看错误并重新生成。",
                    "%(count)d 份公文生成失败 %(attempts)d 次，已停止重试：在“生成队列”中选“死信”查看错误并重新生成。",
                    dead,
                )
                % {"count": dead, "attempts": jobs.max_attempts()},
                level="warning",
            )
        return super().changelist_view(request, extra_context)
