"""A webhook receiver on 127.0.0.1 for the tests: it verifies signatures, counts what
it gets, and answers as told (fail, slowly, 410, redirect, a long body)."""

import asyncio
import hashlib
import hmac
import json
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body_bytes: int = 0  # a long answer, sent in 64 KiB chunks


@dataclass(frozen=True)
class Arrival:
    event_id: str
    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]
    verified: bool
    at: float  # time.time() when it arrived
    status: int  # what the receiver answered


def verify(secrets: list[str], header: str, body: bytes) -> bool:
    """Stripe's scheme: any v1 of the header is the HMAC of "<t>.<body>" with a secret."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamp = next((value for key, value in parts if key == "t"), None)
    signatures = [value for key, value in parts if key == "v1"]
    if timestamp is None:
        return False
    signed = f"{timestamp}.".encode() + body
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    return any(hmac.compare_digest(e, s) for e in expected for s in signatures)


class Receiver:
    def __init__(self, *secrets: str) -> None:
        self.secrets = list(secrets)
        self.arrivals: list[Arrival] = []
        self.script: deque[Answer] = deque()
        self.default = Answer()
        self.bytes_sent = 0
        # Event ids of requests whose headers arrived, answered or not (a sender may die waiting).
        self.started: list[str] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._arrived = asyncio.Condition()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, *_exc: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for handler in self._handlers:
            handler.cancel()  # a slow answer still waiting
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks"

    def answer(self, *answers: Answer) -> None:
        """The next requests get these answers, in order; then the default one."""
        self.script.extend(answers)

    @property
    def delivered(self) -> list[Arrival]:
        """Arrivals answered 2xx: what a receiver that deduplicates would have processed."""
        return [a for a in self.arrivals if 200 <= a.status < 300]

    @property
    def duplicates(self) -> int:
        ids = [a.event_id for a in self.delivered]
        return len(ids) - len(set(ids))

    async def wait_for(self, count: int, *, within: float = 10.0) -> None:
        """Until `count` distinct events were answered 2xx."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len({a.event_id for a in self.delivered}) >= count)

    async def wait_started(self, count: int, *, within: float = 10.0) -> None:
        """Until `count` requests arrived, answered or not."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.started) >= count)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                # The answer is this request's once its headers are in, whether its body follows.
                answer = self.script.popleft() if self.script else self.default
                async with self._arrived:
                    self.started.append(headers.get("clinova-event-id", ""))
                    self._arrived.notify_all()
                raw = await reader.readexactly(int(headers.get("content-length", "0")))
                if answer.delay:
                    await asyncio.sleep(answer.delay)
                await self._record(headers, raw, answer.status)
                await self._reply(writer, answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._handlers.discard(handler)
            writer.close()

    async def _record(self, headers: dict[str, str], raw: bytes, status: int) -> None:
        arrival = Arrival(
            event_id=headers.get("clinova-event-id", ""),
            body=json.loads(raw) if raw else {},
            raw=raw,
            headers=headers,
            verified=verify(self.secrets, headers.get("clinova-signature", ""), raw),
            at=time.time(),
            status=status,
        )
        async with self._arrived:
            self.arrivals.append(arrival)
            self._arrived.notify_all()

    async def _reply(self, writer: asyncio.StreamWriter, answer: Answer) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items())
        writer.write(
            f"HTTP/1.1 {answer.status} Status\r\nContent-Length: {answer.body_bytes}\r\n"
            f"{extra}\r\n".encode()
        )
        chunk = b"x" * 65_536
        remaining = answer.body_bytes
        while remaining > 0:
            writer.write(chunk[:remaining])
            self.bytes_sent += min(remaining, len(chunk))
            remaining -= len(chunk)
            await writer.drain()
        await writer.drain()
