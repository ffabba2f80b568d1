"""Forms for activities: schedule/edit, the quick log (built for a phone), cancellation. Validation only; the
services write and check again."""

from __future__ import annotations

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activities.models import Activity, ActivityPhoto, ActivityType, PendingPhoto, PlannedActivity
from activities.photos import PHOTO_MAX_FILES, check_photos
from activities.rules import count_named
from partnerships.forms.action_items import MultipleFileField, MultipleFileInput
from partnerships.forms.directory import _CrispyMixin
from partnerships.models import Agreement, Member, Organization
from portal.dates import BoundedDateTimeField
from portal.widgets import SearchSelectMultiple

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
PHOTO_ACCEPT = "image/*"


def _datetime_field(label) -> BoundedDateTimeField:
    return BoundedDateTimeField(
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class OrganizationChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


def preselect_single(form: forms.Form, names) -> None:
    """A required choice with exactly one option starts on it (no empty “请选择” to tap past): one LIMIT 2 query each."""
    for name in names:
        field = form.fields[name]
        if not field.required or form.initial.get(name) not in (None, ""):
            continue
        options = list(field.queryset[:2])
        if len(options) == 1:
            form.initial[name] = options[0].pk
            field.empty_label = None


class ActivityForm(_CrispyMixin, forms.Form):
    """Schedule or edit an activity. The lead is one of the user's organizations; under an agreement, the lead and
    co-organizers are its parties (the service checks and reports next to the fields)."""

    title = forms.CharField(label=_("Title"), max_length=Activity._meta.get_field("title").max_length)
    type = forms.ModelChoiceField(label=_("Type"), queryset=ActivityType.objects.none())
    agreement = forms.ModelChoiceField(
        label=_("Agreement"),
        queryset=Agreement.objects.none(),
        required=False,
        help_text=_("Leave empty for the branch's own activity."),
    )
    plan_row = forms.ModelChoiceField(queryset=PlannedActivity.objects.none(), required=False, widget=forms.HiddenInput)
    lead = forms.ModelChoiceField(label=_("Lead organization"), queryset=Organization.objects.none())
    co_organizers = OrganizationChoices(
        label=_("Co-organizers"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("Under an agreement, the lead and the co-organizers must be its parties."),
    )
    starts_at = _datetime_field(_("Starts at"))
    ends_at = _datetime_field(_("Ends at"))
    place = forms.CharField(label=_("Activity place"), max_length=Activity._meta.get_field("place").max_length)
    description = forms.CharField(label=_("Arrangements"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, leads, agreements, co_organizers, plan_rows, types, parties_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = leads
        self.fields["agreement"].queryset = agreements
        field = self.fields["co_organizers"]
        if parties_only:
            # Under an agreement only its parties can co-organize: a few checkboxes, quick to tick on a phone.
            field.widget = forms.CheckboxSelectMultiple()
            field.help_text = _("Only the parties of the agreement can co-organize.")
        else:
            # Any organization: search as you type (a plain list while there are few organizations).
            # Any organization: removable chips, searched as you type (static/js/search-select.js).
            field.widget = SearchSelectMultiple(
                "organizations",
                "all",
                attrs={
                    "size": 6,
                    "data-gj-chips": "",
                    "data-placeholder": _("Type to search…"),
                    "data-no-results": _("No matches"),
                },
            )
            field.widget.choices = field.choices
        field.queryset = co_organizers
        self.fields["plan_row"].queryset = plan_rows
        self.fields["type"].queryset = types
        preselect_single(self, ("lead", "type"))
        self.helper = self._helper(
            Layout(
                "title",
                Row(Column("type", css_class="col-md-4"), Column("agreement", css_class="col-md-8")),
                Row(Column("lead", css_class="col-md-6"), Column("co_organizers", css_class="col-md-6")),
                Row(Column("starts_at", css_class="col-12 col-sm-6"), Column("ends_at", css_class="col-12 col-sm-6")),
                "place",
                "description",
                "plan_row",
            )
        )

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at < starts_at:
            self.add_error("ends_at", _("The activity cannot end before it starts."))
        return data


class MemberChoices(forms.ModelMultipleChoiceField):
    """Roster members shown as “name（organization）” — never with their phone numbers."""

    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.name}（{obj.organization.display_name}）"


class PhotoChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ActivityPhoto) -> str:
        return obj.original_name


class ActivityLogForm(forms.Form):
    """The quick log: summary, outcomes, one headcount per participating organization, named participants, photos
    to add or remove (publicity is written afterwards, as a publicity item). Headcount fields are named ``headcount_<organization id>``
    so the service's errors land next to them."""

    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}))
    outcomes = forms.CharField(label=_("Outcomes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    participants = MemberChoices(
        label=_("Named participants"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": PHOTO_ACCEPT}),
        help_text=_("Images only, up to 10 MB each, at most %(n)s at a time.") % {"n": PHOTO_MAX_FILES},
    )
    pending_photos = forms.ModelMultipleChoiceField(
        queryset=PendingPhoto.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,
        error_messages={"invalid_choice": _("A photo uploaded earlier is no longer available; pick it again.")},
    )
    remove_photos = PhotoChoices(
        label=_("Remove photos"),
        queryset=ActivityPhoto.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # The idempotency key of this filling of the form, made by static/js/offline-log.js when the form opens (an
    # offline draft keeps it): the same key sent twice logs once.
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organizations, members, photos, groups=None, pending=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = list(organizations)
        # {party group id: participating organization id}: a 党小组's members count towards their branch.
        self.groups = dict(groups or {})
        self.fields["participants"].queryset = members
        self.fields["remove_photos"].queryset = photos
        if pending is not None:
            self.fields["pending_photos"].queryset = pending
        for org in self.organizations:
            self.fields[self.headcount_field(org.pk)] = forms.IntegerField(
                label=org.name, min_value=0, max_value=100000, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
            )

    @staticmethod
    def headcount_field(org_id: int) -> str:
        return f"headcount_{org_id}"

    def headcount_fields(self):
        """The bound headcount fields in participation order (lead first), for the template."""
        return [self[self.headcount_field(org.pk)] for org in self.organizations]

    def participant_sections(self) -> tuple[list[dict], list]:
        """One section per participating organization (lead first) — its headcount field and its members grouped by
        党小组 (the organization's own members first) — and the named participants of no participating organization
        (kept from an earlier log), for the template."""
        sections = {
            org.pk: {"organization": org, "headcount": self[self.headcount_field(org.pk)], "groups": {}, "count": 0}
            for org in self.organizations
        }
        others = []
        for choice in self["participants"]:
            member = choice.data["value"].instance
            home = self.groups.get(member.organization_id, member.organization_id)
            section = sections.get(home)
            if section is None:
                others.append(choice)
                continue
            group = member.organization if member.organization_id in self.groups else None
            bucket = section["groups"].setdefault(member.organization_id, {"group": group, "choices": []})
            bucket["choices"].append(choice)
            section["count"] += 1
        for section in sections.values():
            # The organization's own members first (no group), then its 党小组 in tree order.
            section["groups"] = sorted(section["groups"].values(), key=lambda g: g["group"].path if g["group"] else "")
        return list(sections.values()), others

    def clean_photos(self):
        files = self.cleaned_data.get("photos") or []
        try:
            check_photos(files)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["photos"]) from exc
        return files

    def clean(self):
        data = super().clean()
        named = count_named(data.get("participants") or (), self.groups)
        for org in self.organizations:
            field = self.headcount_field(org.pk)
            headcount = data.get(field)
            if headcount is not None and headcount < named.get(org.pk, 0):
                self.add_error(
                    field,
                    gettext("%(org)s: the headcount (%(headcount)s) is below the %(named)s participants named from it.")
                    % {"org": org.name, "headcount": headcount, "named": named[org.pk]},
                )
        return data

    def service_kwargs(self) -> dict:
        """The cleaned data as ``activity_log`` keyword arguments."""
        data = self.cleaned_data
        return {
            "summary": data["summary"],
            "outcomes": data.get("outcomes", ""),
            "headcounts": {org.pk: data.get(self.headcount_field(org.pk)) for org in self.organizations},
            "participants": list(data.get("participants") or ()),
            "photos": data.get("photos") or [],
            "pending_photos": list(data.get("pending_photos") or ()),
            "remove_photos": list(data.get("remove_photos") or ()),
            "client_key": data.get("client_key"),
        }


class CancelForm(_CrispyMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for cancellation"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper()
