from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal import reminders
from portal.models import Membership, Notification, ReminderRule, TaskRun


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "organization__name")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "queued_at", "started_at", "finished_at", "run_count")
    readonly_fields = ("name", "status", "queued_at", "started_at", "finished_at", "run_count", "summary")

    def has_add_permission(self, request):
        return False


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    """Admins tune each kind's timing; the rows themselves come from the registry (one per kind)."""

    list_display = ("kind", "label", "enabled", "offset_days", "repeat_daily", "escalate_after_days", "updated_at")
    list_editable = ("enabled", "offset_days", "repeat_daily", "escalate_after_days")
    readonly_fields = ("kind", "updated_at")

    @admin.display(description=_("reminder"))
    def label(self, rule):
        return reminders.label_for(rule.kind)

    def changelist_view(self, request, extra_context=None):
        reminders.ensure_rules()  # so a kind is editable before the first sweep has run
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what was reminded, to whom, and how delivery went."""

    list_display = ("title", "kind", "recipient", "occurrence", "status", "due_at", "sent_at", "read_at", "attempts")
    list_filter = ("status", "kind")
    search_fields = ("title", "recipient__username", "occurrence")
    list_select_related = ("recipient",)
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
