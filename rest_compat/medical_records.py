from typing import Annotated

from fastapi import APIRouter, Query

from app.domain import medical_records
from app.pagination import DEFAULT_PAGE_SIZE
from rest_compat import shapes
from rest_compat.auth import RecordsRead
from rest_compat.params import Limit, Offset, page

router = APIRouter(tags=["Medical records"])
DATE = "An ISO date (the whole day) or timestamp, inclusive"


@router.get(
    "/medical-records",
    summary="List medical records, newest first",
    response_model=shapes.ListOf[shapes.MedicalRecord],
)
async def list_medical_records(
    ctx: RecordsRead,
    petId: Annotated[str | None, Query(max_length=100, description="Filter by pet ID")] = None,
    startDate: Annotated[str | None, Query(max_length=40, description=DATE)] = None,
    endDate: Annotated[str | None, Query(max_length=40, description=DATE)] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> shapes.ListOf[shapes.MedicalRecord]:
    found = await medical_records.list_medical_records(
        ctx, pet_id=petId, start_date=startDate, end_date=endDate, page=page(limit, offset)
    )
    data = [shapes.MedicalRecord.from_row(r) for r in found.items]
    return await shapes.ListOf[shapes.MedicalRecord].of(found, data, limit=limit, offset=offset)  # type: ignore[no-any-return]


@router.get("/medical-records/{id}", summary="Get a medical record")
async def get_medical_record(ctx: RecordsRead, id: str) -> shapes.MedicalRecord:
    return shapes.MedicalRecord.from_row(await medical_records.get_medical_record(ctx, id))
