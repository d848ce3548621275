"""What a compiled flat list cannot skip, against what the app spends on it: CPU per request.

    .venv/bin/python -m bench.behaviours --database-url URL --key KEY [--requests 1000]

The app answers `bench.scenarios.FLAT` through its whole ASGI stack, called
directly (no sockets, no httpx). Beside it, only the work the contract asks of
every such request, done with the app's own parts and nothing between them:
the key from the key cache, the budget reserved and settled by the app's
limiter, a connection from the app's pool, the list's own statement (as the
app compiled it) on the raw driver, the answer's bytes, the request metrics
and the access log line. What the second costs is the floor of any request
path built on these libraries; the difference is what routing, GraphQL, the
session and the planner add. Three rounds each, the best one printed.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import uvloop

from app import compiled_reads
from app.api_keys import hash_secret
from app.http.access_log import log as access_log
from app.observability import LATENCY, REQUESTS
from bench.inprocess import arguments, cpu_per_request, unlimited_app
from bench.scenarios import FLAT
from graphql_schema.cost import cost_extension
from graphql_schema.rendered import OBJECT


async def _captured_statement(app: Any, key: str) -> tuple[str, list[Any]]:
    """The flat list's statement and arguments, as the short path ran them."""
    seen: list[tuple[str, list[Any]]] = []
    fetch = compiled_reads._driver_fetch

    async def recording(connection: Any, compiled: Any, arguments: list[Any]) -> list[Any]:
        seen.append((compiled.sql, arguments))
        return await fetch(connection, compiled, arguments)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        headers = {"Authorization": f"Bearer {key}"}
        # Until the key cache vouches for the key and the short path knows the document.
        for _ in range(50):
            compiled_reads._driver_fetch = recording  # type: ignore[assignment]
            try:
                answer = await client.post("/graphql", json={"query": FLAT}, headers=headers)
            finally:
                compiled_reads._driver_fetch = fetch
            if answer.status_code != 200:
                raise SystemExit(f"HTTP {answer.status_code}: {answer.text[:300]}")
            # The short path's statement selects each object's text (graphql_schema.rendered).
            written = [(sql, arguments) for sql, arguments in seen if f" AS {OBJECT}" in sql]
            if app.state.key_cache.get(hash_secret(key)) is not None and written:
                return written[-1]
            await asyncio.sleep(0.1)
    raise SystemExit("the key cache never vouched for the key, or the short path never ran")


def _whole_app(app: Any, key: str) -> Callable[[], Awaitable[None]]:
    body = orjson.dumps({"query": FLAT})
    headers = [
        (b"authorization", f"Bearer {key}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]

    async def request() -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/graphql",
            "raw_path": b"/graphql", "query_string": b"", "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
        }  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(_message: dict[str, Any]) -> None:
            pass

        await app(scope, receive, send)

    return request


def _behaviours_only(
    app: Any, key: str, sql: str, arguments: list[Any]
) -> Callable[[], Awaitable[None]]:
    cache, limiter, engine = app.state.key_cache, app.state.rate_limiter, app.state.db.engine

    async def request() -> None:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        principal = cache.get(hash_secret(key))
        reservation = await limiter.reserve(principal, 51)
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            rows = await raw.driver_connection.fetch(sql, *arguments)
        nodes = orjson.Fragment(("[" + ",".join(row[-1] for row in rows[:50]) + "]").encode())
        budget = await limiter.settle(reservation, 51)
        orjson.dumps(
            {"data": {"owners": {"nodes": nodes}}, "extensions": cost_extension(51, 51, budget)}
        )
        REQUESTS.labels("POST", "/graphql", "query owners", "200").inc()
        LATENCY.labels("/graphql", "query owners").observe(time.perf_counter() - started)
        access_log.info(json.dumps({
            "requestId": request_id, "clinicId": principal.clinic_id, "keyId": principal.key_id,
            "method": "POST", "route": "/graphql", "operation": "owners", "status": 200,
            "errors": [], "durationMs": 1.0, "sqlStatements": 1,
        }))  # fmt: skip

    return request


async def measure(database_url: str, key: str, requests: int) -> dict[str, float]:
    app = unlimited_app(database_url)
    async with app.router.lifespan_context(app):
        sql, values = await _captured_statement(app, key)
        whole = await cpu_per_request(_whole_app(app, key), requests)
        alone = await cpu_per_request(_behaviours_only(app, key, sql, values), requests)
    await app.state.db.dispose()
    return {
        "the whole app, ms/request": round(whole, 3),
        "the behaviours alone, ms/request": round(alone, 3),
    }


def main() -> None:
    args = arguments("python -m bench.behaviours", __doc__, requests=1000)
    print(json.dumps(uvloop.run(measure(args.database_url, args.key, args.requests))))


if __name__ == "__main__":
    main()
