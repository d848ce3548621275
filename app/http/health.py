import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.errors import NotFound, ServiceUnavailable, Unauthorized
from app.http.dependencies import database, rate_limiter
from app.observability import metrics_exposition

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
        {"status": "ready", "database": "ok", "rateLimits": await rate_limiter(request).readiness()}
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    settings = database(request).settings
    if not settings.metrics_enabled:
        raise NotFound("Route not found")
    if settings.metrics_token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        # Header bytes are the caller's: compared as bytes, any of them is just a wrong token.
        if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
            raise Unauthorized("Metrics need the metrics token")
    return Response(metrics_exposition(), media_type=CONTENT_TYPE_LATEST)
