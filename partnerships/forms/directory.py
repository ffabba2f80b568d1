"""Forms validate input and lay it out; services do the writing."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from partnerships.models import Member, Organization
from partnerships.services.directory import MEMBER_FIELDS, ORGANIZATION_FIELDS
from portal.uploads import OFFICE, check_upload
from portal.widgets import SearchSelect


class _CrispyMixin:
    """Crispy layout without the <form> tag: templates own the tag, the CSRF token and the buttons."""

    def _helper(self, layout: Layout | None = None) -> FormHelper:
        helper = FormHelper(self)
        helper.form_tag = False
        if layout is not None:
            helper.layout = layout
        return helper


class OrganizationForm(_CrispyMixin, forms.ModelForm):
    """Directory entry of an organization; ``parent`` is offered only when creating."""

    parent = forms.ModelChoiceField(
        label=_("Parent organization"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("Leave empty to create a new top-level organization (administrators only)."),
        widget=SearchSelect("organizations", "parents"),
    )

    class Meta:
        model = Organization
        fields = ORGANIZATION_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, parent_choices=None, allow_root: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_root = allow_root
        if parent_choices is None:
            del self.fields["parent"]
        else:
            self.fields["parent"].queryset = parent_choices
            self.fields["parent"].required = not allow_root
            if not allow_root:
                self.fields["parent"].help_text = ""
        self.helper = self._helper(
            Layout(
                *(["parent"] if "parent" in self.fields else []),
                Row(Column("name", css_class="col-md-8"), Column("short_name", css_class="col-md-4")),
                Row(Column("kind", css_class="col-md-6"), Column("sector", css_class="col-md-6")),
                "unit_name",
                Row(
                    Column("secretary_name", css_class="col-md-4"),
                    Column("contact_name", css_class="col-md-4"),
                    Column("contact_phone", css_class="col-md-4"),
                ),
                "address",
                "description",
                Row(Column("brand", css_class="col-md-4"), Column("brand_description", css_class="col-md-8")),
            )
        )


class MemberForm(_CrispyMixin, forms.ModelForm):
    """A roster row. The organization is one the user is secretary of."""

    class Meta:
        model = Member
        # The service's whitelist also takes ``user`` (linking a login), which this form does not offer.
        fields = ["organization", *(name for name in MEMBER_FIELDS if name != "user")]
        widgets = {
            "organization": SearchSelect("organizations", "roster-write"),
            "joined_party_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (
            organizations if organizations is not None else Organization.objects.none()
        )
        self.fields["phone"].help_text = _("Mobile (11 digits) or landline with area code, e.g. 010-12345678.")
        self.helper = self._helper(
            Layout(
                "organization",
                Row(Column("name", css_class="col-8"), Column("gender", css_class="col-4")),
                "title",
                Row(Column("status", css_class="col-md-6"), Column("joined_party_on", css_class="col-md-6")),
                "phone",
            )
        )


XLSX = {mime: ext for mime, ext in OFFICE.items() if ext == ".xlsx"}


class MemberImportForm(_CrispyMixin, forms.Form):
    """Upload of a filled-in roster template."""

    organization = forms.ModelChoiceField(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        widget=SearchSelect("organizations", "roster-write"),
    )
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (
            organizations if organizations is not None else Organization.objects.none()
        )
        self.helper = self._helper()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.ROSTER_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s."),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        # Judged by content, not by name: a sound .xlsx zip (main part present, unpacked size capped) or nothing.
        try:
            check_upload(upload, allowed=XLSX, max_bytes=limit)
        except ValidationError as exc:
            raise forms.ValidationError(
                _("The file is not an Excel workbook (.xlsx). Download the template and fill it in.")
            ) from exc
        return upload
