"""The activity calendar (活动日历), its JSON event feed, and the personal iCal feed with its token management.

Thin: every read comes from ``activities.selectors.calendar`` (which scopes through ``Activity.objects.visible_to``),
every write from ``activities.services.calendar``.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import TemplateView, View

from activities.forms.calendar import CalendarEventsForm, CalendarFilterForm
from activities.selectors import calendar as selectors
from activities.selectors import meeting_events
from activities.services import calendar as services

ZH_LOCALE_ASSET = "vendor/fullcalendar/locales/zh-cn.min.js"
EVENTS_LIMIT_HEADER = "X-Events-Limit"
EVENTS_TRUNCATED_HEADER = "X-Events-Truncated"


@cache
def _has_zh_locale() -> bool:
    # scripts/copy_assets.py treats FullCalendar's Chinese locale as optional; a missing file must not break the page.
    return bool(finders.find(ZH_LOCALE_ASSET))


class CalendarView(TemplateView):
    """活动日历: month, week and list views of what the user may see, coloured by type, filtered, events from JSON."""

    template_name = "activities/calendar/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = CalendarFilterForm(self.request.GET or None, user=user)
        if form.is_bound:
            form.is_valid()  # shows a stale or foreign id next to its select instead of silently ignoring it
        context["form"] = form
        context["types"] = list(selectors.calendar_types())
        chinese = (get_language() or "").lower().startswith("zh")
        context["fc_locale"] = "zh-cn" if chinese and _has_zh_locale() else "en"
        context["fc_locale_asset"] = ZH_LOCALE_ASSET
        context["cancelled_color"] = selectors.CANCELLED_COLOR
        context["meeting_color"] = meeting_events.MEETING_COLOR
        context["meeting_label"] = meeting_events.meeting_label()
        # Times are shown in the project's zone (Asia/Shanghai) whatever the browser's (static/js/calendar.js).
        context["time_zone"] = settings.TIME_ZONE
        context["max_events"] = selectors.MAX_EVENTS
        context["feed_window"] = selectors.feed_window_text()
        return context


class CalendarEventsView(View):
    """FullCalendar's JSON feed: visible activities overlapping ``start``–``end`` (≤ 100 days), filtered.

    Bad or missing parameters get a 400 with the messages, as JSON, so the page can show them.
    """

    def get(self, request):
        form = CalendarEventsForm(request.GET, user=request.user)
        if not form.is_valid():
            errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
            first = next(iter(errors.values()))[0]
            return JsonResponse(
                {"error": first, "errors": errors}, status=400, json_dumps_params={"ensure_ascii": False}
            )
        events, truncated = selectors.calendar_events(request.user, **form.cleaned_data)
        # ensure_ascii off: titles stay readable (and searchable) in the response, which is UTF-8 anyway.
        response = JsonResponse(events, safe=False, json_dumps_params={"ensure_ascii": False})
        # FullCalendar wants a plain array: the cap travels in headers, which static/js/calendar.js reads.
        response[EVENTS_LIMIT_HEADER] = str(selectors.MAX_EVENTS)
        response[EVENTS_TRUNCATED_HEADER] = "1" if truncated else "0"
        return response


def _feed_not_found() -> HttpResponse:
    # The same bare answer for an unknown, revoked or deactivated user's token: nothing tells them apart.
    return HttpResponseNotFound("Not found.\n", content_type="text/plain; charset=utf-8")


@login_not_required
@require_safe
@never_cache
def ical_feed(request, token: str):
    """The personal iCal feed: the token in the URL names the user; their scope applies exactly as on the site."""
    found = selectors.calendar_token_lookup(token)
    if found is None:
        return _feed_not_found()
    services.calendar_token_touch(token=found)
    rows, truncated = selectors.feed_activities(found.user)
    meeting_rows, meetings_truncated = selectors.feed_meetings(found.user)
    body = selectors.ical_text(
        found.user,
        rows,
        absolute_url=request.build_absolute_uri,
        truncated=truncated or meetings_truncated,
        meeting_rows=meeting_rows,
    )
    response = HttpResponse(body.encode(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="gongjian.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_POST
def ical_token_regenerate(request):
    """Create the user's feed address, or replace it (the old one stops working); back to the profile page."""
    had_token = selectors.calendar_token_for(request.user) is not None
    services.calendar_token_regenerate(actor=request.user)
    if had_token:
        messages.success(request, _("A new calendar address was created; the old one no longer works."))
    else:
        messages.success(request, _("Your calendar address was created; add it to your calendar app."))
    return redirect("profile")


@require_POST
def ical_token_revoke(request):
    """Delete the user's feed address; calendar apps subscribed to it get nothing from now on."""
    if services.calendar_token_revoke(actor=request.user):
        messages.success(request, _("The calendar address was revoked."))
    else:
        messages.info(request, _("You had no calendar address."))
    return redirect("profile")


urlpatterns = [
    path("calendar/", CalendarView.as_view(), name="calendar"),
    path("calendar/events.json", CalendarEventsView.as_view(), name="calendar_events"),
    path("calendar/feed/regenerate/", ical_token_regenerate, name="ical_token_regenerate"),
    path("calendar/feed/revoke/", ical_token_revoke, name="ical_token_revoke"),
    path("calendar/feed/<str:token>.ics", ical_feed, name="ical_feed"),
]
