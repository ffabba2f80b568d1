"""Admin for activity types (data), yearly plans with their rows, and activities (history-aware)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from activities.models import Activity, ActivityPlan, ActivityType, PlannedActivity


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    """Activity types are data: admins rename, recolour, reorder, retire or add them."""

    list_display = ("name", "code", "color", "order", "is_study", "active")
    list_editable = ("order", "active")
    list_filter = ("is_study", "active")
    search_fields = ("name", "code")


class PlannedActivityInline(admin.TabularInline):
    model = PlannedActivity
    extra = 0
    fields = ("month", "theme", "type", "lead", "co_organizers", "order")
    autocomplete_fields = ("lead", "co_organizers")


@admin.register(ActivityPlan)
class ActivityPlanAdmin(SimpleHistoryAdmin):
    list_display = ("title", "agreement", "year", "updated_at")
    list_filter = ("year",)
    search_fields = ("title", "agreement__number", "agreement__title")
    list_select_related = ("agreement",)
    autocomplete_fields = ("agreement",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [PlannedActivityInline]


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ("title", "type", "lead", "starts_at", "status", "agreement")
    list_filter = ("status", "type")
    search_fields = ("title", "place", "lead__name", "agreement__number")
    list_select_related = ("type", "lead", "agreement")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("agreement", "lead", "co_organizers", "participants")
    raw_id_fields = ("plan_row",)
    readonly_fields = ("logged_at", "logged_by", "created_by", "created_at", "updated_at")


from activities import admin_projects  # noqa: E402,F401
