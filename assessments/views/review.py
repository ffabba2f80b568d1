"""Self-assessment (自评), review (评审) and publishing pages.

* ``self_assessment`` — the subject's self-assessors (``may_self_assess``) write the narrative, self scores on the
  manual indicators and attachments; "save draft" or "submit". Everyone who sees the result may open the page: it
  is read-only for them and once submitted or published (a draft's content is shown to its authors only).
* ``review`` — reviewers over the subject (``QuarterRollup.editable_by``): every indicator, reviewer's points on the
  manual ones, adjustments with reasons, 闪光点 / 薄弱点; ``self_assessment_return`` sends the self-assessment back.
* ``rollup_publish`` / ``rollup_publish_quarter`` — POST only: publish one result, or every ready result of a quarter
  in the reviewer's subtree.
* ``self_assessment_list`` — "my self-assessments": the results the user writes the self-assessment for.
* ``self_assessment_attachment`` — a scoped download (404 for everyone who cannot see the result).

Thin: reads come from the scoped managers and selectors, writes from the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, View
from django.views.generic.detail import SingleObjectMixin

from assessments import rules
from assessments.forms.review import ReturnForm, ReviewForm, SelfAssessmentForm
from assessments.models import QuarterRollup, SelfAssessment, SelfAssessmentAttachment
from assessments.sections.review import result_url
from assessments.selectors import review as review_selectors
from assessments.selectors import review_queue as queue_selectors
from assessments.selectors import rollups as rollup_selectors
from assessments.services import review as services
from portal.pagination import CheapCountPaginator
from portal.scoping import ScopedViewMixin
from portal.uploads import serve_upload
from portal.views.base import ScopedObjectMixin, ServiceActionView, ServiceFormView


def safe_next(request, default: str) -> str:
    """The ``next`` the form carries (the queue the reviewer came from), if it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


class _RollupFormView(ScopedObjectMixin, ServiceFormView):
    model = QuarterRollup
    context_object_name = "rollup"

    def get_queryset(self):
        return rollup_selectors.rollups_with_review(self.request.user)

    def load_object(self):
        super().load_object()
        self.self_assessment = rollup_selectors.related_or_none(self.object, "self_assessment")
        self.review = rollup_selectors.related_or_none(self.object, "review")

    @property
    def scores(self):
        """The result's indicator scores in the scheme's order (one query, kept for the form and the page)."""
        if not hasattr(self, "_scores"):
            self._scores = list(
                rollup_selectors.scores_for(self.request.user, self.object).order_by("indicator__order")
            )
        return self._scores

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["scores"] = self.scores
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rollup = self.object
        opens_on, due_on = rules.self_assessment_window(rollup.year, rollup.quarter)
        context.update(
            self_assessment=self.self_assessment,
            review=self.review,
            opens_on=opens_on,
            due_on=due_on,
            locked=rollup.status == QuarterRollup.Status.PUBLISHED,
            result_url=result_url(rollup),
        )
        return context


class SelfAssessmentView(_RollupFormView):
    """The self-assessment of one quarter result (phone-friendly)."""

    form_class = SelfAssessmentForm
    template_name = "assessments/review/self_assessment.html"
    service = services.self_assessment_save

    def needs_edit(self) -> bool:
        return False  # the self-assessors are not the result's editors (the reviewers): checked in post()

    def post(self, request, *args, **kwargs):
        if not rules.may_self_assess(request.user, self.object):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        return {"narrative": self.self_assessment.narrative if self.self_assessment else ""}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, rollup, sa = self.request.user, self.object, self.self_assessment
        author = rules.may_self_assess(user, rollup)
        editable = (
            author
            and rules.self_assessment_is_open(rollup)
            and (sa is None or sa.status != SelfAssessment.Status.SUBMITTED)
        )
        context.update(
            is_author=author,
            editable=editable,
            show_content=rules.self_assessment_shown(sa, rollup, author=author),
            attachments=list(sa.attachments.all()) if sa else [],
            manual_scores=[s for s in self.scores if s.indicator.source == rules.MANUAL],
            can_review=rules.may_review(user, rollup),
        )
        return context

    def get_service_kwargs(self, form):
        return {
            "rollup": self.object,
            "narrative": form.cleaned_data["narrative"],
            "self_points": form.self_points(),
            "attachments": form.cleaned_data["attachments"],
            "submit": self.submitting(),
        }

    def submitting(self) -> bool:
        return self.request.POST.get("action") == "submit"

    def get_success_message(self, result):
        return _("Self-assessment submitted.") if self.submitting() else _("Self-assessment saved as a draft.")

    def get_success_url(self):
        return reverse("assessments:self_assessment", kwargs={"pk": self.object.pk})


class SelfAssessmentAttachmentView(View):
    """An attachment of a self-assessment, for those who may see its result (404 for everyone else)."""

    def get(self, request, pk):
        attachment = get_object_or_404(SelfAssessmentAttachment.objects.visible_to(request.user), pk=pk)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return serve_upload(handle, filename=attachment.original_name, content_type=attachment.content_type)


class SelfAssessmentAttachmentDeleteView(View):
    """Remove an attachment from a self-assessment still being drafted (its authors)."""

    def post(self, request, pk):
        attachment = get_object_or_404(
            SelfAssessmentAttachment.objects.visible_to(request.user).select_related("self_assessment__rollup"), pk=pk
        )
        rollup = attachment.self_assessment.rollup
        try:
            services.self_assessment_attachment_delete(actor=request.user, attachment=attachment)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Attachment removed."))
        return redirect("assessments:self_assessment", pk=rollup.pk)


class ReviewView(_RollupFormView):
    """The reviewer's page: every indicator's scores, reviewer's points, adjustments, comments."""

    form_class = ReviewForm
    template_name = "assessments/review/review.html"
    scope_action = "edit"
    service = services.review_save  # a published result is refused (locked) by the service
    success_message = gettext_lazy("Review saved.")

    def get_initial(self):
        review = self.review
        return {"highlights": review.highlights, "weaknesses": review.weaknesses} if review else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sa = self.self_assessment
        context.update(
            return_form=ReturnForm(),
            attachments=list(sa.attachments.all()) if sa else [],
            can_return=bool(sa) and sa.status == SelfAssessment.Status.SUBMITTED and not context["locked"],
            missing=review_selectors.missing_review_points(self.object),
            can_publish=self.object.status == QuarterRollup.Status.FINAL,
            queue_url=safe_next(self.request, reverse("assessments:review_queue")),
            from_queue=bool(self.request.GET.get("next") or self.request.POST.get("next")),
        )
        return context

    def get_service_kwargs(self, form):
        return {
            "rollup": self.object,
            "review_points": form.review_points(),
            "adjustments": form.adjustments(),
            "highlights": form.cleaned_data["highlights"],
            "weaknesses": form.cleaned_data["weaknesses"],
        }

    def get_success_url(self):
        queue = safe_next(self.request, "")
        if self.request.POST.get("action") == "next":
            following = queue_selectors.next_to_review(self.request.user, self.object)
            if following is None:
                return queue or reverse("assessments:review_queue")
            url = reverse("assessments:review", kwargs={"pk": following.pk})
            return f"{url}?{urlencode({'next': queue})}" if queue else url
        url = reverse("assessments:review", kwargs={"pk": self.object.pk})
        return f"{url}?{urlencode({'next': queue})}" if queue else url


class SelfAssessmentReturnView(ScopedViewMixin, SingleObjectMixin, View):
    """POST: the reviewer returns the submitted self-assessment with a reason."""

    model = QuarterRollup

    def post(self, request, pk):
        rollup = self.get_object()  # visible, else 404; editable (a reviewer), else 403
        form = ReturnForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say what should be changed."))
            return redirect("assessments:review", pk=rollup.pk)
        try:
            services.self_assessment_return(actor=request.user, rollup=rollup, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The self-assessment was returned for revision."))
        return redirect("assessments:review", pk=rollup.pk)


class RollupPublishView(ServiceActionView):
    """POST: publish one reviewed final result; it is locked from then on."""

    model = QuarterRollup
    service = services.rollup_publish
    object_kwarg = "rollup"
    success_message = gettext_lazy("Result published; its organization has been notified.")
    join_errors = True

    def get_error_url(self):
        return safe_next(self.request, reverse("assessments:review", kwargs={"pk": self.object.pk}))

    def get_success_url(self):
        return safe_next(self.request, result_url(self.object))


class RollupPublishQuarterView(View):
    """POST: publish every final, fully scored result of a quarter in the reviewer's subtree."""

    def post(self, request, year, quarter):
        if not rules.may_request_rollup(request.user):
            raise PermissionDenied
        if not 1 <= quarter <= 4:
            raise Http404
        result = services.rollup_publish_quarter(actor=request.user, year=year, quarter=quarter)
        messages.success(
            request,
            _("%(published)s results published; %(skipped)s not ready yet (not fully scored).") % result,
        )
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("assessments:self_assessment_list")
        return redirect(target)


class SelfAssessmentListView(ListView):
    """My self-assessments: the results whose self-assessment the user writes, with their state."""

    template_name = "assessments/review/self_assessment_list.html"
    context_object_name = "rollups"
    paginate_by = 20
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        return review_selectors.self_assessment_rollups(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reviewable"] = review_selectors.reviewable_quarters(self.request.user)
        for rollup in context["rollups"]:
            sa = rollup_selectors.related_or_none(rollup, "self_assessment")
            rollup.sa_status_key = sa.status if sa else "none"
            rollup.sa_status = sa.get_status_display() if sa else _("Not started")
        return context


urlpatterns = [
    path("self-assessments/", SelfAssessmentListView.as_view(), name="self_assessment_list"),
    path("results/<int:pk>/self-assessment/", SelfAssessmentView.as_view(), name="self_assessment"),
    path("attachments/<int:pk>/", SelfAssessmentAttachmentView.as_view(), name="self_assessment_attachment"),
    path(
        "attachments/<int:pk>/delete/",
        SelfAssessmentAttachmentDeleteView.as_view(),
        name="self_assessment_attachment_delete",
    ),
    path("results/<int:pk>/review/", ReviewView.as_view(), name="review"),
    path("results/<int:pk>/return/", SelfAssessmentReturnView.as_view(), name="self_assessment_return"),
    path("results/<int:pk>/publish/", RollupPublishView.as_view(), name="rollup_publish"),
    path(
        "quarters/<int:year>/<int:quarter>/publish/",
        RollupPublishQuarterView.as_view(),
        name="rollup_publish_quarter",
    ),
]
