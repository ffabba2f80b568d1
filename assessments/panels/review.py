"""Self-assessment and review panels (placeholder)."""


def rollup_review_context(user, rollup) -> dict:
    """Context for templates/assessments/includes/rollup_review_card.html and rollup_review_print.html."""
    return {}
