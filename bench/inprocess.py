"""Server CPU per request, in process: the app under httpx's ASGI transport, no sockets.

    .venv/bin/python -m bench.inprocess --database-url URL --key KEY [--requests 60]

Steadier than a wrk run for comparing versions of the code (no load generator
sharing the cores, no second worker): each scenario runs --requests times after
a warm-up, three rounds, and the best round's CPU milliseconds per request are
printed. The CPU includes httpx's side of each request (~0.6 ms, see `health`).
`bench.ladder` runs this over a list of commits.
"""

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from functools import partial

import httpx
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from bench.scenarios import DASHBOARD, FLAT, SLIM_DASHBOARD, TYPENAME

Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def scenarios(key: str) -> dict[str, Request]:
    auth = {"Authorization": f"Bearer {key}"}

    def graphql(query: str) -> Request:
        return lambda client: client.post("/graphql", json={"query": query}, headers=auth)

    return {
        "health": lambda client: client.get("/healthz"),
        "REST list 50 owners": lambda client: client.get("/api/v1/owners?limit=50", headers=auth),
        "GraphQL { __typename }": graphql(TYPENAME),
        "GraphQL flat 50 owners": graphql(FLAT),
        "GraphQL nested dashboard": graphql(DASHBOARD),
        "GraphQL slim dashboard": graphql(SLIM_DASHBOARD),
    }


def unlimited_app(database_url: str) -> FastAPI:
    """The app on `database_url`, with a budget no measurement runs out of."""
    settings = Settings(
        database_url=database_url, rate_limit_per_minute=1_000_000_000, _env_file=None
    )  # type: ignore[call-arg]
    return create_app(settings)


async def cpu_per_request(request: Callable[[], Awaitable[object]], requests: int) -> float:
    """CPU milliseconds per call: a warm-up, then the best of three rounds."""
    for _ in range(10):
        await request()
    rounds = []
    for _ in range(3):
        started = time.process_time()
        for _ in range(requests):
            await request()
        rounds.append((time.process_time() - started) * 1000 / requests)
    return min(rounds)


async def measure(database_url: str, key: str, requests: int) -> dict[str, float]:
    app = unlimited_app(database_url)
    results: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, send in scenarios(key).items():
                first = await send(client)
                if first.status_code != 200 or b'"errors"' in first.content:
                    raise SystemExit(f"{name}: HTTP {first.status_code} {first.text[:300]}")
                results[name] = round(await cpu_per_request(partial(send, client), requests), 2)
    await app.state.db.dispose()
    return results


def arguments(prog: str, description: str | None, requests: int) -> argparse.Namespace:
    """--database-url, --key and --requests: what an in-process measurement is given."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--requests", type=int, default=requests)
    return parser.parse_args()


def main() -> None:
    args = arguments("python -m bench.inprocess", __doc__, requests=60)
    print(json.dumps(asyncio.run(measure(args.database_url, args.key, args.requests))))


if __name__ == "__main__":
    main()
