"""Every service is built in the same rooms (ARCHITECTURE.md, "Repository layout").

* each package under ``services/`` has ``app.py``, ``api``, ``schemas.py``, ``usecases``,
  ``store``, ``events.py``, ``handlers.py``, ``domain/``, ``models.py`` and
  ``migrations/`` (``api``, ``usecases`` and ``store`` may be packages), and ``tasks.py``
  exactly where Celery runs;
* module names say what they hold: no grab bag, no module named like its service, and
  a module directly in a service does not share its name with one of its rooms' modules;
* no ``api`` module executes SQL or commits: views parse, authorize, call a use case and
  serialize;
* no service imports another service.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
SERVICES = sorted(path.name for path in SERVICES_DIR.iterdir() if (path / "__init__.py").is_file())
CELERY_SERVICES = {"activity", "analytics", "reports"}

MODULE_ROOMS = ("app", "schemas", "events", "handlers", "models")
MODULE_OR_PACKAGE_ROOMS = ("api", "usecases", "store")
GRAB_BAGS = {"utils", "util", "helpers", "helper", "common", "misc", "derived", "facts", "lib"}
SQL_CONSTRUCTS = {"select", "insert", "update", "delete", "text"}


def modules_of(service: str) -> Iterator[Path]:
    yield from sorted((SERVICES_DIR / service).rglob("*.py"))


def api_modules_of(service: str) -> list[Path]:
    root = SERVICES_DIR / service
    modules = [root / "api.py"] if (root / "api.py").is_file() else []
    return modules + sorted((root / "api").glob("*.py"))


def missing_rooms(service: str) -> list[str]:
    root = SERVICES_DIR / service
    missing = [f"{name}.py" for name in MODULE_ROOMS if not (root / f"{name}.py").is_file()]
    for name in MODULE_OR_PACKAGE_ROOMS:
        if not ((root / f"{name}.py").is_file() or (root / name / "__init__.py").is_file()):
            missing.append(f"{name}.py or {name}/")
    if not (root / "domain" / "__init__.py").is_file():
        missing.append("domain/")
    if not (root / "migrations" / "env.py").is_file():
        missing.append("migrations/")
    if service in CELERY_SERVICES and not (root / "tasks.py").is_file():
        missing.append("tasks.py")
    return missing


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_has_every_room(service: str) -> None:
    assert missing_rooms(service) == [], f"services/{service} lacks {missing_rooms(service)}"


@pytest.mark.parametrize("service", SERVICES)
def test_only_celery_services_have_tasks(service: str) -> None:
    has_tasks = (SERVICES_DIR / service / "tasks.py").is_file()
    assert has_tasks == (service in CELERY_SERVICES), (
        f"services/{service}: tasks.py belongs to the services Celery runs "
        f"({', '.join(sorted(CELERY_SERVICES))}) and to them only"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_module_names_say_what_they_hold(service: str) -> None:
    root = SERVICES_DIR / service
    wrong = []
    for path in modules_of(service):
        if "migrations" in path.relative_to(root).parts:
            continue
        if path.stem in GRAB_BAGS:
            wrong.append(f"{path.relative_to(SERVICES_DIR)} is a grab bag")
        if path.stem == path.parent.name or path.stem == service:
            wrong.append(f"{path.relative_to(SERVICES_DIR)} is named like its package")
    in_rooms = {
        path.stem for path in modules_of(service) if path.parent != root and path.stem != "__init__"
    }
    for path in root.glob("*.py"):
        if path.stem in in_rooms and path.stem not in MODULE_OR_PACKAGE_ROOMS:
            wrong.append(f"{path.relative_to(SERVICES_DIR)} shares its name with a room's module")
    assert wrong == []


def sql_and_commits(path: Path) -> list[str]:
    """Where the module imports SQL constructs, executes statements or commits."""
    tree = ast.parse(path.read_text(), str(path))
    sqlalchemy_aliases = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names = {alias.name for alias in node.names} & SQL_CONSTRUCTS
            if names:
                found.append(f"line {node.lineno}: imports {', '.join(sorted(names))}")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sqlalchemy"):
                    sqlalchemy_aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr in {"execute", "commit"}:
            found.append(f"line {node.lineno}: .{node.attr}(")
        if (
            node.attr in SQL_CONSTRUCTS
            and isinstance(node.value, ast.Name)
            and node.value.id in sqlalchemy_aliases
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_api_modules_run_no_sql_and_never_commit(service: str) -> None:
    found = {
        str(path.relative_to(SERVICES_DIR)): sql_and_commits(path)
        for path in api_modules_of(service)
    }
    assert {name: lines for name, lines in found.items() if lines} == {}


def imported_services(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            if node.module == "services":
                names.extend(f"services.{alias.name}" for alias in node.names)
    return {name.split(".")[1] for name in names if name.startswith("services.")}


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another_service(service: str) -> None:
    foreign = {
        str(path.relative_to(SERVICES_DIR)): sorted(imported_services(path) - {service})
        for path in modules_of(service)
    }
    assert {name: others for name, others in foreign.items() if others} == {}


def test_the_checks_see_sql_in_a_view(tmp_path: Path) -> None:
    view = tmp_path / "api.py"
    view.write_text(
        "import sqlalchemy as sa\n"
        "from sqlalchemy import select\n"
        "def get(session):\n"
        "    session.execute(sa.text('SELECT 1'))\n"
        "    session.commit()\n"
    )
    assert sql_and_commits(view) == [
        "line 2: imports select",
        "line 4: .execute(",
        "line 5: .commit(",
        "line 4: sa.text",
    ]


def test_the_checks_see_an_import_of_another_service(tmp_path: Path) -> None:
    module = tmp_path / "usecases.py"
    module.write_text("from services import progress\nimport services.attempts.store\n")
    assert imported_services(module) == {"progress", "attempts"}
