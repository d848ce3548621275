"""Reads compiled once to the driver's SQL and run on the raw driver connection.

A level of a read (the pets of these owners; the owners these pets name) is a
SQLAlchemy Core statement made from the relationship's declaration, with the
clinic predicate of app.tenancy on every clinic-owned table, compiled to the
driver's SQL once per dialect and then sent as text to asyncpg or aiosqlite on
the connection the session reads on (SerializedSession.reading: inside its
transaction once it has begun, else, on PostgreSQL, one the session keeps for
its reads). What SQLAlchemy
would do per execution, binding and result processing, is decided here once;
a statement of 500 ids costs one execution of the driver and a loop.

The keys of a level travel as one parameter on both backends: an array on
PostgreSQL (`= ANY($1)`), a JSON array read by `json_each` on SQLite, so the
SQL text does not depend on how many there are. SQLAlchemy's cursor events
still hear every statement, so the request's statement count, the access log
and query-count tests see these as they see the ORM's.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Dialect,
    Float,
    Numeric,
    Select,
    String,
    any_,
    bindparam,
    exc,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.util import greenlet_spawn

from app.bounded import Bounded
from app.database import SerializedSession
from app.ids import looks_like_id
from app.models import columns
from app.observability import LOADER_BATCH
from app.relationships import Relation
from app.rows import row_type
from app.tenancy import (
    CLINIC_PARAMETER,
    clinic_of,
    clinic_parameters,
    clinic_predicate,
    is_clinic_owned,
)

# The parameters of a level: its keys, and the clinic (as tenancy names it in every statement).
_KEYS, CLINIC = "keys", CLINIC_PARAMETER


class NoClinic(RuntimeError):
    """Compiled reads run only for a session bound to one clinic."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    parameters: tuple[str, ...]  # the driver's positional parameters, by name
    bind: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[Callable[[Any], Any] | None, ...]
    row: type[tuple[Any, ...]]  # the rows' named tuple


@dataclass(frozen=True, eq=False)
class LevelRead:
    """Rows of `model` (only `selected` of its columns) whose `key` is among a batch of keys."""

    model: type[Any]
    key: InstrumentedAttribute[Any]
    selected: tuple[Any, ...]
    order_by: tuple[ColumnElement[Any], ...]
    name: str  # as the loaders name themselves in the batch-size metric
    _compiled: dict[str, _Compiled] = field(default_factory=dict, repr=False)

    def statement(self, dialect_name: str) -> Select[Any]:
        """The level's statement as `dialect_name` runs it; the tenancy test reads it too."""
        if dialect_name == "postgresql":
            among = self.key == any_(bindparam(_KEYS, type_=ARRAY(String)))
        else:
            keys = func.json_each(bindparam(_KEYS, type_=String)).table_valued("value")
            among = self.key.in_(select(keys.c.value))
        query = select(*self.selected).where(among).order_by(*self.order_by)
        if is_clinic_owned(self.model):
            query = query.where(clinic_predicate(self.model, bindparam(CLINIC, type_=String)))
        return query

    def compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _compile(self, dialect)
        return compiled


def _compile(read: LevelRead, dialect: Dialect) -> _Compiled:
    statement = read.statement(dialect.name)
    return _driver_form(statement, statement.compile(dialect=dialect), dialect)


def _driver_form(query: Select[Any], sql_compiled: Any, dialect: Dialect) -> _Compiled:
    """What running SQLAlchemy's compiled statement on the driver needs, decided once."""
    parameters = tuple(sql_compiled.positiontup or ())
    processors = sql_compiled._bind_processors
    # Named as the ORM's result names them: by attribute, not by column name.
    selected = [(entry["name"], entry["type"]) for entry in query.column_descriptions]
    return _Compiled(
        sql=sql_compiled.string,
        parameters=parameters,
        bind=tuple(processors.get(name) for name in parameters),
        results=tuple(
            type_.dialect_impl(dialect).result_processor(dialect, _coltype(type_, dialect))
            for _name, type_ in selected
        ),
        row=row_type(tuple(name for name, _type in selected)),
    )


def _coltype(type_: Any, dialect: Dialect) -> int | None:
    """The type oid a result would report for a column of the type, read as itself.

    asyncpg's numeric result processors choose by it (float8 needs none);
    compiling once, we know it from the declaration instead.
    """
    if dialect.name != "postgresql":
        return None
    if isinstance(type_, Float):
        return _FLOAT8
    return _NUMERIC if isinstance(type_, Numeric) else None


_FLOAT8, _NUMERIC = 701, 1700


def level_read(
    model: type[Any],
    key: InstrumentedAttribute[Any],
    order_by: tuple[ColumnElement[Any], ...],
    attributes: frozenset[str] | None,
) -> LevelRead:
    """The one LevelRead of these rows: compiled once for the process."""
    made = _MADE.get((model, key, order_by, attributes))
    if made is None:
        made = _MADE[(model, key, order_by, attributes)] = _level_read(
            model, key, order_by, attributes
        )
    return made


def _level_read(
    model: type[Any],
    key: InstrumentedAttribute[Any],
    order_by: tuple[ColumnElement[Any], ...],
    attributes: frozenset[str] | None,
) -> LevelRead:
    every = columns(model)
    if attributes is None:
        selected = every
    else:
        # Every row carries, whatever is asked, its id and the key it was found by.
        wanted = attributes.union(("id", key.key))
        selected = tuple(column for column in every if column.key in wanted)
    by = "".join(part.title() for part in key.key.split("_"))
    answers = f"{model.__name__}s" if order_by else model.__name__
    name = f"{answers}By{by}Loader"
    return LevelRead(model=model, key=key, selected=selected, order_by=order_by, name=name)


def rendered_level_read(
    model: type[Any],
    key: InstrumentedAttribute[Any],
    order_by: tuple[ColumnElement[Any], ...],
    selected: tuple[Any, ...],
) -> LevelRead:
    """A level of expressions over the model's columns (graphql_schema.rendered's JSON text).

    Kept by the statement's SQL: a plan compiled again finds its statement compiled.
    """
    made_key = (model, key, order_by, str(select(*selected)))
    made = _RENDERED.get(made_key)
    if made is None:
        by = "".join(part.title() for part in key.key.split("_"))
        name = f"{model.__name__}TextBy{by}"
        # Their SQL holds the document's response keys: one per spelling of aliases.
        made = _RENDERED.keep(
            made_key,
            LevelRead(model=model, key=key, selected=selected, order_by=order_by, name=name),
        )
    return made


_MADE: dict[tuple[object, ...], LevelRead] = {}
# Bounded like the documents whose plans hold them; a plan keeps the reads it made.
_RENDERED: Bounded[tuple[object, ...], LevelRead] = Bounded(1024)


def made_level_reads() -> list[LevelRead]:
    """Every level read made so far: the tenancy test inspects them all."""
    return [*_MADE.values(), *_RENDERED.values()]


async def fetch_level(session: AsyncSession, read: LevelRead, keys: Sequence[str]) -> list[Any]:
    """The rows of `read` for `keys`, in the statement's order, where the session reads."""
    clinic_id = clinic_of(session)
    if clinic_id is None and is_clinic_owned(read.model):
        raise NoClinic("an unscoped session reads through the ORM")
    dialect = session.get_bind().dialect
    compiled = read.compiled(dialect)
    values = {
        _KEYS: list(keys) if dialect.name == "postgresql" else orjson.dumps(list(keys)).decode(),
        CLINIC: clinic_id,
    }
    arguments = [
        value if process is None else process(value)
        for value, process in zip(
            map(values.__getitem__, compiled.parameters), compiled.bind, strict=True
        )
    ]
    return await _fetch(session, compiled, arguments)


async def _fetch(session: AsyncSession, compiled: _Compiled, arguments: list[Any]) -> list[Any]:
    """The compiled statement's rows, made as its columns' types read them."""
    # Every session is made by app.database's sessionmaker, which decides where reads run.
    assert isinstance(session, SerializedSession)
    async with session.reading() as sync:
        # SQLAlchemy's cursor events hear the statement as they hear the ORM's
        # (the statement count, a span per statement), each keeping its state on
        # the execution it is given.
        events, execution, parameters = sync.dispatch, _Execution(), tuple(arguments)
        if events.before_cursor_execute:
            events.before_cursor_execute(sync, None, compiled.sql, parameters, execution, False)
        try:
            records = await _driver_fetch(sync, compiled, arguments)
        finally:
            if events.after_cursor_execute:
                events.after_cursor_execute(sync, None, compiled.sql, parameters, execution, False)
    # Rows made by tuple.__new__ directly: a named tuple's _make is a Python call per row.
    row, new = compiled.row, tuple.__new__
    processed = [(i, p) for i, p in enumerate(compiled.results) if p is not None]
    if not processed:
        return list(map(new, repeat(row, len(records)), records))
    rows = []
    for record in records:
        values = list(record)
        for i, process in processed:  # only the columns whose type reads them (timestamps, money)
            if values[i] is not None:
                values[i] = process(values[i])
        rows.append(new(row, values))
    return rows


class _Execution:
    """Where cursor event listeners keep what they need from before to after a statement."""


async def _driver_fetch(
    connection: Connection, compiled: _Compiled, arguments: list[Any]
) -> list[Any]:
    # Reconnecting (an invalidated connection) is IO: it runs where SQLAlchemy can await.
    raw = (
        await greenlet_spawn(getattr, connection, "connection")
        if connection.invalidated
        else connection.connection
    )
    driver = raw.driver_connection
    if driver is None:
        raise RuntimeError("the session's connection is closed")
    # SQLAlchemy's adapter serialises what runs on the connection (graphql-core
    # resolves root fields concurrently); a statement sent past it would collide.
    adapted: Any = raw.dbapi_connection
    async with adapted._execute_mutex:
        try:
            if connection.dialect.name == "postgresql":
                records = await driver.fetch(compiled.sql, *arguments)
            else:
                async with driver.execute(compiled.sql, arguments) as cursor:
                    records = await cursor.fetchall()
        except Exception as error:
            failure = _as_sqlalchemy_error(connection.dialect, adapted, compiled, arguments, error)
            if failure.connection_invalidated:
                await greenlet_spawn(connection.invalidate)
            raise failure from error
    return list(records)


def _as_sqlalchemy_error(
    dialect: Dialect, adapted: Any, compiled: _Compiled, arguments: list[Any], error: Exception
) -> exc.DBAPIError:
    """The driver's error as SQLAlchemy raises it, so that app.database names it (503, 400)."""
    try:
        adapted._handle_exception(error)  # the adapter's translation to its DBAPI's classes
    except Exception as translated:
        error = translated
    base = dialect.loaded_dbapi.Error
    lost = isinstance(error, base) and dialect.is_disconnect(error, adapted, None)
    wrapped = exc.DBAPIError.instance(
        compiled.sql, arguments, error, base, connection_invalidated=lost
    )
    return (
        wrapped
        if isinstance(wrapped, exc.DBAPIError)
        else exc.DBAPIError(compiled.sql, arguments, error, connection_invalidated=lost)
    )


@dataclass(frozen=True)
class _Shape:
    """A statement compiled once for every statement of the same shape (its cache key)."""

    compiled: _Compiled
    sql_compiled: Any  # SQLAlchemy's, which maps a new statement's values onto its parameters
    statement: Select[Any]  # as run: with the columns selected `also`


# Bounded: the shapes are the domain's list statements (filters given or not,
# cursor or offset), a few dozen, by the projections plans ask of them; a shape
# evicted is compiled again.
MAX_SHAPES = 512
_SHAPES: Bounded[tuple[str, Any, tuple[ColumnElement[Any], ...]], _Shape] = Bounded(MAX_SHAPES)
_SHARED: Bounded[str, tuple[ColumnElement[Any], ...]] = Bounded(MAX_SHAPES)


def shared(also: tuple[ColumnElement[Any], ...]) -> tuple[ColumnElement[Any], ...]:
    """The one tuple of these columns by their SQL, for fetch_rows' `also`.

    Shapes are kept by the tuple itself (its SQL would cost a compile per
    execution): documents asking for the same objects share their shapes.
    """
    sql = str(select(*also))
    return _SHARED.get(sql) or _SHARED.keep(sql, also)


async def fetch_rows(
    session: AsyncSession, query: Select[Any], also: tuple[ColumnElement[Any], ...] = ()
) -> list[Any] | None:
    """The statement's rows on the session's raw driver connection, or None if it cannot be run so.

    For statements the ORM would otherwise run each time: the shape is compiled
    once, as SQLAlchemy's statement cache does, and each execution only binds
    this statement's values. The caller's statement carries its own clinic
    predicate (app.tenancy): the ORM's filter does not see it.

    `also` are columns selected after the statement's own, made once by the
    caller (objects as JSON text: graphql_schema.rendered, rest_compat.shapes)
    and passed through `shared`: the shape is known by the statement without
    them, so that their size costs nothing per execution, and they may name no
    parameter but the clinic.
    """
    cache_key = query._generate_cache_key()
    if cache_key is None:
        return None
    dialect = session.get_bind().dialect
    known = (dialect.name, cache_key.key, also)
    shape = _SHAPES.get(known)
    if shape is None:
        shape = _SHAPES.keep(known, _shape(query, cache_key, also, dialect) or _DECLINED)
    if shape is _DECLINED:  # once known, not compiled again to decline again
        return None
    compiled = shape.compiled
    # The clinic's parameter is the session's clinic, in the statement's own
    # predicates (app.tenancy) as in what is selected `also`.
    values = shape.sql_compiled.construct_params(
        params=clinic_parameters(session),
        extracted_parameters=cache_key.bindparams,
        escape_names=False,
    )
    arguments = [
        values[name] if process is None else process(values[name])
        for name, process in zip(compiled.parameters, compiled.bind, strict=True)
    ]
    return await _fetch(session, compiled, arguments)


async def fetch_scalar(session: AsyncSession, query: Select[Any]) -> Any:
    """The statement's one value, as `session.scalar` answers it, on the raw driver if it can."""
    rows = await fetch_rows(session, query)
    if rows is None:
        return await session.scalar(query)
    return rows[0][0] if rows else None


# What fetch_rows keeps of a shape the raw driver cannot run (SQLAlchemy's path runs it).
_DECLINED = _Shape(_Compiled("", (), (), (), tuple), None, select())


def _shape(
    query: Select[Any], cache_key: Any, also: tuple[ColumnElement[Any], ...], dialect: Dialect
) -> _Shape | None:
    sql_compiled: Any = dialect.statement_compiler(dialect, query, cache_key=cache_key)
    if sql_compiled.literal_execute_params or sql_compiled.post_compile_params:
        return None  # rendered per execution: SQLAlchemy's own path handles those
    if not also:
        return _Shape(_driver_form(query, sql_compiled, dialect), sql_compiled, query)
    statement = query.add_columns(*also)
    run: Any = dialect.statement_compiler(dialect, statement, cache_key=None)
    # Its parameters must be the statement's own, by the same names; the clinic's
    # only where the statement keeps to a clinic itself.
    own = sql_compiled.binds
    for name, bind in run.binds.items():
        if name not in own or (name != CLINIC and own[name].key != bind.key):
            return None
    if run.literal_execute_params or run.post_compile_params:
        return None
    return _Shape(_driver_form(statement, run, dialect), sql_compiled, statement)


def made_statements() -> list[Select[Any]]:
    """One statement of every shape fetch_rows compiled: the tenancy test inspects them."""
    return [shape.statement for shape in _SHAPES.values() if shape is not _DECLINED]


async def load_level(
    session: AsyncSession,
    relation: Relation,
    parents: Sequence[Any],
    attributes: frozenset[str],
    seen: dict[LevelRead, dict[str, Any]],
) -> list[Any]:
    """The relationship's rows for every parent (None where its key is null).

    `seen` holds the rows this request already read by key, as a request's
    loaders do, so that a level asked twice (two aliases) is read once.
    """
    if relation.many:
        read = level_read(relation.model, relation.key, relation.order_by, attributes)
    else:  # Pet.owner and Invoice.owner read the same owners by id
        read = level_read(relation.model, relation.key, (), attributes)
    rows = seen.setdefault(read, {})
    keys = list(map(attrgetter(relation.parent_key), parents))
    unseen = [key for key in dict.fromkeys(keys) if key is not None and key not in rows]
    if unseen:
        LOADER_BATCH.labels(read.name).observe(len(unseen))
        if relation.many:
            groups: dict[str, list[Any]] = {key: [] for key in unseen}
            child_of = attrgetter(relation.key.key)
            for row in await fetch_level(session, read, unseen):
                groups[child_of(row)].append(row)
            rows.update(groups)
        else:
            # What is not shaped like an id names no row (and a NUL, which
            # PostgreSQL refuses in text, never reaches it).
            wanted = [key for key in unseen if looks_like_id(key)]
            found = (
                {row.id: row for row in await fetch_level(session, read, wanted)} if wanted else {}
            )
            rows.update((key, found.get(key)) for key in unseen)
    return [None if key is None else rows[key] for key in keys]
