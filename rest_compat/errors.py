from fastapi.responses import JSONResponse

from app.errors import ClinovaError
from app.http.errors import http_status


def envelope_response(error: ClinovaError, request_id: str) -> JSONResponse:
    """The v1 document's error envelope; the one place REST errors take shape."""
    details = dict(error.details)
    if http_status(error) >= 500:
        details["requestId"] = request_id
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message, "details": details}}
    )
