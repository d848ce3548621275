"""Servers under wrk load, taking turns scenario by scenario, their CPU and memory sampled."""

import re
import subprocess
import time
from dataclasses import dataclass

from bench import report, servers, wrk
from bench.client import http, preflight
from bench.metrics import TreeSampler
from bench.report import Row
from bench.scenarios import Scenario
from bench.servers import Server

LOGS = servers.WORK / "logs"
BODIES = servers.WORK / "bodies"
WARM_UP_REQUESTS = 20


@dataclass(frozen=True)
class Load:
    duration: int  # seconds per scenario
    concurrency: int  # wrk connections
    pause: float  # seconds between runs, so that requests still in flight drain

    def describe(self) -> str:
        return f"wrk -t2 -c{self.concurrency} -d{self.duration}s --latency, {self.pause:g} s pause"


def measure(server: Server, scenario: Scenario, key: str | None, load: Load) -> Row:
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
    time.sleep(load.pause)
    try:
        with TreeSampler(server.pid) as sampler:
            row.wrk = wrk.run(
                server.base_url + scenario.path,
                method=scenario.method,
                body_file=body_file,
                auth=f"Bearer {key}" if key else None,
                duration=load.duration,
                concurrency=load.concurrency,
            )
    except (ValueError, subprocess.SubprocessError) as error:
        # One broken scenario should not cost the rest of the run.
        row.wrk, row.skipped = None, f"wrk failed: {str(error)[:300]}"
        return row
    row.usage = sampler.usage
    print(report.table([row]).splitlines()[-1], flush=True)
    return row


def warm_up(server: Server, plan: list[Scenario], key: str | None) -> None:
    # JIT (node), caches and pools fill before anything is recorded; writes would
    # change the dataset, so only reads warm up.
    for scenario in plan:
        if not scenario.writes:
            for _ in range(WARM_UP_REQUESTS):
                http(server, scenario, key)


def _writes_last(plan: list[Scenario]) -> list[Scenario]:
    """The order to measure `plan` in: reads then see the dataset as generated."""
    return [s for s in plan if not s.writes] + [s for s in plan if s.writes]


def run_interleaved(
    entries: list[tuple[Server, list[Scenario], str | None]], load: Load, rounds: int
) -> list[Row]:
    """Scenarios on several servers, taking turns scenario by scenario, `rounds` times.

    The machine's speed drifts by a third over minutes: servers measured one after
    another would each get a different machine, and their ratios would measure the
    drift. All servers run (idle but for the one under load) and each (server,
    scenario) keeps its round with the least server CPU per request, as bench.ladder
    keeps each commit's best.
    """
    started: list[tuple[Server, list[Scenario], str | None]] = []
    refused: list[Row] = []
    best: dict[tuple[str, str], Row] = {}
    try:
        for server, plan, key in entries:
            print(f"== {server.name} on {server.base_url}", flush=True)
            try:
                server.start(LOGS / f"{server.name}.log")
            except RuntimeError as error:  # the others are still measured
                refused += [Row(server.name, s.name, skipped=str(error)) for s in plan]
                continue
            # Listed before warming up, so that a failed warm-up still stops it.
            started.append((server, _writes_last(plan), key))
            warm_up(server, plan, key)
        longest = max((len(plan) for _, plan, _ in started), default=0)
        for round_ in range(rounds):
            print(f"-- round {round_ + 1} of {rounds}", flush=True)
            for position in range(longest):
                for server, plan, key in started:
                    if position < len(plan):
                        row = measure(server, plan[position], key, load)
                        kept = best.get((server.name, row.scenario))
                        if kept is None or _better(row, kept):
                            best[(server.name, row.scenario)] = row
    finally:
        for server, _plan, _key in started:
            server.stop()
    measured = [best[(server.name, s.name)] for server, plan, _ in started for s in plan]
    return measured + refused


def _better(row: Row, than: Row) -> bool:
    """A round without errors beats one with them; then the least CPU per request."""

    def rank(r: Row) -> tuple[bool, float]:
        errors = r.wrk.non_2xx + r.wrk.socket_errors if r.wrk else 1
        cpu = r.cpu_ms()
        return (bool(errors) or cpu is None, cpu if cpu is not None else float("inf"))

    return rank(row) < rank(than)
