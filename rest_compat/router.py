"""The documented v1 routes under /api/v1, with the error envelope for each status."""

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from rest_compat import events, invoices, medical_records, owners, pets
from rest_compat.inputs import OwnerInput, PetInput
from rest_compat.shapes import ErrorEnvelope

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in {
        400: "Bad request (invalid parameters or body): VALIDATION_ERROR",
        401: "Unauthorized (invalid API key): INVALID_API_KEY",
        403: "Forbidden (insufficient permissions): INSUFFICIENT_PERMISSIONS",
        404: "Resource not found: RESOURCE_NOT_FOUND",
        413: "Request body too large: PAYLOAD_TOO_LARGE",
        429: "Rate limit exceeded: RATE_LIMIT_EXCEEDED",
        500: "Internal server error: INTERNAL_ERROR",
        503: "Database unavailable: SERVICE_UNAVAILABLE",
    }.items()
}

V1_PREFIX = "/api/v1"
# Each resource's routes, as declared (rest_compat.compiled_route reads them too).
V1_ROUTERS = tuple(module.router for module in (owners, pets, medical_records, invoices, events))
api_router = APIRouter(prefix=V1_PREFIX, responses=ERRORS)
for router in V1_ROUTERS:
    api_router.include_router(router)


def install_openapi(app: FastAPI) -> None:
    """OpenAPI for the v1 routes, with the v1 input models as request bodies."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title="ClinovaVet API", version="1.0.0", routes=app.routes,
                description="RESTful access to your clinic's data (v1).",
                servers=[{"url": "/"}],
            )  # fmt: skip
            # Callers never see FastAPI's 422: parameter errors are our 400 envelope.
            for operations in schema["paths"].values():
                for operation in operations.values():
                    operation["responses"].pop("422", None)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            for model in (OwnerInput, PetInput):
                components[model.__name__] = model.model_json_schema(
                    by_alias=True, ref_template="#/components/schemas/{model}"
                )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
