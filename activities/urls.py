from activities.views import activities, calendar, plans, posts, projects, teams, zones

app_name = "activities"

urlpatterns = [
    *plans.urlpatterns,
    *activities.urlpatterns,
    *calendar.urlpatterns,
    *projects.urlpatterns,
    *zones.urlpatterns,
    *posts.urlpatterns,
    *teams.urlpatterns,
]
