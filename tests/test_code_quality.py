"""ruff, mypy and the import contracts stay clean: the suite fails, not just a hook."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)  # fmt: skip


def test_ruff_lint_and_format() -> None:
    lint = _run(str(BIN / "ruff"), "check", ".")
    fmt = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert lint.returncode == 0, lint.stdout
    assert fmt.returncode == 0, fmt.stdout


def test_mypy_strict() -> None:
    typed = _run(str(BIN / "mypy"), "app", "graphql_schema", "rest_compat")
    assert typed.returncode == 0, typed.stdout


def test_import_contracts() -> None:
    # pyproject.toml [tool.importlinter]: the core imports no web framework, nor the
    # surfaces; the surfaces never import each other.
    contracts = _run(str(BIN / "lint-imports"))
    assert contracts.returncode == 0, contracts.stdout
