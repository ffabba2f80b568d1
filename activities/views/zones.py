"""Red responsibility zones (红旗责任区): the zone, its claims, its publicity board (公示牌) and its checks.

Thin: every write goes through ``activities.services.zones``, whose errors are shown next to their fields.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, View
from django.views.generic.base import TemplateResponseMixin

from activities.forms.projects import (
    ZoneCheckFixForm,
    ZoneCheckForm,
    ZoneForm,
    zone_assignment_formset,
)
from activities.models import ResponsibilityZone, ZoneCheck, ZoneCheckPhoto
from activities.photos import photo_response
from activities.selectors import projects as selectors
from activities.services.zones import zone_check_create, zone_check_fix, zone_create, zone_set_members, zone_update
from activities.views.projects import extra_rows, project_queryset
from portal.scoping import ScopedViewMixin
from portal.views.base import ParentObjectMixin, ScopedObjectMixin, ServiceFormView


class ZoneCreateView(ScopedViewMixin, ParentObjectMixin, ServiceFormView):
    """Add a red responsibility zone to a project (the project owner's secretary)."""

    model = ResponsibilityZone
    parent_queryset = project_queryset
    parent_context_name = "project"
    form_class = ZoneForm
    template_name = "activities/projects/zone_form.html"
    service = zone_create
    success_message = gettext_lazy("Zone “%(name)s” added; now let members claim it.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["project"] = self.parent
        return kwargs

    def get_service_kwargs(self, form):
        return {"project": self.parent, **form.cleaned_data}

    def get_success_url(self):
        return reverse("activities:zone_members", args=[self.result.pk])


def zone_queryset(user):
    return ResponsibilityZone.objects.visible_to(user).select_related("project__agreement", "project__owner", "lead")


class ZoneDetailView(ScopedViewMixin, DetailView):
    """A zone: area, dimensions, pledges, members by party with role and post, checks with photos and fixes."""

    model = ResponsibilityZone
    template_name = "activities/projects/zone_detail.html"
    context_object_name = "zone"

    def get_queryset(self):
        return zone_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.zone_detail(self.object))
        context["can_edit"] = self.can_edit(self.object)
        return context


class ZoneUpdateView(ScopedObjectMixin, ServiceFormView):
    """Edit a zone's name, area, dimensions, pledges, lead, supervision phone and order."""

    model = ResponsibilityZone
    scope_action = "edit"
    form_class = ZoneForm
    template_name = "activities/projects/zone_form.html"
    context_object_name = "zone"
    service = zone_update
    success_message = gettext_lazy("Changes saved.")

    def get_queryset(self):
        return zone_queryset(self.request.user)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        kwargs["project"] = self.object.project
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["project"] = self.object.project
        return context

    def get_service_kwargs(self, form):
        return {"zone": self.object, **form.cleaned_data}


class ZoneMembersView(ScopedObjectMixin, TemplateResponseMixin, View):
    """The claim form: the zone's whole list of members (role 责任人/成员, post), replaced in one go.

    Members are offered from the rosters of the agreement's parties and their sub-organizations (names and
    organizations only). ``?extra=<n>`` shows more blank rows.
    """

    model = ResponsibilityZone
    scope_action = "edit"
    template_name = "activities/projects/zone_members.html"
    context_object_name = "zone"

    def get_queryset(self):
        return zone_queryset(self.request.user)

    def build(self):
        zone = self.object
        current = list(zone.assignments.select_related("member__organization").order_by("role", "pk"))
        members = selectors.zone_member_choices(zone.project, keep_ids=[row.member_id for row in current])
        FormSet = zone_assignment_formset(extra_rows(self.request, 3 if current else 6))
        initial = [{"member": row.member_id, "role": row.role, "post": row.post} for row in current]
        data = self.request.POST if self.request.method == "POST" else None
        return FormSet(data, initial=initial, prefix="claims", project=zone.project, form_kwargs={"members": members})

    def render(self, formset):
        return self.render_to_response(
            {"zone": self.object, "project": self.object.project, "formset": formset, "object": self.object}
        )

    def get(self, request, *args, **kwargs):
        return self.render(self.build())

    def post(self, request, *args, **kwargs):
        formset = self.build()
        if not formset.is_valid():
            return self.render(formset)
        try:
            zone_set_members(actor=request.user, zone=self.object, assignments=formset.rows())
        except ValidationError as exc:
            formset.add_general_errors(exc.messages)
            return self.render(formset)
        messages.success(request, _("The zone's members are saved."))
        return redirect(self.object)


class ZoneBoardView(ScopedViewMixin, DetailView):
    """The printable publicity board (公示牌) of a zone: one A4 landscape page."""

    model = ResponsibilityZone
    template_name = "activities/projects/zone_board.html"
    context_object_name = "zone"

    def get_queryset(self):
        return zone_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.zone_board(self.object))
        return context


class ZoneCheckCreateView(ScopedViewMixin, ParentObjectMixin, ServiceFormView):
    """Record a check of a zone, with what was found and photos (the zone lead's or project owner's secretary)."""

    model = ZoneCheck
    parent_queryset = zone_queryset
    parent_context_name = "zone"
    form_class = ZoneCheckForm
    template_name = "activities/projects/check_form.html"
    service = zone_check_create
    success_message = gettext_lazy("Check recorded.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(heading=_("Record a zone check"), submit_label=_("Save check"))
        return context

    def get_service_kwargs(self, form):
        return {"zone": self.parent, **form.cleaned_data}

    def get_success_url(self):
        return reverse("activities:zone_detail", args=[self.parent.pk]) + "#checks"


class ZoneCheckFixView(ScopedObjectMixin, ServiceFormView):
    """Record the fix of an open finding: what was done, when, photos of the result."""

    model = ZoneCheck
    scope_action = "edit"
    form_class = ZoneCheckFixForm
    template_name = "activities/projects/check_form.html"
    context_object_name = "check"
    service = zone_check_fix
    success_message = gettext_lazy("Fix recorded.")

    def get_queryset(self):
        return ZoneCheck.objects.visible_to(self.request.user).select_related("zone__project")

    def refuse(self):
        return (
            None
            if self.object.is_open
            else self.turn_away(_("Only an open finding can be fixed."), to=self.object.zone)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(zone=self.object.zone, heading=_("Record the fix"), submit_label=_("Save fix"))
        return context

    def get_service_kwargs(self, form):
        return {"check": self.object, **form.cleaned_data}

    def get_success_url(self):
        return reverse("activities:zone_detail", args=[self.object.zone_id]) + "#checks"


class ZoneCheckPhotoView(View):
    """A check photo (or its thumbnail), for those who may see its zone; 404 for everyone else."""

    thumbnail = False

    def get(self, request, pk):
        photo = get_object_or_404(ZoneCheckPhoto.objects.visible_to(request.user), pk=pk)
        return photo_response(photo, thumbnail=self.thumbnail)


urlpatterns = [
    path("projects/<int:pk>/zones/new/", ZoneCreateView.as_view(), name="zone_create"),
    path("zones/<int:pk>/", ZoneDetailView.as_view(), name="zone_detail"),
    path("zones/<int:pk>/edit/", ZoneUpdateView.as_view(), name="zone_update"),
    path("zones/<int:pk>/members/", ZoneMembersView.as_view(), name="zone_members"),
    path("zones/<int:pk>/board/", ZoneBoardView.as_view(), name="zone_board"),
    path("zones/<int:pk>/checks/new/", ZoneCheckCreateView.as_view(), name="zone_check_create"),
    path("zone-checks/<int:pk>/fix/", ZoneCheckFixView.as_view(), name="zone_check_fix"),
    path("zone-check-photos/<int:pk>/", ZoneCheckPhotoView.as_view(), name="zone_check_photo"),
    path(
        "zone-check-photos/<int:pk>/thumb/", ZoneCheckPhotoView.as_view(thumbnail=True), name="zone_check_photo_thumb"
    ),
]
