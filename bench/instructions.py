"""Instructions per request, counted by valgrind's callgrind: the same on a busy host as
on a quiet one.

Runs an in-process benchmark (``bench/progress_inprocess.py``,
``bench/attempts_inprocess.py``) twice under ``valgrind --tool=callgrind``, with
``--requests`` ``FEW`` and ``MANY``, ``--rounds 1`` (a warm-up round and one measured
round: 2 x N requests) and ``--no-calibration`` (its loops run for a time, not a count),
and divides the difference of the two totals by the difference in requests: what one request costs
the app's process, without the setup both runs share (imports, seeding, tokens) and
without PostgreSQL's own work. ``PYTHONHASHSEED=0`` and signing keys made once keep
the runs alike. Each run takes
about a minute plus 60 ms per request.

    .venv/bin/python bench/instructions.py bench/attempts_inprocess.py --attempts 20
    .venv/bin/python bench/instructions.py bench/progress_inprocess.py --enrollments 300
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from shared.auth import development_keys  # noqa: E402


def total_instructions(script: str, requests: int, extra: list[str], var_dir: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="stride-callgrind-") as folder:
        out = Path(folder) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                script,
                "--requests",
                str(requests),
                "--rounds",
                "1",
                "--no-calibration",
                "--var-dir",
                str(var_dir),
                *extra,
            ],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        found = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        if found is None:
            raise RuntimeError(f"no totals in {out}")
        return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", help="an in-process benchmark taking --requests and --rounds")
    parser.add_argument("--few", type=int, default=50)
    parser.add_argument("--many", type=int, default=1050)
    args, extra = parser.parse_known_args(argv)
    # The signing keys made once for both runs: making an RSA key takes a different
    # number of instructions each time.
    var_dir = Path(tempfile.mkdtemp(prefix="stride-callgrind-var-"))
    development_keys(var_dir / "var")
    with ThreadPoolExecutor(max_workers=2) as pool:
        few, many = pool.map(
            lambda n: total_instructions(args.script, n, extra, var_dir),
            [args.few, args.many],
        )
    per_request = (many - few) / (2 * (args.many - args.few))
    print(
        f"{args.script} {' '.join(extra)}: {per_request / 1e6:.3f} M instructions per request "
        f"({few:,} with --requests {args.few}, {many:,} with {args.many})"
    )


if __name__ == "__main__":
    main()
