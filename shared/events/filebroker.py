"""kombu's filesystem transport, made safe for several processes on one machine.

The embedded run mode (``make up``) uses a directory as its broker. kombu's own
filesystem transport keeps every message of every queue in one folder; this subclass
changes that and closes its gaps:

* each queue has a folder of its own (``queue/<name>/``), so a poll lists only the
  messages of the queue it reads, however many wait elsewhere (``stride.unrouted.recent``);
* writers create a message under a hidden temporary name and rename it into place
  (atomic), so a reader never opens a half-written file (kombu issue #1551);
* a file is named by the moment it becomes visible: a message published with the
  ``x-stride-delay-ms`` header stays invisible that long (the consumer's retry delay,
  what RabbitMQ's retry queues do with a TTL);
* readers do not delete a message when they take it: it moves to
  ``unacked/<pid>/<queue>/`` and is deleted only by the ack; when a process starts,
  messages held by processes that no longer exist go back to their queue
  (at-least-once delivery, as on RabbitMQ);
* a file that is not a kombu message moves to ``rejected/`` instead of stopping the
  reader;
* ``stride.unrouted.recent`` keeps only its newest ``UNROUTED_LIMIT`` messages.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from pathlib import Path
from time import time
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.transport.virtual import Empty, exchange
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

from shared.events import topology

TRANSPORT_PATH = "shared.events.filebroker:Transport"
DELAY_HEADER = "x-stride-delay-ms"
UNROUTED_QUEUE = topology.UNROUTED_QUEUE
UNROUTED_LIMIT = 10_000
#: puts to the unrouted queue between two checks of its size
UNROUTED_CHECK_EVERY = 100


def transport_options_for(broker_dir: Path) -> dict[str, Any]:
    """The kombu transport options that lay the broker out under ``broker_dir``."""
    queue_dir = broker_dir / "queue"
    for folder in (queue_dir, broker_dir / "control", broker_dir / "unacked"):
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue_dir),
        "data_folder_out": str(queue_dir),
        "control_folder": str(broker_dir / "control"),
        "unacked_folder": str(broker_dir / "unacked"),
        "rejected_folder": str(broker_dir / "rejected"),
        "deadletter_queue": UNROUTED_QUEUE,
        "polling_interval": 0.05,
    }


def _now_ms() -> int:
    # Wall-clock time, not monotonic: message files outlive a reboot, which restarts the
    # monotonic clock and would hide messages named by the previous boot's clock.
    return round(time() * 1000)


# Messages named within one millisecond keep the order this process published them in.
_SEQUENCE = itertools.count()


def _visible_at(filename: str) -> int:
    head = filename.partition("_")[0]
    return int(head) if head.isdigit() else 0


def _process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class TopicExchange(exchange.TopicExchange):
    """kombu's topic exchange, except that a message no queue is bound to goes to the
    dead-letter queue (``stride.unrouted.recent``), as RabbitMQ's alternate exchange does,
    instead of vanishing."""

    def deliver(self, message: Any, exchange: Any, routing_key: Any, **kwargs: Any) -> None:
        deadletter = self.channel.deadletter_queue
        queues = [q for q in self.channel._lookup(exchange, routing_key) if q]
        for queue in [q for q in queues if q != deadletter] or ([deadletter] if deadletter else []):
            self.channel._put(queue, message, **kwargs)


class Channel(filesystem.Channel):
    exchange_types = {**filesystem.Channel.exchange_types, "topic": TopicExchange}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inflight: dict[str, str] = {}
        self._unrouted_puts = 0
        self._recover_messages_of_dead_processes()

    @property
    def unacked_folder(self) -> Path:
        return Path(self.transport_options.get("unacked_folder", "unacked"))

    @property
    def rejected_folder(self) -> Path:
        return Path(self.transport_options.get("rejected_folder", "rejected"))

    def _queue_folder(self, queue: str) -> Path:
        return Path(self.data_folder_in) / queue

    def _own_unacked_folder(self, queue: str) -> Path:
        folder = self.unacked_folder / str(os.getpid()) / queue
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _recover_messages_of_dead_processes(self) -> None:
        root = self.unacked_folder
        if not root.is_dir():
            return
        for holder in root.iterdir():
            if not holder.name.isdigit() or _process_is_alive(int(holder.name)):
                continue
            for queue_folder in holder.iterdir():
                target = self._queue_folder(queue_folder.name)
                target.mkdir(parents=True, exist_ok=True)
                for message_file in queue_folder.iterdir():
                    try:
                        os.replace(message_file, target / message_file.name)
                    except FileNotFoundError:
                        continue  # another process recovered it first
                with contextlib.suppress(OSError):
                    queue_folder.rmdir()
            with contextlib.suppress(OSError):  # a concurrent recovery still empties it
                holder.rmdir()

    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        headers = payload.get("headers") or {} if isinstance(payload, dict) else {}
        try:
            delay = max(int(headers.get(DELAY_HEADER) or 0), 0)
        except (TypeError, ValueError):
            delay = 0
        name = f"{_now_ms() + delay:015d}_{next(_SEQUENCE):012d}_{uuid.uuid4()}.msg"
        folder = Path(self.data_folder_out) / str(queue)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{name}.tmp"
        try:
            with open(temporary, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, folder / name)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc
        if queue == UNROUTED_QUEUE:
            self._unrouted_puts += 1
            if self._unrouted_puts % UNROUTED_CHECK_EVERY == 0:
                self._cap(folder, UNROUTED_LIMIT)

    @staticmethod
    def _cap(folder: Path, limit: int) -> None:
        names = sorted(name for name in os.listdir(folder) if not name.startswith("."))
        for name in names[: max(len(names) - limit, 0)]:
            (folder / name).unlink(missing_ok=True)

    def _get(self, queue: str, timeout: Any = None) -> Any:
        folder = self._queue_folder(queue)
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            raise Empty() from None
        now = _now_ms()
        for filename in names:
            if filename.startswith("."):
                continue
            if _visible_at(filename) > now:
                break  # sorted by visibility: the rest are later still
            held = self._own_unacked_folder(queue) / filename
            try:
                os.replace(folder / filename, held)
            except FileNotFoundError:
                continue  # another consumer took it
            try:
                payload = loads(bytes_to_str(held.read_bytes()))
                tag = payload.get("properties", {}).get("delivery_tag")
            except Exception:  # not a kombu message: set it aside, read the next one
                self.rejected_folder.mkdir(parents=True, exist_ok=True)
                os.replace(held, self.rejected_folder / f"{queue}.{filename}")
                continue
            if tag is None:
                held.unlink(missing_ok=True)
            else:
                self._inflight[tag] = str(held)
            return payload
        raise Empty()

    def _size(self, queue: str) -> int:
        try:
            return sum(1 for name in os.listdir(self._queue_folder(queue)) if name[0] != ".")
        except FileNotFoundError:
            return 0

    def _purge(self, queue: str) -> int:
        count = 0
        folder = self._queue_folder(queue)
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(folder):
                if name.startswith("."):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    (folder / name).unlink()
                    count += 1
        return count

    def _forget(self, delivery_tag: str) -> None:
        path = self._inflight.pop(delivery_tag, None)
        if path is not None:
            Path(path).unlink(missing_ok=True)

    def basic_ack(self, delivery_tag: str, multiple: bool = False) -> None:
        super().basic_ack(delivery_tag, multiple=multiple)
        self._forget(delivery_tag)

    def basic_reject(self, delivery_tag: str, requeue: bool = False) -> None:
        # With requeue the base class writes the message back to its queue first.
        super().basic_reject(delivery_tag, requeue=requeue)
        self._forget(delivery_tag)

    def close(self) -> None:
        # The base class restores unacked messages to their queues on close.
        super().close()
        for tag in list(self._inflight):
            self._forget(tag)


class Transport(filesystem.Transport):
    Channel = Channel
