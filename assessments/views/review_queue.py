"""The committee's review queue (评审队列) and "publish all reviewed" (发布全部已评审).

* ``review_queue`` — reviewers and admins: the results they review by state (已提交 / 评审中 / 已评审 / 已发布, and 缺人工评分),
  a count on each tab, narrowed to a quarter; each row opens the review page (which comes back here) or publishes.
* ``publish_all`` — GET: the confirmation page listing exactly the results that will be published (reviewed, final,
  at most ``PUBLISH_ALL_LIMIT``); POST: publishes the ids the page listed, all or none (a stale list is refused).

Everyone else gets 403: the queue is the reviewers' work. Thin: reads from ``selectors.review_queue``, writes from
``services.review``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, View

from assessments import rules
from assessments.selectors import quarters as quarter_selectors
from assessments.selectors import review_queue as selectors
from assessments.services import review as services
from portal.pagination import CheapCountPaginator

STATE_LABELS = {
    "submitted": gettext_lazy("Submitted"),
    "in_review": gettext_lazy("In review"),
    "reviewed": gettext_lazy("Reviewed"),
    "published": gettext_lazy("Published"),
    "unscored": gettext_lazy("Manual scores missing"),
}


def parse_quarter(raw: str | None) -> tuple[int, int] | None:
    """``"2026-3"`` → (2026, 3); anything else → None (every quarter)."""
    try:
        year, quarter = (int(part) for part in (raw or "").split("-"))
    except ValueError:
        return None
    return (year, quarter) if 1 <= quarter <= 4 and 2000 <= year <= 2100 else None


def _shown(counts: dict, key: str) -> str:
    """A tab's count as shown: the published tab's is capped like every list's ("10,000+")."""
    if key == "published" and counts.get("published_capped"):
        return f"{counts[key]:,}+"
    return str(counts[key])


def queue_url(state: str = "", quarter: tuple[int, int] | None = None) -> str:
    params = {}
    if state:
        params["state"] = state
    if quarter:
        params["quarter"] = f"{quarter[0]}-{quarter[1]}"
    url = reverse("assessments:review_queue")
    return f"{url}?{urlencode(params)}" if params else url


class _ReviewerOnly:
    def dispatch(self, request, *args, **kwargs):
        if not rules.may_request_rollup(request.user):
            raise PermissionDenied
        self.quarter = parse_quarter(request.GET.get("quarter") or request.POST.get("quarter"))
        return super().dispatch(request, *args, **kwargs)


class ReviewQueueView(_ReviewerOnly, ListView):
    """The review queue: one tab per state with its count, a page of results, the publish buttons."""

    template_name = "assessments/review/queue.html"
    context_object_name = "rollups"
    paginate_by = 20
    paginator_class = CheapCountPaginator

    def get_queryset(self):
        state = self.request.GET.get("state")
        self.state = state if state in selectors.QUEUE_STATES else "submitted"
        return selectors.queue(self.request.user, self.state, self.quarter)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = selectors.queue_counts(self.request.user, self.quarter)
        here = queue_url(self.state, self.quarter)
        context.update(
            state=self.state,
            state_label=STATE_LABELS[self.state],
            tabs=[
                (key, STATE_LABELS[key], counts[key], queue_url(key, self.quarter), _shown(counts, key))
                for key in selectors.QUEUE_STATES
            ],
            counts=counts,
            quarter=self.quarter,
            quarter_value=f"{self.quarter[0]}-{self.quarter[1]}" if self.quarter else "",
            quarters=[
                (f"{y}-{q}", quarter_selectors.quarter_label(y, q))
                for y, q in quarter_selectors.quarters_with_results(self.request.user)[:12]
            ],
            here=here,
            publish_all_url=reverse("assessments:publish_all")
            + (f"?quarter={self.quarter[0]}-{self.quarter[1]}" if self.quarter else ""),
        )
        return context


class PublishAllView(_ReviewerOnly, View):
    """GET: what "publish all reviewed" will publish; POST: publish exactly that list."""

    template_name = "assessments/review/publish_all.html"

    def get(self, request):
        rollups = list(selectors.publishable(request.user, self.quarter))
        counts = selectors.queue_counts(request.user, self.quarter)
        waiting = selectors.reviewed_not_final(request.user, self.quarter)
        context = {
            "rollups": rollups,
            "quarter": self.quarter,
            "quarter_value": f"{self.quarter[0]}-{self.quarter[1]}" if self.quarter else "",
            "left_over": max(counts["reviewed"] - waiting - len(rollups), 0),
            "not_final": waiting,
            "back_url": queue_url("reviewed", self.quarter),
        }
        return render(request, self.template_name, context)

    def post(self, request):
        ids = [value for value in request.POST.getlist("rollup") if value.isdigit()]
        try:
            published = services.rollup_publish_listed(actor=request.user, rollup_ids=ids)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            target = reverse("assessments:publish_all")
            if self.quarter:
                target += f"?quarter={self.quarter[0]}-{self.quarter[1]}"
            return redirect(target)
        messages.success(
            request,
            _("%(n)s results published; their organizations have been notified.") % {"n": len(published)},
        )
        return redirect(queue_url("published", self.quarter))


urlpatterns = [
    path("reviews/", ReviewQueueView.as_view(), name="review_queue"),
    path("reviews/publish/", PublishAllView.as_view(), name="publish_all"),
]
