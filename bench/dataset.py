"""A clinic group's worth of benchmark data, generated inside PostgreSQL.

    .venv/bin/python -m bench.dataset --owners 10000 [--database NAME] [--clinics 4]
        [--seed 1] [--verify] [--vacuum] [--json]

The database is dropped and recreated, migrated with `app.migrate.migrate` (the
schema comes from the migrations alone), then filled by one set-based
`INSERT ... SELECT` per table: no row ever passes through Python. 100k owners
(~3.4M rows) take ~45 s on two busy cores, two thirds of it index builds.

Determinism: every "random" value is `hashint8extended(row key, seed + salt)`,
a pure function of the row's key, so the content does not depend on scan or
insertion order (unlike `setseed()` + `random()`). Timestamps are offsets from
an anchor, today's UTC midnight unless `--anchor` names one; the same seed and
anchor give the same rows, API key aside.

Row keys are integers: owner n, pet 4n+k, record 8*pet+j, invoice 2*record
(record-linked) or 2*pet+1 (pet-only), item 4*invoice+position. A child finds
its parent's key in the parent's id, `c<tag><9 hex digits of the key><14 hex
digits of hash>`, so each level is generated from the level above without a join.

Completion: the last step writes a JSON marker as the database's comment (sizes,
seed, anchor, row counts); `bench.datasets` reuses only a database that has it.

Speed: foreign keys, unique and secondary indexes of the filled tables are
dropped before the load and recreated afterwards from the definitions the
migrations produced (`pg_get_constraintdef` / `pg_get_indexdef`), so the final
schema is identical; re-adding the foreign keys also validates every reference.
Each phase runs as one statement per slice of the clinics on `--parallel`
sessions (INSERT ... SELECT is never parallel in PostgreSQL 15); a clinic's
invoices stay in one statement, so their numbering stays gap-free. `OFFSET 0`
fences keep PostgreSQL from inlining a subquery's computed column into every
place that reads it, which would evaluate the hashes several times per row.
"""

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.api_keys import create_key
from app.clinic_counts import ENTITIES
from app.database import Database, write_transaction
from app.migrate import migrate
from app.settings import Settings
from app.tenancy import mark_unscoped

SERVER = "postgres@127.0.0.1:5432"
ADMIN_DATABASE = "test"
# Children before parents: the order foreign keys and constraints are dropped in.
FILLED_TABLES = ("invoice_items", "invoices", "medical_records", "pets", "owners")
DAY_MS = 86_400_000
SLOW_STATEMENT_SECONDS = 1.0
HISTORY_DAYS = 3 * 365
# hashint8extended is a signed 64-bit value; masking keeps `%` non-negative.
POSITIVE = (1 << 62) - 1
HASH_DIGITS = 14  # hex digits of hash after the key: 1 + 1 + 9 + 14 = 25 characters
HASH_MASK = (1 << (4 * HASH_DIGITS)) - 1

# Pools. A value that appears several times is proportionally more likely.
FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella",
    "William", "Mia", "Benjamin", "Charlotte", "Lucas", "Amelia", "Henry", "Harper",
    "Alexander", "Evelyn", "Mason", "Abigail", "Michael", "Emily", "Ethan", "Elizabeth",
    "Daniel", "Sofia", "Jacob", "Avery", "Logan", "Ella", "Jackson", "Scarlett", "Levi",
    "Grace", "Sebastian", "Chloe", "Mateo", "Victoria", "Jack", "Riley", "Owen", "Aria",
    "Theodore", "Lily", "Aiden", "Aurora", "Samuel", "Zoey", "Joseph", "Nora", "John",
    "Hannah", "David", "Maria", "Wyatt", "Laura", "Carlos", "Priya", "Wei",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
    "Roberts", "Kim", "Patel", "Chen", "Schmidt", "Novak", "Okafor", "Silva", "Kowalski",
)  # fmt: skip
EMAIL_DOMAINS = ("gmail.com",) * 5 + ("yahoo.com", "outlook.com", "icloud.com", "example.com")
PHONE_FORMATS = (
    ("+1-{a}-555-{n}",) * 7
    + ("({a}) 555-{n}",) * 6
    + ("{a}-555-{n}",) * 4
    + (
        "{a}.555.{n}",
        "{a}.555.{n}",
        "+1 {a} 555 {n}",
    )
)
STREETS = (
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Willow", "Birch", "Lake", "Hill", "Park",
    "Washington", "Lincoln", "Jefferson", "Madison", "Franklin", "Sunset", "River", "Mill",
)  # fmt: skip
STREET_SUFFIXES = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Blvd")
TOWNS = (
    "Springfield", "Riverton", "Fairview", "Greenville", "Madison", "Georgetown",
    "Clinton", "Salem", "Franklin", "Ashland", "Milton", "Dover",
)  # fmt: skip
STATES = ("OR", "WA", "CO", "TX", "NC", "MN", "VT", "AZ")
CLINIC_NAMES = (
    "Northside Animal Hospital", "Riverside Veterinary Clinic", "Oak Grove Pet Care",
    "Lakeview Animal Clinic", "Cedar Hill Veterinary", "Harbor Pet Hospital",
    "Meadowbrook Animal Care", "Summit Veterinary Center",
)  # fmt: skip
PET_NAMES = (
    "Bella", "Max", "Luna", "Charlie", "Lucy", "Cooper", "Daisy", "Milo", "Bailey", "Buddy",
    "Sadie", "Rocky", "Molly", "Bear", "Stella", "Tucker", "Chloe", "Duke", "Penny", "Leo",
    "Zoe", "Oliver", "Lola", "Jack", "Nala", "Simba", "Coco", "Teddy", "Rosie", "Loki",
    "Ruby", "Finn", "Willow", "Gus", "Pepper", "Oscar", "Maggie", "Winston", "Ginger",
    "Ziggy", "Biscuit", "Mochi", "Pickles", "Noodle", "Kiwi", "Shadow", "Smokey", "Pumpkin",
)  # fmt: skip
# Species share out of 20, with the breeds and weight range (kg) of each.
SPECIES: tuple[tuple[str, int, tuple[str, ...], float, float], ...] = (
    ("Dog", 9, ("Mixed Breed", "Mixed Breed", "Labrador Retriever", "Golden Retriever",
                "German Shepherd", "French Bulldog", "Beagle", "Dachshund", "Poodle",
                "Chihuahua", "Boxer", "Shih Tzu"), 3.0, 45.0),
    ("Cat", 7, ("Domestic Shorthair", "Domestic Shorthair", "Domestic Longhair",
                "Maine Coon", "Siamese", "Ragdoll", "Bengal"), 2.5, 7.5),
    ("Rabbit", 1, ("Holland Lop", "Netherland Dwarf", "Mini Rex", "Lionhead"), 0.8, 3.0),
    ("Bird", 1, ("Cockatiel", "African Grey Parrot", "Sun Conure"), 0.08, 1.2),
    ("Guinea Pig", 1, ("American", "Abyssinian", "Peruvian"), 0.7, 1.2),
    ("Reptile", 1, ("Bearded Dragon", "Leopard Gecko", "Ball Python"), 0.06, 1.8),
)  # fmt: skip
# (title, diagnosis, treatment), kept consistent with each other.
CASES = (
    ("Annual Checkup", "Healthy; no abnormalities detected",
     "Continue current diet and parasite prevention. Recheck in 12 months."),
    ("Vaccination", "Due for core vaccines", "Core vaccines administered; next due in 1 year."),
    ("Dental Cleaning", "Periodontal disease (grade 2)",
     "Scaling and polishing under anaesthesia; home dental care discussed."),
    ("Skin Allergy", "Atopic dermatitis", "Antipruritic medication for 14 days; diet trial."),
    ("Ear Infection", "Otitis externa", "Ear cleaning; topical otic drops twice daily."),
    ("Limping", "Soft tissue sprain", "Rest for 2 weeks; NSAID for 5 days."),
    ("Vomiting", "Acute gastroenteritis", "Bland diet for 3 days; antiemetic given."),
    ("Diarrhea", "Dietary indiscretion", "Probiotic and bland diet; recheck if not improved."),
    ("Follow-up Visit", "Resolving; progressing as expected", "Continue current plan."),
    ("Weight Check", "Overweight (BCS 7/9)", "Weight-management diet; recheck in 3 months."),
    ("Wound Care", "Laceration, superficial", "Wound cleaned and closed; cone for 10 days."),
    ("Senior Wellness", "Early chronic kidney disease", "Renal diet; bloodwork in 3 months."),
)  # fmt: skip
DIFFERENTIALS = (
    "Food allergy", "Foreign body", "Pancreatitis", "Hypothyroidism", "Osteoarthritis",
    "Parasitic infection", "Bacterial infection",
)  # fmt: skip
# (name, price in cents). Services first; pet-only invoices sell from the products.
SERVICES = (
    ("Exam Fee", 6500), ("Vaccine: Rabies", 3200), ("Vaccine: DHPP", 3800),
    ("Bloodwork Panel", 14500), ("Urinalysis", 6000), ("Dental Cleaning", 42000),
    ("Radiographs", 21000), ("Ear Cytology", 4500), ("Wound Repair", 28000),
    ("Fecal Exam", 3500),
)  # fmt: skip
PRODUCTS = (
    ("Flea & Tick Prevention (3 mo)", 5400), ("Heartworm Prevention (6 mo)", 7800),
    ("Prescription Diet (bag)", 8900), ("Antibiotic (14 days)", 3600),
    ("Pain Relief (10 days)", 2900), ("Ear Drops", 2400), ("Dental Chews", 1800),
)  # fmt: skip
ITEMS = SERVICES + PRODUCTS
MAX_ITEMS = 3
# (clinic_id, entity, rows) of every counted entity (app.clinic_counts).
ROWS_PER_CLINIC = " UNION ALL ".join(
    f"SELECT clinic_id, '{entity}', count(*) FROM {entity} GROUP BY clinic_id"
    for entity in ENTITIES.values()
)


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_array(values: Sequence[str]) -> str:
    return "(ARRAY[" + ", ".join(sql_string(v) for v in values) + "])"


def sql_int_array(values: Sequence[int]) -> str:
    return "(ARRAY[" + ", ".join(str(v) for v in values) + "]::bigint[])"


def key_of(id_column: str) -> str:
    """The integer key a generated id carries in its characters 3 to 11."""
    return f"('x' || lpad(substr({id_column}, 3, 9), 16, '0'))::bit(64)::bigint"


# (index, count): the clinics whose number % count == index. Phases run one
# statement per part on parallel sessions; splitting by clinic keeps each
# clinic's invoice numbering inside one statement.
Part = tuple[int, int]


def in_part(clinic_key: str, part: Part) -> str:
    return f"(({clinic_key}) % {part[1]} = {part[0]})"


def ms(amount: str) -> str:
    return f"(({amount}) * INTERVAL '1 millisecond')"


def span_ms(start: str, end: str) -> str:
    return f"(extract(epoch FROM ({end}) - ({start})) * 1000)::bigint"


@dataclass(frozen=True)
class Shape:
    """What to generate; its methods are SQL expression builders over row keys."""

    owners: int
    clinics: int
    seed: int
    anchor: datetime

    def rand(self, key: str, salt: int) -> str:
        """A non-negative pseudo-random bigint of (key, salt, seed)."""
        return f"(hashint8extended({key}, {self.seed * 1_000_003 + salt}) & {POSITIVE})"

    def below(self, key: str, salt: int, bound: int | str) -> str:
        return f"({self.rand(key, salt)} % ({bound}))"

    def pick(self, pool: Sequence[str], key: str, salt: int) -> str:
        return f"{sql_array(pool)}[1 + {self.below(key, salt, len(pool))}]"

    def ident(self, tag: str, key: str) -> str:
        """A unique 25-character cuid-like id: the key makes it unique, the hash cuid-like."""
        assert re.fullmatch(r"[g-z]", tag), "tag must not be a hex digit"
        hashed = f"(hashint8extended({key}, {self.seed * 1_000_003 + ord(tag)}) & {HASH_MASK})"
        return (
            f"('c{tag}' || lpad(to_hex({key}), 9, '0') "
            f"|| lpad(to_hex({hashed}), {HASH_DIGITS}, '0'))"
        )

    @property
    def now(self) -> str:
        return f"TIMESTAMPTZ '{self.anchor.isoformat()}'"

    def before_now(self, days: int) -> str:
        return f"({self.now} - INTERVAL '{days} days')"

    def visits(self, part: Part) -> str:
        """Every medical record as (its pet's columns, record key r, date).

        Shared by the records and the invoices phases, so an invoice is dated
        from exactly its record's date without reading the records back.
        ≈4 records per pet (0 to 8): some owners have no visit at all.
        """
        return f"""
            SELECT pt.id AS pet_id, pt.clinic_id, pt.owner_id, pt.species, v.r,
                   pt.created_at + {
            ms(self.below("v.r", 21, span_ms("pt.created_at", self.before_now(1))))
        } AS date
            FROM (SELECT *, {key_of("id")} AS pk FROM pets
                  WHERE {in_part(key_of("clinic_id"), part)}) pt
            CROSS JOIN LATERAL (
                SELECT pt.pk * 8 + j AS r
                FROM generate_series(0, {self.below("pt.pk", 20, 9)} - 1) j
            ) v
            OFFSET 0"""

    def item_index(self, invoice_key: str, position: int | str) -> str:
        """1-based index into ITEMS: record invoices open with the exam fee, pet-only
        invoices sell products."""
        item_key = f"({invoice_key} * 4 + {position})"
        return f"""(CASE
            WHEN {invoice_key} % 2 = 0 AND {position} = 1 THEN 1
            WHEN {invoice_key} % 2 = 0 THEN 2 + {self.below(item_key, 41, len(ITEMS) - 1)}
            ELSE {len(SERVICES) + 1} + {self.below(item_key, 41, len(PRODUCTS))} END)"""

    def item_price(self, invoice_key: str, position: int | str) -> str:
        # The list price give or take 10%, in whole cents.
        item_key = f"({invoice_key} * 4 + {position})"
        prices = sql_int_array([price for _, price in ITEMS])
        base = f"{prices}[{self.item_index(invoice_key, position)}]"
        return f"({base} * (90 + {self.below(item_key, 44, 21)}) / 100)"

    def item_quantity(self, invoice_key: str, position: int | str) -> str:
        item_key = f"({invoice_key} * 4 + {position})"
        return (
            f"(CASE WHEN {self.below(item_key, 42, 100)} < 80 THEN 1 "
            f"ELSE 2 + {self.below(item_key, 43, 3)} END)"
        )

    def item_count(self, invoice_key: str) -> str:
        return f"(1 + {self.below(invoice_key, 40, MAX_ITEMS)})"

    def invoice_total(self, invoice_key: str) -> str:
        """The sum of the items the items phase will write, computed from the same keys."""
        terms = [
            f"(CASE WHEN {self.item_count(invoice_key)} >= {position} THEN "
            f"{self.item_price(invoice_key, position)}"
            f" * {self.item_quantity(invoice_key, position)} ELSE 0 END)"
            for position in range(1, MAX_ITEMS + 1)
        ]
        return "(" + " + ".join(terms) + ")"

    # ---- One statement per phase -------------------------------------------------

    def clinics_sql(self) -> str:
        opened = self.before_now(HISTORY_DAYS + 60)
        return f"""
        INSERT INTO clinics (id, name, created_at, updated_at)
        SELECT {self.ident("k", "k")},
               {sql_array(CLINIC_NAMES)}[1 + (k - 1) % {len(CLINIC_NAMES)}]
                   || CASE WHEN k > {len(CLINIC_NAMES)} THEN ' ' || k ELSE '' END,
               {opened}, {opened}
        FROM generate_series(1, {self.clinics}) k"""

    def owner_core(self, part: Part) -> str:
        """Owner n's id, clinic and registration time: what pets need, without reading
        owners (they are written last, once last_visit is known)."""
        clinic_no = f"(1 + (n - 1) % {self.clinics})"
        registered = ms(f"{30 * DAY_MS} + {self.below('n', 1, (HISTORY_DAYS - 30) * DAY_MS)}")
        return f"""
            SELECT n, {self.ident("o", "n")} AS id, {self.ident("k", clinic_no)} AS clinic_id,
                   {self.now} - {registered} AS created_at
            FROM generate_series(1, {self.owners}) n
            WHERE {in_part(clinic_no, part)}
            OFFSET 0"""

    def owners_sql(self, part: Part) -> str:
        # last_visit as app.last_visit defines it; the owner was last updated when
        # its last visit was recorded (refresh_last_visit bumps updated_at).
        formats = list(dict.fromkeys(PHONE_FORMATS))
        phone = (
            "CASE p.fmt "
            + " ".join(f"WHEN {i} THEN {self._phone_sql(f)}" for i, f in enumerate(formats))
            + " END"
        )
        format_choice = sql_int_array([formats.index(f) for f in PHONE_FORMATS])
        return f"""
        INSERT INTO owners (id, clinic_id, created_at, updated_at, first_name, middle_name,
                            last_name, email, phone, phone_digits, search_text, address,
                            last_visit)
        SELECT w.id, w.clinic_id, w.created_at, greatest(w.created_at, lv.last_visit),
               w.first_name, w.middle_name, w.last_name, w.email, w.phone,
               regexp_replace(w.phone, '\\D', '', 'g'),
               -- app.search_text.fold, which for these ASCII names is lower()
               lower(w.first_name || ' ' || w.last_name || ' ' || coalesce(w.email, '')),
               w.address, lv.last_visit
        FROM (
            SELECT p.id, p.clinic_id, p.created_at, p.first_name, p.middle_name, p.last_name,
                   CASE WHEN {self.below("p.n", 5, 100)} < 96 THEN
                       lower(p.first_name || '.' || p.last_name) || p.n || '@'
                       || {self.pick(EMAIL_DOMAINS, "p.n", 6)} END AS email,
                   CASE WHEN {self.below("p.n", 7, 100)} < 97 THEN {phone} END AS phone,
                   ({self.below("p.n", 8, 9899)} + 1) || ' ' || {self.pick(STREETS, "p.n", 9)}
                       || ' ' || {self.pick(STREET_SUFFIXES, "p.n", 10)} || ', '
                       || {self.pick(TOWNS, "p.n", 11)} || ', '
                       || {sql_array(STATES)}[1 + (p.n - 1) % {self.clinics} % {len(STATES)}]
                       || ' ' || (97000 + {self.below("p.n", 12, 2000)}) AS address
            FROM (
                SELECT o.*, {self.pick(FIRST_NAMES, "o.n", 2)} AS first_name,
                       CASE WHEN {self.below("o.n", 3, 100)} < 15
                           THEN {self.pick(FIRST_NAMES, "o.n", 4)} END AS middle_name,
                       {self.pick(LAST_NAMES, "o.n", 13)} AS last_name,
                       {format_choice}[1 + {self.below("o.n", 14, len(PHONE_FORMATS))}] AS fmt,
                       (201 + {self.below("o.n", 15, 788)})::text AS area,
                       lpad({self.below("o.n", 16, 10000)}::text, 4, '0') AS line
                FROM ({self.owner_core(part)}) o
                OFFSET 0
            ) p
            OFFSET 0
        ) w
        LEFT JOIN (
            SELECT pt.owner_id, max(m.date) AS last_visit
            FROM medical_records m JOIN pets pt ON pt.id = m.pet_id
            WHERE {in_part(key_of("m.clinic_id"), part)} AND {in_part(key_of("pt.clinic_id"), part)}
            GROUP BY pt.owner_id
        ) lv ON lv.owner_id = w.id
        ORDER BY w.created_at"""

    @staticmethod
    def _phone_sql(pattern: str) -> str:
        parts = re.split(r"(\{a\}|\{n\})", pattern)
        pieces = [
            "p.area" if part == "{a}" else "p.line" if part == "{n}" else sql_string(part)
            for part in parts
            if part
        ]
        return "(" + " || ".join(pieces) + ")"

    def pets_sql(self, part: Part) -> str:
        species_pool = [name for name, share, *_ in SPECIES for _ in range(share)]
        breed_cases = " ".join(
            f"WHEN {sql_string(name)} THEN {self.pick(breeds, 's.p', 34)}"
            for name, _, breeds, _, _ in SPECIES
        )
        weight_cases = " ".join(
            f"WHEN {sql_string(name)} THEN round(({low} + {self.below('s.p', 35, 1000)}"
            f" * {(high - low) / 1000}::numeric), 2)"
            for name, _, _, low, high in SPECIES
        )
        # 1 to 4 pets, 2.5 on average; the first registered with its owner, the
        # others joining later.
        return f"""
        INSERT INTO pets (id, clinic_id, created_at, updated_at, name, species, species_key,
                          breed, birthdate, weight, neutered, owner_id)
        SELECT {self.ident("p", "s.p")}, s.clinic_id, s.created_at, s.created_at,
               {self.pick(PET_NAMES, "s.p", 31)}, s.species, lower(s.species),
               CASE WHEN {self.below("s.p", 33, 100)} < 92 THEN CASE s.species {breed_cases} END
                   END,
               CASE WHEN {self.below("s.p", 36, 100)} < 92 THEN
                   (s.created_at AT TIME ZONE 'UTC')::date
                   - (30 + {self.below("s.p", 37, 15 * 365)})::int END,
               CASE WHEN {self.below("s.p", 38, 100)} < 95 THEN
                   (CASE s.species {weight_cases} END)::float8 END,
               {self.below("s.p", 39, 100)} < 60,
               s.owner_id
        FROM (
            SELECT o.n * 4 + k AS p, o.clinic_id, o.id AS owner_id,
                   {sql_array(species_pool)}[1 + {
            self.below("o.n * 4 + k", 32, len(species_pool))
        }] AS species,
                   o.created_at + CASE WHEN k = 1
                       THEN {ms(self.below("o.n * 4 + k", 30, 3_600_000))}
                       ELSE {
            ms(self.below("o.n * 4 + k", 30, span_ms("o.created_at", self.before_now(2))))
        } END AS created_at
            FROM ({self.owner_core(part)}) o
            CROSS JOIN LATERAL generate_series(1, 1 + {self.below("o.n", 29, 4)}) k
            ORDER BY created_at
        ) s"""

    def records_sql(self, part: Part) -> str:
        case = "s.case_no"
        titles, diagnoses, treatments = zip(*CASES, strict=True)
        blood = (
            "json_build_object("
            f"'wbc', round(5 + {self.below('s.r', 51, 120)} / 10.0, 1), "
            f"'rbc', round(5 + {self.below('s.r', 52, 40)} / 10.0, 1), "
            f"'glucose', 70 + {self.below('s.r', 53, 80)}, "
            f"'bun', 7 + {self.below('s.r', 54, 40)})"
        )
        urine = (
            "json_build_object("
            f"'usg', round(1.010 + {self.below('s.r', 55, 40)} / 1000.0, 3), "
            f"'ph', round(5.5 + {self.below('s.r', 56, 25)} / 10.0, 1), "
            "'protein', 'negative')"
        )
        return f"""
        INSERT INTO medical_records (id, clinic_id, created_at, updated_at, date, title,
                                     description, diagnosis, treatment, differential_diagnosis,
                                     blood_test, urine_test, pet_id, created_by_id)
        SELECT {self.ident("r", "s.r")}, s.clinic_id, s.created_at, s.created_at, s.date,
               {sql_array(titles)}[{case}],
               'Presented for ' || lower({sql_array(titles)}[{case}]) || ' (' || s.species
                   || '). Bright, alert, responsive; vitals within normal limits.',
               {sql_array(diagnoses)}[{case}],
               {sql_array(treatments)}[{case}],
               CASE WHEN {self.below("s.r", 24, 100)} < 20
                   THEN {self.pick(DIFFERENTIALS, "s.r", 25)} END,
               CASE WHEN {self.below("s.r", 26, 100)} < 12 THEN {blood} END,
               CASE WHEN {self.below("s.r", 27, 100)} < 6 THEN {urine} END,
               s.pet_id,
               'auth0|' || (100000 + {key_of("s.clinic_id")} * 10
                   + {self.below("s.r", 28, 4)})
        FROM (
            SELECT vis.*, vis.date + {ms(self.below("vis.r", 22, 1_800_000))} AS created_at,
                   1 + {self.below("vis.r", 23, len(CASES))} AS case_no
            FROM ({self.visits(part)}) vis
            OFFSET 0
        ) s"""

    def invoices_sql(self, part: Part) -> str:
        # ≈52% of records are billed, plus a pet-only sale for ≈32% of pets:
        # 0.52 * 4 + 0.32 = 2.4 invoices per pet, 0.6 per record.
        # Numbers are handed out per clinic and UTC year in created_at order,
        # exactly as app.invoice_numbers would have while the history was written.
        number = "row_number() OVER numbering"
        status = self.below("c.v", 50, 100)
        return f"""
        INSERT INTO invoices (id, clinic_id, created_at, updated_at, invoice_number,
                              total_amount_cents, status, owner_id, pet_id, medical_record_id)
        SELECT c.id, c.clinic_id, c.created_at,
               CASE WHEN {status} < 70 OR {status} >= 92 THEN
                   least(c.created_at + {ms(self.below("c.v", 51, 14 * DAY_MS))}, {self.now})
                   ELSE c.created_at END,
               'INV-' || c.year || '-'
                   || CASE WHEN {number} < 1000000 THEN lpad(({number})::text, 6, '0')
                      ELSE ({number})::text END,
               {self.invoice_total("c.v")},
               CASE WHEN {status} < 70 THEN 'PAID' WHEN {status} < 92 THEN 'UNPAID'
                    ELSE 'CANCELLED' END,
               c.owner_id, c.pet_id, c.medical_record_id
        FROM (
            SELECT u.*, {self.ident("i", "u.v")} AS id,
                   extract(year FROM u.created_at AT TIME ZONE 'UTC')::int AS year
            FROM (
                SELECT 2 * vis.r AS v, vis.clinic_id, vis.owner_id, vis.pet_id,
                       {self.ident("r", "vis.r")} AS medical_record_id,
                       vis.date + {
            ms(f"300000 + {self.below('vis.r', 30, 10_500_000)}")
        } AS created_at
                FROM ({self.visits(part)}) vis
                WHERE {self.below("vis.r", 31, 100)} < 52
                UNION ALL
                SELECT 2 * pt.pk + 1, pt.clinic_id, pt.owner_id, pt.id, NULL,
                       pt.created_at + {
            ms(self.below("pt.pk", 32, span_ms("pt.created_at", self.before_now(1))))
        }
                FROM (SELECT *, {key_of("id")} AS pk FROM pets
                      WHERE {in_part(key_of("clinic_id"), part)}) pt
                WHERE {self.below("pt.pk", 33, 100)} < 32
            ) u
            OFFSET 0
        ) c
        WINDOW numbering AS (PARTITION BY c.clinic_id, c.year ORDER BY c.created_at, c.id)"""

    def items_sql(self, part: Part) -> str:
        names = sql_array([name for name, _ in ITEMS])
        return f"""
        INSERT INTO invoice_items (id, clinic_id, created_at, updated_at, invoice_id, position,
                                   name, price_cents, quantity)
        SELECT {self.ident("t", "iv.v * 4 + pos")}, iv.clinic_id, iv.created_at, iv.created_at,
               iv.id, pos, {names}[{self.item_index("iv.v", "pos")}],
               {self.item_price("iv.v", "pos")}, {self.item_quantity("iv.v", "pos")}
        FROM (SELECT id, clinic_id, created_at, {key_of("id")} AS v FROM invoices
              WHERE {in_part(key_of("clinic_id"), part)} OFFSET 0) iv
        CROSS JOIN LATERAL generate_series(1, {self.item_count("iv.v")}) pos"""

    @staticmethod
    def counters_sql() -> str:
        # Numbers are gap-free from 1, so the last one handed out is the count.
        return """
        INSERT INTO invoice_counters (clinic_id, year, last_value)
        SELECT clinic_id, extract(year FROM created_at AT TIME ZONE 'UTC')::int, count(*)
        FROM invoices GROUP BY 1, 2"""

    @staticmethod
    def clinic_counts_sql() -> str:
        # What app.clinic_counts keeps for writes through the ORM, which this load bypasses.
        return (
            "INSERT INTO clinic_counts (clinic_id, entity, shard, count) "
            f"SELECT clinic_id, entity, 0, count FROM ({ROWS_PER_CLINIC}) AS actual "
            "(clinic_id, entity, count)"
        )


# ---- Constraints and indexes out of the way during the load ---------------------


@dataclass(frozen=True)
class Deferred:
    """DDL to re-create what was dropped, in a valid order."""

    keys: list[str]  # primary keys and unique constraints
    indexes: list[str]
    foreign_keys: list[str]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def set_aside(conn: AsyncConnection) -> Deferred:
    tables = ", ".join(f"{sql_string(t)}::regclass" for t in FILLED_TABLES)
    constraint_rows = (
        await conn.exec_driver_sql(f"""
        SELECT conrelid::regclass::text, conname, contype::text, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE contype IN ('p', 'u', 'f')
          AND (conrelid IN ({tables}) OR confrelid IN ({tables}))
        ORDER BY conrelid::regclass::text, conname""")
    ).all()
    constraints = cast(list[tuple[str, str, str, str]], [tuple(r) for r in constraint_rows])
    index_rows = (
        await conn.exec_driver_sql(f"""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid IN ({tables})
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
        ORDER BY 1""")
    ).all()
    indexes = cast(list[tuple[str, str]], [tuple(r) for r in index_rows])
    # Foreign keys first: they depend on the keys they reference.
    for table, name, _, _ in sorted(constraints, key=lambda row: row[2] != "f"):
        await conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote_ident(name)}")
    for name, _ in indexes:
        await conn.exec_driver_sql(f"DROP INDEX {name}")

    def add(table: str, name: str, definition: str) -> str:
        return f"ALTER TABLE {table} ADD CONSTRAINT {quote_ident(name)} {definition}"

    return Deferred(
        keys=[add(t, n, d) for t, n, k, d in constraints if k in ("p", "u")],
        indexes=[definition for _, definition in indexes],
        foreign_keys=[add(t, n, d) for t, n, k, d in constraints if k == "f"],
    )


async def restore(database_url: str, deferred: Deferred, parallel: int) -> None:
    """Keys first (foreign keys need them), then indexes and foreign keys.

    Builds run on `parallel` connections at once: a GIN build is single-threaded
    and foreign-key validation is a join, so two sessions keep two cores busy.
    """
    await run_concurrently(database_url, deferred.keys, parallel)
    await run_concurrently(database_url, deferred.indexes + deferred.foreign_keys, parallel)


async def run_concurrently(database_url: str, statements: list[str], parallel: int) -> None:
    queue = list(reversed(statements))
    engine = create_async_engine(database_url, isolation_level="AUTOCOMMIT")

    async def worker() -> None:
        async with engine.connect() as conn:
            await tune(conn)
            while queue:
                statement = queue.pop()
                started = time.perf_counter()
                await conn.exec_driver_sql(statement)
                took = time.perf_counter() - started
                if took >= SLOW_STATEMENT_SECONDS:  # where the time goes, for tuning
                    print(f"    {took:6.2f} s  {' '.join(statement.split()[:6])}", flush=True)

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(parallel, len(queue))))))
    finally:
        await engine.dispose()


async def tune(conn: AsyncConnection) -> None:
    # Session settings only: the server's configuration is shared with others.
    for setting in (
        "SET TimeZone = 'UTC'",
        "SET work_mem = '256MB'",
        "SET maintenance_work_mem = '512MB'",
        "SET synchronous_commit = off",
        "SET max_parallel_maintenance_workers = 1",
        # The generated expressions are large: compiling them cost more than it saved.
        "SET jit = off",
    ):
        await conn.exec_driver_sql(setting)


# ---- The run -------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    owners: int
    database: str
    clinics: int
    seed: int
    anchor: date
    verify: bool
    vacuum: bool
    as_json: bool
    parallel: int


def database_url(name: str) -> str:
    return f"postgresql+asyncpg://{SERVER}/{name}"


class Clock:
    """Prints each phase's duration as it ends."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def lap(self, phase: str, detail: str = "") -> None:
        now = time.perf_counter()
        self.phases[phase] = round(now - self.last, 2)
        self.last = now
        print(f"  {phase:<22} {self.phases[phase]:8.2f} s  {detail}", flush=True)

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.start, 2)


async def recreate_database(name: str) -> None:
    admin = create_async_engine(database_url(ADMIN_DATABASE), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
            await conn.exec_driver_sql(f"CREATE DATABASE {quote_ident(name)}")
    finally:
        await admin.dispose()


async def fill(url: str, shape: Shape, parallel: int, clock: Clock) -> dict[str, int]:
    """Run each phase as one statement per part, the parts on parallel sessions."""
    parallel = max(1, min(parallel, shape.clinics))
    parts: list[Part] = [(index, parallel) for index in range(parallel)]
    phases: list[tuple[str, list[str]]] = [
        ("clinics", [shape.clinics_sql()]),
        ("pets", [shape.pets_sql(part) for part in parts]),
        ("medical_records", [shape.records_sql(part) for part in parts]),
        ("invoices", [shape.invoices_sql(part) for part in parts]),
        ("invoice_items", [shape.items_sql(part) for part in parts]),
        ("invoice_counters", [shape.counters_sql()]),
        # Statistics for the owners phase's join: without them the planner guesses
        # a nested loop over the records.
        ("analyze", ["ANALYZE pets, medical_records"]),
        ("owners", [shape.owners_sql(part) for part in parts]),
        ("clinic_counts", [shape.clinic_counts_sql()]),
    ]
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    counts: dict[str, int] = {}
    try:
        async with AsyncExitStack() as stack:
            sessions = [await stack.enter_async_context(engine.connect()) for _ in parts]
            for conn in sessions:
                await tune(conn)
            for table, statements in phases:
                results = await asyncio.gather(
                    *(
                        conn.exec_driver_sql(sql)
                        for conn, sql in zip(sessions, statements, strict=False)
                    )
                )
                counts[table] = sum(result.rowcount for result in results)
                clock.lap(table, f"{counts[table]:>10} rows" if results[0].rowcount >= 0 else "")
    finally:
        await engine.dispose()
    return counts


async def make_key(db: Database, clinic_id: str) -> str:
    """A new API key of the clinic, with a budget no benchmark run exhausts; its secret."""
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            created = await create_key(
                session, clinic_id=clinic_id, name="benchmark", rate_limit=100_000_000
            )
    return created.secret


# The database comment says the load finished; `bench.datasets` reuses only a
# database that carries it and still holds the rows counted here.
MARKER = "bench.dataset"


async def mark_complete(
    db: Database, options: Options, counts: dict[str, int], clinic_id: str, seconds: float
) -> None:
    marker = {
        "generator": MARKER,
        "owners": options.owners,
        "clinics": options.clinics,
        "seed": options.seed,
        "anchor": options.anchor.isoformat(),
        "clinicId": clinic_id,
        "counts": {"owners": counts["owners"], "invoices": counts["invoices"]},
        "seconds": round(seconds, 1),
        "finishedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql(
            f"COMMENT ON DATABASE {quote_ident(options.database)} "
            f"IS {sql_string(json.dumps(marker))}"
        )


async def build(options: Options) -> tuple[dict[str, object], bool]:
    """Create and fill the database; the summary, and whether every check passed."""
    clock = Clock()
    anchor = datetime.combine(options.anchor, datetime.min.time(), UTC)
    shape = Shape(options.owners, options.clinics, options.seed, anchor)
    url = database_url(options.database)
    print(
        f"dataset {options.database}: {options.owners} owners, {options.clinics} clinics, "
        f"seed {options.seed}, anchor {options.anchor}",
        flush=True,
    )
    await recreate_database(options.database)
    clock.lap("create database")
    # Bulk statements run for minutes: not the per-request command timeout.
    db = Database(Settings(database_url=url, db_command_timeout=6 * 3600, db_connect_timeout=30))
    try:
        await migrate(db.engine)
        clock.lap("migrate")
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            deferred = await set_aside(conn)
        clock.lap("drop keys/indexes")
        counts = await fill(url, shape, options.parallel, clock)
        await restore(url, deferred, options.parallel)
        clock.lap("keys/indexes/fks")
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM (ANALYZE)" if options.vacuum else "ANALYZE")
            clock.lap("vacuum analyze" if options.vacuum else "analyze")
            clinic_id = (await conn.exec_driver_sql("SELECT min(id) FROM clinics")).scalar_one()
        secret = await make_key(db, clinic_id)
        clock.lap("api key")
        checks_passed = True
        if options.verify:
            async with db.engine.connect() as conn:
                checks_passed = await verify(conn)
            clock.lap("verify")
        if checks_passed:
            await mark_complete(db, options, counts, clinic_id, clock.total)
    finally:
        await db.dispose()
    seconds = clock.total
    print(
        f"{options.database}: {counts['clinics']} clinics, {counts['owners']} owners, "
        f"{counts['pets']} pets, {counts['medical_records']} records, "
        f"{counts['invoices']} invoices, {counts['invoice_items']} items in {seconds:.1f} s",
        flush=True,
    )
    return {
        "databaseUrl": url,
        "clinicId": clinic_id,
        "apiKey": secret,
        "owners": counts["owners"],
        "pets": counts["pets"],
        "records": counts["medical_records"],
        "invoices": counts["invoices"],
        "seconds": seconds,
    }, checks_passed


# ---- Verification ------------------------------------------------------------------

# Each query returns one row of named values; for "violations" queries every value must be 0.
VIOLATIONS = {
    "invoice numbering": """
        WITH n AS (
            SELECT clinic_id, split_part(invoice_number, '-', 2)::int AS year,
                   split_part(invoice_number, '-', 3)::int AS seq,
                   row_number() OVER (PARTITION BY clinic_id,
                                      extract(year FROM created_at AT TIME ZONE 'UTC')
                                      ORDER BY created_at, id) AS expected,
                   extract(year FROM created_at AT TIME ZONE 'UTC')::int AS created_year
            FROM invoices
        ), g AS (
            SELECT clinic_id, year, count(*) AS n, min(seq) AS lo, max(seq) AS hi,
                   count(DISTINCT seq) AS distinct_seq
            FROM n GROUP BY 1, 2
        )
        SELECT
            (SELECT count(*) FROM n WHERE seq <> expected OR year <> created_year)
                AS out_of_created_order,
            (SELECT count(*) FROM g WHERE lo <> 1 OR hi <> n OR distinct_seq <> n) AS gaps,
            (SELECT count(*) FROM g FULL JOIN invoice_counters c USING (clinic_id, year)
             WHERE c.last_value IS DISTINCT FROM g.n) AS counter_mismatches""",
    "invoice totals": """
        SELECT count(*) FILTER (WHERE s.total IS DISTINCT FROM i.total_amount_cents)
                   AS total_mismatches,
               count(*) FILTER (WHERE s.items IS NULL) AS invoices_without_items,
               (SELECT count(*) FROM invoice_items ii JOIN invoices iv ON iv.id = ii.invoice_id
                WHERE ii.clinic_id <> iv.clinic_id) AS item_clinic_mismatches
        FROM invoices i
        LEFT JOIN (SELECT invoice_id, sum(price_cents * quantity) AS total, count(*) AS items
                   FROM invoice_items GROUP BY invoice_id) s ON s.invoice_id = i.id""",
    "last visit": """
        SELECT count(*) FILTER (WHERE o.last_visit IS DISTINCT FROM lv.last) AS mismatches,
               count(*) FILTER (WHERE o.updated_at < o.created_at) AS updated_before_created
        FROM owners o
        LEFT JOIN (SELECT p.owner_id, max(m.date) AS last
                   FROM medical_records m JOIN pets p ON p.id = m.pet_id
                   GROUP BY p.owner_id) lv ON lv.owner_id = o.id""",
    "clinic counts": f"""
        SELECT count(*) AS mismatches
        FROM ({ROWS_PER_CLINIC}) AS actual (clinic_id, entity, count)
        FULL JOIN (SELECT clinic_id, entity, sum(count) AS count FROM clinic_counts
                   GROUP BY 1, 2) kept USING (clinic_id, entity)
        WHERE kept.count IS DISTINCT FROM actual.count""",
    "references": """
        SELECT
            (SELECT count(*) FROM pets p JOIN owners o ON o.id = p.owner_id
             WHERE p.clinic_id <> o.clinic_id) AS pet_clinic_mismatches,
            (SELECT count(*) FROM medical_records m JOIN pets p ON p.id = m.pet_id
             WHERE m.clinic_id <> p.clinic_id OR m.date < p.created_at) AS record_mismatches,
            (SELECT count(*) FROM invoices i JOIN pets p ON p.id = i.pet_id
             WHERE i.owner_id <> p.owner_id OR i.clinic_id <> p.clinic_id)
                AS invoice_pet_mismatches,
            (SELECT count(*) FROM invoices i JOIN medical_records m ON m.id = i.medical_record_id
             WHERE i.pet_id <> m.pet_id OR i.created_at < m.date) AS invoice_record_mismatches,
            (SELECT count(*) FROM invoices WHERE pet_id IS NULL) AS invoices_without_pet""",
    "columns": """
        SELECT
            (SELECT count(*) FROM owners
             WHERE phone_digits IS DISTINCT FROM regexp_replace(phone, '\\D', '', 'g'))
                AS phone_digit_mismatches,
            (SELECT count(*) FROM pets WHERE species_key <> lower(species))
                AS species_key_mismatches,
            (SELECT count(*) FROM (
                SELECT id, created_at, updated_at FROM owners UNION ALL
                SELECT id, created_at, updated_at FROM pets UNION ALL
                SELECT id, created_at, updated_at FROM medical_records UNION ALL
                SELECT id, created_at, updated_at FROM invoices UNION ALL
                SELECT id, created_at, updated_at FROM invoice_items UNION ALL
                SELECT id, created_at, updated_at FROM clinics) t
             WHERE id !~ '^c[0-9a-z]{24}$' OR updated_at < created_at
                OR updated_at > now() OR created_at < now() - INTERVAL '3 years 90 days'
                OR date_trunc('milliseconds', created_at) <> created_at
                OR date_trunc('milliseconds', updated_at) <> updated_at) AS bad_ids_or_times,
            (SELECT count(*) FROM medical_records WHERE date > now()) AS future_visits""",
}
STATISTICS = {
    "counts": """
        SELECT (SELECT count(*) FROM clinics) AS clinics, (SELECT count(*) FROM owners) AS owners,
               (SELECT count(*) FROM pets) AS pets,
               (SELECT count(*) FROM medical_records) AS records,
               (SELECT count(*) FROM invoices) AS invoices,
               (SELECT count(*) FROM invoice_items) AS items,
               (SELECT count(*) FROM invoice_counters) AS counters,
               (SELECT count(*) FROM api_keys) AS api_keys""",
    "shape": """
        SELECT round((SELECT count(*) FROM pets)::numeric / (SELECT count(*) FROM owners), 2)
                   AS pets_per_owner,
               round((SELECT count(*) FROM medical_records)::numeric
                     / (SELECT count(*) FROM pets), 2) AS records_per_pet,
               round((SELECT count(*) FROM invoices)::numeric
                     / (SELECT count(*) FROM medical_records), 2) AS invoices_per_record,
               round((SELECT count(*) FROM invoices WHERE medical_record_id IS NULL)::numeric
                     / (SELECT count(*) FROM invoices), 3) AS pet_only_share,
               round((SELECT count(*) FROM invoice_items)::numeric
                     / (SELECT count(*) FROM invoices), 2) AS items_per_invoice,
               (SELECT count(*) FROM owners WHERE last_visit IS NULL) AS owners_never_seen""",
    "statuses": """
        SELECT round(100.0 * count(*) FILTER (WHERE status = 'PAID') / count(*), 1) AS paid_pct,
               round(100.0 * count(*) FILTER (WHERE status = 'UNPAID') / count(*), 1)
                   AS unpaid_pct,
               round(100.0 * count(*) FILTER (WHERE status = 'CANCELLED') / count(*), 1)
                   AS cancelled_pct
        FROM invoices""",
    "owners per clinic": """
        SELECT min(n) AS fewest, max(n) AS most
        FROM (SELECT count(*) AS n FROM owners GROUP BY clinic_id) c""",
    "time range": """
        SELECT (SELECT min(created_at) FROM owners)::text AS first_owner,
               (SELECT max(date) FROM medical_records)::text AS last_visit,
               (SELECT max(created_at) FROM invoices)::text AS last_invoice""",
}


async def verify(conn: AsyncConnection) -> bool:
    """Print every check; True when no violation was found."""
    clean = True
    for kind, queries in (("stat", STATISTICS), ("check", VIOLATIONS)):
        for name, sql in queries.items():
            row = (await conn.execute(text(sql))).mappings().one()
            values = dict(row)
            ok = kind == "stat" or not any(values.values())
            clean = clean and ok
            status = "" if kind == "stat" else ("ok   " if ok else "FAIL ")
            print(f"  {status}{name}: {json.dumps(values, default=str)}", flush=True)
    return clean


# ---- Command line --------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dataset",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--owners", type=int, required=True)
    parser.add_argument("--database", help="default: clinova_bench_<owners>")
    parser.add_argument("--clinics", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--anchor",
        type=date.fromisoformat,
        default=datetime.now(UTC).date(),
        help="UTC day the history ends at (default: today); fixes the content across days",
    )
    parser.add_argument("--verify", action="store_true", help="run and print the SQL checks")
    parser.add_argument(
        "--vacuum", action="store_true", help="VACUUM ANALYZE (visibility map, hint bits)"
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=2,
        help="parallel sessions for the load and the index builds (default 2)",
    )
    parser.add_argument("--json", action="store_true", dest="as_json")
    args = parser.parse_args(argv)
    database = args.database or f"clinova_bench_{args.owners}"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        parser.error("--database: lowercase letters, digits and underscores")
    if database == ADMIN_DATABASE:
        parser.error("--database must not be the admin database")
    if not 1 <= args.owners <= 100_000_000 or not 1 <= args.clinics <= 1000:
        parser.error("--owners must be 1..1e8 and --clinics 1..1000")
    return Options(
        owners=args.owners,
        database=database,
        clinics=args.clinics,
        seed=args.seed,
        anchor=args.anchor,
        verify=args.verify,
        vacuum=args.vacuum,
        as_json=args.as_json,
        parallel=args.parallel,
    )


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_args(argv)
    summary, checks_passed = asyncio.run(build(options))
    if options.as_json:
        print(json.dumps(summary), flush=True)
    if not checks_passed:
        sys.exit("verification failed")


if __name__ == "__main__":
    main(sys.argv[1:])
