"""Mutation scores per package from mutmut's results (``mutants/**/*.meta``).

    python tests/mutation/scores.py services.progress.domain shared.time ...
    python tests/mutation/scores.py --record services.analytics.domain

``--record`` keeps each module's results, with the SHA-256 of the module's source, in
``tests/mutation/results/<package>.json`` (committed: a run of every package takes
hours). A module without results in ``mutants/`` is scored from that record while its
source is unchanged; once it changes, its mutants count as not run until mutmut runs
them again.

A mutant counts as killed when a test failed or timed out on it; the mutants listed
in ``tests/mutation/EQUIVALENT.md`` (first column, in backquotes) are left out of the
score, since no test can tell them from the original. Prints one line per package and
every surviving mutant that is not listed; exits 1 when a package of ``services/``
scores below the bar (90% of its non-equivalent mutants killed) or was not run.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT = Path(__file__).with_name("EQUIVALENT.md")
RECORDS = Path(__file__).with_name("results")
BAR = 0.90
KILLED = {1, 3, 24, -24, 36}  # a test failed, pytest broke, or the mutant timed out
SURVIVED = 0


def equivalent_mutants() -> set[str]:
    names = re.findall(r"^\|\s*`([^`]+)`", EQUIVALENT.read_text(), flags=re.MULTILINE)
    return set(names)


def source_of(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def digest(module: str) -> str:
    source = source_of(module)
    return hashlib.sha256(source.read_bytes()).hexdigest() if source.exists() else ""


def run_results() -> dict[str, dict[str, int | None]]:
    """mutmut's results in ``mutants/``, by module."""
    found: dict[str, dict[str, int | None]] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        relative = meta.relative_to(ROOT / "mutants").with_suffix("").with_suffix("")
        module = ".".join(relative.parts)
        found[module] = json.loads(meta.read_text())["exit_code_by_key"]
    return found


def recorded_results(package: str) -> dict[str, dict[str, int | None]]:
    """The recorded results of the package's modules; the mutants of a module whose
    source changed since are not run (None)."""
    record = RECORDS / f"{package}.json"
    if not record.exists():
        return {}
    modules = json.loads(record.read_text())["modules"]
    return {
        module: (
            entry["exit_code_by_key"]
            if entry["sha256"] == digest(module)
            else dict.fromkeys(entry["exit_code_by_key"])
        )
        for module, entry in modules.items()
    }


def results(packages: list[str]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    ran = run_results()
    for package in packages:
        for module, codes in recorded_results(package).items():
            if module not in ran:
                found.update(codes)
    for codes in ran.values():
        found.update(codes)
    return found


def record(packages: list[str]) -> None:
    """Keep the results in ``mutants/`` of these packages' modules (with their sources'
    digests), beside the recorded ones still current."""
    RECORDS.mkdir(parents=True, exist_ok=True)
    ran = run_results()
    for package in packages:
        kept = RECORDS / f"{package}.json"
        before = json.loads(kept.read_text())["modules"] if kept.exists() else {}
        modules = {
            module: entry for module, entry in before.items() if entry["sha256"] == digest(module)
        }
        for module, codes in ran.items():
            if module.startswith(f"{package}.") or module == package:
                modules[module] = {"sha256": digest(module), "exit_code_by_key": codes}
        text = json.dumps({"modules": dict(sorted(modules.items()))}, indent=1, sort_keys=True)
        (RECORDS / f"{package}.json").write_text(text + "\n")


def main(packages: list[str]) -> int:
    if packages[:1] == ["--record"]:
        packages = packages[1:]
        record(packages)
    equivalent = equivalent_mutants()
    every = results(packages)
    failing = False
    for package in packages:
        mine = {name: code for name, code in every.items() if name.startswith(f"{package}.")}
        if not mine:
            print(f"{package}: no results (not run, or run before its source changed)")
            failing = failing or package.startswith("services.")
            continue
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
