"""An app instance set up for webhooks (a key, receivers on 127.0.0.1, short backoffs),
and the GraphQL documents the webhook tests share."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from app.database import Database
from app.main import create_app
from app.settings import Settings
from app.webhooks.worker import Deliverer
from tests.conftest import Backend
from tests.factories import ClinicKey
from tests.graphql_client import gql

ENCRYPTION_KEY = Fernet.generate_key().decode()
# Receivers listen on 127.0.0.1, and waiting seconds for a retry would only slow the suite.
FAST = {
    "webhook_encryption_key": ENCRYPTION_KEY,
    "webhooks_allow_private": True,
    "webhook_timeout": 1.0,
    "webhook_retry_base": 0.05,
    "webhook_retry_max_delay": 0.2,
    "webhook_retry_window": 30.0,
    "delivery_lease": 5.0,
    "delivery_poll_interval": 0.05,
}

CREATE = """mutation($input: WebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id url types enabled } } }"""
DELIVERIES = """query($id: ID!, $state: WebhookDeliveryState, $first: Int, $after: String) {
  webhookDeliveries(endpointId: $id, state: $state, first: $first, after: $after) {
    nodes { id eventId eventType state attempts lastStatus lastError nextAttemptAt
            createdAt finishedAt log { attempt attemptedAt statusCode latencyMs error } }
    pageInfo { hasNextPage endCursor } totalCount } }"""
ENDPOINTS = """{ webhookEndpoints { id url types enabled disabledReason description
  previousSecretExpiresAt } }"""


@dataclass
class Hooks:
    """An instance of the service with webhooks on, and its delivery in the test's hands."""

    client: httpx.AsyncClient
    db: Database
    settings: Settings
    deliverer: Deliverer

    async def create(self, key: ClinicKey, url: str, **fields: Any) -> tuple[str, str]:
        body = await gql(self.client, key, CREATE, {"input": {"url": url, **fields}})
        assert "errors" not in body, body
        created = body["data"]["createWebhookEndpoint"]
        return created["endpoint"]["id"], created["secret"]

    async def deliveries(self, key: ClinicKey, endpoint_id: str, **args: Any) -> Any:
        body = await gql(self.client, key, DELIVERIES, {"id": endpoint_id, **args})
        assert "errors" not in body, body
        return body["data"]["webhookDeliveries"]

    async def owner(self, key: ClinicKey, name: str = "Ada") -> str:
        body = {"firstName": name, "lastName": "Byron"}
        response = await self.client.post("/api/v1/owners", json=body, headers=key.headers)
        assert response.status_code == 201, response.text
        created: str = response.json()["id"]
        return created


@pytest.fixture(name="hooks")
async def hooks_fixture(backend: Backend) -> AsyncIterator[Hooks]:
    settings = backend.settings.model_copy(update=FAST)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://clinova.test") as client:
        yield Hooks(client, app.state.db, settings, Deliverer(app.state.db))
    await app.state.db.dispose()
