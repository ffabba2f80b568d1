from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from portal import search
from portal.views import exports as views_exports
from portal.views import history as views_history
from portal.views import notifications as views_notifications
from portal.views import pwa as views_pwa
from portal.views import shell as views
from portal.views import webhooks as views_webhooks

admin.site.site_header = admin.site.site_title = _("Gongjian administration")
admin.site.index_title = _("System administration")

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("me/", views.ProfileView.as_view(), name="profile"),
    path("notifications/", views_notifications.NotificationListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/", views_notifications.notification_open, name="notification_open"),
    path(
        "notifications/read-all/", views_notifications.notifications_mark_all_read, name="notifications_mark_all_read"
    ),
    path(
        "notifications/preferences/",
        views_notifications.NotificationPreferencesView.as_view(),
        name="notification_preferences",
    ),
    path("exports/", views_exports.ExportJobListView.as_view(), name="export_jobs"),
    path("exports/<int:pk>/", views_exports.ExportJobView.as_view(), name="export_job"),
    path("exports/<int:pk>/download/", views_exports.export_download, name="export_download"),
    path("history/<str:label>/<int:pk>.xlsx", views_history.history_export, name="history_export"),
    path("webhooks/", views_webhooks.WebhookListView.as_view(), name="webhook_list"),
    path("webhooks/new/", views_webhooks.WebhookCreateView.as_view(), name="webhook_create"),
    path("webhooks/<int:pk>/", views_webhooks.WebhookDetailView.as_view(), name="webhook_detail"),
    path("webhooks/<int:pk>/edit/", views_webhooks.WebhookUpdateView.as_view(), name="webhook_update"),
    path("webhooks/<int:pk>/delete/", views_webhooks.WebhookDeleteView.as_view(), name="webhook_delete"),
    path("webhooks/<int:pk>/test/", views_webhooks.WebhookTestView.as_view(), name="webhook_test"),
    path("webhooks/tests/<int:pk>/", views_webhooks.WebhookTestStatusView.as_view(), name="webhook_test_status"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views_pwa.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("system/housekeeping/", views.housekeeping_run_now, name="housekeeping_run_now"),
    path("healthz", views.healthz, name="healthz"),
    # The installable app (PWA): the service worker at the root (its scope is the whole site) and its offline page.
    path("sw.js", views_pwa.service_worker, name="service_worker"),
    path("offline/", views_pwa.offline, name="offline"),
    path("csrf-token/", views_pwa.csrf_token, name="csrf_token"),
    path("search/<slug:kind>/", search.search_view, name="search"),
    path("admin/", admin.site.urls),
    path("", include("partnerships.urls")),
    path("", include("activities.urls")),
    path("assessments/", include("assessments.urls")),
    path("archive/", include("archive.urls")),
    path("", include("api.urls")),
]
# Uploaded files (agreement scans, evidence) are never served from MEDIA_URL: each goes through a view that checks
# the requester's scope first.
