"""Gunicorn settings shared by the five API containers.

Used as `gunicorn -c deploy/gunicorn.conf.py "services.<svc>.app:create_app()"` (see the
Dockerfiles and docker-compose.yml). Every knob reads the environment, so one file serves
all services; the defaults suit one container behind the nginx gateway.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker


def _available_cores() -> int:
    """Cores this process may run on (the container's cpuset, not the whole host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # sched_getaffinity is Linux-only
        return os.cpu_count() or 1


bind = os.environ.get("STRIDE_BIND", "0.0.0.0:8000")
# A request is mostly Python (CPU, under the GIL) with a few short database round trips,
# so a worker per core plus one keeps the cores busy while one waits, and two threads
# per worker cover its own waits. More processes and threads only add switching: on 2
# cores, 5 workers x 4 threads cost 40% more CPU per GET than 3 x 2 (bench/RESULTS.md).
# The activity API is the exception (16 threads, docker-compose.yml): its concurrent
# POST /logs share one commit, so a worker holding more of them at once writes less.
workers = int(os.environ.get("GUNICORN_WORKERS", _available_cores() + 1))
# gthread keeps connections alive between requests. The progress and attempts APIs,
# whose requests are short, run shared.serving.KeepAliveWorker instead
# (docker-compose.yml): each worker serves its kept-alive connections in its one thread,
# without gthread's hand-overs between threads, and parses with httptools: for an app
# that does next to nothing, 0.16-0.19 ms of server CPU per request against gthread's
# 0.58 (bench/RESULTS.md). GUNICORN_THREADS does not apply to it. The activity API
# runs shared.serving.ThreadedKeepAliveWorker: GUNICORN_THREADS such loops per worker,
# each serving its own connections.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))

# Recycle workers now and then to bound slow leaks; the jitter keeps them from all
# restarting at once. Each recycled worker leaves its counter files in
# PROMETHEUS_MULTIPROC_DIR (they must survive to keep the totals), so not too often.
# A fresh worker imports the app and opens its database connections again, about a
# second of a core, during which its share of the traffic queues: a service that takes
# thousands of requests a second sets GUNICORN_MAX_REQUESTS higher (the activity API,
# docker-compose.yml), so that this happens every half hour rather than every minute.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10

timeout = 30
graceful_timeout = 30
# Longer than the gateway's idle upstream timeout (60 s), so nginx closes an idle
# connection before gunicorn does and never sends a request into a closing socket.
keepalive = 75

# Only the gateway can reach this port (no published ports, see docker-compose.yml) and
# its address is not fixed, so every peer is trusted to set X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

# Request size limits. A header line may be as long as nginx lets through (its
# large_client_header_buffers, 80 KiB), so an oversized bearer token reaches the app and
# is answered 401 like any bad token; the app refuses other headers over 16 KiB (431).
# The request line keeps gunicorn's largest (8190). Beyond these, gunicorn answers
# itself, with the problem+json page below instead of its HTML one.
limit_request_line = 8190
limit_request_field_size = 80 * 1024
limit_request_fields = 50

# The worker heartbeat file is touched constantly; on overlayfs that can stall a worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# No gunicorn access log: every app logs each request itself as a JSON line
# ("request.finished", with the request id, method, path, status and duration), so a
# second, non-JSON line per request would only duplicate it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def post_worker_init(worker: Worker) -> None:
    """Once the worker has loaded the app:

    * gunicorn's HTML error page is replaced with ``shared.http11.write_problem``: what
      gunicorn answers itself (a request line or header too long, a malformed request)
      is answered like everything the apps answer;
    * what is loaded (about 130,000 objects: Flask, SQLAlchemy, marshmallow, the app) is
      moved out of the garbage collector's generations (``gc.freeze``). A full
      collection walks every tracked object while holding the GIL: 64-161 ms in an
      activity API worker on a 2-core host, every one of its threads stopped meanwhile;
      0.3-0.9 ms once frozen (bench/RESULTS.md). What the app keeps alive for good is
      never garbage, so nothing is lost.
    """
    import gc

    from gunicorn import util

    from shared.http11 import write_problem

    util.write_error = write_problem
    gc.collect()
    gc.freeze()


def on_starting(server: Arbiter) -> None:
    """Start every run with an empty metrics directory.

    prometheus_client's multiprocess mode adds up the files of all processes that ever
    wrote there; files left by a previous run of this container would be counted again.
    The directory itself may be a mount point, so only its contents are removed.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def child_exit(server: Arbiter, worker: Worker) -> None:
    """Drop the live gauges of a worker that exited, so /metrics stops reporting it."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
