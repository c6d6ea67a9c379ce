"""Each service, from its own create_app(), on its own PostgreSQL database and RabbitMQ."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from shared.config import SERVICES, Settings
from shared.db import audit_table
from shared.gateway import create_service_app_by_name

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", SERVICES)
def test_service_migrates_its_own_database_and_is_ready(
    service: str,
    settings_for: Callable[..., Settings],
    make_postgres_database: Callable[[str], str],
    rabbitmq_url: str,
):
    url = make_postgres_database(service)
    settings = settings_for(
        STRIDE_BROKER_URL=rabbitmq_url, **{f"STRIDE_{service.upper()}_DATABASE_URL": url}
    )
    app = create_service_app_by_name(service, {"STRIDE_SETTINGS": settings})
    client = app.test_client()

    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json
    checks = ready.json["checks"]
    assert {"database", "broker"} <= set(checks) and set(checks.values()) == {"ok"}
    spec = client.get("/openapi.json").json
    assert spec["info"]["title"] == f"Stride {service} service"

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        assert {"outbox", "inbox", "audit_log", "alembic_version"} <= tables
        connection.execute(
            audit_table.insert().values(
                occurred_at=sa.func.now(),
                actor="t",
                role="admin",
                action="read",
                resource="x",
                outcome="allowed",
            )
        )
        connection.commit()
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            connection.execute(audit_table.delete())
    engine.dispose()


def test_readiness_fails_when_the_broker_is_unreachable(
    settings_for: Callable[..., Settings], make_postgres_database: Callable[[str], str]
):
    settings = settings_for(
        STRIDE_BROKER_URL="amqp://guest:guest@127.0.0.1:1/%2F",
        STRIDE_ACTIVITY_DATABASE_URL=make_postgres_database("activity"),
    )
    client = create_service_app_by_name("activity", {"STRIDE_SETTINGS": settings}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["broker"].startswith("unavailable")
