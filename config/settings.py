"""Settings, all read from the environment.

The embedded default is a SQLite file under var/ in the checkout; production sets DATABASE_URL
(postgres://...), SECRET_KEY and DJANGO_DEBUG=0.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ADMISSION_VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("DJANGO_DEBUG", "0").lower() in {"1", "true", "yes", "on"}

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("ADMISSION_ALLOW_INSECURE_KEY") != "1":
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "web.audit.AuditOriginMiddleware",
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
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialize writers instead of failing with "database is locked" under the dev server.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
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
ADMISSION_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Uploads (issue 12 part 4): limits enforced while the body streams in; /verify/ limited per address. ---
FILE_UPLOAD_HANDLERS = [
    "web.uploads.SizeLimitedUploadHandler",  # first: stops keeping (or reading) a file past its limit
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
ADMISSION_MAX_REQUEST_BYTES = int(os.environ.get("ADMISSION_MAX_REQUEST_BYTES", 100 * 1024 * 1024))
ADMISSION_MAX_VERIFY_BYTES = int(os.environ.get("ADMISSION_MAX_VERIFY_BYTES", 20 * 1024 * 1024))
# "<requests>/<seconds>" per client address, counted in the default cache (shared by all workers when it is Redis).
ADMISSION_VERIFY_UPLOAD_RATE = os.environ.get("ADMISSION_VERIFY_UPLOAD_RATE", "20/600")
ADMISSION_VERIFY_LOOKUP_RATE = os.environ.get("ADMISSION_VERIFY_LOOKUP_RATE", "120/600")
# Peers whose X-Forwarded-For names the client (the TLS proxy on this host); anyone else is the client itself.
ADMISSION_TRUSTED_PROXIES = [a for a in os.environ.get("ADMISSION_TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if a]
# --- end uploads ---

# Reminders and escalations (manage.py send_reminders) go by e-mail too; the demo prints them to the console.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "admission@localhost")

# Official documents (admission.documents): where their QR codes point, how they are signed, when they render.
ADMISSION_PUBLIC_URL = os.environ.get("ADMISSION_PUBLIC_URL", "http://127.0.0.1:8000")
ADMISSION_SIGNER = os.environ.get("ADMISSION_SIGNER", "admission.documents.signing.Pkcs12Signer")
ADMISSION_SIGNING_KEYS_DIR = Path(os.environ.get("ADMISSION_SIGNING_KEYS_DIR", VAR_DIR / "keys"))
ADMISSION_SIGNING_PASSPHRASE = os.environ.get("ADMISSION_SIGNING_PASSPHRASE", "")
ADMISSION_TRUST_ROOTS = [
    p for p in os.environ.get("ADMISSION_TRUST_ROOTS", "").split(os.pathsep) if p
] or [str(ADMISSION_SIGNING_KEYS_DIR / "demo-root.pem")]
ADMISSION_TSA_URL = os.environ.get("ADMISSION_TSA_URL", "")
# "inline": render right after the deciding transaction commits; "worker": `manage.py document_worker` does it.
ADMISSION_DOCUMENT_JOBS = os.environ.get("ADMISSION_DOCUMENT_JOBS", "inline")
# Noto CJK faces cut to GB 2312 by `manage.py prepare_fonts` (admission/documents/fonts.py): faster renders.
ADMISSION_FONT_DIR = Path(os.environ.get("ADMISSION_FONT_DIR", VAR_DIR / "fonts"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every rendering step at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
