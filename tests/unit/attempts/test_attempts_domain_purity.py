from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import services.attempts.domain as domain

pytestmark = pytest.mark.unit

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
DOMAIN_DIR = REPOSITORY_ROOT / "services" / "attempts" / "domain"
#: Calls that would make the domain read a clock, draw unseeded randomness or use the
#: per-process salted hash.
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "monotonic", "hash", "random", "uuid4"}
ALLOWED_IMPORTS = {
    "__future__", "bisect", "collections", "dataclasses", "datetime", "decimal", "enum",
    "fractions", "hashlib", "math", "re", "typing", "unicodedata", "shared",
}  # fmt: skip


def test_every_public_name_is_exported() -> None:
    missing = [name for name in domain.__all__ if not hasattr(domain, name)]

    assert missing == []
    assert len(set(domain.__all__)) == len(domain.__all__)


def domain_modules() -> list[Path]:
    return sorted(DOMAIN_DIR.glob("*.py"))


@pytest.mark.parametrize("module", domain_modules(), ids=lambda path: path.name)
def test_domain_imports_only_pure_standard_modules_and_shared(module: Path) -> None:
    tree = ast.parse(module.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }

    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS


@pytest.mark.parametrize("module", domain_modules(), ids=lambda path: path.name)
def test_domain_reads_no_clock_and_draws_no_unseeded_randomness(module: Path) -> None:
    tree = ast.parse(module.read_text())
    called = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }

    assert not called & FORBIDDEN_CALLS


def test_importing_the_domain_loads_no_web_database_or_broker_library() -> None:
    program = (
        "import sys, services.attempts.domain;"
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'kombu', 'pika', 'celery', 'marshmallow')"
        " if m in sys.modules))"
    )

    output = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert output == "[]"
