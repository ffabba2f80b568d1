"""The edge handling every write page shares, written once; a view declares what is its own.

* ``ServiceFormMixin`` / ``ServiceFormView`` — GET shows the form; a valid POST calls the declared ``service`` with
  ``actor=request.user`` and the kwargs ``get_service_kwargs(form)`` builds (``form.cleaned_data`` by default). The
  service's ``ValidationError`` goes back on the form (``show_service_errors``: a field's errors next to it, the rest
  above the form); on success, ``success_message`` (``%(name)s`` placeholders read the result's attributes) and a
  redirect to ``success_url`` (else the page object's ``get_absolute_url``, else the result's).
* ``ScopedObjectMixin`` — the object the page is about, loaded once before the handler runs: out of scope → 404,
  visible but not editable → 403 (``ScopedViewMixin.get_object``), then ``check_object`` (another rule → 403) and
  ``refuse`` (a state that refuses the page → a message and a redirect).
* ``ServiceActionView`` — a POST-only button acting on the page's object through one service (errors as messages).
* ``ParentObjectMixin`` — the object a create page works under (``<pk>`` in the URL): read through
  ``parent_queryset(user)`` (not found → 404), then it must be in ``parent_editable(user)`` (403).

Anonymous users load nothing here: ``LoginRequiredMiddleware`` sends them to the login page first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import FormView, View
from django.views.generic.detail import SingleObjectMixin

from portal.forms import show_service_errors
from portal.scoping import ScopedViewMixin, ensure_editable


def _declared(view, name: str) -> Callable | None:
    """A callable declared as a class attribute (a module function or a manager's method), never bound to the view."""
    return getattr(type(view), name)


class _Attributes(Mapping):
    """``message % _Attributes(obj)`` fills ``%(name)s`` with ``obj.name``."""

    def __init__(self, obj) -> None:
        self.obj = obj

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self.obj, key)
        except AttributeError as exc:
            raise KeyError(key) from exc

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def _filled(message, obj) -> str:
    """``message`` with its ``%(name)s`` placeholders read from ``obj``'s attributes."""
    text = str(message)
    return text % _Attributes(obj) if "%(" in text else text


class ServiceFormMixin:
    """A form whose valid POST is handed to one service, inside the request."""

    service: Callable[..., Any] | None = None
    success_message = ""
    success_url = None

    def get_service_kwargs(self, form) -> dict[str, Any]:
        """What the service receives besides ``actor``: the cleaned data unless the view says more."""
        return dict(form.cleaned_data)

    def perform(self, form):
        """Call the service; its result is what the message and the redirect talk about."""
        return _declared(self, "service")(actor=self.request.user, **self.get_service_kwargs(form))

    def get_success_message(self, result) -> str:
        return _filled(self.success_message, result)

    def get_success_url(self) -> str:
        if self.success_url:
            return str(self.success_url)
        target = getattr(self, "object", None) or self.result
        return target.get_absolute_url()

    def form_valid(self, form):
        try:
            self.result = self.perform(form)
        except ValidationError as exc:
            show_service_errors(form, exc)
            return self.form_invalid(form)
        message = self.get_success_message(self.result)
        if message:
            messages.success(self.request, message)
        return redirect(self.get_success_url())


class ServiceFormView(ServiceFormMixin, FormView):
    """``ServiceFormMixin`` on Django's ``FormView``."""


class ScopedObjectMixin(ScopedViewMixin, SingleObjectMixin):
    """The page's own object (``<pk>``), loaded before the handler: 404 out of scope, 403 when the page writes and
    the user may only read; ``check_object`` and ``refuse`` add the page's own rules."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.load_object()
            self.check_object(self.object)
            refusal = self.refuse()
            if refusal is not None:
                return refusal
        return super().dispatch(request, *args, **kwargs)

    def load_object(self) -> None:
        """Set ``self.object`` (and whatever else the page reads with it, in subclasses)."""
        self.object = self.get_object()

    def check_object(self, obj) -> None:
        """Raise ``PermissionDenied`` when another rule than the scope refuses the user (the scope is checked)."""

    def refuse(self):
        """A response sending the user away when the object's state refuses this page (``turn_away``), or None."""
        return None

    def turn_away(self, message, *, level: int = messages.INFO, to=None):
        """Say why with a message and go back to ``to`` (the object by default)."""
        messages.add_message(self.request, level, message)
        return redirect(to if to is not None else self.object)


class ServiceActionView(ScopedViewMixin, SingleObjectMixin, View):
    """A button on an object's page: a POST loads the object (404 out of scope, 403 read-only), calls ``service``
    with it as ``object_kwarg``; refusals (``ValidationError``) come back as error messages and a redirect to
    ``get_error_url()``, success as ``success_message`` (placeholders read from the object) and a redirect to ``get_success_url()`` (both the object's
    page unless overridden). Other methods are refused by ``View`` (405) before anything is read."""

    service: Callable[..., Any] | None = None
    object_kwarg = "object"
    success_message = ""
    join_errors = False  # one message with every error, instead of one message each

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            self.result = _declared(self, "service")(actor=request.user, **{self.object_kwarg: self.object})
        except ValidationError as exc:
            for message in [" ".join(exc.messages)] if self.join_errors else exc.messages:
                messages.error(request, message)
            return redirect(self.get_error_url())
        messages.success(request, _filled(self.success_message, self.object))
        return redirect(self.get_success_url())

    def get_error_url(self) -> str:
        return self.object.get_absolute_url()

    def get_success_url(self) -> str:
        return self.object.get_absolute_url()


class ParentObjectMixin:
    """The object a page works under, from the URL's ``parent_kwarg``: read through ``parent_queryset(user)``
    (404 when not there), written only by users it is in ``parent_editable(user)`` for (403; by default the
    parent model's ``editable_by``). Exposed as ``self.parent`` and, when named, in the context."""

    parent_queryset: Callable[[Any], QuerySet]
    parent_editable: Callable[[Any], QuerySet] | None = None
    parent_kwarg = "pk"
    parent_context_name: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.parent = get_object_or_404(
                _declared(self, "parent_queryset")(request.user), pk=kwargs[self.parent_kwarg]
            )
            self.check_parent(self.parent)
        return super().dispatch(request, *args, **kwargs)

    def check_parent(self, parent) -> None:
        """Raise ``PermissionDenied`` unless the user may write under ``parent``."""
        editable = _declared(self, "parent_editable")
        if editable is None:
            ensure_editable(self.request.user, parent)
        elif not editable(self.request.user).filter(pk=parent.pk).exists():
            raise PermissionDenied

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.parent_context_name:
            context[self.parent_context_name] = self.parent
        return context
