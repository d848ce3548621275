"""The cost estimate counts each list by the fan-out its field declares, and no list silently."""

import pytest
import strawberry
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type, parse

from graphql_schema.cost import UnknownFanOut, estimate_nodes, fan_out
from graphql_schema.schema import schema


def _lists_of_objects() -> list[tuple[GraphQLObjectType, str]]:
    found = []
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, definition in type_.fields.items():
            of = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else None
            listed = of if isinstance(of, GraphQLList) else definition.type
            # Lists of objects: a list of scalars adds no node to count.
            if isinstance(listed, GraphQLList) and isinstance(
                get_named_type(listed), GraphQLObjectType
            ):
                found.append((type_, name))
    return found


def test_relationship_lists_count_the_fan_out_their_model_declares() -> None:
    declared = {
        f"{type_.name}.{name}": fan_out(type_, name, type_.fields[name])
        for type_, name in _lists_of_objects()
        if not type_.name.endswith("Connection")
    }

    # As the README states them: pets per owner 5, records per pet 10, invoices
    # per pet 5, per owner 10, per record 2, items per invoice 5.
    assert declared == {
        "Owner.pets": 5,
        "Owner.invoices": 10,
        "Pet.medicalRecords": 10,
        "Pet.invoices": 5,
        "MedicalRecord.invoices": 2,
        "Invoice.items": 5,
        # Webhooks: a clinic's endpoints at most, a delivery's attempts about at most.
        "Query.webhookEndpoints": 20,
        "WebhookDelivery.log": 20,
    }


def test_a_pages_lists_count_one_per_item() -> None:
    pages = [(t, n) for t, n in _lists_of_objects() if t.name.endswith("Connection")]

    assert {n for _, n in pages} == {"edges", "nodes"}
    assert {fan_out(t, n, t.fields[n]) for t, n in pages} == {1}


def test_a_list_without_a_fan_out_is_refused_not_counted_as_one() -> None:
    @strawberry.type
    class Tag:
        name: str

    @strawberry.type
    class Query:
        tags: list[Tag]

    throwaway = strawberry.Schema(query=Query)

    with pytest.raises(UnknownFanOut, match=r"Query\.tags is a list with no fan-out"):
        estimate_nodes(throwaway._schema, parse("{ tags { name } }"), None, None)
