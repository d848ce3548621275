from pathlib import Path

from graphql import GraphQLObjectType, get_named_type

from graphql_schema.schema import schema

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"

# The contract's public names: type -> field -> argument names.
CONTRACT: dict[str, dict[str, list[str]]] = {
    "Query": {
        "owner": ["id"],
        "owners": ["search", "first", "after", "offset"],
        "pet": ["id"],
        "pets": ["ownerId", "species", "first", "after", "offset"],
        "medicalRecord": ["id"],
        "medicalRecords": ["petId", "startDate", "endDate", "first", "after", "offset"],
        "invoice": ["id"],
        "invoices": ["status", "ownerId", "first", "after", "offset"],
    },
    "Owner": {
        f: []
        for f in "id firstName middleName lastName email phone address lastVisit "
        "createdAt updatedAt pets invoices".split()
    },
    "Pet": {
        f: []
        for f in "id name species breed birthdate weight neutered createdAt "
        "updatedAt owner medicalRecords invoices".split()
    },
    "MedicalRecord": {
        f: []
        for f in "id date title description diagnosis treatment "
        "differentialDiagnosis bloodTest urineTest createdById createdAt pet "
        "invoices".split()
    },
    "Invoice": {
        f: []
        for f in "id invoiceNumber totalAmount status createdAt items owner pet "
        "medicalRecord".split()
    },
    "InvoiceItem": {"name": [], "price": [], "quantity": []},
    "OwnerConnection": {"edges": [], "nodes": [], "pageInfo": [], "totalCount": []},
    "PageInfo": {f: [] for f in "hasNextPage hasPreviousPage startCursor endCursor".split()},
    "Mutation": {
        "createOwner": ["input"],
        "updateOwner": ["id", "input"],
        "deleteOwner": ["id"],
        "createPet": ["input"],
        "updatePet": ["id", "input"],
        "deletePet": ["id"],
        "createMedicalRecord": ["input"],
        "updateMedicalRecord": ["id", "input"],
        "createInvoice": ["input"],
        "markInvoicePaid": ["id"],
        "cancelInvoice": ["id"],
    },
}


def test_schema_graphql_matches_the_schema() -> None:
    # Regenerate with `make schema` and review the diff: frontends build on this file.
    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n"


def test_every_contract_name_is_there_with_its_arguments() -> None:
    types = schema._schema.type_map
    for type_name, fields in CONTRACT.items():
        graphql_type = types[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        for field_name, args in fields.items():
            assert field_name in graphql_type.fields, f"{type_name}.{field_name}"
            assert list(graphql_type.fields[field_name].args) == args, field_name
    assert set(types["InvoiceStatus"].values) == {"PAID", "UNPAID", "CANCELLED"}  # type: ignore[attr-defined]
    assert get_named_type(types["MedicalRecord"].fields["bloodTest"].type).name == "JSON"  # type: ignore[attr-defined]


def test_every_type_and_field_is_described() -> None:
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        assert graphql_type.description, name
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            assert field.description, f"{name}.{field_name}"
