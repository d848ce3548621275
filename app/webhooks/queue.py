"""The delivery queue, in the database that every instance shares.

An endpoint is served by one instance at a time, which keeps its deliveries in
log order: the instance claims it with a lease (`claim`: FOR UPDATE SKIP LOCKED on
PostgreSQL, so instances never wait for or take each other's endpoints; SQLite's
writers are serial anyway), renews the lease with every attempt it records, and
lets go when done. An instance that dies holding one stops renewing; when the
lease runs out another claims the endpoint and sends again what was not
recorded as delivered: at least once, never lost.

Serving an endpoint: new events of its clinic's log become its deliveries
(`fan_out`, moving the endpoint's cursor), then its pending deliveries are sent
head first (`due`); the head waits out its backoff before anything behind it goes.
Each attempt is recorded (`settle`) only if the delivery is still as it was read:
one attempt is recorded once, whoever else might have got to it.

Why not procrastinate: it is PostgreSQL-only, on psycopg 3 beside our asyncpg
pool, with a schema of its own outside our migrations, and a crashed worker's
jobs come back only through a retry task one writes oneself; our default
database is SQLite, which needs the same queue. Its per-lock ordering is what
the per-endpoint lease gives here, in a few statements over our own tables.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.change_log.models import ChangeCounter, ChangeEvent
from app.timestamps import to_millis, utc_now
from app.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint

PENDING = DeliveryState.PENDING


async def clock(session: AsyncSession) -> datetime:
    """Now, by the database's clock on PostgreSQL, so instances agree on leases."""
    if session.get_bind().dialect.name == "postgresql":
        return to_millis((await session.execute(select(func.clock_timestamp()))).scalar_one())
    return utc_now()


async def claim(session: AsyncSession, *, owner: str, lease: timedelta) -> str | None:
    """An endpoint with work, leased to `owner` (its id), or None; in a write transaction."""
    now = await clock(session)
    head_due = (
        select(WebhookDelivery.next_attempt_at)
        .where(WebhookDelivery.endpoint_id == WebhookEndpoint.id, WebhookDelivery.state == PENDING)
        .order_by(WebhookDelivery.id)
        .limit(1)
        .correlate(WebhookEndpoint)
        .scalar_subquery()
    )
    new_events = exists().where(
        ChangeCounter.clinic_id == WebhookEndpoint.clinic_id,
        ChangeCounter.last_seq > WebhookEndpoint.cursor_seq,
    )
    free = (
        select(WebhookEndpoint.id)
        .where(WebhookEndpoint.enabled)
        .where(or_(WebhookEndpoint.leased_until.is_(None), WebhookEndpoint.leased_until < now))
        .where(or_(new_events, head_due <= now))
        .order_by(WebhookEndpoint.claimed_at.nulls_first(), WebhookEndpoint.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed: str | None = await session.scalar(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == free)
        .values(lease_owner=owner, leased_until=now + lease, claimed_at=now)
        .returning(WebhookEndpoint.id)
        .execution_options(synchronize_session=False)
    )
    return claimed


async def release(session: AsyncSession, endpoint_id: str, *, owner: str) -> None:
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_owner == owner)
        .values(lease_owner=None, leased_until=None)
        .execution_options(synchronize_session=False)
    )


async def leased(session: AsyncSession, endpoint_id: str, *, owner: str) -> WebhookEndpoint | None:
    """The endpoint as it is now, if `owner` still holds it."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
    if endpoint is None or endpoint.lease_owner != owner or not endpoint.enabled:
        return None
    return endpoint


async def fan_out(session: AsyncSession, endpoint: WebhookEndpoint, *, batch: int) -> int:
    """The next events of the log as the endpoint's deliveries; in a write transaction."""
    events = (
        select(ChangeEvent.seq, ChangeEvent.type)
        .where(ChangeEvent.clinic_id == endpoint.clinic_id, ChangeEvent.seq > endpoint.cursor_seq)
        .order_by(ChangeEvent.seq)
        .limit(batch)
    )
    found = (await session.execute(events)).all()
    if not found:
        return 0
    types, now = endpoint.type_set, await clock(session)
    rows = [
        {
            "clinic_id": endpoint.clinic_id, "endpoint_id": endpoint.id, "event_seq": seq,
            "state": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
        }
        for seq, event_type in found
        if not types or event_type in types
    ]  # fmt: skip
    if rows:
        # One row after another, so ids (the queue's order) follow the log's.
        await session.execute(insert(WebhookDelivery), rows)
    endpoint.cursor_seq = found[-1].seq
    return len(found)


@dataclass(frozen=True)
class Due:
    delivery_id: int
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    event_seq: int
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]


async def due(session: AsyncSession, endpoint_id: str, *, limit: int) -> list[Due]:
    """The endpoint's pending deliveries, head first, with their events."""
    event = and_(
        ChangeEvent.clinic_id == WebhookDelivery.clinic_id,
        ChangeEvent.seq == WebhookDelivery.event_seq,
    )
    fields = (
        WebhookDelivery.id, WebhookDelivery.attempts, WebhookDelivery.created_at,
        WebhookDelivery.next_attempt_at, ChangeEvent.seq, ChangeEvent.type,
        ChangeEvent.occurred_at, ChangeEvent.data,
    )  # fmt: skip
    query = (
        select(*fields)
        .join(ChangeEvent, event)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.state == PENDING)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    return [Due(*row) for row in (await session.execute(query)).all()]


@dataclass(frozen=True)
class Settlement:
    """What an attempt came to, as the queue records it."""

    attempted_at: datetime
    settled_at: datetime
    status: int | None
    latency_ms: int
    error: str | None
    state: DeliveryState
    next_attempt_at: datetime
    disable: str | None  # why the endpoint stops receiving (410), or None


async def settle(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    settled: list[tuple[Due, Settlement]],
    *,
    owner: str,
    lease_until: datetime,
) -> bool:
    """Records attempts, in a write transaction; False if any was not ours to record.

    A delivery is changed only if it is as it was read (pending, with as many
    attempts), so an attempt is recorded once whoever else got to it; the lease
    is renewed only if it is still `owner`'s.
    """
    attempts = []
    for delivery, settlement in settled:
        recorded = await session.scalar(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery.delivery_id,
                WebhookDelivery.state == PENDING,
                WebhookDelivery.attempts == delivery.attempts,
            )
            .values(
                attempts=delivery.attempts + 1,
                state=settlement.state,
                next_attempt_at=settlement.next_attempt_at,
                finished_at=None if settlement.state == PENDING else settlement.settled_at,
                last_status=settlement.status,
                last_error=settlement.error,
            )
            .returning(WebhookDelivery.id)
            .execution_options(synchronize_session=False)
        )
        if recorded is None:
            break
        attempts.append({
            "clinic_id": endpoint.clinic_id, "delivery_id": delivery.delivery_id,
            "attempt": delivery.attempts + 1, "attempted_at": settlement.attempted_at,
            "status_code": settlement.status, "latency_ms": settlement.latency_ms,
            "error": settlement.error, "sent_by": owner,
        })  # fmt: skip
    if attempts:
        await session.execute(insert(WebhookAttempt), attempts)
    values: dict[str, Any] = {"leased_until": lease_until}
    disable = [s.disable for _d, s in settled[: len(attempts)] if s.disable]
    if disable:
        values |= {"enabled": False, "disabled_reason": disable[0]}
    held = await session.scalar(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.lease_owner == owner)
        .values(values)
        .returning(WebhookEndpoint.id)
        .execution_options(synchronize_session=False)
    )
    return held is not None and len(attempts) == len(settled)
