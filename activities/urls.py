from activities.views import activities, calendar, photo_uploads, plans, posts, projects, publicity, teams, zones

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
    *publicity.urlpatterns,
]
