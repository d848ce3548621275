"""Every write appends its events in its own transaction, from one place.

`RequestContext.writing()` opens `recorded()` inside the write's transaction.
While it is open, a before_flush hook notes each entity a flush creates, changes
or deletes. When the write's body is done its changes are flushed, each noted
entity becomes one event holding its final state, and the events are inserted as
the write's last statements: an event commits with its write or not at all. A
request's session that flushes an entity outside `recorded()` is an error, so no
write can forget its event.

Ids are a counter row per clinic, incremented by the statement that inserts the
event (one statement on PostgreSQL; SQLite's writers are serial). Its row lock is
held until commit, so event N+1 is numbered only once N's write has committed: a
reader sees ids in order and never a gap that fills in later. The counter is
taken last, after any invoice number (app.invoice_numbers), so writers of a
clinic queue on it for the inserts and the commit alone, and never in a cycle.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, event, insert, inspect, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.change_log.models import ChangeCounter, ChangeEvent
from app.change_log.shapes import SHAPES
from app.models import Invoice, InvoiceStatus
from app.timestamps import utc_now

_RECORDING = "clinova_change_recording"
_REQUEST = "clinova_request_session"
_STATUS_KINDS = {InvoiceStatus.PAID: "paid", InvoiceStatus.CANCELLED: "cancelled"}
_EVENTS = cast(Table, ChangeEvent.__table__)


@dataclass
class Recording:
    """The entities one write touched, in the order it first touched them."""

    noted: dict[int, tuple[Any, str]] = field(default_factory=dict)
    # Rows a bulk UPDATE changed (`note_updated`), by model and id.
    updated_rows: dict[tuple[type[Any], str], None] = field(default_factory=dict)
    appended: int = 0

    def note(self, obj: Any, kind: str) -> None:
        before = self.noted.get(id(obj))
        merged = kind if before is None else _merge(before[1], kind)
        if merged is None:
            del self.noted[id(obj)]  # created and deleted by one write: nothing happened
        else:
            self.noted[id(obj)] = (obj, merged)


def _merge(before: str, after: str) -> str | None:
    if after == "deleted":
        return None if before == "created" else "deleted"
    # A create, a payment or a cancellation says more than the edits that came with it.
    return before if before in ("created", "paid", "cancelled") else after


def note_updated(session: AsyncSession, model: type[Any], ids: Sequence[str]) -> None:
    """Rows of an entity that a bulk UPDATE changed, which no flush sees."""
    recording: Recording | None = session.info.get(_RECORDING)
    if recording is not None and model in SHAPES:
        recording.updated_rows.update(dict.fromkeys((model, id_) for id_ in ids))


def expect_recorded_writes(session: AsyncSession) -> None:
    """This session serves a request: its writes go through `recorded()`."""
    session.info[_REQUEST] = True


def _updated_kind(obj: Any) -> str:
    if isinstance(obj, Invoice):
        added = inspect(obj).attrs.status.history.added
        if added and added[-1] in _STATUS_KINDS:
            return _STATUS_KINDS[added[-1]]
    return "updated"


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    changes = [(obj, "created") for obj in session.new if type(obj) in SHAPES]
    changes += [
        (obj, _updated_kind(obj))
        for obj in session.dirty
        if type(obj) in SHAPES and session.is_modified(obj, include_collections=False)
    ]
    changes += [(obj, "deleted") for obj in session.deleted if type(obj) in SHAPES]
    if not changes:
        return
    recording: Recording | None = session.info.get(_RECORDING)
    if recording is None:
        if session.info.get(_REQUEST):
            raise RuntimeError("a request writes through RequestContext.writing(), never around it")
        return  # operator tooling and test set-up write history, not API changes
    for obj, kind in changes:
        recording.note(obj, kind)


@asynccontextmanager
async def recorded(
    session: AsyncSession, *, clinic_id: str, actor: str
) -> AsyncIterator[Recording]:
    """Inside a write transaction: the write's events, appended when its body is done."""
    recording = Recording()
    session.info[_RECORDING] = recording
    try:
        yield recording
        await session.flush()
        changed = list(recording.noted.values())
        written = {(type(obj), obj.id) for obj, _kind in changed}
        for model, id_ in recording.updated_rows:
            if (model, id_) not in written:
                changed.append((await session.get(model, id_, populate_existing=True), "updated"))
        rows = [_row(obj, kind, actor) for obj, kind in changed]
        # Everything above read what is in memory; the counter is the last thing taken.
        for row in rows:
            await _append(session, clinic_id, row)
        recording.appended = len(rows)
    finally:
        del session.info[_RECORDING]


def _row(obj: Any, kind: str, actor: str) -> dict[str, Any]:
    entity, shape = SHAPES[type(obj)]
    return {
        "type": f"{entity}.{kind}",
        "entity": entity,
        "entity_id": obj.id,
        "occurred_at": utc_now(),
        "actor": actor,
        "data": {"id": obj.id} if kind == "deleted" else shape(obj),
    }


async def _append(session: AsyncSession, clinic_id: str, row: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    taken = (
        upsert(ChangeCounter)
        .values(clinic_id=clinic_id, last_seq=1, purged_through=0)
        .on_conflict_do_update(
            index_elements=[ChangeCounter.clinic_id],
            set_={"last_seq": ChangeCounter.last_seq + 1},
        )
        .returning(ChangeCounter.last_seq)
    )
    if dialect != "postgresql":
        # SQLite's writers hold the database from BEGIN IMMEDIATE: two statements cost no order.
        seq = (await session.execute(taken)).scalar_one()
        await session.execute(insert(_EVENTS).values(clinic_id=clinic_id, seq=seq, **row))
        return
    # One round trip under the counter's lock: take the number and insert the event.
    numbered = taken.cte("taken")
    values = [literal(row[name], _EVENTS.c[name].type) for name in row]
    insert_event = insert(_EVENTS).from_select(
        ["clinic_id", "seq", *row],
        select(literal(clinic_id), numbered.c.last_seq, *values).select_from(numbered),
    )
    await session.execute(insert_event)


# Delivery workers of this process wait on these: a committed write wakes them at
# once (other instances find it at their next poll).
_listeners: set[asyncio.Event] = set()


def announce() -> None:
    for listener in _listeners:
        listener.set()


@contextmanager
def announcements() -> Iterator[asyncio.Event]:
    listener = asyncio.Event()
    _listeners.add(listener)
    try:
        yield listener
    finally:
        _listeners.discard(listener)
