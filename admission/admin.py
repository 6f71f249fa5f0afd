from django.contrib import admin

from .models import AuditEvent, Jurisdiction, Membership, Organization, TownshipDuty


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "division_code", "city_name"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "division_code", "jurisdiction"]
    list_filter = ["jurisdiction", "kind"]
    search_fields = ["name", "division_code"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["organization__jurisdiction", "organization__kind", "role"]
    search_fields = ["user__username", "organization__name"]
    autocomplete_fields = ["organization"]


@admin.register(TownshipDuty)
class TownshipDutyAdmin(admin.ModelAdmin):
    """Read-only: a duty reaches a list only through an admission decision (Art. 7)."""

    list_display = ["duty_name", "township", "department", "track", "status", "admitted_at"]
    list_filter = ["township__jurisdiction", "track", "status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "request", "organization", "actor", "action", "from_state", "to_state"]
    list_filter = ["jurisdiction", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
