from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from partnerships.models import Member, Organization


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
