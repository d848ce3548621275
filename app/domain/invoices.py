from decimal import Decimal

from sqlalchemy import ColumnElement

from app.context import RequestContext
from app.domain._lookup import existing, read, referenced
from app.errors import Invalid, ServiceUnavailable
from app.inputs import InvoiceInput
from app.invoice_numbers import CounterBusy, number_invoice, unnumbered
from app.models import Invoice, InvoiceItem, InvoiceStatus, MedicalRecord, Owner, Pet
from app.pagination import FIRST_PAGE, Page, PageRequest, SortKey, paginate
from app.rows import InvoiceRow
from app.timestamps import utc_now

ORDER = SortKey(Invoice.created_at, Invoice.id, descending=True)
# A create whose turn at the counter outlasted the command timeout queues again
# (app.invoice_numbers): a queue of writers is load, answered 503 only past this.
NUMBERING_ATTEMPTS = 3


async def get_invoice(ctx: RequestContext, invoice_id: str) -> InvoiceRow:
    return await read(ctx, Invoice, invoice_id, "Invoice")


async def list_invoices(
    ctx: RequestContext,
    *,
    status: InvoiceStatus | None = None,
    owner_id: str | None = None,
    page: PageRequest = FIRST_PAGE,
) -> Page[InvoiceRow]:
    where: list[ColumnElement[bool]] = []
    if status is not None:
        where.append(Invoice.status == status)
    if owner_id is not None:
        where.append(Invoice.owner_id == owner_id)
    return await paginate(ctx.session, Invoice, where=where, key=ORDER, page=page)


def _mismatch(field: str, reason: str) -> Invalid:
    return Invalid(f"{field} {reason}", details={field: reason})


async def create_invoice(ctx: RequestContext, data: InvoiceInput) -> Invoice:
    attempts = NUMBERING_ATTEMPTS
    while True:
        try:
            return await _create_invoice(ctx, data)
        except CounterBusy:
            attempts -= 1
            if not attempts:
                raise ServiceUnavailable("Invoice numbering is busy, retry shortly") from None


async def _create_invoice(ctx: RequestContext, data: InvoiceInput) -> Invoice:
    async with ctx.writing() as session:
        await referenced(session, Owner, data.owner_id, "ownerId")
        pet_id = data.pet_id
        if data.medical_record_id is not None:
            # Locked until commit: the record cannot move to another pet meanwhile
            # (app.domain.medical_records), or this pairing would not hold.
            record = await referenced(
                session, MedicalRecord, data.medical_record_id, "medicalRecordId", key_share=True
            )
            if pet_id is not None and record.pet_id != pet_id:
                raise _mismatch("medicalRecordId", "is not a record of petId")
            pet_id = record.pet_id
        if pet_id is not None:
            pet = await referenced(session, Pet, pet_id, "petId")
            if pet.owner_id != data.owner_id:
                raise _mismatch("petId", "is not a pet of ownerId")
        items = [
            InvoiceItem(position=i, name=item.name, price=item.price, quantity=item.quantity)
            for i, item in enumerate(data.items)
        ]
        invoice = Invoice(
            invoice_number=unnumbered(),
            owner_id=data.owner_id,
            pet_id=pet_id,
            medical_record_id=data.medical_record_id,
            total_amount=sum((i.price * i.quantity for i in items), start=Decimal(0)),
            status=InvoiceStatus.UNPAID,
            created_at=utc_now(),
            items=items,
        )
        session.add(invoice)
        await session.flush()
        await number_invoice(session, invoice)
    return invoice


async def _change_status(ctx: RequestContext, invoice_id: str, to: InvoiceStatus) -> Invoice:
    async with ctx.writing():
        invoice = await existing(ctx.session, Invoice, invoice_id, "Invoice", lock=True)
        if invoice.status != InvoiceStatus.UNPAID:
            raise Invalid(
                f"A {invoice.status.value} invoice cannot change status",
                details={"status": f"is {invoice.status.value}; only UNPAID invoices change"},
            )
        invoice.status = to
    return invoice


async def mark_invoice_paid(ctx: RequestContext, invoice_id: str) -> Invoice:
    return await _change_status(ctx, invoice_id, InvoiceStatus.PAID)


async def cancel_invoice(ctx: RequestContext, invoice_id: str) -> Invoice:
    return await _change_status(ctx, invoice_id, InvoiceStatus.CANCELLED)
