"""The Grafana dashboard in ops/grafana charts only metrics that /metrics exports."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.database import Database
from tests.factories import make_clinic, make_owner, make_pet
from tests.graphql_client import gql

DASHBOARD = Path(__file__).resolve().parent.parent / "ops" / "grafana" / "clinova.json"

# PromQL words that are neither functions (those are followed by "(") nor metrics.
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset"})


def metric_names(expression: str) -> set[str]:
    """The metrics a PromQL expression selects: what is left once strings, label
    matchers, ranges, label lists and function calls are taken out."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", bare)
    bare = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", bare)
    names = re.findall(r"(?<![\w$.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", bare)
    return set(names) - _KEYWORDS


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for panel in panels for p in (panel, *_panels(panel.get("panels", [])))]


def _expressions(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in _panels(dashboard["panels"]) for t in p.get("targets", [])]


def test_metric_names_are_read_out_of_promql() -> None:
    assert metric_names(
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{x=~"$i", s="5.."}[5m])))'
    ) == {"a_bucket"}
    assert metric_names("sum(rate(a_total[$__rate_interval])) / sum(b) and on (x) c") == {
        "a_total", "b", "c",
    }  # fmt: skip


async def test_every_metric_the_dashboard_charts_is_exported(
    db: Database, client: httpx.AsyncClient
) -> None:
    # Given: traffic that makes every labelled series appear (an error, a batch).
    clinic = await make_clinic(db)
    owner = await make_owner(db, clinic.clinic_id)
    await make_pet(db, clinic.clinic_id, owner.id)
    await client.get("/api/v1/owners/nope", headers=clinic.headers)
    await gql(client, clinic, "{ owners { nodes { pets { name } } } }")

    exported = {
        sample.name
        for family in text_string_to_metric_families((await client.get("/metrics")).text)
        for sample in family.samples
    }
    dashboard = json.loads(DASHBOARD.read_text())
    charted = {name for expression in _expressions(dashboard) for name in metric_names(expression)}

    # Then: the dashboard charts requests, latency, errors, 429s, pool use and
    # webhook deliveries, all of them exported.
    assert charted >= {
        "clinova_requests_total",
        "clinova_request_duration_seconds_bucket",
        "clinova_errors_total",
        "clinova_rate_limit_refusals_total",
        "clinova_db_pool_connections_in_use",
        "clinova_webhook_deliveries_total",
    }
    assert charted <= exported, charted - exported


def test_every_panel_queries_the_chosen_prometheus() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    (chooser,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    charts = [p for p in _panels(dashboard["panels"]) if p["type"] != "row"]

    assert chooser["query"] == "prometheus"
    assert charts and all(p["targets"] for p in charts)
    for panel in charts:
        for source in (panel["datasource"], *(t["datasource"] for t in panel["targets"])):
            assert source == {"type": "prometheus", "uid": f"${{{chooser['name']}}}"}, panel
