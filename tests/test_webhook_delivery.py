"""Deliveries to real receivers on 127.0.0.1: signed, retried, in order, logged."""

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from app.change_log.models import ChangeEvent
from app.timestamps import parse_timestamp, utc_now
from app.webhooks.models import WebhookEndpoint
from tests.factories import clinic_session, make_clinic
from tests.graphql_client import gql
from tests.webhook_receiver import Answer, Receiver, verify
from tests.webhook_support import Hooks, hooks_fixture  # noqa: F401  (the fixture)

FAILED_ONCE = Answer(status=500)


async def until(hooks: Hooks, done: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Deliver what is due, again and again, until `done` (retries wait out their backoff)."""
    deadline = time.monotonic() + within
    while not await done():
        assert time.monotonic() < deadline, "not done in time"
        await hooks.deliverer.drain()
        await asyncio.sleep(0.02)


async def test_an_event_is_posted_once_signed_as_stripe_signs(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        endpoint, secret = await hooks.create(clinic, receiver.url)
        receiver.secrets.append(secret)
        owner = await hooks.owner(clinic)

        await hooks.deliverer.drain()

        [arrival] = receiver.arrivals
        event = (await hooks.client.get("/api/v1/events", headers=clinic.headers)).json()["data"][0]
        assert arrival.body == {k: event[k] for k in ("id", "type", "occurredAt", "data")}
        assert list(arrival.body) == ["id", "type", "occurredAt", "data"]
        assert arrival.body["type"] == "owner.created" and arrival.body["data"]["id"] == owner
        assert arrival.event_id == event["id"] == "1"
        assert arrival.verified
        header = arrival.headers["clinova-signature"]
        assert header.startswith("t=") and header.count("v1=") == 1
        assert abs(int(header.split(",")[0][2:]) - time.time()) < 60
        assert arrival.headers["content-type"] == "application/json"
        assert json.loads(arrival.raw) == arrival.body

        log = await hooks.deliveries(clinic, endpoint)
        [delivery] = log["nodes"]
        assert delivery["state"] == "DELIVERED" and delivery["attempts"] == 1
        assert delivery["eventId"] == "1" and delivery["eventType"] == "owner.created"
        assert delivery["nextAttemptAt"] is None and delivery["finishedAt"] is not None
        [attempt] = delivery["log"]
        assert attempt["attempt"] == 1 and attempt["statusCode"] == 200
        assert attempt["error"] is None and attempt["latencyMs"] >= 0

        await hooks.deliverer.drain()
        assert len(receiver.arrivals) == 1  # delivered is done


async def test_failures_are_retried_with_growing_backoff_until_a_2xx(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        endpoint, _secret = await hooks.create(clinic, receiver.url)
        receiver.answer(FAILED_ONCE, FAILED_ONCE, Answer(status=503))
        await hooks.owner(clinic)

        await until(hooks, lambda: _has(receiver, 4))

        [delivery] = (await hooks.deliveries(clinic, endpoint))["nodes"]
        assert delivery["state"] == "DELIVERED" and delivery["attempts"] == 4
        log = delivery["log"]
        assert [a["statusCode"] for a in log] == [500, 500, 503, 200]
        assert [a["error"] for a in log] == ["HTTP 500", "HTTP 500", "HTTP 503", None]
        sent = [a.at for a in receiver.arrivals]
        gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
        base = hooks.settings.webhook_retry_base
        # Each wait is at least half its exponential delay (equal jitter): 0.025, 0.05, 0.1 s.
        assert all(gap >= base * 2**n / 2 * 0.9 for n, gap in enumerate(gaps)), gaps


async def _has(receiver: Receiver, count: int) -> bool:
    return len(receiver.arrivals) >= count


async def test_events_arrive_in_log_order_behind_a_failing_head(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        await hooks.create(clinic, receiver.url)
        receiver.answer(FAILED_ONCE, FAILED_ONCE)
        for name in ("One", "Two", "Three"):
            await hooks.owner(clinic, name)

        await until(hooks, lambda: _has(receiver, 5))

        assert [a.event_id for a in receiver.arrivals] == ["1", "1", "1", "2", "3"]
        assert [a.status for a in receiver.arrivals] == [500, 500, 200, 200, 200]


async def test_a_slow_receiver_times_out_and_is_tried_again(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        endpoint, _secret = await hooks.create(clinic, receiver.url)
        receiver.answer(Answer(delay=hooks.settings.webhook_timeout * 2))
        await hooks.owner(clinic)

        started = time.monotonic()
        await hooks.deliverer.drain()
        assert time.monotonic() - started < hooks.settings.webhook_timeout * 1.8
        await until(hooks, lambda: _delivered(hooks, clinic, endpoint))

        [delivery] = (await hooks.deliveries(clinic, endpoint))["nodes"]
        timed_out, delivered = delivery["log"]
        assert timed_out["statusCode"] is None
        assert timed_out["error"] == "no complete answer within 1 s"
        assert timed_out["latencyMs"] >= 1000
        assert delivered["statusCode"] == 200


async def _delivered(hooks: Hooks, clinic: Any, endpoint: str) -> bool:
    nodes = (await hooks.deliveries(clinic, endpoint))["nodes"]
    return bool(nodes) and all(n["state"] == "DELIVERED" for n in nodes)


async def test_410_gone_disables_the_endpoint_until_it_is_enabled_again(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        endpoint, _secret = await hooks.create(clinic, receiver.url)
        receiver.answer(Answer(status=410))
        await hooks.owner(clinic, "One")
        await hooks.deliverer.drain()
        await hooks.owner(clinic, "Two")
        await asyncio.sleep(0.3)  # past any backoff: only being disabled holds them back
        await hooks.deliverer.drain()

        [state] = (
            await gql(hooks.client, clinic, "{ webhookEndpoints { enabled disabledReason } }")
        )["data"]["webhookEndpoints"]
        assert state == {"enabled": False, "disabledReason": "the receiver answered 410 Gone"}
        assert [a.status for a in receiver.arrivals] == [410]

        enabled = await gql(
            hooks.client, clinic,
            """mutation($id: ID!) {
              updateWebhookEndpoint(id: $id, input: {enabled: true}) { enabled } }""",
            {"id": endpoint},
        )  # fmt: skip
        assert enabled["data"]["updateWebhookEndpoint"] == {"enabled": True}
        await until(hooks, lambda: _has(receiver, 3))
        assert [a.event_id for a in receiver.arrivals] == ["1", "1", "2"]


async def test_retries_that_run_out_leave_a_dead_letter_and_the_queue_moves_on(
    hooks: Hooks,
) -> None:
    hooks.deliverer.settings = hooks.settings.model_copy(update={"webhook_retry_window": 0.3})
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        endpoint, _secret = await hooks.create(clinic, receiver.url)
        receiver.default = FAILED_ONCE
        await hooks.owner(clinic, "Doomed")

        async def failed() -> bool:
            return bool((await hooks.deliveries(clinic, endpoint, state="FAILED"))["nodes"])

        await until(hooks, failed)
        receiver.default = Answer()
        await hooks.owner(clinic, "Next")
        await until(hooks, lambda: _has_delivered(receiver, "2"))

        [dead] = (await hooks.deliveries(clinic, endpoint, state="FAILED"))["nodes"]
        assert dead["eventId"] == "1" and dead["attempts"] >= 2
        assert dead["lastStatus"] == 500 and dead["lastError"] == "HTTP 500"
        assert dead["nextAttemptAt"] is None and dead["finishedAt"] is not None
        age = parse_timestamp(dead["finishedAt"]) - parse_timestamp(dead["createdAt"])
        assert age >= timedelta(seconds=0.3)
        assert {a.event_id for a in receiver.delivered} == {"2"}


async def _has_delivered(receiver: Receiver, event_id: str) -> bool:
    return any(a.event_id == event_id for a in receiver.delivered)


async def test_an_event_is_redelivered_on_request(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        endpoint, _secret = await hooks.create(clinic, receiver.url)
        await hooks.owner(clinic)
        await hooks.deliverer.drain()

        again = await gql(
            hooks.client, clinic,
            """mutation($endpoint: ID!, $event: ID!) {
              redeliverEvent(endpointId: $endpoint, eventId: $event) {
                eventId state attempts } }""",
            {"endpoint": endpoint, "event": "1"},
        )  # fmt: skip
        assert again["data"]["redeliverEvent"] == {
            "eventId": "1",
            "state": "PENDING",
            "attempts": 0,
        }
        missing = await gql(
            hooks.client, clinic,
            "mutation($e: ID!) { redeliverEvent(endpointId: $e, eventId: \"99\") { id } }",
            {"e": endpoint},
        )  # fmt: skip
        assert missing["errors"][0]["extensions"]["code"] == "RESOURCE_NOT_FOUND"
        await hooks.deliverer.drain()

        assert [a.event_id for a in receiver.arrivals] == ["1", "1"]
        assert receiver.duplicates == 1
        log = await hooks.deliveries(clinic, endpoint)
        assert [n["state"] for n in log["nodes"]] == ["DELIVERED", "DELIVERED"]
        assert log["totalCount"] == 2


async def test_after_a_rotation_both_secrets_sign_for_a_day(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as old_receiver:
        endpoint, old = await hooks.create(clinic, old_receiver.url)
        rotated = await gql(
            hooks.client, clinic,
            """mutation($id: ID!) { rotateWebhookSecret(id: $id) {
              secret endpoint { previousSecretExpiresAt } } }""", {"id": endpoint},
        )  # fmt: skip
        new = rotated["data"]["rotateWebhookSecret"]["secret"]
        expires = rotated["data"]["rotateWebhookSecret"]["endpoint"]["previousSecretExpiresAt"]
        assert new != old and new.startswith("whsec_")
        assert parse_timestamp(expires) - utc_now() > timedelta(hours=23, minutes=59)
        await hooks.owner(clinic, "During")
        await hooks.deliverer.drain()

        async with clinic_session(hooks.db, clinic.clinic_id) as session:
            await session.execute(
                update(WebhookEndpoint).values(previous_secret_expires_at=utc_now())
            )
            await session.commit()
        await hooks.owner(clinic, "After")
        await hooks.deliverer.drain()

    during, after = old_receiver.arrivals
    assert during.headers["clinova-signature"].count("v1=") == 2
    assert _verifies(old, during) and _verifies(new, during)
    assert after.headers["clinova-signature"].count("v1=") == 1
    assert _verifies(new, after) and not _verifies(old, after)


def _verifies(secret: str, arrival: Any) -> bool:
    return verify([secret], arrival.headers["clinova-signature"], arrival.raw)


async def test_redirects_are_not_followed(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as elsewhere, Receiver() as receiver:
        endpoint, _secret = await hooks.create(clinic, receiver.url)
        receiver.default = Answer(status=307, headers={"Location": elsewhere.url})
        await hooks.owner(clinic)
        await hooks.deliverer.drain()

        [delivery] = (await hooks.deliveries(clinic, endpoint))["nodes"]
        assert delivery["state"] == "PENDING" and delivery["lastStatus"] == 307
        assert delivery["lastError"] == "HTTP 307: redirects are not followed"
        assert elsewhere.arrivals == []


async def test_a_long_answer_is_not_read_to_its_end(hooks: Hooks) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        endpoint, _secret = await hooks.create(clinic, receiver.url)
        receiver.default = Answer(body_bytes=200 * 1024 * 1024)
        await hooks.owner(clinic)
        await hooks.deliverer.drain()

        [delivery] = (await hooks.deliveries(clinic, endpoint))["nodes"]
        assert delivery["state"] == "DELIVERED"
        # What socket buffers took, not 200 MiB.
        assert receiver.bytes_sent < 20 * 1024 * 1024


async def test_an_endpoint_gets_the_types_it_asked_for_and_each_endpoint_its_own(
    hooks: Hooks,
) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as pets_only, Receiver() as everything:
        await hooks.create(clinic, pets_only.url, types=["pet.created"])
        await hooks.create(clinic, everything.url)
        owner = await hooks.owner(clinic)
        body = {"name": "Rex", "species": "Dog", "ownerId": owner}
        await hooks.client.post("/api/v1/pets", json=body, headers=clinic.headers)

        await hooks.deliverer.drain()

        assert [a.body["type"] for a in pets_only.arrivals] == ["pet.created"]
        assert [a.body["type"] for a in everything.arrivals] == ["owner.created", "pet.created"]


async def test_whoever_delivers_removes_events_past_retention_with_their_deliveries(
    hooks: Hooks,
) -> None:
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        endpoint, _secret = await hooks.create(clinic, receiver.url)
        await hooks.owner(clinic, "Old")
        await hooks.deliverer.drain()
        days = hooks.settings.events_retention_days
        async with clinic_session(hooks.db, clinic.clinic_id) as session:
            await session.execute(
                update(ChangeEvent).values(occurred_at=utc_now() - timedelta(days=days, hours=1))
            )
            await session.commit()
        await hooks.owner(clinic, "New")

        # A delivering instance, started and stopped: it removes what is past retention.
        stop = asyncio.Event()
        running = asyncio.create_task(hooks.deliverer.run(stop))
        await receiver.wait_for(2)
        stop.set()
        await running

        events = (await hooks.client.get("/api/v1/events", headers=clinic.headers)).json()
        log = await hooks.deliveries(clinic, endpoint)
    assert [e["id"] for e in events["data"]] == ["2"]
    assert [n["eventId"] for n in log["nodes"]] == ["2"]
    expired = await hooks.client.get("/api/v1/events?after=0", headers=clinic.headers)
    assert expired.status_code == 400
