"""portal/views/base.py: the write pages' shared edge handling, on throwaway views over the roster (``Member``: seen by
its organization and the reviewers above it, changed by its secretary).

secretary1 keeps 甲项目党支部's roster; member1 only reads it; outsider sees none of it.
"""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from partnerships.models import Member
from portal.views.base import ParentObjectMixin, ScopedObjectMixin, ServiceActionView, ServiceFormView

calls: list[dict] = []


def note_service(*, actor, member, note):
    """Raises what the note asks for, else records the call and returns the member."""
    if note == "field":
        raise ValidationError({"note": "Not this note."})
    if note == "whole":
        raise ValidationError("Not now.")
    if note == "unknown-field":
        raise ValidationError({"elsewhere": "Somewhere else."})
    calls.append({"actor": actor, "member": member, "note": note})
    return member


class NoteForm(forms.Form):
    note = forms.CharField()


class _Rendered:
    """Renders the context instead of a template, so the tests can read the form."""

    def render_to_response(self, context, **kwargs):
        response = HttpResponse("form")
        response.context_data = context
        return response


class MemberNoteView(_Rendered, ParentObjectMixin, ServiceFormView):
    """A create-under-parent page: the member is the parent, read through the scope, written by its secretary."""

    service = note_service
    success_message = "Noted on %(name)s."
    form_class = NoteForm
    parent_queryset, parent_context_name = Member.objects.visible_to, "member"

    def get_service_kwargs(self, form):
        return {"member": self.parent, **form.cleaned_data}


class MemberNoteReadOnlyParentView(MemberNoteView):
    """The parent's editable queryset is declared: here everyone who sees the member may write under it."""

    parent_editable = Member.objects.visible_to


class MemberEditView(_Rendered, ScopedObjectMixin, ServiceFormView):
    """An object page: the member itself, edited."""

    model = Member
    scope_action = "edit"
    form_class = NoteForm
    service = note_service
    success_message = "Saved."
    success_url = "/done/"

    def refuse(self):
        if self.object.status == Member.Status.TRANSFERRED_OUT:
            return self.turn_away("Gone.")
        return None

    def get_service_kwargs(self, form):
        return {"member": self.object, **form.cleaned_data}


class MemberGuardedView(MemberEditView):
    """``check_object``: a rule besides the scope."""

    scope_action = "view"

    def check_object(self, obj):
        if obj.name != "李红梅":
            raise PermissionDenied


def refuse_transferred(*, actor, member):
    if member.status == Member.Status.TRANSFERRED_OUT:
        raise ValidationError(["Transferred out.", "Ask the new branch."])
    calls.append({"actor": actor, "member": member})


class MemberButtonView(ServiceActionView):
    model = Member
    service = refuse_transferred
    object_kwarg = "member"
    success_message = "Done for %(name)s."

    def get_error_url(self):
        return "/error/"


class MemberJoinedErrorsButtonView(MemberButtonView):
    join_errors = True


def _call(view, user, pk, data=None):
    factory = RequestFactory()
    request = factory.post("/", data) if data is not None else factory.get("/")
    request.user = user
    request._messages = CookieStorage(request)
    response = view.as_view()(request, pk=pk)
    response.messages = [str(message) for message in request._messages]
    return response


@pytest.fixture(autouse=True)
def _fresh_calls():
    calls.clear()


@pytest.mark.django_db
class TestServiceFormView:
    def test_get_shows_the_form_with_the_parent(self, world, member_a):
        response = _call(MemberNoteView, world.secretary1, member_a.pk)
        assert response.status_code == 200
        assert response.context_data["member"] == member_a
        assert isinstance(response.context_data["form"], NoteForm)

    def test_success_calls_the_service_with_the_actor_then_messages_and_redirects(self, world, member_a):
        response = _call(MemberNoteView, world.secretary1, member_a.pk, {"note": "fine"})
        assert calls == [{"actor": world.secretary1, "member": member_a, "note": "fine"}]
        assert response.status_code == 302
        assert response.url == member_a.get_absolute_url()  # no page object: the result's page
        assert response.messages == ["Noted on 李红梅."]

    def test_a_field_error_goes_next_to_its_field(self, world, member_a):
        response = _call(MemberNoteView, world.secretary1, member_a.pk, {"note": "field"})
        form = response.context_data["form"]
        assert response.status_code == 200
        assert form.errors == {"note": ["Not this note."]}
        assert response.messages == []

    def test_a_non_field_error_goes_above_the_form(self, world, member_a):
        response = _call(MemberNoteView, world.secretary1, member_a.pk, {"note": "whole"})
        form = response.context_data["form"]
        assert form.non_field_errors() == ["Not now."]
        assert "note" not in form.errors

    def test_an_error_on_a_field_the_form_lacks_goes_above_it(self, world, member_a):
        response = _call(MemberNoteView, world.secretary1, member_a.pk, {"note": "unknown-field"})
        assert response.context_data["form"].non_field_errors() == ["Somewhere else."]

    def test_the_form_is_checked_before_the_service(self, world, member_a):
        response = _call(MemberNoteView, world.secretary1, member_a.pk, {"note": ""})
        assert response.status_code == 200
        assert "note" in response.context_data["form"].errors
        assert calls == []


@pytest.mark.django_db
class TestParentObjectMixin:
    def test_an_outsider_gets_404(self, world, member_a):
        with pytest.raises(Http404):
            _call(MemberNoteView, world.outsider, member_a.pk)

    def test_a_reader_who_may_not_write_gets_403(self, world, member_a):
        with pytest.raises(PermissionDenied):
            _call(MemberNoteView, world.member1, member_a.pk)
        with pytest.raises(PermissionDenied):
            _call(MemberNoteView, world.member1, member_a.pk, {"note": "fine"})
        assert calls == []

    def test_the_declared_editable_queryset_decides(self, world, member_a):
        assert _call(MemberNoteReadOnlyParentView, world.member1, member_a.pk).status_code == 200

    def test_anonymous_users_load_nothing(self, world, member_a, django_assert_num_queries):
        # LoginRequiredMiddleware sends them to the login page before the view; the view itself never 404s them.
        class Probe(MemberNoteView):
            def get(self, request, *args, **kwargs):
                return HttpResponse("through")

        with django_assert_num_queries(0):
            assert _call(Probe, AnonymousUser(), member_a.pk).content == b"through"


@pytest.mark.django_db
class TestScopedObjectMixin:
    def test_the_editor_gets_the_page_and_the_declared_success_url(self, world, member_a):
        assert _call(MemberEditView, world.secretary1, member_a.pk).context_data["object"] == member_a
        response = _call(MemberEditView, world.secretary1, member_a.pk, {"note": "fine"})
        assert (response.status_code, response.url, response.messages) == (302, "/done/", ["Saved."])

    def test_an_outsider_gets_404_and_a_reader_403(self, world, member_a):
        with pytest.raises(Http404):
            _call(MemberEditView, world.outsider, member_a.pk)
        with pytest.raises(PermissionDenied):
            _call(MemberEditView, world.member1, member_a.pk)

    def test_a_refusing_state_sends_the_user_back_with_the_reason(self, world, member_a):
        member_a.status = Member.Status.TRANSFERRED_OUT
        member_a.save()
        response = _call(MemberEditView, world.secretary1, member_a.pk, {"note": "fine"})
        assert (response.status_code, response.url, response.messages) == (302, member_a.get_absolute_url(), ["Gone."])
        assert calls == []

    def test_check_object_adds_a_rule(self, world, member_a, member_b):
        assert _call(MemberGuardedView, world.committee, member_a.pk).status_code == 200
        with pytest.raises(PermissionDenied):
            _call(MemberGuardedView, world.committee, member_b.pk)


@pytest.mark.django_db
class TestServiceActionView:
    def test_a_get_is_refused_before_anything_is_read(self, world, member_a, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert _call(MemberButtonView, world.outsider, member_a.pk).status_code == 405

    def test_an_outsider_gets_404_and_a_reader_403(self, world, member_a):
        with pytest.raises(Http404):
            _call(MemberButtonView, world.outsider, member_a.pk, {})
        with pytest.raises(PermissionDenied):
            _call(MemberButtonView, world.member1, member_a.pk, {})
        assert calls == []

    def test_success_messages_and_goes_to_the_object(self, world, member_a):
        response = _call(MemberButtonView, world.secretary1, member_a.pk, {})
        assert calls == [{"actor": world.secretary1, "member": member_a}]
        assert (response.url, response.messages) == (member_a.get_absolute_url(), ["Done for 李红梅."])

    def test_a_refusal_becomes_error_messages(self, world, member_a):
        member_a.status = Member.Status.TRANSFERRED_OUT
        member_a.save()
        response = _call(MemberButtonView, world.secretary1, member_a.pk, {})
        assert (response.url, response.messages) == ("/error/", ["Transferred out.", "Ask the new branch."])
        joined = _call(MemberJoinedErrorsButtonView, world.secretary1, member_a.pk, {})
        assert joined.messages == ["Transferred out. Ask the new branch."]


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in_not_404(client):
    response = client.get(reverse("partnerships:meeting_create", args=[999_999]))
    assert response.status_code == 302
    assert reverse("login") in response.url
