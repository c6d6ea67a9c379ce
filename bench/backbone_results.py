"""Writes the "Event backbone" section of bench/RESULTS.md, leaving other sections alone."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shared.config import Settings

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Event backbone"
PREAMBLE = (
    "# Benchmark results\n\n"
    "Measured on the real servers by the scripts in this folder (see README.md). Each\n"
    "section is rewritten by its own script's `--record`.\n"
)


def record_results(
    table: str,
    *,
    command: str,
    machine: Mapping[str, str],
    versions: Mapping[str, str],
    throughput_runs: Sequence[Any],
    latency_runs: Sequence[Any],
    settings: Settings,
    notes: str = "",
) -> None:
    section = render_section(
        table,
        command=command,
        machine=machine,
        versions=versions,
        throughput_runs=throughput_runs,
        latency_runs=latency_runs,
        settings=settings,
        notes=notes,
    )
    text = RESULTS.read_text() if RESULTS.exists() else PREAMBLE
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def render_section(
    table: str,
    *,
    command: str,
    machine: Mapping[str, str],
    versions: Mapping[str, str],
    throughput_runs: Sequence[Any],
    latency_runs: Sequence[Any],
    settings: Settings,
    notes: str,
) -> str:
    facts = "\n".join(f"$ {name}\n{output}" for name, output in machine.items())
    events = throughput_runs[0].events if throughput_runs else 0
    run_times = ", ".join(
        f"{run.producer_seconds:.1f} of {run.seconds:.1f}" for run in throughput_runs
    )
    offered = ", ".join(f"{run.offered_rate:.0f}" for run in latency_runs)
    per_run = latency_runs[0].events if latency_runs else 0
    relay_poll_ms = settings.relay_poll_interval * 1000
    return f"""{HEADING}

Outbox -> relay -> RabbitMQ -> consumer -> effect, on the real PostgreSQL and RabbitMQ,
with the relay and each consumer in its own process. Each measurement ran
{len(latency_runs)} times; the median is in bold and is the number to quote.

Command (from the repository root):

```
{command}
```

Machine and servers (a shared, noisy machine: other work may have run meanwhile):

```
{facts}
PostgreSQL {versions.get("PostgreSQL")}, RabbitMQ {versions.get("RabbitMQ")}
```

Code measured: {versions.get("code", "unknown")}.

{table}

How it was measured:

* Throughput: a relay and 1 or 2 competing consumer processes are started and
  subscribed first; the driver then commits {events:,} events to the outbox, 100 per
  transaction. Rate = events / (last effect written - first outbox commit).
  Seconds the driver took to commit its events, of each run's total (1-consumer runs
  first): {run_times}.
* Latency: one event per producer transaction at a fixed rate, {per_run:,} events per
  run (rates actually offered: {offered} events/s). Per event, from the producer's
  clock just before its commit (carried in the payload) to PostgreSQL's
  `clock_timestamp()` when the consumer writes the effect, inside the transaction
  that commits it. Both clocks are this machine's.
* Settings: relay batch {settings.relay_batch_size}, poll interval {relay_poll_ms:.0f} ms.
  Consumer batch {settings.consumer_batch_size}, prefetch {settings.consumer_prefetch}.
  The consumer records each event in its inbox and writes one effect row per event
  (one INSERT). Producer and consumer have separate databases on the same server.
{notes}"""
