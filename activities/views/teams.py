"""Teams (突击队/先锋队) and their members: written through ``activities.services.teams``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import DetailView, View
from django.views.generic.base import TemplateResponseMixin

from activities.forms.projects import (
    TeamForm,
    team_member_formset,
)
from activities.models import KeyProject, Team
from activities.rules import is_secretary_anywhere, may_add_on_project
from activities.selectors import projects as selectors
from activities.services.teams import team_create, team_update
from activities.views.projects import extra_rows, int_param
from partnerships.models import Member, Organization
from portal.forms import show_service_errors
from portal.scoping import ScopedViewMixin, get_scope
from portal.views.base import ScopedObjectMixin


class _TeamFormView(TemplateResponseMixin, View):
    """Team form plus members formset. Who may be offered depends on the project: the posted one, else
    ``?project=``, else the team's own; the service checks the final choice again."""

    template_name = "activities/projects/team_form.html"
    object = None

    def pool_project(self) -> KeyProject | None:
        raw = self.request.POST.get("project") if self.request.method == "POST" else None
        if raw is None:
            return self.project
        if raw.isdigit():
            return self.projects.filter(pk=raw).select_related("agreement").first()
        return None

    def member_choices(self) -> list[Member]:
        project = self.pool_project()
        if project is not None:
            pool = selectors.team_member_pool(None, project)
        elif get_scope(self.request.user).is_superuser:
            pool = Member.objects.all()
        else:
            pool = selectors.roster_pool(list(self.organizations))
        keep = [row.member_id for row in self.object.memberships.all()] if self.object else []
        return list(
            pool.filter(~Q(status=Member.Status.TRANSFERRED_OUT) | Q(pk__in=keep))
            .select_related("organization")
            .order_by("organization__path", "name", "pk")
        )

    def build(self):
        bound = self.request.method == "POST"
        form = TeamForm(
            self.request.POST if bound else None,
            initial=self.initial(),
            organizations=self.organizations,
            projects=self.projects,
        )
        rows = self.member_initial()
        FormSet = team_member_formset(extra_rows(self.request, 3 if rows else 5))
        formset = FormSet(
            self.request.POST if bound else None,
            initial=rows,
            prefix="members",
            form_kwargs={"members": self.member_choices()},
        )
        return form, formset

    def render(self, form, formset):
        return self.render_to_response(
            {"form": form, "formset": formset, "team": self.object, "project": self.pool_project()}
        )

    def get(self, request, *args, **kwargs):
        return self.render(*self.build())

    def post(self, request, *args, **kwargs):
        form, formset = self.build()
        if not (form.is_valid() and formset.is_valid()):
            return self.render(form, formset)
        data = dict(form.cleaned_data)
        if not formset.check(data["organization"], data.get("project")):
            return self.render(form, formset)
        try:
            team = self.save(data, formset.rows())
        except ValidationError as exc:
            show_service_errors(form, exc, formset)
            return self.render(form, formset)
        messages.success(request, _("Team “%(name)s” saved.") % {"name": team.name})
        return redirect(team)


class TeamCreateView(ScopedViewMixin, _TeamFormView):
    """Form a commando or vanguard team led by an organization where the user is secretary (``?project=<id>``)."""

    model = Team

    def dispatch(self, request, *args, **kwargs):
        project_id = int_param(request, "project")
        self.projects = KeyProject.objects.visible_to(request.user).order_by("name", "pk")
        self.project = None
        if project_id is not None:
            self.project = get_object_or_404(self.projects.select_related("agreement"), pk=project_id)
        if not is_secretary_anywhere(request.user):
            raise PermissionDenied
        if self.project is not None and not may_add_on_project(
            request.user, selectors.party_organizations(self.project.agreement)
        ):
            raise PermissionDenied
        self.organizations = selectors.team_organization_choices(request.user).order_by("path")
        return super().dispatch(request, *args, **kwargs)

    def initial(self) -> dict:
        initial = {"project": self.project.pk if self.project else None}
        if len(self.organizations) == 1:
            initial["organization"] = self.organizations[0].pk
        return initial

    def member_initial(self) -> list[dict]:
        return []

    def save(self, data, members):
        return team_create(actor=self.request.user, members=members, **data)


class TeamDetailView(ScopedViewMixin, DetailView):
    """A team: kind, purpose, lead organization, project, period, members by party with their roles."""

    model = Team
    template_name = "activities/projects/team_detail.html"
    context_object_name = "team"

    def get_queryset(self):
        return Team.objects.visible_to(self.request.user).select_related("organization", "project__agreement")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.team_detail(self.object))
        context["can_edit"] = self.can_edit(self.object)
        return context


class TeamUpdateView(ScopedObjectMixin, _TeamFormView):
    """Edit a team and its members (its lead organization's secretary)."""

    model = Team
    scope_action = "edit"

    def get_queryset(self):
        return Team.objects.visible_to(self.request.user).select_related("organization", "project__agreement")

    def load_object(self):
        super().load_object()
        request = self.request
        project_id = int_param(request, "project")
        self.projects = KeyProject.objects.visible_to(request.user).order_by("name", "pk")
        if self.object.project_id:
            self.projects = (self.projects | KeyProject.objects.filter(pk=self.object.project_id)).order_by(
                "name", "pk"
            )
        self.project = self.object.project
        if project_id is not None:
            self.project = get_object_or_404(self.projects.select_related("agreement"), pk=project_id)
        self.organizations = (
            selectors.team_organization_choices(request.user)
            | Organization.objects.filter(pk=self.object.organization_id)
        ).order_by("path")

    def initial(self) -> dict:
        initial = TeamForm.initial_for(self.object)
        if self.project is not None:
            initial["project"] = self.project.pk
        return initial

    def member_initial(self) -> list[dict]:
        return [
            {"member": row.member_id, "role": row.role}
            for row in self.object.memberships.select_related("member").order_by("role", "pk")
        ]

    def save(self, data, members):
        return team_update(actor=self.request.user, team=self.object, members=members, **data)


urlpatterns = [
    path("teams/new/", TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/", TeamDetailView.as_view(), name="team_detail"),
    path("teams/<int:pk>/edit/", TeamUpdateView.as_view(), name="team_update"),
]
