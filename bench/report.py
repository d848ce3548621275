"""The results table, the ratios and RESULTS.md."""

from dataclasses import dataclass

from bench.metrics import Usage
from bench.wrk import WrkResult

COMPARED = ("GraphQL flat 50 owners", "GraphQL nested dashboard")


@dataclass
class Row:
    server: str
    scenario: str
    response_bytes: int = 0
    wrk: WrkResult | None = None
    usage: Usage | None = None
    skipped: str | None = None  # why it was not measured

    def cpu_ms(self) -> float | None:
        if not self.wrk or not self.usage or not self.wrk.requests:
            return None
        return self.usage.server_cpu_s * 1000 / self.wrk.requests

    def db_ms(self) -> float | None:
        if not self.wrk or not self.usage or not self.wrk.requests:
            return None
        return self.usage.db_cpu_s * 1000 / self.wrk.requests


HEADER = (
    "| server | scenario | req/s | p50 ms | p99 ms | errors | server CPU ms/req "
    "| DB CPU ms/req | peak RSS/worker MiB | response bytes |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[Row]) -> str:
    lines = [HEADER]
    for row in rows:
        if row.skipped or not row.wrk or not row.usage:
            reason = " ".join(str(row.skipped).split()).replace("|", "/")
            lines.append(f"| {row.server} | {row.scenario} | not measured: {reason} |")
            continue
        w, u = row.wrk, row.usage
        errors = w.non_2xx + w.socket_errors
        lines.append(
            f"| {row.server} | {row.scenario} | {w.rps:.0f} | {w.p50_ms:.1f} | {w.p99_ms:.1f} "
            f"| {errors} | {_num(row.cpu_ms())} | {_num(row.db_ms())} "
            f"| {u.peak_rss_mib:.0f} (x{u.workers}) | {row.response_bytes} |"
        )
    return "\n".join(lines)


def _ratio(ours: float | None, other: float | None) -> str:
    if ours is None or other is None or other == 0:
        return "-"
    return f"{ours / other:.2f}"


def ratios(rows: list[Row]) -> str:
    """ours/other: req/s below 1 means we serve fewer; CPU above 1 means we burn more."""
    found = {(r.server, r.scenario): r for r in rows if r.wrk and r.usage and not r.skipped}
    lines = [
        "| scenario | vs | req/s ours/other | server CPU/req ours/other "
        "| server+DB CPU/req ours/other | p99 ours/other |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for scenario in COMPARED:
        ours = found.get(("clinova", scenario))
        for other_name in ("postgraphile", "floor"):
            other = found.get((other_name, scenario))
            if not ours or not other or not ours.wrk or not other.wrk:
                lines.append(f"| {scenario} | {other_name} | not measured | | | |")
                continue
            ours_total = (ours.cpu_ms() or 0) + (ours.db_ms() or 0)
            other_total = (other.cpu_ms() or 0) + (other.db_ms() or 0)
            lines.append(
                f"| {scenario} | {other_name} | {_ratio(ours.wrk.rps, other.wrk.rps)} "
                f"| {_ratio(ours.cpu_ms(), other.cpu_ms())} | {_ratio(ours_total, other_total)} "
                f"| {_ratio(ours.wrk.p99_ms, other.wrk.p99_ms)} |"
            )
    return "\n".join(lines)


def markdown(
    *,
    machine: dict[str, str],
    date: str,
    command: str,
    settings: str,
    rows: list[Row],
    notes: list[str],
) -> str:
    machine_lines = "\n".join(f"- {key}: {value}" for key, value in machine.items())
    note_lines = "\n".join(f"- {note}" for note in notes)
    return f"""# Benchmark results

Date: {date}

Command:

```
{command}
```

Machine:

{machine_lines}

Settings: {settings}

## Results

{table(rows)}

## Ratios (ClinovaVet / other)

{ratios(rows)}

## Notes

{note_lines}
"""
