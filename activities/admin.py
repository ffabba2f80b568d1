"""Admin for activity types (data), yearly plans with their rows, activities (history-aware), and key projects,
red responsibility zones (with their claims), zone checks, pioneer posts and teams.

The admin is for administrators correcting data; everyday writes go through the pages and their services.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from activities.models import (
    Activity,
    ActivityPlan,
    ActivityType,
    KeyProject,
    PioneerPost,
    PlannedActivity,
    ResponsibilityZone,
    Team,
    TeamMember,
    ZoneAssignment,
    ZoneCheck,
)


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


# --- key projects, zones, posts and teams ---------------------------------------------------------------------


@admin.register(KeyProject)
class KeyProjectAdmin(SimpleHistoryAdmin):
    list_display = ("name", "agreement", "owner", "status", "is_joint", "starts_on", "ends_on")
    list_filter = ("status", "is_joint")
    search_fields = ("name", "code", "location", "agreement__number", "owner__name")
    list_select_related = ("agreement", "owner")
    autocomplete_fields = ("owner",)
    raw_id_fields = ("agreement",)


class ZoneAssignmentInline(admin.TabularInline):
    model = ZoneAssignment
    extra = 0
    raw_id_fields = ("member",)


@admin.register(ResponsibilityZone)
class ResponsibilityZoneAdmin(SimpleHistoryAdmin):
    list_display = ("name", "project", "lead", "order", "updated_at")
    search_fields = ("name", "project__name", "lead__name")
    list_select_related = ("project", "lead")
    autocomplete_fields = ("lead",)
    raw_id_fields = ("project",)
    inlines = [ZoneAssignmentInline]


@admin.register(ZoneCheck)
class ZoneCheckAdmin(SimpleHistoryAdmin):
    list_display = ("zone", "checked_on", "category", "fix_due_on", "fixed_on")
    list_filter = ("category",)
    search_fields = ("zone__name", "zone__project__name", "finding", "inspectors")
    list_select_related = ("zone",)
    raw_id_fields = ("zone", "fixed_by", "checked_by")
    date_hierarchy = "checked_on"


@admin.register(PioneerPost)
class PioneerPostAdmin(SimpleHistoryAdmin):
    list_display = ("post", "member", "organization", "project", "starts_on", "ends_on")
    search_fields = ("post", "member__name", "organization__name")
    list_select_related = ("member", "organization", "project")
    autocomplete_fields = ("organization",)
    raw_id_fields = ("member", "project")


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    raw_id_fields = ("member",)


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "organization", "project", "starts_on", "ends_on")
    list_filter = ("kind",)
    search_fields = ("name", "purpose", "organization__name")
    list_select_related = ("organization", "project")
    autocomplete_fields = ("organization",)
    raw_id_fields = ("project",)
    inlines = [TeamMemberInline]
