"""A small ClinovaVet GraphQL client with gql: the dashboard query and a mutation.

    CLINOVA_BASE_URL=http://127.0.0.1:8000 CLINOVA_API_KEY=sk_test_... \\
        python examples/graphql_client.py [--first N]

Needs gql[httpx] (gql 4). tests/test_examples.py runs it against a live server.
"""

import argparse
import os
import sys
import time
import uuid

from gql import Client, GraphQLRequest, gql
from gql.client import SyncClientSession
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.httpx import HTTPXTransport
from graphql import ExecutionResult

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
MAX_RETRY_WAIT = 60.0

# One request for the whole dashboard: owners, their pets, each pet's visits, and
# what each visit was billed. The server estimates its cost before running it.
DASHBOARD = gql("""
    query Dashboard($first: Int!) {
      owners(first: $first) {
        totalCount
        nodes {
          firstName
          lastName
          pets {
            name
            species
            medicalRecords {
              title
              date
              invoices {
                invoiceNumber
                status
                totalAmount
                items { name quantity price }
              }
            }
          }
        }
      }
    }
""")

CREATE_OWNER = gql("""
    mutation CreateOwner($input: OwnerInput!) {
      createOwner(input: $input) { id firstName lastName email createdAt }
    }
""")


def execute(
    session: SyncClientSession,
    transport: HTTPXTransport,
    request: GraphQLRequest,
    headers: dict[str, str] | None = None,
) -> ExecutionResult:
    """The whole result (data and extensions), retrying once if rate limited."""
    for attempt in (1, 2):
        try:
            # get_execution_result=True: plain execute() returns only `data`,
            # and extensions.cost is what we want to show.
            return session.execute(
                request, get_execution_result=True, extra_args={"headers": headers or {}}
            )
        except TransportQueryError as error:
            code = ((error.errors or [{}])[0].get("extensions") or {}).get("code")
            if code != "RATE_LIMIT_EXCEEDED" or attempt == 2:
                raise
            # gql keeps the last response's headers on the transport.
            wait = float((transport.response_headers or {}).get("Retry-After", 1))
            wait = min(MAX_RETRY_WAIT, wait)
            print(f"rate limited; retrying once in {wait:g} s", file=sys.stderr)
            time.sleep(wait)
    raise AssertionError("unreachable")


def print_cost(result: ExecutionResult) -> None:
    cost = (result.extensions or {}).get("cost")
    if cost:
        print(
            f"  cost: {cost['requestedNodes']} nodes requested, {cost['actualNodes']} returned,"
            f" {cost['unitsCharged']} unit(s) charged,"
            f" {cost['throttleStatus']['currentlyAvailable']} left this minute"
        )


def run(session: SyncClientSession, transport: HTTPXTransport, first: int) -> None:
    dashboard = execute(
        session, transport, GraphQLRequest(DASHBOARD, variable_values={"first": first})
    )
    owners = (dashboard.data or {})["owners"]
    print(f"owners: {owners['totalCount']} (showing {len(owners['nodes'])})")
    for owner in owners["nodes"]:
        pets = owner["pets"] or []
        records = [r for p in pets for r in p["medicalRecords"] or []]
        invoices = [i for r in records for i in r["invoices"] or []]
        billed = sum(i["totalAmount"] for i in invoices if i["status"] != "CANCELLED")
        print(
            f"  {owner['firstName']} {owner['lastName']}: {len(pets)} pet(s),"
            f" {len(records)} record(s), {len(invoices)} invoice(s), {billed:.2f} billed"
        )
    print_cost(dashboard)

    variables = {"input": {"firstName": "Ada", "lastName": "Example", "email": "ada@example.com"}}
    # The server honours Idempotency-Key on mutations: a retried request can't
    # create the owner twice.
    created = execute(
        session,
        transport,
        GraphQLRequest(CREATE_OWNER, variable_values=variables),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    owner = (created.data or {})["createOwner"]
    print(f"created owner: {owner['firstName']} {owner['lastName']} ({owner['id']})")
    print_cost(created)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ClinovaVet GraphQL client example")
    parser.add_argument("--first", type=int, default=10, help="owners on the dashboard (1-100)")
    args = parser.parse_args(argv)
    key = os.environ.get("CLINOVA_API_KEY")
    if not key:
        print("set CLINOVA_API_KEY (printed by `make run` or `clinova seed`)", file=sys.stderr)
        return 2
    base_url = os.environ.get("CLINOVA_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    transport = HTTPXTransport(
        url=f"{base_url}/graphql", headers={"Authorization": f"Bearer {key}"}, timeout=10.0
    )
    # No fetch_schema_from_transport: the documents are checked by the server anyway,
    # and skipping introspection saves a request (and cost units) per run.
    client = Client(transport=transport)
    try:
        with client as session:
            run(session, transport, args.first)
    except TransportQueryError as error:
        # GraphQL errors carry the same codes as REST in extensions.code.
        for problem in error.errors or []:
            code = (problem.get("extensions") or {}).get("code", "UNKNOWN")
            print(f"error: {code}: {problem.get('message')}", file=sys.stderr)
        return 1
    except TransportError as error:
        print(f"cannot query {base_url}/graphql: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
