"""What is measured: one request per scenario, repeated by wrk."""

import json
from dataclasses import dataclass
from typing import Any

# The queries measured on several servers.
FLAT = "{ owners(first: 50) { nodes { id firstName lastName email phone } } }"


@dataclass(frozen=True)
class Fields:
    """What a dashboard selects at each level, in ClinovaVet's field names."""

    owner: str
    pet: str
    record: str
    invoice: str
    item: str | None  # None: no items level


# The dashboard (its anchor: 50 owners -> 127 pets -> 510 records -> 255
# invoices, ~366 KB): every field of every level, ~330 KB of JSON from us.
FULL_FIELDS = Fields(
    owner="id firstName middleName lastName email phone address lastVisit createdAt updatedAt",
    pet="id name species breed weight neutered birthdate createdAt updatedAt",
    record="id date title description diagnosis treatment differentialDiagnosis bloodTest "
    "urineTest createdById createdAt updatedAt",
    invoice="id invoiceNumber status totalAmount createdAt updatedAt",
    item="name quantity price",
)
# The same levels with a few short fields each (~86 KB): what earlier runs called the
# dashboard. Fixed per-object costs weigh more here, per-field costs less.
SLIM_FIELDS = Fields(
    owner="id firstName lastName",
    pet="id name species",
    record="id date title",
    invoice="id invoiceNumber totalAmount status",
    item=None,
)


def dashboard(fields: Fields) -> str:
    items = f" items {{ {fields.item} }}" if fields.item else ""
    return (
        f"{{ owners(first: 50) {{ nodes {{ {fields.owner} pets {{ {fields.pet} "
        f"medicalRecords {{ {fields.record} invoices {{ {fields.invoice}{items} }} }} }} }} }} }}"
    )


DASHBOARD = dashboard(FULL_FIELDS)
SLIM_DASHBOARD = dashboard(SLIM_FIELDS)
# Nothing to resolve: the cost of a GraphQL request itself, on each server.
TYPENAME = "{ __typename }"
OWNER_HISTORY = (
    "query($id: ID!) { owner(id: $id) { id firstName lastName email phone address lastVisit "
    "pets { id name species breed medicalRecords { id date title diagnosis treatment "
    "invoices { id invoiceNumber totalAmount status items { name quantity price } } } } "
    "invoices { id invoiceNumber status totalAmount createdAt } } }"
)
CREATE_INVOICE = (
    "mutation($input: InvoiceInput!) { createInvoice(input: $input) "
    "{ id invoiceNumber totalAmount status } }"
)


def postgraphile_flat(clinic_id: str) -> str:
    # PostGraphile has no tenancy: the clinic is a condition argument, and the order
    # matches ClinovaVet's (created_at, id) keyset.
    return (
        f'{{ allOwners(first: 50, condition: {{clinicId: "{clinic_id}"}}, '
        "orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) "
        "{ nodes { rowId firstName lastName email phone } } }"
    )


def _graphile(fields: str) -> str:
    """Our field names as PostGraphile's: `id` is `rowId`, money is in cents."""
    names = {"id": "rowId", "totalAmount": "totalAmountCents", "price": "priceCents"}
    return " ".join(names.get(name, name) for name in fields.split())


def postgraphile_dashboard(clinic_id: str, fields: Fields) -> str:
    # The clinic condition on every nested connection too, as ClinovaVet's loaders
    # filter by clinic: our indexes are clinic-prefixed (pets has none led by
    # owner_id), so a nested list filtered on the parent's id alone would be a
    # sequential scan per owner, a cost of our schema rather than of PostGraphile.
    clinic = f'condition: {{clinicId: "{clinic_id}"}}'
    # Except the items: PostGraphile offers conditions on indexed columns only, and no
    # index of invoice_items leads with clinic_id. They are found by their invoice's id.
    items = (
        " invoiceItemsByInvoiceId(orderBy: [POSITION_ASC]) "
        f"{{ nodes {{ {_graphile(fields.item)} }} }}"
        if fields.item
        else ""
    )
    return (
        f"{{ allOwners(first: 50, {clinic}, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) "
        f"{{ nodes {{ {_graphile(fields.owner)} "
        f"petsByOwnerId({clinic}, orderBy: [NAME_ASC, PRIMARY_KEY_ASC]) "
        f"{{ nodes {{ {_graphile(fields.pet)} "
        f"medicalRecordsByPetId({clinic}, orderBy: [DATE_DESC, PRIMARY_KEY_DESC]) "
        f"{{ nodes {{ {_graphile(fields.record)} "
        f"invoicesByMedicalRecordId({clinic}, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) "
        f"{{ nodes {{ {_graphile(fields.invoice)}{items} }} }} }} }} }} }} }} }} }}"
    )


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    method: str = "GET"
    body: dict[str, Any] | None = None
    writes: bool = False  # run last, so that reads see the dataset as generated

    def body_bytes(self) -> bytes | None:
        return json.dumps(self.body).encode() if self.body is not None else None


def graphql(name: str, query: str, variables: dict[str, Any] | None = None) -> Scenario:
    body: dict[str, Any] = {"query": query}
    if variables:
        body["variables"] = variables
    writes = query.lstrip().startswith("mutation")
    return Scenario(name, "/graphql", "POST", body, writes=writes)


def clinova(owner_id: str, owner_count: int) -> list[Scenario]:
    deep = max(0, owner_count - 60)
    invoice = {"ownerId": owner_id, "items": [{"name": "Bench exam", "price": 45.5, "quantity": 1}]}
    return [
        Scenario("REST list 50 owners", "/api/v1/owners?limit=50"),
        Scenario("REST search 'smi'", "/api/v1/owners?search=smi"),
        Scenario("REST owner by id", f"/api/v1/owners/{owner_id}"),
        Scenario(f"REST deep offset {deep}", f"/api/v1/owners?limit=50&offset={deep}"),
        graphql("GraphQL flat 50 owners", FLAT),
        graphql("GraphQL nested dashboard", DASHBOARD),
        graphql("GraphQL slim dashboard", SLIM_DASHBOARD),
        graphql("GraphQL { __typename }", TYPENAME),
        graphql("GraphQL owner with history", OWNER_HISTORY, {"id": owner_id}),
        Scenario(
            "REST POST owner",
            "/api/v1/owners",
            "POST",
            {"firstName": "Bench", "lastName": "Writer", "email": "bench@example.com"},
            writes=True,
        ),
        graphql("GraphQL createInvoice", CREATE_INVOICE, {"input": invoice}),
    ]


# The scale curve: the same three requests on every dataset size, each at the same
# relative place (the last full page of the clinic's list), so that only the size varies.
SCALE_SEARCH = "REST search 'smi'"
SCALE_GRAPHQL_SEARCH = "GraphQL search 'smi', first 50"
SCALE_KEYSET = "GraphQL keyset page at n-60"
SCALE_OFFSET = "REST deep offset n-60"
SCALE_LIST = "REST list 50 owners"
SCALE_BY_ID = "REST owner by id"
SEARCH_PAGE = '{ owners(search: "smi", first: 50) { nodes { id firstName lastName email } } }'
KEYSET_PAGE = (
    "query($after: String) { owners(first: 50, after: $after) "
    "{ nodes { id firstName lastName email phone } pageInfo { hasNextPage endCursor } } }"
)


def scale(deep: int, cursor: str | None, owner_id: str) -> list[Scenario]:
    """`cursor` is the endCursor of the owner just before position `deep`."""
    return [
        # The first page with its exact total (the clinic's counter), and one owner with pets.
        Scenario(SCALE_LIST, "/api/v1/owners?limit=50"),
        Scenario(SCALE_BY_ID, f"/api/v1/owners/{owner_id}"),
        Scenario(SCALE_SEARCH, "/api/v1/owners?search=smi"),
        # The same search without REST's total: the page alone, as GraphQL serves it.
        graphql(SCALE_GRAPHQL_SEARCH, SEARCH_PAGE),
        graphql(SCALE_KEYSET, KEYSET_PAGE, {"after": cursor} if cursor else None),
        Scenario(SCALE_OFFSET, f"/api/v1/owners?limit=50&offset={deep}"),
    ]


def floor() -> list[Scenario]:
    return [
        graphql("GraphQL flat 50 owners", FLAT),
        graphql("GraphQL nested dashboard", DASHBOARD),
        graphql("GraphQL slim dashboard", SLIM_DASHBOARD),
    ]


def stack() -> list[Scenario]:
    return [graphql("GraphQL { __typename }", TYPENAME)]


def postgraphile(clinic_id: str) -> list[Scenario]:
    return [
        graphql("GraphQL flat 50 owners", postgraphile_flat(clinic_id)),
        graphql("GraphQL nested dashboard", postgraphile_dashboard(clinic_id, FULL_FIELDS)),
        graphql("GraphQL slim dashboard", postgraphile_dashboard(clinic_id, SLIM_FIELDS)),
        graphql("GraphQL { __typename }", TYPENAME),
    ]
