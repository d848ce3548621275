"""A dict that keeps at most so many entries, the oldest going first.

For the process's caches of things made once (plans, statements, validated
arguments, keys): a dict's own lookups, at a dict's speed (they are on every
request's path), and one place that says how an entry leaves.
"""

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Bounded(dict[K, V]):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def keep(self, key: K, value: V) -> V:
        """`value`, kept under `key`; the oldest entries leave while there are too many."""
        self[key] = value
        while len(self) > self.limit:
            del self[next(iter(self))]
        return value
