"""gunicorn for the web processes: `gunicorn -c deploy/gunicorn.conf.py config.wsgi:application` (make serve, and
deploy/systemd/admission-web.service). Its settings come, like Django's, from the environment and then the settings
file (config/envfile.py: /etc/admission/admission.env, or var/demo.env).

The master checks the installation before it forks any worker (Django's system checks: a missing or loopback
ADMISSION_PUBLIC_URL stops it, admission.E001), so a misconfigured server never starts serving.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import envfile  # noqa: E402
from config.logging import gunicorn_config  # noqa: E402

_FILE_PATH, _FILE = envfile.load(ROOT)


def env(name: str, default: str) -> str:
    return os.environ.get(name) or _FILE.get(name) or default


# Loopback only: nginx (deploy/nginx/admission.conf) is the only client, and it alone sets X-Forwarded-Proto.
bind = env("ADMISSION_BIND", "127.0.0.1:8000")
# Pages and task completions are CPU-bound on the database round trips and, inline, on rendering documents:
# about one process per core, plus one (docs/benchmarks.md measures; WEB_CONCURRENCY overrides).
workers = int(env("WEB_CONCURRENCY", str((os.cpu_count() or 1) + 1)))
worker_class = "sync"
# A 100 MB upload is buffered by nginx first; a document rendered inline takes well under a second.
timeout = int(env("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Rendering leaves cycles for the GC (about 13 MB a render): a worker is replaced after this many requests.
max_requests = 1000
max_requests_jitter = 100
# X-Forwarded-* are trusted from the proxy on this machine only.
forwarded_allow_ips = env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips
# Requests are logged by the application as JSON lines with their request id (config/logging.py); gunicorn's own
# messages go to stderr (journald under systemd), as JSON too unless LOG_FORMAT=text (the demo's default).
accesslog = None
errorlog = "-"
loglevel = env("LOG_LEVEL", "info").lower()
if env("LOG_FORMAT", "text" if env("DJANGO_DEBUG", "0") in {"1", "true", "yes", "on"} else "json") == "json":
    logconfig_dict = gunicorn_config(level=loglevel.upper())
capture_output = True
proc_name = "admission-web"
# No gunicornc control socket (one shared path per user by default): systemd and signals manage the processes.
control_socket_disable = True
# The checkout, wherever gunicorn is started from.
chdir = str(ROOT)


def on_starting(server):
    """Run Django's system checks before any worker starts; an error stops the start with the check's message.

    In a child process: the master itself never imports the application, so a reload (HUP, after an upgrade)
    starts workers on the new code."""
    import subprocess

    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(f"admission-web is not started:\n{result.stderr}{result.stdout}")
        raise SystemExit(1)


def post_worker_init(worker):
    """Move what start-up made (Django, the URL patterns, the models, the libraries: most of a worker's objects) out of
    the garbage collector's reach: a full collection then scans only what requests made since, where it scanned the
    whole process — about 100 ms every few exports of a duty list (docs/benchmarks.md, the Excel export)."""
    import gc

    gc.collect()
    gc.freeze()
