from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import AssessmentScheme, Indicator, IndicatorScore, QuarterRollup, RollupRun


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("order", "category", "name", "points", "is_deduction", "target", "source", "metric")


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(SimpleHistoryAdmin):
    """Schemes and their indicators; activation (the 100-point check) goes through ``scheme_activate``."""

    list_display = ("year", "name", "is_active", "updated_at")
    inlines = [IndicatorInline]


class IndicatorScoreInline(admin.TabularInline):
    model = IndicatorScore
    extra = 0
    fields = ("indicator", "metric_value", "points", "self_points", "review_points", "adjustment", "final_points")
    readonly_fields = fields


@admin.register(QuarterRollup)
class QuarterRollupAdmin(SimpleHistoryAdmin):
    """Read-only: results are computed by the rollup and scored through the review pages."""

    list_display = ("year", "quarter", "organization", "agreement", "status", "total", "computed_at")
    list_filter = ("year", "quarter", "status")
    list_select_related = ("organization", "agreement")
    inlines = [IndicatorScoreInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RollupRun)
class RollupRunAdmin(admin.ModelAdmin):
    list_display = ("year", "quarter", "final", "status", "requested_by", "queued_at", "started_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in RollupRun._meta.fields]


# --- self-assessment and review: read-only here; written through the self-assessment and review pages ------------

from assessments.models import Review, SelfAssessment, SelfAssessmentAttachment  # noqa: E402


class SelfAssessmentAttachmentInline(admin.TabularInline):
    model = SelfAssessmentAttachment
    extra = 0
    fields = ("original_name", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ("rollup", "status", "submitted_at", "submitted_by", "updated_at")
    list_filter = ("status", "rollup__year", "rollup__quarter")
    list_select_related = ("rollup__organization", "rollup__agreement", "submitted_by")
    readonly_fields = ("rollup", "status", "submitted_at", "submitted_by", "returned_at", "created_at", "updated_at")
    inlines = [SelfAssessmentAttachmentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = ("rollup", "reviewer", "reviewed_at", "published_at", "published_by")
    list_filter = ("rollup__year", "rollup__quarter")
    list_select_related = ("rollup__organization", "rollup__agreement", "reviewer", "published_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
