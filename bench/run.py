"""Benchmark ClinovaVet against PostGraphile 5 and a hand-written floor, and its scale curve.

    .venv/bin/python -m bench.run [--sizes 10000,100000,1000000] [--duration 10]
        [--concurrency 10] [--out bench/RESULTS.md]

generates or reuses one database per size (`clinova_bench_<N>`, see bench.datasets),
measures the scale scenarios on every size and the side-by-side table on the
smallest, and writes the whole of RESULTS.md. One given dataset instead:

    .venv/bin/python -m bench.run --database-url URL --key KEY

Servers run one at a time (the machine is small), each under the same wrk load.
"""

import argparse
import asyncio
import shlex
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench import client, datasets, scale, scenarios, servers
from bench.datasets import Dataset
from bench.load import LOGS, Load, run_interleaved
from bench.metrics import machine
from bench.report import VERSUS, Row, SizeRun, markdown, ratios, scale_curve, table
from bench.scenarios import Scenario
from bench.servers import Server

DEFAULT_SIZES = "10000,100000,1000000"
PARTS = ("full", "scale")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        help=f"owners per dataset, comma-separated (default {DEFAULT_SIZES}); "
        "not with --database-url",
    )
    parser.add_argument("--database-url", help="measure this one dataset instead of --sizes")
    parser.add_argument("--key", help="API key of that dataset's clinic (with --database-url)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate even reusable datasets")
    parser.add_argument(
        "--prepare-only", action="store_true", help="generate or reuse the datasets, then stop"
    )
    parser.add_argument(
        "--parallel", type=int, default=2, help="sessions for dataset generation (default 2)"
    )
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="full (side by side), scale, or both (default)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=10, help="wrk connections")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between runs")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="turns of the compared scenarios, and of the sizes on the scale curve (default 3)",
    )
    parser.add_argument(
        "--scale-duration", type=int, default=5, help="seconds per scale scenario (default 5)"
    )
    parser.add_argument(
        "--scale-concurrency", type=int, default=2, help="wrk connections on the scale curve"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/RESULTS.md"))
    parser.add_argument(
        "--servers",
        default="clinova,floor,stack,postgraphile",
        help="comma-separated subset of clinova,floor,stack,postgraphile (side-by-side part)",
    )
    args = parser.parse_args(argv)
    if args.database_url or args.key:
        if not (args.database_url and args.key):
            parser.error("--database-url and --key go together")
        if args.sizes or args.prepare_only or args.rebuild:
            parser.error("--sizes, --rebuild and --prepare-only generate datasets: not with a URL")
    try:
        # Each size is one server and one database: a size given twice would be one.
        sizes = [int(n) for n in (args.sizes or DEFAULT_SIZES).split(",")]
        args.size_list = list(dict.fromkeys(sizes))
    except ValueError:
        parser.error("--sizes: comma-separated integers")
    args.part_set = set(args.parts.split(","))
    if not args.part_set or not args.part_set <= set(PARTS):
        parser.error(f"--parts: a subset of {','.join(PARTS)}")
    if args.rounds < 1:
        parser.error("--rounds: at least 1")
    return args


def given_dataset(url: str, key: str) -> Dataset:
    name = url.rsplit("/", 1)[-1]
    return Dataset(name, 0, name, url, key, reused=True, generation_seconds=0)


async def analyze(database_url: str) -> None:
    """Fresh planner statistics before anything is measured.

    A just-generated dataset has none until autovacuum gets to it (if it runs at
    all), and stale statistics pick whole-clinic scans: every server would be
    measured on bad plans.
    """
    conn = await asyncpg.connect(servers.libpq_url(database_url))
    try:
        await conn.execute("analyze")
    finally:
        await conn.close()


async def clinic_of(database_url: str, owner_id: str) -> str:
    conn = await asyncpg.connect(servers.libpq_url(database_url))
    try:
        return str(await conn.fetchval("select clinic_id from owners where id = $1", owner_id))
    finally:
        await conn.close()


def side_by_side(
    target: Dataset, wanted: set[str], load: Load, rounds: int
) -> tuple[list[Row], str]:
    """The full table on one dataset: every scenario on ours, the compared ones on the others."""
    ours = servers.clinova(target.database_url)
    ours.start(LOGS / "clinova-probe.log")
    try:
        found = client.fixtures(ours, target.key)
    finally:
        ours.stop()
    clinic_id = asyncio.run(clinic_of(target.database_url, found.owner_id))
    print(f"clinic {clinic_id}: {found.owner_count} owners", flush=True)

    # The compared reads take turns on every server (see run_interleaved), first:
    # ClinovaVet's other scenarios end with writes, which add rows to the dataset.
    compared: list[tuple[Server, list[Scenario], str | None]] = []
    rows: list[Row] = []
    if "clinova" in wanted:
        plan = scenarios.clinova(found.owner_id, found.owner_count)
        ours_compared = [s for s in plan if s.name in VERSUS]
        compared.append((servers.clinova(target.database_url), ours_compared, target.key))
    if "floor" in wanted:
        compared.append((servers.floor(target.database_url, clinic_id), scenarios.floor(), None))
    if "stack" in wanted:
        compared.append((servers.stack(), scenarios.stack(), None))
    if "postgraphile" in wanted:
        missing = servers.postgraphile_missing()
        theirs = scenarios.postgraphile(clinic_id)
        if missing:
            rows += [Row("postgraphile", s.name, skipped=missing) for s in theirs]
        else:
            compared.append((servers.postgraphile(target.database_url), theirs, None))
    rows = run_interleaved(compared, load, rounds) + rows
    if "clinova" in wanted:
        rest = [s for s in plan if s.name not in VERSUS]
        rows += run_interleaved([(servers.clinova(target.database_url), rest, target.key)], load, 1)
    servers_in_order = ("clinova", "floor", "stack", "postgraphile")
    names = [s.name for s in scenarios.clinova(found.owner_id, found.owner_count)]
    rows.sort(key=lambda r: (servers_in_order.index(r.server), names.index(r.scenario)))
    settings = (
        f"{load.describe()}, compared scenarios best of {rounds} interleaved rounds, "
        f"dataset `{target.database}`, "
        f"clinic {clinic_id} with {found.owner_count} owners"
    )
    return rows, settings


NOTES = [
    "One run, 2 shared cores: numbers are noisy; compare ratios, not absolutes.",
    "The compared scenarios (REST list, flat list, both dashboards, { __typename }) take "
    "turns on the servers that serve them, scenario by scenario, for several rounds, "
    "each keeping its round with the least server CPU per request: the machine's speed "
    "drifts by a third over minutes, and servers measured one after another would each "
    "get a different machine. The servers all run then, idle but for the one under "
    "load. ClinovaVet's other "
    "scenarios run after, once. wrk runs on the same machine and competes with the "
    "server for the 2 cores.",
    "Server CPU = utime+stime of the server's process tree (uvicorn workers included) "
    "over the run / requests served. DB CPU = all PostgreSQL processes over the run "
    "(other work on this PostgreSQL shows up there too).",
    "The floor: uvicorn + asyncpg + orjson, one SQL query per level, no auth, no GraphQL "
    "engine; clinic fixed at start; orjson writes its timestamps. The stack: FastAPI + "
    "Strawberry's GraphQLRouter with parser and validation caches, answering "
    "{ __typename }: no auth, no database, no middleware. ClinovaVet, the floor and the "
    "stack run 2 uvicorn workers; PostGraphile is one Node process (its default).",
    "The nested dashboard is the issue's: every field of 50 owners, their pets, records, "
    "invoices and invoice items. The slim dashboard: the same levels, three or four "
    "short fields each.",
    "PostGraphile has no tenancy: the clinic is a condition argument (clinicId) on the "
    "root list and on every nested connection of the dashboards but the invoice items (a "
    "condition needs an index that leads with the column, which invoice_items has not; "
    "they are found by invoice_id). Our indexes are "
    "clinic-prefixed (e.g. pets (clinic_id, owner_id, name)); filtered on the parent's id "
    "alone, its nested lists found no index and cost ~200 ms of DB CPU per request in "
    "sequential scans. Its nested lists are connections ({ nodes }), it returns "
    "totalAmountCents and priceCents, and formats timestamps its own way, so response "
    "sizes differ slightly.",
    "Write scenarios (POST owner, createInvoice) run last and add rows to the dataset; "
    "the next run regenerates a dataset that was written to.",
    "The harness runs ANALYZE first so that all servers get plans from fresh statistics; "
    "generated datasets are VACUUMed (visibility map, hint bits).",
    "Before each scenario: 20 unrecorded requests (reads only) warm caches and the JIT.",
    "Scale curve: ClinovaVet only, the key's clinic (a quarter of the dataset's owners), "
    "one server per size, the sizes taking turns scenario by scenario like the compared "
    "servers, each keeping its round with the least server CPU per request. "
    "The keyset page's cursor is an offset page's endCursor, fetched through the API; "
    "the keyset page and the deep offset return the same 50 owners. The offset has no "
    "target: PostgreSQL reads every row an OFFSET skips.",
]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None and not args.prepare_only:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

    if args.database_url:
        targets = [given_dataset(args.database_url, args.key)]
    else:
        # The side-by-side part writes to the smallest dataset: regenerated next time.
        targets = datasets.ensure_all(args.size_list, parallel=args.parallel, rebuild=args.rebuild)
    for target in targets:
        how = "reused" if target.reused else f"generated in {target.generation_seconds:.0f} s"
        print(f"{target.label}: {target.database_url} key {target.key} ({how})", flush=True)
    if args.prepare_only:
        return
    for target in targets:
        asyncio.run(analyze(target.database_url))

    # Scale first: its reads then see the smallest dataset before the writes below.
    scale_load = Load(args.scale_duration, args.scale_concurrency, args.pause)
    curve: list[SizeRun] = []
    if "scale" in args.part_set:
        curve = scale.measure(targets, scale_load, args.rounds)
    load = Load(args.duration, args.concurrency, args.pause)
    rows: list[Row] = []
    settings = None
    if "full" in args.part_set:
        servers_wanted = set(args.servers.split(","))
        rows, settings = side_by_side(targets[0], servers_wanted, load, args.rounds)

    print()
    if rows:
        print(table(rows), ratios(rows), sep="\n\n", end="\n\n")
    if curve:
        print(scale_curve(curve), end="\n\n")
    command = shlex.join([".venv/bin/python", "-m", "bench.run", *(argv or sys.argv[1:])])
    if args.key:
        command = command.replace(args.key, "<apikey>")
    kept = _analysis(args.out)
    args.out.write_text(
        markdown(
            machine=machine(),
            date=started,
            command=command,
            datasets=[describe(target) for target in targets],
            settings=settings,
            rows=rows,
            scale=curve,
            scale_settings=(
                f"{scale_load.describe()}, the sizes taking turns, best of {args.rounds} rounds"
                if curve
                else None
            ),
            notes=NOTES,
        )
        + kept
    )
    print(f"wrote {args.out}")


# What follows this line in RESULTS.md is written by hand (reading the numbers,
# the profile, the commit ladder) and survives a new run.
ANALYSIS_MARKER = "<!-- analysis: written by hand, kept by bench.run -->"


def _analysis(out: Path) -> str:
    text = out.read_text() if out.exists() else ""
    at = text.find(ANALYSIS_MARKER)
    return "" if at < 0 else "\n" + text[at:]


def describe(target: Dataset) -> str:
    if not target.owners:
        return f"`{target.database}` (given by --database-url)"
    how = "reused" if target.reused else "generated by this run"
    return (
        f"{target.label}: `{target.database}`, {target.owners} owners in 4 clinics, {how} "
        f"(generation took {target.generation_seconds:.0f} s)"
    )


if __name__ == "__main__":
    main()
