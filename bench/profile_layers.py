"""Share of each layer in py-spy samples: where a request's (or an event's) CPU goes.

Reads py-spy's raw output (``py-spy record --format raw``: one collapsed stack per line,
outermost frame first, then the sample count) and gives every sample to one layer.
The layer is the innermost frame that belongs to one (a frame of the audit trail that
runs a statement counts as audit, not as query; structlog called from a request hook
counts as logging); a sample none of whose frames belongs to a layer is the web
framework's or the consumer loop's own (``wsgi`` / ``loop``), with database driver
frames outside any layer counted as ``query``.

    .venv/bin/python bench/profile_layers.py http /tmp/prof/gunicorn-worker-*.txt
    .venv/bin/python bench/profile_layers.py consumer /tmp/prof/consumer-*.txt

``--idle`` profiles also hold the samples of threads that wait; only samples whose
innermost frame is running Python or C code are counted unless ``--with-waits``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

#: (layer, pattern on one frame "function (file:line)"), tried from the innermost frame
#: outwards, the first rule that matches a frame wins for that frame.
HTTP_RULES: list[tuple[str, str]] = [
    ("logging", r"\(structlog/|\(logging/"),
    ("metrics", r"\(prometheus_client/|HttpMetrics\.|\(shared/observability\.py"),
    ("auth", r"\(shared/auth\.py|\(jwt/|\(cryptography/"),
    (
        "audit write",
        r"flush_request_audit|write_audit_|commit_with_audit|pending_audit_rows|"
        r"audit_rows \(|_audit_refused_token",
    ),
    ("serialization", r"\(shared/serialization\.py|dumped_response|\(flask/json/|jsonify"),
    ("body parsing", r"\(marshmallow/|\(webargs/|\(flask_smorest/arguments|_refuse_deep_json"),
    (
        "query",
        r"\(services/\w+/store|read_document|_end_request_session|read_session|"
        r"request_session|\(services/\w+/access\.py",
    ),
    ("service code", r"\(services/"),
    ("request hooks", r"start_request|finish_request|_oversized_headers|_add_security_headers"),
]
#: frames that are a database layer when no rule above claimed the sample
DRIVER = r"\(sqlalchemy/|\(psycopg/|\(psycopg_pool/"

CONSUMER_RULES: list[tuple[str, str]] = [
    ("logging", r"\(structlog/|\(logging/"),
    ("metrics", r"\(prometheus_client/|\(shared/events/metrics\.py"),
    ("inbox", r"\(shared/events/inbox\.py"),
    ("outbox write", r"\(shared/events/outbox\.py"),
    ("envelope and contracts", r"\(shared/events/envelope\.py|\(shared/events/contracts/|msgspec"),
    ("query", r"\(services/\w+/store"),
    ("handler and domain", r"\(services/"),
    ("AMQP (kombu, py-amqp)", r"\(kombu/|\(amqp/|\(vine/"),
]

#: a frame py-spy records for a thread that is idle (waiting on a socket or a lock)
IDLE = re.compile(
    r"^(select|poll|epoll|wait|_wait|acquire|recv|recv_into|accept|sleep|read|"
    r"readinto|_recv|_read|get) \((threading|selectors|socket|queue|ssl)\.py"
)


def parse(lines: Iterable[str]) -> Iterable[tuple[list[str], int]]:
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        yield stack.split(";"), int(count)


def layer_of(frames: Sequence[str], rules: list[tuple[str, str]], fallback: str) -> str:
    compiled = [(name, re.compile(pattern)) for name, pattern in rules]
    for frame in reversed(frames):
        for name, pattern in compiled:
            if pattern.search(frame):
                return name
    if any(re.search(DRIVER, frame) for frame in frames):
        return "query"
    return fallback


def shares(
    files: Iterable[Path], kind: str, *, with_waits: bool = False
) -> tuple[Counter[str], int]:
    rules, fallback = (HTTP_RULES, "wsgi") if kind == "http" else (CONSUMER_RULES, "loop")
    counts: Counter[str] = Counter()
    cache: dict[str, str] = {}
    for path in files:
        for frames, count in parse(path.read_text().splitlines()):
            if not with_waits and IDLE.match(frames[-1]):
                continue
            key = ";".join(frames)
            if key not in cache:
                cache[key] = layer_of(frames, rules, fallback)
            counts[cache[key]] += count
    return counts, sum(counts.values())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["http", "consumer"])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--with-waits", action="store_true", help="count idle samples too")
    parser.add_argument(
        "--per-unit-ms",
        type=float,
        help="CPU ms of one request or event: also print each layer's ms",
    )
    args = parser.parse_args(argv)
    counts, total = shares(args.files, args.kind, with_waits=args.with_waits)
    if not total:
        print("no samples", file=sys.stderr)
        return 1
    print(f"| layer | share of samples ({total:,}) |" + (" ms |" if args.per_unit_ms else ""))
    print("|---|---:|" + ("---:|" if args.per_unit_ms else ""))
    for name, count in counts.most_common():
        share = count / total
        row = f"| {name} | {share:.0%} |"
        if args.per_unit_ms:
            row += f" {share * args.per_unit_ms:.2f} |"
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
