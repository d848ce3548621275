import json
from pathlib import Path

import httpx

V1_ROUTES = {
    "/api/v1/owners": {"get", "post"},
    "/api/v1/owners/{id}": {"get"},
    "/api/v1/pets": {"get", "post"},
    "/api/v1/pets/{id}": {"get"},
    "/api/v1/medical-records": {"get"},
    "/api/v1/medical-records/{id}": {"get"},
    "/api/v1/invoices": {"get"},
    "/api/v1/invoices/{id}": {"get"},
    "/api/v1/events": {"get"},
}

# The v1 document as callers were promised it. It changes only with the v1 document:
# a field that GraphQL or the domain gains must never show here.
SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi-v1.json"


def as_snapshot(schema: object) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


async def test_openapi_is_the_committed_v1_snapshot(client: httpx.AsyncClient) -> None:
    served = (await client.get("/openapi.json")).json()

    # Compared as text, so that key order and every default count as well.
    assert as_snapshot(served) == SNAPSHOT.read_text(), (
        "the v1 OpenAPI changed; if the v1 document really did, rewrite "
        f"{SNAPSHOT.name} with as_snapshot() of /openapi.json and review the diff"
    )


async def test_openapi_describes_exactly_the_v1_routes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    assert {path: set(ops) for path, ops in schema["paths"].items()} == V1_ROUTES
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation["security"] == [{"HTTPBearer": []}], where
            for status in ("400", "401", "403", "404", "429", "500", "503"):
                ref = operation["responses"][status]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/ErrorEnvelope"}, where
            assert "422" not in operation["responses"], where


async def test_openapi_carries_the_documents_examples_and_bodies(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]

    assert components["Owner"]["examples"][0]["firstName"] == "John"
    assert components["Invoice"]["examples"][0]["itemsJson"].startswith('[{"name":"Rabies')
    assert components["ErrorEnvelope"]["examples"][0]["error"]["code"] == "RESOURCE_NOT_FOUND"
    create_pet = schema["paths"]["/api/v1/pets"]["post"]
    assert create_pet["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PetInput"
    }
    assert set(components["PetInput"]["required"]) == {"name", "species", "ownerId"}
    assert components["PetInput"]["additionalProperties"] is False
    list_owners = schema["paths"]["/api/v1/owners"]["get"]
    limit = next(p for p in list_owners["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 100 and limit["schema"]["minimum"] == 1


async def test_docs_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
