from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.errors import ClinovaError


def envelope_response(error: ClinovaError, request_id: str) -> JSONResponse:
    """The v1 document's error envelope; the one place REST errors take shape."""
    details = dict(error.details)
    if error.status >= 500:
        details["requestId"] = request_id
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message, "details": details}},
        status_code=error.status,
        headers=error.headers,
    )


def validation_details(error: RequestValidationError) -> dict[str, str]:
    """FastAPI's parameter errors, named by parameter as the envelope's details."""
    details: dict[str, str] = {}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"] if part not in ("query", "path")]
        details.setdefault(".".join(location) or "request", problem["msg"])
    return details
