"""Directory and roster pages. Thin: querysets come from the scoped managers, writes from services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, TemplateView, UpdateView, View
from django_filters.views import FilterView

from partnerships.forms.directory import MemberForm, MemberImportForm, OrganizationForm
from partnerships.forms.filters import MemberFilter, OrganizationFilter
from partnerships.forms.roster_sheet import build_template, parse_sheet
from partnerships.models import Member, Organization
from partnerships.rules import may_create_organization
from partnerships.selectors import directory as selectors
from partnerships.services import directory as services
from portal.home import sections_for
from portal.pagecache import CachedPageMixin
from portal.pagination import CheapCountPaginator
from portal.scoping import ScopedViewMixin
from portal.views.base import ServiceFormMixin, ServiceFormView
from portal.xlsx import XLSX_CONTENT_TYPE


class OrganizationTreeView(ScopedViewMixin, TemplateView):
    """The party trees, one level at a time: the roots, the path to the user's own organizations opened, and a
    search that finds an organization by name and shows its path. Other levels load on demand (``tree_level``)."""

    model = Organization
    template_name = "partnerships/organization_tree.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = self.scoped_queryset()
        query = self.request.GET.get("q", "").strip()[:100]
        context["q"] = query
        if query:
            context["hits"] = selectors.tree_search(visible, query)
            context["search_limit"] = selectors.TREE_SEARCH_LIMIT
        else:
            context["tree"] = selectors.tree_opened(self.request.user, visible)
        context["can_create"] = selectors.organization_creatable_parents(self.request.user).exists()
        return context


class OrganizationTreeLevelView(ScopedViewMixin, TemplateView):
    """htmx fragment: one page of a node's children (``?parent=<pk>``; none: the roots), after ``?after=<path>``."""

    model = Organization
    template_name = "partnerships/includes/tree_level.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = self.scoped_queryset()
        parent = None
        parent_id = self.request.GET.get("parent", "")
        if parent_id:
            if not parent_id.isdigit():
                raise Http404
            parent = get_object_or_404(visible.only("id", "path", "depth"), pk=parent_id)
        after = self.request.GET.get("after", "")
        if after and (len(after) > 255 or not after.isalnum()):
            raise Http404
        nodes, more = selectors.tree_level(visible, parent, after)
        context["level"] = {
            "parent": parent,
            "nodes": [{"node": node, "children": None} for node in nodes],
            "more_after": nodes[-1].path if more else "",
        }
        context["parent"] = parent
        return context


class OrganizationListView(ScopedViewMixin, FilterView):
    """Searchable, filterable list of organizations."""

    model = Organization
    filterset_class = OrganizationFilter
    template_name = "partnerships/organization_list.html"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = selectors.organization_creatable_parents(self.request.user).exists()
        return context


class OrganizationDetailView(ScopedViewMixin, DetailView):
    """An organization's directory entry, its place in the tree and, for those in scope, its roster figures."""

    model = Organization
    template_name = "partnerships/organization_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = self.object
        user = self.request.user
        context["ancestors"] = list(Organization.objects.get_ancestors(org)) if org.depth > 1 else []
        context["children"] = list(Organization.objects.get_children(org)) if org.numchild else []
        context["can_edit"] = self.can_edit(org)
        context["can_add_child"] = may_create_organization(user, org)
        roster_visible = selectors.roster_organizations(user).filter(pk=org.pk).exists()
        context["roster_visible"] = roster_visible
        if roster_visible:
            context["roster"] = selectors.roster_summary(Organization.objects.filter(pk=org.pk))
            context["can_add_member"] = selectors.roster_writable_organizations(user).filter(pk=org.pk).exists()
        context["history"] = org.history.select_related("history_user").order_by("-history_date")[:20]
        context["sections"] = sections_for("organization_detail", user, org)
        return context


class OrganizationCreateView(ScopedViewMixin, ServiceFormView):
    """Add an organization under one the user may administer (admins may also add a new tree)."""

    model = Organization
    form_class = OrganizationForm
    template_name = "partnerships/organization_form.html"
    service = services.organization_create
    success_message = gettext_lazy("Organization “%(name)s” created.")

    def dispatch(self, request, *args, **kwargs):
        self.parents = selectors.organization_creatable_parents(request.user)
        if not self.parents.exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        initial = super().get_initial()
        parent_id = self.request.GET.get("parent")
        if parent_id and parent_id.isdigit():
            initial["parent"] = self.parents.filter(pk=parent_id).first()
        return initial

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["parent_choices"] = self.parents
        kwargs["allow_root"] = self.request.user.is_superuser
        return kwargs

    def get_service_kwargs(self, form):
        return {"parent": None, **form.cleaned_data}


class OrganizationUpdateView(ServiceFormMixin, ScopedViewMixin, UpdateView):
    """Edit an organization's directory entry (its committee's reviewers and admins)."""

    model = Organization
    scope_action = "edit"
    form_class = OrganizationForm
    template_name = "partnerships/organization_form.html"
    service = services.organization_update
    success_message = gettext_lazy("Changes saved.")

    def get_service_kwargs(self, form):
        return {"organization": self.object, **form.cleaned_data}


class MemberListView(CachedPageMixin, ScopedViewMixin, FilterView):
    """The roster: the members the user may see, phones only where the user may see them."""

    model = Member
    filterset_class = MemberFilter
    template_name = "partnerships/member_list.html"
    paginate_by = 30
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        return selectors.member_list(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["organizations"] = selectors.roster_organizations(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        writable = selectors.roster_writable_organizations(self.request.user)
        context["writable_org_ids"] = set(writable.values_list("pk", flat=True))
        context["can_add"] = bool(context["writable_org_ids"])
        return context


class MemberDetailView(ScopedViewMixin, DetailView):
    """One roster row with its change history."""

    model = Member
    template_name = "partnerships/member_detail.html"

    def get_queryset(self):
        return selectors.member_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.can_edit(self.object)
        context["history"] = self.object.history.select_related("history_user").order_by("-history_date")[:20]
        return context


class _MemberFormMixin:
    form_class = MemberForm
    template_name = "partnerships/member_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organizations"] = selectors.roster_writable_organizations(self.request.user)
        return kwargs


class MemberCreateView(ScopedViewMixin, _MemberFormMixin, ServiceFormView):
    """Add a member to a roster the user keeps (as secretary)."""

    model = Member
    service = services.member_create
    success_message = gettext_lazy("%(name)s added to the roster.")

    def dispatch(self, request, *args, **kwargs):
        if not selectors.roster_writable_organizations(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        initial = super().get_initial()
        writable = selectors.roster_writable_organizations(self.request.user)
        org_id = self.request.GET.get("organization")
        if org_id and org_id.isdigit():
            initial["organization"] = writable.filter(pk=org_id).first()
        elif writable.count() == 1:
            initial["organization"] = writable.first()
        return initial

    def get_success_url(self):
        return f"{_member_list_url()}?organization={self.result.organization_id}"


class MemberUpdateView(ServiceFormMixin, ScopedViewMixin, _MemberFormMixin, UpdateView):
    """Edit a roster row (the organization's secretary)."""

    model = Member
    scope_action = "edit"
    service = services.member_update
    success_message = gettext_lazy("Changes saved.")

    def get_service_kwargs(self, form):
        return {"member": self.object, **form.cleaned_data}


class MemberImportView(ScopedViewMixin, FormView):
    """Import a roster sheet: every row is checked first; any bad row means nothing is imported."""

    model = Member
    form_class = MemberImportForm
    template_name = "partnerships/member_import.html"

    def dispatch(self, request, *args, **kwargs):
        if not selectors.roster_writable_organizations(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organizations"] = selectors.roster_writable_organizations(self.request.user)
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        writable = selectors.roster_writable_organizations(self.request.user)
        if writable.count() == 1:
            initial["organization"] = writable.first()
        return initial

    def form_valid(self, form):
        organization = form.cleaned_data["organization"]
        parsed = parse_sheet(form.cleaned_data["file"].read())
        errors = list(parsed.errors)
        if not errors:
            try:
                created = services.member_import(actor=self.request.user, organization=organization, rows=parsed.rows)
            except ValidationError as exc:
                errors = exc.messages
        if errors:
            return self.render_to_response(self.get_context_data(form=form, row_errors=errors))
        messages.success(
            self.request,
            _("Imported %(count)s members into %(org)s.") % {"count": len(created), "org": organization.name},
        )
        return redirect(f"{_member_list_url()}?organization={organization.pk}")


class MemberImportTemplateView(View):
    """The empty roster sheet to fill in (anyone signed in may download it)."""

    def get(self, request, *args, **kwargs):
        response = HttpResponse(build_template(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = "attachment; filename*=UTF-8''roster-template.xlsx"
        return response


def _member_list_url() -> str:
    return reverse("partnerships:member_list")
