"""Forms for key projects, zones and their claims, zone checks, pioneer posts and teams. Validation and layout only:
the services write (and check everything again)."""

from __future__ import annotations

import django_filters
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import (
    KeyProject,
    PioneerPost,
    ResponsibilityZone,
    Team,
    TeamMember,
    ZoneAssignment,
    ZoneCheck,
    ZoneDimension,
)
from activities.selectors.business import SCHEDULE_CHOICES, projects_by_schedule
from activities.selectors.projects import assignment_errors, party_organizations, team_member_errors
from activities.services.projects import PROJECT_FIELDS
from activities.services.zones import ZONE_FIELDS
from partnerships.forms.action_items import MultipleFileField, MultipleFileInput
from partnerships.forms.directory import _CrispyMixin
from partnerships.models import Agreement, Member, Organization
from portal.dates import BoundedDateField
from portal.empty_labels import CHOOSE
from portal.forms import bounded_formset_factory, kept_forms
from portal.search import icontains_any
from portal.widgets import SearchSelect

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
MAX_EXTRA_ROWS = 30
# Rows of a zone's claims and of a team's members, blank ones included.
MAX_ZONE_CLAIMS = 50
MAX_TEAM_MEMBERS = 50


def member_label(member: Member) -> str:
    """A roster member as offered in a choice list: the name and organization, never the phone number."""
    return f"{member.name}（{member.organization.display_name}）"


class MemberChoiceField(forms.ChoiceField):
    """A roster member chosen from a list computed once for every row of a formset (no query per row);
    ``cleaned_data`` holds the ``Member``."""

    def __init__(self, *, members=(), **kwargs):
        members = list(members)
        self.members = {str(member.pk): member for member in members}
        kwargs.setdefault("choices", [("", CHOOSE), *((member.pk, member_label(member)) for member in members)])
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.members.get(str(value)) if value not in (None, "") else None


def photo_field(label, help_text=None) -> MultipleFileField:
    return MultipleFileField(
        label=label,
        required=False,
        widget=MultipleFileInput(attrs={"accept": PHOTO_ACCEPT, "capture": "environment"}),
        help_text=help_text or _("Images only (JPEG, PNG, WebP, GIF), up to 10 MB each."),
    )


class _NoModelClean:
    def _post_clean(self):
        # The service runs full_clean and reports its errors next to these fields; validating the instance here too
        # would show constraint messages twice and let the form, not the service, decide.
        pass


class _PeriodClean:
    """A form with ``starts_on`` and an optional ``ends_on``: the end may not come before the start."""

    period_error = _("The period cannot end before it starts.")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", self.period_error)
        return cleaned


def _period_row():
    return Row(Column("starts_on", css_class="col-6"), Column("ends_on", css_class="col-6"))


def _rows_formset(form, formset, max_num: int, extra: int):
    """The formset of a list of people replaced as a whole: ``extra`` blank rows (30 at most), removable rows."""
    return bounded_formset_factory(
        form, formset=formset, max_num=max_num, extra=max(0, min(extra, MAX_EXTRA_ROWS)), can_delete=True
    )


# --- key projects ---------------------------------------------------------------------------------------------------


class KeyProjectForm(_CrispyMixin, _NoModelClean, _PeriodClean, forms.ModelForm):
    """A key project. ``agreements`` (when creating without a fixed agreement) lists where the user may record one;
    ``owners`` the parties that may be made responsible for it."""

    agreement = forms.ModelChoiceField(
        label=_("Agreement"), queryset=Agreement.objects.none(), widget=SearchSelect("agreements", "projects")
    )
    owner = forms.ModelChoiceField(label=_("Responsible organization"), queryset=Organization.objects.none())
    period_error = _("The project cannot end before it starts.")

    class Meta:
        model = KeyProject
        fields = PROJECT_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "starts_on": forms.DateInput(**DATE_WIDGET),
            "ends_on": forms.DateInput(**DATE_WIDGET),
        }

    def __init__(self, *args, owners, agreements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agreements is None:
            del self.fields["agreement"]
        else:
            self.fields["agreement"].queryset = agreements
        self.fields["owner"].queryset = owners
        self.fields["owner"].help_text = _("The party whose secretary keeps the project's zones and posts.")
        if self.instance.pk:
            self.fields["owner"].initial = self.instance.owner_id
        else:
            del self.fields["status"]
            if owners.count() == 1:
                self.fields["owner"].initial = owners.first().pk
        self.helper = self._helper(
            Layout(
                *(["agreement"] if "agreement" in self.fields else []),
                Row(Column("name", css_class="col-md-8"), Column("code", css_class="col-md-4")),
                Row(Column("owner", css_class="col-md-6"), Column("location", css_class="col-md-6")),
                "description",
                Row(
                    Column("starts_on", css_class="col-6 col-md-4"),
                    Column("ends_on", css_class="col-6 col-md-4"),
                    Column("supervision_phone", css_class="col-md-4"),
                ),
                "is_joint",
                "honours",
                *(["status"] if "status" in self.fields else []),
            )
        )


class KeyProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=KeyProject.Status.choices)
    # The committee's panel links each of its counts here (projects under way only, as it counts them).
    schedule = django_filters.ChoiceFilter(label=_("Schedule"), choices=SCHEDULE_CHOICES, method="by_schedule")

    class Meta:
        model = KeyProject
        fields = ["q", "status", "schedule"]

    def by_schedule(self, queryset, name, value):
        return projects_by_schedule(queryset, value, timezone.localdate())

    def search(self, queryset, name, value):
        return queryset.filter(
            icontains_any(("name", "code", "location", "agreement__title", "agreement__number", "owner__name"), value)
        )


# --- zones ----------------------------------------------------------------------------------------------------------


class ZoneForm(_CrispyMixin, _NoModelClean, forms.ModelForm):
    """A red responsibility zone: the lead is a party of the project's agreement."""

    dimensions = forms.MultipleChoiceField(
        label=_("Responsibility dimensions"),
        choices=ZoneDimension.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    lead = forms.ModelChoiceField(label=_("Lead organization"), queryset=Organization.objects.none())

    class Meta:
        model = ResponsibilityZone
        fields = ZONE_FIELDS
        widgets = {
            "area": forms.Textarea(attrs={"rows": 2}),
            "pledges": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"pledges": _("One pledge per line; each line is a line on the publicity board.")}

    def __init__(self, *args, project: KeyProject, **kwargs):
        super().__init__(*args, **kwargs)
        parties = party_organizations(project.agreement)
        self.fields["lead"].queryset = Organization.objects.filter(pk__in=[org.pk for org in parties]).order_by("path")
        self.fields["lead"].help_text = _("The party whose secretary keeps this zone with the project's owner.")
        if self.instance.pk:
            self.fields["lead"].initial = self.instance.lead_id
            self.fields["dimensions"].initial = list(self.instance.dimensions)
        else:
            self.fields["lead"].initial = project.owner_id
        self.fields["supervision_phone"].help_text = _("Leave empty to show the project's supervision phone.")
        self.fields["order"].required = False
        self.fields["order"].help_text = _("Zones are listed by this number.")
        self.helper = self._helper(
            Layout(
                Row(Column("name", css_class="col-md-8"), Column("order", css_class="col-md-4")),
                "area",
                "dimensions",
                "pledges",
                Row(Column("lead", css_class="col-md-6"), Column("supervision_phone", css_class="col-md-6")),
            )
        )

    def clean_order(self):
        return self.cleaned_data.get("order") or 0


class _RowsFormSet(forms.BaseFormSet):
    """A list of people replaced as a whole: blank extra rows and rows ticked for removal are left out."""

    row_fields: tuple[str, ...] = ()

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")

    def kept(self) -> list[tuple[int, forms.Form]]:
        return kept_forms(self)

    def rows(self) -> list[dict]:
        """The kept rows as the service's list argument."""
        return [{key: form.cleaned_data.get(key) for key in self.row_fields} for _index, form in self.kept()]

    def apply_errors(self, general: list[str], by_row: dict[int, dict[str, list[str]]]) -> bool:
        """Attach a rule function's errors to the kept rows (by position) and the formset; False when any."""
        kept = self.kept()
        for position, fields in by_row.items():
            form = kept[position][1]
            for name, messages in fields.items():
                for message in messages:
                    form.add_error(name if name in form.fields else None, message)
        if general:
            self._non_form_errors = self.error_class([*self.non_form_errors(), *general])
        return not general and not by_row

    def add_general_errors(self, messages) -> None:
        self._non_form_errors = self.error_class([*self.non_form_errors(), *messages])


def _row_widgets(form) -> None:
    """Formset rows are table cells: Bootstrap classes on the bare widgets (no crispy label on every row)."""
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("aria-label", str(field.label))


class ZoneAssignmentForm(forms.Form):
    """One claim: a roster member, the role (责任人/成员) and the post held in the zone."""

    member = forms.ChoiceField(label=_("Party member"))
    role = forms.ChoiceField(label=_("Role"), choices=ZoneAssignment.Role.choices, initial=ZoneAssignment.Role.MEMBER)
    post = forms.CharField(label=_("Post"), max_length=60, required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = MemberChoiceField(label=_("Party member"), members=members)
        self.fields["post"].widget.attrs["placeholder"] = _("e.g. 安全监督岗")
        _row_widgets(self)


class BaseZoneAssignmentFormSet(_RowsFormSet):
    """The zone's claims; the service's own rules (``assignment_errors``) put each error on its row."""

    row_fields = ("member", "role", "post")

    def __init__(self, *args, project: KeyProject, **kwargs):
        self.project = project
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        general, by_row = assignment_errors(self.project, self.rows())
        self.apply_errors(general, by_row)


def zone_assignment_formset(extra: int = 3):
    return _rows_formset(ZoneAssignmentForm, BaseZoneAssignmentFormSet, MAX_ZONE_CLAIMS, extra)


# --- zone checks ----------------------------------------------------------------------------------------------------


class ZoneCheckForm(_CrispyMixin, forms.Form):
    """A zone check: when, who, what was found (category "none" = no problem), when the fix is due, photos."""

    checked_on = BoundedDateField(label=_("Checked on"), widget=forms.DateInput(**DATE_WIDGET))
    inspectors = forms.CharField(label=_("Inspectors"), max_length=120, required=False)
    category = forms.ChoiceField(label=_("Finding category"), choices=ZoneCheck.Category.choices)
    finding = forms.CharField(label=_("Finding"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    fix_due_on = BoundedDateField(label=_("Fix due on"), required=False, widget=forms.DateInput(**DATE_WIDGET))
    photos = photo_field(_("Photos"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checked_on"].initial = timezone.localdate()
        self.helper = self._helper(
            Layout(
                Row(
                    Column("checked_on", css_class="col-6 col-md-4"),
                    Column("category", css_class="col-6 col-md-4"),
                    Column("fix_due_on", css_class="col-md-4"),
                ),
                "inspectors",
                "finding",
                "photos",
            )
        )

    def clean(self):
        cleaned = super().clean()
        category, finding = cleaned.get("category"), (cleaned.get("finding") or "").strip()
        if category and category != ZoneCheck.Category.NONE and not finding:
            self.add_error("finding", _("Describe what was found."))
        checked_on, due = cleaned.get("checked_on"), cleaned.get("fix_due_on")
        if category != ZoneCheck.Category.NONE and checked_on and due and due < checked_on:
            self.add_error("fix_due_on", _("The fix cannot be due before the check."))
        return cleaned


class ZoneCheckFixForm(_CrispyMixin, forms.Form):
    """How an open finding was fixed, when, and photos of the result."""

    fix = forms.CharField(label=_("Fix"), widget=forms.Textarea(attrs={"rows": 3}))
    fixed_on = BoundedDateField(label=_("Fixed on"), widget=forms.DateInput(**DATE_WIDGET))
    photos = photo_field(_("Photos of the fix"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fixed_on"].initial = timezone.localdate()
        self.helper = self._helper(Layout("fix", "fixed_on", "photos"))


# --- pioneer posts --------------------------------------------------------------------------------------------------


class PioneerPostForm(_CrispyMixin, _PeriodClean, forms.Form):
    """A pioneer post: a member of a roster the user keeps, the post, duties, an optional project, the period."""

    member = forms.ChoiceField(label=_("Party member"))
    post = forms.CharField(label=_("Post"), max_length=80, help_text=_("For example 安全生产先锋岗."))
    duties = forms.CharField(label=_("Duties and pledge"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    project = forms.ModelChoiceField(label=_("Key project"), queryset=KeyProject.objects.none(), required=False)
    starts_on = BoundedDateField(label=_("From"), widget=forms.DateInput(**DATE_WIDGET))
    ends_on = BoundedDateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(**DATE_WIDGET),
        help_text=_("Set a date to end the post; leave empty while it is held."),
    )

    def __init__(self, *args, members, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = MemberChoiceField(label=_("Party member"), members=members)
        self.fields["project"].queryset = projects
        self.helper = self._helper(
            Layout(
                Row(Column("member", css_class="col-md-6"), Column("post", css_class="col-md-6")),
                "duties",
                "project",
                _period_row(),
            )
        )

    @staticmethod
    def initial_for(post: PioneerPost) -> dict:
        return {
            "member": post.member_id,
            "post": post.post,
            "duties": post.duties,
            "project": post.project_id,
            "starts_on": post.starts_on,
            "ends_on": post.ends_on,
        }


# --- teams ----------------------------------------------------------------------------------------------------------


class TeamForm(_CrispyMixin, _PeriodClean, forms.Form):
    """A commando or vanguard team: name, kind, purpose, lead organization, optional project, period."""

    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=Team.Kind.choices)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}))
    organization = forms.ModelChoiceField(label=_("Lead organization"), queryset=Organization.objects.none())
    project = forms.ModelChoiceField(
        label=_("Key project"),
        queryset=KeyProject.objects.none(),
        required=False,
        help_text=_("On a project, members may come from every party of its agreement."),
    )
    starts_on = BoundedDateField(label=_("From"), widget=forms.DateInput(**DATE_WIDGET))
    ends_on = BoundedDateField(label=_("Until"), required=False, widget=forms.DateInput(**DATE_WIDGET))

    def __init__(self, *args, organizations, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["project"].queryset = projects
        self.helper = self._helper(
            Layout(
                Row(Column("name", css_class="col-md-8"), Column("kind", css_class="col-md-4")),
                "purpose",
                Row(Column("organization", css_class="col-md-6"), Column("project", css_class="col-md-6")),
                _period_row(),
            )
        )

    @staticmethod
    def initial_for(team: Team) -> dict:
        return {
            "name": team.name,
            "kind": team.kind,
            "purpose": team.purpose,
            "organization": team.organization_id,
            "project": team.project_id,
            "starts_on": team.starts_on,
            "ends_on": team.ends_on,
        }


class TeamMemberForm(forms.Form):
    """One team member: a roster member and the role (队长/队员)."""

    member = forms.ChoiceField(label=_("Party member"))
    role = forms.ChoiceField(label=_("Role"), choices=TeamMember.Role.choices, initial=TeamMember.Role.MEMBER)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = MemberChoiceField(label=_("Party member"), members=members)
        _row_widgets(self)


class BaseTeamMemberFormSet(_RowsFormSet):
    """The team's members; checked against the lead organization and project chosen on the team form."""

    row_fields = ("member", "role")

    def check(self, organization, project) -> bool:
        general, by_row = team_member_errors(organization, project, self.rows())
        return self.apply_errors(general, by_row)


def team_member_formset(extra: int = 3):
    return _rows_formset(TeamMemberForm, BaseTeamMemberFormSet, MAX_TEAM_MEMBERS, extra)
