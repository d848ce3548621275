"""Delivering webhooks, in `clinova deliver` or beside `clinova serve`.

`CLINOVA_DELIVERY_CONCURRENCY` slots per process each claim an endpoint with
work (app.webhooks.queue), serve it, and let it go. A write committed in this
process wakes them at once; other instances' writes are found at the next poll.
Whoever delivers also removes events past retention (app.change_log.retention).
"""

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import time
from datetime import datetime, timedelta
from enum import Enum

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.change_log.recording import announcements
from app.change_log.retention import purge_expired
from app.database import Database, write_transaction
from app.tenancy import mark_unscoped
from app.timestamps import format_timestamp, utc_now
from app.webhooks import queue
from app.webhooks.delivery import Outcome, client, post
from app.webhooks.models import DeliveryState, WebhookEndpoint
from app.webhooks.signing import SecretBox, SecretsUnavailable, signature

log = logging.getLogger("clinova.webhooks")

FAN_OUT_BATCH = 500
DUE_BATCH = 100
# Attempts gathered this long are recorded together (app.webhooks.queue.settle).
SETTLE_AFTER = 0.1
# Deliveries one claim may make before the endpoint is let go and claimed again.
CLAIM_BUDGET = 1_000
PURGE_EVERY = 600.0


class _Progress(Enum):
    DRAINED = "nothing is due"
    HELD_UP = "the head waits, the endpoint stopped, or it is no longer ours"


def retry_delay(failures: int, *, base: float, longest: float) -> float:
    """Exponential backoff with equal jitter: half the delay fixed, half random."""
    delay = min(longest, base * 2.0 ** min(failures - 1, 60))
    return delay / 2 + random.uniform(0, delay / 2)


class Deliverer:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.settings = db.settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease = timedelta(seconds=self.settings.delivery_lease)
        self.box = SecretBox(self.settings)
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; the attempts in flight finish first."""
        self._stop = stop
        slots = self.settings.delivery_concurrency
        tasks = [asyncio.create_task(self._slot()) for _ in range(slots)]
        tasks.append(asyncio.create_task(self._purging()))
        try:
            await stop.wait()
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def drain(self) -> None:
        """Serve every endpoint with something due now, then return (tests, benchmarks)."""
        while await self.serve_next():
            pass

    async def _slot(self) -> None:
        with announcements() as wake:
            while not self._stop.is_set():
                wake.clear()
                try:
                    served = await self.serve_next()
                except Exception:
                    log.exception("webhook delivery failed; trying again shortly")
                    served = False
                if not served:
                    await _first(wake, self._stop, at_most=self.settings.delivery_poll_interval)

    async def _purging(self) -> None:
        while not self._stop.is_set():
            try:
                removed = await purge_expired(
                    self.db.sessionmaker,
                    retention_days=self.settings.events_retention_days,
                    now=utc_now(),
                )
                if removed:
                    log.info("removed %d events past retention", removed)
            except Exception:
                log.exception("removing events past retention failed")
            await _first(self._stop, at_most=PURGE_EVERY)

    async def serve_next(self) -> bool:
        """Claims one endpoint with work and serves it; False when none has any."""
        async with self.db.sessionmaker() as session:
            mark_unscoped(session)
            async with write_transaction(session):
                claimed = await queue.claim(session, owner=self.owner, lease=self.lease)
                if claimed is None:
                    return False
                endpoint = await queue.leased(session, claimed, owner=self.owner)
                if endpoint is not None:
                    # In the claim's transaction: the first event goes out a commit sooner.
                    await queue.fan_out(session, endpoint, batch=FAN_OUT_BATCH)
            try:
                if endpoint is not None:
                    await self._serve(session, endpoint)
            finally:
                async with write_transaction(session):
                    await queue.release(session, claimed, owner=self.owner)
        return True

    async def _serve(self, session: AsyncSession, endpoint: WebhookEndpoint) -> None:
        sent = 0
        async with client(self.settings.webhook_timeout) as http:
            while sent < CLAIM_BUDGET and not self._stop.is_set():
                progress, made = await self._send_due(session, http, endpoint)
                sent += made
                if progress is _Progress.HELD_UP:
                    return
                async with write_transaction(session):
                    current = await queue.leased(session, endpoint.id, owner=self.owner)
                    if current is None:
                        return
                    endpoint = current
                    if not await queue.fan_out(session, endpoint, batch=FAN_OUT_BATCH):
                        return

    async def _send_due(
        self, session: AsyncSession, http: httpx.AsyncClient, endpoint: WebhookEndpoint
    ) -> tuple[_Progress, int]:
        """Sends the endpoint's due deliveries, head first, until one fails or none is due.

        Attempts are recorded a few at a time, in one transaction (one commit, one
        lease renewal): at most SETTLE_AFTER seconds plus one attempt apart, well
        within the lease, so no other instance takes the endpoint meanwhile.
        """
        made = 0
        while True:
            pending = await queue.due(session, endpoint.id, limit=DUE_BATCH)
            now = await queue.clock(session)
            done: list[tuple[queue.Due, Outcome, float]] = []
            gathering, held_up = time.monotonic(), False
            for delivery in pending:
                if delivery.next_attempt_at > now or self._stop.is_set():
                    held_up = True
                    break
                started = time.monotonic()
                outcome = await self._attempt(http, endpoint, delivery, now)
                done.append((delivery, outcome, started))
                if not outcome.delivered:
                    held_up = True
                    break
                if time.monotonic() - gathering >= SETTLE_AFTER:
                    ours = await self._settle(session, endpoint, done)
                    made, done, gathering = made + len(done), [], time.monotonic()
                    if not ours:
                        return _Progress.HELD_UP, made
            if done:
                ours = await self._settle(session, endpoint, done)
                made += len(done)
                held_up = held_up or not ours
            if held_up:
                return _Progress.HELD_UP, made
            if len(pending) < DUE_BATCH:
                return _Progress.DRAINED, made

    async def _settle(
        self,
        session: AsyncSession,
        endpoint: WebhookEndpoint,
        done: list[tuple[queue.Due, Outcome, float]],
    ) -> bool:
        """Records attempts and renews the lease; False when the endpoint is no longer ours."""
        async with write_transaction(session):
            now = await queue.clock(session)
            settled = [
                (delivery, self._settlement(delivery, outcome, now, time.monotonic() - started))
                for delivery, outcome, started in done
            ]
            ours = await queue.settle(
                session, endpoint, settled, owner=self.owner, lease_until=now + self.lease
            )
        for _delivery, settlement in settled:
            if settlement.disable:
                log.warning("endpoint %s disabled: %s", endpoint.id, settlement.disable)
        return ours

    async def _attempt(
        self, http: httpx.AsyncClient, endpoint: WebhookEndpoint, delivery: queue.Due, now: datetime
    ) -> Outcome:
        try:
            keys = [self.box.open(endpoint.secret)]
        except SecretsUnavailable as error:
            return Outcome(None, 0, str(error))
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret and expires is not None and expires > now:
            # A secret rotated away after the encryption key was replaced cannot be
            # opened: the current one still signs.
            with contextlib.suppress(SecretsUnavailable):
                keys.append(self.box.open(endpoint.previous_secret))
        body = orjson.dumps(
            {
                "id": str(delivery.event_seq),
                "type": delivery.event_type,
                "occurredAt": format_timestamp(delivery.occurred_at),
                "data": delivery.data,
            }
        )
        headers = {
            "Clinova-Event-Id": str(delivery.event_seq),
            "Clinova-Signature": signature(keys, int(utc_now().timestamp()), body),
        }
        return await post(
            http, endpoint.url, body, headers,
            allow_private=self.settings.webhooks_allow_private,
            within=self.settings.webhook_timeout,
        )  # fmt: skip

    def _settlement(
        self, delivery: queue.Due, outcome: Outcome, now: datetime, ago: float
    ) -> queue.Settlement:
        attempted_at = now - timedelta(seconds=ago)
        if outcome.delivered:
            state = DeliveryState.DELIVERED
        elif now - delivery.created_at >= timedelta(seconds=self.settings.webhook_retry_window):
            state = DeliveryState.FAILED
        else:
            state = DeliveryState.PENDING
        delay = retry_delay(
            delivery.attempts + 1,
            base=self.settings.webhook_retry_base,
            longest=self.settings.webhook_retry_max_delay,
        )
        return queue.Settlement(
            attempted_at=attempted_at,
            settled_at=now,
            status=outcome.status,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            state=state,
            next_attempt_at=now + timedelta(seconds=delay),
            disable="the receiver answered 410 Gone" if outcome.status == 410 else None,
        )


async def _first(*events: asyncio.Event, at_most: float) -> None:
    """Waits until one of `events` is set, or `at_most` seconds."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
