"""Scale benchmark (issue 15): every page flat from one banner to a thousand; task completions per second.

    .venv/bin/python bench/scale.py [--scales S,M,L] [--runs 30] [--seconds 10] [--build-budget 900]

On PostgreSQL (127.0.0.1:5432, user postgres), in a database of its own (`--database`, created and dropped):

1. **One banner through the real services**: `create_jurisdiction` with 12 townships and 6 departments, its members
   (`add_member`), then 120 cases driven through the front doors (`workflows.actions`, `workflows.driver.CaseDriver`):
   100 admitted on the regular track (3 townships each, so 300 township duties), 12 in the joint review, 4 waiting
   for the banner's decision, 4 for the city's; the office has claimed two review tasks (its inbox is not empty).
2. **Copies by bulk insert**: every row of the banner's tables (users, organizations, cases, opinions, documents,
   duties, audit events, Viewflow processes and tasks, …) copied with its keys shifted by `k × OFFSET` for copy
   k, in one `INSERT … SELECT … CROSS JOIN generate_series` per table: the same case in every banner, each valid for
   every page (task permissions, the process's artifact key and the task data's keys shifted too; unique names,
   document verification codes, audit sequence numbers made unique). S = 1 banner, M = 100, L = 1,000.
3. **Pages at each scale**: Django's test client in this process, signed in as the first banner's people
   (production settings with test conveniences: `config.settings_test`, fast password hasher, no second factor),
   `--runs` requests per page after two warm-ups, in rounds of one request to every page (as a web process serves
   them mixed; a slow moment of the shared machine falls on all pages alike): p50 and p95 of the wall time, and the number of queries of a
   request (the fewer of two: the session's 15-second last-seen write is not the page's). The L/S (or M/S) ratio of the p50s.
4. **Completions at the largest scale built** (at least 281 banners: smaller scales are copied up to that after their
   pages), at 1, 2 and 4 worker processes for `--seconds` each: the three review opinions of cases under review in
   the copies (40 copies to each worker), through `workflows.actions.give_bureau_opinion` as the task page calls it
   (the task and the user loaded as the page does), each worker warmed up by one case before the clock starts. New tasks are announced as in production: queued on Redis
   (database 14, `--broker-url`, emptied afterwards; nothing consumes it), or in the worker with `--in-process`.
   Beside them, in the same run, the same workers doing a bare transaction: `UPDATE` one row and `INSERT` one row.
   Afterwards each completion is checked: its task finished, its opinion recorded, its flow moved on (none lost).
   The CPU time of the workers and of their PostgreSQL backends (read from /proc) per completion is printed beside:
   what a completion costs the cores, whatever else the shared machine runs at the time.

Progress is printed as it goes; building stops before a scale whose copying would overrun `--build-budget` seconds
(measured on the previous scale), and the report says so.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import create_database, drop_database, machine  # noqa: E402

SCALES = {"S": 1, "M": 100, "L": 1000}
TOWNSHIPS = 12
DEPARTMENTS = ("林业和草原局", "应急管理局", "农牧局", "水利局", "自然资源局", "生态环境局")
ADMITTED, UNDER_REVIEW, AWAITING_BANNER, AWAITING_CITY = 100, 12, 4, 4
REVIEWERS = {"lead_review": "office", "legality_review": "justice", "data_review": "data"}
# Each worker of the completions has the cases under review of copies of its own: 40 copies, about 1,400 opinions,
# more than one worker completes in 10 s; 1 + 2 + 4 workers need 280 copies besides the first banner.
COPIES_PER_WORKER = 40
COMPLETION_BANNERS = 1 + 7 * COPIES_PER_WORKER


def say(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def setup_django(database: str, var_dir: str, broker_url: str = "") -> None:
    """Django on `database`; with `broker_url`, tasks set off after commit (announcing new work) are queued there as in
    production (config.settings_test runs them in-process: its tests have no broker)."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings_test",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        ADMISSION_VAR_DIR=var_dir,
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("ADMISSION_FONT_DIR", str(ROOT / "var" / "fonts"))
    import django

    django.setup()
    from django.conf import settings

    from config import settings as production

    # The tests seal the audit chain after every commit; measured here is production's interval.
    settings.ADMISSION_AUDIT_SEAL_SECONDS = production.ADMISSION_AUDIT_SEAL_SECONDS
    if broker_url:
        from admission.tasks import in_process

        settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = broker_url, False
        assert not in_process(), "Celery read its configuration before the broker was set"


# --- 1. one banner through the services ---------------------------------------------------------------------------


def build_banner() -> dict[str, Any]:
    """The first banner, its people and its cases, as the services make them; returns what the pages need."""
    from django.core.management import call_command

    from admission.models import CalendarYear, DutyRequest, OrganizationKind, Role, TownshipDuty
    from admission.services.audit import seal_pending_events
    from admission.services.setup import add_member, create_jurisdiction
    from tests import support
    from workflows import actions

    call_command("migrate", verbosity=0)
    today_year = datetime.now(UTC).year
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source="基准测试") for y in range(today_year, today_year + 3)], ignore_conflicts=True
    )
    code = "150721"
    jurisdiction = create_jurisdiction(
        name="阿荣旗",
        short_name="阿荣",
        division_code=code,
        city_name="呼伦贝尔市",
        city_government_name="呼伦贝尔市人民政府",
        townships=[(f"第{i + 1}镇", f"{code}{100 + i}") for i in range(TOWNSHIPS)],
        departments=[f"旗{d}" for d in DEPARTMENTS],
    )
    orgs = {o.name: o for o in jurisdiction.organizations.all()}
    by_kind = {o.kind: o for o in orgs.values()}
    keyed = {
        "office": by_kind[OrganizationKind.ORGANIZATION_OFFICE],
        "justice": by_kind[OrganizationKind.JUSTICE_BUREAU],
        "data": by_kind[OrganizationKind.DATA_BUREAU],
        "leadership": by_kind[OrganizationKind.BANNER_LEADERSHIP],
        "city": by_kind[OrganizationKind.CITY_GOVERNMENT],
        "forestry": orgs[f"旗{DEPARTMENTS[0]}"],
        **{f"t{i}": orgs[f"第{i + 1}镇"] for i in range(TOWNSHIPS)},
    }
    banner = support.Banner(jurisdiction=jurisdiction, orgs=keyed)
    roles = {"office": Role.REVIEWER, "justice": Role.REVIEWER, "data": Role.REVIEWER, "leadership": Role.HEAD}
    for key in keyed:
        if key != "city":
            role = roles.get(key, Role.CLERK)
            banner.users[key] = add_member(organization=keyed[key], username=key, password="pass-1234", role=role)

    def townships(n: int) -> tuple[str, ...]:
        return tuple(f"t{(n + j) % TOWNSHIPS}" for j in range(3))

    total = ADMITTED + UNDER_REVIEW + AWAITING_BANNER + AWAITING_CITY
    started = time.perf_counter()
    admitted = []
    for n in range(total):
        request = support.draft(banner, townships=townships(n), duty_name=f"职责事项{n + 1:03d}")
        request = actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
        support.consult_all(banner, request)
        support.submit(banner, request)
        support.accept(banner, request)
        if n >= UNDER_REVIEW:
            support.bureau_opinions(banner, request)
            support.conclude(banner, request)
        if n >= UNDER_REVIEW + AWAITING_BANNER:
            support.banner_decides(banner, request)
        if n >= UNDER_REVIEW + AWAITING_BANNER + AWAITING_CITY:
            support.city_decides(banner, request)
            admitted.append(request)
        if (n + 1) % 10 == 0:
            say(f"  banner 1: {n + 1}/{total} cases ({time.perf_counter() - started:.0f} s)")
    claimed = []
    for request in DutyRequest.objects.filter(state="under_review").order_by("pk")[:2]:
        task = support.open_task(request, "lead_review")
        actions.claim_task(task=task, actor=banner.users["office"])
        claimed.append(task.pk)

    # As the scheduler leaves a quiet system: every audit event sealed (a process seals at most once a second, so the
    # last events of the build would wait, and be copied unsealed into every banner for the first completion to seal).
    seal_pending_events()
    duty = TownshipDuty.objects.filter(township=keyed["t0"]).order_by("pk").first()
    return {
        "users": {key: user.pk for key, user in banner.users.items()},
        "case": admitted[-1].pk,
        "duty": duty.pk if duty else None,
        "township": keyed["t0"].pk,
    }


# --- 2. copies by bulk insert ---------------------------------------------------------------------------------------

# Tables that are not the banner's: shared by all (content types, permissions, national calendar, sessions, …).
SHARED = {
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "django_session",
    "django_admin_log",
    "admission_calendaryear",
    "admission_auditchainhead",
    "admission_externalidentity",
}


def _special(table: str, column: str, numeric: bool) -> str | None:
    """How a column that is not a plain key of a copied row is copied (None: as a key or as is)."""
    shift = "k * %(offset)s"
    if (table, column) == ("auth_user", "username"):
        return "src.username || '_' || k"
    if (table, column) == ("admission_jurisdiction", "division_code"):
        return "'9' || lpad(k::text, 5, '0')"
    if (table, column) == ("admission_jurisdiction", "name"):
        return "src.name || k"
    if (table, column) == ("admission_auditevent", "sequence"):
        return f"src.sequence + {shift}"
    if (table, column) == ("admission_notification", "key"):
        return "src.key || '~' || k"
    if (table, column) == ("admission_officialdocument", "verification_code"):
        # Unique by construction (copy number, then the document's key), ten characters as the real codes.
        return "'C' || lpad(k::text, 3, '0') || lpad(src.id::text, 6, '0')"
    if column in ("artifact_object_id", "seed_object_id", "owner_permission_obj_pk"):
        if numeric:
            return f"src.{column} + {shift}"
        return f"CASE WHEN src.{column} ~ '^[0-9]+$' THEN (src.{column}::bigint + {shift})::text ELSE src.{column} END"
    if (table, column) == ("viewflow_task", "owner_permission"):
        return (
            "CASE WHEN src.owner_permission LIKE 'admission.org\\_%%' THEN 'admission.org_' || "
            f"(substring(src.owner_permission from 'admission\\.org_([0-9]+)')::bigint + {shift}) || "
            "CASE WHEN src.owner_permission LIKE '%%\\_decide' THEN '_decide' ELSE '' END "
            "ELSE src.owner_permission END"
        )
    if (table, column) == ("viewflow_task", "data"):
        return (
            "CASE WHEN jsonb_typeof(src.data) = 'object' THEN coalesce((SELECT jsonb_object_agg(e.key, CASE WHEN "
            "e.key IN ('consultation', 'township', 'advisory_opinion') AND jsonb_typeof(e.value) = 'number' "
            f"THEN to_jsonb((e.value #>> '{{}}')::bigint + {shift}) ELSE e.value END) "
            "FROM jsonb_each(src.data) e), src.data) ELSE src.data END"
        )
    return None


# Where a kept database remembers what its pages need (bench/page_profile.py reads it).
SEED_TABLE = "bench_page_profile_seed"


def keep_seeded(seeded: dict[str, Any]) -> None:
    import json

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {SEED_TABLE} (data jsonb NOT NULL)")
        cursor.execute(f"DELETE FROM {SEED_TABLE}")
        cursor.execute(f"INSERT INTO {SEED_TABLE} (data) VALUES (%s)", [json.dumps(seeded)])


def copy_plan() -> list[tuple[str, str, str]]:
    """(table, INSERT … SELECT template, WHERE) for every table of the banner, parents before children."""
    from django.apps import apps

    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed
        and not m._meta.proxy
        and m._meta.db_table not in SHARED
        and m._meta.app_label in ("auth", "admission", "viewflow", "workflows")
    ]
    copied = {m._meta.db_table for m in models}
    plan = []
    for model in models:
        table = model._meta.db_table
        columns, expressions = [], []
        for field in model._meta.concrete_fields:
            numeric = field.get_internal_type() in (
                "AutoField",
                "BigAutoField",
                "IntegerField",
                "PositiveIntegerField",
                "BigIntegerField",
                "PositiveBigIntegerField",
            )
            special = _special(table, field.column, numeric)
            if special is not None:
                expression = special
            elif field.primary_key or (
                isinstance(field.related_model, type) and field.related_model._meta.db_table in copied
            ):
                expression = f"src.{field.column} + k * %(offset)s"
            else:
                expression = f"src.{field.column}"
            columns.append(f'"{field.column}"')
            expressions.append(expression)
        pk = model._meta.pk.column
        where = f"src.{pk} <= %(last)s"
        if table == "admission_calendarday":
            where += " AND src.jurisdiction_id IS NOT NULL"
        sql = (
            f'INSERT INTO "{table}" ({", ".join(columns)}) SELECT {", ".join(expressions)} '
            f'FROM "{table}" src CROSS JOIN generate_series(%(first)s::bigint, %(to)s::bigint) k WHERE {where}'
        )
        plan.append((table, sql, pk))
    return plan


def template_extent(plan: list[tuple[str, str, str]]) -> tuple[dict[str, int], int]:
    """The banner's last key in each table and the offset between copies (a power of ten above every key)."""
    from django.db import connection

    last = {}
    with connection.cursor() as cursor:
        for table, _sql, pk in plan:
            cursor.execute(f'SELECT coalesce(max("{pk}"), 0) FROM "{table}"')
            last[table] = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(sequence), 0) FROM admission_auditevent")
        highest = max([*last.values(), cursor.fetchone()[0]])
    offset = 10 ** len(str(highest))
    return last, offset


def copy_banners(plan, last: dict[str, int], offset: int, first: int, to: int) -> float:
    """Copies first..to of the banner (inclusive), in chunks of 100 copies per statement; returns the seconds."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers while copying consistent rows
        for chunk_start in range(first, to + 1, 100):
            chunk_end = min(to, chunk_start + 99)
            with transaction.atomic():
                for table, sql, _pk in plan:
                    params = {"offset": offset, "first": chunk_start, "to": chunk_end, "last": last[table]}
                    cursor.execute(sql, params)
            say(f"  copies {chunk_start}–{chunk_end} of {to}: {time.perf_counter() - started:.0f} s")
        cursor.execute("SET session_replication_role = origin")
        for table, _sql, pk in plan:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk}'), "
                f'(SELECT coalesce(max("{pk}"), 1) FROM "{table}"))'
            )
        cursor.execute(
            "UPDATE admission_auditchainhead SET last_sequence = "
            "(SELECT coalesce(max(sequence), 0) FROM admission_auditevent)"
        )
    analyze()
    return time.perf_counter() - started


def analyze() -> None:
    from django.db import connection

    say("  ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        result = {}
        for name, table in (
            ("banners", "admission_jurisdiction"),
            ("townships", "admission_organization WHERE kind = 'township'"),
            ("duties", "admission_townshipduty"),
            ("cases", "admission_dutyrequest"),
            ("tasks", "viewflow_task"),
            ("audit events", "admission_auditevent"),
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            result[name] = cursor.fetchone()[0]
    return result


# --- 3. pages -------------------------------------------------------------------------------------------------------


def pages(seeded: dict[str, Any]) -> list[tuple[str, str, str]]:
    from django.urls import reverse

    result = [
        ("queue (office)", "office", reverse("workflows:queue")),
        ("queue (justice)", "justice", reverse("workflows:queue")),
        ("inbox (office, 2 claimed)", "office", reverse("workflows:inbox")),
        ("inbox (empty)", "data", reverse("workflows:inbox")),
        ("archive (office)", "office", reverse("workflows:archive")),
        ("case list (office)", "office", reverse("admission:request_list")),
        ("case list (department)", "forestry", reverse("admission:request_list")),
        ("case page", "office", reverse("admission:request_detail", args=[seeded["case"]])),
        ("duty list (office)", "office", reverse("admission:duty_list")),
        ("duty list (township)", "t0", reverse("admission:duty_list")),
        ("duty list export (xlsx)", "office", reverse("admission:duty_list") + "?format=xlsx"),
        ("documents", "office", reverse("admission:document_list")),
        ("dashboard", "leadership", reverse("admission:dashboard")),
        ("public duty list (no login)", "", reverse("public:township", args=[seeded["township"]])),
        ("public duty list JSON", "", reverse("public:township_data", args=[seeded["township"], "json"])),
    ]
    if seeded["duty"]:
        result.append(("duty page", "t0", reverse("admission:duty_detail", args=[seeded["duty"]])))
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_pages(seeded: dict[str, Any], runs: int) -> dict[str, dict[str, float]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects.in_bulk(seeded["users"].values())
    clients: dict[str, Client] = {}
    # As a web process does once it has started (deploy/gunicorn.conf.py, post_worker_init): what exists now is out of
    # the collector's reach, so a full collection scans what the requests made, not the whole process.
    gc.collect()
    gc.freeze()
    measured = []
    for name, who, url in pages(seeded):
        if who not in clients:
            clients[who] = Client(HTTP_HOST="localhost")
            if who:
                clients[who].force_login(users[seeded["users"][who]])
        client = clients[who]
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
        measured.append((name, client, url))
    # In rounds, every page once a round, as a web process serves them mixed: a slow moment of the shared machine
    # falls on every page alike, not on the few whose requests it happened to meet (a page's thirty requests in a row
    # took about a second, and a page's p50 then moved by half from one run to the next).
    times: dict[str, list[float]] = {name: [] for name, _client, _url in measured}
    for _ in range(runs):
        for name, client, url in measured:
            started = time.perf_counter()
            client.get(url)
            times[name].append((time.perf_counter() - started) * 1000)
    result = {}
    for name, client, url in measured:
        # The fewer of two requests' queries: the session's last-seen time is written every 15 s (web/identity.py,
        # TOUCH_SECONDS), three statements more in whichever request falls due (the duty page's 15 at M against 12,
        # docs/benchmarks.md), which is the session's, not the page's.
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            counts.append(len(captured))
        result[name] = {
            "p50": statistics.median(times[name]),
            "p95": percentile(times[name], 0.95),
            "queries": min(counts),
        }
    return result


# --- 4. completions -------------------------------------------------------------------------------------------------


def review_work(offset: int, first_copy: int, copies: int, seeded: dict[str, Any]) -> list[list[tuple[int, int]]]:
    """Per case under review in copies first_copy.., its open review tasks with the reviewer of each (task, user)."""
    from viewflow.workflow.models import Task

    template = list(
        Task.objects.filter(status="NEW", flow_task_type="HUMAN", pk__lt=offset)
        .exclude(owner_id__isnull=False)
        .values_list("pk", "flow_task", "process_id")
    )
    by_process: dict[int, list[tuple[int, str]]] = {}
    for pk, flow_task, process in template:
        node = flow_task.name  # Viewflow gives the node itself
        if node in REVIEWERS:
            by_process.setdefault(process, []).append((pk, node))
    cases = []
    for k in range(first_copy, first_copy + copies):
        for tasks in by_process.values():
            cases.append([(pk + k * offset, seeded["users"][REVIEWERS[node]] + k * offset) for pk, node in tasks])
    return cases


def _backend_cpu() -> float:
    """CPU seconds used so far by this process's PostgreSQL backend (same machine: /proc), 0 when unreadable."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class _Cpu:
    """CPU seconds of this worker and of its PostgreSQL backend between start() and stop(): what one completion
    costs the machine's cores, whatever else runs beside it (the machine is shared)."""

    def start(self) -> None:
        self.worker, self.backend = time.process_time(), _backend_cpu()

    def stop(self) -> dict[str, float]:
        return {"worker": time.process_time() - self.worker, "backend": _backend_cpu() - self.backend}


def session_user() -> Callable[[int], Any]:
    """The acting user's read as the auth middleware makes it on every request (django.contrib.auth.get_user): the
    get_user of the backend a password login records in the session, the first configured ModelBackend (axes'
    backend before it only refuses)."""
    from django.conf import settings
    from django.contrib.auth import load_backend
    from django.contrib.auth.backends import ModelBackend

    backends = (load_backend(path) for path in settings.AUTHENTICATION_BACKENDS)
    return next(backend for backend in backends if isinstance(backend, ModelBackend)).get_user


def _complete(
    args: tuple[list[list[tuple[int, int]]], float, str, str, str, Any, Any],
) -> tuple[int, list[int], list[str], dict]:
    cases, seconds, database, var_dir, broker_url, ready, start = args
    setup_django(database, var_dir, broker_url)
    from workflows import actions
    from workflows.selectors import task_with_holder

    user_of = session_user()
    done: list[int] = []
    errors: list[str] = []

    def complete(task_pk: int, user_pk: int) -> None:
        task = task_with_holder(pk=task_pk)  # as the task page reads it
        user = user_of(user_pk)  # as the auth middleware reads it
        actions.give_bureau_opinion(task=task, actor=user, passes=True, reasoning="审核意见：符合要求。")

    # A serving worker is warm: its first completion (imports, first statements, connections) is not measured.
    warm_up, cases = cases[0], cases[1:]
    for task_pk, user_pk in warm_up:
        complete(task_pk, user_pk)
    cpu = _Cpu()
    ready.put(1)
    start.wait()
    cpu.start()
    deadline = time.perf_counter() + seconds
    for case in cases:
        for task_pk, user_pk in case:
            if time.perf_counter() >= deadline:
                return len(done), done, errors, cpu.stop()
            try:
                complete(task_pk, user_pk)
            except Exception as error:  # counted and reported, the run goes on
                errors.append(f"{type(error).__name__}: {error}")
            else:
                done.append(task_pk)
    return len(done), done, errors, cpu.stop()


def _bare(args: tuple[int, float, str, str, Any, Any]) -> tuple[int, list[int], list[str], dict]:
    worker, seconds, database, var_dir, ready, start = args
    setup_django(database, var_dir)
    from django.db import connection, transaction

    count = 0
    cpu = _Cpu()
    ready.put(1)
    start.wait()
    cpu.start()
    deadline = time.perf_counter() + seconds
    with connection.cursor() as cursor:
        while time.perf_counter() < deadline:
            with transaction.atomic():
                cursor.execute("UPDATE bench_bare SET n = n + 1 WHERE worker = %s", [worker])
                cursor.execute("INSERT INTO bench_bare_log (worker) VALUES (%s)", [worker])
            count += 1
    return count, [], [], cpu.stop()


def run_workers(target, jobs: list[tuple], manager) -> tuple[float, list[tuple[int, list[int], list[str], dict]]]:
    ready, start = manager.Queue(), manager.Event()
    jobs = [(*job, ready, start) for job in jobs]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        pending = pool.map_async(target, jobs)
        for _ in jobs:  # every worker has set Django up (and warmed up) and waits
            ready.get(timeout=300)
        started = time.perf_counter()
        start.set()
        results = pending.get()
    return time.perf_counter() - started, results


def measure_completions(
    seeded: dict[str, Any], offset: int, seconds: float, database: str, var_dir: str, broker_url: str
) -> dict[int, Any]:
    from django.db import connection
    from viewflow.workflow.models import Task

    from admission.models import BureauReviewOpinion

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_bare (worker int PRIMARY KEY, n bigint NOT NULL DEFAULT 0)")
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare_log (id bigserial PRIMARY KEY, worker int, at "
            "timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute("INSERT INTO bench_bare SELECT g FROM generate_series(0, 7) g ON CONFLICT DO NOTHING")
    connection.close()
    manager = multiprocessing.get_context("spawn").Manager()
    result: dict[int, Any] = {}
    next_copy = 1
    for workers in (1, 2, 4):
        jobs = []
        for _ in range(workers):
            work = review_work(offset, next_copy, COPIES_PER_WORKER, seeded)
            jobs.append((work, seconds, database, var_dir, broker_url))
            next_copy += COPIES_PER_WORKER
        say(f"  completions, {workers} worker(s), {seconds:.0f} s")
        elapsed, results = run_workers(_complete, jobs, manager)
        done = [pk for _n, pks, _e, _c in results for pk in pks]
        errors = [e for _n, _pks, es, _c in results for e in es]
        finished = Task.objects.filter(pk__in=done, status="DONE").count()
        opinions = sum(
            BureauReviewOpinion.objects.filter(
                request_id=int(t.process.artifact_object_id), organization_id=_org_of(t.owner_permission)
            ).exists()
            for t in Task.objects.filter(pk__in=done).select_related("process")
        )
        say(f"  bare UPDATE+INSERT, {workers} worker(s)")
        bare_elapsed, bare = run_workers(_bare, [(w, seconds, database, var_dir) for w in range(workers)], manager)
        result[workers] = {
            "completions": len(done),
            "per_second": len(done) / elapsed,
            "errors": errors[:5],
            "error_count": len(errors),
            "lost": len(done) - min(finished, opinions),
            "bare_per_second": sum(n for n, _p, _e, _c in bare) / bare_elapsed,
            # CPU milliseconds per completion: the workers' Python, and their PostgreSQL backends.
            "cpu_ms": {
                part: 1000 * sum(c[part] for _n, _p, _e, c in results) / max(len(done), 1)
                for part in ("worker", "backend")
            },
        }
        say(f"    {result[workers]}")
    manager.shutdown()
    if broker_url:
        say(f"  announcements dropped from {broker_url}: {purge_broker(broker_url)}")
    return result


def purge_broker(broker_url: str) -> int:
    """Drop what the workers queued: nothing consumes the benchmark's broker database."""
    from config.celery import app

    with app.connection_for_write(broker_url) as connection:
        return app.control.purge(connection=connection) or 0


def _org_of(permission: str) -> int:
    from admission.permissions import organization_id_from_permission

    organization = organization_id_from_permission(permission)
    assert organization is not None
    return organization


# --- the report -----------------------------------------------------------------------------------------------------


def report(measured: dict[str, dict], sizes: dict[str, dict], completions: dict, notes: list[str], args) -> str:
    scales = list(measured)
    lines = [
        f"- date (UTC): {datetime.now(UTC):%Y-%m-%d %H:%M}; machine: {machine()}",
        f"- load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}",
        f"- command: `.venv/bin/python bench/scale.py --scales {args.scales} --runs {args.runs} "
        f"--seconds {args.seconds:g}`",
    ]
    for scale in scales:
        lines.append(f"- {scale}: {sizes[scale]} (copying {sizes[scale].get('build_seconds', 0):.0f} s)")
    lines += [f"- {note}" for note in notes]
    top = scales[-1]
    header = "| page | " + " | ".join(f"{s} p50 / p95 ms (queries)" for s in scales) + f" | {top}/S p50 |"
    lines += ["", header, "|---" * (len(scales) + 2) + "|"]
    for page in measured[scales[0]]:
        cells = [
            f"{measured[s][page]['p50']:.1f} / {measured[s][page]['p95']:.1f} ({measured[s][page]['queries']})"
            for s in scales
        ]
        ratio = measured[top][page]["p50"] / measured[scales[0]][page]["p50"]
        lines.append(f"| {page} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    if completions:
        lines += [
            "",
            "| workers | completions/s | completions (errors, lost) | bare UPDATE+INSERT tx/s | ratio "
            "| CPU ms per completion: Python + PostgreSQL |",
            "|---|---|---|---|---|---|",
        ]
        for workers, row in completions.items():
            cpu = row["cpu_ms"]
            lines.append(
                f"| {workers} | {row['per_second']:.1f} | {row['completions']} ({row['error_count']}, {row['lost']}) "
                f"| {row['bare_per_second']:.0f} | {row['bare_per_second'] / max(row['per_second'], 0.001):.0f}× "
                f"| {cpu['worker']:.1f} + {cpu['backend']:.1f} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="admission_scale")
    parser.add_argument("--scales", default="S,M,L")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--build-budget", type=float, default=900, help="seconds a scale's copying may take")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14", help="where completions queue tasks")
    parser.add_argument("--in-process", action="store_true", help="completions announce new tasks in-process")
    args = parser.parse_args()
    scales = [s.strip() for s in args.scales.split(",")]
    var_dir = tempfile.mkdtemp(prefix="admission-scale-")
    create_database(args.database)
    try:
        setup_django(args.database, var_dir)
        say("building the first banner through the services")
        seeded = build_banner()
        if args.keep:
            keep_seeded(seeded)  # for bench/page_profile.py (not a model: never copied)
        plan = copy_plan()
        last, offset = template_extent(plan)
        analyze()  # every scale is measured with fresh planner statistics
        say(f"banner built; copies are offset by {offset}")
        measured: dict[str, dict] = {}
        sizes: dict[str, dict] = {}
        notes: list[str] = []
        built, seconds_per_copy = 1, 0.0
        announced = "in the completing worker (--in-process)" if args.in_process else f"queued on {args.broker_url}"
        notes.append(f"new tasks of the completions announced {announced}")
        for scale in scales:
            target = SCALES[scale]
            if target > built:
                estimate = seconds_per_copy * (target - built)
                if seconds_per_copy and estimate > args.build_budget:
                    notes.append(
                        f"{scale} ({target} banners) not built: copying would take about {estimate:.0f} s at "
                        f"{seconds_per_copy:.2f} s a banner (measured), over the --build-budget of "
                        f"{args.build_budget:.0f} s"
                    )
                    say(notes[-1])
                    break
                say(f"copying to {target} banners")
                took = copy_banners(plan, last, offset, built, target - 1)
                seconds_per_copy = took / (target - built)
                built = target
                sizes[scale] = {**counts(), "build_seconds": took}
            else:
                sizes[scale] = {**counts(), "build_seconds": 0}
            say(f"{scale}: {sizes[scale]}; measuring pages")
            measured[scale] = measure_pages(seeded, args.runs)
            for page, row in measured[scale].items():
                say(f"  {page}: p50 {row['p50']:.1f} ms, p95 {row['p95']:.1f} ms, {row['queries']} queries")
        if built < COMPLETION_BANNERS:
            say(f"copying to {COMPLETION_BANNERS} banners for the completions")
            copy_banners(plan, last, offset, built, COMPLETION_BANNERS - 1)
            notes.append(f"completions on {COMPLETION_BANNERS} banners (copied after the pages were measured)")
            built = COMPLETION_BANNERS
        say(f"completions at {built} banners")
        broker_url = "" if args.in_process else args.broker_url
        completions = measure_completions(seeded, offset, args.seconds, args.database, var_dir, broker_url)
        print()
        print(report(measured, sizes, completions, notes, args))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
