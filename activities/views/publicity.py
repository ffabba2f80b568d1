"""Publicity items (宣传) and brand pages (品牌联创, 一支部一特色).

An item's page shows it with the buttons the user may use; its author (the activity's lead secretary) edits and
submits it, the reviewing organization approves it or returns it with a reason. The list has one tab per state.
Brand pages (an agreement with a 党建品牌, a branch with a 特色品牌) show approved items with their photos, the
activities and headcounts month by month, and the zones and pioneer posts. Thin: reads from
``activities.selectors.publicity``, writes from ``activities.services.publicity``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView, View

from activities.forms.publicity import BranchBrandForm, PublicityItemForm, ReturnForm
from activities.models import Activity, PublicityItem
from activities.rules import may_edit_branch_brand, may_review_publicity, may_see_branch_brand
from activities.selectors import publicity as selectors
from activities.services import publicity as services
from partnerships.models import Agreement, Organization
from portal.pagination import CheapCountPaginator, list_tabs
from portal.scoping import ScopedViewMixin
from portal.views.base import ScopedObjectMixin, ServiceActionView, ServiceFormView

Status = PublicityItem.Status
BRAND_PAGE = 12  # approved items per brand page


class PublicityListView(ScopedViewMixin, ListView):
    """宣传: the items the user may see, one tab per state (草稿 / 待审核 / 已通过 / 已退回)."""

    model = PublicityItem
    template_name = "activities/publicity/list.html"
    context_object_name = "items"
    paginate_by = 25
    paginator_class = CheapCountPaginator

    TAB_LABELS = {
        "draft": gettext_lazy("Drafts"),
        "submitted": gettext_lazy("Awaiting review"),
        "approved": gettext_lazy("Approved"),
        "returned": gettext_lazy("Returned"),
    }

    def get_tab(self) -> str:
        tab = self.request.GET.get("tab", "")
        return tab if tab in selectors.LIST_TABS else "submitted"

    def get_queryset(self):
        return selectors.list_tab(selectors.item_list(self.request.user), self.get_tab())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tab = self.get_tab()
        base = selectors.item_list(self.request.user)
        tabs = {key: selectors.list_tab(base, key) for key in selectors.LIST_TABS}
        context["tab"] = tab
        context["tabs"] = list_tabs(self.TAB_LABELS, tabs, current=tab, paginator=context["paginator"])
        return context


class PublicityCreateView(ServiceActionView):
    """转为宣传: a POST on a logged activity makes a draft item from its log and opens the item's edit page."""

    model = Activity
    service = services.publicity_item_create
    object_kwarg = "activity"
    success_message = gettext_lazy("Publicity draft made from the log: check it and submit it for review.")

    def get_success_url(self) -> str:
        return reverse("activities:publicity_update", args=[self.result.pk])


class PublicityDetailView(ScopedViewMixin, DetailView):
    """One item: its text and photos, its brand, its state (the reason when returned), the buttons by permission."""

    model = PublicityItem
    template_name = "activities/publicity/detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return selectors.detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        editable = item.editable_status and self.can_edit(item)
        context.update(
            can_edit=editable,
            can_submit=editable,
            can_review=item.status == Status.SUBMITTED and may_review_publicity(self.request.user, item),
            photos=list(item.photos.all()),
            history=selectors.publicity_history(item),
        )
        return context


class _ItemFormView(ScopedObjectMixin, ServiceFormView):
    model = PublicityItem
    scope_action = "edit"
    context_object_name = "item"

    def get_queryset(self):
        return PublicityItem.objects.visible_to(self.request.user).select_related("activity", "reviewer_org")


class PublicityUpdateView(_ItemFormView):
    """Edit a draft or returned item (its author's organization's secretary)."""

    form_class = PublicityItemForm
    template_name = "activities/publicity/form.html"
    service = services.publicity_item_update
    success_message = gettext_lazy("Changes saved.")

    def refuse(self):
        if not self.object.editable_status:
            return self.turn_away(_("Only a draft or a returned item can be changed."), level=messages.ERROR)
        return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["photos"] = self.object.activity.photos.order_by("pk")
        return kwargs

    def get_initial(self):
        item = self.object
        return {
            "title": item.title,
            "text": item.text,
            "link": item.link,
            "photos": list(item.photos.values_list("pk", flat=True)),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["photo_choices"] = list(context["form"]["photos"])
        return context

    def get_service_kwargs(self, form):
        return {"item": self.object, **form.cleaned_data}


class PublicitySubmitView(ServiceActionView):
    """Send a draft or returned item for review."""

    model = PublicityItem
    service = services.publicity_item_submit
    object_kwarg = "item"
    success_message = gettext_lazy("Submitted for review.")


class _ReviewMixin:
    """Review pages are not the author's: visible → else 404; the reviewing organization's reviewer → else 403."""

    model = PublicityItem

    def get_object(self, queryset=None):
        item = get_object_or_404(
            PublicityItem.objects.visible_to(self.request.user).select_related("reviewer_org", "activity"),
            pk=self.kwargs["pk"],
        )
        if not may_review_publicity(self.request.user, item):
            raise PermissionDenied
        return item


class PublicityApproveView(_ReviewMixin, View):
    """Approve a submitted item."""

    def post(self, request, pk):
        item = self.get_object()
        try:
            services.publicity_item_approve(actor=request.user, item=item)
        except ValidationError as exc:  # the state changed meanwhile
            for message in exc.messages:
                messages.error(request, message)
            return redirect(item)
        messages.success(request, _("Approved: it now counts and shows on the brand page."))
        return redirect(item)


class PublicityReturnView(_ReviewMixin, ScopedObjectMixin, ServiceFormView):
    """Return a submitted item with a reason."""

    form_class = ReturnForm
    template_name = "activities/publicity/return.html"
    context_object_name = "item"
    service = services.publicity_item_return
    success_message = gettext_lazy("Returned to the author with your reason.")

    def load_object(self) -> None:
        self.object = _ReviewMixin.get_object(self)

    def refuse(self):
        if self.object.status != Status.SUBMITTED:
            return self.turn_away(_("Only an item awaiting review can be approved or returned."), level=messages.ERROR)
        return None

    def get_service_kwargs(self, form):
        return {"item": self.object, **form.cleaned_data}


# --- brand pages ----------------------------------------------------------------------------------------------


class _BrandPage(TemplateView):
    template_name = "activities/publicity/brand.html"

    def brand_context(self, items, extra: dict) -> dict:
        paginator = CheapCountPaginator(items, BRAND_PAGE)
        page = paginator.get_page(self.request.GET.get("page"))
        chart = {
            **extra["series"],
            "labels": {"activities": _("Activities"), "headcounts": _("Headcount")},
        }
        return {
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": paginator.num_pages > 1,
            "chart": chart,
            **extra,
        }


class AgreementBrandView(_BrandPage):
    """The brand page of an agreement with a 党建品牌 (those who may see the agreement)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = get_object_or_404(
            Agreement.objects.visible_to(self.request.user).exclude(brand=""), pk=kwargs["pk"]
        )
        context.update(
            self.brand_context(selectors.approved_items(agreement=agreement), selectors.agreement_brand(agreement))
        )
        context.update(brand=agreement.brand, subject=agreement, subject_name=agreement.title, kind="agreement")
        return context


class BranchBrandView(_BrandPage):
    """The brand page of a branch with a 特色品牌 (its people and the committees reviewing it)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        branch = _branch(self.request.user, kwargs["pk"])
        if not branch.brand:
            raise Http404
        context.update(self.brand_context(selectors.approved_items(branch=branch), selectors.branch_brand(branch)))
        context.update(
            brand=branch.brand,
            subject=branch,
            subject_name=branch.name,
            kind="branch",
            can_edit_brand=may_edit_branch_brand(self.request.user, branch),
        )
        return context


def _branch(user, pk) -> Organization:
    branch = get_object_or_404(Organization.objects.all(), pk=pk)
    if not may_see_branch_brand(user, branch):
        raise Http404
    return branch


class BranchBrandEditView(ServiceFormView):
    """Set a branch's 特色品牌 (its secretary, its committee's reviewers)."""

    form_class = BranchBrandForm
    template_name = "activities/publicity/brand_form.html"
    service = services.branch_brand_update
    success_message = gettext_lazy("Brand saved.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.branch = _branch(request.user, kwargs["pk"])
            if not may_edit_branch_brand(request.user, self.branch):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"brand": self.branch.brand, "brand_description": self.branch.brand_description}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["branch"] = self.branch
        return context

    def get_service_kwargs(self, form):
        return {"organization": self.branch, **form.cleaned_data}

    def get_success_url(self) -> str:
        if self.result.brand:
            return reverse("activities:branch_brand", args=[self.result.pk])
        return self.result.get_absolute_url()


urlpatterns = [
    path("publicity/", PublicityListView.as_view(), name="publicity_list"),
    path("activities/<int:pk>/publicity/", PublicityCreateView.as_view(), name="publicity_create"),
    path("publicity/<int:pk>/", PublicityDetailView.as_view(), name="publicity_detail"),
    path("publicity/<int:pk>/edit/", PublicityUpdateView.as_view(), name="publicity_update"),
    path("publicity/<int:pk>/submit/", PublicitySubmitView.as_view(), name="publicity_submit"),
    path("publicity/<int:pk>/approve/", PublicityApproveView.as_view(), name="publicity_approve"),
    path("publicity/<int:pk>/return/", PublicityReturnView.as_view(), name="publicity_return"),
    path("brands/agreements/<int:pk>/", AgreementBrandView.as_view(), name="agreement_brand"),
    path("brands/branches/<int:pk>/", BranchBrandView.as_view(), name="branch_brand"),
    path("brands/branches/<int:pk>/edit/", BranchBrandEditView.as_view(), name="branch_brand_edit"),
]
