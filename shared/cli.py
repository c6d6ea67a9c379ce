"""``stride``: the one command for running and operating the platform."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import socket
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import structlog

from shared.config import CELERY_SERVICES, ROLES, SERVICES, ConfigError, Settings, load_settings
from shared.observability import Heartbeat, configure_logging

if TYPE_CHECKING:
    from shared.events.consumer import EventConsumer
    from shared.events.handlers import HandlerRegistry
    from shared.events.relay import OutboxRelay

# Heavy modules (SQLAlchemy, kombu, pika, alembic) are imported by the commands that
# use them, so health checks that run every few seconds start quickly.

REPO_ROOT = Path(__file__).resolve().parent.parent


def migrations_dir(service: str) -> Path:
    module = importlib.import_module(f"services.{service}")
    return Path(next(iter(module.__path__))) / "migrations"


def registry_of(service: str) -> HandlerRegistry:
    registry: HandlerRegistry = importlib.import_module(f"services.{service}.handlers").registry
    return registry


def _stop_on_signals(*events: threading.Event) -> None:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        for event in events:
            event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


# -- commands ------------------------------------------------------------------------
def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from shared.auth import mint_token

    token = mint_token(
        settings,
        sub=args.sub,
        role=args.role,
        students=args.students or (),
        courses=args.courses or (),
        ttl=timedelta(minutes=args.ttl_minutes),
    )
    print(f"# {args.role} {args.sub}, valid {args.ttl_minutes} minutes; use as:", file=sys.stderr)
    print('#   curl -H "Authorization: Bearer $TOKEN" ...', file=sys.stderr)
    print(token)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from shared.migrations import DatabaseSetupError, ensure_database, grant_runtime_role, upgrade

    unknown = sorted(set(args.services or ()) - set(SERVICES))
    if unknown:
        print(f"unknown service(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    for service in args.services or SERVICES:
        url = settings.database_url(service)
        try:
            ensure_database(url, f"STRIDE_{service.upper()}_DATABASE_URL")
        except DatabaseSetupError as exc:
            print(f"stride migrate: {exc}", file=sys.stderr)
            return 1
        upgrade(service, url, migrations_dir(service))
        role = settings.runtime_roles.get(service)
        if role:
            grant_runtime_role(url, role)
        try:
            declare_broker_topology(service, settings)
        except Exception as exc:
            print(
                f"stride migrate: {service}: database at head, but its queues could not be "
                f"declared: STRIDE_BROKER_URL broker unreachable ({exc!r}); they are declared "
                "again when its processes start",
                file=sys.stderr,
            )
            continue
        print(f"{service}: database at head, queues declared")
    return 0


def _relay(service: str, settings: Settings, heartbeat: Heartbeat) -> OutboxRelay:
    from shared.db import Database
    from shared.events.publishers import open_publisher
    from shared.events.relay import OutboxRelay

    return OutboxRelay(
        service,
        Database(settings.database_url(service)),
        open_publisher(settings),
        batch_size=settings.relay_batch_size,
        poll_interval=settings.relay_poll_interval,
        heartbeat=heartbeat,
        max_attempts=settings.outbox_max_attempts,
    )


def _consumer(service: str, settings: Settings, heartbeat: Heartbeat) -> EventConsumer:
    from shared.db import Database
    from shared.events.consumer import EventConsumer

    return EventConsumer(
        registry_of(service),
        Database(settings.database_url(service)),
        settings,
        heartbeat=heartbeat,
    )


def _run_loops(loops: Sequence[Any], settings: Settings) -> int:
    """Run each loop on its own thread; if one dies, stop them all and exit non-zero.

    A relay or consumer that died while the others kept the process (and its
    heartbeat) alive would fail silently; exiting lets the supervisor restart it.
    """
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port)
    _stop_on_signals(*(loop.stopping for loop in loops))
    failures: list[BaseException] = []

    def guarded(loop: Any) -> None:
        try:
            loop.run()
        except Exception as exc:
            failures.append(exc)
            structlog.get_logger(__name__).exception("loop.crashed", loop=type(loop).__name__)
        finally:
            if not loop.stopping.is_set():
                for other in loops:
                    other.stopping.set()

    threads = [threading.Thread(target=guarded, args=(loop,), daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=0.5)
    if failures:
        print(f"stride: stopping after an unexpected error: {failures[0]!r}", file=sys.stderr)
        return 1
    return 0


def cmd_relay(args: argparse.Namespace, settings: Settings) -> int:
    heartbeat = Heartbeat(settings.heartbeat_file)
    loops = [_relay(s, settings, heartbeat.of_loop(f"relay-{s}")) for s in args.services]
    return _run_loops(loops, settings)


def cmd_consume(args: argparse.Namespace, settings: Settings) -> int:
    heartbeat = Heartbeat(settings.heartbeat_file)
    loops = [_consumer(s, settings, heartbeat.of_loop(f"consumer-{s}")) for s in args.services]
    return _run_loops(loops, settings)


def cmd_events(args: argparse.Namespace, settings: Settings) -> int:
    heartbeat = Heartbeat(settings.heartbeat_file)
    loops: list[Any] = []
    for service in args.services:
        loops.append(_relay(service, settings, heartbeat.of_loop(f"relay-{service}")))
        if len(registry_of(service)):
            loops.append(_consumer(service, settings, heartbeat.of_loop(f"consumer-{service}")))
    return _run_loops(loops, settings)


def _celery_of(service: str) -> Any:
    if service not in CELERY_SERVICES:
        raise SystemExit(f"{service} has no Celery workers; those are {', '.join(CELERY_SERVICES)}")
    app = importlib.import_module(f"services.{service}.app").create_app()
    return app.extensions["celery"]


def declare_broker_topology(service: str, settings: Settings) -> None:
    """Declare the exchanges, queues and bindings ``service`` consumes from.

    Run by ``stride migrate`` (and again, harmlessly, by each process that uses them),
    so events published before a consumer first starts are queued, not unrouted.
    """
    from shared.db import Database
    from shared.events.broker import kombu_connection
    from shared.events.consumer import EventConsumer
    from shared.tasks import declare_task_queue

    with kombu_connection(settings) as connection:
        connection.ensure_connection(max_retries=2, timeout=5)
        registry = registry_of(service)
        if len(registry):
            database = Database(settings.database_url(service))
            EventConsumer(registry, database, settings).declare(connection)
            database.dispose()
        if service in CELERY_SERVICES:
            declare_task_queue(connection.default_channel, service)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    celery = _celery_of(args.service)
    declare_broker_topology(args.service, settings)
    celery.worker_main(
        [
            "worker",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{args.service}@%h",
            "--queues",
            celery.conf.task_default_queue,
            "--concurrency",
            str(args.concurrency),
        ]
    )
    return 0


def cmd_beat(args: argparse.Namespace, settings: Settings) -> int:
    celery = _celery_of(args.service)
    schedule = settings.var_dir / f"celerybeat-{args.service}"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery.start(
        [
            "beat",
            "--loglevel",
            "INFO",
            "--scheduler",
            "shared.tasks:HeartbeatScheduler",
            "--schedule",
            str(schedule),
        ]
    )
    return 0


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    if args.url:
        try:
            with urllib.request.urlopen(args.url, timeout=5) as response:
                return 0 if response.status == 200 else 1
        except (urllib.error.URLError, OSError) as exc:
            print(f"unhealthy: {exc}", file=sys.stderr)
            return 1
    if args.heartbeat:
        stale = Heartbeat.stale_loops(Path(args.heartbeat), args.max_age)
        if stale is None:
            return 0 if Heartbeat.is_fresh(Path(args.heartbeat), args.max_age) else 1
        if stale:
            print(f"unhealthy: no heartbeat from {', '.join(stale)}", file=sys.stderr)
            return 1
        return 0
    if args.celery:
        # Ask this container's worker only: another healthy worker proves nothing here.
        worker = f"{args.celery}@{socket.gethostname()}"
        replies = _celery_of(args.celery).control.ping(destination=[worker], timeout=3)
        return 0 if replies else 1
    print("health: give --url, --heartbeat or --celery", file=sys.stderr)
    return 2


def cmd_dlq(args: argparse.Namespace, settings: Settings) -> int:
    from shared.events.dead_letters import list_parked, replay_parked

    if args.action == "replay":
        count = replay_parked(settings, args.service, args.limit, args.event_id)
        print(f"{args.service}: {count} parked event(s) sent back to stride.{args.service}")
        return 0
    parked = list_parked(settings, args.service, args.limit)
    for event in parked:
        print(f"{event.message_id}  {event.routing_key}  {event.failed_at}")
        print(f"    {event.error.splitlines()[0] if event.error else ''}")
    print(f"{args.service}: {len(parked)} parked event(s) shown")
    return 0


def keep_running(
    command: Sequence[str],
    stopping: threading.Event,
    *,
    first_delay: float = 1.0,
    max_delay: float = 30.0,
    steady_after: float = 60.0,
) -> int:
    """Run ``command``; whenever it exits on its own, say so and start it again.

    Restarts back off from ``first_delay`` to ``max_delay`` seconds and start over once
    the command stayed up ``steady_after`` seconds. When ``stopping`` is set (SIGTERM,
    Ctrl-C) the command is asked to stop too, and its exit code is returned.
    """
    import subprocess
    import time

    delay = first_delay
    name = " ".join(command)
    while True:
        started = time.monotonic()
        child = subprocess.Popen(list(command))
        while child.poll() is None:
            if stopping.wait(0.2):
                child.send_signal(signal.SIGTERM)
                try:
                    return child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    return child.wait()
        if stopping.is_set():
            return child.returncode
        if time.monotonic() - started >= steady_after:
            delay = first_delay
        print(
            f"stride keep: {name!r} exited with {child.returncode}; restarting in {delay:g} s",
            file=sys.stderr,
            flush=True,
        )
        if stopping.wait(delay):
            return child.returncode
        delay = min(delay * 2, max_delay)


def cmd_keep(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("keep: give the command to run after --", file=sys.stderr)
        return 2
    stopping = threading.Event()
    _stop_on_signals(stopping)
    return keep_running(command, stopping)


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    from shared.db import Database
    from shared.events import outbox

    database = Database(settings.database_url(args.service))
    try:
        with database.unit_of_work() as session:
            if args.action == "retry":
                count = outbox.revive_dead(session, args.event_id)
                session.commit()
                print(f"{args.service}: {count} dead outbox event(s) will be published again")
                return 0
            dead = outbox.list_dead(session, args.limit)
            unsent = outbox.count_unsent(session)
            total_dead = outbox.count_dead(session)
    finally:
        database.dispose()
    for event in dead:
        print(f"{event.id}  {event.event_type}  dead since {event.dead_at.isoformat()}")
        print(f"    {event.publish_attempts} refusal(s); last: {event.last_error or ''}")
    print(f"{args.service}: {total_dead} dead, {unsent - total_dead} waiting to be published")
    return 1 if total_dead else 0


def cmd_activity(args: argparse.Namespace, settings: Settings) -> int:
    run_command = importlib.import_module("services.activity.tasks").run_command
    status: int = run_command(args.action, args.month, settings, show_progress=sys.stderr.isatty())
    return status


def cmd_analytics(args: argparse.Namespace, settings: Settings) -> int:
    from shared.time import utcnow

    tasks = importlib.import_module("services.analytics.tasks")
    if args.action == "aggregate":
        return _aggregate(tasks, args, settings)
    if args.action == "retrain":
        model = tasks.run_retrain(settings, args.now or utcnow(), args.courses)
        print(
            f"analytics: success model {model['source']}"
            f" on {model['trained_on']:,} examples"
            + ("" if model["source"] == "trained" else " (too little history: the prior serves)")
        )
        return 0
    status: int = tasks.run_evaluation(settings, args.split, args.now or utcnow())
    return status


def _aggregate(tasks: Any, args: argparse.Namespace, settings: Settings) -> int:
    """``stride analytics aggregate``: the nightly roll-up of activity records, by hand."""
    from shared.errors import InvalidInput
    from shared.progress import progress_bar, quiet
    from shared.time import utcnow

    shown = sys.stderr.isatty()
    try:
        done = tasks.run_aggregate(
            settings, args.now or utcnow(), args.day, progress_bar if shown else quiet
        )
    except InvalidInput as error:
        print(f"analytics aggregate: {error}", file=sys.stderr)
        return 2
    print(
        f"analytics: {done.days:,} day(s) rolled up, {done.records:,} record(s) "
        f"into {done.rows:,} row(s)"
    )
    return 0


def _day(text: str) -> date:
    """``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def _moment(text: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or ISO 8601 with an offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DD or ISO 8601") from exc
    if moment.tzinfo is None:
        if len(text) != len("YYYY-MM-DD"):
            raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset")
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# -- the Open University dataset (shared/oulad) -----------------------------------------
DEMO_DATA = REPO_ROOT.parent / "shared" / "data" / "oulad-2013"


def _oulad_session(args: argparse.Namespace, settings: Settings) -> tuple[Any, Any, Any]:
    """(client, calendar, dataset) of an ``import oulad`` / ``oulad ...`` command."""
    from shared.auth import mint_token
    from shared.oulad.client import ApiClient
    from shared.oulad.mapping import Calendar
    from shared.oulad.reading import read_dataset

    token = (
        args.token
        or os.environ.get("STRIDE_OULAD_TOKEN")
        or mint_token(settings, sub="USR-SVC-OULAD", role="service")
    )
    url = args.url or f"http://localhost:{settings.gateway_port}"
    return ApiClient(url, token), Calendar(dict(args.start or ())), read_dataset(args.folder)


def _oulad_failed(exc: Exception) -> int:
    print(f"stride: {exc}", file=sys.stderr)
    return 1


def cmd_import_oulad(args: argparse.Namespace, settings: Settings) -> int:
    from shared.oulad.catchup import NotCaughtUp, ServedPlatform
    from shared.oulad.client import ApiError
    from shared.oulad.importer import import_courses
    from shared.oulad.mapping import MappingError, courses_of
    from shared.oulad.reading import DatasetError

    try:
        client, calendar, dataset = _oulad_session(args, settings)
        courses = courses_of(dataset, args.presentations, args.modules)
        platform = ServedPlatform(settings)
        report = import_courses(
            client, courses, calendar, args.until_day, show_progress=sys.stderr.isatty()
        )
        print(report.summary(), flush=True)
        if args.wait:
            waited = platform.wait_until_caught_up()
            print(f"the platform's consumers caught up {waited:.1f} s after the import")
    except (ApiError, DatasetError, MappingError, NotCaughtUp) as exc:
        return _oulad_failed(exc)
    return 0


def cmd_oulad(args: argparse.Namespace, settings: Settings) -> int:
    from shared.oulad.catchup import NotCaughtUp, ServedPlatform
    from shared.oulad.client import ApiError
    from shared.oulad.demo import DemoFailed, run_demo
    from shared.oulad.judge import report_text, run_judge
    from shared.oulad.mapping import MappingError, courses_of
    from shared.oulad.reading import DatasetError, read_demographics

    shown = sys.stderr.isatty()
    try:
        client, calendar, dataset = _oulad_session(args, settings)
        platform = ServedPlatform(settings)
        history = courses_of(dataset, args.history, args.modules)
        later = courses_of(dataset, args.later, args.modules)
        if args.action == "demo":
            run_demo(
                client,
                platform,
                history,
                later,
                calendar,
                settings,
                day=args.day,
                show_progress=shown,
            )
            return 0
        report = run_judge(
            client,
            platform,
            history,
            later,
            read_demographics(args.folder),
            calendar,
            args.days,
            concurrency=args.concurrency,
            show_progress=shown,
        )
    except (ApiError, DatasetError, MappingError, NotCaughtUp, DemoFailed, ValueError) as exc:
        return _oulad_failed(exc)
    text = report_text(report)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return 0


def _start(text: str) -> tuple[str, Any]:
    from shared.oulad.mapping import parse_start

    try:
        return parse_start(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _oulad_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the gateway (default: http://localhost:STRIDE_GATEWAY_PORT)")
    parser.add_argument(
        "--token",
        help="a service token (default: STRIDE_OULAD_TOKEN, else one minted with the "
        "configured development keys)",
    )
    parser.add_argument(
        "--start",
        type=_start,
        action="append",
        metavar="PRESENTATION=YYYY-MM-DD",
        help="the start date of a presentation (default: the 1st of February for B, "
        "of October for J); repeatable",
    )
    parser.add_argument("--modules", nargs="+", help="only these modules (e.g. AAA BBB)")


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    cmd_migrate(argparse.Namespace(services=None), settings)
    gateway = f"http://localhost:{settings.gateway_port}"
    print(
        f"""
Stride is starting (embedded mode: SQLite under {settings.var_dir}, file broker).

  Gateway      {gateway}
  Health       {gateway}/api/<service>/healthz   services: {", ".join(SERVICES)}
  API docs     {gateway}/api/<service>/docs      (OpenAPI: .../openapi.json)
  Token        .venv/bin/stride token --role teacher --sub USR-TEA-1 --courses CRS-MATH-1001
               (roles: {", ".join(sorted(ROLES))}; --students ID ... for parents)

Ctrl-C stops every process.
""",
        flush=True,
    )
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    bin_dir = Path(sys.executable).parent
    environment["PATH"] = f"{bin_dir}{os.pathsep}{environment.get('PATH', '')}"
    environment["STRIDE_GATEWAY_PORT"] = str(settings.gateway_port)
    os.chdir(REPO_ROOT)
    # honcho replaces this process, so Ctrl-C and SIGTERM reach it and every child.
    honcho = str(bin_dir / "honcho")
    os.execve(honcho, [honcho, "start", "-f", str(REPO_ROOT / "Procfile")], environment)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stride", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    token = commands.add_parser("token", help="mint a development token (printed last)")
    token.add_argument("--role", required=True, choices=sorted(ROLES))
    token.add_argument("--sub", required=True, help="the user id, e.g. USR-STU-12345")
    token.add_argument("--students", nargs="*", help="for a parent: the children")
    token.add_argument("--courses", nargs="*", help="for a teacher: the courses taught")
    token.add_argument("--ttl-minutes", type=int, default=480)
    token.set_defaults(run=cmd_token)

    migrate = commands.add_parser("migrate", help="bring service databases to head")
    migrate.add_argument("services", nargs="*", help=f"default: all of {', '.join(SERVICES)}")
    migrate.set_defaults(run=cmd_migrate)

    for name, func, text in (
        ("relay", cmd_relay, "publish the outbox of these services"),
        ("consume", cmd_consume, "apply the events queued for these services"),
        ("events", cmd_events, "relay and consume for these services"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("services", nargs="+", choices=SERVICES)
        sub.set_defaults(run=func)

    worker = commands.add_parser("worker", help="run a Celery worker")
    worker.add_argument("service", choices=CELERY_SERVICES)
    worker.add_argument("--concurrency", type=int, default=2)
    worker.set_defaults(run=cmd_worker)

    beat = commands.add_parser("beat", help="run Celery beat (scheduled jobs)")
    beat.add_argument("service", choices=CELERY_SERVICES)
    beat.set_defaults(run=cmd_beat)

    health = commands.add_parser("health", help="exit 0 when healthy (for health checks)")
    health.add_argument("--url")
    health.add_argument("--heartbeat")
    health.add_argument("--max-age", type=float, default=60.0)
    health.add_argument("--celery", choices=CELERY_SERVICES)
    health.set_defaults(run=cmd_health)

    dlq = commands.add_parser("dlq", help="list or replay a service's parked events")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("service", choices=SERVICES)
    dlq.add_argument("--limit", type=int, default=100)
    dlq.add_argument("--event-id", help="replay only this event")
    dlq.set_defaults(run=cmd_dlq)

    outbox = commands.add_parser(
        "outbox", help="list outbox events the broker refused too often; publish them again"
    )
    outbox.add_argument("action", choices=["list", "retry"])
    outbox.add_argument("service", choices=SERVICES)
    outbox.add_argument("--limit", type=int, default=100)
    outbox.add_argument("--event-id", help="retry only this event")
    outbox.set_defaults(run=cmd_outbox)

    keep = commands.add_parser(
        "keep", help="run a command, restarting it whenever it exits (used by the Procfile)"
    )
    keep.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG ...]")
    keep.set_defaults(run=cmd_keep)

    activity = commands.add_parser(
        "activity", help="activity log upkeep: partitions ahead, archive, restore, retention"
    )
    activity.add_argument("action", choices=["partitions", "archive", "restore", "retention"])
    activity.add_argument("month", nargs="?", help="the month to restore, YYYY-MM")
    activity.set_defaults(run=cmd_activity)

    analytics = commands.add_parser(
        "analytics",
        help="the success model: its quality (evaluate), a fit by hand (retrain); the "
        "nightly roll-up of activity records, by hand (aggregate)",
    )
    analytics.add_argument("action", choices=["evaluate", "retrain", "aggregate"])
    analytics.add_argument(
        "--split",
        type=_moment,
        help="train on enrollments started before it, judge those started from it "
        "(default: the latest-started third of the finished enrollments is judged)",
    )
    analytics.add_argument(
        "--now",
        type=_moment,
        help="evaluate: judge enrollments finished before it; retrain: fit on those "
        "finished before it; aggregate: roll up the days closed by then (default: now)",
    )
    analytics.add_argument(
        "--day",
        type=_day,
        help="aggregate: roll up this UTC day only (again), YYYY-MM-DD; it must be closed",
    )
    analytics.add_argument(
        "--courses", nargs="+", help="retrain: on the enrollments of these courses only"
    )
    analytics.set_defaults(run=cmd_analytics)

    importing = commands.add_parser("import", help="import a dataset through the API")
    datasets = importing.add_subparsers(dest="dataset", required=True)
    oulad_import = datasets.add_parser(
        "oulad", help="an OULAD folder: courses, enrollments, submissions, final results"
    )
    oulad_import.add_argument("folder", type=Path, help="the folder of the OULAD CSV files")
    oulad_import.add_argument(
        "--presentations", nargs="+", help="only these presentations (e.g. 2013B)"
    )
    oulad_import.add_argument(
        "--until-day",
        type=int,
        help="only what is dated before day D of each presentation (start + D days)",
    )
    oulad_import.add_argument(
        "--wait",
        action="store_true",
        help="then wait until progress' outbox is empty and analytics and reports have "
        "applied its events, and say how long that took (needs the platform's settings: "
        "its databases and broker)",
    )
    _oulad_options(oulad_import)
    oulad_import.set_defaults(run=cmd_import_oulad)

    oulad = commands.add_parser("oulad", help="the OULAD judge of predictions; the demo")
    oulad_actions = oulad.add_subparsers(dest="action", required=True)
    judge = oulad_actions.add_parser(
        "judge", help="predictions on a later term as of day D, scored against its results"
    )
    judge.add_argument("folder", type=Path, help="the folder of the OULAD CSV files")
    judge.add_argument("--history", nargs="+", default=["2013B"])
    judge.add_argument("--later", nargs="+", default=["2013J"])
    judge.add_argument("--days", nargs="+", type=int, default=[30, 60, 90, 120, 150])
    judge.add_argument("--concurrency", type=int, default=4, help="analytics reads at once")
    judge.add_argument("--output", help="also write the report to this file")
    _oulad_options(judge)
    judge.set_defaults(run=cmd_oulad)
    demo = oulad_actions.add_parser("demo", help="fill the running platform with real students")
    demo.add_argument("folder", type=Path, nargs="?", default=DEMO_DATA)
    demo.add_argument("--day", type=int, default=90, help="the later term as far as this day")
    _oulad_options(demo)
    demo.set_defaults(run=cmd_oulad, history=["2013B"], later=["2013J"], modules=["BBB", "DDD"])

    up = commands.add_parser("up", help="run the whole platform locally")
    up.set_defaults(run=cmd_up)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"stride: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    result: int = args.run(args, settings)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
