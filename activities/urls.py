from activities.views import activities, business, calendar, photo_uploads, plans, posts, projects, teams, zones

app_name = "activities"

urlpatterns = [
    *plans.urlpatterns,
    *activities.urlpatterns,
    *photo_uploads.urlpatterns,
    *calendar.urlpatterns,
    *projects.urlpatterns,
    *business.urlpatterns,
    *zones.urlpatterns,
    *posts.urlpatterns,
    *teams.urlpatterns,
]
