"""How our errors are answered over HTTP: a status per code, the headers a code needs.

The core raises `ClinovaError`s that know nothing of HTTP; this is the one table
of what each code means on the wire. The surfaces render the body (the v1
envelope, or GraphQL's errors), and `app.http.surfaces` picks which one.
"""

import logging

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from app.database import database_error
from app.errors import ClinovaError, Invalid, MethodNotAllowed, NotFound, RateLimited
from app.http.response_headers import budget_headers

log = logging.getLogger("clinova")

STATUS: dict[str, int] = {
    "VALIDATION_ERROR": 400,
    "INVALID_API_KEY": 401,
    "INSUFFICIENT_PERMISSIONS": 403,
    "RESOURCE_NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "IDEMPOTENCY_CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "QUERY_TOO_COMPLEX": 400,
    "RATE_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}
# Seconds to wait before retrying: the database recovering, a first request finishing.
_RETRY_AFTER = {"SERVICE_UNAVAILABLE": 5, "IDEMPOTENCY_CONFLICT": 1}


def http_status(error: ClinovaError) -> int:
    return STATUS[error.code]


def http_headers(error: ClinovaError) -> dict[str, str]:
    if isinstance(error, RateLimited):
        return {**budget_headers(error.budget), "Retry-After": str(error.details["retryAfter"])}
    retry_after = _RETRY_AFTER.get(error.code)
    return {"Retry-After": str(retry_after)} if retry_after is not None else {}


def as_clinova_error(error: Exception) -> ClinovaError:
    """Any exception as the contract's error: ours as they are, the frameworks' translated."""
    if isinstance(error, ClinovaError):
        return error
    if isinstance(error, ClientDisconnect):
        # The caller left mid-request (a load generator stopping, a closed tab):
        # nothing to answer and nothing wrong with the server.
        return Invalid("The client disconnected before the request was read")
    if isinstance(error, RequestValidationError):
        return Invalid("Invalid request parameters", details=validation_details(error))
    if isinstance(error, HTTPException):
        if error.status_code == 405:
            return MethodNotAllowed("Method not allowed on this route")
        if error.status_code == 404:
            return NotFound("Route not found")
        return Invalid(str(error.detail))
    known = database_error(error)
    if known is not None:
        log.warning("database error answered as %s: %s", known.code, type(error).__name__)
        return known
    log.error("unhandled error", exc_info=error)
    return ClinovaError("An internal error occurred; quote the request id to support")


def validation_details(error: RequestValidationError) -> dict[str, str]:
    """FastAPI's parameter errors, named by parameter as the envelope's details."""
    details: dict[str, str] = {}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"] if part not in ("query", "path")]
        details.setdefault(".".join(location) or "request", problem["msg"])
    return details
