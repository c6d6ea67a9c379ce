"""The local gateway's edge (shared/gateway.py): client addresses, request ids and rate
limits with nginx's limit_req policy, before any app sees a request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from shared.auth import mint_token
from shared.config import Settings
from shared.gateway import EdgeMiddleware, RateLimiter, create_gateway

pytestmark = pytest.mark.security


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class EchoApp:
    """A WSGI app that records the environ it was called with."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.seen.append(dict(environ))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def edge(settings: Settings, clock: Clock | None = None) -> tuple[Client, EchoApp]:
    app = EchoApp()
    middleware = EdgeMiddleware(app, settings, clock=clock or Clock())
    return Client(middleware), app


# -- the leaky bucket ---------------------------------------------------------------------
@pytest.mark.unit
def test_the_limiter_allows_burst_plus_one_then_drains_at_its_rate():
    clock = Clock()
    limiter = RateLimiter(10, 5, clock=clock)
    assert [limiter.hit("a") for _ in range(6)] == [None] * 6
    assert limiter.hit("a") == 1
    assert limiter.hit("b") is None  # keys are independent
    clock.now += 0.1  # one request's worth drained
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 1


@pytest.mark.unit
def test_retry_after_is_the_time_the_excess_takes_to_drain():
    clock = Clock()
    limiter = RateLimiter(1, 3, clock=clock)
    for _ in range(4):
        assert limiter.hit("a") is None
    assert limiter.hit("a") == 1
    clock.now += 0.5
    assert limiter.hit("a") == 1
    clock.now += 0.5
    assert limiter.hit("a") is None


@pytest.mark.unit
def test_a_rate_of_zero_means_no_limit():
    limiter = RateLimiter(0, 0, clock=Clock())
    assert all(limiter.hit("a") is None for _ in range(1000))


@pytest.mark.unit
def test_the_limiter_remembers_a_bounded_number_of_keys():
    limiter = RateLimiter(1, 0, clock=Clock(), max_keys=10)
    for index in range(100):
        limiter.hit(str(index))
    assert len(limiter._state) == 10


# -- through the middleware -----------------------------------------------------------------
def test_a_students_token_sending_hundreds_of_requests_at_once_is_limited(
    settings_for: Callable[..., Settings],
):
    settings = settings_for()
    client, _app = edge(settings)
    token = mint_token(settings, sub="USR-STU-1", role="student")
    statuses = []
    for index in range(300):
        response = client.get(
            "/x",
            headers={"Authorization": f"Bearer {token}"},
            environ_base={"REMOTE_ADDR": f"10.0.{index // 250}.{index % 250}"},
        )
        statuses.append(response.status_code)
    allowed = settings.rate_limit_token_burst + 1
    assert statuses[:allowed] == [200] * allowed
    assert set(statuses[allowed:]) == {429}
    refused = client.get(
        "/x", headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json["status"] == 429
    assert refused.json["request_id"] == refused.headers["X-Request-ID"]


def test_one_address_sending_too_many_requests_is_limited(settings_for: Callable[..., Settings]):
    settings = settings_for(STRIDE_RATE_LIMIT_CLIENT="5", STRIDE_RATE_LIMIT_CLIENT_BURST="3")
    client, _app = edge(settings)
    statuses = [client.get("/x").status_code for _ in range(10)]
    assert statuses == [200] * 4 + [429] * 6


def test_service_tokens_have_their_own_limit(settings_for: Callable[..., Settings]):
    settings = settings_for(STRIDE_RATE_LIMIT_CLIENT="0")
    client, _app = edge(settings)
    service = mint_token(settings, sub="svc-analytics", role="service")
    statuses = [
        client.get("/x", headers={"Authorization": f"Bearer {service}"}).status_code
        for _ in range(200)
    ]
    assert set(statuses) == {200}


def test_limits_can_be_turned_off_for_benchmarks(settings_for: Callable[..., Settings]):
    settings = settings_for(STRIDE_RATE_LIMIT_CLIENT="0", STRIDE_RATE_LIMIT_TOKEN="0")
    client, _app = edge(settings)
    token = mint_token(settings, sub="USR-STU-1", role="student")
    statuses = {
        client.get("/x", headers={"Authorization": f"Bearer {token}"}).status_code
        for _ in range(200)
    }
    assert statuses == {200}


def test_forwarded_for_is_ignored_from_an_untrusted_peer(settings_for: Callable[..., Settings]):
    client, app = edge(settings_for())
    client.get(
        "/x",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/evil",
        },
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    [environ] = app.seen
    assert environ["HTTP_X_FORWARDED_FOR"] == "198.51.100.7"
    assert "HTTP_X_FORWARDED_PROTO" not in environ
    assert "HTTP_X_FORWARDED_PREFIX" not in environ


def test_forwarded_for_is_read_from_a_trusted_proxy(settings_for: Callable[..., Settings]):
    client, app = edge(settings_for(STRIDE_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.1"))
    client.get(
        "/x",
        headers={"X-Forwarded-For": "203.0.113.66, 203.0.113.9, 10.1.1.1"},
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )
    # The rightmost address no trusted proxy vouches for: 203.0.113.66 was written by
    # the client itself and is not believed.
    assert app.seen[0]["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    client.get("/x", headers={"X-Forwarded-For": "junk"}, environ_base={"REMOTE_ADDR": "10.2.2.2"})
    assert app.seen[1]["HTTP_X_FORWARDED_FOR"] == "10.2.2.2"


def test_the_gateway_sets_its_own_request_id(settings_for: Callable[..., Settings]):
    client, app = edge(settings_for())
    for _ in range(2):
        client.get("/x", headers={"X-Request-ID": "same-id-every-time"})
    client.get("/x", headers={"X-Request-ID": "not well formed!"})
    ids = [environ["HTTP_X_REQUEST_ID"] for environ in app.seen]
    assert len(set(ids)) == 3 and "same-id-every-time" not in ids
    client_ids = [environ.get("HTTP_X_CLIENT_REQUEST_ID") for environ in app.seen]
    assert client_ids == ["same-id-every-time", "same-id-every-time", None]


# -- the real gateway -----------------------------------------------------------------------
@pytest.fixture
def gateway(settings: Settings) -> Iterator[Client]:
    wsgi = create_gateway(["progress"], settings=settings, config={"TESTING": True})
    yield Client(wsgi)


def test_the_gateway_serves_the_apps_behind_its_edge(gateway: Client, settings: Settings):
    token = mint_token(settings, sub="USR-STU-1", role="student")
    response = gateway.get(
        "/api/progress/enrollments",
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "6.6.6.6"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_gateways_own_404_is_the_apps(gateway: Client):
    response = gateway.get("/nowhere")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
