"""A WSGI app for tests of the serving layer (``shared/serving.py``) under gunicorn.

Every answer names the process and the thread that served it and the client's port, so
a test sees whether its connection was kept and where it was served. ``/echo`` also
answers the body it was sent; other paths leave the body unread.
``/sleep?seconds=S&mark=FILE`` creates ``FILE`` (when given) and answers ``S`` seconds
later; ``/boom`` raises.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[..., Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("the probe failed on purpose")
    if path == "/sleep":
        query = parse_qs(environ["QUERY_STRING"])
        if "mark" in query:
            Path(query["mark"][0]).touch()
        time.sleep(float(query["seconds"][0]))
    body: dict[str, Any] = {
        "pid": os.getpid(),
        "thread": threading.get_ident(),
        "client_port": int(environ["REMOTE_PORT"]),
    }
    if path == "/echo":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body["echo"] = environ["wsgi.input"].read(length).decode()
    encoded = json.dumps(body).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(encoded)))]
    )
    return [encoded]
