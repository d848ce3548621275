"""Managing endpoints: the secret shown once and stored encrypted, the scope, the types."""

from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from app.webhooks.endpoints import MAX_ENDPOINTS
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import Backend
from tests.factories import clinic_session, make_clinic, make_key
from tests.graphql_client import codes, gql
from tests.webhook_support import (
    CREATE,
    ENCRYPTION_KEY,
    ENDPOINTS,
    Hooks,
    hooks_fixture,  # noqa: F401  (the fixture)
)

URL = "http://127.0.0.1:9/hooks"  # never connected to: these tests deliver nothing
UPDATE = """mutation($id: ID!, $input: WebhookEndpointPatch!) {
  updateWebhookEndpoint(id: $id, input: $input) {
    id url types enabled disabledReason description } }"""
DELETE = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }"
ROTATE = "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }"


async def _endpoints(hooks: Hooks, key: Any) -> list[dict[str, Any]]:
    body = await gql(hooks.client, key, ENDPOINTS)
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["webhookEndpoints"]
    return found


async def test_the_secret_is_shown_once_and_stored_only_encrypted(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    endpoint, secret = await hooks.create(clinic, URL, description="CRM sync")

    listed = await _endpoints(hooks, clinic)
    assert listed == [{
        "id": endpoint, "url": URL, "types": listed[0]["types"], "enabled": True,
        "disabledReason": None, "description": "CRM sync", "previousSecretExpiresAt": None,
    }]  # fmt: skip
    assert len(listed[0]["types"]) == 14  # every type: this key reads everything
    assert secret.startswith("whsec_") and len(secret) > 40
    async with clinic_session(hooks.db, clinic.clinic_id) as session:
        stored = await session.get(WebhookEndpoint, endpoint)
        assert stored is not None
        dump = " ".join(
            str(v) for row in (await session.execute(text("SELECT * FROM webhook_endpoints")))
            for v in row
        )  # fmt: skip
    assert secret not in dump and secret[6:] not in dump
    assert Fernet(ENCRYPTION_KEY.encode()).decrypt(stored.secret.encode()).decode() == secret

    rotated = (await gql(hooks.client, clinic, ROTATE, {"id": endpoint}))["data"]
    new = rotated["rotateWebhookSecret"]["secret"]
    async with clinic_session(hooks.db, clinic.clinic_id) as session:
        stored = await session.get(WebhookEndpoint, endpoint)
        assert stored is not None and stored.previous_secret is not None
        fernet = Fernet(ENCRYPTION_KEY.encode())
        assert fernet.decrypt(stored.secret.encode()).decode() == new
        assert fernet.decrypt(stored.previous_secret.encode()).decode() == secret


async def test_webhooks_need_the_manage_scope(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    endpoint, _secret = await hooks.create(clinic, URL)
    reader = await make_key(hooks.db, clinic.clinic_id, scopes=["owners:read", "pets:write"])

    for document, variables in (
        (ENDPOINTS, {}),
        (CREATE, {"input": {"url": URL}}),
        (UPDATE, {"id": endpoint, "input": {"enabled": False}}),
        (DELETE, {"id": endpoint}),
        (ROTATE, {"id": endpoint}),
        ("query($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount } }", {"id": endpoint}),
        ("mutation($id: ID!) { redeliverEvent(endpointId: $id, eventId: \"1\") { id } }",
         {"id": endpoint}),
    ):  # fmt: skip
        body = await gql(hooks.client, reader, document, variables)
        assert codes(body) == ["INSUFFICIENT_PERMISSIONS"], document
        assert body["errors"][0]["extensions"]["details"] == {"requiredScope": "webhooks:manage"}
    assert len(await _endpoints(hooks, clinic)) == 1


async def test_an_endpoint_receives_only_what_its_key_may_read(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    manager = await make_key(
        hooks.db, clinic.clinic_id, scopes=["webhooks:manage", "owners:read", "pets:write"]
    )

    records = await gql(
        hooks.client, manager, CREATE, {"input": {"url": URL, "types": ["medical_record.created"]}}
    )
    _endpoint, _secret = await hooks.create(manager, URL)
    [created] = await _endpoints(hooks, manager)
    widened = await gql(
        hooks.client, manager, UPDATE, {"id": created["id"], "input": {"types": ["invoice.paid"]}}
    )

    assert codes(records) == ["INSUFFICIENT_PERMISSIONS"]
    assert records["errors"][0]["extensions"]["details"] == {"requiredScope": "records:read"}
    assert created["types"] == [
        "owner.created", "owner.deleted", "owner.updated",
        "pet.created", "pet.deleted", "pet.updated",
    ]  # fmt: skip
    assert codes(widened) == ["INSUFFICIENT_PERMISSIONS"]
    # Pointing it elsewhere is answering for what it receives: the same check.
    everything = await hooks.create(clinic, URL)
    moved = await gql(
        hooks.client, manager, UPDATE, {"id": everything[0], "input": {"url": URL + "/x"}}
    )
    assert codes(moved) == ["INSUFFICIENT_PERMISSIONS"]


async def test_update_and_delete_an_endpoint(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    endpoint, _secret = await hooks.create(clinic, URL, types=["owner.created"])
    await hooks.owner(clinic)
    await hooks.deliverer.drain()  # the receiver is not there: a pending delivery stays

    changed = await gql(hooks.client, clinic, UPDATE, {"id": endpoint, "input": {
        "url": URL + "/v2", "types": ["pet.created", "owner.deleted"], "description": "v2",
        "enabled": False,
    }})  # fmt: skip
    assert changed["data"]["updateWebhookEndpoint"] == {
        "id": endpoint, "url": URL + "/v2", "types": ["owner.deleted", "pet.created"],
        "enabled": False, "disabledReason": f"by apikey|{clinic.key_id}", "description": "v2",
    }  # fmt: skip
    cleared = await gql(hooks.client, clinic, UPDATE, {"id": endpoint, "input": {
        "description": "", "types": []}})  # fmt: skip
    assert cleared["data"]["updateWebhookEndpoint"]["description"] is None
    assert len(cleared["data"]["updateWebhookEndpoint"]["types"]) == 14

    assert (await gql(hooks.client, clinic, DELETE, {"id": endpoint}))["data"] == {
        "deleteWebhookEndpoint": endpoint
    }
    assert await _endpoints(hooks, clinic) == []
    async with clinic_session(hooks.db, clinic.clinic_id) as session:
        left = await session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert left == 0
    again = await gql(hooks.client, clinic, DELETE, {"id": endpoint})
    assert codes(again) == ["RESOURCE_NOT_FOUND"]


async def test_another_clinics_endpoint_does_not_exist(hooks: Hooks) -> None:
    mine, theirs = await make_clinic(hooks.db), await make_clinic(hooks.db)
    endpoint, _secret = await hooks.create(theirs, URL)

    for document in (DELETE, ROTATE):
        assert codes(await gql(hooks.client, mine, document, {"id": endpoint})) == [
            "RESOURCE_NOT_FOUND"
        ]
    assert await _endpoints(hooks, mine) == []
    deliveries = await gql(
        hooks.client, mine,
        "query($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount } }", {"id": endpoint},
    )  # fmt: skip
    assert codes(deliveries) == ["RESOURCE_NOT_FOUND"]


async def test_bad_endpoints_are_validation_errors(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    for fields, named in (
        ({"url": URL, "types": ["owner.renamed"]}, "types"),
        ({"url": "ftp://127.0.0.1/hooks"}, "url"),
        ({"url": "http://user:pw@127.0.0.1/hooks"}, "url"),
        ({"url": "https://127.0.0.1/" + "x" * 2100}, "url"),
        ({"url": URL, "description": "x" * 501}, "description"),
    ):
        body = await gql(hooks.client, clinic, CREATE, {"input": fields})
        assert codes(body) == ["VALIDATION_ERROR"], fields
        assert named in body["errors"][0]["extensions"]["details"], fields

    for _ in range(MAX_ENDPOINTS):
        await hooks.create(clinic, URL)
    over = await gql(hooks.client, clinic, CREATE, {"input": {"url": URL}})
    assert codes(over) == ["VALIDATION_ERROR"]


async def test_without_an_encryption_key_webhooks_say_what_to_set(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    # The suite's own instance has no CLINOVA_WEBHOOK_ENCRYPTION_KEY.
    clinic = await make_clinic(backend.db)
    body = await gql(client, clinic, CREATE, {"input": {"url": URL}})

    assert codes(body) == ["SERVICE_UNAVAILABLE"]
    assert "CLINOVA_WEBHOOK_ENCRYPTION_KEY" in body["errors"][0]["message"]
    assert "Fernet.generate_key()" in body["errors"][0]["message"]
