"""Contracts of the reports service's events."""

from __future__ import annotations

from typing import Annotated

import msgspec

from shared.events.contracts.base import Payload, UtcDatetime, contract
from shared.events.contracts.fields import Id

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048, pattern=r"^https?://[^/?#\s]")]
"""An absolute http(s) URL: a host follows the scheme."""


@contract("reports.certificate.rendered", version=1)
class CertificateRendered(Payload, frozen=True, kw_only=True):
    """The answer to ``progress.certificate.requested``: of two renderings, the later wins."""

    enrollment_id: Id
    certificate_url: Url
    issued_at: UtcDatetime
