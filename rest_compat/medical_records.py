from typing import Annotated, Any

from fastapi import APIRouter

from app.domain import medical_records
from app.pagination import DEFAULT_PAGE_SIZE, Page, Projection
from rest_compat import shapes
from rest_compat.auth import RecordsRead
from rest_compat.params import Limit, Offset, page, text_param

router = APIRouter(tags=["Medical records"])
DATE = "An ISO date (the whole day) or timestamp, inclusive"
_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"


@router.get(
    "/medical-records",
    summary="List medical records, newest first",
    response_model=shapes.ListOf[shapes.MedicalRecord],
)
async def list_medical_records(
    ctx: RecordsRead,
    petId: Annotated[str | None, text_param("petId", "Filter by pet ID")] = None,
    startDate: Annotated[str | None, text_param("startDate", DATE, _DATE_PATTERN)] = None,
    endDate: Annotated[str | None, text_param("endDate", DATE, _DATE_PATTERN)] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    async def read(projection: Projection | None) -> Page[Any]:
        return await medical_records.list_medical_records(
            ctx, pet_id=petId, start_date=startDate, end_date=endDate,
            page=page(limit, offset, projection),
        )  # fmt: skip

    return await shapes.listed(ctx, shapes.MedicalRecord, read, limit=limit, offset=offset)


@router.get("/medical-records/{id}", summary="Get a medical record")
async def get_medical_record(ctx: RecordsRead, id: str) -> shapes.MedicalRecord:
    return shapes.MedicalRecord.from_row(await medical_records.get_medical_record(ctx, id))
