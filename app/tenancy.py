"""The one place clinic tenancy is applied.

A request's session carries its clinic in `session.info`. Every ORM statement
on a clinic-owned table gets the clinic filter added here, and every new
clinic-owned row is stamped with the clinic here; routes and resolvers never
write the filter themselves. A session with neither a clinic nor an explicit
`unscoped` flag (operator tooling) refuses to touch clinic-owned tables at all.
"""

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.models import ClinicOwned

CLINIC_KEY = "clinic_id"
UNSCOPED_KEY = "unscoped"


def bind_clinic(session: AsyncSession, clinic_id: str) -> None:
    session.info.pop(UNSCOPED_KEY, None)
    session.info[CLINIC_KEY] = clinic_id


def mark_unscoped(session: AsyncSession) -> None:
    """For reads across clinics: operator tooling, and resolving a key to its clinic."""
    session.info.pop(CLINIC_KEY, None)
    session.info[UNSCOPED_KEY] = True


def clinic_of(session: Session | AsyncSession) -> str | None:
    """The session's clinic; None for an unscoped one."""
    clinic_id = session.info.get(CLINIC_KEY)
    if clinic_id is None and not session.info.get(UNSCOPED_KEY):
        raise RuntimeError("session has no clinic: bind_clinic() or mark_unscoped() first")
    return clinic_id


@event.listens_for(Session, "do_orm_execute")
def _filter_by_clinic(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    clinic_id = clinic_of(state.session)
    if clinic_id is None:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            ClinicOwned,
            lambda cls: cls.clinic_id == clinic_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_clinic(session: Session, _context: Any, _instances: Any) -> None:
    new_rows = [obj for obj in session.new if isinstance(obj, ClinicOwned)]
    if not new_rows:
        return
    clinic_id = clinic_of(session)
    for obj in new_rows:
        if clinic_id is None:
            if obj.clinic_id is None:
                raise RuntimeError("an unscoped session must name the clinic of new rows")
        elif obj.clinic_id is None:
            obj.clinic_id = clinic_id
        elif obj.clinic_id != clinic_id:
            raise RuntimeError("a row cannot be written into another clinic")
