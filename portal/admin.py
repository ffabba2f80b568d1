from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal import reminders
from portal.models import Membership, Notification, ReminderRule, TaskRun, WebhookDelivery, WebhookEndpoint


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


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Group robots; the address and secret are shown masked in the list (the change form holds them)."""

    list_display = ("name", "organization", "platform", "masked_url", "enabled", "last_success_at", "last_error_at")
    list_filter = ("platform", "enabled")
    search_fields = ("name", "organization__name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    readonly_fields = ("created_by", "created_at", "updated_at", "last_success_at", "last_error", "last_error_at")

    @admin.display(description=_("robot address"))
    def masked_url(self, endpoint):
        return endpoint.masked_url


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read-only: what each group robot was asked to post and how it went."""

    list_display = ("title", "endpoint", "kind", "occurrence", "status", "attempts", "due_at", "sent_at", "retry_at")
    list_filter = ("status", "kind", "endpoint__platform")
    search_fields = ("title", "endpoint__name", "endpoint__organization__name", "occurrence")
    list_select_related = ("endpoint",)
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
