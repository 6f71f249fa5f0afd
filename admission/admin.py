from django.contrib import admin

from .models import (
    AuditEvent,
    CalendarDay,
    CalendarYear,
    Jurisdiction,
    Membership,
    OfficialDocument,
    Organization,
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


@admin.register(TownshipDuty)
class TownshipDutyAdmin(ReadOnlyAdmin):
    """Read-only: a duty reaches a list only through an admission decision (Art. 7)."""

    list_display = ["duty_name", "township", "department", "track", "status", "admitted_at"]
    list_filter = ["township__jurisdiction", "track", "status"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "request", "organization", "actor", "action", "from_state", "to_state"]
    list_filter = ["jurisdiction", "action"]


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


@admin.register(OfficialDocument)
class OfficialDocumentAdmin(ReadOnlyAdmin):
    """Read-only register: a document is never changed after issue."""

    list_display = ["number", "title", "issuer", "issued_at", "render_status", "render_attempts", "status"]
    list_filter = ["jurisdiction", "kind", "render_status", "status"]
    search_fields = ["number", "title", "verification_code"]
