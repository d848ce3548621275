"""Benchmark ClinovaVet against PostGraphile 5 and a hand-written floor, side by side.

    .venv/bin/python -m bench.run --database-url URL --key KEY \
        [--duration 10] [--concurrency 10] [--out bench/RESULTS.md]

Servers run one at a time (the machine is small), each under the same wrk load.
"""

import argparse
import asyncio
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import report, scenarios, servers, wrk
from bench.metrics import TreeSampler, machine
from bench.report import Row
from bench.scenarios import Scenario
from bench.servers import Server

LOGS = servers.WORK / "logs"
BODIES = servers.WORK / "bodies"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL of the dataset")
    parser.add_argument("--key", required=True, help="API key of the dataset's clinic")
    parser.add_argument("--duration", type=int, default=10, help="Seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=10, help="wrk connections")
    parser.add_argument("--pause", type=float, default=2.0, help="Seconds between runs")
    parser.add_argument("--out", type=Path, default=Path("bench/RESULTS.md"))
    parser.add_argument(
        "--servers",
        default="clinova,floor,postgraphile",
        help="Comma-separated subset of clinova,floor,postgraphile",
    )
    return parser.parse_args(argv)


def http(server: Server, scenario: Scenario, key: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        server.base_url + scenario.path,
        data=scenario.body_bytes(),
        method=scenario.method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def preflight(server: Server, scenario: Scenario, key: str | None) -> tuple[str | None, int]:
    """One request first: a 200 carrying GraphQL errors would otherwise count as success."""
    status, body = http(server, scenario, key)
    if not 200 <= status < 300:
        return f"HTTP {status}: {body[:200]!r}", len(body)
    payload = json.loads(body)
    if isinstance(payload, dict) and payload.get("errors"):
        return f"GraphQL errors: {json.dumps(payload['errors'])[:200]}", len(body)
    return None, len(body)


def measure(server: Server, scenario: Scenario, key: str | None, args: argparse.Namespace) -> Row:
    row = Row(server.name, scenario.name)
    problem, row.response_bytes = preflight(server, scenario, key)
    if problem:
        row.skipped = problem
        return row
    body_file = None
    if scenario.body is not None:
        BODIES.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", scenario.name.lower()).strip("-")
        body_file = BODIES / f"{server.name}-{slug}.json"
        body_file.write_bytes(scenario.body_bytes() or b"")
    time.sleep(args.pause)
    try:
        with TreeSampler(server.pid) as sampler:
            row.wrk = wrk.run(
                server.base_url + scenario.path,
                method=scenario.method,
                body_file=body_file,
                auth=f"Bearer {key}" if key else None,
                duration=args.duration,
                concurrency=args.concurrency,
            )
    except (ValueError, subprocess.SubprocessError) as error:
        # One broken scenario should not cost the rest of the run.
        row.wrk, row.skipped = None, f"wrk failed: {str(error)[:300]}"
        return row
    row.usage = sampler.usage
    print(report.table([row]).splitlines()[-1], flush=True)
    return row


def warm_up(server: Server, scenario: Scenario, key: str | None) -> None:
    # JIT (node), caches and pools fill before anything is recorded.
    for _ in range(20):
        http(server, scenario, key)


def run_server(
    server: Server, plan: list[Scenario], key: str | None, args: argparse.Namespace
) -> list[Row]:
    print(f"== {server.name} on {server.base_url}", flush=True)
    server.start(LOGS / f"{server.name}.log")
    try:
        for scenario in plan:
            if not scenario.writes:
                warm_up(server, scenario, key)
        # Writes last: reads then see the dataset as generated.
        ordered = [s for s in plan if not s.writes] + [s for s in plan if s.writes]
        return [measure(server, scenario, key, args) for scenario in ordered]
    finally:
        server.stop()


def fixtures(server: Server, key: str) -> dict[str, Any]:
    """An owner id and the owner count, through the API as a client would get them."""
    probe = scenarios.graphql("probe", "{ owners(first: 1) { totalCount nodes { id } } }")
    status, body = http(server, probe, key)
    owners = json.loads(body)["data"]["owners"] if status == 200 else None
    if not owners or not owners["nodes"]:
        raise SystemExit(f"cannot read owners with this key (HTTP {status}): {body[:300]!r}")
    return {"owner_id": owners["nodes"][0]["id"], "owner_count": owners["totalCount"]}


async def prepare_database(database_url: str, owner_id: str) -> str:
    """The owner's clinic, after fresh planner statistics.

    A just-generated dataset has none until autovacuum gets to it, and stale
    statistics pick whole-clinic scans: every server would be measured on bad plans.
    """
    conn = await asyncpg.connect(servers.libpq_url(database_url))
    try:
        await conn.execute("analyze")
        return str(await conn.fetchval("select clinic_id from owners where id = $1", owner_id))
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    wanted = set(args.servers.split(","))
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows: list[Row] = []
    notes = [
        "One run, 2 shared cores: numbers are noisy; compare ratios, not absolutes.",
        "Servers run one after another, never together; wrk runs on the same machine "
        "and competes with the server for the 2 cores.",
        "Server CPU = utime+stime of the server's process tree (uvicorn workers included) "
        "over the run / requests served. DB CPU = all PostgreSQL processes over the run "
        "(other work on this PostgreSQL shows up there too).",
        "The floor: uvicorn + asyncpg + orjson, one SQL query per level, no auth, no GraphQL "
        "engine; clinic fixed at start. ClinovaVet and floor run 2 uvicorn workers; "
        "PostGraphile is one Node process (its default).",
        "PostGraphile has no tenancy: the clinic is a condition argument (clinicId). "
        "Its nested lists are connections ({ nodes }) and it returns totalAmountCents, "
        "so response sizes differ slightly.",
        "Write scenarios (POST owner, createInvoice) run last and add rows to the dataset.",
        "The harness runs ANALYZE first so that all servers get plans from fresh statistics.",
        "Before each scenario: 20 unrecorded requests (reads only) warm caches and the JIT.",
    ]

    ours = servers.clinova(args.database_url)
    ours.start(LOGS / "clinova-probe.log")
    try:
        found = fixtures(ours, args.key)
    finally:
        ours.stop()
    clinic_id = asyncio.run(prepare_database(args.database_url, found["owner_id"]))
    print(f"clinic {clinic_id}: {found['owner_count']} owners", flush=True)

    if "clinova" in wanted:
        plan = scenarios.clinova(found["owner_id"], found["owner_count"])
        rows += run_server(servers.clinova(args.database_url), plan, args.key, args)
    if "floor" in wanted:
        rows += run_server(
            servers.floor(args.database_url, clinic_id), scenarios.floor(), None, args
        )
    if "postgraphile" in wanted:
        missing = servers.postgraphile_missing()
        plan = scenarios.postgraphile(clinic_id)
        if missing:
            rows += [Row("postgraphile", s.name, skipped=missing) for s in plan]
        else:
            try:
                rows += run_server(servers.postgraphile(args.database_url), plan, None, args)
            except RuntimeError as error:
                rows += [Row("postgraphile", s.name, skipped=str(error)) for s in plan]

    print()
    print(report.table(rows))
    print()
    print(report.ratios(rows))
    command = shlex.join([".venv/bin/python", "-m", "bench.run", *(argv or sys.argv[1:])])
    settings = (
        f"wrk -t2 -c{args.concurrency} -d{args.duration}s --latency, {args.pause:g} s pause, "
        f"dataset clinic {clinic_id} with {found['owner_count']} owners"
    )
    args.out.write_text(
        report.markdown(
            machine=machine(),
            date=started,
            command=command.replace(args.key, "<apikey>"),
            settings=settings,
            rows=rows,
            notes=notes,
        )
    )
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
