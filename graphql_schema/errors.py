"""The one place GraphQL errors get the contract's codes."""

import logging
from typing import Any

from fastapi.responses import JSONResponse
from graphql import FieldNode, GraphQLError

from app.database import database_error
from app.errors import ClinovaError
from app.http.errors import http_status
from graphql_schema.limits import TOO_COMPLEX, is_token_limit_error

log = logging.getLogger("clinova.graphql")
INTERNAL_MESSAGE = "An internal error occurred; quote the request id to support"


def _coded(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    known = (
        original
        if isinstance(original, ClinovaError) or original is None
        else database_error(original)
    )
    if known is not None:
        extensions: dict[str, Any] = {"code": known.code}
        if known.details:
            extensions["details"] = known.details
        return _with(error, known.message, extensions)
    if _blames_the_request(error):
        code = (error.extensions or {}).get("code") or (
            TOO_COMPLEX if is_token_limit_error(error) else "VALIDATION_ERROR"
        )
        return _with(error, error.message, {**(error.extensions or {}), "code": code})
    log.error("unhandled error in %s (request %s)", error.path, request_id, exc_info=original)
    return _with(error, INTERNAL_MESSAGE, {"code": "INTERNAL_ERROR", "requestId": request_id})


def _blames_the_request(error: GraphQLError) -> bool:
    """graphql-core's verdict on what the caller sent, by where the error arose.

    Not by what it says: graphql-core 3.3 wraps a variable's coercion error in
    another GraphQLError, and wraps whatever a resolver raised too.
    """
    original = error.original_error
    if original is None:
        return True  # parse and validation errors, and our own refusals (limits, cost)
    if error.path is None:
        # Before execution: a variable's value (its error wraps graphql-core's own)
        # or a literal a scalar refused (the error points at it in the document).
        # What an extension raised unexpectedly points nowhere.
        return isinstance(original, GraphQLError) or bool(error.nodes)
    # During execution: an argument graphql-core could not coerce points at its
    # value; a value a resolver returned that its type cannot represent points
    # at the field, or nowhere. Anything else a resolver raised is ours.
    return isinstance(original, GraphQLError) and any(
        not isinstance(node, FieldNode) for node in original.nodes or ()
    )


def _with(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def code_errors(errors: list[GraphQLError], request_id: str) -> list[GraphQLError]:
    """Every error gets its code; the unexpected ones are logged and masked.

    Unlike strawberry's MaskErrors, our own errors keep their code and details.
    """
    return [_coded(error, request_id) for error in errors]


def graphql_error_response(error: ClinovaError, request_id: str) -> JSONResponse:
    """Errors before execution (no key, bad HTTP body) in GraphQL's response shape."""
    extensions: dict[str, Any] = {
        "code": error.code,
        **({"details": error.details} if error.details else {}),
    }
    if http_status(error) >= 500:
        extensions["requestId"] = request_id
    return JSONResponse({"errors": [{"message": error.message, "extensions": extensions}]})
