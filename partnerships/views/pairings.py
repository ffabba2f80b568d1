"""Offers and claims against a need (资源对接 / 认领需求) and the need's organization's answer: accepted, a joint project
(共建项目) starts; declined, with a reason; or withdrawn by the offering side.

Thin: querysets come from the scoped managers, writes from ``services.resources``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerships.forms.resources import AcceptForm, DeclineForm, OfferForm
from partnerships.models import Need, Pairing, Resource
from partnerships.rules import may_decide_pairing, offering_organizations, shared_agreements
from partnerships.services import resources as services
from portal.views.base import ScopedObjectMixin, ServiceActionView, ServiceFormView

# --- pairings ------------------------------------------------------------------------------------------------


class PairingOfferView(ScopedObjectMixin, ServiceFormView):
    """Offer a resource against a need, or claim it (a partner's secretary or liaison)."""

    model = Need
    form_class = OfferForm
    template_name = "partnerships/resources/pairing_form.html"
    service = services.pairing_offer
    success_message = gettext_lazy("Your offer was sent; the need's organization will accept or decline it.")

    def needs_edit(self) -> bool:
        return False  # offering is the partner's act, not an edit of the need: the rule below decides

    def check_object(self, obj):
        self.organizations = list(offering_organizations(self.request.user, obj))
        if not self.organizations:
            raise PermissionDenied

    def refuse(self):
        if self.object.status != Need.Status.OPEN:
            return self.turn_away(_("This need is no longer open for offers."))
        return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        org_ids = [org.pk for org in self.organizations]
        kwargs["organizations"] = offering_organizations(self.request.user, self.object)
        kwargs["resources"] = (
            Resource.objects.open().filter(organization_id__in=org_ids).select_related("organization")
        ).order_by("kind", "title")
        agreements = shared_agreements(self.object.organization_id, org_ids[0])
        for org_id in org_ids[1:]:
            agreements = agreements | shared_agreements(self.object.organization_id, org_id)
        kwargs["agreements"] = agreements.distinct()
        return kwargs

    def get_initial(self):
        resource = self.request.GET.get("resource", "")
        return {"resource": resource} if resource.isdigit() else {}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=_("Offer help with this need"), need=self.object, pairing=None, **kwargs
        )

    def get_service_kwargs(self, form):
        return {"need": self.object, **form.cleaned_data}


class _DecideView(ScopedObjectMixin, ServiceFormView):
    """Accept or decline a proposal: the need's organization (403 for anyone else who sees it)."""

    model = Pairing
    template_name = "partnerships/resources/pairing_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("need__organization", "offered_by", "resource", "agreement")

    def needs_edit(self) -> bool:
        return False

    def check_object(self, obj):
        if not may_decide_pairing(self.request.user, obj):
            raise PermissionDenied

    def refuse(self):
        if self.object.status != Pairing.Status.PROPOSED:
            return self.turn_away(_("This proposal has already been decided or withdrawn."))
        return None

    def get_context_data(self, **kwargs):
        return super().get_context_data(heading=self.heading, need=self.object.need, pairing=self.object, **kwargs)

    def get_service_kwargs(self, form):
        return {"pairing": self.object, **form.cleaned_data}


class PairingAcceptView(_DecideView):
    form_class = AcceptForm
    service = services.pairing_accept
    heading = gettext_lazy("Accept and start a joint project")
    success_message = gettext_lazy("Accepted: the joint project “%(title)s” has started.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "pairing": self.object}

    def get_initial(self):
        need = self.object.need
        return {
            "owner": self.object.offered_by_id,
            "title": need.title,
            "description": self.object.note or need.details,
            "due_on": need.wanted_by,
        }

    def get_success_message(self, result):
        return self.success_message % {"title": result.action_item.title}

    def get_success_url(self):
        return self.result.action_item.get_absolute_url()


class PairingDeclineView(_DecideView):
    form_class = DeclineForm
    service = services.pairing_decline
    heading = gettext_lazy("Decline the offer")
    success_message = gettext_lazy("Offer declined.")


class PairingWithdrawView(ServiceActionView):
    model = Pairing
    service = services.pairing_withdraw
    object_kwarg = "pairing"
    success_message = gettext_lazy("Your proposal was withdrawn.")


urlpatterns = [
    path("needs/<int:pk>/offer/", PairingOfferView.as_view(), name="pairing_offer"),
    path("pairings/<int:pk>/accept/", PairingAcceptView.as_view(), name="pairing_accept"),
    path("pairings/<int:pk>/decline/", PairingDeclineView.as_view(), name="pairing_decline"),
    path("pairings/<int:pk>/withdraw/", PairingWithdrawView.as_view(), name="pairing_withdraw"),
]
