"""Every write of the partnerships app, one module per area; import the functions from here."""

from partnerships.services.directory import (  # noqa: F401
    member_create,
    member_import,
    member_update,
    organization_create,
    organization_update,
)
