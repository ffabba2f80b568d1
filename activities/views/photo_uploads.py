"""Photos uploaded from the log form as soon as they are picked (fetch, JSON), and their thumbnails for the uploader.

The form then carries the pending photos' ids, so a validation error does not lose them
(``activities.services.photo_uploads``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from django.views.generic import View

from activities.models import PendingPhoto
from activities.photos import photo_response
from activities.rules import may_create_activities
from activities.services.photo_uploads import pending_photo_create


def own_pending(user):
    """The user's own pending photos: nobody else's are ever shown or accepted."""
    return PendingPhoto.objects.filter(uploaded_by_id=user.pk).order_by("pk")


@method_decorator(require_POST, name="dispatch")
class PendingPhotoUploadView(View):
    """Upload one photo as soon as it is picked on the log form (fetch, JSON answer): checked like any photo, kept
    for its uploader until the log is saved. Only those who may log activities upload (403 otherwise)."""

    def post(self, request):
        if not may_create_activities(request.user):
            raise PermissionDenied
        try:
            photo = pending_photo_create(actor=request.user, upload=request.FILES.get("photo"))
        except ValidationError as exc:
            errors = exc.message_dict.get("photos") if hasattr(exc, "error_dict") else exc.messages
            return JsonResponse({"errors": [str(error) for error in errors]}, status=400)
        return JsonResponse(
            {
                "id": photo.pk,
                "name": photo.original_name,
                "thumbnail": reverse("activities:pending_photo_thumb", args=[photo.pk]),
            },
            status=201,
        )


class PendingPhotoThumbView(View):
    """A pending photo's thumbnail, for its uploader only (404 for everyone else)."""

    def get(self, request, pk):
        photo = get_object_or_404(own_pending(request.user), pk=pk)
        return photo_response(photo, thumbnail=True)


urlpatterns = [
    path("activity-photos/upload/", PendingPhotoUploadView.as_view(), name="pending_photo_upload"),
    path("activity-photos/pending/<int:pk>/thumb/", PendingPhotoThumbView.as_view(), name="pending_photo_thumb"),
]
