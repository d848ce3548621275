"""Webhook endpoints and their delivery logs, guarded by `webhooks:manage`."""

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from app.change_log.shapes import EVENT_TYPES
from app.webhooks import deliveries, endpoints
from app.webhooks import models as webhook_models
from graphql_schema.context import ctx
from graphql_schema.cost import FAN_OUT
from graphql_schema.log_connections import Connection
from graphql_schema.permissions import requires
from graphql_schema.scalars import DateTime

MANAGE = [requires("webhooks:manage")]
DELIVERY_PAGE_SIZE = 50
# Attempts a delivery makes at most, about: backoff doubling to 6 hours over 3 days.
ATTEMPTS_PER_DELIVERY = 20
Unset = strawberry.UNSET

strawberry.enum(
    webhook_models.DeliveryState,
    name="WebhookDeliveryState",
    description="PENDING (being retried), DELIVERED (a 2xx), FAILED (retries ran out).",
)
DeliveryState = webhook_models.DeliveryState


@strawberry.type(description="Where the clinic's events are POSTed, signed.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="cuid of the endpoint.")
    url: str = strawberry.field(description="The https URL events are POSTed to.")
    description: str | None = strawberry.field(description="What it is for.")
    enabled: bool = strawberry.field(description="Whether it receives events.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled (by a key, or the receiver's 410 Gone)."
    )
    created_at: DateTime = strawberry.field(description="When it was created.")
    updated_at: DateTime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="The event types it receives.")
    def types(self, root: strawberry.Parent[webhook_models.WebhookEndpoint]) -> list[str]:
        return sorted(root.type_set) if root.type_set else list(EVENT_TYPES)

    @strawberry.field(
        description="Until when the secret a rotation replaced still signs.",
        graphql_type=DateTime | None,
    )
    def previous_secret_expires_at(
        self, root: strawberry.Parent[webhook_models.WebhookEndpoint]
    ) -> datetime | None:
        return root.previous_secret_expires_at if root.previous_secret else None


@strawberry.type(description="An endpoint with its signing secret: shown this once.")
class WebhookSecret:
    secret: str = strawberry.field(description="whsec_...: HMAC-SHA256 key of Clinova-Signature.")

    @strawberry.field(description="The endpoint.", graphql_type=WebhookEndpoint)
    def endpoint(
        self, root: strawberry.Parent[endpoints.EndpointSecret]
    ) -> webhook_models.WebhookEndpoint:
        return root.endpoint


@strawberry.type(description="One POST of a delivery.")
class WebhookAttempt:
    attempt: int = strawberry.field(description="1 for the first POST, then 2, 3, ...")
    attempted_at: DateTime = strawberry.field(description="When it was sent.")
    status_code: int | None = strawberry.field(description="The receiver's HTTP status, if any.")
    latency_ms: int = strawberry.field(description="Milliseconds until the answer or the error.")
    error: str | None = strawberry.field(description="Why it did not count as delivered.")


@strawberry.type(description="One event sent to one endpoint, with its attempts.")
class WebhookDelivery:
    event_type: str = strawberry.field(description="The event's type.")
    log: list[WebhookAttempt] = strawberry.field(
        description="Its attempts, oldest first.", metadata={FAN_OUT: ATTEMPTS_PER_DELIVERY}
    )

    @strawberry.field(description="Id of the delivery; also its cursor.")
    def id(self, root: strawberry.Parent[deliveries.DeliveryView]) -> strawberry.ID:
        return strawberry.ID(str(root.delivery.id))

    @strawberry.field(description="The event's id in the change feed.")
    def event_id(self, root: strawberry.Parent[deliveries.DeliveryView]) -> strawberry.ID:
        return strawberry.ID(str(root.delivery.event_seq))

    @strawberry.field(description="PENDING, DELIVERED or FAILED (a dead letter).")
    def state(self, root: strawberry.Parent[deliveries.DeliveryView]) -> DeliveryState:
        return root.delivery.state

    @strawberry.field(description="POSTs made so far.")
    def attempts(self, root: strawberry.Parent[deliveries.DeliveryView]) -> int:
        return root.delivery.attempts

    @strawberry.field(description="The last attempt's HTTP status, if any.")
    def last_status(self, root: strawberry.Parent[deliveries.DeliveryView]) -> int | None:
        return root.delivery.last_status

    @strawberry.field(description="Why the last attempt did not count, if it did not.")
    def last_error(self, root: strawberry.Parent[deliveries.DeliveryView]) -> str | None:
        return root.delivery.last_error

    @strawberry.field(
        description="When it is sent next, while PENDING.", graphql_type=DateTime | None
    )
    def next_attempt_at(self, root: strawberry.Parent[deliveries.DeliveryView]) -> datetime | None:
        pending = root.delivery.state == DeliveryState.PENDING
        return root.delivery.next_attempt_at if pending else None

    @strawberry.field(description="When it was queued.", graphql_type=DateTime)
    def created_at(self, root: strawberry.Parent[deliveries.DeliveryView]) -> datetime:
        return root.delivery.created_at

    @strawberry.field(description="When it was delivered or failed.", graphql_type=DateTime | None)
    def finished_at(self, root: strawberry.Parent[deliveries.DeliveryView]) -> datetime | None:
        return root.delivery.finished_at


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointInput:
    url: str = strawberry.field(description="https URL at a public address (up to 2048).")
    types: list[str] | None = strawberry.field(
        default=None, description="Event types to receive; omitted: every type the key may read."
    )
    description: str | None = strawberry.field(default=None, description="What it is for.")


@strawberry.input(description="Changes to an endpoint; omitted fields stay as they are.")
class WebhookEndpointPatch:
    url: str | None = strawberry.field(default=Unset, description="A new https URL.")
    types: list[str] | None = strawberry.field(
        default=Unset, description="Event types to receive; empty: every type the key may read."
    )
    description: str | None = strawberry.field(default=Unset, description='"" clears it.')
    enabled: bool | None = strawberry.field(
        default=Unset, description="false stops deliveries; true resumes them, oldest first."
    )


def _given(value: Any) -> Any:
    return None if value is Unset else value


ENDPOINT = strawberry.argument(description="The endpoint's id.")


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description="The clinic's webhook endpoints.", permission_classes=MANAGE,
        graphql_type=list[WebhookEndpoint] | None, metadata={FAN_OUT: endpoints.MAX_ENDPOINTS},
    )  # fmt: skip
    async def webhook_endpoints(self, info: Info) -> list[webhook_models.WebhookEndpoint]:
        return await endpoints.list_endpoints(ctx(info))

    @strawberry.field(
        description="An endpoint's delivery log, newest first; state: FAILED lists dead letters.",
        permission_classes=MANAGE,
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: Annotated[strawberry.ID, ENDPOINT],
        after: Annotated[str | None, strawberry.argument(description="A delivery's id.")] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, at most 100 (default 50).")
        ] = DELIVERY_PAGE_SIZE,
        state: Annotated[
            DeliveryState | None, strawberry.argument(description="Only deliveries in it.")
        ] = None,
    ) -> Connection[WebhookDelivery] | None:
        context = ctx(info)
        page = await deliveries.list_deliveries(
            context, endpoint_id, after=after, state=state,
            first=DELIVERY_PAGE_SIZE if first is None else first,
        )  # fmt: skip

        async def count() -> int:
            return await deliveries.count_deliveries(context, endpoint_id, state)

        items: list[Any] = page.items
        return Connection(
            items=items, cursors=page.cursors, has_next=page.has_next,
            has_previous=page.has_previous, resume_from=after, count=count,
        )  # fmt: skip


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Create an endpoint; the answer holds its signing secret, shown once.",
        permission_classes=MANAGE, graphql_type=WebhookSecret,
    )  # fmt: skip
    async def create_webhook_endpoint(
        self, info: Info, input: WebhookEndpointInput
    ) -> endpoints.EndpointSecret:
        return await endpoints.create_endpoint(
            ctx(info), url=input.url, types=input.types, description=input.description
        )

    @strawberry.mutation(
        description="Change an endpoint.", permission_classes=MANAGE, graphql_type=WebhookEndpoint
    )
    async def update_webhook_endpoint(
        self, info: Info, id: strawberry.ID, input: WebhookEndpointPatch
    ) -> webhook_models.WebhookEndpoint:
        patch = endpoints.EndpointPatch(
            url=_given(input.url), types=_given(input.types),
            description=_given(input.description), enabled=_given(input.enabled),
        )  # fmt: skip
        return await endpoints.update_endpoint(ctx(info), id, patch)

    @strawberry.mutation(
        description="Delete an endpoint and its delivery log.", permission_classes=MANAGE
    )
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return strawberry.ID(await endpoints.delete_endpoint(ctx(info), id))

    @strawberry.mutation(
        description="A new signing secret, shown once; the old one keeps signing for 24 hours.",
        permission_classes=MANAGE, graphql_type=WebhookSecret,
    )  # fmt: skip
    async def rotate_webhook_secret(
        self, info: Info, id: strawberry.ID
    ) -> endpoints.EndpointSecret:
        return await endpoints.rotate_secret(ctx(info), id)

    @strawberry.mutation(
        description="Send an event to an endpoint again, after what it already waits for.",
        permission_classes=MANAGE, graphql_type=WebhookDelivery,
    )  # fmt: skip
    async def redeliver_event(
        self, info: Info, endpoint_id: strawberry.ID, event_id: strawberry.ID
    ) -> deliveries.DeliveryView:
        return await deliveries.redeliver(ctx(info), endpoint_id, event_id)
