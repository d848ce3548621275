"""Every string parameter and argument has one bound, the same on REST and GraphQL."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    get_named_type,
)

from app.database import Database
from app.main import create_app
from app.settings import Settings
from app.text_bounds import max_length, too_long
from graphql_schema.schema import schema
from tests.factories import make_clinic
from tests.graphql_client import count_statements

# Dummy literals by named type, for the arguments a document must also pass.
_LITERALS = {"Int": "1", "Float": "1.5", "Boolean": "true", "DateTime": '"2026-01-15"'}


def _literal(type_: GraphQLInputType) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _literal(type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{_literal(type_.of_type)}]"
    if isinstance(type_, GraphQLInputObjectType):
        required = [
            f"{name}: {_literal(field.type)}"
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        ]
        return "{" + ", ".join(required) + "}"
    if isinstance(type_, GraphQLEnumType):
        return str(next(iter(type_.values)))
    return _LITERALS.get(type_.name, '"x"')


def _root(operation: str) -> GraphQLObjectType:
    root = schema._schema.query_type if operation == "query" else schema._schema.mutation_type
    assert root is not None
    return root


def _string_arguments() -> Iterator[tuple[str, str, str, GraphQLArgument]]:
    """(operation, field, argument, definition) for every String and ID argument."""
    for operation in ("query", "mutation"):
        for field_name, field in _root(operation).fields.items():
            for name, argument in field.args.items():
                if get_named_type(argument.type) in (GraphQLString, GraphQLID):
                    yield operation, field_name, name, argument


STRING_ARGUMENTS = list(_string_arguments())


def _document(operation: str, field_name: str, name: str, value: str) -> str:
    """The field with `name` set to `value` (GraphQL text) and any other required argument."""
    field = _root(operation).fields[field_name]
    others = [
        f"{other}: {_literal(argument.type)}"
        for other, argument in field.args.items()
        if other != name and isinstance(argument.type, GraphQLNonNull)
    ]
    arguments = ", ".join([f"{name}: {value}", *others])
    is_object = isinstance(get_named_type(field.type), GraphQLObjectType)
    return f"{operation} {{ {field_name}({arguments}){' { __typename }' if is_object else ''} }}"


def test_every_string_argument_is_covered() -> None:
    names = {name for _op, _field, name, _arg in STRING_ARGUMENTS}
    assert {"search", "species", "id", "ownerId", "petId", "startDate", "endDate", "after"} <= names


@pytest.mark.parametrize(
    ("operation", "field_name", "name", "argument"),
    STRING_ARGUMENTS,
    ids=[f"{field}.{name}" for _op, field, name, _arg in STRING_ARGUMENTS],
)
async def test_an_argument_over_its_bound_is_refused_before_any_sql(
    db: Database,
    client: httpx.AsyncClient,
    operation: str,
    field_name: str,
    name: str,
    argument: GraphQLArgument,
) -> None:
    clinic = await make_clinic(db)
    too_much = "a" * (max_length(name) + 1)
    inline = _document(operation, field_name, name, json.dumps(too_much))
    declared = _document(operation, field_name, name, "$v").replace(
        operation, f"{operation}($v: {argument.type})", 1
    )
    for payload in ({"query": inline}, {"query": declared, "variables": {"v": too_much}}):
        with count_statements(db.engine) as counter:
            answer = await client.post("/graphql", json=payload, headers=clinic.headers)
        body = answer.json()
        [error] = body["errors"]
        assert error["extensions"]["code"] == "VALIDATION_ERROR", body
        assert error["extensions"]["details"] == too_long(name).details
        assert name in error["message"]
        assert body["data"] is None
        assert len(counter) == 1, counter.statements  # the key lookup, nothing of the document


@pytest.mark.parametrize(
    ("operation", "field_name", "name", "argument"),
    [a for a in STRING_ARGUMENTS if a[0] == "query"],
    ids=[f"{field}.{name}" for op, field, name, _arg in STRING_ARGUMENTS if op == "query"],
)
async def test_an_argument_at_its_bound_is_not_refused_for_its_length(
    db: Database,
    client: httpx.AsyncClient,
    operation: str,
    field_name: str,
    name: str,
    argument: GraphQLArgument,
) -> None:
    clinic = await make_clinic(db)
    document = _document(operation, field_name, name, json.dumps("a" * max_length(name)))
    body = (await client.post("/graphql", json={"query": document}, headers=clinic.headers)).json()
    assert all(e["message"] != too_long(name).message for e in body.get("errors", [])), body


def _rest_string_parameters() -> Iterator[tuple[str, str, dict[str, Any]]]:
    app = create_app(Settings(_env_file=None))
    for path, operations in app.openapi()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            if parameter["in"] != "query":
                continue
            schemas = parameter["schema"].get("anyOf", [parameter["schema"]])
            strings = [s for s in schemas if s.get("type") == "string" and "enum" not in s]
            if strings and "$ref" not in str(schemas):
                yield path, parameter["name"], strings[0]


REST_PARAMETERS = list(_rest_string_parameters())


def test_rest_and_graphql_share_each_bound() -> None:
    graphql = {name for _op, _field, name, _arg in STRING_ARGUMENTS}
    rest = {name for _path, name, _schema in REST_PARAMETERS}
    assert {"search", "species", "ownerId", "petId", "startDate", "endDate"} <= rest & graphql
    assert max_length("search") == 200  # the contract's
    for path, name, declared in REST_PARAMETERS:
        assert declared.get("maxLength") == max_length(name), (path, name)


@pytest.mark.parametrize(
    ("path", "name"),
    [(path, name) for path, name, _schema in REST_PARAMETERS],
    ids=[f"{p}?{n}" for p, n, _s in REST_PARAMETERS],
)
async def test_a_rest_parameter_over_its_bound_is_a_validation_error(
    db: Database, client: httpx.AsyncClient, path: str, name: str
) -> None:
    clinic = await make_clinic(db)
    too_much = {name: "a" * (max_length(name) + 1)}
    answer = await client.get(path, params=too_much, headers=clinic.headers)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert name in error["details"]


async def test_a_variables_default_is_bounded_like_its_value(
    db: Database, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(db)
    document = 'query($s: String = "%s") { owners(search: $s) { totalCount } }' % ("a" * 500_000)
    body = (await client.post("/graphql", json={"query": document}, headers=clinic.headers)).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert error["extensions"]["details"] == {"search": "String should have at most 200 characters"}
