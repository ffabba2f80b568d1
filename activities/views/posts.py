"""Party-member pioneer posts (党员先锋岗): set up and edited through ``activities.services.posts``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from activities.forms.projects import (
    PioneerPostForm,
)
from activities.models import KeyProject, PioneerPost
from activities.rules import is_secretary_anywhere, may_add_on_project, subtree_q
from activities.selectors import projects as selectors
from activities.services.posts import pioneer_post_create, pioneer_post_update
from activities.views.projects import int_param, project_queryset
from partnerships.models import Organization
from portal.forms import show_service_errors
from portal.scoping import ROLE_SECRETARY, ScopedViewMixin, get_scope


def _post_projects(user, current_id=None):
    projects = KeyProject.objects.visible_to(user)
    if current_id:
        projects = projects | KeyProject.objects.filter(pk=current_id)
    return projects.order_by("name", "pk")


def _post_redirect(pioneer_post: PioneerPost):
    if pioneer_post.project_id:
        return redirect(reverse("activities:project_detail", args=[pioneer_post.project_id]) + "#posts")
    return redirect(pioneer_post.organization)


class PostCreateView(ScopedViewMixin, FormView):
    """Set up a pioneer post for a member of a roster the user keeps (``?organization=`` and ``?project=`` narrow
    the choice)."""

    model = PioneerPost
    form_class = PioneerPostForm
    template_name = "activities/projects/post_form.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        self.project = None
        self.organization = None
        project_id, organization_id = int_param(request, "project"), int_param(request, "organization")
        if project_id is not None:
            self.project = get_object_or_404(project_queryset(user), pk=project_id)
        if not is_secretary_anywhere(user):
            raise PermissionDenied
        if organization_id is not None:
            self.organization = get_object_or_404(Organization.objects.all(), pk=organization_id)
            if not get_scope(user).is_superuser and organization_id not in get_scope(user).org_ids(ROLE_SECRETARY):
                raise PermissionDenied
        self.members = selectors.post_member_choices(user, self.organization)
        if self.project is not None:
            parties = selectors.party_organizations(self.project.agreement)
            if not may_add_on_project(user, parties):
                raise PermissionDenied
            self.members = self.members.filter(subtree_q(parties, "organization__path"))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["members"] = list(self.members)
        kwargs["projects"] = _post_projects(self.request.user)
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        initial["project"] = self.project.pk if self.project else None
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(project=self.project, organization=self.organization)
        return context

    def form_valid(self, form):
        try:
            pioneer_post = pioneer_post_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Pioneer post “%(post)s” set up.") % {"post": pioneer_post.post})
        return _post_redirect(pioneer_post)


class PostUpdateView(ScopedViewMixin, SingleObjectMixin, FormView):
    """Edit a pioneer post, or end it by giving the date it ends (its organization's secretary)."""

    model = PioneerPost
    scope_action = "edit"
    form_class = PioneerPostForm
    template_name = "activities/projects/post_form.html"
    context_object_name = "pioneer_post"

    def get_queryset(self):
        return PioneerPost.objects.visible_to(self.request.user).select_related("member__organization", "project")

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        members = list(selectors.post_member_choices(self.request.user))
        if self.object.member_id not in {member.pk for member in members}:
            members.insert(0, self.object.member)
        kwargs["members"] = members
        kwargs["projects"] = _post_projects(self.request.user, self.object.project_id)
        return kwargs

    def get_initial(self):
        return PioneerPostForm.initial_for(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(project=self.object.project, organization=self.object.organization)
        return context

    def form_valid(self, form):
        try:
            pioneer_post = pioneer_post_update(actor=self.request.user, pioneer_post=self.object, **form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Changes saved."))
        return _post_redirect(pioneer_post)


urlpatterns = [
    path("posts/new/", PostCreateView.as_view(), name="post_create"),
    path("posts/<int:pk>/edit/", PostUpdateView.as_view(), name="post_update"),
]
