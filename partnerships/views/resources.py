"""The partners' lists (三张清单): 需求清单 and 资源清单 with their pages and forms, offers and claims against a need
(资源对接 / 认领需求) and their acceptance, and the 项目清单 of joint projects; each list exports to Excel.

Thin: querysets come from the scoped managers and the selectors, writes from ``services.resources``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView
from django_filters.views import FilterView

from partnerships.forms.resources import (
    NeedFilter,
    NeedForm,
    ProjectFilter,
    ResourceFilter,
    ResourceForm,
)
from partnerships.models import ActionItem, Need, Pairing, Resource
from partnerships.rules import (
    list_keepers,
    may_offer,
    may_publish_lists,
)
from partnerships.selectors import action_items as item_selectors
from partnerships.selectors import resources as selectors
from partnerships.services import resources as services
from portal.exports import scope_label
from portal.names import display_name
from portal.pagination import CheapCountPaginator
from portal.scoping import ScopedViewMixin
from portal.views.base import ScopedObjectMixin, ServiceActionView, ServiceFormView
from portal.xlsx import build_workbook, xlsx_response

EXPORT_LIMIT = 5000  # rows an export answers in the request; a longer list asks for narrower filters


class _ListMixin(ScopedViewMixin):
    paginate_by = 25
    paginator_class = CheapCountPaginator

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["organizations"] = self.filter_organizations()
        return kwargs

    def filter_organizations(self):
        return selectors.list_organizations(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["keeps_lists"] = list_keepers(self.request.user).exists()
        return context


class _ExportMixin:
    """The list's rows as a print-ready workbook, answered in the request; bounded by ``EXPORT_LIMIT``."""

    export_title = ""
    list_url_name = ""

    def get(self, request, *args, **kwargs):
        filterset = self.get_filterset(self.get_filterset_class())
        rows = filterset.qs if not filterset.is_bound or filterset.is_valid() else filterset.queryset.none()
        if rows.order_by().values("pk")[: EXPORT_LIMIT + 1].count() > EXPORT_LIMIT:
            messages.warning(
                request,
                _("More than %(n)s rows: narrow the list with its filters before exporting.") % {"n": EXPORT_LIMIT},
            )
            return redirect(f"{reverse(self.list_url_name)}?{request.GET.urlencode()}")
        today = timezone.localdate()
        title = str(self.export_title)
        content = build_workbook(
            [(title, self.headers(), (self.row(obj) for obj in rows.iterator(chunk_size=1000)))],
            scope=scope_label(request.user),
            on=today,
        )
        return xlsx_response(f"{title} {today:%Y%m%d}.xlsx", content)


# --- needs ---------------------------------------------------------------------------------------------------


class NeedListView(_ListMixin, FilterView):
    """需求清单: the needs of the user's organizations and of their partners, filtered, paginated, exportable."""

    model = Need
    filterset_class = NeedFilter
    template_name = "partnerships/resources/need_list.html"

    def get_queryset(self):
        return selectors.need_list(self.request.user)


class NeedExportView(_ExportMixin, _ListMixin, FilterView):
    model = Need
    filterset_class = NeedFilter
    export_title = gettext_lazy("Needs list")
    list_url_name = "partnerships:need_list"

    def get_queryset(self):
        return selectors.need_list(self.request.user)

    def headers(self):
        return [
            _("Organization"),
            _("Need"),
            _("Details"),
            _("Dimension"),
            _("Wanted by"),
            _("Contact person"),
            _("Status"),
            _("Open offers"),
        ]

    def row(self, need):
        return [
            need.organization.name,
            need.title,
            need.details,
            need.dimension.name if need.dimension_id else "",
            need.wanted_by,
            need.contact_name,
            str(need.get_status_display()),
            need.open_offers,
        ]


class _CreateMixin(ScopedViewMixin):
    """A create form for the user's own organizations (secretary or liaison): 403 for anyone keeping no list."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if not list_keepers(request.user).exists():
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organizations"] = list_keepers(self.request.user).order_by("path")
        return kwargs


class _UpdateMixin(ScopedObjectMixin):
    """The edit form of a need or a resource: the entry's current values, its service called with the entry."""

    scope_action = "edit"
    template_name = "partnerships/resources/entry_form.html"
    success_message = gettext_lazy("Changes saved.")
    object_kwarg = ""
    initial_fields: tuple[str, ...] = ()
    heading = ""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "editing": True}

    def get_initial(self):
        # A foreign key's initial value is its id (``dimension`` → ``dimension_id``).
        return {name: self.object.serializable_value(name) for name in self.initial_fields}

    def get_context_data(self, **kwargs):
        return super().get_context_data(heading=self.heading, entry=self.object, **kwargs)

    def get_service_kwargs(self, form):
        return {self.object_kwarg: self.object, **form.cleaned_data}


class NeedCreateView(_CreateMixin, ServiceFormView):
    model = Need
    form_class = NeedForm
    template_name = "partnerships/resources/entry_form.html"
    service = services.need_create
    success_message = gettext_lazy("Need “%(title)s” published.")
    extra_context = {"heading": gettext_lazy("Publish a need"), "back_url": reverse_lazy("partnerships:need_list")}


class NeedDetailView(ScopedViewMixin, DetailView):
    """One need: what, by when, its offers and claims (accept or decline them), and its joint project."""

    model = Need
    template_name = "partnerships/resources/need_detail.html"
    context_object_name = "need"

    def get_queryset(self):
        return super().get_queryset().select_related("organization", "dimension", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        need, user = self.object, self.request.user
        pairings = selectors.need_pairings(need, user)
        may_decide = may_publish_lists(user, need.organization)
        for pairing in pairings:
            pairing.viewer_decides = may_decide and pairing.status == Pairing.Status.PROPOSED
        context["pairings"] = pairings
        context["can_edit"] = self.can_edit(need) and need.status in (Need.Status.OPEN, Need.Status.MATCHED)
        context["can_withdraw"] = self.can_edit(need) and need.status == Need.Status.OPEN
        context["can_offer"] = may_offer(user, need)
        context["my_org_ids"] = set(list_keepers(user).values_list("pk", flat=True)) if pairings else set()
        return context


class NeedUpdateView(_UpdateMixin, ServiceFormView):
    model = Need
    form_class = NeedForm
    service = services.need_update
    object_kwarg = "need"
    initial_fields = ("title", "details", "dimension", "wanted_by", "contact_name")
    heading = gettext_lazy("Edit need")

    def refuse(self):
        if self.object.status not in (Need.Status.OPEN, Need.Status.MATCHED):
            return self.turn_away(_("A met or withdrawn need can no longer be changed."))
        return None


class NeedWithdrawView(ServiceActionView):
    model = Need
    service = services.need_withdraw
    object_kwarg = "need"
    success_message = gettext_lazy("Need withdrawn.")


# --- resources -----------------------------------------------------------------------------------------------


class ResourceListView(_ListMixin, FilterView):
    """资源清单: the resources of the user's organizations and of their partners."""

    model = Resource
    filterset_class = ResourceFilter
    template_name = "partnerships/resources/resource_list.html"

    def get_queryset(self):
        return selectors.resource_list(self.request.user)


class ResourceExportView(_ExportMixin, _ListMixin, FilterView):
    model = Resource
    filterset_class = ResourceFilter
    export_title = gettext_lazy("Resources list")
    list_url_name = "partnerships:resource_list"

    def get_queryset(self):
        return selectors.resource_list(self.request.user)

    def headers(self):
        return [
            _("Organization"),
            _("Resource kind"),
            _("Resource"),
            _("Details"),
            _("Free or paid"),
            _("Terms"),
            _("Capacity (people)"),
            _("Opening hours"),
            _("Address"),
            _("Contact person"),
            _("Status"),
        ]

    def row(self, resource):
        return [
            resource.organization.name,
            str(resource.get_kind_display()),
            resource.title,
            resource.details,
            _("Paid") if resource.is_paid else _("Free"),
            resource.terms,
            resource.capacity,
            resource.opening_hours,
            resource.address,
            resource.contact_name,
            str(resource.get_status_display()),
        ]


class ResourceCreateView(_CreateMixin, ServiceFormView):
    model = Resource
    form_class = ResourceForm
    template_name = "partnerships/resources/entry_form.html"
    service = services.resource_create
    success_message = gettext_lazy("Resource “%(title)s” listed.")
    extra_context = {
        "heading": gettext_lazy("List a resource"),
        "back_url": reverse_lazy("partnerships:resource_list"),
    }


class ResourceDetailView(ScopedViewMixin, DetailView):
    model = Resource
    template_name = "partnerships/resources/resource_detail.html"
    context_object_name = "resource"

    def get_queryset(self):
        return super().get_queryset().select_related("organization", "dimension", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        editable = self.can_edit(self.object) and self.object.status == Resource.Status.OPEN
        context["can_edit"] = editable
        context["pairings"] = selectors.resource_pairings(self.object, self.request.user)
        return context


class ResourceUpdateView(_UpdateMixin, ServiceFormView):
    model = Resource
    form_class = ResourceForm
    service = services.resource_update
    object_kwarg = "resource"
    initial_fields = (
        "kind",
        "title",
        "details",
        "dimension",
        "is_paid",
        "terms",
        "capacity",
        "opening_hours",
        "address",
        "contact_name",
    )
    heading = gettext_lazy("Edit resource")

    def refuse(self):
        if self.object.status != Resource.Status.OPEN:
            return self.turn_away(_("A withdrawn resource can no longer be changed."))
        return None


class ResourceWithdrawView(ServiceActionView):
    model = Resource
    service = services.resource_withdraw
    object_kwarg = "resource"
    success_message = gettext_lazy("Resource withdrawn.")


# --- 项目清单 ------------------------------------------------------------------------------------------------


class ProjectListView(_ListMixin, FilterView):
    """项目清单: the joint projects under the user's agreements — owner, partner, due date, progress, status."""

    model = ActionItem
    filterset_class = ProjectFilter
    template_name = "partnerships/resources/project_list.html"

    def filter_organizations(self):
        return item_selectors.party_organizations(self.request.user)

    def get_queryset(self):
        return selectors.project_list(self.request.user)


class ProjectExportView(_ExportMixin, _ListMixin, FilterView):
    model = ActionItem
    filterset_class = ProjectFilter
    export_title = gettext_lazy("Joint projects list")
    list_url_name = "partnerships:project_list"

    def filter_organizations(self):
        return item_selectors.party_organizations(self.request.user)

    def get_queryset(self):
        return selectors.project_list(self.request.user)

    def headers(self):
        return [
            _("Agreement"),
            _("Co-construction project"),
            _("Need"),
            _("Resource"),
            _("Owner"),
            _("Partner"),
            _("Due on"),
            _("Status"),
            _("Progress (%)"),
            _("Latest progress"),
            _("Confirmed by"),
        ]

    def row(self, item):
        pairing = getattr(item, "pairing", None)
        return [
            f"{item.agreement.number} {item.agreement.title}",
            item.title,
            pairing.need.title if pairing else "",
            pairing.resource.title if pairing and pairing.resource_id else "",
            item.responsible_party.name,
            item.partner.name if item.partner_id else "",
            item.due_on,
            str(item.get_status_display()),
            item.progress,
            item.latest_note or "",
            display_name(item.confirmed_by) if item.confirmed_by_id else "",
        ]


urlpatterns = [
    path("needs/", NeedListView.as_view(), name="need_list"),
    path("needs/export.xlsx", NeedExportView.as_view(), name="need_export"),
    path("needs/new/", NeedCreateView.as_view(), name="need_create"),
    path("needs/<int:pk>/", NeedDetailView.as_view(), name="need_detail"),
    path("needs/<int:pk>/edit/", NeedUpdateView.as_view(), name="need_update"),
    path("needs/<int:pk>/withdraw/", NeedWithdrawView.as_view(), name="need_withdraw"),
    path("resources/", ResourceListView.as_view(), name="resource_list"),
    path("resources/export.xlsx", ResourceExportView.as_view(), name="resource_export"),
    path("resources/new/", ResourceCreateView.as_view(), name="resource_create"),
    path("resources/<int:pk>/", ResourceDetailView.as_view(), name="resource_detail"),
    path("resources/<int:pk>/edit/", ResourceUpdateView.as_view(), name="resource_update"),
    path("resources/<int:pk>/withdraw/", ResourceWithdrawView.as_view(), name="resource_withdraw"),
    path("joint-projects/", ProjectListView.as_view(), name="project_list"),
    path("joint-projects/export.xlsx", ProjectExportView.as_view(), name="project_export"),
]
