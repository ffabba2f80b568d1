from assessments.views import dashboard, review, schemes

app_name = "assessments"

urlpatterns = [*dashboard.urlpatterns, *review.urlpatterns, *schemes.urlpatterns]
