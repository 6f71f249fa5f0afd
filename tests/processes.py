"""Running manage.py, gunicorn and nginx as the separate processes they are in a real installation."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# What the test process itself was configured with must not leak into a child that is meant to stand alone.
_OURS = (
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
)

# A small banner (tests.support.build_banner: users pass-1234) and one case out for the townships' written opinions.
SEED = """
from tests.support import build_banner, draft
from workflows import actions
banner = build_banner(code="150721", name="阿荣旗", short="旗")
actions.consult_townships(duty_request=draft(banner), actor=banner.users["forestry"])
"""


def child_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env.update(values)
    return env


def manage(
    *args: str, env: dict[str, str], cwd: Path = ROOT, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def seeded_sqlite(directory: Path) -> Path:
    """Migrate a SQLite file and seed it, as `manage.py` in a child process does on a real machine."""
    database = directory / "db.sqlite3"
    env = child_env(
        DJANGO_DEBUG="1",
        ADMISSION_ENV_FILE="",
        ADMISSION_VAR_DIR=str(directory),
        DATABASE_URL=f"sqlite:///{database}",
        ADMISSION_RENDER_ON_COMMIT="0",
    )
    manage("migrate", "--noinput", "-v0", env=env)
    manage("shell", "-c", SEED, env=env)
    # The file is copied by the tests that use it: everything in it, nothing left in the write-ahead log beside it.
    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited with {process.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
