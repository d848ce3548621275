"""The one place clinic tenancy is applied.

A request's session carries its clinic in `session.info`. Every ORM statement
on a clinic-owned table gets the clinic filter added here, and every new
clinic-owned row is stamped with the clinic here; routes and resolvers never
write the filter themselves. A session with neither a clinic nor an explicit
`unscoped` flag (operator tooling) refuses to touch clinic-owned tables at all.
"""

from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, String, bindparam, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria

from app.models import ClinicOwned

CLINIC_KEY = "clinic_id"
UNSCOPED_KEY = "unscoped"
# The bind parameter naming the clinic in statements run past the ORM's filter.
CLINIC_PARAMETER = "clinic_id"


class ClinicScoped:
    """Rows of one clinic that are not entities (no cuid, no timestamps): the change
    log and its counter, webhook deliveries. Filtered and stamped as ClinicOwned is."""

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))


_SCOPED = (ClinicOwned, ClinicScoped)


def bind_clinic(session: AsyncSession, clinic_id: str) -> None:
    session.info.pop(UNSCOPED_KEY, None)
    session.info[CLINIC_KEY] = clinic_id


def mark_unscoped(session: AsyncSession) -> None:
    """For reads across clinics: operator tooling, and resolving a key to its clinic."""
    session.info.pop(CLINIC_KEY, None)
    session.info[UNSCOPED_KEY] = True


def is_clinic_owned(model: type[Any]) -> bool:
    return isinstance(model, type) and issubclass(model, _SCOPED)


def clinic_predicate(model: type[Any], clinic_id: Any) -> ColumnElement[bool]:
    """What keeps a read of a clinic-owned `model` to one clinic.

    The ORM filter below and the compiled reads (app.compiled_reads) both take
    it from here; `clinic_id` is a value or a bind parameter. (Under
    with_loader_criteria `model` is SQLAlchemy's stand-in for each class.)
    """
    predicate: ColumnElement[bool] = model.clinic_id == clinic_id
    return predicate


def clinic_conditions(session: AsyncSession, model: type[Any]) -> list[ColumnElement[bool]]:
    """What a statement run past the ORM's filter (app.compiled_reads) says to keep to
    the session's clinic: the predicate, whose parameter is bound by its name when the
    statement runs (`clinic_parameters`: app.compiled_reads on the raw driver, the
    hook below through the ORM); nothing for an unscoped session.

    Made once per model: building it was a tenth of a small request. A statement
    run without the parameter fails; it never reads without the predicate.
    """
    if clinic_of(session) is None:
        return []
    predicate = _PREDICATES.get(model)
    if predicate is None:
        predicate = _PREDICATES[model] = clinic_predicate(
            model, bindparam(CLINIC_PARAMETER, type_=String)
        )
    return [predicate]


_PREDICATES: dict[type[Any], ColumnElement[bool]] = {}


def clinic_parameters(session: Session | AsyncSession) -> dict[str, str]:
    """The value of clinic_conditions' parameter for a statement the session runs."""
    clinic_id = clinic_of(session)
    return {} if clinic_id is None else {CLINIC_PARAMETER: clinic_id}


def clinic_of(session: Session | AsyncSession) -> str | None:
    """The session's clinic; None for an unscoped session (operator tooling)."""
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
    if state.is_select and isinstance(state.parameters, dict | None):
        # clinic_conditions' parameter, in a read run through the ORM: the
        # session's clinic, whatever the caller passed under its name. (Not in
        # a write: there a parameter named as a column is a value to set.)
        state.parameters = {**(state.parameters or {}), **clinic_parameters(state.session)}
    state.statement = state.statement.options(
        *(
            with_loader_criteria(
                scoped,
                lambda cls: clinic_predicate(cls, clinic_id),
                include_aliases=True,
            )
            for scoped in _SCOPED
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_clinic(session: Session, _context: Any, _instances: Any) -> None:
    new_rows = [obj for obj in session.new if isinstance(obj, _SCOPED)]
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
