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

SERVICES: tuple[str, ...] = ("progress", "attempts", "activity", "analytics", "reports")
CELERY_SERVICES: tuple[str, ...] = ("activity", "analytics", "reports")

ROLES: frozenset[str] = frozenset({"student", "parent", "teacher", "admin", "service"})

FILE_BROKER_SCHEME = "filesystem"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


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
    #: where the activity service writes archived months (compressed JSON Lines)
    activity_archive_dir: Path = Path("var/archive/activity")
    #: months older than this many whole months are archived and dropped from the database
    activity_archive_after_months: int = 12
    #: activity records older than this many days are deleted, archived copies included
    activity_retention_days: int = 1095
    #: keep query strings in page_url and referrer_url (stripped by default)
    activity_keep_url_query: bool = False

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
    database_urls = {
        service: env.get(
            f"STRIDE_{service.upper()}_DATABASE_URL", f"sqlite:///{var_dir / service}.db"
        )
        for service in SERVICES
    }
    heartbeat = env.get("STRIDE_HEARTBEAT_FILE")
    settings = Settings(
        env=stride_env,
        var_dir=var_dir,
        broker_url=env.get("STRIDE_BROKER_URL", f"{FILE_BROKER_SCHEME}://"),
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
        consumer_prefetch=_int(env, "STRIDE_CONSUMER_PREFETCH", 200),
        consumer_batch_size=_int(env, "STRIDE_CONSUMER_BATCH_SIZE", 100),
        consumer_max_retries=_int(env, "STRIDE_CONSUMER_MAX_RETRIES", 5),
        consumer_gc_threshold=_int(env, "STRIDE_CONSUMER_GC_THRESHOLD", 50_000),
        queue_delivery_limit=_int(env, "STRIDE_QUEUE_DELIVERY_LIMIT", 20),
        relay_batch_size=_int(env, "STRIDE_RELAY_BATCH_SIZE", 500),
        relay_poll_interval=float(env.get("STRIDE_RELAY_POLL_INTERVAL", "0.05")),
        heartbeat_file=Path(heartbeat) if heartbeat else None,
        log_level=env.get("STRIDE_LOG_LEVEL", "INFO"),
        service_token=env.get("STRIDE_SERVICE_TOKEN") or None,
        gateway_port=_int(env, "STRIDE_GATEWAY_PORT", 8080),
        metrics_port=_int(env, "STRIDE_METRICS_PORT", 0) or None,
        broker_heartbeat=_int(env, "STRIDE_BROKER_HEARTBEAT", 30),
        activity_archive_dir=Path(
            env.get("STRIDE_ACTIVITY_ARCHIVE_DIR") or var_dir / "archive" / "activity"
        ).resolve(),
        activity_archive_after_months=_int(env, "STRIDE_ACTIVITY_ARCHIVE_AFTER_MONTHS", 12),
        activity_retention_days=_int(env, "STRIDE_ACTIVITY_RETENTION_DAYS", 1095),
        activity_keep_url_query=_bool(env, "STRIDE_ACTIVITY_KEEP_URL_QUERY", False),
    )
    if settings.is_production:
        _refuse_development_defaults(settings, env)
    return settings


def _refuse_development_defaults(settings: Settings, env: Mapping[str, str]) -> None:
    problems = []
    if "STRIDE_IP_HASH_KEY" not in env:
        problems.append("STRIDE_IP_HASH_KEY must be set in production")
    if not (settings.jwt_jwks_url or settings.jwt_public_key):
        problems.append("STRIDE_JWT_JWKS_URL or STRIDE_JWT_PUBLIC_KEY must be set in production")
    if problems:
        raise ValueError("; ".join(problems))
