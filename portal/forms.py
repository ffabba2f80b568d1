from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's sign-in form with labels for our users and phone-friendly inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "autocomplete": "username"})
        self.fields["password"].label = _("Password")


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
