"""Settings, all read from the environment, then from one settings file (config/envfile.py: var/demo.env written by
`make demo`, or /etc/admission/admission.env on a server); a variable set in the environment wins over the file.

The embedded default is a SQLite file under var/ in the checkout; production sets DATABASE_URL (postgres://...),
SECRET_KEY, ADMISSION_PUBLIC_URL and DJANGO_DEBUG=0, and runs behind a TLS reverse proxy (deploy/).
"""

import ipaddress
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from . import envfile
from .logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
try:
    ENV_FILE, _FILE_VALUES = envfile.load(BASE_DIR)
except envfile.EnvFileError as error:
    raise ImproperlyConfigured(str(error)) from None


def env(name: str, default: str = "") -> str:
    """The environment's value, else the settings file's, else `default`; an empty value counts as unset."""
    return os.environ.get(name) or _FILE_VALUES.get(name) or default


def env_flag(name: str, default: bool) -> bool:
    value = env(name, "")
    return default if value == "" else value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("ADMISSION_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_flag("DJANGO_DEBUG", False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env("ADMISSION_ALLOW_INSECURE_KEY") != "1":
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DJANGO_DEBUG is off (in the environment or in "
            f"{ENV_FILE or envfile.PRODUCTION_FILE}; `make demo` writes var/demo.env for the demo)."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"

# The address people and the QR codes of official documents reach this system at. Required outside the demo, and
# never a loopback or private address (admission.checks refuses to start otherwise); the demo derives it from
# HOST and PORT. Documents already issued keep the address they were signed with.
ADMISSION_PUBLIC_URL = env("ADMISSION_PUBLIC_URL", "http://127.0.0.1:8000" if DEBUG else "").strip()
try:
    _PUBLIC = urlsplit(ADMISSION_PUBLIC_URL)
except ValueError:  # admission.checks names the problem
    _PUBLIC = urlsplit("")
PUBLIC_ORIGIN = f"{_PUBLIC.scheme}://{_PUBLIC.netloc.rpartition('@')[2]}" if _PUBLIC.hostname else ""

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
if _PUBLIC.hostname and _PUBLIC.hostname not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_PUBLIC.hostname)
# Origins a browser may POST from: the public address, plus any other name the site is reached under.
CSRF_TRUSTED_ORIGINS = ([PUBLIC_ORIGIN] if PUBLIC_ORIGIN else []) + env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_fsm",
    "viewflow",
    "viewflow.workflow",
    "admission",
    "workflows",
    "web",
    # Not "rest_framework": its Chinese catalogue would replace Django's own form messages everywhere (这个字段是必填项。
    # → 该字段是必填项。); the API needs neither its templates nor its models (JSON only, documented at /api/docs/).
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "web.apps.ApiClientsConfig",  # oauth2_provider
]

MIDDLEWARE = [
    "web.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "web.middleware.PrivateResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "web.audit.AuditOriginMiddleware",
    "web.audit.AdminNetworkMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "web.context_processors.acting_organization",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env("DB_PREPARED_STATEMENTS", "1") == "1":
    # Parameters bound by the server, and a statement a connection has run five times prepared (psycopg's
    # prepare_threshold): PostgreSQL then neither parses nor plans it again. A task completion's PostgreSQL CPU
    # halves (docs/benchmarks.md). Off (0) behind a pooler in transaction mode that cannot keep prepared statements
    # (PgBouncer before 1.21, or without max_prepared_statements).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialize writers instead of failing with "database is locked" under the dev server.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
    # Write-ahead log: readers no longer wait for a writer (web workers, the sweep, the task worker share the file),
    # and a commit is one fsync of the log instead of the rollback journal's three; synchronous stays FULL, so a
    # committed decision survives a power cut. Backups and restores go through SQLite's backup API, which knows it.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL;"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "admission.auth_backends.AccountBackend",  # Django's ModelBackend, the session's user read by a compiled statement
    "admission.auth_backends.OrganizationPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "admission:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Uploaded and generated files live outside any web root; they are served only through
# permission-checked views (web.views.cases.attachment_download).
MEDIA_ROOT = VAR_DIR / "files"
# --- File storage (issue 11, part 5) ---------------------------------------------------------------------------
# Every stored file (documents, uploads) is read and written through Django's storage API, never by path, so a shared
# or S3-compatible store is configuration: ADMISSION_FILE_STORAGE names the backend (e.g. django-storages'
# "storages.backends.s3.S3Storage") and ADMISSION_FILE_STORAGE_OPTIONS its options as JSON (docs/operations.md, 文件存储).
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("ADMISSION_FILE_STORAGE") or "django.core.files.storage.FileSystemStorage",
        "OPTIONS": json.loads(os.environ.get("ADMISSION_FILE_STORAGE_OPTIONS") or "{}"),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# --- end of file storage ----------------------------------------------------------------------------------------
ADMISSION_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A whole request (a form with several files, each checked against the limit above with a clear message): the
# reverse proxy refuses anything larger (deploy/nginx/admission.conf: client_max_body_size 100m, tested equal).
ADMISSION_MAX_REQUEST_BYTES = 100 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Uploads (issue 12 part 4): limits enforced while the body streams in; /verify/ limited per address. ---
FILE_UPLOAD_HANDLERS = [
    "web.uploads.SizeLimitedUploadHandler",  # first: stops keeping (or reading) a file past its limit
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
ADMISSION_MAX_VERIFY_BYTES = int(env("ADMISSION_MAX_VERIFY_BYTES", str(20 * 1024 * 1024)))
# "<requests>/<seconds>" per client address, counted in the default cache (shared by all workers when it is Redis).
ADMISSION_VERIFY_UPLOAD_RATE = env("ADMISSION_VERIFY_UPLOAD_RATE", "20/600")
ADMISSION_VERIFY_LOOKUP_RATE = env("ADMISSION_VERIFY_LOOKUP_RATE", "120/600")
# --- end uploads ---

# Reminders and escalations (manage.py send_reminders) go by e-mail too; the demo prints them to the console.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "admission@localhost")

# Official documents (admission.documents): where their QR codes point, how they are signed, when they render.
ADMISSION_SIGNER = env("ADMISSION_SIGNER", "admission.documents.signing.Pkcs12Signer")
ADMISSION_SIGNING_KEYS_DIR = Path(env("ADMISSION_SIGNING_KEYS_DIR", str(VAR_DIR / "keys")))
# Each body's key has its own passphrase: ADMISSION_SIGNING_PASSPHRASE_ORG_<id> in the environment of the signing
# process, or the file org-<id>.pass here (owner-only). The shared passphrase below is only a fallback (a deploy
# check warns of any body without its own).
ADMISSION_SIGNING_SECRETS_DIR = Path(env("ADMISSION_SIGNING_SECRETS_DIR", str(VAR_DIR / "secrets")))
ADMISSION_SIGNING_PASSPHRASE = env("ADMISSION_SIGNING_PASSPHRASE", "")
# The demo certificate authority's private key, kept apart from the bodies' keys (create_demo_pki, seed_demo).
ADMISSION_DEMO_CA_DIR = Path(env("ADMISSION_DEMO_CA_DIR", str(VAR_DIR / "demo-ca")))
ADMISSION_TRUST_ROOTS = [p for p in env("ADMISSION_TRUST_ROOTS", "").split(os.pathsep) if p] or [
    str(ADMISSION_SIGNING_KEYS_DIR / "demo-root.pem")
]
ADMISSION_TSA_URL = env("ADMISSION_TSA_URL", "")
# Noto CJK faces cut to GB 2312 by `manage.py prepare_fonts` (admission/documents/fonts.py): faster renders.
ADMISSION_FONT_DIR = Path(env("ADMISSION_FONT_DIR", str(VAR_DIR / "fonts")))

# Behind the TLS reverse proxy of deploy/nginx (outside the demo). The proxy terminates TLS and says so in
# X-Forwarded-Proto, which it always sets itself; gunicorn listens on loopback only (deploy/gunicorn.conf.py).
ADMISSION_BEHIND_TLS_PROXY = not DEBUG and env_flag("ADMISSION_BEHIND_TLS_PROXY", True)
if ADMISSION_BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
_HTTPS = _PUBLIC.scheme == "https"
SECURE_SSL_REDIRECT = not DEBUG and env_flag("SECURE_SSL_REDIRECT", _HTTPS)
# Probes ask gunicorn directly over plain HTTP on loopback (web/health.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if not DEBUG and _HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload list takes registrable domains (the apex of the government's domain, its owner's decision), not the
# host of one application; the header's preload flag is therefore off, and Django's reminder (W021) silenced.
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and env_flag("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# JSON lines with the request id outside the demo (config/logging.py); LOG_FORMAT=text for plain lines.
LOGGING = logging_config(
    level=env("LOG_LEVEL", "INFO"), fmt=env("LOG_FORMAT", "text" if DEBUG else "json"), quiet_requests=DEBUG
)

# /readyz (web/health.py) also pings Redis when the installation has one.
ADMISSION_REDIS_URL = env("ADMISSION_REDIS_URL")

# ---------------------------------------------------------------------------------------------------------------
# Task engine (Celery): rendering documents, the daily reminder run, e-mailed notices, the healing sweep.
# With CELERY_BROKER_URL (redis://127.0.0.1:6379/0) tasks go to `make worker` processes and `make scheduler`
# (Celery beat) runs the timetable below. Without it (the embedded default) every task runs in the process that
# asked for it, after its transaction commits, and the web process sweeps for unfinished documents itself.
# ---------------------------------------------------------------------------------------------------------------
from celery.schedules import crontab  # noqa: E402
from csp.constants import NONE, SELF  # noqa: E402

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False  # a failed after-commit task must not turn a committed decision into a 500
CELERY_TASK_IGNORE_RESULT = True  # state lives on the rows (render_status, Notification.emailed), not in a backend
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies mid-way is delivered again ...
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # ... also when the pool process was killed (kill -9, OOM)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a render takes a second: hand them out one at a time
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Unacknowledged messages (a worker killed outright) come back after this. A retry waits in the worker for up to
# 2 h 8 min (the 7th of 8 attempts), so this is longer, lest it be delivered twice. The sweep does not wait for it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
# A web request that commits while Redis is down gives up publishing quickly; the sweep renders its document later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_TIMEZONE = TIME_ZONE
# The Redis list the tasks go through: give each installation its own when several share one Redis.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "admission")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Render each document as soon as its issuing transaction commits (tests turn it off and render explicitly).
ADMISSION_RENDER_ON_COMMIT = os.environ.get("ADMISSION_RENDER_ON_COMMIT", "1") == "1"
# A failed render is retried after 2, 4, 8 … minutes; after this many failures it is dead (admin: 公文 → 死信).
ADMISSION_RENDER_MAX_ATTEMPTS = int(os.environ.get("ADMISSION_RENDER_MAX_ATTEMPTS", "8"))
ADMISSION_RENDER_RETRY_SECONDS = int(os.environ.get("ADMISSION_RENDER_RETRY_SECONDS", "120"))
# The sweep: every SWEEP_SECONDS (scheduler) it queues again each document still pending SWEEP_GRACE seconds after it
# was issued or last queued (its render was lost: kill -9, Redis down at commit) and each failed one whose retry is due.
ADMISSION_RENDER_SWEEP_SECONDS = int(os.environ.get("ADMISSION_RENDER_SWEEP_SECONDS", "30"))
ADMISSION_RENDER_SWEEP_GRACE = int(os.environ.get("ADMISSION_RENDER_SWEEP_GRACE", "20"))
# A process seals the audit chain after its commits at most once in this many seconds (each seal takes what every
# process committed meanwhile); the scheduler's seal every 10 s, or the web process's sweep, takes the rest.
ADMISSION_AUDIT_SEAL_SECONDS = float(os.environ.get("ADMISSION_AUDIT_SEAL_SECONDS", "1"))
# The web process sweeps once after start-up (on its first request, in a thread) and, without a broker, every
# SWEEP_SECONDS after that, so the embedded default heals itself with no scheduler.
ADMISSION_SWEEP_IN_WEB = os.environ.get("ADMISSION_SWEEP_IN_WEB", "1") == "1"
# The daily reminder run (local time, working days of the national calendar only).
ADMISSION_REMINDERS_AT = os.environ.get("ADMISSION_REMINDERS_AT", "08:30")
try:
    _reminder_hour, _reminder_minute = (int(part) for part in ADMISSION_REMINDERS_AT.split(":"))
    if not (0 <= _reminder_hour < 24 and 0 <= _reminder_minute < 60):
        raise ValueError
except ValueError:
    raise ImproperlyConfigured(
        f"ADMISSION_REMINDERS_AT must be a time as HH:MM, not {ADMISSION_REMINDERS_AT!r}."
    ) from None
CELERY_BEAT_SCHEDULE = {
    "daily-reminders": {
        "task": "admission.daily_reminders",
        "schedule": crontab(hour=_reminder_hour, minute=_reminder_minute),
    },
    "render-sweep": {"task": "admission.sweep_documents", "schedule": float(ADMISSION_RENDER_SWEEP_SECONDS)},
    # Webhook deliveries whose retry is due (their waits are a minute or more).
    "webhook-sweep": {
        "task": "admission.sweep_webhooks",
        "schedule": float(os.environ.get("ADMISSION_WEBHOOK_SWEEP_SECONDS", "30")),
    },
    # Audit events committed after their process's last seal (ADMISSION_AUDIT_SEAL_SECONDS), or whose committer gave way
    # to a seal in progress, are sealed by the next seal; this takes any a quiet process left behind.
    "audit-seal": {"task": "admission.seal_audit_events", "schedule": 10.0},
}
# /readyz pings the broker too.
ADMISSION_REDIS_URL = ADMISSION_REDIS_URL or CELERY_BROKER_URL
# --------------------------------------------------------------------------- end of the task engine (Celery) ---

# --- Rate-limit counters (issue 12 part 4, web/ratelimit.py): in Redis when the installation has one, so that every
# web process counts against the same budget; otherwise (the demo) in each process's memory. ---
if ADMISSION_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ADMISSION_REDIS_URL,
            "KEY_PREFIX": "admission",
        }
    }


# --- Access and separation of duties (issue 12) --------------------------------------------------------------------
# Our own reverse proxies: only from these peers is the client address taken from X-Real-IP (deploy/nginx sets it).
ADMISSION_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("ADMISSION_TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if p.strip()
]
# /admin/ answers only to clients in these networks (comma-separated CIDR); empty in the demo means anywhere.
ADMISSION_ADMIN_NETWORKS = [
    n.strip()
    for n in os.environ.get(
        "ADMISSION_ADMIN_NETWORKS", "" if DEBUG else "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
    ).split(",")
    if n.strip()
]

# Content-Security-Policy (django-csp): our own scripts and styles only, no inline script or style, no plugins, no
# framing; images may be data: URIs (QR codes). Pages put behaviour in web/static/admission/app.js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Open API (issue 15) -------------------------------------------------------------------------------------------
# Django REST Framework: deny by default (each public view opens itself), JSON and the browsable renderer, rate limits
# per address (anonymous) and per account; the schema by drf-spectacular, its documentation served from local files
# (the sidecar; the split view keeps Swagger UI's start-up script out of the page, as the CSP requires).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],  # each view names how it is called (web/api.py): no session, no cookie
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_ANON_RATE", "120/min"),
        "user": env("API_USER_RATE", "600/min"),
        "api_write": env("API_WRITE_RATE", "60/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
# OAuth2 (django-oauth-toolkit): client-credentials tokens for other systems, one client per organization, bound to a
# service account that is a member of it (manage.py create_api_client), so every visibility rule of the pages applies.
API_SCOPES = {
    "cases:read": "读取本单位可见的申请 / read the cases the organization sees",
    "documents:read": "读取、下载本单位可见的公文 / read and download the organization's documents",
    "duties:read": "读取本单位可见的乡镇职责事项清单及其版本 / read the duty lists the organization sees, with versions",
    "cases:write": "代本单位办理（政数局权责清单衔接审核）/ act for the organization (the data bureau's review)",
}
OAUTH2_PROVIDER = {
    "SCOPES": API_SCOPES,
    "DEFAULT_SCOPES": ["cases:read", "documents:read", "duties:read"],  # what a client gets when it names none
    # A client may ask only for the scopes its service account holds (cases:write for a client that acts for its
    # organization: admission.services.api_clients).
    "SCOPES_BACKEND_CLASS": "web.api.ClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # Only the client-credentials grant is used; everything else as the OAuth 2.0 Security BCP (RFC 9700) asks, which
    # django-oauth-toolkit's system checks (oauth2_provider.W001–W008) name and its 4.0 will make the default.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Named so that a model may refer to the clients (admission.WebhookSubscription) and migrations depend on it.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

# Signed webhooks to the API's clients (issue 15 part 5, admission/services/webhooks.py, docs/webhooks.md): the waits
# after each failed attempt (seconds; then the delivery is failed and waits for the administrator's re-send), the
# timeout of one attempt, and the private networks a target may be in (CIDRs, e.g. the 政务外网's; none by default:
# a target must resolve to public addresses). Loopback targets over http are allowed only when DEBUG is on.
try:
    ADMISSION_WEBHOOK_RETRY_SECONDS = [
        int(s)
        for s in (os.environ.get("ADMISSION_WEBHOOK_RETRY_SECONDS") or "60,300,1800,7200,43200").split(",")
        if s.strip()
    ]
    ADMISSION_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("ADMISSION_WEBHOOK_TIMEOUT_SECONDS") or "5")
    ADMISSION_WEBHOOK_ALLOWED_NETWORKS = [
        str(ipaddress.ip_network(n.strip(), strict=False))
        for n in os.environ.get("ADMISSION_WEBHOOK_ALLOWED_NETWORKS", "").split(",")
        if n.strip()
    ]
except ValueError as error:
    raise ImproperlyConfigured(
        f"ADMISSION_WEBHOOK_RETRY_SECONDS (seconds, comma-separated), ADMISSION_WEBHOOK_TIMEOUT_SECONDS (seconds) or "
        f"ADMISSION_WEBHOOK_ALLOWED_NETWORKS (CIDRs, comma-separated) is not valid: {error}"
    ) from None
ADMISSION_WEBHOOK_ALLOW_LOOPBACK = DEBUG

SPECTACULAR_SETTINGS = {
    "TITLE": "乡镇职责准入 API",
    "DESCRIPTION": "Duty lists, cases and documents of the townships of Inner Mongolia (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/api/token/",
    "OAUTH2_SCOPES": API_SCOPES,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "web.api.document_errors",
    ],
}

# --- Single sign-on (issue 12) --------------------------------------------------------------------------------------
# OpenID Connect login through the province's 统一身份认证 platform (mozilla-django-oidc; web/oidc.py). Off unless
# OIDC_RP_CLIENT_ID is set; then the secret and the issuer are required. Endpoints left empty are read from the
# issuer's discovery document (OIDC_OP_ISSUER + /.well-known/openid-configuration) when first needed, not at start-up.
# Tokens must be signed with an asymmetric key published at the JWKS endpoint (RS256 by default; never HS*/none).
# Who a platform account is here: admission.ExternalIdentity, registered by the system administrator
# (docs/operations.md, 统一身份认证（OIDC）).
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER")
ADMISSION_OIDC_DISCOVERY_URL = env("ADMISSION_OIDC_DISCOVERY_URL")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
ADMISSION_OIDC_END_SESSION_ENDPOINT = env("ADMISSION_OIDC_END_SESSION_ENDPOINT")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", "openid profile")
# The claim compared with an identity's pre-registered value at its first login (e.g. preferred_username); empty: none.
ADMISSION_OIDC_MATCH_CLAIM = env("ADMISSION_OIDC_MATCH_CLAIM")
ADMISSION_OIDC_CLOCK_SKEW_SECONDS = int(env("ADMISSION_OIDC_CLOCK_SKEW_SECONDS", "60"))
OIDC_TIMEOUT = int(env("OIDC_TIMEOUT", "10"))
OIDC_VERIFY_SSL = env_flag("OIDC_VERIFY_SSL", True)
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True  # S256
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the logout at the platform
OIDC_CREATE_USER = False  # never: only the administrator ties a platform account to a user
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
if OIDC_RP_CLIENT_ID:
    _missing = [name for name in ("OIDC_RP_CLIENT_SECRET", "OIDC_OP_ISSUER") if not globals()[name]]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set, so {' and '.join(_missing)} must be set too.")
    if not OIDC_RP_SIGN_ALGO.startswith(("RS", "PS", "ES")):
        raise ImproperlyConfigured(
            f"OIDC_RP_SIGN_ALGO must be an asymmetric algorithm verified with the platform's JWKS (RS256), "
            f"not {OIDC_RP_SIGN_ALGO!r}."
        )
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "web.oidc.PlatformBackend"]
# ------------------------------------------------------------------------------------ end of single sign-on ---

# --- Identity (issue 12) -------------------------------------------------------------------------------------------
# 等保2.0 level 3, 身份鉴别: password rules and history, a change every ADMISSION_PASSWORD_MAX_AGE_DAYS, lockout after
# repeated failures (django-axes), idle session expiry, and a second factor (TOTP, django-otp) for heads, reviewers and
# administrators. The pages are web/views/identity.py; the rules admission/identity.py; docs/operations.md, section 15.
from datetime import timedelta  # noqa: E402

# Before ours: admission/admin.py shows their lockouts and devices in Chinese in place of their own admin pages.
INSTALLED_APPS[INSTALLED_APPS.index("admission") : 0] = ["axes", "django_otp", "django_otp.plugins.otp_totp"]
# The second factor is known once the user is (OTPMiddleware); IdentityMiddleware then ends idle sessions and sends an
# unverified user to the second factor and an expired password to the change page. Axes comes last, as it asks.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1, "web.identity.IdentityMiddleware"
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# Axes first: a locked-out account or address is refused before any password is checked.
AUTHENTICATION_BACKENDS.insert(0, "axes.backends.AxesStandaloneBackend")

# Passwords: at least ADMISSION_PASSWORD_MIN_LENGTH characters from three of the four classes (upper case, lower case,
# digits, other), not like the username or name, not a common or all-digit password, none of the last
# ADMISSION_PASSWORD_HISTORY; older than ADMISSION_PASSWORD_MAX_AGE_DAYS (0: never) must be changed after login.
ADMISSION_PASSWORD_MIN_LENGTH = int(env("ADMISSION_PASSWORD_MIN_LENGTH", "10"))
ADMISSION_PASSWORD_HISTORY = int(env("ADMISSION_PASSWORD_HISTORY", "5"))
ADMISSION_PASSWORD_MAX_AGE_DAYS = int(env("ADMISSION_PASSWORD_MAX_AGE_DAYS", "90"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "admission.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": ADMISSION_PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "admission.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    # Also keeps the history: Django tells it of every password set (create_user, the change page, the admin).
    {"NAME": "admission.passwords.PasswordHistoryValidator", "OPTIONS": {"count": ADMISSION_PASSWORD_HISTORY}},
]

# Lockout (django-axes): ADMISSION_LOCKOUT_FAILURES failed logins lock the account, and separately the address, for
# ADMISSION_LOCKOUT_MINUTES (0: until the security administrator unlocks it in /admin/ → 登录失败与锁定). Each further
# attempt while locked starts the wait again. The address is the one the audit trail records (X-Real-IP only from
# ADMISSION_TRUSTED_PROXIES).
AXES_FAILURE_LIMIT = int(env("ADMISSION_LOCKOUT_FAILURES", "5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
_LOCKOUT_MINUTES = int(env("ADMISSION_LOCKOUT_MINUTES", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=_LOCKOUT_MINUTES) if _LOCKOUT_MINUTES > 0 else None
AXES_CLIENT_IP_CALLABLE = "web.audit.client_address"
AXES_LOCKOUT_CALLABLE = "web.views.identity.locked_out"
AXES_RESET_ON_SUCCESS = False  # five failures within the window lock, successes in between or not
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # admission/admin.py: 登录失败与锁定

# Sessions end ADMISSION_SESSION_IDLE_MINUTES after the last request (IdentityMiddleware, with a notice on the login
# page) and when the browser closes. The stored session lives a working day at most without a request.
ADMISSION_SESSION_IDLE_MINUTES = int(env("ADMISSION_SESSION_IDLE_MINUTES", "30"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = max(12 * 3600, 2 * 60 * ADMISSION_SESSION_IDLE_MINUTES)

# Second factor (TOTP): required for heads and reviewers (DECIDING_ROLES) and administrators (is_staff), optional for
# clerks; whoever has a device is asked for its code after the password. ADMISSION_SECOND_FACTOR_REQUIRED=0 turns
# the requirement off (never in production; config/settings_test.py does, and tests/test_identity__* turn it on).
ADMISSION_SECOND_FACTOR_REQUIRED = env_flag("ADMISSION_SECOND_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "乡镇职责准入")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's key or its QR code
# --- end of identity -----------------------------------------------------------------------------------------------
