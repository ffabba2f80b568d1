from activities.views import activities, calendar, checkins, photo_uploads, plans, posts, projects, teams, zones

app_name = "activities"

urlpatterns = [
    *plans.urlpatterns,
    *activities.urlpatterns,
    *photo_uploads.urlpatterns,
    *calendar.urlpatterns,
    *projects.urlpatterns,
    *zones.urlpatterns,
    *posts.urlpatterns,
    *teams.urlpatterns,
    *checkins.urlpatterns,
]
