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

import httpx

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


async def measure(database_url: str, key: str, requests: int) -> dict[str, float]:
    settings = Settings(
        database_url=database_url, rate_limit_per_minute=1_000_000_000, _env_file=None
    )  # type: ignore[call-arg]
    app = create_app(settings)
    results: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, send in scenarios(key).items():
                first = await send(client)
                if first.status_code != 200 or b'"errors"' in first.content:
                    raise SystemExit(f"{name}: HTTP {first.status_code} {first.text[:300]}")
                for _ in range(10):
                    await send(client)
                rounds = []
                for _ in range(3):
                    started = time.process_time()
                    for _ in range(requests):
                        await send(client)
                    rounds.append((time.process_time() - started) * 1000 / requests)
                results[name] = round(min(rounds), 2)
    await app.state.db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.database_url, args.key, args.requests))))


if __name__ == "__main__":
    main()
