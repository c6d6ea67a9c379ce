"""Field types that the contracts share: bounded ids, scores, non-negative quantities."""

from __future__ import annotations

from typing import Annotated

import msgspec

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"\S")]
"""An identifier chosen by a service or a client: not blank, at most 128 characters."""

Score = Annotated[float, msgspec.Meta(ge=0, le=100)]
"""A score or grade on the 0-100 scale."""

Minutes = Annotated[float, msgspec.Meta(ge=0)]
"""A duration in minutes."""

Count = Annotated[int, msgspec.Meta(ge=0)]
"""A count of things."""
