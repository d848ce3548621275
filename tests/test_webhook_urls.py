"""Webhooks go to public https addresses only (SSRF): refused by the URL rule on write,
and again on the address each delivery would connect to, with no connection tried."""

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.webhooks import urls
from app.webhooks.urls import Refused, address_refusal, resolve
from app.webhooks.worker import Deliverer
from tests.conftest import ADMIN_POSTGRES_URL, Backend
from tests.factories import make_clinic
from tests.graphql_client import codes, gql
from tests.webhook_receiver import Receiver
from tests.webhook_support import CREATE, ENDPOINTS, FAST, Hooks, hooks_fixture  # noqa: F401

REFUSED = [
    "https://10.0.0.1/hooks",
    "https://10.255.1.2:8443/x?y=1",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hooks",
    "https://127.0.0.1/hooks",
    "https://localhost/hooks",
    "https://192.168.1.10/",
    "https://172.16.0.1/",
    "https://100.64.0.1/",
    "https://0.0.0.0/",
    "https://[fd00:ec2::254]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[fe80::1]/",
    "http://93.184.215.14/hooks",  # public, but not https
]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every connection or name lookup tried, other than the test database's; none succeed."""
    tried: list[Any] = []
    database = httpx.URL(ADMIN_POSTGRES_URL.replace("+asyncpg", ""))
    create_connection = asyncio.BaseEventLoop.create_connection
    getaddrinfo = asyncio.BaseEventLoop.getaddrinfo

    async def guarded_connect(self: Any, factory: Any, host: Any = None, port: Any = None,
                              **kwargs: Any) -> Any:  # fmt: skip
        if (host, port) != (database.host, database.port):
            tried.append(("connect", host, port))
            raise OSError("the test forbids this connection")
        return await create_connection(self, factory, host, port, **kwargs)

    async def guarded_lookup(self: Any, host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != database.host:
            tried.append(("lookup", host))
            if host != "localhost":
                raise OSError("the test forbids this lookup")
        return await getaddrinfo(self, host, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", guarded_connect)
    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", guarded_lookup)
    yield tried


@pytest.fixture
async def strict(backend: Backend) -> AsyncIterator[Hooks]:
    """An instance with the default rule: no private addresses, no http."""
    settings = backend.settings.model_copy(update={**FAST, "webhooks_allow_private": False})
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://clinova.test") as client:
        yield Hooks(client, app.state.db, settings, Deliverer(app.state.db))
    await app.state.db.dispose()


async def test_private_and_metadata_urls_are_refused_without_a_connection(
    strict: Hooks, connections: list[Any]
) -> None:
    clinic = await make_clinic(strict.db)
    for url in REFUSED:
        body = await gql(strict.client, clinic, CREATE, {"input": {"url": url}})
        assert codes(body) == ["VALIDATION_ERROR"], url
        assert "url" in body["errors"][0]["extensions"]["details"], url
    listed = await gql(strict.client, clinic, ENDPOINTS)

    assert listed["data"]["webhookEndpoints"] == []
    # The rule alone refused them: "localhost" was looked up (in /etc/hosts), nothing connected.
    assert connections == [("lookup", "localhost")]


async def test_metadata_addresses_are_refused_even_when_private_ones_are_allowed(
    hooks: Hooks, connections: list[Any]
) -> None:
    clinic = await make_clinic(hooks.db)
    for url in ("http://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/"):
        body = await gql(hooks.client, clinic, CREATE, {"input": {"url": url}})
        assert codes(body) == ["VALIDATION_ERROR"], url
        assert "metadata" in body["errors"][0]["extensions"]["details"]["url"]
    await hooks.create(clinic, "http://127.0.0.1:9/hooks")
    assert connections == []


async def test_each_delivery_checks_the_address_it_would_connect_to(
    hooks: Hooks, strict: Hooks
) -> None:
    # Given an endpoint on 127.0.0.1, made while private addresses were allowed...
    clinic = await make_clinic(hooks.db)
    async with Receiver() as receiver:
        https = receiver.url.replace("http://", "https://")
        endpoint, _secret = await hooks.create(clinic, https)
        await hooks.owner(clinic)

        # ...an instance with the default rule refuses to send to it, and says why.
        await strict.deliverer.drain()

        assert receiver.arrivals == []
        [delivery] = (await hooks.deliveries(clinic, endpoint))["nodes"]
    assert delivery["state"] == "PENDING" and delivery["lastStatus"] is None
    assert delivery["lastError"] == (
        "refused, nothing sent: the URL 127.0.0.1 is not a public address "
        "(loopback, private, link-local or reserved)"
    )


async def test_a_name_is_judged_by_every_address_it_resolves_to(
    monkeypatch: pytest.MonkeyPatch, connections: list[Any]
) -> None:
    answers = {
        "rebound.example.test": ("93.184.215.14", "10.0.0.7"),
        "private.example.test": ("192.168.0.3",),
        "public.example.test": ("93.184.215.14",),
    }

    async def lookup(host: str, _port: int) -> tuple[Any, ...]:
        return tuple(ipaddress.ip_address(a) for a in answers[host])

    monkeypatch.setattr(urls, "_lookup", lookup)

    for host in ("rebound.example.test", "private.example.test"):
        with pytest.raises(Refused, match=r"resolves to .* is not a public address"):
            await resolve(f"https://{host}/hooks", allow_private=False)
    target = await resolve("https://public.example.test:8443/hooks", allow_private=False)
    assert target.addresses == (ipaddress.ip_address("93.184.215.14"),)
    assert (target.host, target.port) == ("public.example.test", 8443)
    assert connections == []


def test_the_address_rule() -> None:
    def refusal(text: str, allow_private: bool = False) -> str | None:
        return address_refusal(ipaddress.ip_address(text), allow_private=allow_private)

    assert refusal("93.184.215.14") is None and refusal("2606:4700::1111") is None
    for private in ("10.1.2.3", "127.0.0.1", "::1", "169.254.1.1", "fe80::1", "fc00::1",
                    "100.64.0.1", "0.0.0.0", "224.0.0.1", "::ffff:127.0.0.1"):  # fmt: skip
        assert refusal(private) is not None, private
        assert refusal(private, allow_private=True) is None, private
    assert "metadata" in (refusal("169.254.169.254", allow_private=True) or "")
