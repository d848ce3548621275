import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import greenlet_spawn

# Imported for its session hooks: every session made here keeps the clinic counts.
from app import clinic_counts  # noqa: F401
from app.errors import ClinovaError, Invalid, ServiceUnavailable
from app.settings import Settings

# Execution option a write transaction sets; on SQLite it makes the transaction
# take the write lock at BEGIN, so concurrent writers queue on busy_timeout
# instead of failing when a read snapshot tries to upgrade.
WRITE_OPTION = "clinova_write"


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        return _sqlite_engine(settings)
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        # A stalled server must not hang requests forever.
        connect_args={
            "timeout": settings.db_connect_timeout,
            "command_timeout": settings.db_command_timeout,
            # Doubles written as JSON text by PostgreSQL (app.json_text) are the
            # shortest exact digits only so; a server or pooler default of 0 would
            # make them other numbers.
            "server_settings": {"extra_float_digits": "1"},
        },
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def _replace_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # A server that goes away (a restart, a terminated backend, a proxy that
        # drops its connections) closes the sockets, and asyncpg hears it while
        # the connection sits in the pool. Such a connection is replaced here
        # (SQLAlchemy's recipe: raise DisconnectionError), without the round trip
        # pool_pre_ping spent on every checkout, so on every request. A silent
        # drop (no FIN, no RST) shows on the first statement instead: a 503
        # after the command timeout, where the ping would have waited as long.
        if closed_by_server(dbapi_connection):
            raise exc.DisconnectionError("the server closed this pooled connection")

    return engine


def closed_by_server(dbapi_connection: Any) -> bool:
    """Whether asyncpg has heard the server close the connection's socket."""
    return bool(dbapi_connection.driver_connection.is_closed())


def _sqlite_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        pool_pre_ping=True,
        pool_timeout=settings.db_pool_timeout,
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (below) instead of the driver's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class SerializedSession(AsyncSession):
    """An AsyncSession whose operations take turns.

    GraphQL resolves sibling fields concurrently, and an AsyncSession must not
    be used by two coroutines at once; one lock per session makes every
    resolver and loader of a request safe without each remembering to lock.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()
        bind = self.sync_session.get_bind()
        # Where reads run apart from the session (see `reading`): PostgreSQL's engine.
        self._apart: Engine | None = (
            bind if isinstance(bind, Engine) and reads_in_autocommit(bind) else None
        )
        self._reads: Connection | None = None

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Connection]:
        """The connection a compiled read (app.compiled_reads) runs on, on the raw driver.

        Where the session reads in autocommit (PostgreSQL), a session that has
        not begun reads on a pooled connection of its own. A checkout costs a
        quarter of the session's connection (~25 us against ~85), and there each
        of the session's reads takes its own snapshot anyway. It is kept for the
        session's next reads, and given back before anything the session does
        next (`_taking_turn`): that may begin it, and a session never holds two
        connections, so sessions cannot starve each other of the pool.

        Otherwise, the session's own connection: once it has begun (its
        transaction, its writes; `add` begins it too), after it closed (what
        graphql-core leaves running after an error reads as its ORM would), and
        on SQLite, where a request's reads share one transaction's snapshot.
        """
        async with self._turn:
            engine = self._apart
            if engine is None or self.in_transaction():
                await self._give_back_reads()
                own = (await super().connection()).sync_connection
                assert own is not None  # an AsyncConnection that has started has one
                yield own
                return
            reads = self._reads
            if reads is not None and (
                reads.invalidated or closed_by_server(reads.connection.dbapi_connection)
            ):
                # Back to the pool, whose checkout replaces one the server closed.
                await self._give_back_reads()
                reads = None
            if reads is None:
                reads = self._reads = await greenlet_spawn(engine.connect)
            yield reads

    async def _give_back_reads(self) -> None:
        reads, self._reads = self._reads, None
        if reads is not None:
            await greenlet_spawn(reads.close)

    @asynccontextmanager
    async def _taking_turn(self) -> AsyncIterator[None]:
        """The session's turn, for anything but a compiled read: the read connection
        is given back first, as what follows may begin the session."""
        async with self._turn:
            await self._give_back_reads()
            yield

    async def close(self) -> None:
        async with self._taking_turn():
            self._apart = None  # reads after close run on the session's own connection
        await super().close()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._taking_turn():
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._taking_turn():
            return await super().scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._taking_turn():
            return await super().get(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        async with self._taking_turn():
            await super().flush(*args, **kwargs)

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        async with self._taking_turn():
            await super().refresh(*args, **kwargs)

    async def delete(self, instance: object) -> None:
        async with self._taking_turn():
            await super().delete(instance)

    async def commit(self) -> None:
        async with self._taking_turn():
            await super().commit()

    async def rollback(self) -> None:
        async with self._taking_turn():
            await super().rollback()

    async def connection(self, *args: Any, **kwargs: Any) -> Any:
        async with self._taking_turn():
            return await super().connection(*args, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    if engine.dialect.name == "postgresql":
        # Reads need no transaction of their own: under READ COMMITTED each
        # statement takes its own snapshot inside one too, and its BEGIN and
        # ROLLBACK were two round trips of every request. Writes open theirs.
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    # Objects stay readable after commit: resolvers keep using what a mutation returned.
    return async_sessionmaker(
        engine, class_=SerializedSession, expire_on_commit=False, autoflush=False
    )


def reads_in_autocommit(bind: Engine | Connection) -> bool:
    """Whether a session on `bind` reads without a transaction (create_sessionmaker)."""
    return bool(bind.get_execution_options().get("isolation_level") == "AUTOCOMMIT")


def _write_options(session: AsyncSession) -> dict[str, Any]:
    options: dict[str, Any] = {WRITE_OPTION: True}
    if reads_in_autocommit(session.get_bind()):
        # The session reads in autocommit (create_sessionmaker); a write gets a
        # transaction, at PostgreSQL's default level.
        options["isolation_level"] = "READ COMMITTED"
    return options


@asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """One transaction for one write: committed on success, rolled back on any error."""
    if session.in_transaction():
        # End the reads a request has made, so the write starts fresh.
        await session.commit()
    await session.connection(execution_options=_write_options(session))
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise


def database_error(error: BaseException) -> ClinovaError | None:
    """A database failure the caller should hear about by name, not as a 500.

    Unreachable or locked: 503. A value the database cannot store (PostgreSQL
    refuses NUL characters in text, for one): the caller's 400. Inputs are
    validated before they get here; this is the net under what slips through.
    """
    state = _sqlstate(error)
    if isinstance(error, exc.DataError) or state.startswith("22"):
        return Invalid("The request holds a value the database cannot store")
    if state.startswith(_UNAVAILABLE_STATES):
        return ServiceUnavailable("The database is unavailable, retry shortly")
    if isinstance(error, exc.TimeoutError | asyncio.TimeoutError | ConnectionError | OSError):
        return ServiceUnavailable("The database is unavailable, retry shortly")
    if isinstance(error, exc.DBAPIError) and (
        error.connection_invalidated
        or isinstance(error, exc.InterfaceError)
        or "database is locked" in str(error.orig)
        or _is_connection_error(error.orig)
    ):
        return ServiceUnavailable("The database is unavailable, retry shortly")
    return None


# SQLSTATE classes of a server that cannot take the request now: connection
# exceptions (08), insufficient resources such as too many clients (53), and
# operator intervention such as a shutdown or a server starting up (57P).
_UNAVAILABLE_STATES = ("08", "53", "57P")


def _sqlstate(error: BaseException) -> str:
    # SQLSTATE class 22 is "data exception"; asyncpg reports some only this way.
    orig = getattr(error, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def _is_connection_error(orig: BaseException | None) -> bool:
    return isinstance(orig, ConnectionError | OSError) or type(orig).__name__ in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "InterfaceError",
    }


class Database:
    """The engine and session factory of one process, made once at start-up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings)
        self.sessionmaker = create_sessionmaker(self.engine)

    async def ping(self) -> None:
        async with (
            asyncio.timeout(self.settings.db_connect_timeout),
            self.engine.connect() as connection,
        ):
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()
