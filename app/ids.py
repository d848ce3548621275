"""Row ids: cuids (`c`, then a timestamp, a counter, a process fingerprint and
random digits, each in base36), generated here rather than by the `cuid`
package, whose digit-by-digit conversions were a third of seeding's time."""

import itertools
import os
import random
import re
import time

from cuid import get_process_fingerprint

# Contract: ids are 25-character cuids, `c` followed by lowercase base36.
CUID_PATTERN = re.compile(r"^c[0-9a-z]{24}$")

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Every two-digit base36 string: a block of digits costs a lookup per pair.
_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]
_BLOCK = 36**4
_counter = itertools.count(random.randrange(_BLOCK))
_fingerprint = str(get_process_fingerprint())


def _forked() -> None:
    # A child has its own pid, so its own fingerprint, as the cuid package gives it.
    global _fingerprint
    _fingerprint = str(get_process_fingerprint())


os.register_at_fork(after_in_child=_forked)


def _base36(number: int, pairs: int) -> str:
    """The low `2 * pairs` base36 digits of `number`, zero-padded (cuid truncates too)."""
    digits = []
    for _ in range(pairs):
        number, pair = divmod(number, 1296)
        digits.append(_PAIRS[pair])
    return "".join(reversed(digits))


def new_id() -> str:
    return (
        "c"
        + _base36(time.time_ns() // 1_000_000, 4)
        + _base36(next(_counter) % _BLOCK, 2)
        + _fingerprint
        + _base36(random.getrandbits(42), 4)
    )


def looks_like_id(value: str) -> bool:
    return CUID_PATTERN.fullmatch(value) is not None
