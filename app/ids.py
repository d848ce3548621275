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


_milliseconds = -1
_time_block = ""


def new_id() -> str:
    # Inline arithmetic, and the time block once per millisecond: seeding calls this
    # ~30 times per owner, and a helper per block was most of an id's cost.
    global _milliseconds, _time_block
    now = time.time_ns() // 1_000_000
    if now != _milliseconds:
        _milliseconds, _time_block = now, _pairs(now, 4)
    count = next(_counter) % _BLOCK
    noise = random.getrandbits(41)  # below 36**8: eight base36 digits
    return (
        f"c{_time_block}{_PAIRS[count // 1296]}{_PAIRS[count % 1296]}{_fingerprint}"
        f"{_PAIRS[noise % 1296]}{_PAIRS[noise // 1296 % 1296]}"
        f"{_PAIRS[noise // 1679616 % 1296]}{_PAIRS[noise // 2176782336 % 1296]}"
    )


def _pairs(number: int, pairs: int) -> str:
    """The low `2 * pairs` base36 digits of `number`, zero-padded (cuid truncates too)."""
    digits = []
    for _ in range(pairs):
        number, pair = divmod(number, 1296)
        digits.append(_PAIRS[pair])
    return "".join(reversed(digits))


def looks_like_id(value: str) -> bool:
    return CUID_PATTERN.fullmatch(value) is not None
