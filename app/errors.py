from typing import Any


class ClinovaError(Exception):
    """Base of the errors the edges turn into the contract's envelope."""

    code = "INTERNAL_ERROR"
    status = 500

    def __init__(
        self,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        # HTTP headers the answer must carry (Retry-After, rate-limit counters).
        self.headers = headers or {}


class Invalid(ClinovaError):
    code = "VALIDATION_ERROR"
    status = 400


class Unauthorized(ClinovaError):
    code = "INVALID_API_KEY"
    status = 401


class Forbidden(ClinovaError):
    code = "INSUFFICIENT_PERMISSIONS"
    status = 403


class NotFound(ClinovaError):
    code = "RESOURCE_NOT_FOUND"
    status = 404

    @classmethod
    def for_id(cls, entity: str, id_: str) -> "NotFound":
        return cls(f"{entity} with ID '{id_}' not found")


class ServiceUnavailable(ClinovaError):
    code = "SERVICE_UNAVAILABLE"
    status = 503

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details, headers={"Retry-After": "5"})


class MethodNotAllowed(ClinovaError):
    code = "METHOD_NOT_ALLOWED"
    status = 405


class PayloadTooLarge(ClinovaError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class RateLimited(ClinovaError):
    code = "RATE_LIMIT_EXCEEDED"
    status = 429


class IdempotencyConflict(ClinovaError):
    code = "IDEMPOTENCY_CONFLICT"
    status = 409
