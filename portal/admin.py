from django.contrib import admin

from portal.models import Membership, TaskRun


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
