"""What one task completion costs, in one process (issue 15 part 1): statements, Python CPU, PostgreSQL CPU.

    .venv/bin/python bench/completion_profile.py --build [--database admission_completions]
    .venv/bin/python bench/completion_profile.py [--completions 300] [--cprofile out.prof] [--in-process]

`--build` makes the data once: bench/scale.py's S banner (through the services) and enough copies of it by bulk
insert for the completions asked (36 bureau opinions a copy), kept as the database `--database`. Every measurement
then runs on a fresh copy of it (`CREATE DATABASE … TEMPLATE`, dropped afterwards), so each run starts from the same
rows whatever the code measured: run it on two checkouts (`PYTHONPATH=<checkout>`) to compare them.

A measurement completes the three review opinions of cases under review, copy after copy, through
`workflows.actions.give_bureau_opinion`, the task and the user loaded as the task page does, as bench/scale.py's
workers do, after a warm-up of one case. It prints per completion: statements (those after commit included: the
audit seal, the announcement when it runs in-process), the CPU milliseconds of this process and of its PostgreSQL
backend (bench/scale.py reads them from /proc), and the wall time. On a shared machine compare CPU, not wall time.

New tasks are announced as in production, queued on Redis (database 14 by default, `--broker-url`, emptied
afterwards; nothing consumes it); `--in-process` announces them in the committing process, as without a broker.
`--cprofile FILE` writes a cProfile of the measured completions and prints its top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402
from load import admin_connection, create_database, drop_database  # noqa: E402

OPINIONS_PER_COPY = scale.UNDER_REVIEW * len(scale.REVIEWERS)


def build(database: str, completions: int, var_dir: str) -> None:
    """The S banner and enough copies for `completions` (and a warm-up case), kept as `database`."""
    create_database(database)
    scale.setup_django(database, var_dir)
    scale.say("building the first banner through the services")
    seeded = scale.build_banner()
    plan = scale.copy_plan()
    last, offset = scale.template_extent(plan)
    copies = completions // OPINIONS_PER_COPY + 2
    scale.say(f"copying {copies} banners")
    scale.copy_banners(plan, last, offset, 1, copies)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_seeded (users jsonb, copy_offset bigint, copies int)")
        cursor.execute(
            "INSERT INTO bench_seeded VALUES (%s::jsonb, %s, %s)", [json.dumps(seeded["users"]), offset, copies]
        )
    connection.close()
    scale.say(f"kept as {database}")


def measure(template: str, completions: int, profile_to: str | None, var_dir: str, broker_url: str) -> None:
    run = f"{template}_run_{os.getpid()}"  # measurements side by side each on a copy of their own
    drop_database(run)
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{run}" TEMPLATE "{template}"')
    try:
        scale.setup_django(run, var_dir, broker_url)
        _measure(completions, profile_to)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(run)


def _measure(completions: int, profile_to: str | None) -> None:
    from django.conf import settings
    from django.db import connection
    from viewflow.workflow.models import Task

    from workflows import actions
    from workflows.selectors import task_with_holder

    with connection.cursor() as cursor:
        cursor.execute("SELECT users, copy_offset, copies FROM bench_seeded")
        users, offset, copies = cursor.fetchone()
    users_of = json.loads(users) if isinstance(users, str) else users
    needed = completions // OPINIONS_PER_COPY + 1
    assert copies >= needed, f"built with {copies} copies, {needed} needed: --build with more --completions"
    cases = scale.review_work(offset, 1, needed + 1, {"users": users_of})
    warm_up, cases = cases[0], cases[1:]
    work = [step for case in cases for step in case][:completions]

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    user_of = scale.session_user()

    def complete(steps: list[tuple[int, int]]) -> None:
        for task_pk, user_pk in steps:
            task = task_with_holder(pk=task_pk)  # as the task page reads it
            user = user_of(user_pk)  # as the auth middleware reads it
            actions.give_bureau_opinion(task=task, actor=user, passes=True, reasoning="审核意见：符合要求。")

    complete(warm_up)
    cpu = scale._Cpu()
    profiler = cProfile.Profile(time.process_time) if profile_to else None  # CPU, not waiting for PostgreSQL
    with connection.execute_wrapper(count):
        cpu.start()
        statements = 0  # not cpu.start()'s own
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        complete(work)
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - started
        counted = statements
        used = cpu.stop()
    done = Task.objects.filter(pk__in=[pk for pk, _user in work], status="DONE").count()
    n = len(work)
    broker = settings.CELERY_BROKER_URL or "none (announced in-process)"
    print(f"completions: {n} ({done} done), broker: {broker}, profiled: {bool(profiler)}")
    print(
        f"per completion: {counted / n:.2f} statements, CPU {1000 * used['worker'] / n:.2f} ms Python + "
        f"{1000 * used['backend'] / n:.2f} ms PostgreSQL, wall {1000 * wall / n:.2f} ms"
    )
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if profiler and profile_to:
        profiler.dump_stats(profile_to)
        stats = pstats.Stats(profile_to)
        # Steadier than CPU time on a shared machine: the same code makes the same calls whatever else runs.
        print(f"Python function calls per completion: {stats.total_calls / n:.0f}")  # type: ignore[attr-defined]
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)


def purge_broker() -> int:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return 0
    from config.celery import app

    return app.control.purge() or 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="admission_completions", help="the kept database (the template)")
    parser.add_argument("--build", action="store_true", help="build the kept database")
    parser.add_argument("--completions", type=int, default=300)
    parser.add_argument("--cprofile", metavar="FILE", help="write a cProfile of the completions and print its top")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--in-process", action="store_true", help="announce new tasks in the completing process")
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="admission-completions-")
    if args.build:
        build(args.database, args.completions, var_dir)
        return 0
    measure(args.database, args.completions, args.cprofile, var_dir, "" if args.in_process else args.broker_url)
    print(f"announcements dropped from the broker: {purge_broker()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
