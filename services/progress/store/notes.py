"""A student's notes and bookmarks under an enrollment: child rows, listed in creation order."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress.models import Bookmark, Note

Child = TypeVar("Child", Note, Bookmark)


def children_of(session: Session, model: type[Child], enrollment_id: str) -> list[Child]:
    """The enrollment's notes or bookmarks, oldest first."""
    query = (
        sa.select(model)
        .where(model.enrollment_id == enrollment_id)
        .order_by(model.created_at, model.id)
    )
    return list(session.execute(query).scalars())


def child_of(
    session: Session, model: type[Child], enrollment_id: str, child_id: str
) -> Child | None:
    """The note or bookmark ``child_id`` if it belongs to the enrollment."""
    row = session.get(model, child_id)
    return row if row is not None and row.enrollment_id == enrollment_id else None


def count_of(session: Session, model: type[Note] | type[Bookmark], enrollment_id: str) -> int:
    query = (
        sa.select(sa.func.count()).select_from(model).where(model.enrollment_id == enrollment_id)
    )
    return int(session.execute(query).scalar_one())
