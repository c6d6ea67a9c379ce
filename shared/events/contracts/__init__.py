"""Typed event contracts: one frozen, versioned payload type per event type.

``base`` holds the machinery (``Payload``, ``@contract``, ``parse``, ``parse_as``); each
module beside it holds the contracts of the service that produces those events. They
are all imported here, so that every contract is registered once ``shared.events``
is imported, whichever service reads it.
"""

from shared.events.contracts import activity, analytics, attempts, progress, reports
from shared.events.contracts.base import (
    ContractError,
    Payload,
    UtcDatetime,
    contract,
    contract_for,
    contracts,
    parse,
    parse_as,
)

__all__ = [
    "ContractError",
    "Payload",
    "UtcDatetime",
    "activity",
    "analytics",
    "attempts",
    "contract",
    "contract_for",
    "contracts",
    "parse",
    "parse_as",
    "progress",
    "reports",
]
