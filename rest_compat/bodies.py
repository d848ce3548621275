import json
from typing import Any, TypeVar

from fastapi import Request

from app.errors import Invalid
from app.inputs import InputModel, parse_input

Model = TypeVar("Model", bound=InputModel)


async def parse_body(request: Request, model: type[Model]) -> Model:
    """The JSON object of a POST, validated by the model GraphQL uses too."""
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
    return parse_input(model, data, api_names=True)
