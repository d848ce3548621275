from typing import Annotated

from fastapi import APIRouter, Query

from app import models
from app.domain import invoices
from app.models import InvoiceStatus
from app.pagination import DEFAULT_PAGE_SIZE
from rest_compat import shapes
from rest_compat.auth import InvoicesRead
from rest_compat.params import Limit, Offset, page, text_param

router = APIRouter(tags=["Invoices"])


@router.get(
    "/invoices", summary="List invoices, newest first", response_model=shapes.ListOf[shapes.Invoice]
)
async def list_invoices(
    ctx: InvoicesRead,
    status: Annotated[InvoiceStatus | None, Query(description="PAID, UNPAID, CANCELLED")] = None,
    ownerId: Annotated[str | None, text_param("ownerId", "Filter by owner")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> shapes.ListOf[shapes.Invoice]:
    found = await invoices.list_invoices(
        ctx, status=status, owner_id=ownerId, page=page(limit, offset)
    )
    items = await ctx.loaders.children(models.Invoice.items).load_many([i.id for i in found.items])
    data = [
        shapes.Invoice.with_items(i, lines) for i, lines in zip(found.items, items, strict=True)
    ]
    return await shapes.ListOf[shapes.Invoice].of(found, data, limit=limit, offset=offset)  # type: ignore[no-any-return]


@router.get("/invoices/{id}", summary="Get an invoice")
async def get_invoice(ctx: InvoicesRead, id: str) -> shapes.Invoice:
    invoice = await invoices.get_invoice(ctx, id)
    items = await ctx.loaders.children(models.Invoice.items).load(invoice.id)
    return shapes.Invoice.with_items(invoice, items)
