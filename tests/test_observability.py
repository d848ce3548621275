import json
import logging
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from app.observability import (
    MULTIPROCESS_DIRECTORY,
    forget_dead_workers,
    note_webhook_delivery,
    worker_metrics,
)
from tests.conftest import Backend, app_client
from tests.factories import make_clinic, make_owner


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "clinova.access"]


async def test_one_json_line_per_request(
    backend: Backend, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    clinic = await make_clinic(backend.db)
    owner = await make_owner(backend.db, clinic.clinic_id)
    with caplog.at_level(logging.INFO, logger="clinova.access"):
        rest = await client.get(
            f"/api/v1/owners/{owner.id}", headers={**clinic.headers, "X-Request-Id": "obs-rest-1"}
        )
        graphql = await client.post(
            "/graphql",
            headers=clinic.headers,
            json={"query": "query Dashboard { owners { nodes { pets { name } } } }"},
        )
        missing = await client.get("/api/v1/owners/nope", headers=clinic.headers)

    first, second, third = _lines(caplog)
    assert rest.headers["X-Request-Id"] == "obs-rest-1"
    assert first == first | {
        "requestId": "obs-rest-1",
        "clinicId": clinic.clinic_id,
        "keyId": clinic.key_id,
        "method": "GET",
        "route": "/api/v1/owners/{id}",
        "status": 200,
        "errors": [],
    }
    assert first["sqlStatements"] >= 2 and first["durationMs"] > 0
    assert second["operation"] == "Dashboard" and second["route"] == "/graphql"
    assert second["requestId"] == graphql.headers["X-Request-Id"]
    assert third["status"] == 404 and third["errors"] == ["RESOURCE_NOT_FOUND"]
    assert missing.headers["X-Request-Id"] == third["requestId"]


async def test_metrics_in_prometheus_format(backend: Backend, client: httpx.AsyncClient) -> None:
    clinic = await make_clinic(backend.db)
    await client.get("/api/v1/owners/nope", headers=clinic.headers)
    await client.post(
        "/graphql", headers=clinic.headers, json={"query": "{ owners { nodes { pets { name } } } }"}
    )

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "clinova_requests_total",
        "clinova_request_duration_seconds_bucket",
        'clinova_errors_total{code="RESOURCE_NOT_FOUND"}',
        "clinova_rate_limit_refusals_total",
        "clinova_db_pool_connections_in_use",
        'clinova_dataloader_batch_size_count{loader="PetsByOwnerIdLoader"}',
    ):
        assert name in text, name
    assert 'route="/api/v1/owners/{id}"' in text


async def test_metrics_can_be_protected_or_turned_off(backend: Backend) -> None:
    async with app_client(backend.settings.database_url, metrics_token="s3cret") as protected:
        refused = await protected.get("/metrics")
        allowed = await protected.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    async with app_client(backend.settings.database_url, metrics_enabled=False) as off:
        hidden = await off.get("/metrics")

    assert refused.status_code == 401 and allowed.status_code == 200
    assert hidden.status_code == 404


async def test_cors_is_closed_by_default(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/graphql",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_allows_configured_origins(backend: Backend) -> None:
    clinic = await make_clinic(backend.db)
    async with app_client(
        backend.settings.database_url, cors_origins=["https://app.example"]
    ) as http:
        preflight = await http.options(
            "/graphql",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        other = await http.options(
            "/graphql",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        actual = await http.get(
            "/api/v1/owners", headers={**clinic.headers, "Origin": "https://app.example"}
        )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert actual.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-ratelimit-remaining" in actual.headers["access-control-expose-headers"].lower()


async def test_no_metric_label_comes_from_the_caller(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    clinic = await make_clinic(backend.db)
    before = len((await client.get("/metrics")).text)
    # Given: twenty operations with long names, and a method nobody knows.
    for n in range(20):
        name = f"Op{n}_" + "x" * 50_000
        await client.post(
            "/graphql", headers=clinic.headers,
            json={"query": f"query {name} {{ owners(first: 1) {{ totalCount }} }}"},
        )  # fmt: skip
    await client.request("FROBNICATE", "/api/v1/owners", headers=clinic.headers)

    text = (await client.get("/metrics")).text

    # Then: /metrics names the operation by the schema, the method as "other",
    # and has not grown with what callers sent.
    assert "xxxxxxxx" not in text and "FROBNICATE" not in text
    assert 'operation="query owners"' in text
    assert 'method="other"' in text
    assert len(text) - before < 20_000


async def test_a_metrics_token_of_any_bytes_is_just_wrong(backend: Backend) -> None:
    async with app_client(backend.settings.database_url, metrics_token="s3cret") as protected:
        odd = await protected.get("/metrics", headers={"Authorization": b"Bearer s3cr\xe9t\xff"})  # type: ignore[dict-item]
    assert odd.status_code == 401
    assert odd.json()["error"]["code"] == "INVALID_API_KEY"


async def test_the_pool_gauge_follows_the_connections_in_use(backend: Backend) -> None:
    def in_use() -> float | None:
        return REGISTRY.get_sample_value("clinova_db_pool_connections_in_use")

    # Given: another engine made after this one (the gauge is not the newest pool's).
    async with app_client(backend.settings.database_url):
        before = in_use()
        async with backend.db.engine.connect() as held:
            await held.exec_driver_sql("SELECT 1")
            during = in_use()
        after = in_use()

    assert before is not None
    assert (during, after) == (before + 1, before)


def test_a_dead_workers_pool_gauge_is_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: the gauge files of a live worker (this process) and of one that died.
    dead_pid = 2**22 + 1  # beyond the kernel's largest pid: no such process
    for pid in (os.getpid(), dead_pid):
        (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
    (tmp_path / f"counter_{dead_pid}.db").write_bytes(b"")
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, str(tmp_path))

    # When: a worker starts.
    forget_dead_workers()

    # Then: the dead worker's gauge is gone; its counters still count.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"gauge_livesum_{os.getpid()}.db", f"counter_{dead_pid}.db"]
    )


def test_one_worker_keeps_its_metrics_in_process() -> None:
    with worker_metrics(1):
        assert MULTIPROCESS_DIRECTORY not in os.environ
    with worker_metrics(2):
        directory = Path(os.environ[MULTIPROCESS_DIRECTORY])
        assert directory.is_dir() and not any(directory.iterdir())
    assert MULTIPROCESS_DIRECTORY not in os.environ and not directory.exists()


async def test_webhook_deliveries_are_exported_by_outcome(client: httpx.AsyncClient) -> None:
    def delivered() -> float | None:
        return REGISTRY.get_sample_value(
            "clinova_webhook_deliveries_total", {"outcome": "delivered"}
        )

    before = delivered()
    note_webhook_delivery("delivered")

    text = (await client.get("/metrics")).text
    for outcome in ("delivered", "retrying", "failed", "disabled"):
        assert f'clinova_webhook_deliveries_total{{outcome="{outcome}"}}' in text
    assert before is not None and delivered() == before + 1
