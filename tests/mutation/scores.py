"""Mutation scores per package from mutmut's results (``mutants/**/*.meta``).

    python tests/mutation/scores.py services.progress.domain shared.time ...

A mutant counts as killed when a test failed or timed out on it; the mutants listed
in ``tests/mutation/EQUIVALENT.md`` (first column, in backquotes) are left out of the
score, since no test can tell them from the original. Prints one line per package and
every surviving mutant that is not listed; exits 1 when a package of ``services/``
scores below the bar (90% of its non-equivalent mutants killed) or was not run.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT = Path(__file__).with_name("EQUIVALENT.md")
BAR = 0.90
KILLED = {1, 3, 24, -24, 36}  # a test failed, pytest broke, or the mutant timed out
SURVIVED = 0


def equivalent_mutants() -> set[str]:
    names = re.findall(r"^\|\s*`([^`]+)`", EQUIVALENT.read_text(), flags=re.MULTILINE)
    return set(names)


def results() -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        found.update(json.loads(meta.read_text())["exit_code_by_key"])
    return found


def main(packages: list[str]) -> int:
    equivalent = equivalent_mutants()
    every = results()
    failing = False
    for package in packages:
        mine = {name: code for name, code in every.items() if name.startswith(f"{package}.")}
        counts = Counter(
            "equivalent"
            if name in equivalent
            else "killed"
            if code in KILLED
            else "survived"
            if code == SURVIVED
            else "not run"
            if code is None
            else "no tests"
            if code in {5, 33}
            else f"exit {code}"
            for name, code in mine.items()
        )
        scored = len(mine) - counts["equivalent"]
        score = counts["killed"] / scored if scored else 0.0
        print(
            f"{package}: {score:.1%} killed ({counts['killed']} of {scored} non-equivalent; "
            f"{counts['equivalent']} equivalent; {counts['survived']} survived; "
            f"{counts['no tests']} without tests; {counts['not run']} not run)"
        )
        for name, code in sorted(mine.items()):
            if name not in equivalent and code not in KILLED:
                print(f"    survived: {name}" if code == SURVIVED else f"    {code}: {name}")
        if package.startswith("services.") and (score < BAR or counts["not run"]):
            failing = True
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
