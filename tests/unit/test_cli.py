"""The `stride` command's process supervision and token minting."""

from __future__ import annotations

import signal
import threading

import pytest

from shared.cli import _run_loops, main
from shared.config import Settings

pytestmark = pytest.mark.unit


class ForeverLoop:
    def __init__(self) -> None:
        self.stopping = threading.Event()

    def run(self) -> None:
        self.stopping.wait()


class BrokenLoop(ForeverLoop):
    def run(self) -> None:
        raise RuntimeError("lost")


@pytest.fixture(autouse=True)
def restore_signal_handlers():
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def test_a_dying_loop_stops_the_others_and_the_process_fails(settings: Settings):
    healthy = ForeverLoop()
    assert _run_loops([healthy, BrokenLoop()], settings) == 1
    assert healthy.stopping.is_set()


def test_sigterm_stops_every_loop_cleanly(settings: Settings):
    loops = [ForeverLoop(), ForeverLoop()]
    threading.Timer(0.2, signal.raise_signal, args=(signal.SIGTERM,)).start()
    assert _run_loops(loops, settings) == 0
    assert all(loop.stopping.is_set() for loop in loops)


def test_token_is_the_last_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("STRIDE_VAR_DIR", str(tmp_path))
    assert main(["token", "--role", "parent", "--sub", "USR-PAR-1", "--students", "S1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.count(".") == 2


def test_keep_restarts_a_command_that_exits_and_stops_it_when_asked(tmp_path, capsys):
    import sys
    import time

    from shared.cli import keep_running

    runs = tmp_path / "runs"
    child = (
        "import pathlib, sys, time\n"
        f"runs = pathlib.Path({str(runs)!r})\n"
        "count = len(runs.read_text()) if runs.exists() else 0\n"
        "runs.write_text('x' * (count + 1))\n"
        "sys.exit(3) if count == 0 else time.sleep(60)\n"
    )
    stopping = threading.Event()
    result: list[int] = []
    supervisor = threading.Thread(
        target=lambda: result.append(
            keep_running([sys.executable, "-c", child], stopping, first_delay=0.1)
        )
    )
    supervisor.start()
    deadline = time.monotonic() + 30
    while not (runs.exists() and runs.read_text() == "xx") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runs.read_text() == "xx", "the command was not started again"
    stopping.set()
    supervisor.join(timeout=30)
    assert not supervisor.is_alive()
    assert result == [-signal.SIGTERM]  # the second run was stopped, not restarted
    assert "exited with 3; restarting" in capsys.readouterr().err
