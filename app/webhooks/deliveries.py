"""An endpoint's delivery log, newest first: each event sent, its state and attempts."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from app.change_log.models import ChangeEvent
from app.change_log.recording import announce
from app.change_log.shapes import READ_SCOPES, entity_of
from app.context import RequestContext
from app.errors import Forbidden, Invalid, NotFound
from app.models import columns
from app.pagination import MAX_PAGE_SIZE
from app.rows import read_rows
from app.scopes import may
from app.timestamps import utc_now
from app.webhooks.endpoints import endpoint_by_id
from app.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery  # a row of its columns (app.rows)
    event_type: str
    log: list[WebhookAttempt]  # oldest attempt first


@dataclass(frozen=True)
class DeliveryPage:
    items: list[DeliveryView]
    has_next: bool
    has_previous: bool

    @property
    def cursors(self) -> list[str]:
        return [str(view.delivery.id) for view in self.items]


def _conditions(endpoint_id: str, state: DeliveryState | None) -> list[ColumnElement[bool]]:
    conditions = [WebhookDelivery.endpoint_id == endpoint_id]
    if state is not None:
        conditions.append(WebhookDelivery.state == state)
    return conditions


async def list_deliveries(
    ctx: RequestContext,
    endpoint_id: str,
    *,
    after: str | None,
    first: int,
    state: DeliveryState | None = None,
) -> DeliveryPage:
    if first < 1:
        raise Invalid("The page size must be positive", details={"first": "must be at least 1"})
    await endpoint_by_id(ctx.session, endpoint_id)
    conditions = _conditions(endpoint_id, state)
    if after:
        if not (after.isascii() and after.isdigit() and len(after) <= 18):
            raise Invalid("Invalid cursor", details={"after": "is not a cursor from this API"})
        conditions.append(WebhookDelivery.id < int(after))
    size = min(first, MAX_PAGE_SIZE)
    event = and_(
        ChangeEvent.clinic_id == WebhookDelivery.clinic_id,
        ChangeEvent.seq == WebhookDelivery.event_seq,
    )
    query = (
        select(*columns(WebhookDelivery), ChangeEvent.type.label("event_type"))
        .join(ChangeEvent, event)
        .where(*conditions)
        .order_by(WebhookDelivery.id.desc())
        .limit(size + 1)
    )
    fetched: list[Any] = await read_rows(ctx.session, query)
    rows = fetched[:size]
    logs: dict[int, list[WebhookAttempt]] = defaultdict(list)
    if rows:
        attempts = (
            select(*columns(WebhookAttempt))
            .where(WebhookAttempt.delivery_id.in_([r.id for r in rows]))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempt)
        )
        for attempt in await read_rows(ctx.session, attempts):
            logs[attempt.delivery_id].append(attempt)
    return DeliveryPage(
        items=[DeliveryView(row, row.event_type, logs[row.id]) for row in rows],
        has_next=len(fetched) > size,
        has_previous=after is not None,
    )


async def count_deliveries(
    ctx: RequestContext, endpoint_id: str, state: DeliveryState | None = None
) -> int:
    counted = select(func.count()).select_from(WebhookDelivery)
    return int(await ctx.session.scalar(counted.where(*_conditions(endpoint_id, state))) or 0)


async def redeliver(ctx: RequestContext, endpoint_id: str, event_id: str) -> DeliveryView:
    """Queue the event for the endpoint again, behind what it already waits for."""
    async with ctx.writing() as session:
        endpoint = await endpoint_by_id(session, endpoint_id)
        seq = int(event_id) if event_id.isascii() and event_id.isdigit() else None
        found = None if seq is None else await session.scalar(
            select(ChangeEvent.type).where(ChangeEvent.seq == seq)
        )  # fmt: skip
        if seq is None or found is None:
            raise NotFound.for_id("Event", event_id)
        if endpoint.type_set and found not in endpoint.type_set:
            reason = f"the endpoint does not receive {found} events"
            raise Invalid(reason, details={"eventId": reason})
        scope = READ_SCOPES[entity_of(found)]
        if not may(ctx.principal, scope):
            raise Forbidden(f"This API key lacks the '{scope}' scope", {"requiredScope": scope})
        now = utc_now()
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id, event_seq=seq, state=DeliveryState.PENDING, attempts=0,
            next_attempt_at=now, created_at=now,
        )  # fmt: skip
        session.add(delivery)
    announce()
    return DeliveryView(delivery, found, [])
