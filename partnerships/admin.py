from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from partnerships.models import (
    ActionItem,
    Agreement,
    AgreementParty,
    Dimension,
    JointMeeting,
    Member,
    Need,
    Organization,
    Pairing,
    Resource,
)


@admin.register(Organization)
class OrganizationAdmin(TreeAdmin):
    form = movenodeform_factory(Organization)
    list_display = ("name", "kind", "sector", "secretary_name", "contact_phone")
    list_filter = ("kind", "sector")
    search_fields = ("name", "short_name", "unit_name")


@admin.register(Member)
class MemberAdmin(SimpleHistoryAdmin):
    list_display = ("name", "organization", "title", "status", "phone", "user")
    list_filter = ("status", "gender")
    search_fields = ("name", "phone", "organization__name")
    list_select_related = ("organization", "user")
    autocomplete_fields = ("organization", "user")


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    """The co-construction dimensions are data: admins rename, reorder or add them."""

    list_display = ("name", "description", "order")
    list_editable = ("order",)


class AgreementPartyInline(admin.TabularInline):
    model = AgreementParty
    extra = 0
    autocomplete_fields = ("organization",)


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ("number", "title", "status", "term_start", "term_end")
    list_filter = ("status", "dimensions")
    search_fields = ("number", "title", "brand")
    inlines = [AgreementPartyInline]


@admin.register(JointMeeting)
class JointMeetingAdmin(SimpleHistoryAdmin):
    list_display = ("title", "agreement", "starts_at", "host", "minutes_status")
    list_filter = ("minutes_status",)
    search_fields = ("title", "agreement__number")
    list_select_related = ("agreement", "host")


@admin.register(ActionItem)
class ActionItemAdmin(SimpleHistoryAdmin):
    list_display = ("title", "agreement", "responsible_party", "due_on", "status", "progress")
    list_filter = ("kind", "status", "priority")
    search_fields = ("title", "agreement__number")
    list_select_related = ("agreement", "responsible_party")
    raw_id_fields = ("agreement", "decision", "responsible_party", "partner")


@admin.register(Need)
class NeedAdmin(SimpleHistoryAdmin):
    list_display = ("title", "organization", "dimension", "wanted_by", "status")
    list_filter = ("status", "dimension")
    search_fields = ("title", "organization__name")
    list_select_related = ("organization", "dimension")
    raw_id_fields = ("organization",)


@admin.register(Resource)
class ResourceAdmin(SimpleHistoryAdmin):
    list_display = ("title", "organization", "kind", "is_paid", "capacity", "status")
    list_filter = ("kind", "is_paid", "status")
    search_fields = ("title", "organization__name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ("need", "offered_by", "resource", "agreement", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("need__title", "offered_by__name")
    list_select_related = ("need", "offered_by", "resource", "agreement")
    raw_id_fields = ("need", "resource", "agreement", "offered_by", "action_item")
