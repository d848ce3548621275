"""A realistic demo clinic: owners, pets, SOAP records and invoices from one seed.

The same seed on the same UTC day yields the same content (ids aside): the
clinic's pools come from one seeded Faker, each chunk of owners draws from its
own stream (seed and chunk number) in a fixed order, and all dates are offsets
from today's UTC date. Chunks are made, and bound for the driver, in worker
processes while the previous ones are written.

Into a database that holds no owners yet, the seed is one transaction that
builds the tables' secondary indexes once at the end; elsewhere each chunk
commits on its own and the indexes are kept row by row. At 100k owners on
SQLite, that and the workers took the seed from ~120 s to ~56 s here.

Rows are plain dicts written by `app.bulk_insert` rather than mapped objects
flushed by the unit of work, which took over a minute for 10k owners (~300k
rows). Those inserts bypass the tenancy `before_flush` hook, Owner's phone
validator and search text, `app.last_visit` and the clinic counts, so every
row carries its clinic, phone digits, search text and last visit itself, each
insert is counted (`count_inserted`), and they take column
names (`total_amount_cents`, `price_cents`; Money still converts the Decimals).

Names and streets are drawn from pools that the seeded Faker fills once:
a Faker call per owner was a fifth of seeding 100k owners.
"""

import asyncio
import gc
import multiprocessing
import os
import random
import re
from bisect import bisect
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from itertools import accumulate, islice
from typing import TYPE_CHECKING, Any, TypeVar, cast
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import Table, func, make_url, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import demo_catalog as catalog
from app.api_keys import create_key
from app.bulk_insert import PreparedInsert, insert_prepared, prepare_rows
from app.clinic_counts import count_inserted
from app.database import write_transaction
from app.ids import new_id
from app.invoice_numbers import formatted_in_sql, reserve_sequences
from app.models import Clinic, Invoice, InvoiceItem, InvoiceStatus, MedicalRecord, Owner, Pet
from app.scopes import ALL_SCOPES
from app.search_text import owner_search_text
from app.tenancy import bind_clinic, mark_unscoped

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

Row = dict[str, Any]
T = TypeVar("T")

# Big enough to amortise a commit, small enough to keep memory flat (~70k rows)
# and the write lock short for anyone else writing to the database meanwhile.
CHUNK_OWNERS = 2000
# A fresh database's load on SQLite: its page cache, in KiB (negative: a size, not pages).
BULK_CACHE_KIB = -256 * 1024
# Processes making chunks: past a few, the one writer is the bottleneck.
MAX_WORKERS = 4
# Drawn once from the seeded Faker: about as many names as its en_US lists hold,
# and the streets of a town and its neighbours.
NAME_POOL = 1000
STREET_POOL = 400
HISTORY_DAYS = 4 * 365
INVOICE_CHANCE = 0.57  # per record; with pet-only sales this is ~0.6 invoices per record
PET_ONLY_CHANCE = 0.15
STATUSES = (InvoiceStatus.PAID, InvoiceStatus.UNPAID, InvoiceStatus.CANCELLED)
STATUS_WEIGHTS = (70, 22, 8)
PHONE_FORMATS = ("+1-{a}-555-{n}", "({a}) 555-{n}", "{a}-555-{n}", "{a}.555.{n}", "+1 {a} 555 {n}")
PHONE_WEIGHTS = (35, 30, 20, 10, 5)
# What a chunk writes, parents first (foreign keys are checked per statement).
SEEDED = (Owner, Pet, MedicalRecord, Invoice, InvoiceItem)
OWNERS = cast(Table, Owner.__table__)


@dataclass(frozen=True)
class SeedResult:
    clinic_id: str
    api_key: str  # the secret of a full-scope key, shown once
    owners: int
    pets: int
    records: int
    invoices: int


@dataclass
class _Batch:
    owners: list[Row] = field(default_factory=list)
    pets: list[Row] = field(default_factory=list)
    records: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)

    def inserts(self) -> Iterator[tuple[Table, list[Row]]]:
        """One executemany per table and column set, parents first.

        Records leave out the lab panels they lack: a None would be stored as
        JSON `null` rather than SQL NULL, and executemany needs equal keys.
        """
        levels = (self.owners, self.pets, self.records, self.invoices, self.items)
        for model, rows in zip(SEEDED, levels, strict=True):
            shapes: dict[tuple[str, ...], list[Row]] = {}
            for row in rows:
                shapes.setdefault(tuple(row), []).append(row)
            for _, group in sorted(shapes.items()):
                yield cast(Table, model.__table__), group


class _Draws(random.Random):
    """`random.Random` with its integer and pick methods on one `random()` each.

    The stock ones reject and redraw bits for exact uniformity, and were a third
    of making a chunk; the bias of scaling a 53-bit float is below anything a
    demo shows. Same seed, same draws, as before.
    """

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + step * int(self.random() * ((stop - start) // step))

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: "SupportsLenAndGetItem[T]") -> T:
        return seq[int(self.random() * len(seq))]

    def choices(
        self,
        population: "SupportsLenAndGetItem[T]",
        weights: Sequence[float | Fraction] | None = None,
        *,
        cum_weights: Sequence[float | Fraction] | None = None,
        k: int = 1,
    ) -> list[T]:
        if cum_weights is None:
            cum_weights = list(accumulate(weights)) if weights is not None else None
        if cum_weights is None:
            return [self.choice(population) for _ in range(k)]
        total = cum_weights[-1]
        return [population[bisect(cum_weights, self.random() * total)] for _ in range(k)]


class _Clock:
    """Visit times inside the clinic's local opening hours, stored as UTC."""

    def __init__(self, zone: ZoneInfo, today: date) -> None:
        self.zone = zone
        # Two days back: a visit at closing time plus its invoice stays before
        # today's UTC midnight in every US zone, so nothing lands in the future.
        self.last_day = today - timedelta(days=2)
        self.first_day = self.last_day - timedelta(days=HISTORY_DAYS)

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def open_day(self, rng: _Draws, start: date) -> date:
        """A day from `start` to the last day, weighted by opening hours."""
        for _ in range(8):
            day = date.fromordinal(rng.randint(start.toordinal(), self.last_day.toordinal()))
            if day.weekday() < 5 or (day.weekday() == 5 and rng.random() < 0.4):
                return day
        return start  # only for spans of a few days, where `start` is itself a visit day

    def visit(self, rng: _Draws, day: date, not_before: datetime | None = None) -> datetime:
        if day.weekday() == 6:  # closed on Sundays; only the fallback above lands here
            day -= timedelta(days=1)
        opens, closes = (9, 13) if day.weekday() == 5 else (8, 18)
        # The last slot stays free so that a visit bumped past `not_before` is still in hours.
        slot = rng.randrange((closes - opens) * 4 - 1)
        at = datetime.combine(day, time(opens), self.zone) + timedelta(minutes=15 * slot)
        if not_before is not None and at <= not_before:
            at = not_before + timedelta(minutes=15)
        return at.astimezone(UTC)


class _DemoClinic:
    def __init__(self, seed: int, today: date) -> None:
        self.seed = seed
        self.rng = _Draws(seed)
        self.fake: Any = Faker("en_US")
        self.fake.seed_instance(seed)
        self.today = today
        self.state, zone, self.area_codes = self.rng.choice(catalog.CLINIC_LOCATIONS)
        self.clock = _Clock(ZoneInfo(zone), today)
        self.city = str(self.fake.city())
        # Most clients live in the clinic's town, the rest in a few neighbouring ones.
        self.towns = [self.city] * 6 + [str(self.fake.city()) for _ in range(4)]
        self.zips = {t: str(self.fake.zipcode_in_state(self.state)) for t in self.towns}
        self.vets = [f"auth0|{self.rng.randrange(10**5, 10**6)}" for _ in range(4)]
        # Cumulative weights, computed once: `choices` would otherwise redo it per call.
        self.species_weights = list(accumulate(s.share for s in catalog.SPECIES))
        self.breed_weights = {
            s.name: list(accumulate(b.share for b in s.breeds)) for s in catalog.SPECIES
        }
        self.cases = {
            s.name: [c for c in catalog.CASES if s.name in c.species] for s in catalog.SPECIES
        }
        self.case_weights = {
            name: list(accumulate(c.share for c in cases)) for name, cases in self.cases.items()
        }
        self.female_names = [str(self.fake.first_name_female()) for _ in range(NAME_POOL)]
        self.male_names = [str(self.fake.first_name_male()) for _ in range(NAME_POOL)]
        self.last_names = [str(self.fake.last_name()) for _ in range(NAME_POOL)]
        self.streets = [str(self.fake.street_name()) for _ in range(STREET_POOL)]
        self.clinic_id = self.key_actor = ""  # known once the clinic is written
        self.start_chunk(0)

    def start_chunk(self, index: int) -> None:
        """Chunks draw from their own stream, so worker processes can make them
        in any order and the clinic is still the same for the same seed."""
        self.rng = _Draws(f"{self.seed}/{index}")
        self.chunk = index
        self.drafts = 0
        # Invoices per UTC year, which numbers them (`_number_invoices`).
        self.invoice_years: Counter[int] = Counter()

    def clinic_name(self) -> str:
        return self.rng.choice(catalog.CLINIC_NAME_PATTERNS).format(
            city=self.city,
            last=self.fake.last_name(),
            last2=self.fake.last_name(),
            grove=self.rng.choice(catalog.GROVES),
        )

    def batch(self, count: int) -> _Batch:
        batch = _Batch()
        for _ in range(count):
            self._owner(batch)
        return batch

    def _row(self, at: datetime, **fields: Any) -> Row:
        return {
            "id": new_id(), "clinic_id": self.clinic_id, "created_at": at, "updated_at": at,
            **fields,
        }  # fmt: skip

    def _owner(self, batch: _Batch) -> None:
        rng = self.rng
        names = self.female_names if rng.random() < 0.55 else self.male_names
        first = rng.choice(names)
        middle = rng.choice(names) if rng.random() < 0.15 else None
        last = rng.choice(self.last_names)
        town = rng.choice(self.towns)
        phone = self._phone()
        street = f"{rng.randrange(1, 10 ** rng.randint(3, 5))} {rng.choice(self.streets)}"
        if rng.random() < 0.5:  # as Faker's en_US street addresses: half with a unit
            street += f" {rng.choice(('Apt.', 'Suite'))} {rng.randrange(100, 1000)}"
        owner = self._row(
            self.clock.visit(rng, self.clock.open_day(rng, self.clock.first_day)),
            first_name=first,
            middle_name=middle,
            last_name=last,
            email=self._email(first, last) if rng.random() < 0.96 else None,
            phone=phone,
            # Mirrors Owner's phone validator, which Core inserts do not run.
            phone_digits=re.sub(r"\D", "", phone),
            address=f"{street}, {town}, {self.state} {self.zips[town]}",
        )
        # Mirrors Owner's search text, which Core inserts do not keep either.
        owner["search_text"] = owner_search_text(first, last, owner["email"])
        batch.owners.append(owner)
        registered: datetime = owner["created_at"]
        first_record = len(batch.records)
        for index in range(rng.choices((1, 2, 3, 4), weights=(30, 30, 22, 18))[0]):
            joined = registered
            if index and rng.random() < 0.4:  # later pets often join years afterwards
                day = self.clock.open_day(rng, self.clock.local_day(registered))
                joined = self.clock.visit(rng, day, registered)
            self._pet(batch, owner["id"], joined)
        # What `app.last_visit` would store: every pet has at least one record.
        owner["last_visit"] = max(record["date"] for record in batch.records[first_record:])

    def _email(self, first: str, last: str) -> str:
        rng = self.rng
        first, last = re.sub(r"[^a-z]", "", first.lower()), re.sub(r"[^a-z]", "", last.lower())
        local = rng.choice(
            (f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}", f"{last}.{first}",
             f"{first}{last}{rng.randrange(1, 100)}")
        )  # fmt: skip
        # Made unique across the clinic where the chunks meet (`_unique_emails`).
        return f"{local}@{rng.choice(catalog.EMAIL_DOMAINS)}"

    def _phone(self) -> str:
        pattern = self.rng.choices(PHONE_FORMATS, weights=PHONE_WEIGHTS)[0]
        return pattern.format(
            a=self.rng.choice(self.area_codes), n=f"{self.rng.randrange(10_000):04d}"
        )

    def _pet(self, batch: _Batch, owner_id: str, joined: datetime) -> None:
        rng = self.rng
        species = rng.choices(catalog.SPECIES, cum_weights=self.species_weights)[0]
        breed = rng.choices(species.breeds, cum_weights=self.breed_weights[species.name])[0]
        # Young at registration, and never older today than the species lives.
        first_day = self.clock.local_day(joined)
        oldest = max(0.3, species.max_age_years - (self.today - first_day).days / 365.25)
        age = rng.triangular(0.15, oldest, min(oldest, 1.0))
        birthdate = first_day - timedelta(days=round(age * 365.25))
        age_now = (self.today - birthdate).days / 365.25
        growth = min(1.0, 0.35 + 0.65 * age_now)  # juveniles are lighter than the breed
        weight = max(0.1, round(rng.uniform(*breed.kg) * growth, 1))
        pet = self._row(
            joined,
            name=rng.choice(catalog.PET_NAMES),
            species=species.name,
            species_key=species.name.lower(),
            breed=breed.name,
            birthdate=birthdate,
            weight=weight,
            neutered=age_now > 0.5 and rng.random() < species.neuter_rate,
            owner_id=owner_id,
        )
        batch.pets.append(pet)
        # Visits accrue with time as a client, so each year's volume follows the client base.
        tenure = (self.clock.last_day - first_day).days
        regular = 0.1 + 0.9 * tenure / HISTORY_DAYS
        visits = max(1, min(sum(rng.random() < regular for _ in range(8)), 1 + tenure // 30))
        days = sorted(self.clock.open_day(rng, first_day) for _ in range(visits))
        if rng.random() < 0.6:
            days[0] = first_day  # a first visit on the day of registration
        for day in days:
            at = self.clock.visit(rng, day, joined)
            case = self._case(species, (day - birthdate).days / 365.25)
            record = self._record(pet, species, case, at, weight)
            batch.records.append(record)
            if rng.random() < INVOICE_CHANCE:
                billed = at + timedelta(minutes=rng.randint(20, 90))
                items = self._visit_items(case, record)
                self._invoice(batch, owner_id, pet["id"], record["id"], billed, items)
        if rng.random() < PET_ONLY_CHANCE:
            at = self.clock.visit(rng, self.clock.open_day(rng, first_day), joined)
            names = rng.sample(catalog.PET_ONLY_ITEMS[species.name], rng.choice((1, 1, 2)))
            items = [(name, rng.choice((1, 1, 1, 2))) for name in names]
            self._invoice(batch, owner_id, pet["id"], None, at, items)

    def _case(self, species: catalog.Species, age: float) -> catalog.Case:
        cases = self.cases[species.name]
        case = self.rng.choices(cases, cum_weights=self.case_weights[species.name])[0]
        return case if age >= case.min_age_years else cases[0]

    def _record(
        self, pet: Row, species: catalog.Species, case: catalog.Case, at: datetime, kg: float
    ) -> Row:
        rng = self.rng
        diagnosis, treatment, differential = rng.choice(case.outcomes)
        vitals = [f"HR {rng.randrange(*species.heart_rate) // 4 * 4} bpm"]
        if species.temp_c is not None:
            vitals.insert(0, f"T {rng.uniform(*species.temp_c):.1f} °C")
        vitals.append(f"weight {max(0.1, kg * rng.uniform(0.96, 1.03)):.1f} kg")
        subjective = rng.choice(case.subjective).format(name=pet["name"])
        record = self._row(
            at + timedelta(minutes=rng.randint(10, 40)),  # notes are written after the visit
            date=at,
            title=case.title,
            description=f"S: {subjective}\nO: {', '.join(vitals)}. {case.objective}",
            diagnosis=diagnosis,
            treatment=treatment,
            differential_diagnosis=differential,
            pet_id=pet["id"],
            created_by_id=self.key_actor if rng.random() < 0.25 else rng.choice(self.vets),
        )
        if rng.random() < case.blood:
            record["blood_test"] = self._panel(catalog.BLOOD_RANGES[species.lab_group], case.flags)
        if rng.random() < case.urine:
            urine = self._panel(catalog.URINE_RANGES, case.flags)
            for analyte in catalog.URINE_DIPSTICK:
                positive = f"{analyte}+" in case.flags
                grade = rng.choice(("1+", "2+", "3+")) if positive else "Negative"
                urine[analyte] = {"value": grade, "unit": "", "range": "Negative"}
            record["urine_test"] = urine
        return record

    def _visit_items(self, case: catalog.Case, record: Row) -> list[tuple[str, int]]:
        rng = self.rng
        items = [
            (item.name, rng.randint(1, item.most))
            for item in case.items
            if item.chance >= 1 or rng.random() < item.chance
        ]
        # Lab work is billed exactly when the record holds its results.
        if "blood_test" in record:
            items.append((case.blood_item, 1))
        if "urine_test" in record:
            items.append((catalog.URINALYSIS, 1))
        return items

    def _panel(self, ranges: catalog.LabRanges, flags: tuple[str, ...]) -> dict[str, Any]:
        panel: dict[str, Any] = {}
        for analyte, (low, high, unit, places) in ranges.items():
            if f"{analyte}+" in flags:
                value = high * self.rng.uniform(1.15, 1.8)
            elif f"{analyte}-" in flags:
                value = low * self.rng.uniform(0.6, 0.9)
            else:
                value = low + (high - low) * self.rng.uniform(0.1, 0.9)
            shown = round(value, places) if places else round(value)
            panel[analyte] = {"value": shown, "unit": unit, "range": f"{low:g}-{high:g}"}
        return panel

    def _invoice(
        self,
        batch: _Batch,
        owner_id: str,
        pet_id: str,
        record_id: str | None,
        at: datetime,
        items: list[tuple[str, int]],
    ) -> None:
        # A unique placeholder: real numbers are handed out in created_at order at the end.
        self.drafts += 1
        self.invoice_years[at.year] += 1
        invoice = self._row(
            at,
            invoice_number=f"DRAFT-{self.chunk:05d}-{self.drafts:07d}",
            total_amount_cents=sum(
                (catalog.PRICES[name] * quantity for name, quantity in items), Decimal("0.00")
            ),
            status=self.rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0],
            owner_id=owner_id,
            pet_id=pet_id,
            medical_record_id=record_id,
        )
        batch.invoices.append(invoice)
        for position, (name, quantity) in enumerate(items):
            batch.items.append(
                self._row(
                    at,
                    invoice_id=invoice["id"],
                    position=position,
                    name=name,
                    price_cents=catalog.PRICES[name],
                    quantity=quantity,
                )
            )


@dataclass(frozen=True)
class _ChunkSpec:
    """What a worker process needs to make one chunk (it pickles)."""

    seed: int
    today: date
    clinic_id: str
    key_actor: str
    dialect: str  # the database URL's driver name: binds are made for it
    index: int
    owners: int


@dataclass(frozen=True)
class _Chunk:
    # As made: their emails are made unique where the chunks meet, in the parent.
    owners: list[Row]
    inserts: list[PreparedInsert]  # everything else, bound for the driver
    invoice_years: Counter[int]


@lru_cache(maxsize=1)
def _clinic_for(seed: int, today: date, clinic_id: str, key_actor: str) -> _DemoClinic:
    # Once per worker process: the Faker pools are the costly part of a clinic.
    demo = _DemoClinic(seed, today)
    demo.clinic_id, demo.key_actor = clinic_id, key_actor
    return demo


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A chunk is ~70k rows of fresh dicts and lists and no cycles, and the
    collector, woken by every 700 of them, was a tenth of the seed's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_no_cycle_collection()
def _make_chunk(spec: _ChunkSpec) -> _Chunk:
    demo = _clinic_for(spec.seed, spec.today, spec.clinic_id, spec.key_actor)
    demo.start_chunk(spec.index)
    batch = demo.batch(spec.owners)
    dialect = make_url(f"{spec.dialect}://").get_dialect()()
    return _Chunk(
        owners=batch.owners,
        inserts=[
            prepare_rows(dialect, table, rows)
            for table, rows in batch.inserts()
            if table is not OWNERS
        ],
        invoice_years=demo.invoice_years,
    )


async def _made_chunks(specs: list[_ChunkSpec]) -> AsyncIterator[_Chunk]:
    """The chunks in order, made ahead by worker processes while earlier ones
    are written: making a chunk is Python, writing it mostly SQLite's C, so the
    two overlap, and a machine's other cores make chunks too. One chunk is made
    here: starting a worker costs more than it."""
    if len(specs) == 1:
        yield _make_chunk(specs[0])
        return
    workers = min(MAX_WORKERS, os.cpu_count() or 1, len(specs))
    loop = asyncio.get_running_loop()
    # spawn, not fork: the parent holds event-loop and driver threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        ahead: deque[asyncio.Future[_Chunk]] = deque()
        pending = iter(specs)
        for spec in islice(pending, workers + 1):  # bounded: a chunk is ~70k rows
            ahead.append(loop.run_in_executor(pool, _make_chunk, spec))
        while ahead:
            chunk = await ahead.popleft()
            for spec in islice(pending, 1):
                ahead.append(loop.run_in_executor(pool, _make_chunk, spec))
            yield chunk


async def seed_demo_clinic(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    owners: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    demo = _DemoClinic(seed, datetime.now(UTC).date())
    async with sessionmaker() as session:
        mark_unscoped(session)
        dialect = session.get_bind().dialect
        # Nobody's data is in the way, so the indexes can be built once at the
        # end (a sort) instead of kept per row: at 100k owners, random inserts
        # into them rewrote most of their pages at every chunk's commit.
        fresh = await session.scalar(select(Owner.id).limit(1)) is None
        async with write_transaction(session):
            clinic = Clinic(id=new_id(), name=demo.clinic_name())
            session.add(clinic)
            await session.flush()
            created = await create_key(session, clinic_id=clinic.id, name="demo", scopes=ALL_SCOPES)

    specs = [
        _ChunkSpec(
            seed=seed,
            today=demo.today,
            clinic_id=clinic.id,
            key_actor=f"apikey|{created.key.id}",
            dialect=f"{dialect.name}+{dialect.driver}",
            index=index,
            owners=min(CHUNK_OWNERS, owners - start),
        )
        for index, start in enumerate(range(0, owners, CHUNK_OWNERS))
    ]
    written: Counter[str] = Counter()  # rows by table
    invoice_years: Counter[int] = Counter()
    emails: set[str] = set()

    async def insert(session: AsyncSession, chunk: _Chunk) -> None:
        _unique_emails(chunk.owners, emails)
        owners = prepare_rows(dialect, OWNERS, chunk.owners)
        for prepared in (owners, *chunk.inserts):
            await insert_prepared(session, prepared)
            await count_inserted(session, prepared.table, clinic.id, len(prepared.rows))
            written[prepared.table] += len(prepared.rows)
        invoice_years.update(chunk.invoice_years)
        if progress is not None:
            progress(len(chunk.owners))

    # The workers' chunks arrive as as many objects again, unpickled here.
    with _no_cycle_collection():
        async with sessionmaker() as session:
            bind_clinic(session, clinic.id)
            if fresh:
                # One transaction: should the seed fail, none of it stays, and the indexes are back.
                async with write_transaction(session), _bulk_load(session):
                    async for chunk in _made_chunks(specs):
                        await insert(session, chunk)
                    await _number_invoices(session, clinic.id, invoice_years)
            else:
                async for chunk in _made_chunks(specs):
                    # A transaction per chunk keeps others' writes waiting only briefly.
                    async with write_transaction(session):
                        await insert(session, chunk)
                async with write_transaction(session):
                    await _number_invoices(session, clinic.id, invoice_years)
            async with write_transaction(session):
                await _analyze_if_sqlite(session)
    return SeedResult(
        clinic_id=clinic.id,
        api_key=created.secret,
        owners=written[Owner.__tablename__],
        pets=written[Pet.__tablename__],
        records=written[MedicalRecord.__tablename__],
        invoices=written[Invoice.__tablename__],
    )


def _unique_emails(owners: list[Row], taken: set[str]) -> None:
    """Number an email that another owner of the clinic has (`ann.lee2@...`),
    as the chunks arrive in order: a worker cannot know the other chunks'."""
    for owner in owners:
        if (email := owner["email"]) is None:
            continue
        local, _, domain = email.partition("@")
        n = 1
        while email in taken:
            n += 1
            email = f"{local}{n}@{domain}"
        if email != owner["email"]:
            owner["email"] = email
            owner["search_text"] = owner_search_text(owner["first_name"], owner["last_name"], email)
        taken.add(email)


@asynccontextmanager
async def _bulk_load(session: AsyncSession) -> AsyncIterator[None]:
    """In the session's transaction: drop the demo tables' secondary indexes and
    create them again after the block (unique constraints stay: they are
    checks). On SQLite the connection keeps more pages meanwhile: the default
    2 MB makes the numbering's lookups and the index builds read the file again."""
    indexes = [index for model in SEEDED for index in cast(Table, model.__table__).indexes]
    connection = await session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        cache_size = await connection.scalar(text("PRAGMA cache_size"))
        await connection.execute(text(f"PRAGMA cache_size={BULK_CACHE_KIB}"))
    for index in indexes:
        await connection.run_sync(index.drop)
    try:
        yield
        for index in indexes:
            await connection.run_sync(index.create)
    finally:
        if sqlite:
            await connection.execute(text(f"PRAGMA cache_size={int(cache_size)}"))


async def _number_invoices(session: AsyncSession, clinic_id: str, years: Counter[int]) -> None:
    """Swap the placeholders for real numbers, gap-free per year in created_at order.

    Numbering while generating would follow each owner through the years, not
    the calendar; one UPDATE per year ranks the year's invoices in the database
    instead of sending a statement per invoice.
    """
    dialect = session.get_bind().dialect.name
    for year, count in sorted(years.items()):
        sequences = await reserve_sequences(session, clinic_id=clinic_id, year=year, count=count)
        start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        ranked = (
            select(
                Invoice.id,
                func.row_number()
                .over(order_by=(Invoice.created_at, Invoice.invoice_number))
                .label("rank"),
            )
            .where(Invoice.created_at >= start, Invoice.created_at < end)
            .subquery()
        )
        number = formatted_in_sql(dialect, year, ranked.c.rank + (sequences.start - 1))
        await session.execute(
            update(Invoice)
            .where(Invoice.id == ranked.c.id)
            # Restating updated_at keeps the onupdate default from dating it today.
            .values(invoice_number=number, updated_at=Invoice.updated_at)
            .execution_options(synchronize_session=False)
        )


async def _analyze_if_sqlite(session: AsyncSession) -> None:
    """Give SQLite's planner statistics for the demo's shape, as the server will
    query it; sampled (analysis_limit), so it costs a second at 100k owners."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA analysis_limit=1000"))
        await session.execute(text("ANALYZE"))
