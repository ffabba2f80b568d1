"""扫码签到: the organizer's check-in code pages (full-screen on a phone, printable on A4, a live count, regenerate)
for activities and joint meetings, and the public check-in page ``/c/<token>/`` that needs no account.

The meeting's pages live here, beside the activity's, because the public page serves both kinds of token and
activities may read partnerships (never the reverse). Organizer pages: who logs the activity / edits the meeting
(404 out of scope, 403 read-only). The public page: 404 for an unknown or replaced token, a friendly page outside the
window, 429 past the limits, and the same 签到成功 whether or not the name was on a roster.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView, View
from django_ratelimit.core import is_ratelimited

from activities.forms.checkins import CheckInForm
from activities.models import Activity, ActivityCheckIn
from activities.selectors import checkins as selectors
from activities.services import checkins as services
from partnerships.models import JointMeeting, MeetingCheckIn
from partnerships.rules import CHECKIN_RATE_PER_ADDRESS, CHECKIN_RATE_PER_EVENT
from partnerships.services import checkins as meeting_services
from partnerships.services.checkins import CheckInClosed
from portal.client_address import address_hash, client_address
from portal.qr import qr_svg
from portal.views.base import ScopedObjectMixin, ServiceActionView

# --- organizer pages --------------------------------------------------------------------------------------------


class _CodePage(ScopedObjectMixin, TemplateView):
    """A page about one event's check-in code, for who may manage it (GET needs the event editable)."""

    scope_action = "edit"
    kind = "activity"

    def get_queryset(self):
        if self.kind == "activity":
            return Activity.objects.visible_to(self.request.user).select_related("lead")
        return JointMeeting.objects.visible_to(self.request.user).select_related("host", "agreement")

    def event(self) -> selectors.CheckInEvent:
        if self.kind == "activity":
            return selectors.activity_event(self.object)
        return selectors.meeting_event(self.object)

    def code(self):
        if self.kind == "activity":
            return services.activity_checkin_code(actor=self.request.user, activity=self.object)
        return meeting_services.meeting_checkin_code(actor=self.request.user, meeting=self.object)

    def count(self) -> int:
        model = ActivityCheckIn if self.kind == "activity" else MeetingCheckIn
        return model.objects.filter(**{self.kind: self.object}).count()

    def url_name(self, what: str) -> str:
        return f"activities:{self.kind}_checkin_{what}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            kind=self.kind,
            event=self.event(),
            object=self.object,
            count=self.count(),
            count_url=reverse(self.url_name("count"), args=[self.object.pk]),
        )
        return context


class _QrPage(_CodePage):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        code = self.code()
        url = selectors.checkin_url(self.request, code.token)
        context.update(
            code=code,
            checkin_url=url,
            qr=qr_svg(url, title=str(gettext_lazy("Check-in code"))),
            print_url=reverse(self.url_name("print"), args=[self.object.pk]),
            code_url=reverse(self.url_name("code"), args=[self.object.pk]),
            regenerate_url=reverse(self.url_name("regenerate"), args=[self.object.pk]),
        )
        return context


class CheckInCodeView(_QrPage):
    """签到码: a big QR code with the event's title, the window and a live count, shown on the organizer's phone."""

    template_name = "activities/checkins/code.html"


class CheckInPrintView(_QrPage):
    """The check-in code on A4 paper, with how to use it."""

    template_name = "activities/checkins/print.html"


class CheckInCountView(_CodePage):
    """The live count on the code page (polled by htmx): a small fragment."""

    template_name = "activities/checkins/count.html"


class CheckInRegenerateView(ServiceActionView):
    """重新生成 (POST): a new token; the old code's URL is a 404 from now on."""

    http_method_names = ["post"]
    success_message = gettext_lazy("A new check-in code was made; the old one no longer works.")
    kind = "activity"

    def get_success_url(self) -> str:
        return reverse(f"activities:{self.kind}_checkin_code", args=[self.object.pk])

    get_error_url = get_success_url


class ActivityCheckInRegenerateView(CheckInRegenerateView):
    model = Activity
    service = services.activity_checkin_code_regenerate
    object_kwarg = "activity"


class MeetingCheckInRegenerateView(CheckInRegenerateView):
    model = JointMeeting
    service = meeting_services.meeting_checkin_code_regenerate
    object_kwarg = "meeting"
    kind = "meeting"


# --- the public page --------------------------------------------------------------------------------------------


def _limited(request, event: selectors.CheckInEvent) -> bool:
    """Count this attempt against the address and the event; True when either is over its limit."""
    address = client_address(request)
    by_address = is_ratelimited(
        request,
        group="checkin:address",
        key=lambda group, req: address_hash(address),
        rate=CHECKIN_RATE_PER_ADDRESS,
        increment=True,
    )
    by_event = is_ratelimited(
        request,
        group="checkin:event",
        key=lambda group, req: f"{event.kind}:{event.event.pk}",
        rate=CHECKIN_RATE_PER_EVENT,
        increment=True,
    )
    return by_address or by_event


def _state(event: selectors.CheckInEvent, now) -> str:
    if event.cancelled:
        return "cancelled"
    if now < event.opens:
        return "not_open"
    if now > event.closes:
        return "ended"
    return "open"


@method_decorator([login_not_required, never_cache], name="dispatch")
class CheckInView(View):
    """The page the QR code opens: a plain form (works in WeChat's browser), answered by the same 签到成功 for a
    roster member and a guest."""

    template_name = "activities/checkins/checkin.html"

    def dispatch(self, request, *args, **kwargs):
        self.event = selectors.checkin_event(kwargs["token"])
        if self.event is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, *, form=None, state="open", done=False, status=200, name=""):
        response = render(
            self.request,
            self.template_name,
            {"event": self.event, "form": form, "state": state, "done": done, "name": name},
            status=status,
        )
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def get(self, request, token):
        state = _state(self.event, timezone.now())
        return self.render_page(form=CheckInForm() if state == "open" else None, state=state)

    def post(self, request, token):
        if _limited(request, self.event):
            return self.render_page(state="limited", status=429)
        now = timezone.now()
        state = _state(self.event, now)
        if state != "open":
            return self.render_page(state=state)
        form = CheckInForm(request.POST)
        if not form.is_valid():
            return self.render_page(form=form)
        service = services.activity_check_in if self.event.kind == "activity" else meeting_services.meeting_check_in
        try:
            service(
                **{self.event.kind: self.event.event},
                name=form.cleaned_data["name"],
                last_four=form.cleaned_data["last_four"],
                unit=form.cleaned_data["unit"],
                address_hash=address_hash(client_address(request)),
                now=now,
            )
        except CheckInClosed as exc:
            return self.render_page(state=exc.code)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.render_page(form=form)
        return self.render_page(done=True, name=form.cleaned_data["name"])


urlpatterns = [
    path("c/<str:token>/", CheckInView.as_view(), name="checkin"),
    path("activities/<int:pk>/checkin/", CheckInCodeView.as_view(model=Activity), name="activity_checkin_code"),
    path("activities/<int:pk>/checkin/print/", CheckInPrintView.as_view(model=Activity), name="activity_checkin_print"),
    path("activities/<int:pk>/checkin/count/", CheckInCountView.as_view(model=Activity), name="activity_checkin_count"),
    path(
        "activities/<int:pk>/checkin/regenerate/",
        ActivityCheckInRegenerateView.as_view(),
        name="activity_checkin_regenerate",
    ),
    path(
        "meetings/<int:pk>/checkin/",
        CheckInCodeView.as_view(model=JointMeeting, kind="meeting"),
        name="meeting_checkin_code",
    ),
    path(
        "meetings/<int:pk>/checkin/print/",
        CheckInPrintView.as_view(model=JointMeeting, kind="meeting"),
        name="meeting_checkin_print",
    ),
    path(
        "meetings/<int:pk>/checkin/count/",
        CheckInCountView.as_view(model=JointMeeting, kind="meeting"),
        name="meeting_checkin_count",
    ),
    path(
        "meetings/<int:pk>/checkin/regenerate/",
        MeetingCheckInRegenerateView.as_view(),
        name="meeting_checkin_regenerate",
    ),
]
