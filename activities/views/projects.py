"""Key projects (重点项目), red responsibility zones (红旗责任区) with their claims, checks and publicity boards
(公示牌), pioneer posts (党员先锋岗) and teams (突击队/先锋队).

Thin: querysets come from the scoped managers (out of scope → 404, visible but not editable → 403 on write) and the
selectors; every write goes through ``activities.services.projects``, whose errors are shown next to their fields.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, View
from django.views.generic.base import TemplateResponseMixin
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView

from activities.forms.projects import (
    KeyProjectFilter,
    KeyProjectForm,
    PioneerPostForm,
    TeamForm,
    ZoneCheckFixForm,
    ZoneCheckForm,
    ZoneForm,
    team_member_formset,
    zone_assignment_formset,
)
from activities.models import KeyProject, PioneerPost, ResponsibilityZone, Team, ZoneCheck, ZoneCheckPhoto
from activities.photos import photo_response
from activities.rules import is_secretary_anywhere, may_add_on_project, may_create_project, subtree_q
from activities.selectors import projects as selectors
from activities.services import projects as services
from partnerships.models import Agreement, Member, Organization
from portal.forms import show_service_errors
from portal.pagination import CheapCountPaginator
from portal.scoping import ROLE_SECRETARY, ScopedViewMixin, ensure_editable, get_scope


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit():
        raise Http404
    return int(value)


def _extra_rows(request, default: int) -> int:
    value = request.GET.get("extra", "")
    return int(value) if value.isdigit() else default


# --- key projects ---------------------------------------------------------------------------------------------------


class ProjectListView(ScopedViewMixin, FilterView):
    """The key projects the user may see: agreement, owner, zones, claiming members, open findings; search."""

    model = KeyProject
    filterset_class = KeyProjectFilter
    template_name = "activities/projects/project_list.html"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        return selectors.project_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = may_create_project(self.request.user)
        return context


class ProjectCreateView(ScopedViewMixin, FormView):
    """Record a key project under an agreement (``?agreement=<id>`` fixes it): a party's secretary, or an admin."""

    model = KeyProject
    form_class = KeyProjectForm
    template_name = "activities/projects/project_form.html"

    def dispatch(self, request, *args, **kwargs):
        agreement_id = _int_param(request, "agreement")
        self.agreement = None
        if agreement_id is not None:
            self.agreement = get_object_or_404(Agreement.objects.visible_to(request.user), pk=agreement_id)
        if not may_create_project(request.user, self.agreement):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["owners"] = selectors.project_owner_choices(self.request.user, self.agreement)
        kwargs["agreements"] = None if self.agreement else selectors.creatable_agreements(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agreement"] = self.agreement
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        agreement = data.pop("agreement", None) or self.agreement
        try:
            project = services.key_project_create(actor=self.request.user, agreement=agreement, **data)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Key project “%(name)s” recorded.") % {"name": project.name})
        return redirect(project)


def _project_queryset(user):
    return KeyProject.objects.visible_to(user).select_related("agreement", "owner")


class ProjectDetailView(ScopedViewMixin, DetailView):
    """A project: overview, zones with their members by party, open findings, posts and teams, change history."""

    model = KeyProject
    template_name = "activities/projects/project_detail.html"
    context_object_name = "project"

    def get_queryset(self):
        return _project_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.object
        context.update(selectors.project_detail(self.request.user, project))
        context["can_edit"] = self.can_edit(project)
        context["can_add_here"] = may_add_on_project(self.request.user, context["parties"])
        return context


class ProjectUpdateView(ScopedViewMixin, SingleObjectMixin, FormView):
    """Edit a project (its owner's secretary); the agreement stays."""

    model = KeyProject
    scope_action = "edit"
    form_class = KeyProjectForm
    template_name = "activities/projects/project_form.html"
    context_object_name = "project"

    def get_queryset(self):
        return _project_queryset(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        owners = selectors.project_owner_choices(self.request.user, self.object.agreement)
        kwargs["owners"] = Organization.objects.filter(
            pk__in=[*owners.values_list("pk", flat=True), self.object.owner_id]
        )
        kwargs["instance"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agreement"] = self.object.agreement
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        owner = data.pop("owner")
        try:
            project = services.key_project_update(actor=self.request.user, project=self.object, owner=owner, **data)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Changes saved."))
        return redirect(project)


# --- zones ----------------------------------------------------------------------------------------------------------


class ZoneCreateView(ScopedViewMixin, FormView):
    """Add a red responsibility zone to a project (the project owner's secretary)."""

    model = ResponsibilityZone
    form_class = ZoneForm
    template_name = "activities/projects/zone_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.project = get_object_or_404(_project_queryset(request.user), pk=kwargs["pk"])
        ensure_editable(request.user, self.project)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["project"] = self.project
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["project"] = self.project
        return context

    def form_valid(self, form):
        try:
            zone = services.zone_create(actor=self.request.user, project=self.project, **form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Zone “%(name)s” added; now let members claim it.") % {"name": zone.name})
        return redirect("activities:zone_members", zone.pk)


def _zone_queryset(user):
    return ResponsibilityZone.objects.visible_to(user).select_related("project__agreement", "project__owner", "lead")


class ZoneDetailView(ScopedViewMixin, DetailView):
    """A zone: area, dimensions, pledges, members by party with role and post, checks with photos and fixes."""

    model = ResponsibilityZone
    template_name = "activities/projects/zone_detail.html"
    context_object_name = "zone"

    def get_queryset(self):
        return _zone_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.zone_detail(self.object))
        context["can_edit"] = self.can_edit(self.object)
        return context


class ZoneUpdateView(ScopedViewMixin, SingleObjectMixin, FormView):
    """Edit a zone's name, area, dimensions, pledges, lead, supervision phone and order."""

    model = ResponsibilityZone
    scope_action = "edit"
    form_class = ZoneForm
    template_name = "activities/projects/zone_form.html"
    context_object_name = "zone"

    def get_queryset(self):
        return _zone_queryset(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        kwargs["project"] = self.object.project
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["project"] = self.object.project
        return context

    def form_valid(self, form):
        try:
            zone = services.zone_update(actor=self.request.user, zone=self.object, **form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Changes saved."))
        return redirect(zone)


class ZoneMembersView(ScopedViewMixin, SingleObjectMixin, TemplateResponseMixin, View):
    """The claim form: the zone's whole list of members (role 责任人/成员, post), replaced in one go.

    Members are offered from the rosters of the agreement's parties and their sub-organizations (names and
    organizations only). ``?extra=<n>`` shows more blank rows.
    """

    model = ResponsibilityZone
    scope_action = "edit"
    template_name = "activities/projects/zone_members.html"
    context_object_name = "zone"

    def get_queryset(self):
        return _zone_queryset(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def build(self):
        zone = self.object
        current = list(zone.assignments.select_related("member__organization").order_by("role", "pk"))
        members = selectors.zone_member_choices(zone.project, keep_ids=[row.member_id for row in current])
        FormSet = zone_assignment_formset(_extra_rows(self.request, 3 if current else 6))
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
            services.zone_set_members(actor=request.user, zone=self.object, assignments=formset.rows())
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
        return _zone_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.zone_board(self.object))
        return context


# --- zone checks ----------------------------------------------------------------------------------------------------


class ZoneCheckCreateView(ScopedViewMixin, FormView):
    """Record a check of a zone, with what was found and photos (the zone lead's or project owner's secretary)."""

    model = ZoneCheck
    form_class = ZoneCheckForm
    template_name = "activities/projects/check_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.zone = get_object_or_404(_zone_queryset(request.user), pk=kwargs["pk"])
        ensure_editable(request.user, self.zone)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(zone=self.zone, heading=_("Record a zone check"), submit_label=_("Save check"))
        return context

    def form_valid(self, form):
        try:
            services.zone_check_create(actor=self.request.user, zone=self.zone, **form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Check recorded."))
        return redirect(reverse("activities:zone_detail", args=[self.zone.pk]) + "#checks")


class ZoneCheckFixView(ScopedViewMixin, SingleObjectMixin, FormView):
    """Record the fix of an open finding: what was done, when, photos of the result."""

    model = ZoneCheck
    scope_action = "edit"
    form_class = ZoneCheckFixForm
    template_name = "activities/projects/check_form.html"
    context_object_name = "check"

    def get_queryset(self):
        return ZoneCheck.objects.visible_to(self.request.user).select_related("zone__project")

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.object.is_open:
            messages.info(request, _("Only an open finding can be fixed."))
            return redirect(self.object.zone)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(zone=self.object.zone, heading=_("Record the fix"), submit_label=_("Save fix"))
        return context

    def form_valid(self, form):
        try:
            services.zone_check_fix(actor=self.request.user, check=self.object, **form.cleaned_data)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Fix recorded."))
        return redirect(reverse("activities:zone_detail", args=[self.object.zone_id]) + "#checks")


class ZoneCheckPhotoView(View):
    """A check photo (or its thumbnail), for those who may see its zone; 404 for everyone else."""

    thumbnail = False

    def get(self, request, pk):
        photo = get_object_or_404(ZoneCheckPhoto.objects.visible_to(request.user), pk=pk)
        return photo_response(photo, thumbnail=self.thumbnail)


# --- pioneer posts --------------------------------------------------------------------------------------------------


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
        project_id, organization_id = _int_param(request, "project"), _int_param(request, "organization")
        if project_id is not None:
            self.project = get_object_or_404(_project_queryset(user), pk=project_id)
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
            pioneer_post = services.pioneer_post_create(actor=self.request.user, **form.cleaned_data)
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
            pioneer_post = services.pioneer_post_update(
                actor=self.request.user, pioneer_post=self.object, **form.cleaned_data
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Changes saved."))
        return _post_redirect(pioneer_post)


# --- teams ----------------------------------------------------------------------------------------------------------


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
        FormSet = team_member_formset(_extra_rows(self.request, 3 if rows else 5))
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
        project_id = _int_param(request, "project")
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
        return services.team_create(actor=self.request.user, members=members, **data)


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


class TeamUpdateView(ScopedViewMixin, SingleObjectMixin, _TeamFormView):
    """Edit a team and its members (its lead organization's secretary)."""

    model = Team
    scope_action = "edit"

    def get_queryset(self):
        return Team.objects.visible_to(self.request.user).select_related("organization", "project__agreement")

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        project_id = _int_param(request, "project")
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
        return super().dispatch(request, *args, **kwargs)

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
        return services.team_update(actor=self.request.user, team=self.object, members=members, **data)


urlpatterns = [
    path("projects/", ProjectListView.as_view(), name="project_list"),
    path("projects/new/", ProjectCreateView.as_view(), name="project_create"),
    path("projects/<int:pk>/", ProjectDetailView.as_view(), name="project_detail"),
    path("projects/<int:pk>/edit/", ProjectUpdateView.as_view(), name="project_update"),
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
    path("posts/new/", PostCreateView.as_view(), name="post_create"),
    path("posts/<int:pk>/edit/", PostUpdateView.as_view(), name="post_update"),
    path("teams/new/", TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/", TeamDetailView.as_view(), name="team_detail"),
    path("teams/<int:pk>/edit/", TeamUpdateView.as_view(), name="team_update"),
]
