"""The committee's big screen (大屏): a full-screen 1920×1080 page for the committee room that refreshes itself from
a JSON endpoint, opened by a signed-in reviewer of the committee or by a display link (read-only, revocable, no
sign-in); and the small page where reviewers make and revoke the committee's display links.

Thin: the data comes from ``assessments.selectors.screen`` (read with the scope of a reviewer of that committee, for
the signed-in reviewer as for the link), the writes from ``assessments.services.screen``. A display link that is
unknown or revoked is a 404 for the page, its JSON and its photos alike; the token URLs are rate-limited per address
and per link.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView, View
from django_ratelimit.core import is_ratelimited

from activities.photos import photo_response
from assessments import rules
from assessments.forms.screen import DisplayLinkForm, ScreenRefreshForm
from assessments.models import DisplayLink
from assessments.selectors import screen as selectors
from assessments.services import screen as services
from partnerships.models import Organization
from portal.client_address import address_hash, client_address
from portal.forms import show_service_errors
from portal.views.base import ServiceActionView

NEW_LINK_SESSION_KEY = "gj_display_link_new"


def _committee(request, pk: int) -> Organization:
    """The committee of a signed-in user's screen: 404 unless they are its reviewer (or an admin)."""
    committee = get_object_or_404(Organization.objects.all(), pk=pk)
    if not rules.may_open_screen(request.user, committee):
        raise Http404
    return committee


def _screen_context(request, committee: Organization, *, data_url: str, photo_url, links_url: str = "") -> dict:
    return {
        "committee": committee,
        "screen": selectors.screen_data(committee, photo_url=photo_url),
        "data_url": data_url,
        "refresh": ScreenRefreshForm(request.GET).seconds(),
        "links_url": links_url,
    }


def _json(data: dict) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


# --- signed in: a reviewer's own committee -------------------------------------------------------------------


class ScreenView(TemplateView):
    """The big screen of one committee the user reviews."""

    template_name = "assessments/screen/screen.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        committee = _committee(self.request, kwargs["pk"])
        context.update(
            _screen_context(
                self.request,
                committee,
                data_url=reverse("assessments:screen_data", args=[committee.pk]),
                photo_url=selectors.signed_in_photo_url,
                links_url=reverse("assessments:display_links", args=[committee.pk]),
            )
        )
        return context


class ScreenDataView(View):
    """The screen's data as JSON, polled by the page."""

    def get(self, request, pk):
        committee = _committee(request, pk)
        return _json(selectors.screen_data(committee, photo_url=selectors.signed_in_photo_url))


# --- a display link: no sign-in, one committee, read-only ----------------------------------------------------


def _too_many() -> HttpResponse:
    return HttpResponse(_("Too many requests; try again in a minute."), status=429, content_type="text/plain")


@method_decorator([login_not_required, never_cache], name="dispatch")
class DisplayMixin(View):
    """Finds the active link of the URL's token (404 otherwise) after counting the request against the address,
    then against the link; safe methods only."""

    http_method_names = ["get", "head"]

    def dispatch(self, request, *args, **kwargs):
        address = address_hash(client_address(request))
        if is_ratelimited(
            request,
            group="display:address",
            key=lambda group, req: address,
            rate=rules.DISPLAY_RATE_PER_ADDRESS,
            increment=True,
        ):
            return _too_many()
        self.link = selectors.display_link_lookup(kwargs["token"])
        if self.link is None:
            raise Http404
        if is_ratelimited(
            request,
            group="display:link",
            key=lambda group, req: str(self.link.pk),
            rate=rules.DISPLAY_RATE_PER_LINK,
            increment=True,
        ):
            return _too_many()
        response = super().dispatch(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def photo_url(self, pk: int) -> str:
        return reverse("assessments:display_photo", args=[self.kwargs["token"], pk])


class DisplayScreenView(DisplayMixin, TemplateView):
    """The big screen a display link opens."""

    template_name = "assessments/screen/screen.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        services.display_link_seen(link=self.link)
        context.update(
            _screen_context(
                self.request,
                self.link.committee,
                data_url=reverse("assessments:display_data", args=[kwargs["token"]]),
                photo_url=self.photo_url,
            )
        )
        return context


class DisplayDataView(DisplayMixin):
    def get(self, request, token):
        services.display_link_seen(link=self.link)
        return _json(selectors.screen_data(self.link.committee, photo_url=self.photo_url))


class DisplayPhotoView(DisplayMixin):
    """A photo of the link's wall (thumbnail size, ample at a fifth of the screen): 404 unless it is on an approved
    publicity item of the committee's subtree."""

    def get(self, request, token, pk):
        photo = selectors.wall_photo(self.link.committee, pk)
        if photo is None:
            raise Http404
        return photo_response(photo, thumbnail=True)


# --- managing the links ----------------------------------------------------------------------------------------


class DisplayLinkListView(FormView):
    """The committee's display links, a form to make one; a new link's address is shown once, on the page the
    creation leads to (only its digest is kept)."""

    template_name = "assessments/screen/display_links.html"
    form_class = DisplayLinkForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.committee = _committee(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            link, token = services.display_link_create(
                actor=self.request.user, committee=self.committee, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        url = self.request.build_absolute_uri(reverse("assessments:display_screen", args=[token]))
        self.request.session[NEW_LINK_SESSION_KEY] = {"pk": link.pk, "url": url}
        messages.success(self.request, _("Display link “%(name)s” created.") % {"name": link.name})
        return redirect("assessments:display_links", self.committee.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        new = self.request.session.pop(NEW_LINK_SESSION_KEY, None) if self.request.method == "GET" else None
        context.update(
            committee=self.committee,
            links=selectors.display_links(self.request.user, self.committee),
            new_link=new,
            screen_url=reverse("assessments:screen", args=[self.committee.pk]),
        )
        return context


class DisplayLinkRevokeView(ServiceActionView):
    model = DisplayLink
    service = services.display_link_revoke
    object_kwarg = "link"

    success_message = gettext_lazy("Display link “%(name)s” revoked: its screen no longer opens.")

    def get_success_url(self) -> str:
        return reverse("assessments:display_links", args=[self.object.committee_id])

    get_error_url = get_success_url


urlpatterns = [
    path("screen/<int:pk>/", ScreenView.as_view(), name="screen"),
    path("screen/<int:pk>/data.json", ScreenDataView.as_view(), name="screen_data"),
    path("screen/<int:pk>/links/", DisplayLinkListView.as_view(), name="display_links"),
    path("screen/links/<int:pk>/revoke/", DisplayLinkRevokeView.as_view(), name="display_link_revoke"),
    path("display/<str:token>/", DisplayScreenView.as_view(), name="display_screen"),
    path("display/<str:token>/data.json", DisplayDataView.as_view(), name="display_data"),
    path("display/<str:token>/photos/<int:pk>/", DisplayPhotoView.as_view(), name="display_photo"),
]
