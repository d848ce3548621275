"""The planned executor answers exactly what the standard executor answers.

A generated corpus of documents (fragments, aliases, variables, directives,
`__typename`, nulls, every relationship of the schema, keys lacking scopes,
other clinics' ids, bad arguments, costs over the limit) goes to two app
instances on the same database, one with `graphql_planner` off, and every
response must be the same bytes. Only `restoresAt` is masked: it names the
rate-limit window, which two requests a moment apart may straddle.
"""

import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from graphql import GraphQLObjectType, GraphQLSchema, get_named_type
from sqlalchemy import Alias, BinaryExpression, BindParameter, Select
from sqlalchemy.sql.visitors import iterate

from app.compiled_reads import made_level_reads, made_statements
from app.database import Database
from app.demo_data import seed_demo_clinic
from app.models import Base, ClinicCount
from app.observability import GRAPHQL_EXECUTIONS
from app.tenancy import is_clinic_owned
from graphql_schema.schema import schema
from tests.conftest import Backend, app_client
from tests.factories import make_clinic, make_key, make_owner, make_pet, make_record
from tests.graphql_client import count_statements, gql

CORPUS_SIZE = 160
SEED = 20261125


def _root_items(graphql_schema: GraphQLSchema) -> dict[str, str]:
    """Root fields by id and their types; each has a list field of the plural name."""
    query = graphql_schema.query_type
    assert query is not None
    items = {
        name: get_named_type(field.type).name
        for name, field in query.fields.items()
        if list(field.args) == ["id"]
    }
    assert all(f"{name}s" in query.fields for name in items), items
    return items


# Derived from the schema, so that a new root is in the corpus from the start.
ROOT_ITEMS = _root_items(schema._schema)
# Keys lacking some read scope, beside the seeded clinic's full-scope key.
LIMITED_SCOPES = (
    ("owners:read", "records:read", "invoices:read"),
    ("owners:read", "pets:read", "records:read"),
    ("owners:read",),
)
_RESTORES_AT = re.compile(rb'"restoresAt":\s*"?[^,}"]*"?')


@dataclass
class Pools:
    """Ids and cursors to put into documents: ours, another clinic's, unknown ones."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    cursors: list[str] = field(default_factory=list)


class Corpus:
    def __init__(self, rng: random.Random, pools: Pools) -> None:
        self.rng, self.pools = rng, pools
        self.types = schema._schema.type_map

    def document(self) -> tuple[str, dict[str, Any]]:
        self.variables: dict[str, Any] = {}
        self.declarations: list[str] = []
        self.fragments: dict[str, str] = {}
        roots = [self.root() for _ in range(self.rng.choice((1, 1, 1, 2)))]
        declared = f"({', '.join(self.declarations)})" if self.declarations else ""
        text = f"query Corpus{declared} {{ {' '.join(roots)} }} " + " ".join(
            self.fragments.values()
        )
        return text, self.variables

    def root(self) -> str:
        rng = self.rng
        alias = rng.choice(("", "", "first: ", "again: "))
        if rng.random() < 0.55:
            item = rng.choice(list(ROOT_ITEMS))
            name, selection = f"{item}s", self.connection_selection(ROOT_ITEMS[item])
            return f"{alias}{name}{self.list_arguments(name)} {{ {selection} }}"
        name = rng.choice(list(ROOT_ITEMS))
        type_name = ROOT_ITEMS[name]
        argument = self.value("ID!", self.some_id(type_name))
        return f"{alias}{name}(id: {argument}) {{ {self.selection(type_name, depth=3)} }}"

    def connection_selection(self, node: str) -> str:
        rng, parts = self.rng, []
        if rng.random() < 0.8:
            parts.append(f"nodes {{ {self.selection(node, depth=3)} }}")
        if rng.random() < 0.3:
            parts.append(f"edges {{ cursor node {{ {self.selection(node, depth=1)} }} }}")
        if rng.random() < 0.3:
            info = rng.sample(["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"], 2)
            parts.append(f"pageInfo {{ {' '.join(info)} }}")
        if rng.random() < 0.25:
            parts.append("totalCount")
        if rng.random() < 0.2 or not parts:
            parts.append("__typename")
        return " ".join(parts)

    def list_arguments(self, name: str) -> str:
        rng, args = self.rng, []
        if rng.random() < 0.7:
            first = rng.choice((1, 2, 3, 5, 7, 100, 500, 0, -1))
            args.append(f"first: {self.value('Int', first)}")
        if rng.random() < 0.2:
            args.append(f"offset: {self.value('Int', rng.choice((0, 1, 3, -2)))}")
        if rng.random() < 0.25 and self.pools.cursors:
            cursor = rng.choice([*self.pools.cursors, "not-a-cursor", "MjAyNnxub3BlCg"])
            args.append(f"after: {self.value('String', cursor)}")
        if name == "owners" and rng.random() < 0.3:
            term = rng.choice(("a", "son", "555", "zzzz", " ", "@example", "%_", "a\x00b"))
            args.append(f"search: {self.value('String', term)}")
        if name in ("pets", "invoices") and rng.random() < 0.3:
            args.append(f"ownerId: {self.value('ID', self.some_id('Owner'))}")
        if name == "pets" and rng.random() < 0.3:
            args.append(f"species: {self.value('String', rng.choice(('dog', 'Cat', 'Dragon')))}")
        if name == "medicalRecords" and rng.random() < 0.3:
            args.append(f"petId: {self.value('ID', self.some_id('Pet'))}")
        if name == "medicalRecords" and rng.random() < 0.3:
            start = rng.choice(("2020-01-01", "2026-01-01T00:00:00Z", "yesterday"))
            args.append(f"startDate: {self.value('String', start)}")
        if name == "invoices" and rng.random() < 0.3:
            args.append(f"status: {rng.choice(('PAID', 'UNPAID', 'CANCELLED'))}")
        return f"({', '.join(args)})" if args else ""

    def selection(self, type_name: str, depth: int) -> str:
        rng = self.rng
        type_ = self.types[type_name]
        assert isinstance(type_, GraphQLObjectType)
        leaves, objects = [], []
        for name, definition in type_.fields.items():
            target = get_named_type(definition.type)
            (objects if isinstance(target, GraphQLObjectType) else leaves).append(
                (name, target.name)
            )
        parts = [self.aliased(name) for name in rng.sample([n for n, _ in leaves], 3)]
        if rng.random() < 0.2:
            parts.append("__typename")
        if depth > 0:
            for name, target in objects:
                if rng.random() < 0.35:
                    parts.append(f"{self.aliased(name)} {{ {self.selection(target, depth - 1)} }}")
        if rng.random() < 0.2:
            inner = " ".join(self.aliased(n) for n in rng.sample([n for n, _ in leaves], 2))
            parts.append(f"... on {type_name} {{ {inner} }}")
        if rng.random() < 0.2:
            fragment = f"F{len(self.fragments)}"
            inner = " ".join(rng.sample([n for n, _ in leaves], 2))
            self.fragments[fragment] = f"fragment {fragment} on {type_name} {{ {inner} }}"
            parts.append(f"...{fragment}")
        if rng.random() < 0.15:
            flag = f"flag{len(self.variables)}"
            self.declarations.append(f"${flag}: Boolean!")
            self.variables[flag] = rng.random() < 0.5
            directive = rng.choice(("include", "skip"))
            parts.append(f"{rng.choice([n for n, _ in leaves])} @{directive}(if: ${flag})")
        rng.shuffle(parts)
        return " ".join(parts)

    def aliased(self, name: str) -> str:
        return f"{name}_{self.rng.randrange(3)}: {name}" if self.rng.random() < 0.15 else name

    def value(self, graphql_type: str, value: Any) -> str:
        """The value inline, or as a variable a third of the time."""
        if self.rng.random() < 0.33:
            name = f"v{len(self.variables)}"
            self.declarations.append(f"${name}: {graphql_type}")
            self.variables[name] = value
            return f"${name}"
        # JSON's string escapes are GraphQL's.
        return json.dumps(value)

    def some_id(self, type_name: str) -> str:
        return self.rng.choice(self.pools.ids[type_name])


async def _pools(client: httpx.AsyncClient, ours: str, theirs: str) -> Pools:
    lists = " ".join(f"{item}s(first: 100) {{ nodes {{ id }} }}" for item in ROOT_ITEMS)
    query = f"{{ cursors: owners(first: 100) {{ edges {{ cursor }} }} {lists} }}"
    pools = Pools(ids={name: [] for name in ROOT_ITEMS.values()})
    for secret, share in ((ours, 12), (theirs, 2)):
        body = (await client.post("/graphql", json={"query": query}, headers=_auth(secret))).json()
        for item, type_name in ROOT_ITEMS.items():
            ids = {node["id"] for node in body["data"][f"{item}s"]["nodes"]}
            assert ids, f"the seeded clinics have no {type_name}"
            pools.ids[type_name] += sorted(ids)[:share]
        if secret == ours:
            pools.cursors = [edge["cursor"] for edge in body["data"]["cursors"]["edges"][::7]]
    for ids in pools.ids.values():
        ids.append("ck-no-such-id")
    return pools


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def seeded_corpus(
    backend: Backend, rng: random.Random, seeds: tuple[int, int]
) -> tuple[Corpus, list[str], str]:
    """Two seeded clinics, ours and theirs; a corpus over both, our keys (full scope
    first) and theirs."""
    db: Database = backend.db
    ours = await seed_demo_clinic(db.sessionmaker, owners=25, seed=seeds[0])
    theirs = await seed_demo_clinic(db.sessionmaker, owners=5, seed=seeds[1])
    secrets = [ours.api_key] + [
        (await make_key(db, ours.clinic_id, scopes=scopes)).secret for scopes in LIMITED_SCOPES
    ]
    async with app_client(backend.settings.database_url, **UNLIMITED) as explorer:
        corpus = Corpus(rng, await _pools(explorer, ours.api_key, theirs.api_key))
    return corpus, secrets, theirs.api_key


UNLIMITED = {"rate_limit_per_minute": 1_000_000}


async def test_planned_answers_match_the_standard_executor(backend: Backend) -> None:
    url = backend.settings.database_url
    settings = UNLIMITED
    rng = random.Random(SEED)
    planned_before = _planned()
    corpus, secrets, _their_key = await seeded_corpus(backend, rng, (11, 12))
    # Two fresh instances: each has its own rate-limit counters, which must see
    # the same requests for the budgets in the answers to match.
    async with (
        app_client(url, graphql_planner=True, **settings) as planned,
        app_client(url, graphql_planner=False, **settings) as standard,
    ):
        with_errors = 0
        for number in range(CORPUS_SIZE):
            document, variables = corpus.document()
            # Full-scope keys most of the time, so most documents can be planned.
            secret = secrets[0] if rng.random() < 0.75 else rng.choice(secrets[1:])
            payload = {"query": document, "variables": variables}
            answers = [
                await client.post("/graphql", json=payload, headers=_auth(secret))
                for client in (planned, standard)
            ]
            fast, slow = (_RESTORES_AT.sub(b"", a.content) for a in answers)
            assert (answers[0].status_code, fast) == (answers[1].status_code, slow), (
                f"document {number}: {document} {variables}\n"
                f"planned:  {answers[0].status_code} {fast.decode()}\n"
                f"standard: {answers[1].status_code} {slow.decode()}"
            )
            with_errors += b'"errors"' in slow
    planned_count = _planned() - planned_before
    # The corpus must exercise both: the planner on most documents, and the
    # standard executor on those that answer with errors.
    assert planned_count >= CORPUS_SIZE * 0.4, planned_count
    # A plan that fails falls back to the same answer: only errors may need it.
    assert planned_count >= CORPUS_SIZE - with_errors, (planned_count, with_errors)
    assert with_errors >= CORPUS_SIZE * 0.15, with_errors
    # and every statement compiled on the way keeps to the caller's clinic.
    reads = made_level_reads()
    assert reads
    for read in reads:
        _assert_clinic_bound(read.statement(backend.name))
    # and so do the pages of root lists, run on the raw driver past the ORM's filter.
    pages = made_statements()
    assert pages
    for statement in pages:
        _assert_clinic_bound(statement)


def _planned() -> float:
    """Answers a plan gave: inside strawberry, or on the compiled route (a document seen before)."""
    return sum(GRAPHQL_EXECUTIONS.labels(path)._value.get() for path in ("planned", "compiled"))


def _assert_clinic_bound(statement: Select[object]) -> None:
    """Every clinic's table a SELECT of the statement reads (itself, a LATERAL or other
    subquery, each under its own alias) is compared to the clinic parameter there."""
    owned = {
        mapper.local_table for mapper in Base.registry.mappers if is_clinic_owned(mapper.class_)
    }
    owned.add(ClinicCount.__table__)  # not the ORM filter's, but each row is one clinic's
    selects = [statement, *(node for node in iterate(statement) if isinstance(node, Select))]
    read = 0
    for select in selects:
        # A LATERAL's correlated table is its enclosing SELECT's, and checked there.
        froms = set(select.get_final_froms()) - set(select._correlate)
        tables = {
            from_ for from_ in froms
            if from_ in owned or (isinstance(from_, Alias) and from_.element in owned)
        }  # fmt: skip
        bound = {
            node.left.table
            for node in iterate(select.whereclause)
            if isinstance(node, BinaryExpression)
            and getattr(node.left, "key", None) == "clinic_id"
            and isinstance(node.right, BindParameter)
            and node.right.key == "clinic_id"
        }
        assert tables <= bound, f"no clinic predicate on {tables - bound}: {statement}"
        read += len(tables)
    assert read, statement


async def test_nested_levels_read_only_the_columns_asked_for(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    await make_pet(db, clinic.clinic_id, owner.id, breed="Collie")
    with count_statements(db.engine) as counter:
        body = await gql(client, clinic, "{ owners { nodes { pets { name } } } }")

    assert body["data"]["owners"]["nodes"] == [{"pets": [{"name": "Max"}]}]
    (pets,) = [s for s in counter.statements if "FROM pets" in s]
    assert re.search(r"\b(pets|inline\d+)\.name\b", pets), pets
    assert ".breed" not in pets
    # Seen before, the document's pets are written inside its page (graphql_schema.rendered);
    # as a level of their own, PostgreSQL gets its keys as one array parameter, SQLite as a list.
    if " AS object" not in pets:
        assert ("IN (" if db.settings.is_sqlite else "= ANY (") in pets


async def test_both_executors_cost_an_answer_alike_while_building_it(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    # Given an owner with a pet whose record carries a small lab panel
    db = backend.db
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    pet = await make_pet(db, clinic.clinic_id, owner.id)
    await make_record(db, clinic.clinic_id, pet.id, blood_test={"wbc": {"value": 7.1}})
    query = "{ owners { nodes { pets { medicalRecords { bloodTest } } } } }"
    # when the planner and the standard executor answer a query for all of it
    planned = await gql(client, clinic, query)
    async with app_client(backend.settings.database_url, graphql_planner=False) as standard:
        unplanned = (
            await standard.post("/graphql", json={"query": query}, headers=clinic.headers)
        ).json()
    # then both count connection, owner, pet and record, and the panel by its size (one node)
    assert planned["extensions"]["cost"]["actualNodes"] == 5
    assert unplanned["extensions"]["cost"]["actualNodes"] == 5
