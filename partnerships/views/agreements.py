"""Agreement pages: list (+ Excel ledger), detail with tabs, create/edit, activate, renew, terminate, the scan.

Thin: querysets come from the scoped manager (out of scope → 404, visible but not editable → 403 on write) and
every write from ``partnerships.services.agreements``.
"""

from __future__ import annotations

from functools import partial
from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, View
from django.views.generic.base import TemplateResponseMixin
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView

from partnerships.forms.agreements import (
    AgreementFilter,
    AgreementForm,
    PartyFormSet,
    RenewForm,
    TerminateForm,
    party_initial,
)
from partnerships.models import Agreement
from partnerships.rules import CLOSED_STATUSES, may_create_agreement
from partnerships.selectors import agreements as selectors
from partnerships.services import agreements as services
from portal import exports
from portal.forms import show_service_errors
from portal.home import sections_for
from portal.models import ExportJob
from portal.pagecache import CachedPageMixin
from portal.pagination import CheapCountPaginator
from portal.scoping import ScopedViewMixin
from portal.uploads import content_type_for, serve_upload
from portal.views.base import ScopedObjectMixin, ServiceActionView, ServiceFormView


class AgreementListView(CachedPageMixin, ScopedViewMixin, FilterView):
    """The agreements the user may see, with filters (status, party, dimension, expiring soon) and search."""

    model = Agreement
    filterset_class = AgreementFilter
    template_name = "partnerships/agreements/list.html"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        return selectors.agreement_list(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["organizations"] = selectors.agreement_party_organizations(self.request.user)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = may_create_agreement(self.request.user)
        return context


class AgreementExportView(ScopedViewMixin, View):
    """The agreement ledger (共建协议台账) as Excel, with the list's filters applied."""

    model = Agreement

    def get(self, request, *args, **kwargs):
        return exports.respond(request, export_spec(request))


def export_spec(request) -> exports.ExportSpec:
    """The agreement ledger export for this request (the export view, and the export job's worker)."""
    filterset = AgreementFilter(
        request.GET,
        queryset=selectors.agreement_list(request.user),
        organizations=selectors.agreement_party_organizations(request.user),
        request=request,
    )
    agreements = filterset.qs if filterset.is_valid() else Agreement.objects.none()
    headers = [
        _("Agreement number"),
        _("Title"),
        _("Party-building brand"),
        _("Parties"),
        _("Co-construction dimensions"),
        _("Signed on"),
        _("Term starts"),
        _("Term ends"),
        _("Status"),
        _("Meetings held"),
        _("Open action items"),
        _("Overdue action items"),
    ]
    return exports.ExportSpec(
        kind=ExportJob.Kind.AGREEMENTS,
        filename=_("Agreement ledger %(date)s.xlsx") % {"date": timezone.localdate().isoformat()},
        title=_("Agreements"),
        headers=headers,
        queryset=agreements,
        # The status labels in the export's language, looked up once rather than once per row.
        row=partial(_agreement_row, statuses={value: str(label) for value, label in Agreement.Status.choices}),
    )


def _agreement_row(agreement: Agreement, *, statuses: dict[str, str]) -> list:
    return [
        agreement.number,
        agreement.title,
        agreement.brand,
        "、".join(party.organization.name for party in agreement.parties.all()),
        "、".join(dimension.name for dimension in agreement.dimensions.all()),
        agreement.signed_on,
        agreement.term_start,
        agreement.term_end,
        statuses.get(agreement.status, agreement.status),
        agreement.meetings_held,
        agreement.open_items,
        agreement.overdue_items,
    ]


class AgreementDetailView(ScopedViewMixin, DetailView):
    """One agreement with tabs: parties, meetings, action items, change history."""

    model = Agreement
    template_name = "partnerships/agreements/detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("predecessor", "created_by").prefetch_related("dimensions")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        can_edit = self.can_edit(agreement)
        status = Agreement.Status
        successor = Agreement.objects.visible_to(self.request.user).filter(predecessor=agreement).first()
        context.update(
            parties=list(agreement.parties.select_related("organization", "liaison").order_by("role", "pk")),
            meetings=list(selectors.agreement_meetings(agreement)),
            items=list(selectors.agreement_action_items(agreement)),
            history=selectors.agreement_history(agreement),
            successor=successor,
            can_edit=can_edit and agreement.status in (status.DRAFT, status.ACTIVE),
            can_add_under=can_edit and agreement.status in (status.DRAFT, status.ACTIVE),
            can_activate=can_edit and agreement.status == status.DRAFT,
            can_renew=can_edit and agreement.status in (status.ACTIVE, status.EXPIRED) and successor is None,
            can_terminate=can_edit and agreement.status in (status.DRAFT, status.ACTIVE),
            document_name=PurePath(agreement.document.name).name if agreement.document else "",
            sections=sections_for("agreement_detail", self.request.user, agreement),
        )
        return context


class _AgreementFormView(TemplateResponseMixin, View):
    """Agreement form plus parties formset; both must be valid before the service is called."""

    template_name = "partnerships/agreements/form.html"
    object = None

    def build(self):
        bound = self.request.method == "POST"
        form = AgreementForm(
            self.request.POST if bound else None, self.request.FILES if bound else None, instance=self.object
        )
        formset = PartyFormSet(
            self.request.POST if bound else None, initial=party_initial(self.object), prefix="parties"
        )
        return form, formset

    def render(self, form, formset):
        document = self.object.document if self.object is not None else None
        return self.render_to_response(
            {
                "form": form,
                "formset": formset,
                "object": self.object,
                "document_name": PurePath(document.name).name if document else "",
            }
        )

    def get(self, request, *args, **kwargs):
        return self.render(*self.build())

    def post(self, request, *args, **kwargs):
        form, formset = self.build()
        if not (form.is_valid() and formset.is_valid()):
            return self.render(form, formset)
        data = dict(form.cleaned_data)
        data["document"] = data.get("document") or None
        try:
            agreement = self.save(data, formset.parties_data())
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.render(form, formset)
        except PermissionDenied as exc:
            if self.object is not None:
                raise
            # Creating: the user may create agreements, just not between these parties — say so on the form.
            form.add_error(None, str(exc) or _("You cannot record this agreement."))
            return self.render(form, formset)
        messages.success(request, _("Agreement “%(number)s” saved.") % {"number": agreement.number})
        return redirect(agreement)


class AgreementCreateView(ScopedViewMixin, _AgreementFormView):
    """Record a new (draft) agreement; for secretaries and liaisons of one of its parties, and admins."""

    model = Agreement

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_create_agreement(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def save(self, data, parties):
        return services.agreement_create(actor=self.request.user, parties=parties, **data)


class AgreementUpdateView(ScopedObjectMixin, _AgreementFormView):
    """Edit a draft or active agreement and its parties (any party's secretary or liaison)."""

    model = Agreement
    scope_action = "edit"

    def refuse(self):
        if self.object.status in CLOSED_STATUSES:
            return self.turn_away(
                _("An expired or terminated agreement is a closed record and cannot be edited."), level=messages.ERROR
            )
        return None

    def save(self, data, parties):
        return services.agreement_update(actor=self.request.user, agreement=self.object, parties=parties, **data)


class AgreementActivateView(ServiceActionView):
    """Put a draft agreement in force (POST only)."""

    model = Agreement
    service = services.agreement_activate
    object_kwarg = "agreement"
    success_message = gettext_lazy("The agreement is now in force.")


class _AgreementActionView(ScopedObjectMixin, ServiceFormView):
    model = Agreement
    scope_action = "edit"

    def get_service_kwargs(self, form):
        return {"agreement": self.object, **form.cleaned_data}


class AgreementRenewView(_AgreementActionView):
    """Renew: a linked draft successor carrying the parties and dimensions over."""

    form_class = RenewForm
    template_name = "partnerships/agreements/renew.html"
    service = services.agreement_renew
    success_message = gettext_lazy("Renewal recorded as a draft; check it and put it in force.")

    def get_initial(self):
        return RenewForm.initial_for(self.object)

    def get_success_url(self):
        return self.result.get_absolute_url()  # the successor


class AgreementTerminateView(_AgreementActionView):
    """End an agreement early, with the reason."""

    form_class = TerminateForm
    template_name = "partnerships/agreements/terminate.html"
    service = services.agreement_terminate
    success_message = gettext_lazy("The agreement has been terminated.")


class AgreementDocumentView(ScopedViewMixin, SingleObjectMixin, View):
    """The signed scan, streamed only to those who may see the agreement (uploads are never served from MEDIA)."""

    model = Agreement

    def get(self, request, *args, **kwargs):
        agreement = self.get_object()
        if not agreement.document:
            raise Http404
        try:
            handle = agreement.document.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        name = PurePath(agreement.document.name).name
        return serve_upload(handle, filename=name, content_type=content_type_for(name))


urlpatterns = [
    path("agreements/", AgreementListView.as_view(), name="agreement_list"),
    path("agreements/export.xlsx", AgreementExportView.as_view(), name="agreement_export"),
    path("agreements/new/", AgreementCreateView.as_view(), name="agreement_create"),
    path("agreements/<int:pk>/", AgreementDetailView.as_view(), name="agreement_detail"),
    path("agreements/<int:pk>/edit/", AgreementUpdateView.as_view(), name="agreement_update"),
    path("agreements/<int:pk>/activate/", AgreementActivateView.as_view(), name="agreement_activate"),
    path("agreements/<int:pk>/renew/", AgreementRenewView.as_view(), name="agreement_renew"),
    path("agreements/<int:pk>/terminate/", AgreementTerminateView.as_view(), name="agreement_terminate"),
    path("agreements/<int:pk>/document/", AgreementDocumentView.as_view(), name="agreement_document"),
]
