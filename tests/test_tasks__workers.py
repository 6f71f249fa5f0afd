"""Real Celery workers on Redis against real PostgreSQL (issue 11 part 4): two worker processes render fifty
pending documents, each exactly once; a worker killed with SIGKILL in the middle of a render loses nothing, and the
scheduler's sweep renders the document after the restart, within a minute, with no command typed.

The workers are `celery -A config worker` subprocesses with the production settings, pointed at the test database
(pytest-django's test_… name) and at a queue of their own in Redis database 15. Skipped, with the reason, on
SQLite or when Redis is not reachable (ADMISSION_TEST_REDIS_URL, default redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from celery import current_app
from django.conf import settings as django_settings
from django.db import connection

from admission.documents.signing import Pkcs12Signer
from admission.models import AuditAction, AuditEvent, DocumentCounter, DocumentKind, OfficialDocument, RenderStatus
from admission.services import rendering
from tests.test_tasks__engine import issue_letters, keys, repoint, stored_files  # noqa: F401  (keys is a fixture)

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("ADMISSION_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_problem() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:  # any failure means: no Redis to test against
        return f"Redis not reachable at {REDIS_URL}: {error}"
    return None


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real workers need PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),  # the workers are other processes: the data must be committed
]


def _database_url() -> str:
    db = django_settings.DATABASES["default"]  # NAME is the test database's by now
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(condition, *, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


@pytest.fixture
def engine(settings, tmp_path, keys):  # noqa: F811
    problem = _redis_problem()
    if problem:
        pytest.skip(problem)
    queue = f"admission-test-{uuid.uuid4().hex[:10]}"
    saved = {k: current_app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    repoint(current_app, broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "ADMISSION_ALLOW_INSECURE_KEY": "1",
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "ADMISSION_VAR_DIR": str(tmp_path),  # files under tmp_path/files: the test's MEDIA_ROOT
        "ADMISSION_SIGNING_KEYS_DIR": str(settings.ADMISSION_SIGNING_KEYS_DIR),
        "ADMISSION_TRUST_ROOTS": os.pathsep.join(settings.ADMISSION_TRUST_ROOTS),
        "ADMISSION_FONT_DIR": str(settings.ADMISSION_FONT_DIR),
        "ADMISSION_PUBLIC_URL": settings.ADMISSION_PUBLIC_URL,
        "LOG_LEVEL": "INFO",
    }
    assert Path(settings.MEDIA_ROOT) == tmp_path / "files"
    processes: list[subprocess.Popen] = []

    def start(*arguments: str, log: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments, "--loglevel", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=(tmp_path / log).open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        return process

    def worker(name: str, **extra_env: str) -> subprocess.Popen:
        env.update(extra_env)
        return start(
            "worker",
            "--concurrency",
            "1",
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            log=f"{name}.log",
        )

    def log(name: str) -> str:
        return (tmp_path / f"{name}.log").read_text(errors="replace")

    try:
        yield SimpleNamespace(worker=worker, scheduler=lambda: start("beat", log="scheduler.log"), log=log)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        repoint(current_app, **saved)
        _forget_queue(queue)


def _forget_queue(queue: str) -> None:
    """Remove this test's queue from Redis, and the unacknowledged message the killed worker left."""
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    for tag, message in client.hgetall("unacked").items():
        if queue.encode() in message:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


def _rendering_now(pks: list[int]) -> set[int]:
    """Documents whose row a worker holds right now, i.e. that are being rendered: the row's xmax is the id of a
    transaction still running in another backend. Read without taking a lock: a probe that locked the rows (even
    FOR KEY SHARE) would make a worker's FOR UPDATE SKIP LOCKED skip a document it polled at the wrong moment."""
    table = OfficialDocument._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.id FROM {table} d WHERE d.id = ANY(%s) AND d.render_status = 'pending' AND EXISTS ("
            " SELECT 1 FROM pg_locks l WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock'"
            " AND l.granted AND l.transactionid = d.xmax AND l.pid <> pg_backend_pid())",
            [pks],
        )
        return {row[0] for row in cursor.fetchall()}


def _unfinished(pks) -> int:
    return OfficialDocument.objects.filter(pk__in=pks).exclude(render_status=RenderStatus.RENDERED).count()


def _each_rendered_once(documents: list[OfficialDocument], settings) -> None:
    pks = [d.pk for d in documents]
    rendered = {d.pk: d for d in OfficialDocument.objects.filter(pk__in=pks)}
    assert {d.render_status for d in rendered.values()} == {RenderStatus.RENDERED}, {
        d.number: d.render_error for d in rendered.values() if d.render_error
    }
    assert {d.render_attempts for d in rendered.values()} == {1}
    # Numbers untouched: the ones given at issue, consecutive, and the counter has not moved.
    assert [(rendered[d.pk].number, rendered[d.pk].serial) for d in documents] == [
        (d.number, d.serial) for d in documents
    ]
    first = documents[0]
    assert (
        DocumentCounter.objects.get(
            issuer=first.issuer, kind=DocumentKind.CONSULTATION_LETTER, year=first.year
        ).last_serial
        == documents[-1].serial
    )
    # One stored PDF each and its OFD beside it (issue 14), the registered ones.
    files = stored_files(settings)
    assert sorted(p.name for p in files) == sorted(
        f"{d.verification_code}.{suffix}" for d in rendered.values() for suffix in ("pdf", "ofd")
    )
    by_name = {p.name: p for p in files}
    for document in rendered.values():
        for suffix, registered in (("pdf", document.sha256), ("ofd", document.ofd_sha256)):
            stored = by_name[f"{document.verification_code}.{suffix}"].read_bytes()
            assert hashlib.sha256(stored).hexdigest() == registered
    events = AuditEvent.objects.filter(action=AuditAction.RENDER_DOCUMENT, data__document__in=pks)
    assert sorted(e.data["document"] for e in events) == sorted(pks)


def test_issue11_two_real_workers_render_fifty_pending_documents_each_exactly_once(engine, banner, settings, capsys):
    documents = issue_letters(banner, 50)
    assert [d.serial for d in documents] == list(range(1, 51))
    pks = [d.pk for d in documents]
    # Every document queued twice, as when the sweep and the commit (or a redelivery) both queue it.
    assert rendering.sweep(grace_seconds=0) == 50
    for document in documents:
        assert rendering.dispatch(document.pk, attempt=0)

    started = time.monotonic()
    engine.worker("one"), engine.worker("two")
    wait_until(lambda: _unfinished(pks) == 0, timeout=300, interval=1)
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\n50 documents rendered by two workers in {elapsed:.1f} s (from the workers' start)")

    _each_rendered_once(documents, settings)
    for name in ("one", "two"):  # both took part
        assert "admission.render_document" in engine.log(name) and "succeeded" in engine.log(name), engine.log(name)


def test_issue11_a_worker_killed_mid_render_loses_nothing_and_the_scheduler_renders_it_after_restart(
    engine, banner, settings, capsys
):
    documents = issue_letters(banner, 3)
    pks = [d.pk for d in documents]
    for document in documents:
        assert rendering.dispatch(document.pk, attempt=0)  # as on commit
    doomed = engine.worker("doomed")

    victims = wait_until(lambda: _rendering_now(pks), timeout=120, interval=0.02)
    assert victims, engine.log("doomed")
    os.killpg(doomed.pid, signal.SIGKILL)  # the worker and its pool process, in the middle of a render
    doomed.wait(timeout=30)
    [victim] = victims
    cut_off = OfficialDocument.objects.get(pk=victim)
    assert cut_off.render_status == RenderStatus.PENDING and cut_off.render_attempts == 0 and not cut_off.file

    # Restart with the default settings: a worker and the scheduler. Nobody types a command.
    restarted = time.monotonic()
    engine.worker("phoenix")
    engine.scheduler()
    wait_until(lambda: _unfinished(pks) == 0, timeout=150, interval=1)
    elapsed = time.monotonic() - restarted
    with capsys.disabled():
        print(f"\nthe document cut off by SIGKILL was rendered {elapsed:.1f} s after the restart")
    _each_rendered_once(documents, settings)
    assert "Sending due task render-sweep" in engine.log("scheduler")
    assert elapsed < 60


class FlakySigner(Pkcs12Signer):
    """Fails while the file named by FLAKY_SIGNER_FLAG exists (a token that comes back), then signs as usual."""

    def is_demo(self, issuer):
        if Path(os.environ["FLAKY_SIGNER_FLAG"]).exists():
            raise RuntimeError("签章设备未连接")
        return super().is_demo(issuer)


def test_issue11_a_worker_retries_a_failed_render_with_exponential_back_off(engine, banner, settings, tmp_path):
    flag = tmp_path / "token-unplugged"
    flag.touch()
    [document] = issue_letters(banner, 1)
    assert rendering.dispatch(document.pk, attempt=0)
    engine.worker(
        "patient",
        ADMISSION_SIGNER=f"{__name__}.FlakySigner",
        FLAKY_SIGNER_FLAG=str(flag),
        ADMISSION_RENDER_RETRY_SECONDS="1",
    )  # back-off 1 s, 2 s, 4 s … instead of minutes

    def attempts() -> int:
        return OfficialDocument.objects.get(pk=document.pk).render_attempts

    assert wait_until(lambda: attempts() >= 2, timeout=120, interval=0.1), engine.log("patient")
    flag.unlink()  # the token is back before the third attempt, due 2 s after the second
    assert wait_until(lambda: _unfinished([document.pk]) == 0, timeout=60)
    document.refresh_from_db()
    assert document.render_attempts == 3 and document.render_error == ""
    log = engine.log("patient")
    assert "Retry in 1s" in log and "Retry in 2s" in log and "Retry in 4s" not in log  # no scheduler: the worker's own
