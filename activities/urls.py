from activities.views import (
    activities,
    bookings,
    business,
    calendar,
    checkins,
    log,
    outbox,
    photo_uploads,
    plans,
    posts,
    projects,
    publicity,
    teams,
    zones,
)

app_name = "activities"

urlpatterns = [
    *plans.urlpatterns,
    *activities.urlpatterns,
    *bookings.urlpatterns,
    *log.urlpatterns,
    *photo_uploads.urlpatterns,
    *outbox.urlpatterns,
    *calendar.urlpatterns,
    *projects.urlpatterns,
    *business.urlpatterns,
    *zones.urlpatterns,
    *posts.urlpatterns,
    *teams.urlpatterns,
    *publicity.urlpatterns,
    *checkins.urlpatterns,
]
