"""Forms for publicity items and branch brands. Validation only; the services write and check again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from activities.models import ActivityPhoto, PublicityItem
from partnerships.forms.directory import _CrispyMixin
from partnerships.models import Organization


class PhotoPick(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ActivityPhoto) -> str:
        return obj.caption or obj.original_name


class PublicityItemForm(_CrispyMixin, forms.Form):
    """Title, text, link and which of the activity's photos the item shows (ticked on thumbnails)."""

    title = forms.CharField(label=_("Title"), max_length=PublicityItem._meta.get_field("title").max_length)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    link = forms.URLField(
        label=_("Report link"),
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text=_("Where the report was published, if online."),
    )
    photos = PhotoPick(
        label=_("Photos"), queryset=ActivityPhoto.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, photos, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].queryset = photos


class ReturnForm(_CrispyMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for returning"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper()


class BranchBrandForm(_CrispyMixin, forms.Form):
    brand = forms.CharField(
        label=_("Distinctive brand"), max_length=Organization._meta.get_field("brand").max_length, required=False
    )
    brand_description = forms.CharField(
        label=_("Brand description"),
        max_length=Organization._meta.get_field("brand_description").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self._helper()
