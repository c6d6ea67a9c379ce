"""Share links: created with a random token stored only hashed, listed, revoked, opened."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.reports import store
from services.reports.models import ShareLink
from services.reports.usecases.report_views import (
    RESOURCE,
    RenderedDocument,
    authorize_view,
    document_of,
    record_view,
)
from shared.audit import ALLOWED, DENIED, NOT_FOUND, audit_access, authorize, commit_with_audit
from shared.auth import Principal
from shared.config import Settings
from shared.errors import Conflict, InvalidInput, NotFound
from shared.time import utcnow

#: the longest a link may live: anyone signed in who holds it may open it, so none is forever
MAX_LIFETIME = timedelta(days=90)


# -- share links ---------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/api/reports/shared/{token}"


def _link_out(link: ShareLink, url: str | None = None) -> dict[str, Any]:
    return {
        "id": link.id,
        "report_id": link.report_id,
        "created_by": link.created_by,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "share_url": url,
    }


def create_share_link(
    session: Session, principal: Principal, report_id: str, expires_at: datetime, settings: Settings
) -> dict[str, Any]:
    """A link to the report; its token is returned once and stored only hashed."""
    report = authorize_view(session, principal, report_id, "share")
    authorize(
        principal,
        action="share",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
        change=True,
    )
    if not report.configuration.get("sharing", {}).get("shareable", False):
        raise Conflict("the report's configuration.sharing.shareable is false")
    now = utcnow()
    if expires_at <= now:
        raise InvalidInput.for_field("expires_at", "must be in the future")
    if expires_at > now + MAX_LIFETIME:
        raise InvalidInput.for_field(
            "expires_at", f"a share link lives at most {MAX_LIFETIME.days} days"
        )
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        id=str(uuid.uuid4()),
        report_id=report.id,
        token_hash=hash_token(token),
        created_by=principal.sub,
        created_at=now,
        expires_at=expires_at,
        revoked_at=None,
    )
    session.add(link)
    session.flush()
    out = _link_out(link, share_url(settings, token))
    commit_with_audit(session, 201)
    return out


def list_share_links(
    session: Session, principal: Principal, report_id: str
) -> list[dict[str, Any]]:
    report = authorize_view(session, principal, report_id, "list_shares")
    authorize(
        principal,
        action="list_shares",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
        change=True,
    )
    return [_link_out(link) for link in store.share_links_of(session, report.id)]


def revoke_share_link(
    session: Session, principal: Principal, report_id: str, link_id: str
) -> dict[str, Any]:
    report = authorize_view(session, principal, report_id, "revoke_share")
    authorize(
        principal,
        action="revoke_share",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
        change=True,
    )
    link = next((x for x in store.share_links_of(session, report.id) if x.id == link_id), None)
    if link is None:
        raise NotFound(f"share link {link_id} not found")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
    session.flush()
    out = _link_out(link)
    commit_with_audit(session, 200)
    return out


def open_share_link(
    session: Session,
    principal: Principal,
    token: str,
    fmt: str | None,
    correlation_id: str | None,
) -> RenderedDocument:
    """The shared report's document for whoever holds a valid link (any signed-in person;
    a service token never reads a report, not even through a link).

    Forged, expired and revoked links answer 404 alike; every attempt is audited.
    """
    link = store.share_link_by_hash(session, hash_token(token))
    report = store.report_by_id(session, link.report_id) if link is not None else None
    now = utcnow()
    valid = (
        principal.role != "service"
        and link is not None
        and report is not None
        and link.revoked_at is None
        and link.expires_at > now
        and report.configuration.get("sharing", {}).get("shareable", False)
    )
    audit_access(
        principal,
        action="open_share_link",
        resource=RESOURCE,
        student_id=report.student_id if report else None,
        course_id=report.course_id if report else None,
        outcome=ALLOWED if valid else (DENIED if link is not None else NOT_FOUND),
    )
    if not valid or link is None or report is None:
        raise NotFound("share link not found")
    document = document_of(session, report, fmt or report.configuration["format"])
    record_view(
        session,
        report,
        principal,
        via="share_link",
        correlation_id=correlation_id,
        share_link_id=link.id,
    )
    commit_with_audit(session, 200)
    return document
