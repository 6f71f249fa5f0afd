"""Load benchmark: the production stack on PostgreSQL under the roles' everyday mix of pages and task completions.

    .venv/bin/python bench/load.py [--users 20] [--spawn-rate 5] [--run-time 60] [--scale 1] [--markdown FILE]

(`make bench-load`.) Everything is on loopback and is removed afterwards:
1. creates the PostgreSQL database `--database` (default admission_load) at 127.0.0.1:5432, migrates it and seeds
   it: `seed_demo --no-render` (the Arun Banner demo: its users, organizations and 22 cases), then about 100 more
   cases (times --scale) driven through the front doors (workflows.actions, workflows.driver.CaseDriver) to the
   steps where people pick them up: consultations waiting for townships, applications to submit, intake, the
   joint review's three opinions, conclusions, the banner's and the city's decisions;
2. starts the production stack as `make serve` runs it (deploy/serve: gunicorn with deploy/gunicorn.conf.py, a
   Celery worker and Celery beat) with production settings (DJANGO_DEBUG=0; gunicorn on plain HTTP on loopback,
   as behind the TLS proxy, hence no SSL redirect and no Secure cookie flag), Redis db --redis-db with a queue of
   its own, and waits until the worker has rendered every document the seeding issued;
3. runs locust headless for --run-time seconds (bench/load_users.py: township clerks, departments, office
   reviewers and the leadership, weights 10:4:4:2) against it;
4. checks that nothing was lost: every completion POST that answered 302 to its case is one finished task of that
   step in the engine and one audit event of its action, no other task was finished, every case's flow and request
   state agree, and the worker rendered every document issued during the run;
5. prints requests/s, p50/p95 per page, task completions/s and errors, the machine and the load average during the
   run; --markdown FILE writes the same as a docs/benchmarks.md section.

Exit status 1 when a request failed or a completion is lost (the p95 goal only reports).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
P95_GOAL_MS = 300

# The processes of `make serve` (Makefile: WEB_COMMAND, WORKER_COMMAND, SCHEDULER_COMMAND), run by deploy/serve.
STACK = (
    f"{VENV_BIN}/gunicorn -c deploy/gunicorn.conf.py config.wsgi:application",
    f"{VENV_BIN}/celery -A config worker --loglevel INFO",
    f"{VENV_BIN}/celery -A config beat --loglevel INFO",
)

# Which audit action a completed step writes (admission.services): how completions are counted a second time.
AUDIT_OF = {
    "consult": "record_consultation_opinion",
    "revise": "start_consultation",
    "submit": "submit_request",
    "intake, accept": "accept_for_review",
    "intake, supplement": "return_for_supplement",
    "supplement": "resubmit_request",
    "lead_review, opinion": "record_bureau_opinion",
    "legality_review": "record_bureau_opinion",
    "data_review": "record_bureau_opinion",
    "give_advice": "record_advisory_opinion",
    "consolidate": "conclude_review",
    "banner_decision": "decide_approval",
    "city_decision": "decide_approval",
}

# Realistic duty names for the extra cases (each gets a batch number).
DUTY_NAMES = (
    "农村人居环境整治日常巡查",
    "秸秆禁烧巡查",
    "河湖长制日常巡河",
    "农村低保动态核查",
    "退役军人信息采集",
    "城乡居民医保参保动员",
    "耕地保护动态巡查",
    "农村饮水安全巡检",
    "养老服务站点运营监督",
    "道路交通安全劝导",
    "草原鼠虫害监测",
    "残疾人两项补贴初审",
    "农业保险承保理赔协助",
    "禁毒宣传教育",
    "燃气安全入户宣传",
    "防范电信网络诈骗宣传",
    "地名标志日常维护",
    "农村集体资产清查协助",
)


# --- the database and the environment ---------------------------------------------------------------------------


def admin_connection():
    import psycopg

    return psycopg.connect(host=LOOPBACK, port=5432, user="postgres", dbname="postgres", autocommit=True)


def create_database(name: str) -> None:
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def stack_environment(*, var_dir: Path, database: str, port: int, redis_db: int, queue: str, workers: int) -> dict:
    """Production settings (config/settings.py), read from the environment only (no settings file)."""
    ours = (
        "DJANGO_",
        "ADMISSION_",
        "SECRET_KEY",
        "DATABASE_URL",
        "ALLOWED_HOSTS",
        "CSRF_",
        "SECURE_",
        "SESSION_",
        "WEB_CONCURRENCY",
        "LOG_",
        "CELERY_",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ADMISSION_ENV_FILE="",
        ADMISSION_VAR_DIR=str(var_dir),
        DATABASE_URL=f"postgres://postgres@{LOOPBACK}:5432/{database}",
        ADMISSION_PUBLIC_URL="https://admission.example.gov.cn",
        ALLOWED_HOSTS=f"{LOOPBACK},localhost",
        # gunicorn is asked directly on loopback over plain HTTP, as nginx asks it after ending TLS.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        ADMISSION_BIND=f"{LOOPBACK}:{port}",
        WEB_CONCURRENCY=str(workers),
        CELERY_BROKER_URL=f"redis://{LOOPBACK}:6379/{redis_db}",
        CELERY_TASK_DEFAULT_QUEUE=queue,
        ADMISSION_FONT_DIR=str(ROOT / "var" / "fonts"),
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
    )
    return env


def setup_django(env: dict) -> None:
    os.environ.clear()
    os.environ.update(env)
    os.environ["LOG_LEVEL"] = "WARNING"  # this process only: the stack logs at INFO to its own file
    import django

    django.setup()


# --- seeding ----------------------------------------------------------------------------------------------------

# How many extra cases wait at each step when the run starts (times --scale).
STAGES = (
    ("consulting", 36),
    ("consulted", 12),
    ("submitted", 12),
    ("under_review", 24),
    ("awaiting_approval", 12),
    ("awaiting_city", 4),
)
ORDER = ("consulting", "consulted", "submitted", "under_review", "awaiting_approval", "awaiting_city")


def seed(scale: float) -> dict[str, int]:
    """seed_demo, then the extra cases, each through the front doors as its people would move it."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from admission.models import Membership
    from admission.services import review
    from workflows import actions
    from workflows.driver import CaseDriver
    from workflows.management.commands.seed_demo import (
        DEPARTMENTS,
        TOWNSHIPS,
        Case,
        _blank_letter,
        _values,
    )

    call_command("migrate", "--noinput", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--no-render", verbosity=0, stdout=quiet)
    users = {u.username: u for u in get_user_model().objects.all()}
    org = {m.user.username: m.organization for m in Membership.objects.select_related("user", "organization")}
    departments = [key for key, _name, _code in DEPARTMENTS]
    townships = [key for key, _name, _code in TOWNSHIPS]
    findings = {key: "符合要求。" for key, _label in review.FOCUS_POINTS}
    made: Counter = Counter()
    number = 0
    rotation = 0
    for stage, count in STAGES:
        for _ in range(max(1, round(count * scale))):
            number += 1
            department = departments[number % len(departments)]
            width = 3 if stage == "consulting" else 2
            chosen = [townships[(rotation + i) % len(townships)] for i in range(width)]
            rotation += width
            temporary = stage == "awaiting_approval" and number % 2 == 0
            name = f"{DUTY_NAMES[number % len(DUTY_NAMES)]}（第{number}批）"
            case = Case(department, name, tuple(chosen), (), temporary=temporary)
            duty_request = actions.save_draft(
                actor=users[department],
                values=_values(case, org[department].name),
                townships=[org[t] for t in chosen],
                consult=True,
            )
            driver = CaseDriver(duty_request)
            reached = ORDER.index(stage)
            if reached >= ORDER.index("consulted"):
                for township in chosen:
                    driver.give_opinion(
                        users[township],
                        township=org[township],
                        agrees=True,
                        opinion="经镇党委会议研究，同意承担该项职责。",
                    )
            if reached >= ORDER.index("submitted"):
                driver.submit(users[department], application_letter=_blank_letter(f"关于{name}的申请"))
            if reached >= ORDER.index("under_review"):
                driver.accept(users["bianban"], note="材料齐全，予以受理。")
            if reached >= ORDER.index("awaiting_approval"):
                for username, node in (
                    ("bianban", "lead_review"),
                    ("sifa", "legality_review"),
                    ("zhengshu", "data_review"),
                ):
                    driver.give_bureau_opinion(node, users[username], passes=True, reasoning="经审核，同意。")
                driver.conclude(users["bianban"], passes=True, findings=findings)
            if reached >= ORDER.index("awaiting_city"):
                driver.decide_at_banner(users["lingdao"], approves=True)
            assert driver.duty_request.state == stage, (name, driver.duty_request.state, stage)
            made[stage] += 1
    return dict(made)


def titles() -> dict[str, str]:
    """The queue shows each task's title; the virtual users need to know which step it is."""
    from admission.procedure import STEPS

    return {str(step.title): step.node for step in STEPS}


# --- what the database says ------------------------------------------------------------------------------------


def snapshot() -> dict:
    from django.db.models import Count
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from admission.models import AuditEvent, DutyRequest, OfficialDocument

    done: Counter = Counter()
    for task in Task.objects.filter(flow_task_type="HUMAN", status=STATUS.DONE).only("flow_task"):
        done[task.flow_task.name] += 1
    audit = dict(AuditEvent.objects.values_list("action").annotate(n=Count("id")))
    documents = dict(OfficialDocument.objects.values_list("render_status").annotate(n=Count("id")))
    assigned = Task.objects.filter(flow_task_type="HUMAN", status__in=(STATUS.ASSIGNED, STATUS.STARTED)).count()
    return {
        "done": dict(done),
        "audit": audit,
        "documents": documents,
        "assigned": assigned,
        "cases": DutyRequest.objects.count(),
    }


def flow_disagreements() -> list[str]:
    """Every case: its open tasks are of steps its request state allows, in the one active process it must have (none
    once final); while consulting, exactly one open task per township still to answer."""
    from viewflow.workflow.status import PROCESS

    from admission.models import ConsultationOutcome, DutyRequest, RequestState
    from admission.models.requests import FINAL_STATES
    from workflows import engine
    from workflows.models import AdmissionProcess

    state_of = {
        "consult": RequestState.CONSULTING,
        "revise": RequestState.REVISING,
        "submit": RequestState.CONSULTED,
        "intake": RequestState.SUBMITTED,
        "supplement": RequestState.SUPPLEMENTING,
        "lead_review": RequestState.UNDER_REVIEW,
        "give_advice": RequestState.UNDER_REVIEW,
        "legality_review": RequestState.UNDER_REVIEW,
        "data_review": RequestState.UNDER_REVIEW,
        "consolidate": RequestState.UNDER_REVIEW,
        "banner_decision": RequestState.AWAITING_APPROVAL,
        "city_approval": RequestState.AWAITING_CITY,  # a city on the platform (issue 15: the demo's Hulunbuir)
        "city_decision": RequestState.AWAITING_CITY,
    }
    problems = []
    for duty_request in DutyRequest.objects.order_by("pk"):
        label = f"case {duty_request.pk} ({duty_request.state})"
        active = AdmissionProcess.for_request(duty_request).filter(status=PROCESS.NEW).count()
        open_tasks = list(engine.open_tasks(duty_request).filter(flow_task_type="HUMAN"))
        nodes = [t.flow_task.name for t in open_tasks]
        if duty_request.state in FINAL_STATES or duty_request.state == RequestState.DRAFT:
            if active or open_tasks:
                problems.append(f"{label}: {active} active processes, open tasks {nodes}")
            continue
        if active != 1 or not open_tasks:
            problems.append(f"{label}: {active} active processes, open tasks {nodes}")
        wrong = [n for n in nodes if state_of.get(n) != duty_request.state]
        if wrong:
            problems.append(f"{label}: open tasks {wrong} do not belong to this state")
        if duty_request.state == RequestState.CONSULTING:
            pending = set(
                duty_request.current_consultations()
                .filter(outcome=ConsultationOutcome.PENDING)
                .values_list("pk", flat=True)
            )
            asked = [t.data.get("consultation") for t in open_tasks if t.flow_task.name == "consult"]
            if sorted(asked) != sorted(pending):
                problems.append(f"{label}: open consultation tasks {sorted(asked)}, pending {sorted(pending)}")
    return problems


def page_costs(repeat: int = 5) -> list[dict]:
    """What one request of each page costs by itself, whatever the machine's load does to the wall clock: the CPU
    time of this process serving it (Django's test client, the same database and settings; median of `repeat`)
    and its number of queries. Each page as a user of the role that uses it; the case page of the case with the
    longest record."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from admission.identity import totp_device
    from admission.models import DutyRequest, Membership

    busiest = DutyRequest.objects.annotate(n=Count("audit_events")).order_by("-n", "pk").first()
    consult = next(
        (
            t
            for t in Task.objects.filter(flow_task_type="HUMAN", status=STATUS.NEW).order_by("pk")
            if t.flow_task.name == "consult"
        ),
        None,
    )
    assert busiest is not None, "the seeded database holds cases"
    pages = [
        ("bianban", "/tasks/", "GET /tasks/ (inbox)"),
        ("bianban", "/tasks/queue/", "GET /tasks/queue/"),
        ("bianban", "/tasks/archive/", "GET /tasks/archive/"),
        ("bianban", "/requests/", "GET /requests/"),
        ("bianban", f"/requests/{busiest.pk}/", f"GET /requests/[id]/ (the longest record, {busiest.n} events)"),
        ("bianban", "/duties/", "GET /duties/"),
        ("bianban", "/documents/", "GET /documents/"),
        ("lingdao", "/dashboard/", "GET /dashboard/"),
        ("naji", "/notifications/", "GET /notifications/"),
    ]
    if consult is not None:
        clerk = Membership.objects.filter(organization_id=consult.data["township"]).select_related("user").first()
        assert clerk is not None, "every township has a clerk"
        pages.append((clerk.user.username, f"/tasks/{consult.pk}/", "GET /tasks/[id]/ (consult)"))
    users = get_user_model().objects
    rows = []
    for username, path, label in pages:
        client = Client(HTTP_HOST=LOOPBACK)
        user = users.get(username=username)
        client.force_login(user)
        device = totp_device(user)
        if device is not None:  # as after the code was given (django_otp.login)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        warm = client.get(path)
        assert warm.status_code == 200, f"{label} as {username}: {warm.status_code}"
        cpu = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.process_time()
                response = client.get(path)
                cpu.append(time.process_time() - started)
        rows.append(
            {
                "page": label,
                "as": username,
                "status": response.status_code,
                "cpu_ms": statistics.median(cpu) * 1000,
                "queries": len(queries.captured_queries),
                "kb": len(response.content) / 1024,
            }
        )
    return rows


def wait_for_documents(timeout: float, say) -> dict:
    """Until no document is pending (the worker renders them); the sweep is asked once, as the web process does."""
    from admission.models import OfficialDocument, RenderStatus
    from admission.services import rendering

    rendering.sweep(grace_seconds=0)
    deadline = time.monotonic() + timeout
    said = 0.0
    while True:
        pending = OfficialDocument.objects.filter(render_status=RenderStatus.PENDING).count()
        if pending == 0 or time.monotonic() > deadline:
            say(f"documents still to render: {pending}")
            return {"pending": pending}
        if time.monotonic() - said > 20:
            say(f"documents still to render: {pending}")
            said = time.monotonic()
        time.sleep(2)


# --- the stack ----------------------------------------------------------------------------------------------------


def start_stack(env: dict, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    return subprocess.Popen(
        [str(ROOT / "deploy" / "serve"), *STACK],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_stack(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):  # anything of the group still alive (a worker's pool child)
        os.killpg(process.pid, signal.SIGKILL)


def wait_until_serving(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the stack stopped (exit {process.returncode}) before serving: see its log")
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/healthz", timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"nothing answered on {LOOPBACK}:{port}/healthz within {timeout} s")


def clear_queue(redis_db: int, queue: str) -> None:
    import redis

    client = redis.Redis(host=LOOPBACK, port=6379, db=redis_db)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)


class LoadSampler(threading.Thread):
    """The 1-minute load average every 2 s while locust runs (the machine is shared)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(2):
            self.samples.append((time.time(), float(Path("/proc/loadavg").read_text().split()[0])))


# --- results ----------------------------------------------------------------------------------------------------


COMPLETION = "POST /tasks/[id]/ ("
LOGIN = "POST /accounts/login/"


class Sample(NamedTuple):
    at: float
    name: str
    ms: float
    error: str


def completions(samples: list[Sample]) -> Counter:
    """Successful completion POSTs, by step (and variant): `POST /tasks/[id]/ (consult, agrees)`."""
    return Counter(
        s.name[len(COMPLETION) :].rstrip(")") for s in samples if s.name.startswith(COMPLETION) and not s.error
    )


def page_table(samples: list[Sample]) -> dict[str, dict]:
    by_name: dict[str, list[Sample]] = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample)
    table = {}
    for name in sorted(by_name, key=lambda n: (not n.startswith("GET"), n)):
        times = [s.ms for s in by_name[name]]
        table[name] = {
            "n": len(times),
            "failures": sum(1 for s in by_name[name] if s.error),
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
            "max": max(times),
        }
    return table


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def warm_up(port: int) -> None:
    """A first request makes each gunicorn worker import the views and compile the templates: three sessions go
    through every page a few times before the measured run, as people do on a server that has been up a while."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from workflows.management.commands.seed_demo import PASSWORD

    base = f"http://{LOOPBACK}:{port}"

    def browse(username: str) -> None:
        session = requests.Session()
        session.get(f"{base}/accounts/login/")
        session.post(
            f"{base}/accounts/login/",
            data={"csrfmiddlewaretoken": session.cookies["csrftoken"], "username": username, "password": PASSWORD},
        )
        for _ in range(3):
            for path in (
                "/",
                "/tasks/queue/",
                "/tasks/archive/",
                "/requests/",
                "/duties/",
                "/documents/",
                "/dashboard/",
                "/notifications/",
            ):
                reply = session.get(base + path)
                case = re.search(r'href="/requests/(\d+)/"', reply.text)
                if case:
                    session.get(f"{base}/requests/{case.group(1)}/")

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(browse, ("bianban_ky", "sifa_jz", "lingdao")))


def hash_time() -> float:
    from django.contrib.auth.hashers import make_password

    times = []
    for _ in range(3):
        started = time.perf_counter()
        make_password("x")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def machine() -> str:
    lscpu = subprocess.run(["lscpu"], check=False, capture_output=True, text=True).stdout
    fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
    model = fields.get("Model name", "?").strip()
    cpus = fields.get("CPU(s)", "?").strip()
    memory = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    with admin_connection() as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    return (
        f"{cpus} CPU ({model}), {platform.machine()} Debian {debian}{memory}, Python {platform.python_version()}, "
        f"PostgreSQL {postgres}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--run-time", type=int, default=60, help="seconds")
    parser.add_argument("--scale", type=float, default=1.0, help="extra cases seeded, relative to the default mix")
    parser.add_argument("--web-workers", type=int, default=0, help="gunicorn processes (default: its own default)")
    parser.add_argument("--database", default="admission_load")
    parser.add_argument("--redis-db", type=int, default=9)
    parser.add_argument("--markdown", type=Path, help="write the results as a docs/benchmarks.md section here")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the temporary directory (for --reuse)"
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="DIR",
        help="development: run again on what a --keep run left in DIR, without seeding (the tasks "
        "the last run completed are gone; not for recorded numbers)",
    )
    args = parser.parse_args()
    if not args.database.startswith("admission_load"):
        parser.error("--database must start with admission_load (it is dropped and created)")
    clock = time.monotonic()

    def say(message: str) -> None:
        print(f"[{time.monotonic() - clock:5.0f} s] {message}", flush=True)

    if args.reuse:
        var_dir = args.reuse.resolve()
        kept = json.loads((var_dir / "load.json").read_text())
        args.database, made = kept["database"], kept["made"]
    else:
        var_dir = Path(tempfile.mkdtemp(prefix="admission-load-"))
    port = free_port()
    queue = f"admission-load-{os.getpid()}"
    workers = args.web_workers or (os.cpu_count() or 1) + 1
    env = stack_environment(
        var_dir=var_dir, database=args.database, port=port, redis_db=args.redis_db, queue=queue, workers=workers
    )
    started_at = datetime.now(UTC)
    say(
        f"database {args.database}, files in {var_dir}, web on http://{LOOPBACK}:{port}, queue {queue} "
        f"on Redis db {args.redis_db}"
    )
    if not args.reuse:
        create_database(args.database)
    stack = None
    try:
        setup_django(env)
        if not args.reuse:
            say(f"seeding (seed_demo --no-render, then the extra cases at scale {args.scale:g}) ...")
            made = seed(args.scale)
            say(f"seeded: {made}")
            (var_dir / "load.json").write_text(json.dumps({"database": args.database, "made": made}))
        letter = var_dir / "letter.pdf"
        from workflows.management.commands.seed_demo import _blank_letter

        letter.write_bytes(_blank_letter("letter").read())

        say(f"starting the stack (deploy/serve: gunicorn with {workers} workers, Celery worker, Celery beat) ...")
        stack = start_stack(env, var_dir / "stack.log")
        wait_until_serving(port, stack)
        say("serving; waiting for the worker to render the documents the seeding issued ...")
        if wait_for_documents(1800, say)["pending"]:
            raise SystemExit("the worker did not render the seeded documents in 30 minutes")
        from django.db import connections

        say("warming up the web workers (three sessions through every page) ...")
        warm_up(port)
        hash_seconds = hash_time()
        before = snapshot()
        connections.close_all()

        counters_path = var_dir / "counters.json"
        locust_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
        locust_env.update(
            LOAD_PASSWORD=__import__("workflows.management.commands.seed_demo", fromlist=["PASSWORD"]).PASSWORD,
            LOAD_TOTP_SECRET=__import__("admission.identity", fromlist=["DEMO_TOTP_SECRET"]).DEMO_TOTP_SECRET,
            LOAD_TITLES=json.dumps(titles(), ensure_ascii=False),
            LOAD_LETTER=str(letter),
            LOAD_COUNTERS=str(counters_path),
            LOAD_RUN_TIME=str(args.run_time),
        )
        # The users start working when the last of them has logged in, and stop --run-time seconds later
        # (bench/load_users.py); locust's own --run-time only bounds a run whose logins never end. --stop-timeout
        # lets a user finish the completion it is in when the time is up.
        spawning = math.ceil(args.users / args.spawn_rate)
        command = [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "load_users.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.spawn_rate),
            "--run-time",
            f"{args.run_time + spawning + 120}s",
            "--stop-timeout",
            "30",
            "--host",
            f"http://{LOOPBACK}:{port}",
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ]
        say(f"locust: {args.users} users, spawn rate {args.spawn_rate}/s, {args.run_time} s ...")
        sampler = LoadSampler()
        sampler.start()
        load_start = Path("/proc/loadavg").read_text().split()[:3]
        result = subprocess.run(
            command,
            check=False,
            cwd=ROOT,
            env=locust_env,
            capture_output=True,
            text=True,
            timeout=args.run_time + spawning + 240,
        )
        sampler.stopped.set()
        load_end = Path("/proc/loadavg").read_text().split()[:3]
        (var_dir / "locust.out").write_text(result.stdout + result.stderr, encoding="utf-8")
        if result.returncode not in (0, 1):
            say(result.stdout[-3000:] + result.stderr[-3000:])
            raise SystemExit(f"locust exited {result.returncode}")

        say("run over; waiting for the worker to render the documents issued during the run ...")
        documents_left = wait_for_documents(300, say)["pending"]
        after = snapshot()
        disagreements = flow_disagreements()
        say("the cost of one request of each page, by itself ...")
        costs = page_costs()
    finally:
        if stack is not None:
            stop_stack(stack)
        if "django.db" in sys.modules:
            sys.modules["django.db"].connections.close_all()
        clear_queue(args.redis_db, queue)
        if not args.keep and not args.reuse:
            drop_database(args.database)

    counters = json.loads(counters_path.read_text())
    samples = [Sample(*row) for row in counters["samples"]]
    completed = completions(samples)
    # The engine: finished tasks of each step, before and after.
    by_node: Counter = Counter()
    for label, n in completed.items():
        by_node[label.split(",")[0]] += n
    engine_delta = {
        node: after["done"].get(node, 0) - before["done"].get(node, 0)
        for node in set(after["done"]) | set(before["done"])
    }
    lost = {
        node: by_node.get(node, 0) - engine_delta.get(node, 0)
        for node in set(by_node) | set(engine_delta)
        if by_node.get(node, 0) != engine_delta.get(node, 0)
    }
    # The audit trail: one event of the step's action per completion.
    expected_audit: Counter = Counter()
    for label, n in completed.items():
        expected_audit[AUDIT_OF.get(label, AUDIT_OF.get(label.split(",")[0], "?"))] += n
    audit_delta = {a: after["audit"].get(a, 0) - before["audit"].get(a, 0) for a in expected_audit}
    audit_mismatch = {a: (n, audit_delta[a]) for a, n in expected_audit.items() if audit_delta[a] != n}

    errors = Counter(f"{s.name}: {s.error}" for s in samples if s.error)
    # The measured window: from the moment the last user had logged in, --run-time seconds; the completions the
    # users finish after it (--stop-timeout) count for the checks, not in the table.
    logins = [s for s in samples if s.name == LOGIN]
    window_start = counters["window_start"]
    if window_start is None:
        raise SystemExit(f"the users never all logged in: see {var_dir / 'locust.out'}")
    window = float(args.run_time)
    measured = [s for s in samples if window_start < s.at <= window_start + window and s.name != LOGIN]
    pages = page_table(measured)
    rps = len(measured) / window
    window_completions = sum(1 for s in measured if s.name.startswith(COMPLETION) and not s.error)
    load = [value for at, value in sampler.samples if window_start <= at <= window_start + window] or [0.0]
    login = [s.ms for s in logins if not s.error]
    every = [s.ms for s in measured]
    p95_missed = [name for name, row in pages.items() if row["p95"] >= P95_GOAL_MS]

    lines: list[str] = []
    out = lines.append
    out(f"- date (UTC): {started_at:%Y-%m-%d %H:%M}; code: {git_head()}")
    out(f"- machine: {machine()}; shared with other work")
    out(
        f"- load average (1 min) during the window, every 2 s: {min(load):.2f}–{max(load):.2f}, mean {statistics.mean(load):.2f} "
        f"(/proc/loadavg when locust started {' '.join(load_start)}, when it ended {' '.join(load_end)})"
    )
    out(
        f"- command: `.venv/bin/python bench/load.py --users {args.users} --spawn-rate {args.spawn_rate:g} "
        f"--run-time {args.run_time} --scale {args.scale:g}"
        + (f" --web-workers {args.web_workers}" if args.web_workers else "")
        + "`"
        + (" (--reuse of a --keep run's database: not for the record)" if args.reuse else "")
    )
    out(
        f"- stack: gunicorn {workers} sync workers, Celery worker (prefork, {os.cpu_count()} processes), Celery beat, "
        f"PostgreSQL, Redis, all on this machine, with locust; seeded: seed_demo + {sum(made.values())} cases "
        f"{made}"
    )
    out(
        f"- {args.users} users (township clerks, departments, office reviewers, leadership 10:4:4:2), 1–3 s between "
        f"actions; they log in (spawn rate {args.spawn_rate:g}/s) and start work together when the last is in; the table "
        f"covers the {window:.0f} s from then (response times as locust measured them, client side)"
    )
    out("")
    out("| page | requests | failures | p50 ms | p95 ms | max ms |")
    out("|---|---|---|---|---|---|")
    for name, row in pages.items():
        out(f"| {name} | {row['n']} | {row['failures']} | {row['p50']:.0f} | {row['p95']:.0f} | {row['max']:.0f} |")
    out(
        f"| **all** | {len(measured)} | {sum(1 for s in measured if s.error)} | {percentile(every, 50):.0f} | "
        f"{percentile(every, 95):.0f} | {max(every, default=0):.0f} |"
    )
    out("")
    out(
        f"- requests/s: {rps:.1f}; task completions/s: {window_completions / window:.2f} "
        f"({window_completions} in {window:.0f} s)"
    )
    out(
        f"- log in (POST /accounts/login/, before the window, not in the table): {len(login)} × p50 {percentile(login, 50):.0f} "
        f"ms, p95 {percentile(login, 95):.0f} ms; one PBKDF2 hash (Django's 1,000,000 iterations) alone took "
        f"{hash_seconds * 1000:.0f} ms on this machine just before the run"
    )
    all_failures = sum(errors.values())
    out(
        f"- whole run, logins and the last completions after the window included: {len(samples)} requests, "
        f"{all_failures} errors" + (": " + "; ".join(f"{e} ×{n}" for e, n in errors.items()) if errors else "")
    )
    out(
        f"- completions: {sum(completed.values())} successful completion POSTs (302 to the case): "
        + ", ".join(f"{label} {n}" for label, n in sorted(completed.items()))
    )
    out(
        f"- engine: tasks finished during the run by step {dict(sorted((k, v) for k, v in engine_delta.items() if v))}; "
        f"lost completions: {sum(abs(v) for v in lost.values())}"
        + (f" MISMATCH (POSTs minus finished tasks) {lost}" if lost else " (each 302 is one finished task, no other)")
    )
    out(
        f"- audit trail: events of the completed steps' actions {dict(sorted(audit_delta.items()))}"
        + (f" MISMATCH (expected, found) {audit_mismatch}" if audit_mismatch else " (one per completion)")
    )
    out(
        f"- flow and request states: {len(disagreements)} cases disagree"
        + (f": {disagreements[:10]}" if disagreements else f" (all {after['cases']} cases checked)")
    )
    out(
        f"- tasks claimed but not completed when the users stopped: {after['assigned'] - before['assigned']}; "
        f"claims lost to a colleague: {counters['events'].get('claim lost to a colleague', 0)}; "
        f"queue without a task to do: {counters['events'].get('queue empty', 0)}"
    )
    issued = sum(after["documents"].values()) - sum(before["documents"].values())
    out(
        f"- documents issued during the run: {issued}, rendered and signed by the worker after it: "
        f"{'all' if not documents_left and not after['documents'].get('failed') else 'NOT ALL ' + str(after['documents'])}"
    )
    out("")
    out(
        "What one request costs by itself (after the run, in this process: CPU time of the request, median of 5, and "
        "its queries):"
    )
    out("")
    out("| page | as | CPU ms | queries | KB |")
    out("|---|---|---|---|---|")
    for row in costs:
        out(f"| {row['page']} | {row['as']} | {row['cpu_ms']:.0f} | {row['queries']} | {row['kb']:.0f} |")
    out("")
    out(
        f"- goals: p95 < {P95_GOAL_MS} ms on every page: "
        f"{'met' if not p95_missed else f'missed on {len(p95_missed)} of {len(pages)}: ' + ', '.join(p95_missed)}; "
        f"zero errors: {'met' if not all_failures else 'missed'}; zero lost completions: "
        f"{'met' if not lost and not audit_mismatch and not disagreements else 'missed'}"
    )
    report = "\n".join(lines)
    print("\n" + report)
    if args.markdown:
        args.markdown.write_text(report + "\n", encoding="utf-8")
    if args.keep or args.reuse:
        print(f"kept: database {args.database}, {var_dir} (again: --reuse {var_dir}; then drop the database)")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)
    ok = not all_failures and not lost and not audit_mismatch and not disagreements and not documents_left
    return 0 if ok else 1


def git_head() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], check=False, cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return result.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


if __name__ == "__main__":
    sys.exit(main())
