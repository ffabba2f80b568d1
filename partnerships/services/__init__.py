"""Every write of the partnerships app, one module per area: import each function from its area module.

The names below are re-exported only for partnerships/demo*.py (the demo lane moves those files; drop this then)."""

from partnerships.services.directory import (  # noqa: F401
    member_create,
    member_import,
    member_update,
    organization_create,
    organization_update,
)
