"""Activities: the ledger (活动台账) and its Excel export, the 记录活动 landing, schedule/edit, an activity's page,
cancellation, and its photos (the quick log: activities/views/log.py).

Thin: querysets come from the scoped managers and the selectors, writes from ``activities.services.activities``.
The 30-day lock: the pages hide the buttons, and opening or posting a locked activity's edit, log or cancel form
sends the user back to the activity with the reason as a message (nothing changes).
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, View
from django_filters.views import FilterView

from activities.forms.activities import DATETIME_LOCAL, ActivityForm, CancelForm
from activities.forms.filters import ActivityFilter
from activities.models import Activity, ActivityPhoto, ActivityType, PlannedActivity
from activities.photos import photo_response
from activities.rules import has_started, is_locked, lock_message, locked_for, may_create_activities, may_publicize
from activities.sections.bookings import booking_section
from activities.selectors import activities as selectors
from activities.selectors import checkins as checkin_selectors
from activities.selectors.publicity import publicity_items_of
from activities.services import activities as services
from partnerships.models import Agreement, Organization
from portal import exports
from portal.models import ExportJob
from portal.pagecache import CachedPageMixin
from portal.pagination import CheapCountPaginator, list_tabs
from portal.replica import replica_view
from portal.scoping import ScopedViewMixin
from portal.views.base import ScopedObjectMixin, ServiceFormView

Status = Activity.Status


class _LedgerFilterMixin:
    """The ledger's filters, their choice lists limited to what the user may see."""

    filterset_class = ActivityFilter

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        user = self.request.user
        kwargs["agreements"] = selectors.ledger_agreements(user)
        kwargs["organizations"] = selectors.ledger_organizations(user)
        kwargs["types"] = selectors.activity_types()
        return kwargs


@method_decorator(replica_view, name="dispatch")
class ActivityListView(CachedPageMixin, _LedgerFilterMixin, ScopedViewMixin, FilterView):
    """活动台账: every activity the user may see, filtered, searchable, paginated, exportable."""

    model = Activity
    template_name = "activities/activities/list.html"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    TAB_LABELS = {
        "held": gettext_lazy("Held"),
        "upcoming": gettext_lazy("Upcoming"),
        "all": gettext_lazy("All"),
    }

    def get_tab(self) -> str:
        tab = self.request.GET.get("tab", "held")
        return tab if tab in selectors.LEDGER_TABS else "held"

    def get_queryset(self):
        return selectors.activity_list(self.request.user)

    def get_context_data(self, **kwargs):
        # The filters apply to every tab; the page shows the current tab, the tab bar counts each (capped, cheap).
        filtered = kwargs.pop("object_list", self.object_list)
        now = timezone.now()
        tab = self.get_tab()
        tabs = {key: selectors.ledger_tab(filtered, key, now) for key in selectors.LEDGER_TABS}
        self.object_list = tabs[tab]
        context = super().get_context_data(object_list=self.object_list, **kwargs)
        context["tab"] = tab
        context["tabs"] = list_tabs(self.TAB_LABELS, tabs, current=tab, paginator=context["paginator"], total="all")
        context["can_create"] = may_create_activities(self.request.user)
        return context


@method_decorator(replica_view, name="dispatch")
class ActivityExportView(_LedgerFilterMixin, ScopedViewMixin, FilterView):
    """The ledger as Excel: the list's filters and tab applied, one row per activity."""

    model = Activity

    def get_queryset(self):
        return selectors.activity_list(self.request.user)

    def get(self, request, *args, **kwargs):
        return exports.respond(request, export_spec(request, view=self))

    def export_spec(self) -> exports.ExportSpec:
        filterset = self.get_filterset(self.get_filterset_class())
        activities = filterset.qs if not filterset.is_bound or filterset.is_valid() else filterset.queryset.none()
        # The tab the ledger showed (the page's link carries it); a link without one exports every activity.
        tab = self.request.GET.get("tab", "all")
        tab = tab if tab in selectors.LEDGER_TABS else "all"
        activities = selectors.ledger_tab(activities, tab)
        headers = [
            _("Date"),
            _("Starts at"),
            _("Type"),
            _("Title"),
            _("Activity place"),
            _("Agreement"),
            _("Lead organization"),
            _("Co-organizers"),
            _("Headcount by organization"),
            _("Total headcount"),
            _("Named participants"),
            _("Status"),
            _("Summary"),
            _("Outcomes"),
            _("Photos"),
            _("Plan row"),
            _("Publicity report"),
        ]
        return exports.ExportSpec(
            kind=ExportJob.Kind.ACTIVITIES,
            filename=_("Activity ledger %(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")},
            title=_("Activities") if tab == "all" else f"{_('Activities')} · {ActivityListView.TAB_LABELS[tab]}",
            headers=headers,
            queryset=selectors.for_export(activities),
            # The status labels in the export's language, looked up once rather than once per row.
            row=partial(_ledger_row, statuses={value: str(label) for value, label in Activity.Status.choices}),
        )


def export_spec(request, view: ActivityExportView | None = None) -> exports.ExportSpec:
    """The activity ledger export for this request (the export view, and the export job's worker)."""
    if view is None:
        view = ActivityExportView()
        view.setup(request)
    return view.export_spec()


def _ledger_row(activity: Activity, *, statuses: dict[str, str]) -> list:
    starts = timezone.localtime(activity.starts_at)
    plan_row = activity.plan_row
    return [
        starts.date(),
        starts,
        activity.type.name,
        activity.title,
        activity.place,
        str(activity.agreement) if activity.agreement_id else "",
        activity.lead.name,
        "、".join(org.name for org in activity.ledger_co_organizers),
        "；".join(f"{p.organization.name} {p.headcount}" for p in activity.headcounts),
        activity.total_headcount,
        activity.participant_count,
        statuses.get(activity.status, activity.status),
        activity.summary,
        activity.outcomes,
        activity.photo_count,
        f"{plan_row.plan.year} · {plan_row.month} · {plan_row.theme}" if plan_row else "",
        getattr(activity, "publicity_item_title", None)
        or f"{activity.publicity_title} {activity.publicity_url}".strip(),
    ]


class ActivityToLogView(ScopedViewMixin, ListView):
    """记录活动: my organizations' activities that have ended and are not logged, each with a big log button."""

    model = Activity
    template_name = "activities/activities/to_log.html"
    context_object_name = "activities"
    paginate_by = 50
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        return selectors.to_log(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        bypass = self.request.user.is_superuser
        for activity in context["activities"]:
            activity.locked = is_locked(activity, now) and not bypass
        context["can_create"] = may_create_activities(self.request.user)
        return context


def _form_choices(request, activity: Activity | None = None, agreement: Agreement | None = None) -> dict:
    """The activity form's choice lists: the user's lead organizations, their agreements, the types in use (plus the
    activity's own), the plan rows the user may see, and the possible co-organizers — the agreement's parties when
    the form is about one (ticked as checkboxes), every organization for a branch's own activity.

    ``agreement`` is the one the form starts with; a posted form goes by the agreement it posts.
    """
    user = request.user
    types = ActivityType.objects.filter(active=True)
    if activity is not None:
        types = ActivityType.objects.filter(pk__in=types.values("pk")) | ActivityType.objects.filter(
            pk=activity.type_id
        )
    leads = selectors.lead_choices(user)
    agreements = selectors.activity_agreements(user)
    if activity is not None:
        # Keep the activity's own lead and agreement selectable, so an admin's or a colleague's choice survives.
        leads = Organization.objects.filter(pk__in=leads.values("pk")) | Organization.objects.filter(
            pk=activity.lead_id
        )
        if activity.agreement_id:
            agreements = Agreement.objects.filter(pk__in=agreements.values("pk")) | Agreement.objects.filter(
                pk=activity.agreement_id
            )
    if request.method == "POST":
        posted = request.POST.get("agreement", "")
        agreement = agreements.filter(pk=posted).first() if posted.isdigit() else None
    if agreement is not None:
        co_organizers = Organization.objects.filter(agreement_parties__agreement=agreement).order_by("path")
    else:
        co_organizers = Organization.objects.all()
    return {
        "leads": leads.order_by("path"),
        "agreements": agreements.order_by("-term_start", "-pk"),
        "co_organizers": co_organizers,
        "parties_only": agreement is not None,
        "plan_rows": PlannedActivity.objects.visible_to(user),
        "types": types.order_by("order", "pk"),
    }


class ActivityCreateView(ScopedViewMixin, ServiceFormView):
    """Schedule an activity: ``?plan_row=<id>`` prefills it from a plan row, ``?agreement=<id>`` the agreement."""

    model = Activity
    form_class = ActivityForm
    template_name = "activities/activities/form.html"
    service = services.activity_create
    success_message = gettext_lazy("Activity “%(title)s” scheduled.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.plan_row = self._from_query(
                "plan_row",
                PlannedActivity.objects.visible_to(request.user).select_related("plan__agreement", "type", "lead"),
            )
            self.agreement = self._from_query("agreement", Agreement.objects.visible_to(request.user))
            if not may_create_activities(request.user):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _from_query(self, name, queryset):
        value = self.request.GET.get(name)
        if not value:
            return None
        if not value.isdigit():
            raise Http404
        return get_object_or_404(queryset, pk=value)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        row = self.plan_row
        kwargs.update(_form_choices(self.request, agreement=row.plan.agreement if row else self.agreement))
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        row = self.plan_row
        if row is not None:
            initial.update(
                title=row.theme,
                type=row.type_id,
                agreement=row.plan.agreement_id,
                lead=row.lead_id,
                co_organizers=[org.pk for org in row.co_organizers.all()],
                plan_row=row.pk,
                description=row.content,
            )
        elif self.agreement is not None:
            initial["agreement"] = self.agreement.pk
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["plan_row"] = self.plan_row
        return context


class ActivityDetailView(ScopedViewMixin, DetailView):
    """One activity: details, headcounts, participants, photos, publicity, change history, buttons by permission."""

    model = Activity
    template_name = "activities/activities/detail.html"
    context_object_name = "activity"

    def get_queryset(self):
        return selectors.detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        activity = self.object
        now = timezone.now()
        editable = self.can_edit(activity)
        locked = is_locked(activity, now)
        free = editable and not (locked and not self.request.user.is_superuser)
        context.update(
            locked=locked,
            can_edit=free and activity.status != Status.CANCELLED,
            can_log=free and activity.status != Status.CANCELLED and has_started(activity, now),
            can_cancel=free and activity.status in (Status.PLANNED, Status.HELD),
            history=selectors.activity_history(activity),
            total_headcount=sum(p.headcount for p in activity.headcounts),
            participants=list(activity.participants.all()),
            can_publicize=may_publicize(self.request.user, activity),
            publicity_items=list(publicity_items_of(self.request.user, activity)),
            checkins=checkin_selectors.activity_checkins(activity),
            # The code is worth showing until the activity ends (its check-in window closes then).
            can_manage_checkin=editable and activity.status != Status.CANCELLED and now <= activity.ends_at,
        )
        context["booking_sections"] = [
            booking_section(self.request.user, activity, can_book=context["can_edit"] and not activity.ends_at <= now)
        ]
        return context


class _ActivityFormView(ScopedObjectMixin, ServiceFormView):
    """A form acting on one activity the user may edit (403 otherwise); refused states go back to the activity."""

    model = Activity
    scope_action = "edit"
    context_object_name = "activity"

    def get_queryset(self):
        return Activity.objects.visible_to(self.request.user).select_related("type", "agreement", "lead", "plan_row")

    def refuse(self):
        refusal = self.refusal()
        return self.turn_away(refusal, level=messages.ERROR) if refusal else None

    def refusal(self) -> str | None:
        """Why this form cannot be used now (the 30-day lock, the state), or None."""
        if locked_for(self.request.user, self.object):
            return lock_message()
        if self.object.status == Status.CANCELLED:
            return _("A cancelled activity can no longer be changed.")
        return None

    def get_service_kwargs(self, form):
        return {"activity": self.object, **form.cleaned_data}


class ActivityUpdateView(_ActivityFormView):
    """Edit an activity's details (the lead's secretary; not once locked or cancelled)."""

    form_class = ActivityForm
    template_name = "activities/activities/form.html"
    success_message = gettext_lazy("Changes saved.")
    service = services.activity_update

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(_form_choices(self.request, self.object, self.object.agreement))
        return kwargs

    def get_initial(self):
        activity = self.object
        local = timezone.localtime
        return {
            "title": activity.title,
            "type": activity.type_id,
            "agreement": activity.agreement_id,
            "plan_row": activity.plan_row_id,
            "lead": activity.lead_id,
            "co_organizers": list(activity.co_organizers.values_list("pk", flat=True)),
            "starts_at": local(activity.starts_at).strftime(DATETIME_LOCAL),
            "ends_at": local(activity.ends_at).strftime(DATETIME_LOCAL),
            "place": activity.place,
            "description": activity.description,
        }

    def get_service_kwargs(self, form):
        data = super().get_service_kwargs(form)
        row, agreement = data.get("plan_row"), data.get("agreement")
        if row is not None and (agreement is None or row.plan.agreement_id != agreement.pk):
            # Moving the activity to another agreement (or making it the branch's own) leaves the old plan behind.
            data["plan_row"] = None
        return data


class ActivityCancelView(_ActivityFormView):
    """Cancel a planned or held activity with a reason."""

    form_class = CancelForm
    template_name = "activities/activities/cancel.html"
    success_message = gettext_lazy("Activity cancelled.")
    service = services.activity_cancel

    def refusal(self):
        refusal = super().refusal()
        if refusal is None and self.object.status == Status.LOGGED:
            refusal = _("A logged activity cannot be cancelled.")
        return refusal


class ActivityPhotoView(View):
    """A photo, or its thumbnail, for those who may see its activity (404 for everyone else)."""

    thumbnail = False

    def get(self, request, pk):
        photo = get_object_or_404(ActivityPhoto.objects.visible_to(request.user), pk=pk)
        return photo_response(photo, thumbnail=self.thumbnail)


urlpatterns = [
    path("activities/", ActivityListView.as_view(), name="activity_list"),
    path("activities/export.xlsx", ActivityExportView.as_view(), name="activity_export"),
    path("activities/to-log/", ActivityToLogView.as_view(), name="activity_to_log"),
    path("activities/new/", ActivityCreateView.as_view(), name="activity_create"),
    path("activities/<int:pk>/", ActivityDetailView.as_view(), name="activity_detail"),
    path("activities/<int:pk>/edit/", ActivityUpdateView.as_view(), name="activity_update"),
    path("activities/<int:pk>/cancel/", ActivityCancelView.as_view(), name="activity_cancel"),
    path("activity-photos/<int:pk>/", ActivityPhotoView.as_view(), name="activity_photo"),
    path("activity-photos/<int:pk>/thumb/", ActivityPhotoView.as_view(thumbnail=True), name="activity_photo_thumb"),
]
