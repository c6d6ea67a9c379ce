"""Every malformed, forged or stale token is refused with 401, before any handler runs."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask.testing import FlaskClient

from shared.auth import TOKEN_CACHE_SECONDS, AuthenticationError, KeyPair, TokenVerifier
from shared.config import Settings
from shared.http import UNAUTHORIZED_DETAIL
from tests.support.probe import create_probe_app

pytestmark = pytest.mark.security

PATH = "/students/USR-STU-1/records"


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    return create_probe_app(settings).test_client()


def claims(settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "USR-STU-1",
        "role": "student",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def get(client: FlaskClient, token: str | None, header: str | None = None, **extra: str) -> Any:
    headers = {"Authorization": header if header is not None else f"Bearer {token}", **extra}
    return client.get(PATH, headers=headers)


def test_a_valid_token_is_accepted(client: FlaskClient, settings: Settings, jwt_keys: KeyPair):
    token = jwt.encode(claims(settings), jwt_keys.private_pem, algorithm="RS256")
    assert get(client, token).status_code == 200


def _alg_none(settings: Settings, _keys: KeyPair) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = claims(settings)
    body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in body.items()}
    return f"{header}.{b64(json.dumps(body).encode())}."


def _wrong_key(settings: Settings, _keys: KeyPair) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims(settings), other, algorithm="RS256")


def _hs256_with_public_key(settings: Settings, keys: KeyPair) -> str:
    # The classic algorithm-confusion attack: HMAC keyed with the RSA public key.
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = claims(settings)
    body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in body.items()}
    signing_input = f"{header}.{b64(json.dumps(body).encode())}"
    import hashlib
    import hmac

    signature = hmac.new(keys.public_pem.encode(), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{b64(signature.digest())}"


def _expired(settings: Settings, keys: KeyPair) -> str:
    past = datetime.now(UTC) - timedelta(hours=2)
    body = claims(settings, iat=past, exp=past + timedelta(minutes=5))
    return jwt.encode(body, keys.private_pem, algorithm="RS256")


def _without(claim: str) -> Callable[[Settings, KeyPair], str]:
    def build(settings: Settings, keys: KeyPair) -> str:
        return jwt.encode(claims(settings, **{claim: None}), keys.private_pem, algorithm="RS256")

    return build


def signed(payload: Any, keys: KeyPair) -> str:
    """Any JSON payload, validly signed (PyJWT refuses to encode some of them)."""
    header = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    key = serialization.load_pem_private_key(keys.private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{b64(signature)}"


def _with(**overrides: Any) -> Callable[[Settings, KeyPair], str]:
    def build(settings: Settings, keys: KeyPair) -> str:
        body = claims(settings, **overrides)
        body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in body.items()}
        return signed(body, keys)

    return build


def _tampered(settings: Settings, keys: KeyPair) -> str:
    token = jwt.encode(claims(settings), keys.private_pem, algorithm="RS256")
    header, _body, signature = token.split(".")
    body = claims(settings, role="admin")
    body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in body.items()}
    return f"{header}.{b64(json.dumps(body).encode())}.{signature}"


FORGERIES = {
    "alg none": _alg_none,
    "wrong key": _wrong_key,
    "HS256 signed with the RS256 public key": _hs256_with_public_key,
    "expired": _expired,
    "no exp": _without("exp"),
    "no iat": _without("iat"),
    "no iss": _without("iss"),
    "no aud": _without("aud"),
    "no sub": _without("sub"),
    "wrong aud": _with(aud="another-platform"),
    "wrong iss": _with(iss="https://evil.example"),
    "unknown role": _with(role="superuser"),
    "students claim not a list": _with(role="parent", students="USR-STU-1"),
    "issued in the future": _with(iat=datetime.now(UTC) + timedelta(hours=1)),
    "tampered payload": _tampered,
    # Validly signed, but a claim of the wrong JSON type (RFC 7519 types).
    "role a list": _with(role=["admin"]),
    "role a number": _with(role=1),
    "role an object": _with(role={"admin": True}),
    "exp a numeric string": _with(
        exp=str(int((datetime.now(UTC) + timedelta(hours=1)).timestamp()))
    ),
    "iat a numeric string": _with(iat=str(int(datetime.now(UTC).timestamp()))),
    "nbf a numeric string": _with(nbf=str(int(datetime.now(UTC).timestamp()))),
    "exp a boolean": _with(exp=True),
    "exp an array": _with(exp=[4102444800]),
    "exp beyond any date": _with(exp=10**400),
    "exp negative": _with(exp=-1),
    "sub a number": _with(sub=12345),
    "sub a list": _with(sub=["USR-STU-1"]),
    "sub empty": _with(sub=""),
    "sub longer than an id": _with(sub="U" * 500),
    "iss a list": _with(iss=["https://identity.stride.local"]),
    "aud a number": _with(aud=7),
    "jti a number": _with(jti=7),
    "students of numbers": _with(role="parent", students=[1, 2]),
    "courses a string": _with(role="teacher", courses="CRS-MATH-1001"),
    "courses with an empty id": _with(role="teacher", courses=[""]),
}


FORGERIES["payload a JSON array"] = lambda _settings, keys: signed(["sub", "USR-STU-1"], keys)
FORGERIES["64 KiB of token"] = lambda _settings, _keys: "a" * 65536


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_or_stale_tokens_get_401(
    client: FlaskClient, settings: Settings, jwt_keys: KeyPair, forgery: Any
):
    response = get(client, forgery(settings, jwt_keys))
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # The verifier's reason is logged and audited, never echoed to the caller.
    assert response.json["detail"] == UNAUTHORIZED_DETAIL


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_the_verifier_refuses_forgeries_with_its_own_error(
    settings: Settings, jwt_keys: KeyPair, forgery: Any
):
    """Never a TypeError or any other exception that would be a 500."""
    with pytest.raises(AuthenticationError):
        TokenVerifier(settings).verify(forgery(settings, jwt_keys))


def test_every_401_has_one_body(client: FlaskClient, settings: Settings, jwt_keys: KeyPair):
    bodies = {
        get(client, forgery(settings, jwt_keys), **{"X-Request-ID": "same-id"}).get_data()
        for forgery in FORGERIES.values()
    }
    assert len(bodies) == 1


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer not.a.jwt"]
)
def test_missing_or_malformed_authorization_gets_401(client: FlaskClient, header: str):
    assert get(client, None, header=header).status_code == 401


def test_health_and_docs_need_no_token(client: FlaskClient):
    for path in (
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/docs-assets/swagger-ui-bundle.js",
    ):
        assert client.get(path).status_code == 200, path


# -- the verifier's cache of verified tokens ------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.now


def test_a_verified_token_is_not_verified_again(
    settings: Settings, jwt_keys: KeyPair, monkeypatch: pytest.MonkeyPatch
):
    verifier = TokenVerifier(settings)
    token = jwt.encode(claims(settings), jwt_keys.private_pem, algorithm="RS256")
    decoded: list[str] = []
    real_decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append("x") or real_decode(*a, **k))
    first, second = verifier.verify(token), verifier.verify(token)
    assert first == second and first.sub == "USR-STU-1"
    assert len(decoded) == 1


def test_a_cached_token_is_refused_once_it_expires(settings: Settings, jwt_keys: KeyPair):
    clock = Clock()
    verifier = TokenVerifier(settings, clock=clock)
    expires = datetime.fromtimestamp(clock.now, UTC) + timedelta(seconds=30)
    token = jwt.encode(claims(settings, exp=expires), jwt_keys.private_pem, algorithm="RS256")
    assert verifier.verify(token).sub == "USR-STU-1"
    clock.now += 29
    assert verifier.verify(token).sub == "USR-STU-1"
    clock.now += 2 + settings.jwt_leeway_seconds
    with pytest.raises(AuthenticationError):
        verifier.verify(token)


def test_a_cached_token_is_verified_again_after_the_cache_lifetime(
    settings: Settings, jwt_keys: KeyPair, monkeypatch: pytest.MonkeyPatch
):
    """Keys rotate (JWKS): no verification outlives ``TOKEN_CACHE_SECONDS``."""
    clock = Clock()
    verifier = TokenVerifier(settings, clock=clock)
    token = jwt.encode(
        claims(settings, exp=datetime.now(UTC) + timedelta(hours=1)),
        jwt_keys.private_pem,
        algorithm="RS256",
    )
    verifier.verify(token)
    decoded: list[str] = []
    real_decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append("x") or real_decode(*a, **k))
    clock.now += TOKEN_CACHE_SECONDS + 1
    verifier.verify(token)
    assert len(decoded) == 1


def test_refused_tokens_are_not_cached(settings: Settings, jwt_keys: KeyPair):
    verifier = TokenVerifier(settings)
    forged = _tampered(settings, jwt_keys)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            verifier.verify(forged)
    assert verifier.cached_tokens() == 0


def test_the_cache_is_bounded(settings: Settings, jwt_keys: KeyPair):
    verifier = TokenVerifier(settings, cache_size=3)
    for index in range(5):
        token = jwt.encode(
            claims(settings, sub=f"USR-STU-{index}"), jwt_keys.private_pem, algorithm="RS256"
        )
        assert verifier.verify(token).sub == f"USR-STU-{index}"
    assert verifier.cached_tokens() == 3
