from activities.views import (
    activities,
    bookings,
    business,
    calendar,
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
    *photo_uploads.urlpatterns,
    *calendar.urlpatterns,
    *projects.urlpatterns,
    *business.urlpatterns,
    *zones.urlpatterns,
    *posts.urlpatterns,
    *teams.urlpatterns,
    *publicity.urlpatterns,
]
