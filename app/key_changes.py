"""Hearing every change to API keys, so that `app.key_cache` forgets what changed.

Migration 0010 announces each change to a row of `api_keys` in the changing
transaction: both backends bump `api_key_changes`, and PostgreSQL also sends
`NOTIFY clinova_api_keys` with the key's hash. One watcher per process, started
with the app (`app.main`), each on a connection of its own on the raw driver
(not the pool's: it lives as long as the process):

- PostgreSQL: LISTEN. A notification forgets its key at once; a `SELECT 1`
  every `POLL_SECONDS` confirms that the connection still hears, since one
  dropped without a word would otherwise look alive.
- SQLite, which has no notifications: the change counter, read every
  `POLL_SECONDS`; when it moved, every key is forgotten.

A lost connection (a restart, a terminated backend, a failed read) makes the
cache forget everything and stop vouching at once, and the watcher connects
again with backoff; until then every request looks its key up.
"""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.key_cache import KeyCache
from app.settings import Settings

CHANNEL = "clinova_api_keys"
# How the listener shows in pg_stat_activity.
APPLICATION_NAME = "clinova key listener"
POLL_SECONDS = 0.2
FIRST_BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 5.0
_READ_CHANGES = "SELECT changes FROM api_key_changes"
# The connection options SQLAlchemy's dialect takes for itself.
_DIALECT_ONLY = (
    "async_creator_fn",
    "prepared_statement_cache_size",
    "prepared_statement_name_func",
)

log = logging.getLogger("clinova.key_changes")


class KeyWatcher(ABC):
    def __init__(self, cache: KeyCache, settings: Settings) -> None:
        self.cache = cache
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._backoff = FIRST_BACKOFF_SECONDS

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=type(self).__name__)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.cache.lose()

    async def _run(self) -> None:
        while True:
            try:
                await self._watch()
            except Exception as error:  # whatever broke the watch, the cache stops vouching
                if self._backoff == FIRST_BACKOFF_SECONDS:  # once per outage
                    log.warning("API key cache off, looking keys up: %r", error)
            self.cache.lose()
            await asyncio.sleep(self._backoff)
            self._backoff = min(2 * self._backoff, MAX_BACKOFF_SECONDS)

    def _heard(self) -> None:
        """Everything announced until now has been heard."""
        if not self.cache.trusted and self._backoff > FIRST_BACKOFF_SECONDS:
            log.info("API key cache on again")
        self.cache.confirm()
        self._backoff = FIRST_BACKOFF_SECONDS

    @abstractmethod
    async def _watch(self) -> None:
        """Hear changes until the connection is lost (raises)."""


class PostgresKeyListener(KeyWatcher):
    def __init__(self, cache: KeyCache, settings: Settings, engine: AsyncEngine) -> None:
        super().__init__(cache, settings)
        _, options = engine.dialect.create_connect_args(engine.url)
        self._connect_options: dict[str, Any] = {
            k: v for k, v in options.items() if k not in _DIALECT_ONLY
        }

    async def _watch(self) -> None:
        connection = await asyncpg.connect(
            **self._connect_options,
            timeout=self.settings.db_connect_timeout,
            server_settings={"application_name": APPLICATION_NAME},
        )
        try:
            # A connection the server closes (restart, terminated backend) stops
            # the cache vouching at once, not at the next poll.
            connection.add_termination_listener(lambda _connection: self.cache.lose())
            await connection.add_listener(CHANNEL, self._on_change)
            # LISTEN holds from here on: a change committed later is heard, and
            # lookups before it were not cached (the cache did not vouch yet).
            self._heard()
            while True:
                await asyncio.sleep(POLL_SECONDS)
                await connection.fetchval("SELECT 1", timeout=POLL_SECONDS)
                self._heard()
        finally:
            connection.terminate()

    def _on_change(self, _connection: object, _pid: int, _channel: str, key_hash: str) -> None:
        self.cache.forget(key_hash)


class SqliteKeyVersion(KeyWatcher):
    def __init__(self, cache: KeyCache, settings: Settings, engine: AsyncEngine) -> None:
        super().__init__(cache, settings)
        self._path = engine.url.database or ""

    async def _watch(self) -> None:
        async with aiosqlite.connect(self._path, timeout=self.settings.db_connect_timeout) as db:
            seen = await _changes(db)
            self._heard()
            while True:
                await asyncio.sleep(POLL_SECONDS)
                changes = await _changes(db)
                if changes != seen:
                    self.cache.forget_all()
                    seen = changes
                self._heard()


async def _changes(db: aiosqlite.Connection) -> int:
    async with db.execute(_READ_CHANGES) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise LookupError("api_key_changes has no row: run `clinova migrate`")
    return int(row[0])


def key_watcher(cache: KeyCache, settings: Settings, engine: AsyncEngine) -> KeyWatcher:
    if engine.dialect.name == "postgresql":
        return PostgresKeyListener(cache, settings, engine)
    return SqliteKeyVersion(cache, settings, engine)
