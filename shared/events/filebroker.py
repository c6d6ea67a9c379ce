"""kombu's filesystem transport, made safe for several processes on one machine.

The embedded run mode (``make up``) uses a directory as its broker. kombu's own
filesystem transport has two gaps that this subclass closes:

* writers create the message file in place, so a reader polling the directory can
  open a half-written file and crash (kombu issue #1551). Here a message is written to
  a hidden temporary name and renamed into place: the rename is atomic.
* readers delete a message from disk as soon as they take it, so a process killed
  before it acks loses the message. Here a taken message moves to ``unacked/<pid>/``
  and is deleted only by the ack; when a process starts, messages held by processes
  that no longer exist go back to their queue (at-least-once delivery, as on RabbitMQ).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.transport.virtual import Empty
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

TRANSPORT_PATH = "shared.events.filebroker:Transport"


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
        "deadletter_queue": "stride.unrouted",
        "polling_interval": 0.05,
    }


def _process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Channel(filesystem.Channel):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inflight: dict[str, str] = {}
        self._recover_messages_of_dead_processes()

    @property
    def unacked_folder(self) -> Path:
        return Path(self.transport_options.get("unacked_folder", "unacked"))

    @property
    def _own_unacked_folder(self) -> Path:
        folder = self.unacked_folder / str(os.getpid())
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _recover_messages_of_dead_processes(self) -> None:
        root = self.unacked_folder
        if not root.is_dir():
            return
        for holder in root.iterdir():
            if not holder.name.isdigit() or _process_is_alive(int(holder.name)):
                continue
            for message_file in holder.iterdir():
                try:
                    os.replace(message_file, Path(self.data_folder_in) / message_file.name)
                except FileNotFoundError:
                    continue  # another process recovered it first
            with contextlib.suppress(OSError):  # a concurrent recovery still empties it
                holder.rmdir()

    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        temporary = folder / f".{name}.tmp"
        try:
            with open(temporary, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, folder / name)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc

    def _get(self, queue: str, timeout: Any = None) -> Any:
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        for filename in sorted(os.listdir(folder)):
            if filename.startswith(".") or filename.partition(".")[2] != wanted:
                continue
            held = self._own_unacked_folder / filename
            try:
                os.replace(folder / filename, held)
            except FileNotFoundError:
                continue  # another consumer took it
            payload = loads(bytes_to_str(held.read_bytes()))
            tag = payload.get("properties", {}).get("delivery_tag")
            if tag is None:
                held.unlink(missing_ok=True)
            else:
                self._inflight[tag] = str(held)
            return payload
        raise Empty()

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
