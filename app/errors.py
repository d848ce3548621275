"""Our errors: a contract code, a message and details, and nothing of HTTP.

How each code is answered (its HTTP status, Retry-After) is decided at the
edge, in `app.http.errors`; the surfaces render the envelope or GraphQL error.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.rate_limits import Budget


class ClinovaError(Exception):
    """Base of the errors the edges turn into the contract's envelope."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class Invalid(ClinovaError):
    code = "VALIDATION_ERROR"


class Unauthorized(ClinovaError):
    code = "INVALID_API_KEY"


class Forbidden(ClinovaError):
    code = "INSUFFICIENT_PERMISSIONS"


class NotFound(ClinovaError):
    code = "RESOURCE_NOT_FOUND"

    @classmethod
    def for_id(cls, entity: str, id_: str) -> "NotFound":
        return cls(f"{entity} with ID '{id_}' not found")


class ServiceUnavailable(ClinovaError):
    code = "SERVICE_UNAVAILABLE"


class MethodNotAllowed(ClinovaError):
    code = "METHOD_NOT_ALLOWED"


class PayloadTooLarge(ClinovaError):
    code = "PAYLOAD_TOO_LARGE"


class RateLimited(ClinovaError):
    code = "RATE_LIMIT_EXCEEDED"

    def __init__(self, message: str, details: dict[str, Any], *, budget: "Budget") -> None:
        super().__init__(message, details)
        # Where the key stands: the edge reports it as a successful answer would.
        self.budget = budget


class IdempotencyConflict(ClinovaError):
    code = "IDEMPOTENCY_CONFLICT"
