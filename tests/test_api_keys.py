import re

import pytest
from sqlalchemy import select

from app import api_keys
from app.database import Database, write_transaction
from app.errors import Forbidden, Unauthorized
from app.key_cache import KeyCache
from app.models import ApiKey
from app.scopes import require_scope
from app.tenancy import mark_unscoped
from tests.factories import make_clinic, make_key


async def _authenticate(db: Database, header: str | None) -> object:
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        # A cache no watcher vouches for: every call looks the key up.
        return await api_keys.authenticate(session, header, KeyCache())


def test_secrets_have_the_contract_format() -> None:
    assert re.fullmatch(r"sk_test_[0-9A-Za-z]{40}", api_keys.generate_secret(live=False))
    assert re.fullmatch(r"sk_live_[0-9A-Za-z]{40}", api_keys.generate_secret(live=True))


async def test_only_a_hash_of_the_secret_is_stored(db: Database) -> None:
    clinic = await make_clinic(db)
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        key = await session.scalar(select(ApiKey).where(ApiKey.id == clinic.key_id))
    assert key is not None
    stored = " ".join(str(v) for v in vars(key).values())
    assert clinic.secret not in stored
    assert key.key_hash == api_keys.hash_secret(clinic.secret)


async def test_a_valid_bearer_key_resolves_to_its_principal(db: Database) -> None:
    clinic = await make_key(db, (await make_clinic(db)).clinic_id, scopes=["pets:read"])
    principal = await _authenticate(db, f"Bearer {clinic.secret}")
    assert principal == clinic.principal


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic abc",
        "Bearer sk_test_short",
        "Bearer sk_prod_" + "a" * 40,
        "Bearer sk_test_" + "a" * 40,
    ],
)
async def test_missing_malformed_or_unknown_keys_are_refused(
    db: Database, header: str | None
) -> None:
    with pytest.raises(Unauthorized):
        await _authenticate(db, header)


async def test_a_revoked_key_is_refused(db: Database) -> None:
    clinic = await make_clinic(db)
    async with db.sessionmaker() as session:
        mark_unscoped(session)
        async with write_transaction(session):
            await api_keys.revoke_key(session, clinic.key_id)
    with pytest.raises(Unauthorized, match="revoked"):
        await _authenticate(db, f"Bearer {clinic.secret}")


def test_require_scope_names_the_missing_scope() -> None:
    from app.scopes import Principal

    principal = Principal(clinic_id="c1", key_id="k1", scopes=frozenset({"owners:read"}))
    require_scope(principal, "owners:read")
    with pytest.raises(Forbidden) as raised:
        require_scope(principal, "records:read")
    assert raised.value.details == {"requiredScope": "records:read"}
    assert raised.value.code == "INSUFFICIENT_PERMISSIONS"
