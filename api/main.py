"""The read API (/api/v1/): one NinjaAPI, its routers by area, token auth, JSON refusals.

django-ninja builds the OpenAPI 3 schema from the same pydantic schemas that shape the responses, serves it at
/api/v1/openapi.json and browsable at /api/v1/docs (Swagger UI from the package's own static files, no CDN)."""

from __future__ import annotations

from ninja import NinjaAPI

from api import errors
from api.auth import TokenAuth
from api.endpoints import activities, assessments, partnerships

api = NinjaAPI(
    title="Gongjian 共建 read API",
    version="1",
    description=(
        "Read-only JSON of the records a user's pages show, for other systems (a group's 大屏, its OA, a 党建 cloud). "
        "Authenticate with a personal token made on the profile page: `Authorization: Bearer gj_…`. Lists are "
        "cursor-paginated (`limit` ≤ 200, follow `next`); `from`/`to` (YYYY-MM-DD) and `organization` filter them; "
        "reads carry an ETag (send it back in `If-None-Match` for a 304). Bad parameters get a 400 with the reason, "
        "an id out of the user's scope a 404, a token over its rate a 429 with Retry-After."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    openapi_extra={"info": {"x-rate-limit": "API_RATE_LIMIT requests per token per minute"}},
)
errors.install(api)
api.add_router("", partnerships.router)
api.add_router("", activities.router)
api.add_router("", assessments.router)
