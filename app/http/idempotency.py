"""Idempotency over HTTP: the hook surfaces call, and the recorder of what they answered.

`begin` is called by a surface at the point where it knows the caller (already
authenticated, scope-checked and charged) and knows that a write will execute.
The recorder, an ASGI middleware, only stores what a claimed request answered;
it parses nothing and authenticates nobody.
"""

from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from app import idempotency
from app.database import Database
from app.http import HttpMiddleware
from app.idempotency import Claimed, StoredAnswer
from app.scopes import Principal

_CLAIM = "idempotency_claim"


class Replayed(Exception):
    """Raised by a REST write whose key was answered before; rendered as that answer."""

    def __init__(self, answer: StoredAnswer) -> None:
        super().__init__("replayed")
        self.answer = answer


async def begin(request: Request, principal: Principal) -> StoredAnswer | None:
    """Claims the request's Idempotency-Key, if it has one; or answers the first request's.

    The digest names the key that asked: an answer is replayed only to the
    caller whose scopes produced it.
    """
    header = request.headers.get(idempotency.HEADER)
    if header is None:
        return None
    key = idempotency.parse_key(header)
    digest = idempotency.request_digest(
        f"{principal.key_id} {request.url.path}", await request.body()
    )
    db: Database = request.app.state.db
    outcome = await idempotency.claim(db, clinic_id=principal.clinic_id, key=key, digest=digest)
    if isinstance(outcome, StoredAnswer):
        return outcome
    request.state.idempotency_claim = outcome
    return None


def replay_response(answer: StoredAnswer) -> Response:
    response = Response(answer.body, status_code=answer.status, media_type=answer.content_type)
    response.headers["Idempotent-Replayed"] = "true"
    return response


class IdempotencyRecorder(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if idempotency.HEADER not in Headers(scope=scope):
            # `begin` claims nothing without the header (read as here): nothing to record, and
            # capturing every answer's messages was ~3% of a small request.
            await self.app(scope, receive, send)
            return
        captured: dict[str, Any] = {"status": 500, "body": b"", "type": None}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        captured["type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body" and _CLAIM in scope.get("state", {}):
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await self._remember(scope, None)
            raise
        answer = StoredAnswer(captured["status"], captured["body"], captured["type"])
        await self._remember(scope, answer)

    async def _remember(self, scope: Scope, answer: StoredAnswer | None) -> None:
        claimed: Claimed | None = scope.get("state", {}).get(_CLAIM)
        if claimed is not None:
            await idempotency.remember(scope["app"].state.db, claimed, answer)
