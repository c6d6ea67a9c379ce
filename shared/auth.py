"""Bearer-token authentication and the access rules of ARCHITECTURE.md.

Tokens are JWTs. The algorithm is pinned by configuration (never read from the
token), and ``exp``, ``iat``, ``iss``, ``aud`` and ``sub`` are required. Every claim
Stride reads is checked for its JSON type (``check_claim_types``): a signed token with a
list for ``role`` or a string for ``exp`` is refused like a forged one. Production
verifies with the identity provider's JWKS; development signs and verifies with a
key pair generated under ``<var>/keys``.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.config import ROLES, Settings

__all__ = ["ROLES", "AccessScope", "AuthenticationError", "Principal", "TokenVerifier"]
#: roles that may see every student
UNRESTRICTED_ROLES = frozenset({"admin", "service"})
#: the longest a verified token is trusted without checking its signature again: as
#: long as the JWKS client keeps a key, so a rotated-out key stops working as soon
TOKEN_CACHE_SECONDS = 300


class AuthenticationError(Exception):
    """The request carries no valid token: answered 401."""


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    students: frozenset[str] = frozenset()
    courses: frozenset[str] = frozenset()

    @property
    def is_unrestricted(self) -> bool:
        return self.role in UNRESTRICTED_ROLES

    def may_read(self, student_id: str | None, course_id: str | None = None) -> bool:
        """Whether this caller may see records of ``student_id`` in ``course_id``."""
        if self.is_unrestricted:
            return True
        if self.role == "student":
            return student_id is not None and student_id == self.sub
        if self.role == "parent":
            return student_id is not None and student_id in self.students
        if self.role == "teacher":
            return course_id is not None and course_id in self.courses
        return False

    def may_change(self, student_id: str | None, course_id: str | None = None) -> bool:
        """Parents read only; everyone else may change what they may read."""
        return self.role != "parent" and self.may_read(student_id, course_id)

    def scope(self) -> AccessScope:
        if self.is_unrestricted:
            return AccessScope(None, None)
        if self.role == "student":
            return AccessScope(frozenset({self.sub}), None)
        if self.role == "parent":
            return AccessScope(self.students, None)
        if self.role == "teacher":
            return AccessScope(None, self.courses)
        return AccessScope(frozenset(), None)


@dataclass(frozen=True)
class AccessScope:
    """What a caller may list: ``None`` means unrestricted on that axis."""

    student_ids: frozenset[str] | None
    course_ids: frozenset[str] | None

    def where(self, student_column: Any, course_column: Any | None) -> list[Any]:
        """SQLAlchemy conditions that keep only visible rows."""
        conditions = []
        if self.student_ids is not None:
            conditions.append(student_column.in_(sorted(self.student_ids)))
        if self.course_ids is not None:
            if course_column is None:
                conditions.append(student_column.in_([]))
            else:
                conditions.append(course_column.in_(sorted(self.course_ids)))
        return conditions


#: the longest bearer token accepted (real ones are well under 2 KiB); longer is refused
#: before any parsing
MAX_TOKEN_LENGTH = 8192
#: the longest id a token may name (``sub``, ``students``, ``courses``: the audit's columns)
MAX_ID_LENGTH = 120
#: the most students or courses one token may name
MAX_SCOPE_ITEMS = 1000
NUMERIC_CLAIMS = ("exp", "iat", "nbf")
MAX_NUMERIC_DATE = 2**53


def _string_set(claims: dict[str, Any], name: str) -> frozenset[str]:
    value = claims.get(name, [])
    if (
        not isinstance(value, list)
        or len(value) > MAX_SCOPE_ITEMS
        or not all(_is_id(item) for item in value)
    ):
        raise AuthenticationError(f"claim {name!r} must be a list of non-empty strings")
    return frozenset(value)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _is_number(value: Any) -> bool:
    """RFC 7519 NumericDate: a JSON number (a bool is an int in Python, a string is not a
    number), of seconds since 1970 that a float holds exactly."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return (math.isfinite(value) if isinstance(value, float) else True) and (
        0 <= value <= MAX_NUMERIC_DATE
    )


def check_claim_types(claims: dict[str, Any]) -> None:
    """Refuse claims of the wrong JSON type (PyJWT converts ``"123"`` to a date, for one)."""
    for name in NUMERIC_CLAIMS:
        if name in claims and not _is_number(claims[name]):
            raise AuthenticationError(f"claim {name!r} must be a number")
    if not _is_id(claims.get("sub")):
        raise AuthenticationError("claim 'sub' must be a non-empty string")
    if not isinstance(claims.get("iss"), str):
        raise AuthenticationError("claim 'iss' must be a string")
    audience = claims.get("aud")
    if not (
        isinstance(audience, str)
        or (isinstance(audience, list) and all(isinstance(item, str) for item in audience))
    ):
        raise AuthenticationError("claim 'aud' must be a string or a list of strings")
    if "jti" in claims and not isinstance(claims["jti"], str):
        raise AuthenticationError("claim 'jti' must be a string")
    role = claims.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise AuthenticationError(f"claim 'role' must be one of {sorted(ROLES)}")


def claimed_subject(token: str) -> str | None:
    """The ``sub`` a token claims, WITHOUT verifying it: only to record who a refused
    token says it is (the audit of a 401), never to grant anything."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, TypeError, ValueError, OverflowError):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if _is_id(subject) else None


class TokenVerifier:
    """Verifies bearer tokens; a token verified once is trusted until it expires.

    Clients send the same token with every request, and checking an RSA signature and
    the claims costs more than the rest of a small request's authentication. A verified
    token's principal is kept (at most ``cache_size`` tokens, LRU) until the token's
    ``exp`` plus the leeway, and never longer than ``TOKEN_CACHE_SECONDS``. Refused
    tokens are never kept.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        cache_size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.algorithm = settings.jwt_algorithm
        self.cache_size = cache_size
        self._clock = clock
        # token -> (trusted until, expires at, principal), in least recently used order
        self._verified: OrderedDict[str, tuple[float, float, Principal]] = OrderedDict()
        self._lock = threading.Lock()
        self._jwks: jwt.PyJWKClient | None = None
        self._key: Any = None
        if settings.jwt_jwks_url:
            self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=300)
        elif settings.jwt_public_key:
            self._key = settings.jwt_public_key
        else:
            self._key = development_keys(settings.var_dir).public_pem

    def _key_for(self, token: str) -> Any:
        if self._jwks is not None:
            try:
                return self._jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientError as exc:
                raise AuthenticationError(f"no signing key for token: {exc}") from exc
        return self._key

    def cached_tokens(self) -> int:
        return len(self._verified)

    def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationError(f"token longer than {MAX_TOKEN_LENGTH} characters")
        now = self._clock()
        leeway = self.settings.jwt_leeway_seconds
        with self._lock:
            cached = self._verified.get(token)
            if cached is not None:
                trusted_until, expires_at, principal = cached
                if now < trusted_until:
                    self._verified.move_to_end(token)
                    return principal
                del self._verified[token]
                if now >= expires_at + leeway:
                    raise AuthenticationError("Signature has expired")
        principal, expires_at = self._verify_signed(token)
        trusted_until = min(expires_at + leeway, now + TOKEN_CACHE_SECONDS)
        with self._lock:
            self._verified[token] = (trusted_until, expires_at, principal)
            while len(self._verified) > self.cache_size:
                self._verified.popitem(last=False)
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                key=self._key_for(token),
                algorithms=[self.algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, TypeError, ValueError, OverflowError) as exc:
            # PyJWT lets some malformed claims (an issuer list, a huge number) escape as
            # TypeError or OverflowError; every one of them is a bad token.
            raise AuthenticationError(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(claims, dict):
            raise AuthenticationError("the token's payload is not a JSON object")
        check_claim_types(claims)
        principal = Principal(
            sub=claims["sub"],
            role=claims["role"],
            students=_string_set(claims, "students"),
            courses=_string_set(claims, "courses"),
        )
        return principal, float(claims["exp"])


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def development_keys(var_dir: Path) -> KeyPair:
    """The development RSA key pair, generated on first use under ``<var>/keys``."""
    folder = var_dir / "keys"
    private_path, public_path = folder / "jwt-private.pem", folder / "jwt-public.pem"
    if not private_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        temporary = folder / f".{uuid.uuid4().hex}"
        temporary.mkdir()
        (temporary / "jwt-private.pem").write_bytes(private_pem)
        (temporary / "jwt-public.pem").write_bytes(public_pem)
        (temporary / "jwt-private.pem").chmod(0o600)
        if not private_path.exists():
            (temporary / "jwt-public.pem").replace(public_path)
            (temporary / "jwt-private.pem").replace(private_path)
        for leftover in temporary.iterdir():
            leftover.unlink()
        temporary.rmdir()
    return KeyPair(private_path.read_text(), public_path.read_text())


def mint_token(
    settings: Settings,
    *,
    sub: str,
    role: str,
    students: Iterable[str] = (),
    courses: Iterable[str] = (),
    ttl: timedelta = timedelta(hours=8),
    private_key: str | None = None,
) -> str:
    """A signed token for development, tests and service-to-service calls."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    if students:
        claims["students"] = sorted(set(students))
    if courses:
        claims["courses"] = sorted(set(courses))
    key = private_key or settings.jwt_private_key or development_keys(settings.var_dir).private_pem
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm)
