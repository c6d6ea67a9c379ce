"""The production topology is correct by construction.

No Docker engine runs where the tests run, so docker-compose.yml, deploy/ and the service
Dockerfiles are checked by reading them: every service has its containers and health
checks, each container sees only its own service's database, the gateway sends each
prefix to the right API, and no secret is written down. Every failure names the file,
the container and what is wrong.
"""

from __future__ import annotations

import gc
import json
import os
import pydoc
import re
import runpy
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from gunicorn.workers.base import Worker as GunicornWorker

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx" / "nginx.conf"
POSTGRES_INIT = ROOT / "deploy" / "postgres" / "init-stride.sql"
RABBITMQ_CONF = ROOT / "deploy" / "rabbitmq" / "rabbitmq.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
DOCKERIGNORE = ROOT / ".dockerignore"

SERVICES = ("progress", "attempts", "activity", "analytics", "reports")
CELERY_SERVICES = ("activity", "analytics", "reports")
INFRASTRUCTURE = ("postgres", "rabbitmq", "gateway")
# Containers besides the migration jobs that log in as the owner of their database, the
# owner's maintenance jobs: activity's archive and retention detach and drop the monthly
# partitions of activity_logs, which only the owner of that table may do
# (deploy/postgres/README.md). Its API and events add partitions through the owner's
# SECURITY DEFINER function, as the runtime role.
OWNER_MAINTENANCE_CONTAINERS = ("activity-worker", "activity-beat")
GATEWAY_PORT = 8080
API_PORT = 8000

# A required compose interpolation, the only way a secret may appear: ${NAME:?message}.
REQUIRED_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z][A-Z0-9_]*):\?[^}]+\}")
ANY_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z][A-Z0-9_]*)[^}]*\}")
SECRET_NAME = re.compile(r"(PASSWORD|PASS|SECRET|TOKEN|KEY)(_FILE)?$")
URL_WITH_PASSWORD = re.compile(
    r"[a-z][a-z0-9+.-]*://(?:\$\{[^}]+\}|[^:/@\s]+):(?P<password>[^@\s]*)@"
)
DATABASE_URL = re.compile(
    r"postgresql\+psycopg://(?P<role>[a-z_]+):(?P<password>\$\{[^}]+\})"
    r"@(?P<host>[a-z0-9-]+):(?P<port>\d+)/(?P<database>[a-z_]+)"
)
DATABASE_URL_KEY = re.compile(r"STRIDE_(?P<service>[A-Z]+)_DATABASE_URL")


# --- what the topology must contain ------------------------------------------------------


def roles_of(service: str) -> tuple[str, ...]:
    """The containers a service runs, by role."""
    roles = ("migrate", "api", "events")
    return (*roles, "worker", "beat") if service in CELERY_SERVICES else roles


def expected_command(service: str, role: str) -> list[str]:
    return {
        "migrate": ["stride", "migrate", service],
        "api": [
            "gunicorn",
            "-c",
            "deploy/gunicorn.conf.py",
            f"services.{service}.app:create_app()",
        ],
        "events": ["stride", "events", service],
        "worker": ["stride", "worker", service],
        "beat": ["stride", "beat", service],
    }[role]


def expected_healthcheck(service: str, role: str) -> list[str] | None:
    """The health command of a role; None for the one-shot migrate job."""
    return {
        "migrate": None,
        "api": ["stride", "health", "--url", f"http://127.0.0.1:{API_PORT}/readyz"],
        "events": [
            *("stride", "health", "--heartbeat", "/tmp/stride-events.heartbeat"),
            *("--max-age", "60"),
        ],
        "worker": ["stride", "health", "--celery", service],
        "beat": [
            "stride",
            "health",
            "--heartbeat",
            "/tmp/stride-beat.heartbeat",
            "--max-age",
            "120",
        ],
    }[role]


def owner_role(service: str) -> str:
    """The role that owns the service's database; the migration job logs in as it."""
    return f"stride_{service}"


def runtime_role(service: str) -> str:
    """The role every other container of the service logs in as: it owns nothing."""
    return f"stride_{service}_app"


def database_role(service: str, role: str) -> str:
    """The login of a container: the owner for the migration job and the owner's
    maintenance jobs, else the runtime role."""
    if role == "migrate" or f"{service}-{role}" in OWNER_MAINTENANCE_CONTAINERS:
        return owner_role(service)
    return runtime_role(service)


def split_container_name(name: str) -> tuple[str, str] | None:
    """'reports-worker' -> ('reports', 'worker'); None for a name outside the scheme."""
    service, _, role = name.partition("-")
    if service in SERVICES and role in roles_of(service):
        return service, role
    return None


# --- reading docker-compose.yml ----------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict), f"{COMPOSE_FILE.name} is not a YAML mapping"
    assert isinstance(data.get("services"), dict), f"{COMPOSE_FILE.name} has no services"
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment_of(container: dict[str, Any]) -> dict[str, str]:
    environment = container.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.partition("=") for item in environment)
        return {key: value for key, _, value in pairs}
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def command_of(container: dict[str, Any]) -> list[str] | None:
    command = container.get("command")
    if command is None:
        return None
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def healthcheck_of(container: dict[str, Any]) -> list[str] | None:
    """The health command without its CMD prefix; None when absent or disabled."""
    healthcheck = container.get("healthcheck")
    if not healthcheck or healthcheck.get("disable"):
        return None
    test = healthcheck.get("test")
    if isinstance(test, str):
        return shlex.split(test)
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        return shlex.split(test[1])
    return [str(part) for part in (test[1:] if test[0] == "CMD" else test)]


def is_disabled(healthcheck: dict[str, Any] | None) -> bool:
    """Whether a compose healthcheck switches off the image's HEALTHCHECK."""
    if not healthcheck:
        return False
    return healthcheck.get("disable") is True or healthcheck.get("test") in (["NONE"], "NONE")


def depends_on_of(container: dict[str, Any]) -> dict[str, str | None]:
    """Dependency name -> condition (None when given as a bare list)."""
    depends_on = container.get("depends_on") or {}
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on)
    return {name: (spec or {}).get("condition") for name, spec in depends_on.items()}


def restart_of(container: dict[str, Any]) -> str | None:
    restart = container.get("restart")
    return "no" if restart is False else restart


def published_ports(container: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    """(host ip, host port, container port) of every published port."""
    ports = []
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            ports.append((port.get("host_ip"), str(port.get("published")), str(port["target"])))
            continue
        parts = str(port).split(":")
        host_ip = parts[0] if len(parts) == 3 else None
        ports.append((host_ip, parts[-2] if len(parts) > 1 else "", parts[-1]))
    return ports


def volume_targets(container: dict[str, Any]) -> dict[str, str]:
    """Mount target -> source of every volume of a container."""
    mounts = {}
    for volume in container.get("volumes") or []:
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume.get("source", "")
        else:
            source, target = str(volume).split(":")[:2]
            mounts[target] = source
    return mounts


def all_strings(node: Any, path: str = "") -> Iterator[tuple[str, str | None, str]]:
    """(path, mapping key or None, value) of every string in a YAML tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                yield f"{path}.{key}", str(key), value
            else:
                yield from all_strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, str):
                # "KEY=value" items of list-form environments.
                key, sep, rest = value.partition("=")
                yield f"{path}[{index}]", key if sep else None, rest if sep else value
            else:
                yield from all_strings(value, f"{path}[{index}]")


# --- reading nginx.conf ------------------------------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None

    def children(self, name: str) -> list[Directive]:
        return [child for child in self.block or [] if child.name == name]

    def walk(self) -> Iterator[Directive]:
        for child in self.block or []:
            yield child
            yield from child.walk()


@dataclass
class Location:
    path: str
    proxy_pass: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    returns: list[str] = field(default_factory=list)
    default_type: str | None = None


NGINX_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def nginx_tokens(text: str) -> Iterator[tuple[str, str]]:
    """("word", text) and ("punct", one of {};) tokens, quotes and comments resolved."""
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif char in "{};":
            yield "punct", char
            i += 1
        elif char in "'\"":
            value, i = [], i + 1
            while text[i] != char:
                if text[i] == "\\":
                    i += 1
                    value.append(NGINX_ESCAPES.get(text[i], text[i]))
                else:
                    value.append(text[i])
                i += 1
            yield "word", "".join(value)
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in "{};":
                i += 1
            yield "word", text[start:i]


def parse_nginx(text: str) -> list[Directive]:
    tokens = list(nginx_tokens(text))
    position = 0

    def block() -> list[Directive]:
        nonlocal position
        directives: list[Directive] = []
        words: list[str] = []
        while position < len(tokens):
            kind, value = tokens[position]
            position += 1
            if kind == "word":
                words.append(value)
            elif value == ";":
                directives.append(Directive(words[0], words[1:]))
                words = []
            elif value == "{":
                directives.append(Directive(words[0], words[1:], block()))
                words = []
            else:
                return directives
        return directives

    return block()


@pytest.fixture(scope="module")
def nginx() -> Directive:
    return Directive("main", [], parse_nginx(NGINX_CONF.read_text()))


@pytest.fixture(scope="module")
def gateway_server(nginx: Directive) -> Directive:
    servers = [
        server
        for server in nginx.walk()
        if server.name == "server"
        and any(str(GATEWAY_PORT) in listen.args[0] for listen in server.children("listen"))
    ]
    assert len(servers) == 1, f"{NGINX_CONF.name}: expected one server listening on {GATEWAY_PORT}"
    return servers[0]


@pytest.fixture(scope="module")
def locations(gateway_server: Directive) -> dict[str, Location]:
    """Gateway locations by their path as written ("/api/progress/", "= /healthz", "@x")."""
    found = {}
    for directive in gateway_server.children("location"):
        location = Location(" ".join(directive.args))
        for child in directive.block or []:
            if child.name == "proxy_pass":
                location.proxy_pass = child.args[0]
            elif child.name == "proxy_set_header":
                location.headers[child.args[0].lower()] = child.args[1]
            elif child.name == "return":
                location.returns = child.args
            elif child.name == "default_type":
                location.default_type = child.args[0]
        found[location.path] = location
    return found


def upstream_servers(nginx: Directive) -> dict[str, list[str]]:
    return {
        upstream.args[0]: [server.args[0] for server in upstream.children("server")]
        for upstream in nginx.walk()
        if upstream.name == "upstream"
    }


def size_in_bytes(size: str) -> int:
    units = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    match = re.fullmatch(r"(\d+)([kmg]?)", size.lower())
    assert match, f"not an nginx size: {size!r}"
    return int(match[1]) * units[match[2]]


# --- reading a Dockerfile ----------------------------------------------------------------


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            instructions.append((instruction.upper(), " ".join(arguments.split())))
    return instructions


def exec_form(arguments: str) -> list[str]:
    """The JSON array of CMD ["a", "b"] (the form that needs no shell)."""
    value = json.loads(arguments)
    assert isinstance(value, list), f"not an exec-form array: {arguments}"
    return [str(part) for part in value]


# --- the services and their containers ---------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_its_containers(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    missing = [
        f"{service}-{role}" for role in roles_of(service) if f"{service}-{role}" not in services
    ]
    assert not missing, f"{COMPOSE_FILE.name}: {service} lacks containers {missing}"
    if service not in CELERY_SERVICES:
        extra = [name for name in (f"{service}-worker", f"{service}-beat") if name in services]
        assert not extra, f"{COMPOSE_FILE.name}: {service} has no Celery app but runs {extra}"


def test_every_container_is_infrastructure_or_a_service_role(
    services: dict[str, dict[str, Any]],
) -> None:
    unknown = [
        name for name in services if name not in INFRASTRUCTURE and not split_container_name(name)
    ]
    assert not unknown, (
        f"{COMPOSE_FILE.name}: containers {unknown} are neither infrastructure "
        f"{INFRASTRUCTURE} nor <service>-<role>; add them to this test deliberately"
    )
    missing = [name for name in INFRASTRUCTURE if name not in services]
    assert not missing, f"{COMPOSE_FILE.name}: infrastructure containers {missing} are missing"


@pytest.mark.parametrize("service", SERVICES)
def test_each_container_runs_its_own_command(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    problems = []
    for role in roles_of(service):
        name = f"{service}-{role}"
        if name not in services:
            continue
        command, expected = command_of(services[name]), expected_command(service, role)
        if command != expected:
            problems.append(f"{name} runs {command}, expected {expected}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_long_running_containers_have_their_health_checks(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    problems = []
    for role in roles_of(service):
        name = f"{service}-{role}"
        if name not in services:
            continue
        expected, actual = expected_healthcheck(service, role), healthcheck_of(services[name])
        if expected is None and not is_disabled(services[name].get("healthcheck")):
            # Without it the container inherits the image's HEALTHCHECK, the API's.
            problems.append(f"{name} is a one-shot job: it needs healthcheck: {{disable: true}}")
        elif expected is not None and actual != expected:
            problems.append(f"{name} health check is {actual}, expected {expected}")
    assert not problems, "\n".join(problems)


def test_infrastructure_has_health_checks(services: dict[str, dict[str, Any]]) -> None:
    expected_programs = {"postgres": "pg_isready", "rabbitmq": "rabbitmq-diagnostics"}
    problems = []
    for name in INFRASTRUCTURE:
        check = healthcheck_of(services.get(name, {}))
        if not check:
            problems.append(f"{name} has no health check")
        elif name in expected_programs and check[0] != expected_programs[name]:
            problems.append(f"{name} health check {check} does not use {expected_programs[name]}")
    gateway_check = " ".join(healthcheck_of(services.get("gateway", {})) or [])
    if f":{GATEWAY_PORT}/healthz" not in gateway_check:
        problems.append(f"gateway health check {gateway_check!r} does not ask its own /healthz")
    rabbitmq_check = healthcheck_of(services.get("rabbitmq", {})) or []
    if not {"ping", "check_port_connectivity"} & set(rabbitmq_check):
        problems.append(
            f"rabbitmq health check {rabbitmq_check} runs neither ping nor a port check"
        )
    assert not problems, "\n".join(problems)


def test_restart_policies(services: dict[str, dict[str, Any]]) -> None:
    problems = []
    for name, container in services.items():
        restart = restart_of(container)
        parsed = split_container_name(name)
        if parsed and parsed[1] == "migrate":
            # "unless-stopped" would run a finished migration again and again.
            if restart != "no" and not str(restart).startswith("on-failure"):
                problems.append(f"{name} is one-shot: restart must be 'no', not {restart!r}")
        elif restart != "unless-stopped":
            problems.append(f"{name} has restart {restart!r}, expected 'unless-stopped'")
    assert not problems, "\n".join(problems)


# --- databases: one per service, seen only by that service -------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_containers_see_only_their_own_database(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    expected_key = f"STRIDE_{service.upper()}_DATABASE_URL"
    problems = []
    for role in roles_of(service):
        name = f"{service}-{role}"
        environment = environment_of(services.get(name, {}))
        keys = sorted(key for key in environment if DATABASE_URL_KEY.fullmatch(key))
        if keys != [expected_key]:
            problems.append(f"{name} gets database URLs {keys}, expected exactly [{expected_key}]")
            continue
        url = environment[expected_key]
        match = DATABASE_URL.fullmatch(url)
        if not match:
            problems.append(
                f"{name}: {expected_key}={url!r} is not "
                "postgresql+psycopg://<role>:${<PASSWORD>:?...}@<host>:<port>/<database>"
            )
            continue
        wanted = {"role": database_role(service, role), "database": f"stride_{service}"}
        wanted |= {"host": "postgres", "port": "5432"}
        for part, value in wanted.items():
            if match[part] != value:
                problems.append(f"{name}: {expected_key} has {part} {match[part]!r}, not {value!r}")
        if not REQUIRED_VARIABLE.fullmatch(match["password"]):
            problems.append(f"{name}: the password in {expected_key} is not ${{NAME:?message}}")
    assert not problems, "\n".join(problems)


def database_login(container: dict[str, Any], service: str) -> str | None:
    """The role a container logs in to its service's database as."""
    url = environment_of(container).get(f"STRIDE_{service.upper()}_DATABASE_URL", "")
    match = DATABASE_URL.fullmatch(url)
    return match["role"] if match else None


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_migration_job_logs_in_as_the_owner(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    """The owner could drop the audit log's triggers; the running processes are not it.

    The migration job logs in as the owner of the database and names, in
    STRIDE_<SERVICE>_RUNTIME_ROLE, the one role every other container logs in as, so that
    `stride migrate` grants that role its tables and only SELECT and INSERT on audit_log.
    The one exception: the owner's maintenance jobs (OWNER_MAINTENANCE_CONTAINERS) log in
    as the owner.
    """
    variable = f"STRIDE_{service.upper()}_RUNTIME_ROLE"
    migrate = f"{service}-migrate"
    owner = read_postgres_init().databases.get(f"stride_{service}")
    migrate_login = database_login(services.get(migrate, {}), service)
    problems = []
    if owner is None or migrate_login != owner:
        problems.append(f"{migrate} logs in as {migrate_login}, not as the owner {owner}")
    others = {
        f"{service}-{role}": database_login(services.get(f"{service}-{role}", {}), service)
        for role in roles_of(service)
        if role != "migrate"
    }
    maintenance = {
        name: login for name, login in others.items() if name in OWNER_MAINTENANCE_CONTAINERS
    }
    running = {name: login for name, login in others.items() if name not in maintenance}
    for name, login in maintenance.items():
        if login != owner:
            problems.append(f"{name} (owner maintenance) logs in as {login}, not as {owner}")
    named = environment_of(services.get(migrate, {})).get(variable)
    logins = set(running.values())
    if len(logins) != 1:
        problems.append(f"{service}'s containers log in as several roles: {running}")
    if owner in logins:
        as_owner = sorted(name for name, login in running.items() if login == owner)
        problems.append(f"{as_owner} log in as the owner {owner}")
    if not named or logins != {named}:
        problems.append(
            f"{migrate} sets {variable}={named!r}, not the role {sorted(map(str, logins))} "
            "the other containers log in as"
        )
    for name in others:
        if variable in environment_of(services.get(name, {})):
            problems.append(f"{name} sets {variable}: only the migration job grants")
    assert not problems, "\n".join(problems)


def test_infrastructure_gets_no_service_database(services: dict[str, dict[str, Any]]) -> None:
    leaks = {
        name: sorted(
            key for key in environment_of(services[name]) if DATABASE_URL_KEY.fullmatch(key)
        )
        for name in INFRASTRUCTURE
        if name in services
    }
    assert not any(leaks.values()), f"infrastructure containers hold service database URLs: {leaks}"


@dataclass(frozen=True)
class PostgresInit:
    sql: str
    roles: dict[str, str]  # role -> its options
    databases: dict[str, str | None]  # database -> owner
    getenv: dict[str, str]  # psql variable -> the environment variable it reads
    revoked: set[str]  # databases whose PUBLIC privileges are revoked
    grants: dict[str, list[tuple[str, str]]]  # role -> (privileges, database) granted
    memberships: list[str]  # GRANT <role> TO ... statements


def read_postgres_init() -> PostgresInit:
    sql = re.sub(r"--[^\n]*", "", POSTGRES_INIT.read_text())
    roles = re.finditer(r"CREATE\s+(?:ROLE|USER)\s+(?P<role>\w+)(?P<options>[^;]*);", sql, re.I)
    databases = re.finditer(
        r"CREATE\s+DATABASE\s+(?P<database>\w+)(?:\s+(?:WITH\s+)?OWNER\s*=?\s*(?P<owner>\w+))?[^;]*;",
        sql,
        re.I,
    )
    revoked = re.findall(r"REVOKE\s+ALL\s+ON\s+DATABASE\s+(\w+)\s+FROM\s+PUBLIC\s*;", sql, re.I)
    grants: dict[str, list[tuple[str, str]]] = {}
    for privileges, database, grantee in re.findall(
        r"GRANT\s+([\w\s,]+?)\s+ON\s+DATABASE\s+(\w+)\s+TO\s+(\w+)\s*;", sql, re.I
    ):
        grants.setdefault(grantee, []).append((" ".join(privileges.upper().split()), database))
    memberships = [
        statement
        for statement in re.findall(r"GRANT\s[^;]*;", sql, re.I)
        if not re.search(r"\sON\s", statement, re.I)
    ]
    return PostgresInit(
        sql=sql,
        roles={match["role"]: match["options"] for match in roles},
        databases={match["database"]: match["owner"] for match in databases},
        getenv=dict(re.findall(r"^\\getenv\s+(\w+)\s+(\w+)\s*$", sql, re.M)),
        revoked=set(revoked),
        grants=grants,
        memberships=memberships,
    )


def test_postgres_init_creates_a_database_an_owner_and_a_runtime_role_per_service(
    services: dict[str, dict[str, Any]],
) -> None:
    init = read_postgres_init()
    owners = {owner_role(service): service for service in SERVICES}
    runtimes = {runtime_role(service): service for service in SERVICES}
    expected_databases = {f"stride_{service}" for service in SERVICES}
    problems = []
    if set(init.roles) != set(owners) | set(runtimes):
        problems.append(
            f"{POSTGRES_INIT.name} creates roles {sorted(init.roles)}, "
            f"not {sorted(set(owners) | set(runtimes))}"
        )
    if set(init.databases) != expected_databases:
        databases = sorted(init.databases)
        problems.append(
            f"{POSTGRES_INIT.name} creates databases {databases}, not {sorted(expected_databases)}"
        )
    for database, owner in init.databases.items():
        if owner != database:
            problems.append(f"database {database} is owned by {owner}, not by role {database}")
        if database not in init.revoked:
            problems.append(
                f"database {database}: PUBLIC keeps CONNECT (no REVOKE ALL ... FROM PUBLIC)"
            )
    # A runtime role may connect to its own database and gets nothing else here: neither
    # another database nor membership of a role (the owner's rights would come with it).
    for role, service in runtimes.items():
        granted = init.grants.get(role, [])
        if granted != [("CONNECT", f"stride_{service}")]:
            problems.append(
                f"runtime role {role} is granted {granted}, "
                f"expected only CONNECT on database stride_{service}"
            )
    for grantee in set(init.grants) - set(runtimes):
        problems.append(f"role {grantee} is granted {init.grants[grantee]} by the init script")
    if init.memberships:
        problems.append(f"{POSTGRES_INIT.name} grants role memberships {init.memberships}")
    powers = {"SUPERUSER", "CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS"}
    postgres_environment = environment_of(services.get("postgres", {}))
    for role, options in init.roles.items():
        words = set(options.upper().split())
        if "LOGIN" not in words:
            problems.append(f"role {role} cannot log in")
        if words & powers:
            problems.append(f"role {role} has more than it needs: {sorted(words & powers)}")
        password = re.search(r"PASSWORD\s+:'(\w+)'", options)
        if not password or password[1] not in init.getenv:
            problems.append(f"role {role}: password is not a psql variable read with \\getenv")
            continue
        variable = init.getenv[password[1]]
        if not REQUIRED_VARIABLE.fullmatch(postgres_environment.get(variable, "")):
            problems.append(f"postgres container does not pass {variable} (for {role}) from .env")
        # The role's password is the one carried by the URL of the containers using it.
        service = owners.get(role) or runtimes.get(role, "")
        container = f"{service}-migrate" if role in owners else f"{service}-api"
        url = environment_of(services.get(container, {})).get(
            f"STRIDE_{service.upper()}_DATABASE_URL", ""
        )
        url_variable = REQUIRED_VARIABLE.search(url)
        if not url_variable or url_variable["name"] != variable:
            problems.append(
                f"role {role} gets its password from {variable}, the URL of {container} does not"
            )
    passwords = [init.getenv.get(name) for name in re.findall(r"PASSWORD\s+:'(\w+)'", init.sql)]
    if len(set(passwords)) != len(passwords):
        problems.append(f"{POSTGRES_INIT.name}: two roles share a password variable {passwords}")
    mounts = volume_targets(services.get("postgres", {}))
    init_mounts = [
        source
        for target, source in mounts.items()
        if target.startswith("/docker-entrypoint-initdb.d")
    ]
    if not any(Path(ROOT, source).resolve() == POSTGRES_INIT for source in init_mounts):
        problems.append(
            f"postgres does not mount {POSTGRES_INIT.name} into /docker-entrypoint-initdb.d"
        )
    assert not problems, "\n".join(problems)


def test_postgres_container(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    postgres = services.get("postgres", {})
    problems = []
    if not re.fullmatch(r"postgres:(16|17)([.-].*)?", str(postgres.get("image"))):
        problems.append(f"postgres image {postgres.get('image')!r} is not the official 16 or 17")
    data = volume_targets(postgres).get("/var/lib/postgresql/data")
    if data not in (compose.get("volumes") or {}):
        problems.append("postgres keeps /var/lib/postgresql/data on no named volume")
    assert not problems, "\n".join(problems)


# --- the broker ---------------------------------------------------------------------------


def test_rabbitmq_container_and_quorum_queues(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    rabbitmq = services.get("rabbitmq", {})
    environment = environment_of(rabbitmq)
    problems = []
    if not re.fullmatch(r"rabbitmq:(3\.13|4\.\d+)[.\w-]*", str(rabbitmq.get("image"))):
        problems.append(f"rabbitmq image {rabbitmq.get('image')!r} is not the official 3.13 or 4.x")
    if environment.get("RABBITMQ_DEFAULT_VHOST") != "stride":
        problems.append("rabbitmq does not create the vhost 'stride' (RABBITMQ_DEFAULT_VHOST)")
    if not rabbitmq.get("hostname"):
        problems.append(
            "rabbitmq has no fixed hostname: its node name, and so its data, would change"
        )
    mounts = volume_targets(rabbitmq)
    if mounts.get("/var/lib/rabbitmq") not in (compose.get("volumes") or {}):
        problems.append("rabbitmq keeps /var/lib/rabbitmq on no named volume")
    config_mounts = [
        source
        for target, source in mounts.items()
        if target.startswith("/etc/rabbitmq/") and Path(ROOT, source).resolve() == RABBITMQ_CONF
    ]
    if not config_mounts:
        problems.append(f"rabbitmq does not mount {RABBITMQ_CONF.name} under /etc/rabbitmq/")
    settings = {
        key.strip(): value.strip()
        for key, _, value in (
            line.partition("=") for line in RABBITMQ_CONF.read_text().splitlines()
        )
        if value and not key.lstrip().startswith("#")
    }
    if settings.get("default_queue_type") != "quorum":
        problems.append(f"{RABBITMQ_CONF.name} does not set default_queue_type = quorum")
    assert not problems, "\n".join(problems)


# --- configuration every Stride process reads ---------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_stride_containers_get_the_production_settings(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    broker = re.compile(r"amqp://[^@]+@rabbitmq:5672/stride")
    problems = []
    for role in roles_of(service):
        name = f"{service}-{role}"
        environment = environment_of(services.get(name, {}))
        wanted = {"STRIDE_ENV": "production", "STRIDE_JWT_ALGORITHM": "RS256"}
        for key, value in wanted.items():
            if environment.get(key) != value:
                problems.append(f"{name}: {key} is {environment.get(key)!r}, expected {value!r}")
        if not broker.fullmatch(environment.get("STRIDE_BROKER_URL", "")):
            problems.append(
                f"{name}: STRIDE_BROKER_URL does not point at vhost 'stride' on rabbitmq"
            )
        for key in (
            "STRIDE_JWT_ISSUER",
            "STRIDE_JWT_AUDIENCE",
            "STRIDE_JWT_JWKS_URL",
            "STRIDE_IP_HASH_KEY",
            "STRIDE_PSEUDONYM_KEY",
        ):
            if not environment.get(key):
                problems.append(f"{name}: {key} is not set")
        if not environment.get("STRIDE_MAX_CONTENT_LENGTH", "").isdigit():
            problems.append(f"{name}: STRIDE_MAX_CONTENT_LENGTH is not a number of bytes")
        if role == "api" and environment.get("PROMETHEUS_MULTIPROC_DIR") != "/tmp/prometheus":
            problems.append(f"{name}: PROMETHEUS_MULTIPROC_DIR is not /tmp/prometheus")
        check = expected_healthcheck(service, role) or []
        if "--heartbeat" in check:
            heartbeat = check[check.index("--heartbeat") + 1]
            if environment.get("STRIDE_HEARTBEAT_FILE") != heartbeat:
                problems.append(
                    f"{name}: STRIDE_HEARTBEAT_FILE is not {heartbeat}, the file it checks"
                )
    assert not problems, "\n".join(problems)


# --- startup order ------------------------------------------------------------------------


def test_depends_on_names_existing_services_with_the_right_condition(
    services: dict[str, dict[str, Any]],
) -> None:
    problems = []
    for name, container in services.items():
        for dependency, condition in depends_on_of(container).items():
            if dependency not in services:
                problems.append(f"{name} depends on {dependency}, which does not exist")
                continue
            wanted = (
                "service_completed_successfully"
                if dependency.endswith("-migrate")
                else "service_healthy"
            )
            if condition != wanted:
                problems.append(
                    f"{name} waits for {dependency} with {condition!r}, expected {wanted!r}"
                )
            if wanted == "service_healthy" and healthcheck_of(services[dependency]) is None:
                problems.append(
                    f"{name} waits for {dependency} to be healthy; it has no health check"
                )
    assert not problems, "\n".join(problems)


def test_depends_on_has_no_cycle(services: dict[str, dict[str, Any]]) -> None:
    finished: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, f"depends_on cycle: {' -> '.join((*trail, name))}"
        if name in finished or name not in services:
            return
        for dependency in depends_on_of(services[name]):
            visit(dependency, (*trail, name))
        finished.add(name)

    for name in services:
        visit(name, ())


@pytest.mark.parametrize("service", SERVICES)
def test_processes_start_after_their_migration(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    problems = []
    for role in roles_of(service):
        name = f"{service}-{role}"
        wanted = (
            {"postgres"} if role == "migrate" else {f"{service}-migrate", "postgres", "rabbitmq"}
        )
        missing = wanted - set(depends_on_of(services.get(name, {})))
        if missing:
            problems.append(f"{name} does not wait for {sorted(missing)}")
    assert not problems, "\n".join(problems)


# --- the gateway --------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_gateway_routes_the_prefix_to_its_api(
    nginx: Directive,
    locations: dict[str, Location],
    services: dict[str, dict[str, Any]],
    service: str,
) -> None:
    prefix = f"/api/{service}"
    location = locations.get(f"{prefix}/")
    assert location, f"{NGINX_CONF.name}: no 'location {prefix}/' on the gateway server"
    match = re.fullmatch(
        r"http://(?P<host>[\w.-]+)(?::(?P<port>\d+))?(?P<uri>/.*)?", location.proxy_pass or ""
    )
    assert match, f"{NGINX_CONF.name}: {prefix}/ has proxy_pass {location.proxy_pass!r}"
    assert match["uri"] == "/", (
        f"{NGINX_CONF.name}: proxy_pass of {prefix}/ must end in '/' so that the prefix is "
        f"stripped; it is {location.proxy_pass!r}"
    )
    upstreams = upstream_servers(nginx)
    if match["host"] in upstreams:
        targets = upstreams[match["host"]]
    else:
        targets = [f"{match['host']}:{match['port'] or 80}"]
    api = f"{service}-api"
    assert targets == [f"{api}:{API_PORT}"], (
        f"{NGINX_CONF.name}: {prefix}/ goes to {targets}, expected [{api}:{API_PORT}]"
    )
    assert command_of(services.get(api, {})) == expected_command(service, "api"), (
        f"{api} does not run the {service} app behind {prefix}/"
    )
    headers = location.headers
    forwarded_prefix = headers.get("x-forwarded-prefix")
    assert forwarded_prefix == prefix, (
        f"{NGINX_CONF.name}: {prefix}/ sets X-Forwarded-Prefix {forwarded_prefix!r}, not {prefix!r}"
    )
    missing = {"host", "x-request-id", "x-forwarded-for", "x-forwarded-proto"} - set(headers)
    assert not missing, f"{NGINX_CONF.name}: {prefix}/ does not set {sorted(missing)}"
    assert "request_id" in headers["x-request-id"], (
        f"{NGINX_CONF.name}: {prefix}/ sends X-Request-ID {headers['x-request-id']!r}, "
        "not derived from $request_id"
    )


def test_gateway_answers_health_and_unknown_paths(locations: dict[str, Location]) -> None:
    health = locations.get("= /healthz")
    assert health and health.returns[:1] == ["200"], (
        f"{NGINX_CONF.name}: 'location = /healthz' must return 200"
    )
    fallback = locations.get("/")
    assert fallback and fallback.returns[:1] == ["404"], (
        f"{NGINX_CONF.name}: 'location /' must return 404 for unknown paths"
    )
    assert "json" in (fallback.default_type or ""), (
        f"{NGINX_CONF.name}: the 404 is served as {fallback.default_type!r}, not JSON"
    )
    body = json.loads(fallback.returns[1])
    assert body.get("status") == 404, f"{NGINX_CONF.name}: the 404 body is {body}"


def test_gateway_logs_json_with_the_request_id(nginx: Directive) -> None:
    formats = {d.args[0]: d.args[1:] for d in nginx.walk() if d.name == "log_format"}
    used = [d.args[1] for d in nginx.walk() if d.name == "access_log" and len(d.args) > 1]
    assert used, f"{NGINX_CONF.name}: no access_log names a log format"
    problems = []
    for name in used:
        arguments = formats.get(name, [])
        if "escape=json" not in arguments:
            problems.append(f"log format {name!r} is not escape=json")
        body = "".join(argument for argument in arguments if argument != "escape=json")
        variable = re.search(r'"request_id":"\$(\w+)"', body)
        if not variable:
            problems.append(f"log format {name!r} has no request_id field")
        elif variable[1] != "request_id":
            # A map may keep the caller's id; it must fall back to nginx's own.
            maps = [
                d for d in nginx.walk() if d.name == "map" and d.args[1:] == [f"${variable[1]}"]
            ]
            if not any("$request_id" in child.args for m in maps for child in m.block or []):
                problems.append(
                    f"${variable[1]} in log format {name!r} never falls back to $request_id"
                )
    assert not problems, "\n".join(problems)


def test_gateway_body_limit_matches_the_apps(
    nginx: Directive, services: dict[str, dict[str, Any]]
) -> None:
    limits = {size_in_bytes(d.args[0]) for d in nginx.walk() if d.name == "client_max_body_size"}
    assert len(limits) == 1, f"{NGINX_CONF.name}: expected one client_max_body_size, found {limits}"
    (limit,) = limits
    mismatched = {
        name: environment_of(container).get("STRIDE_MAX_CONTENT_LENGTH")
        for name, container in services.items()
        if split_container_name(name)
        and environment_of(container).get("STRIDE_MAX_CONTENT_LENGTH") != str(limit)
    }
    assert not mismatched, (
        f"client_max_body_size is {limit} bytes but STRIDE_MAX_CONTENT_LENGTH differs: {mismatched}"
    )
    stated = {int(number) for number in re.findall(r"(\d+) bytes", NGINX_CONF.read_text())}
    assert stated <= {limit}, f"{NGINX_CONF.name} states a limit of {stated} bytes, not {limit}"


def test_gateway_container(services: dict[str, dict[str, Any]]) -> None:
    gateway = services.get("gateway", {})
    problems = []
    if not str(gateway.get("image", "")).startswith("nginx:"):
        problems.append(f"gateway image {gateway.get('image')!r} is not the official nginx")
    if (None, str(GATEWAY_PORT), str(GATEWAY_PORT)) not in published_ports(gateway):
        problems.append(f"gateway does not publish {GATEWAY_PORT}:{GATEWAY_PORT}")
    mounted = [
        source
        for target, source in volume_targets(gateway).items()
        if target.startswith("/etc/nginx/") and Path(ROOT, source).resolve() == NGINX_CONF
    ]
    if not mounted:
        problems.append(f"gateway does not mount {NGINX_CONF.relative_to(ROOT)} under /etc/nginx/")
    waits_for = depends_on_of(gateway)
    for service in SERVICES:
        if waits_for.get(f"{service}-api") != "service_healthy":
            problems.append(f"gateway does not wait for {service}-api to be healthy")
    assert not problems, "\n".join(problems)


def test_only_the_gateway_is_published(services: dict[str, dict[str, Any]]) -> None:
    exposed = {
        name: ports
        for name, container in services.items()
        if name != "gateway"
        and (ports := [port for port in published_ports(container) if port[0] != "127.0.0.1"])
    }
    assert not exposed, f"only the gateway may publish ports beyond this host: {exposed}"


def test_the_gateway_reaches_the_apis_but_not_the_data(
    services: dict[str, dict[str, Any]],
) -> None:
    def networks(name: str) -> set[str]:
        value = services.get(name, {}).get("networks") or ["default"]
        return set(value)

    gateway = networks("gateway")
    problems = [
        f"gateway shares no network with {service}-api"
        for service in SERVICES
        if not gateway & networks(f"{service}-api")
    ]
    problems += [
        f"gateway shares a network with {name}"
        for name in ("postgres", "rabbitmq")
        if gateway & networks(name)
    ]
    assert not problems, "\n".join(problems)


# --- images -------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_containers_are_built_from_their_service_dockerfile(
    services: dict[str, dict[str, Any]], service: str
) -> None:
    expected = {"context": ".", "dockerfile": f"services/{service}/Dockerfile"}
    problems = []
    for role in roles_of(service):
        name = f"{service}-{role}"
        build = services.get(name, {}).get("build")
        if build != expected:
            problems.append(f"{name} builds {build}, expected {expected}")
        # Otherwise compose first tries to pull an image of that name from a registry.
        if services.get(name, {}).get("pull_policy") != "build":
            problems.append(f"{name} may pull its image instead of building it (pull_policy)")
    assert not problems, "\n".join(problems)


def test_every_referenced_dockerfile_exists(services: dict[str, dict[str, Any]]) -> None:
    missing = []
    for name, container in services.items():
        build = container.get("build")
        if build is None:
            continue
        context, dockerfile = (
            (build, "Dockerfile")
            if isinstance(build, str)
            else (build.get("context", "."), build.get("dockerfile", "Dockerfile"))
        )
        if not (ROOT / context / dockerfile).is_file():
            missing.append(f"{name} builds from {Path(context, dockerfile)}, which does not exist")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile(services: dict[str, dict[str, Any]], service: str) -> None:
    path = ROOT / "services" / service / "Dockerfile"
    assert path.is_file(), f"{path.relative_to(ROOT)} does not exist"
    instructions = dockerfile_instructions(path)
    by_name: dict[str, list[str]] = {}
    for instruction, arguments in instructions:
        by_name.setdefault(instruction, []).append(arguments)
    where = path.relative_to(ROOT)
    problems = []
    if not by_name.get("FROM", [""])[0].startswith("python:3.11-slim"):
        problems.append(f"{where}: FROM {by_name.get('FROM')} is not python:3.11-slim")
    users = [arguments.split(":")[0] for arguments in by_name.get("USER", [])]
    if not users or users[-1] in ("root", "0"):
        problems.append(f"{where}: runs as root (USER {users or 'missing'})")
    if not any(
        re.search(r"pip install --no-cache-dir\b.* \.$", run) for run in by_name.get("RUN", [])
    ):
        problems.append(f"{where}: no 'pip install --no-cache-dir ... .' of the copied project")
    if str(API_PORT) not in " ".join(by_name.get("EXPOSE", [])).split():
        problems.append(f"{where}: does not EXPOSE {API_PORT}")
    healthchecks = by_name.get("HEALTHCHECK", [])
    if len(healthchecks) != 1 or " CMD " not in f" {healthchecks[0]}":
        problems.append(f"{where}: expected one HEALTHCHECK ... CMD [...], found {healthchecks}")
    else:
        check = exec_form(f" {healthchecks[0]}".split(" CMD ", 1)[1])
        if check != expected_healthcheck(service, "api"):
            problems.append(f"{where}: HEALTHCHECK runs {check}")
        if check != healthcheck_of(services.get(f"{service}-api", {})):
            problems.append(
                f"{where}: HEALTHCHECK differs from {service}-api's in {COMPOSE_FILE.name}"
            )
    commands = by_name.get("CMD", [])
    if not commands or exec_form(commands[-1]) != expected_command(service, "api"):
        problems.append(f"{where}: CMD {commands} is not {expected_command(service, 'api')}")
    if service == "reports":
        runs = " ".join(by_name.get("RUN", []))
        for library in ("libpango-1.0-0", "libpangoft2-1.0-0"):
            if library not in runs:
                problems.append(f"{where}: WeasyPrint needs {library}, which is not installed")
    assert not problems, "\n".join(problems)


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Whether Docker leaves `path` out of the build context (last matching pattern wins)."""

    def regex(pattern: str) -> re.Pattern[str]:
        parts = re.split(r"(\*\*/|\*\*|\*|\?|\[[^\]]*\])", pattern.strip("/"))
        wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
        return re.compile(
            "".join(
                part if part.startswith("[") else wildcards.get(part, re.escape(part))
                for part in parts
            )
        )

    components = path.split("/")
    prefixes = ["/".join(components[:end]) for end in range(1, len(components) + 1)]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if any(regex(pattern.removeprefix("!")).fullmatch(prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


def test_dockerignore_keeps_secrets_and_local_state_out_of_images() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    needed = [
        "pyproject.toml",
        "shared/config.py",
        "services/progress/app.py",
        "deploy/gunicorn.conf.py",
    ]
    kept_out = [
        ".env",
        ".git/config",
        ".venv/bin/python",
        "var/progress.db",
        "shared/__pycache__/x.pyc",
        "services/progress/stale.pyc",
    ]
    problems = [
        f"{path} is left out of the build context"
        for path in needed
        if dockerignore_excludes(patterns, path)
    ]
    problems += [
        f"{path} would be copied into the images"
        for path in kept_out
        if not dockerignore_excludes(patterns, path)
    ]
    assert not problems, "\n".join(problems)


# --- secrets ------------------------------------------------------------------------------


def test_no_literal_secrets_in_the_compose_file(compose: dict[str, Any]) -> None:
    problems = []
    for path, key, value in all_strings(compose.get("services", {}), "services"):
        if key and SECRET_NAME.search(key):
            if key.endswith("_FILE"):
                if not value.startswith("/run/secrets/"):
                    problems.append(f"{path}: {key} does not point into /run/secrets/")
            elif not REQUIRED_VARIABLE.fullmatch(value):
                problems.append(
                    f"{path}: {key} must be ${{NAME:?message}} from .env, not a literal"
                )
        for url in URL_WITH_PASSWORD.finditer(value):
            if not REQUIRED_VARIABLE.fullmatch(url["password"]):
                problems.append(f"{path}: a URL carries the literal password {url['password']!r}")
    assert not problems, "\n".join(problems)


def test_no_literal_secrets_in_deploy_files() -> None:
    problems = []
    sql = read_postgres_init().sql
    if re.search(r"PASSWORD\s+'", sql, re.I):
        problems.append(f"{POSTGRES_INIT.name} writes a password literally")
    rabbitmq_settings = RABBITMQ_CONF.read_text()
    if re.search(r"^\s*default_(pass|user)\s*=", rabbitmq_settings, re.M):
        problems.append(f"{RABBITMQ_CONF.name} sets the broker credentials literally")
    for line in ENV_EXAMPLE.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#") and SECRET_NAME.search(key) and value.strip():
            problems.append(f"{ENV_EXAMPLE.name}: {key} has a value; secrets are left empty there")
    assert not problems, "\n".join(problems)


def test_env_example_documents_every_variable() -> None:
    text = COMPOSE_FILE.read_text()
    documented = {
        match[1]: match[0].startswith("#")
        for match in re.finditer(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M)
    }
    problems = []
    for variable in sorted({match["name"] for match in ANY_VARIABLE.finditer(text)}):
        if variable not in documented:
            problems.append(
                f"{variable} is used in {COMPOSE_FILE.name} but not in {ENV_EXAMPLE.name}"
            )
    for variable in sorted({match["name"] for match in REQUIRED_VARIABLE.finditer(text)}):
        if documented.get(variable):
            problems.append(f"{variable} is required but commented out in {ENV_EXAMPLE.name}")
    assert not problems, "\n".join(problems)


# --- gunicorn settings --------------------------------------------------------------------


def load_gunicorn_settings() -> dict[str, Any]:
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        "STRIDE_BIND",
        "GUNICORN_WORKERS",
        "GUNICORN_THREADS",
        "GUNICORN_MAX_REQUESTS",
    ):
        monkeypatch.delenv(variable, raising=False)
    settings = load_gunicorn_settings()
    assert settings["bind"] == f"0.0.0.0:{API_PORT}"
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] == 2
    assert settings["workers"] == len(os.sched_getaffinity(0)) + 1, "default is cores + 1"
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (20_000, 2_000)
    assert settings["timeout"] > 0 and settings["forwarded_allow_ips"]
    assert settings["errorlog"] == "-", "logs go to stdout"
    assert settings["accesslog"] is None, "the apps log each request as JSON themselves"
    assert not settings.get("preload_app"), "the app must load after on_starting"

    monkeypatch.setenv("STRIDE_BIND", "127.0.0.1:9000")
    monkeypatch.setenv("GUNICORN_WORKERS", "7")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "1000000")
    settings = load_gunicorn_settings()
    assert (settings["bind"], settings["workers"]) == ("127.0.0.1:9000", 7)
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (1_000_000, 100_000)


def test_a_gunicorn_worker_answers_errors_as_problems_and_freezes_what_it_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After the app is loaded (post_worker_init): gunicorn's own error page is the apps'
    problem+json, and the objects loaded so far are left out of the garbage collector's
    full collections, which otherwise walk them all while holding the GIL."""
    from gunicorn import util

    from shared.http11 import write_problem

    monkeypatch.setattr(util, "write_error", util.write_error)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        load_gunicorn_settings()["post_worker_init"](SimpleNamespace())
        assert util.write_error is write_problem
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_gunicorn_starts_with_an_empty_metrics_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    metrics = tmp_path / "prometheus"
    (metrics / "leftover").mkdir(parents=True)
    (metrics / "counter_4242.db").write_bytes(b"from the previous run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics))

    load_gunicorn_settings()["on_starting"](SimpleNamespace())

    assert metrics.is_dir() and not list(metrics.iterdir())


def test_gunicorn_creates_a_missing_metrics_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    metrics = tmp_path / "not-yet" / "prometheus"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics))

    load_gunicorn_settings()["on_starting"](SimpleNamespace())

    assert metrics.is_dir()


def test_gunicorn_drops_the_live_gauges_of_an_exited_worker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    live_gauge = tmp_path / "gauge_livesum_4242.db"
    counter = tmp_path / "counter_4242.db"
    other_worker = tmp_path / "gauge_livesum_4343.db"
    for path in (live_gauge, counter, other_worker):
        path.write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    load_gunicorn_settings()["child_exit"](SimpleNamespace(), SimpleNamespace(pid=4242))

    assert not live_gauge.exists(), "the exited worker's live gauge is still reported"
    assert counter.exists(), "counters of an exited worker must keep counting in the totals"
    assert other_worker.exists()


def test_gateway_does_not_serve_metrics_to_the_outside(locations: dict[str, Location]) -> None:
    pattern = "~ ^/api/[a-z]+/metrics$"
    assert pattern in locations, "the gateway must refuse /api/<service>/metrics"
    blocked = locations[pattern]
    assert blocked.proxy_pass is None and blocked.returns and blocked.returns[0] == "404"
    assert re.match(pattern.split(" ", 1)[1], "/api/progress/metrics")


# --- rate limits and the gateway's own refusals -------------------------------------------


def limit_zones(nginx: Directive) -> dict[str, tuple[str, int]]:
    """zone name -> (key, requests per second) of every limit_req_zone."""
    zones = {}
    for directive in nginx.walk():
        if directive.name != "limit_req_zone":
            continue
        options = dict(arg.split("=", 1) for arg in directive.args[1:] if "=" in arg)
        rate = re.fullmatch(r"(\d+)r/s", options.get("rate", ""))
        assert rate, f"{NGINX_CONF.name}: limit_req_zone {directive.args} has no rate in r/s"
        zones[options["zone"].split(":", 1)[0]] = (directive.args[0], int(rate[1]))
    return zones


def limits_of(block: Directive) -> dict[str, int]:
    """zone -> burst of the limit_req directives set directly in ``block``."""
    limits = {}
    for directive in block.children("limit_req"):
        options = dict(arg.split("=", 1) for arg in directive.args if "=" in arg)
        assert "nodelay" in directive.args, f"{NGINX_CONF.name}: {directive.args} delays"
        limits[options["zone"]] = int(options.get("burst", "0"))
    return limits


def test_gateway_rate_limits_are_the_local_gateways(
    nginx: Directive, gateway_server: Directive
) -> None:
    """nginx limits per client address and per token with the defaults of
    STRIDE_RATE_LIMIT_* (shared/config.py), the policy shared/gateway.py applies locally."""
    from shared.config import load_settings

    defaults = load_settings({})
    zones = limit_zones(nginx)
    by_key = {key: (name, rate) for name, (key, rate) in zones.items()}
    token_keys = [
        f"${d.args[1].lstrip('$')}"
        for d in nginx.walk()
        if d.name == "map" and d.args[0] == "$http_authorization"
    ]
    assert len(token_keys) == 1, f"{NGINX_CONF.name}: no map of $http_authorization to a key"
    (token_key,) = token_keys
    assert set(by_key) == {"$binary_remote_addr", token_key}, zones
    client_zone, client_rate = by_key["$binary_remote_addr"]
    token_zone, token_rate = by_key[token_key]
    assert client_rate == defaults.rate_limit_client
    assert token_rate == defaults.rate_limit_token
    server_limits = limits_of(gateway_server)
    assert server_limits == {
        client_zone: defaults.rate_limit_client_burst,
        token_zone: defaults.rate_limit_token_burst,
    }
    for location in gateway_server.children("location"):
        own = limits_of(location)
        assert not own or own == server_limits, (
            f"{NGINX_CONF.name}: location {location.args} sets other limits {own}"
        )
    [status] = [d.args for d in nginx.walk() if d.name == "limit_req_status"]
    assert status == ["429"]


def named_error_location(gateway_server: Directive, status: str) -> Directive:
    """The location an error_page sends ``status`` to: named (@x) or internal (= /x)."""
    for directive in gateway_server.children("error_page"):
        if status in directive.args[:-1]:
            target = directive.args[-1]
            [location] = [
                child
                for child in gateway_server.children("location")
                if child.args in ([target], ["=", target])
            ]
            if not target.startswith("@"):
                assert location.children("internal"), f"{target} is reachable from outside"
            return location
    raise AssertionError(f"{NGINX_CONF.name}: no error_page for {status}")


@pytest.mark.parametrize(
    ("status", "answered"), [("429", "429"), ("414", "414"), ("494", "431"), ("413", "413")]
)
def test_gateway_answers_its_own_refusals_as_problem_json(
    gateway_server: Directive, status: str, answered: str
) -> None:
    location = named_error_location(gateway_server, status)
    [returned] = location.children("return")
    assert returned.args[0] == answered
    body = json.loads(returned.args[1].replace("$request_id", "r"))
    assert body["status"] == int(answered) and body["type"].startswith("https://stride.dev/")
    [default_type] = location.children("default_type")
    assert default_type.args == ["application/problem+json"]
    if status == "429":
        headers = {d.args[0]: d.args[1] for d in location.children("add_header")}
        assert headers["Retry-After"] == "1"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_gateway_sends_its_own_request_id_and_the_clients_apart(
    nginx: Directive, locations: dict[str, Location]
) -> None:
    for service in SERVICES:
        headers = locations[f"/api/{service}/"].headers
        assert headers["x-request-id"] == "$request_id", service
        variable = headers["x-client-request-id"].lstrip("$")
        [mapping] = [
            d
            for d in nginx.walk()
            if d.name == "map" and d.args == ["$http_x_request_id", f"${variable}"]
        ]
        assert ["default", ""] in [[child.name, *child.args] for child in mapping.block or []]


def test_header_lines_nginx_lets_through_reach_the_app(nginx: Directive) -> None:
    """An oversized token gets the app's 401, not a refusal by gunicorn."""
    [buffers] = [d.args for d in nginx.walk() if d.name == "large_client_header_buffers"]
    settings = load_gunicorn_settings()
    assert settings["limit_request_field_size"] >= size_in_bytes(buffers[1])
    assert size_in_bytes(buffers[1]) >= 64 * 1024 + len("Authorization: Bearer ")


#: the worker class of each API container that does not run gthread, the default: the
#: APIs of short requests run ``shared.serving.KeepAliveWorker`` (one request at a time
#: per worker, no thread hand-overs); activity's API runs its threaded loops, so that
#: concurrent POST /logs of one worker share one commit
KEEPALIVE_WORKERS = {
    "progress": "shared.serving.KeepAliveWorker",
    "attempts": "shared.serving.KeepAliveWorker",
    "activity": "shared.serving.ThreadedKeepAliveWorker",
}


def test_apis_run_the_keepalive_workers_behind_a_buffering_gateway(
    services: dict[str, dict[str, Any]], nginx: Directive
) -> None:
    for name, container in services.items():
        worker_class = environment_of(container).get("GUNICORN_WORKER_CLASS")
        placed = split_container_name(name)
        if placed is not None and placed[1] == "api" and placed[0] in KEEPALIVE_WORKERS:
            assert worker_class == KEEPALIVE_WORKERS[placed[0]], name
        else:
            assert worker_class is None, f"{name} runs gthread, the default"
    for path in set(KEEPALIVE_WORKERS.values()):
        worker = pydoc.locate(path)
        assert isinstance(worker, type) and issubclass(worker, GunicornWorker)
    activity = environment_of(services["activity-api"])
    assert "16" in activity.get("GUNICORN_THREADS", "")  # the activity API's loops per worker
    # at its rate, a worker is replaced about every half hour, not every 40 s
    assert ":-1000000}" in activity.get("GUNICORN_MAX_REQUESTS", "")
    for name, container in services.items():
        if name != "activity-api":
            assert "GUNICORN_MAX_REQUESTS" not in environment_of(container), name
    # The worker reads a request in its one thread: nginx must hand it whole requests.
    buffering = [d.args for d in nginx.walk() if d.name == "proxy_request_buffering"]
    assert all(args == ["on"] for args in buffering), buffering
