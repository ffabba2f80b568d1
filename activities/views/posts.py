"""Party-member pioneer posts (党员先锋岗): set up and edited through ``activities.services.posts``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy

from activities.forms.projects import (
    PioneerPostForm,
)
from activities.models import KeyProject, PioneerPost
from activities.rules import is_secretary_anywhere, may_add_on_project, subtree_q
from activities.selectors import projects as selectors
from activities.services.posts import pioneer_post_create, pioneer_post_update
from activities.views.projects import int_param, project_queryset
from partnerships.models import Organization
from portal.scoping import ROLE_SECRETARY, ScopedViewMixin, get_scope
from portal.views.base import ScopedObjectMixin, ServiceFormView


def _post_projects(user, current_id=None):
    projects = KeyProject.objects.visible_to(user)
    if current_id:
        projects = projects | KeyProject.objects.filter(pk=current_id)
    return projects.order_by("name", "pk")


def _post_url(pioneer_post: PioneerPost) -> str:
    if pioneer_post.project_id:
        return reverse("activities:project_detail", args=[pioneer_post.project_id]) + "#posts"
    return pioneer_post.organization.get_absolute_url()


class PostCreateView(ScopedViewMixin, ServiceFormView):
    """Set up a pioneer post for a member of a roster the user keeps (``?organization=`` and ``?project=`` narrow
    the choice)."""

    model = PioneerPost
    form_class = PioneerPostForm
    template_name = "activities/projects/post_form.html"
    service = pioneer_post_create
    success_message = gettext_lazy("Pioneer post “%(post)s” set up.")

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

    def get_success_url(self):
        return _post_url(self.result)


class PostUpdateView(ScopedObjectMixin, ServiceFormView):
    """Edit a pioneer post, or end it by giving the date it ends (its organization's secretary)."""

    model = PioneerPost
    scope_action = "edit"
    form_class = PioneerPostForm
    template_name = "activities/projects/post_form.html"
    context_object_name = "pioneer_post"
    service = pioneer_post_update
    success_message = gettext_lazy("Changes saved.")

    def get_queryset(self):
        return PioneerPost.objects.visible_to(self.request.user).select_related("member__organization", "project")

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

    def get_service_kwargs(self, form):
        return {"pioneer_post": self.object, **form.cleaned_data}

    def get_success_url(self):
        return _post_url(self.result)


urlpatterns = [
    path("posts/new/", PostCreateView.as_view(), name="post_create"),
    path("posts/<int:pk>/edit/", PostUpdateView.as_view(), name="post_update"),
]
