from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.dependencies import database, rate_limiter
from app.errors import ServiceUnavailable

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    db = database(request)
    try:
        await db.ping()
    except Exception as error:
        raise ServiceUnavailable("The database is unreachable") from error
    # Rate limits degrade to per-instance counters without Redis; say so, still ready.
    return JSONResponse(
        {"status": "ready", "database": "ok", "rateLimits": rate_limiter(request).mode}
    )
