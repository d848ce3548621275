"""The scale curve: ClinovaVet alone, the same three deep-list requests on each dataset size.

Only p50 matters here (the target compares p50 at 1M with p50 at 10k), so the runs
are short and light: a few connections keep wrk from queueing requests behind each
other, which would measure the queue rather than the query.
"""

from bench import client, scenarios, servers
from bench.datasets import Dataset
from bench.load import LOGS, Load, run_plan
from bench.report import SizeRun


def measure_size(target: Dataset, load: Load) -> SizeRun:
    server = servers.clinova(target.database_url)
    print(f"== scale {target.label}: clinova on {target.database}", flush=True)
    server.start(LOGS / f"clinova-scale-{target.label}.log")
    try:
        found = client.fixtures(server, target.key)
        # Through the API, as a client paging deep into the list would hold it.
        cursor = client.cursor_before(server, target.key, found.deep)
        rows = run_plan(server, scenarios.scale(found.deep, cursor), target.key, load)
    finally:
        server.stop()
    whole = f" of {target.owners} in the database" if target.owners else ""
    description = (
        f"`{target.database}`: {found.owner_count} owners in the key's clinic{whole}; "
        f"keyset page and offset start at position {found.deep}"
    )
    return SizeRun(target.label, description, rows)
