from activities.views import activities, calendar, plans, projects

app_name = "activities"

urlpatterns = [*plans.urlpatterns, *activities.urlpatterns, *calendar.urlpatterns, *projects.urlpatterns]
