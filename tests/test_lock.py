"""Installs are reproducible: pyproject.toml, uv.lock and the hashed requirements agree."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).with_name("uv")
EXPORTS = {
    "requirements/runtime.txt": ["--no-dev"],
    "requirements/dev.txt": ["--extra", "dev"],
}


def _uv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UV), *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_lock_matches_pyproject() -> None:
    # Fails when a dependency was added, removed or re-ranged without `make lock`.
    checked = _uv("lock", "--check")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("path", sorted(EXPORTS))
def test_the_hashed_requirements_are_the_lock(path: str) -> None:
    exported = _uv("export", "--frozen", "--no-emit-project", "--quiet", *EXPORTS[path])
    assert exported.returncode == 0, exported.stderr
    committed = (REPO / path).read_text()
    # The first lines name the command that wrote the file; the pins are what count.
    assert _pins(exported.stdout) == _pins(committed), f"{path} is stale: run `make lock`"
    assert "--hash=sha256:" in committed


def _pins(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


def test_serving_installs_no_test_tools() -> None:
    runtime = (REPO / "requirements/runtime.txt").read_text()
    for tool in ("pytest", "ruff", "mypy", "schemathesis", "playwright"):
        assert f"\n{tool}==" not in runtime, tool
