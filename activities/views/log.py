"""The quick log (记录活动) of one activity, on a phone: summary, headcounts, participants by 党小组, photos uploaded
as they are picked (publicity is a separate item afterwards) — and the same form answering in JSON to the script that sends it (the log form, or
an offline draft synced from 待同步: static/js/offline.js).

Thin: the form checks the input, ``activities.services.activities.activity_log`` writes; a ``client_key`` already
applied is answered as applied (the service decides a race between two sends of one draft).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.forms.activities import ActivityLogForm
from activities.rules import has_started
from activities.selectors import activities as selectors
from activities.selectors import checkins as checkin_selectors
from activities.services import activities as services
from activities.views.activities import _ActivityFormView
from activities.views.photo_uploads import own_pending
from partnerships.models import Organization
from portal.forms import show_service_errors


class ActivityLogView(_ActivityFormView):
    """The quick log (记录活动), built for a phone: summary, headcounts, participants, photos.

    A POST asking for JSON (``Accept: application/json``: the log form sent by script, or an offline draft synced
    from the 待同步 list) goes through the same form and service and is answered in JSON: 200 with the activity's
    URL (``replayed`` when its ``client_key`` was already applied), 400 with the field errors, 403/404/409 with the
    reason the user may no longer log this activity."""

    form_class = ActivityLogForm
    template_name = "activities/activities/log_form.html"
    success_message = gettext_lazy("Activity logged.")
    service = services.activity_log

    def wants_json(self) -> bool:
        return self.request.method == "POST" and "application/json" in self.request.headers.get("Accept", "")

    def dispatch(self, request, *args, **kwargs):
        if not self.wants_json():
            return super().dispatch(request, *args, **kwargs)
        try:
            return super().dispatch(request, *args, **kwargs)
        except Http404:
            return self.json_gone(status=404)
        except PermissionDenied:
            return self.json_gone(status=403)

    def json_gone(self, *, status: int, reason: str = ""):
        message = _("This activity can no longer be logged by you (it was reassigned or cancelled).")
        return JsonResponse({"gone": f"{message} {reason}".strip()}, status=status)

    def refuse(self):
        if self.wants_json():
            refusal = self.refusal()
            return self.json_gone(status=409, reason=refusal) if refusal else None
        return super().refuse()

    def post(self, request, *args, **kwargs):
        # A draft sent again after it was applied (the answer was lost on the way back) is answered as applied
        # before its form is checked: its uploaded photos are the activity's by now.
        if self.already_applied():
            return self.replayed()
        return super().post(request, *args, **kwargs)

    def already_applied(self) -> bool:
        key = self.request.POST.get("client_key")
        return bool(key) and selectors.log_key_applied(self.request.user, self.object, key)

    def replayed(self):
        message = _("This log had already been saved.")
        if self.wants_json():
            messages.info(self.request, message)
            return JsonResponse({"ok": True, "replayed": True, "url": self.object.get_absolute_url()})
        return self.turn_away(message)

    def form_valid(self, form):
        if not self.wants_json():
            response = super().form_valid(form)
            if getattr(self.result, "log_replayed", False):
                messages.info(self.request, _("This log had already been saved."))
            return response
        try:
            self.result = self.perform(form)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        replayed = self.result.log_replayed
        messages.success(self.request, _("This log had already been saved.") if replayed else self.success_message)
        return JsonResponse({"ok": True, "replayed": replayed, "url": self.object.get_absolute_url()})

    def form_invalid(self, form):
        if self.already_applied():
            return self.replayed()  # the same draft, applied by a request that ran alongside this one
        if not self.wants_json():
            return super().form_invalid(form)
        errors = [
            {
                "field": name,
                "label": str(form.fields[name].label or "") if name in form.fields else "",
                "messages": [str(message) for message in messages_],
            }
            for name, messages_ in form.errors.items()
        ]
        return JsonResponse({"errors": errors}, status=400)

    def refusal(self):
        refusal = super().refusal()
        if refusal is None and not has_started(self.object):
            refusal = _("An activity can be logged once it has started.")
        return refusal

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        activity = self.object
        org_ids = selectors.participating_ids(activity)
        organizations = {org.pk: org for org in Organization.objects.filter(pk__in=org_ids)}
        chosen = list(activity.participants.values_list("pk", flat=True))
        groups = selectors.participant_groups(org_ids)
        kwargs.update(
            organizations=[organizations[pk] for pk in org_ids],
            members=selectors.participant_choices(org_ids, chosen, groups),
            groups=groups,
            photos=activity.photos.order_by("pk"),
            pending=own_pending(self.request.user),
        )
        return kwargs

    def get_initial(self):
        activity = self.object
        initial = {
            "summary": activity.summary,
            "outcomes": activity.outcomes,
            "participants": list(activity.participants.values_list("pk", flat=True)),
        }
        for participation in activity.participations.all():
            initial[ActivityLogForm.headcount_field(participation.organization_id)] = participation.headcount
        # 扫码签到: the checked-in members start ticked and the headcounts at least the check-ins (the secretary
        # still confirms the log); a re-log keeps what was logged and adds whoever checked in since.
        members, counts, self.checked_in = checkin_selectors.log_suggestion(
            activity, checkin_selectors.participating_ids(activity)
        )
        if members:
            initial["participants"] = [
                *initial["participants"],
                *(m for m in members if m not in initial["participants"]),
            ]
        for org_id, count in counts.items():
            field = ActivityLogForm.headcount_field(org_id)
            initial[field] = max(initial.get(field) or 0, count)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["photos"] = list(self.object.photos.order_by("pk"))
        context["checked_in"] = getattr(self, "checked_in", 0)
        context["sections"], context["other_participants"] = form.participant_sections()
        # Photos uploaded as they were picked survive an invalid post: shown again, with their ids still in the form.
        posted = [value for value in form["pending_photos"].value() or () if str(value).isdigit()]
        context["pending_photos"] = list(own_pending(self.request.user).filter(pk__in=posted)) if posted else []
        return context

    def get_service_kwargs(self, form):
        return {"activity": self.object, **form.service_kwargs()}


urlpatterns = [
    path("activities/<int:pk>/log/", ActivityLogView.as_view(), name="activity_log"),
]
