"""Configuration: environment variables only, read here and nowhere else.

Every setting has an embedded default that runs the platform on one machine with no
servers: one SQLite file per service under ``var/`` and kombu's filesystem transport
under ``var/broker/``. Production points the same processes at PostgreSQL and
RabbitMQ with ``STRIDE_<SERVICE>_DATABASE_URL`` and ``STRIDE_BROKER_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

SERVICES: tuple[str, ...] = ("progress", "attempts", "activity", "analytics", "reports")
CELERY_SERVICES: tuple[str, ...] = ("activity", "analytics", "reports")

ROLES: frozenset[str] = frozenset({"student", "parent", "teacher", "admin", "service"})

FILE_BROKER_SCHEME = "filesystem"
AMQP_SCHEMES = frozenset({"amqp", "amqps"})
DATABASE_SCHEMES = frozenset({"sqlite", "postgresql"})


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the variable and what to do."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def broker_url_of(raw: str) -> str:
    """``STRIDE_BROKER_URL`` checked and written one way, read alike by kombu and pika.

    The virtual host is always percent-encoded (``/`` is ``%2F``): kombu reads
    ``amqp://host//`` as vhost ``/`` and pika as ``""``, so the relay (pika) and the
    consumers (kombu) would otherwise talk to different vhosts.
    """
    hint = "use amqp://user:password@host:5672/vhost (RabbitMQ) or filesystem:// (embedded)"
    scheme, separator, _rest = raw.partition("://")
    if not separator:
        raise ConfigError(f"STRIDE_BROKER_URL {raw!r} is not a URL; {hint}")
    if scheme == FILE_BROKER_SCHEME:
        return f"{FILE_BROKER_SCHEME}://"
    if scheme not in AMQP_SCHEMES:
        raise ConfigError(f"STRIDE_BROKER_URL scheme {scheme!r} is not supported; {hint}")
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"STRIDE_BROKER_URL has a bad port ({exc}); {hint}") from exc
    if not parts.hostname:
        raise ConfigError(f"STRIDE_BROKER_URL {raw!r} names no host; {hint}")
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    vhost = unquote(path) or "/"
    netloc = parts.netloc.rpartition("@")[0]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    authority = f"{netloc}@{host}" if netloc else host
    if port is not None:
        authority += f":{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{authority}/{quote(vhost, safe='')}{query}"


def _database_url(env: Mapping[str, str], service: str, var_dir: Path) -> str:
    name = f"STRIDE_{service.upper()}_DATABASE_URL"
    raw = env.get(name) or f"sqlite:///{var_dir / service}.db"
    scheme = raw.partition("://")[0].partition("+")[0]
    if "://" not in raw or scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"{name} {raw!r} is not a database URL Stride uses; use "
            f"postgresql+psycopg://user:password@host:5432/stride_{service} or sqlite:///path.db"
        )
    return raw


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean (true/false), got {raw!r}")


def _delays(env: Mapping[str, str], name: str, default: str) -> tuple[float, ...]:
    raw = env.get(name) or default
    try:
        delays = tuple(float(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name} must be seconds separated by commas, got {raw!r}") from exc
    if not delays or any(delay <= 0 for delay in delays):
        raise ConfigError(f"{name} must list positive delays in seconds, got {raw!r}")
    return delays


@dataclass(frozen=True)
class Settings:
    """Everything a Stride process may be configured with."""

    env: str
    var_dir: Path
    broker_url: str
    database_urls: Mapping[str, str]
    jwt_algorithm: str
    jwt_issuer: str
    jwt_audience: str
    jwt_public_key: str | None
    jwt_private_key: str | None
    jwt_jwks_url: str | None
    jwt_leeway_seconds: int
    ip_hash_key: str
    max_content_length: int
    auto_migrate: bool
    consumer_prefetch: int
    consumer_batch_size: int
    consumer_max_retries: int
    queue_delivery_limit: int
    relay_batch_size: int
    relay_poll_interval: float
    heartbeat_file: Path | None
    log_level: str
    service_token: str | None
    gateway_port: int
    metrics_port: int | None
    broker_heartbeat: int
    extra: Mapping[str, str] = field(default_factory=dict)
    #: allocations between collections of the youngest generation in a consumer (0: Python's)
    consumer_gc_threshold: int = 50_000
    #: seconds before the n-th retry of a failed event (the last one repeats)
    consumer_retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0)
    #: refusals by the broker after which an outbox row is marked dead
    outbox_max_attempts: int = 20
    #: per service, the PostgreSQL role the services run as (not the owner): ``stride
    #: migrate`` lets it read and write, and only read and append the audit log
    runtime_roles: Mapping[str, str] = field(default_factory=dict)
    #: addresses or networks (CIDR) of proxies whose X-Forwarded-For the local gateway trusts
    trusted_proxies: tuple[str, ...] = ()
    #: local gateway rate limits (same policy as nginx limit_req): requests per second and
    #: burst, per client address, per token subject, per service-token subject; 0: no limit
    rate_limit_client: int = 100
    rate_limit_client_burst: int = 200
    rate_limit_token: int = 20
    rate_limit_token_burst: int = 40
    rate_limit_service: int = 1000
    rate_limit_service_burst: int = 2000
    #: HMAC key of the pseudonymous ids in views that leave a class (analytics)
    pseudonym_key: str = "development-only-pseudonym-key"
    #: smallest group a view that leaves a class shows (smaller ones are suppressed)
    min_group_size: int = 10
    #: differential-privacy budget (total epsilon) per calendar month for those views
    privacy_budget: float = 10.0
    #: the origin clients reach the gateway at; links handed out (certificates, shares) start
    #: here (default: the local gateway, http://localhost:STRIDE_GATEWAY_PORT)
    public_url: str = "http://localhost:8080"
    #: base URL of each service's API for service-to-service calls (default: through the gateway)
    service_urls: Mapping[str, str] = field(default_factory=dict)
    #: where the activity service writes archived months (compressed JSON Lines)
    activity_archive_dir: Path = Path("var/archive/activity")
    #: months older than this many whole months are archived and dropped from the database
    activity_archive_after_months: int = 12
    #: activity records older than this many days are deleted, archived copies included
    activity_retention_days: int = 1095
    #: keep query strings in page_url and referrer_url (stripped by default)
    activity_keep_url_query: bool = False
    #: analytics rolls up a UTC day of activity records once it ended this many hours ago
    analytics_rollup_grace_hours: int = 48
    #: an analytics API process caches the facts of courses with at most this many
    #: students in all (beside the course read last)
    analytics_cache_students: int = 20_000

    def service_url(self, service: str) -> str:
        return self.service_urls.get(service) or f"{self.public_url}/api/{service}"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_file_broker(self) -> bool:
        return self.broker_url.split("://", 1)[0] == FILE_BROKER_SCHEME

    @property
    def broker_dir(self) -> Path:
        return self.var_dir / "broker"

    def database_url(self, service: str) -> str:
        try:
            return self.database_urls[service]
        except KeyError as exc:
            raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICES)}") from exc


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    var_dir = Path(env.get("STRIDE_VAR_DIR", "var")).resolve()
    stride_env = env.get("STRIDE_ENV", "development")
    database_urls = {service: _database_url(env, service, var_dir) for service in SERVICES}
    heartbeat = env.get("STRIDE_HEARTBEAT_FILE")
    settings = Settings(
        env=stride_env,
        var_dir=var_dir,
        broker_url=broker_url_of(env.get("STRIDE_BROKER_URL") or f"{FILE_BROKER_SCHEME}://"),
        database_urls=database_urls,
        jwt_algorithm=env.get("STRIDE_JWT_ALGORITHM", "RS256"),
        jwt_issuer=env.get("STRIDE_JWT_ISSUER", "https://identity.stride.local"),
        jwt_audience=env.get("STRIDE_JWT_AUDIENCE", "stride"),
        jwt_public_key=env.get("STRIDE_JWT_PUBLIC_KEY") or None,
        jwt_private_key=env.get("STRIDE_JWT_PRIVATE_KEY") or None,
        jwt_jwks_url=env.get("STRIDE_JWT_JWKS_URL") or None,
        jwt_leeway_seconds=_int(env, "STRIDE_JWT_LEEWAY_SECONDS", 30),
        ip_hash_key=env.get("STRIDE_IP_HASH_KEY", "development-only-ip-hash-key"),
        max_content_length=_int(env, "STRIDE_MAX_CONTENT_LENGTH", 1024 * 1024),
        auto_migrate=_bool(env, "STRIDE_AUTO_MIGRATE", stride_env != "production"),
        # two batches: the next one arrives while the last one is applied
        consumer_prefetch=_int(
            env, "STRIDE_CONSUMER_PREFETCH", 2 * _int(env, "STRIDE_CONSUMER_BATCH_SIZE", 500)
        ),
        consumer_batch_size=_int(env, "STRIDE_CONSUMER_BATCH_SIZE", 500),
        consumer_max_retries=_int(env, "STRIDE_CONSUMER_MAX_RETRIES", 5),
        consumer_retry_delays=_delays(env, "STRIDE_CONSUMER_RETRY_DELAYS", "1,5,30,120,600"),
        consumer_gc_threshold=_int(env, "STRIDE_CONSUMER_GC_THRESHOLD", 50_000),
        queue_delivery_limit=_int(env, "STRIDE_QUEUE_DELIVERY_LIMIT", 20),
        relay_batch_size=_int(env, "STRIDE_RELAY_BATCH_SIZE", 500),
        outbox_max_attempts=_int(env, "STRIDE_OUTBOX_MAX_ATTEMPTS", 20),
        runtime_roles={
            service: role
            for service in SERVICES
            if (role := env.get(f"STRIDE_{service.upper()}_RUNTIME_ROLE"))
        },
        relay_poll_interval=_float(env, "STRIDE_RELAY_POLL_INTERVAL", 0.05),
        heartbeat_file=Path(heartbeat) if heartbeat else None,
        log_level=env.get("STRIDE_LOG_LEVEL", "INFO"),
        service_token=env.get("STRIDE_SERVICE_TOKEN") or None,
        gateway_port=_int(env, "STRIDE_GATEWAY_PORT", 8080),
        metrics_port=_int(env, "STRIDE_METRICS_PORT", 0) or None,
        broker_heartbeat=_int(env, "STRIDE_BROKER_HEARTBEAT", 30),
        trusted_proxies=tuple(
            item.strip()
            for item in env.get("STRIDE_TRUSTED_PROXIES", "").split(",")
            if item.strip()
        ),
        rate_limit_client=_int(env, "STRIDE_RATE_LIMIT_CLIENT", 100),
        rate_limit_client_burst=_int(env, "STRIDE_RATE_LIMIT_CLIENT_BURST", 200),
        rate_limit_token=_int(env, "STRIDE_RATE_LIMIT_TOKEN", 20),
        rate_limit_token_burst=_int(env, "STRIDE_RATE_LIMIT_TOKEN_BURST", 40),
        rate_limit_service=_int(env, "STRIDE_RATE_LIMIT_SERVICE", 1000),
        rate_limit_service_burst=_int(env, "STRIDE_RATE_LIMIT_SERVICE_BURST", 2000),
        pseudonym_key=env.get("STRIDE_PSEUDONYM_KEY", "development-only-pseudonym-key"),
        min_group_size=_int(env, "STRIDE_MIN_GROUP_SIZE", 10),
        privacy_budget=_float(env, "STRIDE_PRIVACY_BUDGET", 10.0),
        # unset: the gateway this machine runs (`stride up` on STRIDE_GATEWAY_PORT)
        public_url=(
            env.get("STRIDE_PUBLIC_URL")
            or f"http://localhost:{_int(env, 'STRIDE_GATEWAY_PORT', 8080)}"
        ).rstrip("/"),
        service_urls={
            service: env[f"STRIDE_{service.upper()}_API_URL"].rstrip("/")
            for service in SERVICES
            if env.get(f"STRIDE_{service.upper()}_API_URL")
        },
        activity_archive_dir=Path(
            env.get("STRIDE_ACTIVITY_ARCHIVE_DIR") or var_dir / "archive" / "activity"
        ).resolve(),
        activity_archive_after_months=_int(env, "STRIDE_ACTIVITY_ARCHIVE_AFTER_MONTHS", 12),
        activity_retention_days=_int(env, "STRIDE_ACTIVITY_RETENTION_DAYS", 1095),
        activity_keep_url_query=_bool(env, "STRIDE_ACTIVITY_KEEP_URL_QUERY", False),
        analytics_rollup_grace_hours=_int(env, "STRIDE_ANALYTICS_ROLLUP_GRACE_HOURS", 48),
        analytics_cache_students=_int(env, "STRIDE_ANALYTICS_CACHE_STUDENTS", 20_000),
    )
    if settings.is_production:
        _refuse_development_defaults(settings, env)
    return settings


def _refuse_development_defaults(settings: Settings, env: Mapping[str, str]) -> None:
    problems = []
    if "STRIDE_IP_HASH_KEY" not in env:
        problems.append("STRIDE_IP_HASH_KEY must be set in production")
    if "STRIDE_PSEUDONYM_KEY" not in env:
        problems.append("STRIDE_PSEUDONYM_KEY must be set in production")
    if not (settings.jwt_jwks_url or settings.jwt_public_key):
        problems.append("STRIDE_JWT_JWKS_URL or STRIDE_JWT_PUBLIC_KEY must be set in production")
    if problems:
        raise ConfigError("; ".join(problems))
