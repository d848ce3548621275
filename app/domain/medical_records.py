from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, select

from app.context import RequestContext
from app.domain._lookup import existing, read, referenced
from app.errors import Invalid
from app.inputs import MedicalRecordInput, MedicalRecordPatch, patch_values
from app.last_visit import refresh_last_visit
from app.models import Invoice, MedicalRecord, Pet
from app.pagination import FIRST_PAGE, Page, PageRequest, SortKey, paginate
from app.rows import MedicalRecordRow
from app.timestamps import parse_timestamp

ORDER = SortKey(MedicalRecord.date, MedicalRecord.id, descending=True)


async def get_medical_record(ctx: RequestContext, record_id: str) -> MedicalRecordRow:
    return await read(ctx, MedicalRecord, record_id, "Medical record")


def _bound(text: str, field: str, *, end: bool) -> datetime:
    try:
        moment = parse_timestamp(text)
    except ValueError as error:
        raise Invalid(f"{field} is not an accepted date", details={field: str(error)}) from None
    if end and len(text.strip()) == 10:
        # A bare end date includes that whole day (to the millisecond we store).
        moment += timedelta(days=1, milliseconds=-1)
    return moment


async def list_medical_records(
    ctx: RequestContext,
    *,
    pet_id: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    page: PageRequest = FIRST_PAGE,
) -> Page[MedicalRecordRow]:
    where: list[ColumnElement[bool]] = []
    if pet_id is not None:
        where.append(MedicalRecord.pet_id == pet_id)
    if start_date:
        where.append(MedicalRecord.date >= _bound(start_date, "startDate", end=False))
    if end_date:
        where.append(MedicalRecord.date <= _bound(end_date, "endDate", end=True))
    return await paginate(ctx.session, MedicalRecord, where=where, key=ORDER, page=page)


async def create_medical_record(ctx: RequestContext, data: MedicalRecordInput) -> MedicalRecord:
    async with ctx.writing():
        pet = await referenced(ctx.session, Pet, data.pet_id, "petId")
        record = MedicalRecord(**data.model_dump(), created_by_id=ctx.principal.actor_id)
        ctx.session.add(record)
        await ctx.session.flush()
        await refresh_last_visit(ctx.session, {pet.owner_id})
    return record


async def update_medical_record(
    ctx: RequestContext, record_id: str, patch: MedicalRecordPatch
) -> MedicalRecord:
    values = patch_values(patch)
    moving = "pet_id" in values
    async with ctx.writing():
        # A move locks the record, so an invoice being created for it is either
        # committed first and seen below, or waits and validates the moved record.
        record = await existing(
            ctx.session, MedicalRecord, record_id, "Medical record", lock=moving
        )
        owners = {(await existing(ctx.session, Pet, record.pet_id, "Pet")).owner_id}
        if moving and values["pet_id"] != record.pet_id:
            owners.add((await referenced(ctx.session, Pet, values["pet_id"], "petId")).owner_id)
            await _refuse_moving_billed(ctx, record.id)
        for name, value in values.items():
            setattr(record, name, value)
        await ctx.session.flush()
        await refresh_last_visit(ctx.session, owners)
    return record


async def _refuse_moving_billed(ctx: RequestContext, record_id: str) -> None:
    # Invoices keep the pet that was billed (contract, "History"); a record moved
    # from under them would pair an invoice with a record of another pet.
    if await ctx.session.scalar(select(exists().where(Invoice.medical_record_id == record_id))):
        reason = "the record has invoices, which keep the pet that was billed"
        raise Invalid(
            "A medical record with invoices cannot move to another pet", details={"petId": reason}
        )
