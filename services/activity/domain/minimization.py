"""Data minimization: what of a URL and of an address is kept."""

from __future__ import annotations

import hashlib
import hmac


def strip_query(url: str) -> str:
    """``url`` without its query string and fragment (they carry tokens, emails, searches):
    everything before the first ``#``, then before the first ``?``, as ``urlsplit``
    separates them (without its cost, and without its other rewriting)."""
    return url.partition("#")[0].partition("?")[0]


def hash_ip(ip_address: str, key: str) -> str:
    """The keyed HMAC-SHA256 of an address, as the attempts service computes it (same key,
    ``STRIDE_IP_HASH_KEY``): comparable across services, never reversible without the key."""
    return hmac.new(key.encode(), ip_address.encode(), hashlib.sha256).hexdigest()
