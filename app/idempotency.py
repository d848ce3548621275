"""Idempotency-Key on REST POSTs and GraphQL mutations, as Stripe does it.

The first request with a key claims it (committed before the request runs);
a retry with the same key and the same request gets the first response
replayed, with no second row; the same key with a different request is a 400;
a retry while the first still runs is a 409. Only successful (2xx) responses
are remembered, so a request that failed validation can be corrected and
retried with the same key. Keys belong to the clinic and expire after 24 hours.
"""

import enum
import hashlib
import json
from datetime import timedelta
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from sqlalchemy import delete, exc
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api_keys import authenticate
from app.body_limit import Render
from app.database import Database, write_transaction
from app.errors import IdempotencyConflict, Invalid, Unauthorized
from app.models import IdempotencyKey
from app.tenancy import mark_unscoped
from app.timestamps import utc_now

HEADER = "idempotency-key"
REMEMBER_FOR = timedelta(hours=24)
# A claim whose request never finished (the process died) is free again after this.
ABANDONED_AFTER = timedelta(minutes=2)


class Claim(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    MISMATCH = "mismatch"
    DONE = "done"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, render: Render) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        key = headers.get(HEADER.encode())
        if scope["type"] != "http" or scope["method"] != "POST" or key is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay_body = _replaying(body)
        path: str = scope["path"]
        if not (path.startswith("/api/v1/") or (path == "/graphql" and _is_mutation(body))):
            await self.app(scope, replay_body, send)
            return
        request = Request(scope)
        idempotency_key = key.decode("latin-1")
        if not 1 <= len(idempotency_key) <= 255:
            problem = Invalid(
                "Idempotency-Key is malformed",
                details={"Idempotency-Key": "must be 1 to 255 characters"},
            )
            await (await self.render(request, problem))(scope, replay_body, send)
            return
        db: Database = scope["app"].state.db
        async with db.sessionmaker() as session:
            mark_unscoped(session)
            try:
                principal = await authenticate(session, headers.get(b"authorization", b"").decode())
            except Unauthorized:
                await self.app(scope, replay_body, send)  # the app answers 401
                return
            digest = hashlib.sha256(f"{path}\n".encode() + body).hexdigest()
            claim, row = await _claim(session, principal.clinic_id, idempotency_key, digest)
        clinic_id = principal.clinic_id
        if claim is Claim.DONE and row is not None:
            await _replay(row, scope, replay_body, send)
        elif claim is Claim.MISMATCH:
            problem = Invalid(
                "This Idempotency-Key was used for a different request",
                details={"Idempotency-Key": "already used with a different request"},
            )
            await (await self.render(request, problem))(scope, replay_body, send)
        elif claim is Claim.RUNNING:
            conflict = IdempotencyConflict(
                "A request with this Idempotency-Key is still running; retry shortly",
                headers={"Retry-After": "1"},
            )
            await (await self.render(request, conflict))(scope, replay_body, send)
        else:
            await self._run_and_remember(db, clinic_id, idempotency_key, scope, replay_body, send)

    async def _run_and_remember(
        self, db: Database, clinic_id: str, key: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        captured: dict[str, Any] = {"status": 500, "body": b"", "type": None}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        captured["type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await _finish(db, clinic_id, key, None)
            raise
        remember = 200 <= captured["status"] < 300
        await _finish(db, clinic_id, key, captured if remember else None)


async def _claim(
    session: AsyncSession, clinic_id: str, key: str, digest: str
) -> tuple[Claim, IdempotencyKey | None]:
    now = utc_now()
    try:
        async with write_transaction(session):
            row = await session.get(IdempotencyKey, (clinic_id, key), with_for_update=True)
            if row is not None and row.expires_at > now:
                if row.request_hash != digest:
                    return Claim.MISMATCH, row
                if row.response_status is not None:
                    return Claim.DONE, row
                if row.locked_until > now:
                    return Claim.RUNNING, row
            if row is None:
                row = IdempotencyKey(clinic_id=clinic_id, key=key)
                session.add(row)
            row.request_hash, row.response_status, row.response_body = digest, None, None
            row.locked_until, row.expires_at = now + ABANDONED_AFTER, now + REMEMBER_FOR
    except exc.IntegrityError:
        # Another instance claimed the same key between our read and our insert.
        return Claim.RUNNING, None
    return Claim.NEW, row


async def _finish(db: Database, clinic_id: str, key: str, response: dict[str, Any] | None) -> None:
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            row = await session.get(IdempotencyKey, (clinic_id, key))
            if row is None:
                return
            if response is None:
                # Not remembered: the same key may be retried with a corrected request.
                await session.delete(row)
                return
            row.response_status = response["status"]
            row.response_body = response["body"]
            row.response_type = response["type"]
            await session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.expires_at < utc_now())
            )


async def _replay(row: IdempotencyKey, scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(b"idempotent-replayed", b"true")]
    if row.response_type:
        headers.append((b"content-type", row.response_type.encode("latin-1")))
    body = row.response_body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": row.response_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _is_mutation(body: bytes) -> bool:
    try:
        payload = json.loads(body)
        document = parse(payload["query"])
        operation = get_operation_ast(document, payload.get("operationName"))
    except (ValueError, KeyError, TypeError, GraphQLError):
        return False
    return operation is not None and operation.operation is OperationType.MUTATION
