from activities.views import activities, calendar, log, outbox, photo_uploads, plans, posts, projects, teams, zones

app_name = "activities"

urlpatterns = [
    *plans.urlpatterns,
    *activities.urlpatterns,
    *log.urlpatterns,
    *photo_uploads.urlpatterns,
    *outbox.urlpatterns,
    *calendar.urlpatterns,
    *projects.urlpatterns,
    *zones.urlpatterns,
    *posts.urlpatterns,
    *teams.urlpatterns,
]
