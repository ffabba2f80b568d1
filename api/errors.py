"""The API's refusals as JSON: 400 with the reason, 401, 404, 429 with Retry-After. Ninja's 422 for a parameter that
fails its schema becomes a 400 too, so every bad request reads the same way."""

from __future__ import annotations

import functools

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError


class ErrorOut(Schema):
    """Why a request was refused: ``detail`` in words, ``errors`` one entry per bad parameter (400 only)."""

    detail: str
    errors: list[dict] = []


class BadParameter(Exception):
    """A parameter that passed its type but not its meaning (a cursor that is not ours, ``from`` after ``to``)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _location(error: dict) -> str:
    # Ninja reports ("query", "filters", "limit"): the parameter's name is the last part.
    loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "filters", "header")]
    return ".".join(loc) or "request"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def bad_schema(request, exc: NinjaValidationError):
        errors = [{"parameter": _location(e), "message": str(e.get("msg", ""))} for e in exc.errors]
        reasons = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        return api.create_response(
            request, {"detail": _("Bad parameters: %(reasons)s") % {"reasons": reasons}, "errors": errors}, status=400
        )

    @api.exception_handler(BadParameter)
    def bad_parameter(request, exc: BadParameter):
        errors = [{"parameter": exc.parameter, "message": exc.message}]
        return api.create_response(request, {"detail": f"{exc.parameter}: {exc.message}", "errors": errors}, status=400)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        response = api.create_response(
            request, {"detail": _("A valid API token is needed: Authorization: Bearer <token>.")}, status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="gongjian"'
        return response

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, {"detail": _("Not found, or not yours to see.")}, status=404)

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc: RateLimited):
        response = api.create_response(
            request,
            {
                "detail": _("Too many requests for this token; try again in %(seconds)d s.")
                % {"seconds": exc.retry_after}
            },
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def known_query(run):
    """Wraps an operation's ``run`` (``@decorate_view(known_query, …)``, first in the list so that it wraps ninja's
    own ``run``): a query parameter the operation does not take is a 400 naming it, as the served schema promises
    (a misspelt ``form=`` silently ignored would return an unfiltered list as if filtered)."""
    operation = run.__self__
    allowed = set()
    for model in operation.models:
        if model.__ninja_param_source__ == "query":
            allowed |= set(getattr(model, "__ninja_flatten_map__", None) or model.model_fields)

    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        unknown = sorted(set(request.GET) - allowed)
        if unknown:
            refusal = BadParameter(unknown[0], _("Unknown parameter “%(name)s”.") % {"name": unknown[0]})
            return operation.api.on_exception(request, refusal)
        return run(request, *args, **kwargs)

    return wrapper
