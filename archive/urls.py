from django.urls import path

from archive import views

app_name = "archive"

urlpatterns = [
    path("organizations/<int:pk>/", views.OrganizationArchiveView.as_view(), name="organization"),
    path("agreements/<int:pk>/", views.AgreementArchiveView.as_view(), name="agreement"),
]
