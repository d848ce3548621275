import json
from typing import Any, TypeVar

from fastapi import Request

from app.errors import Invalid
from app.inputs import InputModel, parse_input

Model = TypeVar("Model", bound=InputModel)


async def parse_body(request: Request, body: type[InputModel], domain: type[Model]) -> Model:
    """The JSON object of a POST, read as its v1 `body` and handed on as `domain`'s input."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise Invalid(
            "Request body must be JSON",
            details={"Content-Type": "must be application/json"},
        )
    try:
        data: Any = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise Invalid(
            "Request body is not valid JSON", details={"body": "malformed JSON"}
        ) from None
    if not isinstance(data, dict):
        raise Invalid("Request body must be a JSON object", details={"body": "must be an object"})
    v1 = parse_input(body, data, api_names=True)
    # The domain's model validates again (by the same field types, so it agrees),
    # and every v1 field is sent, so v1's defaults are the document's.
    return parse_input(domain, v1.model_dump(), api_names=False)
