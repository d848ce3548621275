"""The cyclic garbage collector, set for a long-running server process.

A request allocates thousands of short-lived containers (rows, result dicts,
futures). At CPython's default thresholds that runs a young collection every
700 of them, and every hundredth collection is a full one that traverses every
object made at start-up too: the GraphQL schema, SQLAlchemy's mappings, the
routes. That was a fifth of a dashboard request's CPU. Start-up objects live as
long as the process, so they are frozen out of the collector's generations, and
the youngest generation is collected less often.
"""

import gc

YOUNG_GENERATION_THRESHOLD = 10_000


def settle_for_serving() -> None:
    """Called once start-up is done, in each server process."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
