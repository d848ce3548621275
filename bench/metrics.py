"""CPU and memory of a process tree, read from /proc (no psutil dependency).

CPU is utime+stime of every live process in the tree, so uvicorn's worker children
count. PostgreSQL's CPU is measured separately: a server that pushes the work into
one big SQL statement (PostGraphile) otherwise looks cheaper than it is.
"""

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after it.
    return raw[raw.rindex(")") + 2 :].split()


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parents() -> dict[int, int]:
    parents = {}
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields:
            parents[pid] = int(fields[1])
    return parents


def process_tree(root: int) -> list[int]:
    """The root and all its live descendants."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    # Fields (after the name): 11 utime, 12 stime, 13 cutime, 14 cstime (0-based here).
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICK


def _cpu_by_pid(pids: Iterable[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


def _is_resource_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def postgres_cpu_seconds() -> float:
    """All PostgreSQL processes, plus exited backends (reaped into the postmaster)."""
    total = 0.0
    for pid in _all_pids():
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith("postgres"):
            fields = _stat_fields(pid)
            is_postmaster = fields is not None and int(fields[1]) == 1
            total += cpu_seconds(pid, reaped_children=is_postmaster)
    return total


@dataclass
class Usage:
    server_cpu_s: float
    db_cpu_s: float
    peak_rss_mib: float  # the largest worker's peak
    workers: int


class TreeSampler:
    """Measures one server process tree over one load run (use as a context manager)."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self._peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.usage: Usage | None = None

    def _workers(self) -> list[int]:
        # uvicorn --workers N: the supervisor only forks; the children serve requests.
        # multiprocessing's resource tracker is a child too, but serves nothing.
        tree = [pid for pid in process_tree(self.root) if not _is_resource_tracker(pid)]
        return tree[1:] if len(tree) > 1 else tree

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in self._workers():
                self._peaks[pid] = max(self._peaks.get(pid, 0.0), rss_mib(pid))

    def __enter__(self) -> "TreeSampler":
        self._cpu_start = _cpu_by_pid(process_tree(self.root))
        self._db_start = postgres_cpu_seconds()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        cpu_end = _cpu_by_pid(process_tree(self.root))
        server = sum(end - self._cpu_start.get(pid, 0.0) for pid, end in cpu_end.items())
        workers = self._workers()
        self.usage = Usage(
            server_cpu_s=server,
            db_cpu_s=postgres_cpu_seconds() - self._db_start,
            peak_rss_mib=max((self._peaks.get(pid, rss_mib(pid)) for pid in workers), default=0),
            workers=len(workers),
        )


def machine() -> dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu_model": model,
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": os.uname().release,
    }
