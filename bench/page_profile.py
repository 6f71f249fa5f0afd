"""Where a page's time goes: the CPU of one request to the pages of bench/scale.py, in a kept one-banner database.

    .venv/bin/python bench/page_profile.py --build                       # once: the banner of scale.py, kept
    .venv/bin/python bench/page_profile.py --page "case page" --runs 50  # CPU ms per request, queries
    .venv/bin/python bench/page_profile.py --page "duty list (office)" --cprofile /tmp/duty.prof
    .venv/bin/python bench/page_profile.py --page "duty list" --save-bodies /tmp/before
    .venv/bin/python bench/page_profile.py --database admission_scale --page "public"  # a scale.py --keep database

The pages of scale.py are flat from one banner to a thousand (the same statements at every scale), so what a request
costs the web process is measured here at one banner: `time.process_time()` per request (the CPU of this process, not
the wall clock of a shared machine) and the statements it sends. Compare two checkouts by running this script from
each, alternately (A, B, A, B), against the same kept database. `--save-bodies` writes each page's HTML (or file) so
that two checkouts' output can be diffed; `--language en` requests the pages in English (as the language switch
chooses it: a cookie).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import create_database  # noqa: E402
from scale import SEED_TABLE, analyze, build_banner, keep_seeded, pages, say, setup_django  # noqa: E402


def build(database: str) -> None:
    create_database(database)
    setup_django(database, tempfile.mkdtemp(prefix="admission-pages-"))
    say("building one banner through the services")
    seeded = build_banner()
    analyze()
    keep_seeded(seeded)
    say(f"kept in {database}")


def seeded_of(database: str) -> dict:
    setup_django(database, tempfile.mkdtemp(prefix="admission-pages-"))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {SEED_TABLE}")
        data = cursor.fetchone()[0]
    return data if isinstance(data, dict) else json.loads(data)


def profile(seeded: dict, *, only: str, runs: int, language: str, cprofile: str, bodies: str) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    selected = [page for page in pages(seeded) if only in page[0]]
    if not selected:
        raise SystemExit(f"no page named like {only!r}; the pages: {', '.join(p[0] for p in pages(seeded))}")
    users = get_user_model().objects.in_bulk(seeded["users"].values())
    profiler = cProfile.Profile() if cprofile else None
    for name, who, url in selected:
        client = Client(HTTP_HOST="localhost")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the language switch's choice (web/middleware.py)
        if who:
            client.force_login(users[seeded["users"][who]])
        for _ in range(3):
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
        if bodies:
            target = Path(bodies) / (name.replace(" ", "_").replace("/", "_") + f".{language}")
            target.parent.mkdir(parents=True, exist_ok=True)
            body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
            target.write_bytes(body)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        statements = len(captured)  # now: the next request's start empties the log
        cpu, wall = [], []
        for _ in range(runs):
            started, clock = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            client.get(url)
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - started) * 1000)
            wall.append((time.perf_counter() - clock) * 1000)
        print(
            f"{name}: CPU median {statistics.median(cpu):.1f} ms, min {min(cpu):.1f} ms; "
            f"wall median {statistics.median(wall):.1f} ms over {runs} requests; {statements} statements"
        )
    if profiler:
        profiler.dump_stats(cprofile)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="admission_pages", help="the kept database")
    parser.add_argument("--build", action="store_true", help="build the kept database (one banner)")
    parser.add_argument("--page", default="", help="the pages whose name contains this (all when empty)")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--language", default="zh-hans")
    parser.add_argument("--cprofile", metavar="FILE", default="", help="write a cProfile of the runs, print its top")
    parser.add_argument("--save-bodies", metavar="DIR", default="", help="write each page's response body here")
    args = parser.parse_args()
    if args.build:
        build(args.database)
        return 0
    profile(
        seeded_of(args.database),
        only=args.page,
        runs=args.runs,
        language=args.language,
        cprofile=args.cprofile,
        bodies=args.save_bodies,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
