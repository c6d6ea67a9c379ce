"""The progress bar of the ``stride`` commands run by hand (upkeep jobs, roll-ups)."""

from __future__ import annotations

import sys


def progress_bar(done: int, total: int, label: str) -> None:
    """``archive 2025-10 [##########----------]  50%  12,000/24,000`` on standard error."""
    width = 30
    filled = width if total == 0 else min(width, width * done // total)
    percent = 100 if total == 0 else min(100, 100 * done // total)
    bar = "#" * filled + "-" * (width - filled)
    end = "\n" if done >= total else ""
    print(f"\r{label} [{bar}] {percent:3d}%  {done:,}/{total:,}", end=end, file=sys.stderr)


def quiet(_done: int, _total: int, _label: str) -> None:
    """No progress shown (run by a scheduler, or not on a terminal)."""
    return None
