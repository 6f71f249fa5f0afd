"""Probes. /healthz: the process answers (liveness; touches nothing). /readyz: this web process can do its work
(readiness), as JSON, 503 when it cannot.

A failed check of this machine's own installation — database, migrations, Redis when configured, file storage,
Chinese fonts and the HarfBuzz subsetter, signing keys — makes it not ready: a load balancer should send no one here.
Data every machine shares — the holiday calendar of the current and next year — is reported as a warning ("status":
"degraded", still 200): the pages work, due dates in a missing year are provisional (暂估), and taking every
machine out of service for it would stop the whole site. Monitoring should alert on any status other than "ok".
"""

from __future__ import annotations

import os
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from admission import checks
from admission.calendar import WorkingCalendar
from admission.documents import fonts
from admission.documents.pki import issuing_organizations
from admission.documents.signing import get_signer, key_path


class NotReady(Exception):
    """A check's failure, with what to do about it."""


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


_migrated = False


def _migrations() -> str:
    """Every migration applied (after an upgrade, until `manage.py migrate` has run, the new code is not ready)."""
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise NotReady(f"{len(pending)} migrations not applied (first: {pending[0][0]}): run manage.py migrate")
        _migrated = True  # once applied they stay applied for the life of this process
    return "all applied"


def _redis_ping(url: str, timeout: float = 2.0) -> None:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout) as raw:
        sock = (
            ssl.create_default_context().wrap_socket(raw, server_hostname=parts.hostname)
            if parts.scheme == "rediss"
            else raw
        )
        if parts.password:
            words = ["AUTH", *([unquote(parts.username)] if parts.username else []), unquote(parts.password)]
            sock.sendall(
                b"".join([f"*{len(words)}\r\n".encode()] + [f"${len(w.encode())}\r\n{w}\r\n".encode() for w in words])
            )
            if not sock.recv(64).startswith(b"+OK"):
                raise NotReady("Redis refused the password in ADMISSION_REDIS_URL")
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        answer = sock.recv(64)
        if not answer.startswith(b"+PONG"):
            raise NotReady(f"Redis answered {answer[:40]!r} to PING")


def _redis() -> str:
    _redis_ping(settings.ADMISSION_REDIS_URL)
    return "PONG"


def _storage() -> str:
    name = default_storage.save(f"health/readyz-{uuid.uuid4().hex}.txt", ContentFile(b"ready"))
    try:
        with default_storage.open(name) as stored:
            if stored.read() != b"ready":
                raise NotReady("the file written to storage reads back differently")
    finally:
        default_storage.delete(name)
    return "writable"


def _fonts() -> str:
    families = checks.cjk_fonts()
    if not families:
        raise NotReady("no CJK font: install Debian's fonts-noto-cjk")
    missing = [face.filename for face in fonts.FACES if not (fonts.font_dir() / face.filename).is_file()]
    if missing:
        raise NotReady(
            f"the cut faces {', '.join(missing)} are missing in {fonts.font_dir()}: run manage.py prepare_fonts"
        )
    return f"{len(families)} CJK families, {len(fonts.FACES)} cut faces"


def _harfbuzz() -> str:
    library = checks.harfbuzz_subsetter()
    if library is None:
        raise NotReady("libharfbuzz-subset is missing: install Debian's libharfbuzz-subset0")
    return library


def _signing_keys() -> str:
    bodies = list(issuing_organizations())
    failed = []
    if settings.CELERY_BROKER_URL:
        # The workers sign; this process must not hold the keys (等保: keys only where they are used).
        for body in bodies:
            if not os.access(key_path(body), os.R_OK):
                failed.append(f"{body.name} (no readable key file)")
        if failed:
            raise NotReady(
                f"signing keys missing for {len(failed)} of {len(bodies)} issuing bodies: " + "; ".join(failed[:5])
            )
        return f"{len(bodies)} issuing bodies (keys present; loaded by the workers)"
    signer = get_signer()
    for body in bodies:
        try:
            signer.is_demo(body)  # loads the body's key as a signature would
        except Exception as error:
            failed.append(f"{body.name} ({type(error).__name__})")
    if failed:
        raise NotReady(
            f"signing keys not loadable for {len(failed)} of {len(bodies)} issuing bodies: " + "; ".join(failed[:5])
        )
    return f"{len(bodies)} issuing bodies"


def _calendar() -> str:
    calendar = WorkingCalendar(None)
    year = timezone.localdate().year
    missing = [wanted for wanted in (year, year + 1) if not calendar.is_official(wanted)]
    if missing:
        raise NotReady(
            f"the official holidays of {', '.join(map(str, missing))} are not entered "
            "(admin: the working calendar adjustments and the entered holiday schedules)"
        )
    return f"{year} and {year + 1} entered"


# (name, check, critical)
CHECKS: list[tuple[str, Callable[[], str], bool]] = [
    ("database", _database, True),
    ("migrations", _migrations, True),
    ("redis", _redis, True),
    ("storage", _storage, True),
    ("fonts", _fonts, True),
    ("harfbuzz_subsetter", _harfbuzz, True),
    ("signing_keys", _signing_keys, True),
    ("calendar", _calendar, False),
]


def readiness() -> tuple[str, dict]:
    results = {}
    for name, check, critical in CHECKS:
        if name == "redis" and not settings.ADMISSION_REDIS_URL:
            results[name] = {"ok": True, "critical": critical, "detail": "not configured"}
            continue
        started = time.monotonic()
        try:
            detail, ok = check(), True
        except Exception as error:
            detail, ok = (str(error) if isinstance(error, NotReady) else f"{type(error).__name__}: {error}"), False
        results[name] = {
            "ok": ok,
            "critical": critical,
            "detail": detail,
            "ms": round((time.monotonic() - started) * 1000, 1),
        }
    if any(not r["ok"] and r["critical"] for r in results.values()):
        status = "fail"
    elif any(not r["ok"] for r in results.values()):
        status = "degraded"
    else:
        status = "ok"
    return status, results


@login_not_required
@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def readyz(request):
    status, results = readiness()
    return JsonResponse(
        {"status": status, "checks": results},
        status=503 if status == "fail" else 200,
        json_dumps_params={"ensure_ascii": False},
    )
