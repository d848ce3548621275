"""Resolved API keys kept in process, trusted only while a watcher vouches for them.

Looking a key up cost every request a round trip through its own session
(~0.5 ms). Keys change rarely (revoked, or their scopes or budget edited), and
every change is announced in its own transaction (migration 0010); a watcher
per process hears the announcements (`app.key_changes`) and forgets what they
name. Between announcements, a key seen once is answered from here.

The cache vouches for nothing on its own: an entry is used only while the
watcher has confirmed, in the last `TRUST_SECONDS`, that it is still hearing
every change. A watcher that is cut off, late or never started leaves every
request to look its key up, as before. Only valid keys are kept: an unknown or
revoked key is looked up each time, so it answers 401 however it was refused.
"""

import time

from app.bounded import Bounded
from app.scopes import Principal

# A revoked key must answer 401 on every instance within 1 s (contract, "Keys"):
# a watcher that stops confirming loses its trust well inside that.
TRUST_SECONDS = 0.6
# Bounded whatever the number of keys; an evicted key is looked up again.
MAX_ENTRIES = 10_000


class KeyCache:
    """Principals by key hash, and whether they may be used right now."""

    def __init__(self) -> None:
        self._entries: Bounded[str, Principal] = Bounded(MAX_ENTRIES)
        self._confirmed_at = float("-inf")
        # Bumped by every invalidation: a lookup that raced one is not kept.
        self._invalidations = 0

    @property
    def trusted(self) -> bool:
        return time.monotonic() - self._confirmed_at < TRUST_SECONDS

    def get(self, key_hash: str) -> Principal | None:
        return self._entries.get(key_hash) if self.trusted else None

    def ticket(self) -> int | None:
        """Taken before a lookup; `put` keeps its answer only if nothing changed meanwhile."""
        return self._invalidations if self.trusted else None

    def put(self, key_hash: str, principal: Principal, ticket: int | None) -> None:
        # The row was read before any change announced since the ticket: it may
        # be the very change that revoked it, so it is not kept.
        if ticket is None or ticket != self._invalidations or not self.trusted:
            return
        self._entries.keep(key_hash, principal)

    def confirm(self) -> None:
        """The watcher has heard every change announced until now."""
        self._confirmed_at = time.monotonic()

    def forget(self, key_hash: str) -> None:
        self._invalidations += 1
        self._entries.pop(key_hash, None)

    def forget_all(self) -> None:
        self._invalidations += 1
        self._entries.clear()

    def lose(self) -> None:
        """The watcher stopped hearing changes: nothing here can be trusted until it is back."""
        self._confirmed_at = float("-inf")
        self.forget_all()
