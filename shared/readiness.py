"""Whether the broker answers, checked cheaply and cached for a few seconds."""

from __future__ import annotations

import os
import threading
import time

from shared.config import Settings
from shared.events.broker import kombu_connection


class BrokerProbe:
    def __init__(self, settings: Settings, cache_seconds: float = 5.0) -> None:
        self.settings = settings
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._result = "unknown"

    def check(self) -> str:
        with self._lock:
            if time.monotonic() - self._checked_at < self.cache_seconds:
                return self._result
            self._result = self._probe()
            self._checked_at = time.monotonic()
            return self._result

    def _probe(self) -> str:
        if self.settings.uses_file_broker:
            folder = self.settings.broker_dir
            folder.mkdir(parents=True, exist_ok=True)
            return "ok" if os.access(folder, os.W_OK) else f"{folder} is not writable"
        try:
            with kombu_connection(self.settings) as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
            return "ok"
        except Exception as exc:
            return f"unavailable: {type(exc).__name__}"
