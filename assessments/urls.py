from assessments.views import dashboard, review, review_queue, schemes, screen

app_name = "assessments"

urlpatterns = [
    *dashboard.urlpatterns,
    *review.urlpatterns,
    *review_queue.urlpatterns,
    *schemes.urlpatterns,
    *screen.urlpatterns,
]
