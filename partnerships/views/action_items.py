"""Action items (督办事项): the ledger and its Excel export, 我的督办, an item's page and the forms that move it.

Thin: querysets come from the scoped managers and the selectors, writes from the services. Each module lists its
own routes in ``urlpatterns``; partnerships/urls.py joins them.
"""

from __future__ import annotations

from functools import partial

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, View
from django_filters.views import FilterView

from partnerships.forms.action_items import (
    ActionItemEditForm,
    ActionItemFilter,
    ActionItemForm,
    CloseForm,
    ConfirmForm,
    ProgressForm,
    ReasonForm,
    WorkspaceFilter,
)
from partnerships.models import ActionItem, Agreement, Decision, Evidence
from partnerships.rules import WORKING, may_raise_items, may_rule_on_closure
from partnerships.selectors import action_items as selectors
from partnerships.services import action_items as services
from portal import exports
from portal.models import ExportJob
from portal.names import display_name
from portal.pagecache import CachedPageMixin
from portal.pagination import CheapCountPaginator, ListTab, list_tabs
from portal.replica import replica_view
from portal.scoping import ScopedViewMixin
from portal.uploads import serve_upload
from portal.views.base import ParentObjectMixin, ScopedObjectMixin, ServiceFormView

OPEN = (*WORKING, ActionItem.Status.AWAITING_CONFIRMATION)


class _LedgerFilterMixin:
    """The filters' choice lists limited to what the user may see."""

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        user = self.request.user
        kwargs["agreements"] = selectors.raisable_agreements(user)
        if filterset_class is ActionItemFilter:
            kwargs["organizations"] = selectors.party_organizations(user)
        return kwargs


@method_decorator(replica_view, name="dispatch")
class ActionItemListView(CachedPageMixin, _LedgerFilterMixin, ScopedViewMixin, FilterView):
    """督办台账: every item the user may see, filtered, searchable, paginated, exportable."""

    model = ActionItem
    filterset_class = ActionItemFilter
    template_name = "partnerships/action_items/item_list.html"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    TAB_LABELS = {
        "open": gettext_lazy("Not yet closed"),
        "awaiting": gettext_lazy("Awaiting confirmation"),
        "closed": gettext_lazy("Closed or cancelled"),
        "all": gettext_lazy("All"),
    }

    def get_tab(self) -> str:
        tab = self.request.GET.get("tab", "open")
        return tab if tab in selectors.LEDGER_TABS else "open"

    def get_queryset(self):
        return selectors.action_item_list(self.request.user)

    def get_context_data(self, **kwargs):
        # The filters apply to every tab; the page shows the current tab, the tab bar counts each (capped, cheap).
        filtered = kwargs.pop("object_list", self.object_list)
        tab = self.get_tab()
        tabs = {key: selectors.ledger_tab(filtered, key) for key in selectors.LEDGER_TABS}
        self.object_list = selectors.with_viewer_confirms(tabs[tab], self.request.user)
        context = super().get_context_data(object_list=self.object_list, **kwargs)
        context["tab"] = tab
        context["tabs"] = list_tabs(self.TAB_LABELS, tabs, current=tab, paginator=context["paginator"], total="all")
        return context


@method_decorator(replica_view, name="dispatch")
class ActionItemExportView(_LedgerFilterMixin, ScopedViewMixin, FilterView):
    """The ledger as Excel: the list's filters applied, one row per item."""

    model = ActionItem
    filterset_class = ActionItemFilter

    def get_queryset(self):
        return selectors.action_item_list(self.request.user)

    def get(self, request, *args, **kwargs):
        return exports.respond(request, export_spec(request, view=self))

    def export_spec(self) -> exports.ExportSpec:
        filterset = self.get_filterset(self.get_filterset_class())
        items = filterset.qs if not filterset.is_bound or filterset.is_valid() else filterset.queryset.none()
        today = timezone.localdate()
        headers = [
            _("Agreement"),
            _("Meeting"),
            _("Decision"),
            _("Action item"),
            _("Responsible party"),
            _("Responsible person"),
            _("Due on"),
            _("Status"),
            _("Days overdue"),
            _("Latest progress"),
            _("Progress (%)"),
            _("Updated"),
        ]
        return exports.ExportSpec(
            kind=ExportJob.Kind.ACTION_ITEMS,
            filename=_("Action item ledger %(date)s.xlsx") % {"date": today.strftime("%Y%m%d")},
            title=_("Action items"),
            headers=headers,
            queryset=items,
            # The status labels in the export's language, looked up once rather than once per row.
            row=partial(
                _ledger_row, today=today, statuses={value: str(label) for value, label in ActionItem.Status.choices}
            ),
        )


def export_spec(request, view: ActionItemExportView | None = None) -> exports.ExportSpec:
    """The action item ledger export for this request (the export view, and the export job's worker)."""
    if view is None:
        view = ActionItemExportView()
        view.setup(request)
    return view.export_spec()


def _ledger_row(item: ActionItem, *, today, statuses: dict[str, str]) -> list:
    meeting = item.decision.meeting if item.decision_id else None
    person = item.responsible_person
    latest = item.latest_note or ""
    updated = item.latest_at or item.updated_at
    return [
        f"{item.agreement.number} {item.agreement.title}",
        f"{timezone.localdate(meeting.starts_at).isoformat()} {meeting.title}" if meeting else "",
        item.decision.text if item.decision_id else "",
        item.title,
        item.responsible_party.name,
        display_name(person),
        item.due_on,
        statuses.get(item.status, item.status),
        item.days_overdue(today),
        f"{latest} ({item.progress}%)" if latest else f"{item.progress}%",
        item.progress,
        timezone.localtime(updated),
    ]


class MyActionItemsView(CachedPageMixin, _LedgerFilterMixin, ScopedViewMixin, FilterView):
    """我的督办: my organizations' items by tab (open, due in 7 days, overdue, awaiting my confirmation, closed)."""

    model = ActionItem
    filterset_class = WorkspaceFilter
    template_name = "partnerships/action_items/workspace.html"
    paginate_by = 25
    paginator_class = CheapCountPaginator
    TAB_LABELS = {
        "open": gettext_lazy("Open"),
        "due_soon": gettext_lazy("Due in 7 days"),
        "overdue": gettext_lazy("Overdue"),
        "awaiting": gettext_lazy("Awaiting my confirmation"),
        "closed": gettext_lazy("Recently closed"),
    }

    def get_tab(self) -> str:
        tab = self.request.GET.get("tab", "open")
        return tab if tab in selectors.WORKSPACE_TABS else "open"

    def get_queryset(self):
        return selectors.my_action_items(self.request.user, self.get_tab())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = selectors.workspace_counts(self.request.user)
        context["tab"] = self.get_tab()
        context["tabs"] = [
            ListTab(key=key, label=str(self.TAB_LABELS[key]), count=counts[key], alert=key == "overdue")
            for key in selectors.WORKSPACE_TABS
        ]
        context["counts"] = counts
        context["has_organizations"] = bool(selectors.my_organization_ids(self.request.user))
        return context


class ActionItemCreateView(ScopedViewMixin, ParentObjectMixin, ServiceFormView):
    """Raise an item under an agreement (``?decision=<id>`` links it to a decision of that agreement's meetings)."""

    model = ActionItem
    parent_queryset = Agreement.objects.visible_to
    parent_context_name = "agreement"
    form_class = ActionItemForm
    template_name = "partnerships/action_items/item_form.html"
    service = services.action_item_create
    success_message = gettext_lazy("Action item “%(title)s” raised.")

    def check_parent(self, parent):
        if not may_raise_items(self.request.user, parent):
            raise PermissionDenied
        self.decision = None
        decision_id = self.request.GET.get("decision")
        if decision_id:
            if not decision_id.isdigit():
                raise Http404
            self.decision = get_object_or_404(
                Decision.objects.select_related("meeting"), pk=decision_id, meeting__agreement=parent
            )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["agreement"] = self.parent
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        if self.decision is not None:
            initial["title"] = self.decision.text[:200]
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["decision"] = self.decision
        return context

    def get_service_kwargs(self, form):
        return {"agreement": self.parent, "decision": self.decision, **form.cleaned_data}


def _detail_queryset(user):
    return ActionItem.objects.visible_to(user).select_related(
        "agreement",
        "decision__meeting__host",
        "responsible_party",
        "responsible_person",
        "confirmed_by",
        "created_by",
        "partner",
        "pairing__need__organization",
    )


class ActionItemDetailView(ScopedViewMixin, DetailView):
    """One item: status, overdue, its timeline with evidence, its change history, and what the viewer may do."""

    model = ActionItem
    template_name = "partnerships/action_items/item_detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return _detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        editable = self.can_edit(item)
        context["can_edit"] = editable and item.status in OPEN
        context["can_progress"] = editable and item.status in WORKING
        context["can_cancel"] = editable and item.status in OPEN
        context["can_confirm"] = (
            item.status == ActionItem.Status.AWAITING_CONFIRMATION
            and ActionItem.objects.confirmable_by(self.request.user).filter(pk=item.pk).exists()
        )
        context["timeline"] = selectors.item_timeline(item)
        context["history"] = item.history.select_related("history_user").order_by("-history_date")[:30]
        return context


class _ItemFormView(ScopedObjectMixin, ServiceFormView):
    """A form acting on one item. ``allowed`` lists the states it applies to; other states go back to the item."""

    model = ActionItem
    scope_action = "edit"
    allowed: tuple = WORKING
    template_name = "partnerships/action_items/action_form.html"
    context_object_name = "item"
    heading = ""
    submit_label = gettext_lazy("Save")
    submit_class = "btn-primary"
    multipart = False
    state_message = gettext_lazy("This item is not in a state that allows this.")

    def get_queryset(self):
        return _detail_queryset(self.request.user)

    def refuse(self):
        return self.turn_away(self.state_message) if self.object.status not in self.allowed else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(heading=self.heading, submit_label=self.submit_label, submit_class=self.submit_class)
        context["multipart"] = self.multipart
        return context

    def get_service_kwargs(self, form):
        return {"item": self.object, **form.cleaned_data}


class ActionItemUpdateView(_ItemFormView):
    """Edit an open item's due date, person, priority, description (the responsible party)."""

    form_class = ActionItemEditForm
    allowed = OPEN
    heading = gettext_lazy("Edit action item")
    success_message = gettext_lazy("Changes saved.")
    service = services.action_item_edit

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["item"] = self.object
        return kwargs

    def get_initial(self):
        item = self.object
        return {
            "due_on": item.due_on,
            "responsible_person": item.responsible_person_id,
            "priority": item.priority,
            "description": item.description,
        }


class ActionItemProgressView(_ItemFormView):
    """Post progress: a note, a percent and optional evidence files (quick on a phone)."""

    form_class = ProgressForm
    template_name = "partnerships/action_items/progress_form.html"
    multipart = True
    heading = gettext_lazy("Post progress")
    success_message = gettext_lazy("Progress posted.")
    service = services.action_item_update_progress
    state_message = gettext_lazy("Progress can only be posted on an item that is still being worked on.")

    def get_initial(self):
        return {"percent": self.object.progress}


class ActionItemCloseView(_ItemFormView):
    """Submit for closure with evidence; the other side then confirms."""

    form_class = CloseForm
    multipart = True
    heading = gettext_lazy("Submit for closure")
    submit_label = gettext_lazy("Submit for confirmation")
    success_message = gettext_lazy("Submitted; the other party will confirm the closure.")
    service = services.action_item_close
    state_message = gettext_lazy("Only an item still being worked on can be submitted for closure.")


class _ConfirmerView(_ItemFormView):
    """Confirm or send back: the other party's liaison or the meeting host, not the responsible party.

    Both pages show what is being accepted above their form — the closure note and its evidence (image thumbnails,
    other files by name, type and size), every file through the scoped download view — so nobody confirms a closure
    without having it in view."""

    scope_action = "view"
    allowed = (ActionItem.Status.AWAITING_CONFIRMATION,)
    state_message = gettext_lazy("This item is not awaiting confirmation.")
    template_name = "partnerships/action_items/confirm_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        closure = selectors.closure_request(self.object)
        files = list(closure.evidence.all()) if closure else []
        context["closure"] = closure
        context["images"] = [f for f in files if f.is_image]
        context["files"] = [f for f in files if not f.is_image]
        context["earlier_evidence"] = selectors.earlier_evidence(self.object, closure)
        return context

    def needs_edit(self) -> bool:
        return False  # confirming is not editing: the check below decides

    def check_object(self, obj):
        # Outsiders get 404 from the scoped queryset; then the right to rule on the closure (403 without it,
        # whatever the state), and only then the state.
        if not may_rule_on_closure(self.request.user, obj):
            raise PermissionDenied


class ActionItemConfirmView(_ConfirmerView):
    form_class = ConfirmForm
    heading = gettext_lazy("Confirm closure")
    submit_label = gettext_lazy("Confirm closure")
    submit_class = "btn-success"
    success_message = gettext_lazy("Closure confirmed.")
    service = services.action_item_confirm


class ActionItemSendBackView(_ConfirmerView):
    form_class = ReasonForm
    heading = gettext_lazy("Send back")
    submit_label = gettext_lazy("Send back")
    submit_class = "btn-warning"
    success_message = gettext_lazy("Sent back to the responsible party.")
    service = services.action_item_send_back


class ActionItemCancelView(_ItemFormView):
    form_class = ReasonForm
    allowed = OPEN
    heading = gettext_lazy("Cancel action item")
    submit_label = gettext_lazy("Cancel the item")
    submit_class = "btn-danger"
    success_message = gettext_lazy("Action item cancelled.")
    service = services.action_item_cancel
    state_message = gettext_lazy("Only an open item can be cancelled.")


class EvidenceDownloadView(View):
    """An evidence file, for those who may see its item (404 for everyone else). ``thumbnail``: an image's small
    JPEG (the original for an image stored before thumbnails were made; 404 for a file that is no image)."""

    thumbnail = False

    def get(self, request, pk):
        evidence = get_object_or_404(
            Evidence.objects.all(), pk=pk, update__item__in=ActionItem.objects.visible_to(request.user).values("pk")
        )
        field, content_type = evidence.file, evidence.content_type
        if self.thumbnail:
            if not evidence.is_image:
                raise Http404
            if evidence.thumbnail:
                field, content_type = evidence.thumbnail, "image/jpeg"
        try:
            handle = field.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = serve_upload(handle, filename=evidence.original_name, content_type=content_type)
        if self.thumbnail:
            response["Cache-Control"] = "private, max-age=86400"
        return response


urlpatterns = [
    path("items/", ActionItemListView.as_view(), name="action_item_list"),
    path("items/export.xlsx", ActionItemExportView.as_view(), name="action_item_export"),
    path("items/mine/", MyActionItemsView.as_view(), name="my_action_items"),
    path("agreements/<int:pk>/items/new/", ActionItemCreateView.as_view(), name="action_item_create"),
    path("items/<int:pk>/", ActionItemDetailView.as_view(), name="action_item_detail"),
    path("items/<int:pk>/edit/", ActionItemUpdateView.as_view(), name="action_item_update"),
    path("items/<int:pk>/progress/", ActionItemProgressView.as_view(), name="action_item_progress"),
    path("items/<int:pk>/close/", ActionItemCloseView.as_view(), name="action_item_close"),
    path("items/<int:pk>/confirm/", ActionItemConfirmView.as_view(), name="action_item_confirm"),
    path("items/<int:pk>/send-back/", ActionItemSendBackView.as_view(), name="action_item_send_back"),
    path("items/<int:pk>/cancel/", ActionItemCancelView.as_view(), name="action_item_cancel"),
    path("evidence/<int:pk>/", EvidenceDownloadView.as_view(), name="evidence_download"),
    path("evidence/<int:pk>/thumb/", EvidenceDownloadView.as_view(thumbnail=True), name="evidence_thumb"),
]
