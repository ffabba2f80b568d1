from django.urls import path

from partnerships.views import action_items, agreements, meetings, pairings, resources
from partnerships.views import directory as views

app_name = "partnerships"

urlpatterns = [
    path("organizations/", views.OrganizationListView.as_view(), name="organization_list"),
    path("organizations/tree/", views.OrganizationTreeView.as_view(), name="organization_tree"),
    path("organizations/tree/level/", views.OrganizationTreeLevelView.as_view(), name="organization_tree_level"),
    path("organizations/new/", views.OrganizationCreateView.as_view(), name="organization_create"),
    path("organizations/<int:pk>/", views.OrganizationDetailView.as_view(), name="organization_detail"),
    path("organizations/<int:pk>/edit/", views.OrganizationUpdateView.as_view(), name="organization_update"),
    path("members/", views.MemberListView.as_view(), name="member_list"),
    path("members/new/", views.MemberCreateView.as_view(), name="member_create"),
    path("members/import/", views.MemberImportView.as_view(), name="member_import"),
    path("members/import/template.xlsx", views.MemberImportTemplateView.as_view(), name="member_import_template"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="member_detail"),
    path("members/<int:pk>/edit/", views.MemberUpdateView.as_view(), name="member_update"),
    *agreements.urlpatterns,
    *meetings.urlpatterns,
    *action_items.urlpatterns,
    *resources.urlpatterns,
    *pairings.urlpatterns,
]
