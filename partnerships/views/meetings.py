"""Joint meeting pages: schedule, detail (agenda with carried-over items, minutes, decisions, versions), edit,
minutes (draft, attendance, decisions, rulings), publish, correct, print. Thin: reads from the selectors, writes
through ``partnerships.services.meetings``. Each module lists its own routes in ``urlpatterns``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView

from partnerships.forms.meetings import (
    CorrectionForm,
    DecisionFormSet,
    MeetingCancelForm,
    MeetingForm,
    MinutesForm,
    RulingFormSet,
)
from partnerships.models import Agreement, Decision, JointMeeting, Organization
from partnerships.rules import default_meeting_start
from partnerships.selectors.checkins import meeting_checkins
from partnerships.selectors.meetings import (
    annotate_meeting,
    decision_choices,
    eligible_attendees,
    meeting_detail_queryset,
    meeting_history,
)
from partnerships.services import meetings as services
from partnerships.services import minutes as minutes_services
from portal.forms import error_summary, show_service_errors
from portal.home import sections_for
from portal.scoping import ScopedViewMixin, get_scope
from portal.views.base import ParentObjectMixin, ScopedObjectMixin, ServiceActionView, ServiceFormView


def _parties(agreement: Agreement):
    return Organization.objects.filter(agreement_parties__agreement=agreement).order_by("path")


class _MeetingObjectMixin(ScopedViewMixin):
    model = JointMeeting

    def get_queryset(self):
        return meeting_detail_queryset(self.request.user)

    def get_object(self, queryset=None):
        if not hasattr(self, "_meeting"):
            self._meeting = annotate_meeting(super().get_object(queryset))
        return self._meeting


class MeetingCreateView(ScopedViewMixin, ParentObjectMixin, ServiceFormView):
    """Schedule a joint meeting under an agreement; open action items join its agenda by themselves."""

    model = JointMeeting
    parent_queryset = Agreement.objects.visible_to
    parent_editable = Agreement.objects.editable_by
    parent_context_name = "agreement"
    form_class = MeetingForm
    template_name = "partnerships/meetings/meeting_form.html"
    service = services.meeting_schedule
    success_message = gettext_lazy("Meeting scheduled.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["parties"] = _parties(self.parent)
        kwargs["attendee_choices"] = eligible_attendees(self.parent)
        return kwargs

    def get_initial(self):
        own = get_scope(self.request.user).org_ids("secretary", "liaison")
        host = _parties(self.parent).filter(pk__in=sorted(own)).first()
        count = self.parent.meetings.count()
        return {
            "host": host,
            "title": _("Joint meeting no. %(number)s") % {"number": count + 1},
            "starts_at": default_meeting_start(),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["open_items"] = self.parent.action_items.open().select_related("responsible_party")
        return context

    def get_service_kwargs(self, form):
        return {"agreement": self.parent, **form.cleaned_data}


class MeetingDetailView(_MeetingObjectMixin, DetailView):
    """The meeting: agenda (carried-over items with their latest progress), attendance, minutes, decisions with
    their action items, and the minutes' version history."""

    template_name = "partnerships/meetings/meeting_detail.html"
    context_object_name = "meeting"
    show_checkins = True  # the 签到名单 (扫码签到)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.can_edit(self.object)
        context["history"] = meeting_history(self.object)
        context["sections"] = sections_for("meeting_detail", self.request.user, self.object)
        if self.show_checkins:
            context["checkins"] = meeting_checkins(self.object)
        return context


class MeetingPrintView(MeetingDetailView):
    """The minutes on A4 paper."""

    template_name = "partnerships/meetings/meeting_print.html"
    show_checkins = False


class MeetingUpdateView(_MeetingObjectMixin, ScopedObjectMixin, ServiceFormView):
    """Change time, place, host, attendees or the typed agenda, until the minutes are published."""

    scope_action = "edit"
    form_class = MeetingForm
    template_name = "partnerships/meetings/meeting_form.html"
    service = services.meeting_update
    success_message = gettext_lazy("Changes saved.")

    def refuse(self):
        if self.object.is_published:
            return self.turn_away(
                _("The minutes are published and locked; record a correction to change them."), level=messages.ERROR
            )
        return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["parties"] = _parties(self.object.agreement)
        kwargs["attendee_choices"] = eligible_attendees(self.object.agreement)
        return kwargs

    def get_initial(self):
        meeting = self.object
        return {
            "title": meeting.title,
            "starts_at": timezone.localtime(meeting.starts_at),
            "place": meeting.place,
            "host": meeting.host,
            "attendees": list(meeting.attendees.all()),
            "guests": meeting.guests,
            "agenda": "\n".join(row.title for row in meeting.agenda_rows if not row.carried_item_id),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["meeting"] = self.object
        context["agreement"] = self.object.agreement
        return context

    def get_service_kwargs(self, form):
        return {"meeting": self.object, **form.cleaned_data}


class MeetingMinutesView(_MeetingObjectMixin, ScopedObjectMixin, FormView):
    """Record the draft minutes: text, attendance, new decisions and a ruling on each carried-over item."""

    scope_action = "edit"
    form_class = MinutesForm
    template_name = "partnerships/meetings/meeting_minutes.html"

    def refuse(self):
        if self.object.is_published and self.request.method == "GET":
            return self.turn_away(
                _("The minutes are published and locked; record a correction to change them."),
                to=reverse("partnerships:meeting_correct", args=[self.object.pk]),
            )
        return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["attendee_choices"] = eligible_attendees(self.object.agreement)
        return kwargs

    def get_initial(self):
        meeting = self.object
        return {"minutes": meeting.minutes, "attendees": list(meeting.attendees.all()), "guests": meeting.guests}

    def _carried_rows(self):
        return [row for row in self.object.agenda_rows if row.carried_item_id]

    def _formsets(self):
        meeting = self.object
        data = self.request.POST if self.request.method == "POST" else None
        new_decisions = [d for d in meeting.decision_rows if d.outcome == Decision.Outcome.NEW]
        decisions = DecisionFormSet(
            data,
            prefix="decisions",
            initial=[
                {
                    "id": d.pk,
                    "text": d.ruling.text,
                    "responsible_party": d.responsible_party_id,
                    "responsible_person": d.responsible_person_id,
                    "due_on": d.due_on,
                    "priority": d.priority,
                }
                for d in new_decisions
            ],
            form_kwargs={"choices": decision_choices(meeting)},
        )
        rulings_by_item = {d.carried_item_id: d for d in meeting.decision_rows if d.carried_item_id}
        initial = []
        for row in self._carried_rows():
            ruling = rulings_by_item.get(row.carried_item_id)
            entry = {"carried_item": row.carried_item_id}
            if ruling:
                entry.update(
                    outcome=ruling.outcome,
                    text=ruling.ruling.text,
                    due_on=ruling.ruling.due_on,
                    responsible_party=ruling.ruling.party_id,
                )
            initial.append(entry)
        rulings = RulingFormSet(
            data, prefix="rulings", initial=initial, form_kwargs={"parties": _parties(meeting.agreement)}
        )
        rows = {row.carried_item_id: row for row in self._carried_rows()}
        for form in rulings:
            item_id = form.initial.get("carried_item")
            form.agenda_row = rows.get(item_id)
        return decisions, rulings, rulings_by_item

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "decision_formset" not in kwargs:
            context["decision_formset"], context["ruling_formset"], _unused = self._formsets()
        context["meeting"] = self.object
        context["error_summary"] = self._error_summary(
            context["form"], context["decision_formset"], context["ruling_formset"]
        )
        return context

    def _error_summary(self, form, decision_formset, ruling_formset) -> list[dict]:
        """Every error of the page, each linking to its field: the minutes, then each decision, then each ruling."""
        if not form.is_bound:
            return []
        parts: list = [form, (decision_formset, _("Decisions"))]
        # Rows are numbered as the page shows them: a row removed on the page (absent from the post) takes no number.
        shown = [row for row in decision_formset if f"{row.prefix}-text" in form.data]
        parts += [(row, _("Decision %(number)s") % {"number": number}) for number, row in enumerate(shown, 1)]
        parts.append((ruling_formset, _("Rulings on carried-over action items")))
        for ruling_form in ruling_formset:
            row = getattr(ruling_form, "agenda_row", None)
            parts.append((ruling_form, row.carried_item.title if row else _("Ruling")))
        return error_summary(*parts)

    def _new_decisions(self, decision_formset) -> list[tuple[dict, object]]:
        """The decision rows to save (blank rows and rows ticked for removal left out), each with its form."""
        kept = []
        for decision_form in decision_formset:
            data = decision_form.cleaned_data
            if not data or data.get("DELETE") or not (data.get("text") or "").strip():
                continue
            fields = ("id", "text", "responsible_party", "responsible_person", "due_on", "priority")
            kept.append(({**{key: data.get(key) for key in fields}, "outcome": Decision.Outcome.NEW}, decision_form))
        return kept

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        decision_formset, ruling_formset, rulings_by_item = self._formsets()
        context = {"form": form, "decision_formset": decision_formset, "ruling_formset": ruling_formset}
        if not (form.is_valid() and decision_formset.is_valid() and ruling_formset.is_valid()):
            return self.render_to_response(self.get_context_data(**context))
        new_decisions = self._new_decisions(decision_formset)
        decisions = [data for data, _form in new_decisions]
        for ruling_form in ruling_formset:
            data = ruling_form.cleaned_data
            if not data.get("outcome"):
                continue
            existing = rulings_by_item.get(data["carried_item"])
            decisions.append({**data, "id": existing.pk if existing else None})
        try:
            minutes_services.minutes_save_draft(
                actor=request.user,
                meeting=self.object,
                minutes=form.cleaned_data["minutes"],
                attendee_ids=[user.pk for user in form.cleaned_data["attendees"]],
                guests=form.cleaned_data["guests"],
                decisions=decisions,
            )
        except minutes_services.DecisionError as exc:
            target = new_decisions[exc.index][1] if exc.index < len(new_decisions) else form
            show_service_errors(target, exc)
            return self.render_to_response(self.get_context_data(**context))
        except minutes_services.RulingError as exc:
            target = next((f for f in ruling_formset if f.cleaned_data.get("carried_item") == exc.item_id), None)
            show_service_errors(target or form, exc)
            return self.render_to_response(self.get_context_data(**context))
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.render_to_response(self.get_context_data(**context))
        messages.success(request, _("Draft minutes saved."))
        return redirect(self.object)


class MeetingPublishView(_MeetingObjectMixin, ServiceActionView):
    """Publish the draft minutes (POST): they lock, become version 1, and rulings reach the items."""

    http_method_names = ["post"]
    service = minutes_services.minutes_publish
    object_kwarg = "meeting"
    success_message = gettext_lazy("Minutes published.")

    def get_error_url(self):
        return reverse("partnerships:meeting_minutes", args=[self.object.pk])


class MeetingCorrectView(_MeetingObjectMixin, ScopedObjectMixin, ServiceFormView):
    """Correct published minutes: a new version with its reason; the earlier versions stay readable."""

    scope_action = "edit"
    form_class = CorrectionForm
    template_name = "partnerships/meetings/meeting_correct.html"
    service = minutes_services.minutes_correct
    success_message = gettext_lazy("Correction published as version %(number)s.")

    def refuse(self):
        if not self.object.is_published:
            return self.turn_away(
                _("The minutes are not published yet; edit the draft instead."),
                to=reverse("partnerships:meeting_minutes", args=[self.object.pk]),
            )
        return None

    def get_initial(self):
        return {"minutes": self.object.minutes}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["meeting"] = self.object
        return context

    def get_service_kwargs(self, form):
        return {"meeting": self.object, **form.cleaned_data}


class MeetingCancelView(_MeetingObjectMixin, ScopedObjectMixin, ServiceFormView):
    """Call a meeting off with a reason; attendees and parties are told and their calendar entry withdrawn."""

    scope_action = "edit"
    form_class = MeetingCancelForm
    template_name = "partnerships/meetings/meeting_cancel.html"
    service = services.meeting_cancel
    success_message = gettext_lazy("Meeting cancelled; everyone concerned is told.")

    def refuse(self):
        if self.object.is_cancelled or self.object.minutes_status != JointMeeting.MinutesStatus.PENDING:
            return self.turn_away(_("This meeting can no longer be cancelled."))
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["meeting"] = self.object
        return context

    def get_service_kwargs(self, form):
        return {"meeting": self.object, **form.cleaned_data}


urlpatterns = [
    path("agreements/<int:pk>/meetings/new/", MeetingCreateView.as_view(), name="meeting_create"),
    path("meetings/<int:pk>/", MeetingDetailView.as_view(), name="meeting_detail"),
    path("meetings/<int:pk>/edit/", MeetingUpdateView.as_view(), name="meeting_update"),
    path("meetings/<int:pk>/minutes/", MeetingMinutesView.as_view(), name="meeting_minutes"),
    path("meetings/<int:pk>/publish/", MeetingPublishView.as_view(), name="meeting_publish"),
    path("meetings/<int:pk>/cancel/", MeetingCancelView.as_view(), name="meeting_cancel"),
    path("meetings/<int:pk>/correct/", MeetingCorrectView.as_view(), name="meeting_correct"),
    path("meetings/<int:pk>/print/", MeetingPrintView.as_view(), name="meeting_print"),
]
