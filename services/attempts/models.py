"""Tables of the attempts service (its database also carries shared.db's platform tables)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from shared.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


metadata = Base.metadata
