from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from portal import reminders
from portal.models import WebhookEndpoint, validate_webhook_url
from portal.widgets import SearchSelect


class LoginForm(AuthenticationForm):
    """Django's sign-in form with labels for our users and phone-friendly inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "autocomplete": "username"})
        self.fields["password"].label = _("Password")


TOO_MANY_ROWS = _("At most %(num)s rows can be saved at a time.")


def bounded_formset_factory(form, *, max_num: int, formset=forms.BaseFormSet, **kwargs):
    """``formset_factory`` with a ceiling, for every formset of the portal: at most ``max_num`` rows are accepted,
    and whatever ``TOTAL_FORMS`` a request claims, no more than ``max_num`` forms are ever built (``absolute_max``),
    so a forged count costs neither time nor a huge page. Choose ``max_num`` from what a real user needs."""
    formset_class = forms.formset_factory(
        form, formset=formset, max_num=max_num, validate_max=True, absolute_max=max_num, **kwargs
    )
    formset_class.default_error_messages = {"too_many_forms": TOO_MANY_ROWS}
    return formset_class


def kept_forms(formset) -> list[tuple[int, forms.Form]]:
    """The rows of a bound formset to act on, with their indexes: extra rows left blank, rows that did not validate
    and rows ticked for removal are left out; rows that came filled in stay even when unchanged."""
    kept = []
    for index, form in enumerate(formset.forms):
        if index >= formset.initial_form_count() and not form.has_changed():
            continue
        if not getattr(form, "cleaned_data", None):
            continue
        if formset.can_delete and formset._should_delete_form(form):
            continue
        kept.append((index, form))
    return kept


def row_data(form) -> dict:
    """A kept row's cleaned data, without the formset's removal box."""
    return {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}


def checked_files(files, *, max_files: int, check, field: str) -> list:
    """The files of a multi-file upload field: at most ``max_files`` at a time, each passed by ``check`` (the
    service's own rule, whose ValidationError names ``field``); its messages come back as the field's errors."""
    files = files or []
    if len(files) > max_files:
        raise ValidationError(_("Attach at most %(n)s files at a time."), params={"n": max_files})
    try:
        check(files)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict[field]) from exc
    return files


def show_service_errors(form, exc: ValidationError, formset=None) -> None:
    """Put a service's ValidationError next to the fields it names; the rest goes on the formset (list-wide
    errors, when one is given) or above the form. Views call this instead of re-raising, so nothing is lost."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        if field in form.fields and field != NON_FIELD_ERRORS:
            form.add_error(field, errors)
        elif formset is not None and field != NON_FIELD_ERRORS:
            formset.add_general_errors([message for error in errors for message in error.messages])
        else:
            form.add_error(None, errors)


def error_summary(*parts) -> list[dict]:
    """The entries of a form page's error summary (``templates/includes/error_summary.html``): one per message, each
    with the field's label and the id of its input (the summary links there). ``parts`` are forms, formsets, or
    ``(form, prefix)`` pairs whose prefix (say "决议 2") goes before the label. Messages not about one field
    (non-field and formset-wide errors) have no link."""
    entries: list[dict] = []
    for part in parts:
        form, prefix = part if isinstance(part, tuple) else (part, "")
        if isinstance(form, forms.BaseFormSet):
            entries += [{"label": prefix, "message": str(error), "id": ""} for error in form.non_form_errors()]
            continue
        for name, errors in form.errors.items():
            field = form[name] if name != NON_FIELD_ERRORS and name in form.fields else None
            label = str(field.label) if field is not None else ""
            label = "：".join(text for text in (prefix, label) if text)
            target = (field.id_for_label or field.auto_id or "") if field is not None else ""
            entries += [{"label": label, "message": str(error), "id": target} for error in errors]
    return entries


class WebhookEndpointForm(forms.Form):
    """A group robot's settings. The stored address and secret are never put back in the page: on edit, an empty
    address or secret keeps the stored one, and "remove the secret" clears it."""

    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=None, widget=SearchSelect("organizations", "webhooks")
    )
    platform = forms.ChoiceField(label=_("Platform"), choices=WebhookEndpoint.Platform.choices)
    name = forms.CharField(label=_("Name"), max_length=60, help_text=WebhookEndpoint._meta.get_field("name").help_text)
    url = forms.URLField(
        label=_("Robot address"),
        max_length=500,
        assume_scheme="https",
        validators=[validate_webhook_url],
        help_text=WebhookEndpoint._meta.get_field("url").help_text,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        strip=True,
        help_text=WebhookEndpoint._meta.get_field("secret").help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    kinds = forms.MultipleChoiceField(
        label=_("Reminders posted"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to post every kind of reminder about the organization."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args, organizations=None, endpoint: WebhookEndpoint | None = None, **kwargs):
        if endpoint is not None:
            kwargs["initial"] = {
                "platform": endpoint.platform,
                "name": endpoint.name,
                "kinds": endpoint.kinds,
                "enabled": endpoint.enabled,
                **(kwargs.get("initial") or {}),
            }
        super().__init__(*args, **kwargs)
        self.endpoint = endpoint
        self.fields["kinds"].choices = [(kind, entry.label) for kind, entry in reminders.kinds().items()]
        if endpoint is None:
            self.fields["organization"].queryset = organizations
            del self.fields["clear_secret"]
            if organizations is not None and len(organizations) == 1:
                self.fields["organization"].initial = organizations[0]
        else:
            del self.fields["organization"]
            self.fields["url"].required = False
            self.fields["url"].help_text = _("Stored: %(url)s. Leave empty to keep it.") % {"url": endpoint.masked_url}
            if endpoint.secret:
                self.fields["secret"].help_text = _("Stored: %(secret)s. Leave empty to keep it.") % {
                    "secret": endpoint.masked_secret
                }
            else:
                del self.fields["clear_secret"]
        self.helper = FormHelper(self)
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("secret") and cleaned.get("platform") != WebhookEndpoint.Platform.DINGTALK:
            self.add_error("secret", _("Only DingTalk robots sign their messages; leave the secret empty for WeCom."))
        return cleaned

    def service_kwargs(self) -> dict:
        """The cleaned values as the webhook services take them."""
        data = dict(self.cleaned_data)
        kwargs = {key: data[key] for key in ("platform", "name", "url", "kinds", "enabled")}
        if self.endpoint is None:
            kwargs["organization"] = data["organization"]
            kwargs["secret"] = data.get("secret", "")
        elif data.get("clear_secret"):
            kwargs["secret"] = ""
        elif data.get("secret"):
            kwargs["secret"] = data["secret"]
        return kwargs
