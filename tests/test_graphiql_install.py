"""GraphiQL's npm files are pinned, integrity-checked, and their absence is said plainly."""

import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from graphql_schema import graphiql
from graphql_schema.graphiql import ASSETS, GRAPHIQL_DIR
from graphql_schema.router import ClinovaGraphQLRouter

REPO = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((GRAPHIQL_DIR / "package.json").read_text())
LOCK = json.loads((GRAPHIQL_DIR / "package-lock.json").read_text())


def test_every_package_is_pinned_to_one_exact_version() -> None:
    dependencies = MANIFEST["dependencies"]

    assert "@graphiql/plugin-explorer" in dependencies
    for name, version in dependencies.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}@{version} is a range"
    assert LOCK["packages"][""]["dependencies"] == dependencies


def test_the_lock_holds_an_integrity_hash_for_every_package() -> None:
    packages = {path: entry for path, entry in LOCK["packages"].items() if path}

    assert packages
    for path, entry in packages.items():
        assert entry.get("integrity", "").startswith("sha512-"), path
    for name, version in MANIFEST["dependencies"].items():
        assert packages[f"node_modules/{name}"]["version"] == version


def test_every_served_npm_file_comes_from_a_pinned_package() -> None:
    for file in ASSETS.values():
        if file.startswith("node_modules/"):
            package = re.match(r"node_modules/((?:@[^/]+/)?[^/]+)/", file)
            assert package is not None and package.group(1) in MANIFEST["dependencies"], file


def test_without_npm_make_install_says_so_and_goes_on(tmp_path: Path) -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    stamp = "graphiql/node_modules/.package-lock.json"

    # -B: as on a fresh clone; a PATH without npm (make runs recipes with /bin/sh).
    done = subprocess.run(
        [make, "-B", stamp], cwd=REPO, env={"PATH": str(tmp_path)},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "npm not found" in done.stderr and "make install" in done.stderr


def test_a_server_without_the_files_warns_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(graphiql, "GRAPHIQL_DIR", tmp_path)

    with caplog.at_level(logging.WARNING, logger="clinova.graphiql"):
        ClinovaGraphQLRouter()

    assert "make install" in caplog.text
