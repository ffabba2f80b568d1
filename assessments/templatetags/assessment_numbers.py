"""An indicator score's metric value in its metric's unit (76.9%, 4 次), for every page that shows one."""

from django import template

from assessments import metrics
from portal.templatetags.gongjian import measure

register = template.Library()


@register.filter
def metric_value(score) -> str:
    """``score.metric_value`` with the unit of its indicator's metric (the indicator already fetched with it)."""
    metric = metrics.REGISTRY.get(score.indicator.metric)
    return measure(score.metric_value, str(metric.unit) if metric else "")
