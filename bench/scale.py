"""The scale curve: ClinovaVet alone, the same three deep-list requests on each dataset size.

Only p50 matters here (the target compares p50 at 1M with p50 at 10k), so the runs
are short and light: a few connections keep wrk from queueing requests behind each
other, which would measure the queue rather than the query. The sizes take turns,
scenario by scenario, as the side-by-side servers do (`run_interleaved`): a p50 of
2-3 ms moves by half within minutes on this machine, and sizes measured one after
another would compare the machine's phases rather than the sizes.
"""

from dataclasses import replace

from bench import client, scenarios, servers
from bench.datasets import Dataset
from bench.load import LOGS, Load, run_interleaved
from bench.report import SizeRun
from bench.scenarios import Scenario
from bench.servers import Server


def measure(targets: list[Dataset], load: Load, rounds: int) -> list[SizeRun]:
    entries: list[tuple[Server, list[Scenario], str | None]] = []
    descriptions = []
    for target in targets:
        found, cursor = _positions(target)
        server = servers.clinova(target.database_url)
        # run_interleaved keeps a best round per server name: each size needs its own.
        server.name = f"clinova-scale-{target.label}"
        entries.append((server, scenarios.scale(found.deep, cursor, found.owner_id), target.key))
        whole = f" of {target.owners} in the database" if target.owners else ""
        descriptions.append(
            f"`{target.database}`: {found.owner_count} owners in the key's clinic{whole}; "
            f"keyset page and offset start at position {found.deep}"
        )
    rows = run_interleaved(entries, load, rounds)
    return [
        SizeRun(
            target.label,
            description,
            [replace(row, server="clinova") for row in rows if row.server == server.name],
        )
        for target, description, (server, _plan, _key) in zip(
            targets, descriptions, entries, strict=True
        )
    ]


def _positions(target: Dataset) -> tuple[client.Fixtures, str | None]:
    """The clinic's size, and the cursor one full page before its end."""
    server = servers.clinova(target.database_url)
    print(f"== scale {target.label}: probing {target.database}", flush=True)
    server.start(LOGS / f"clinova-scale-{target.label}-probe.log")
    try:
        found = client.fixtures(server, target.key)
        # Through the API, as a client paging deep into the list would hold it.
        return found, client.cursor_before(server, target.key, found.deep)
    finally:
        server.stop()
