"""Logging: one JSON object a line on stderr (journald under systemd), each with the id of the request it was
written during (web/request_id.py); plain text in the demo. LOG_FORMAT=json|text, LOG_LEVEL."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# What every LogRecord has; anything else on a record came through `extra=` and is written as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}
# Django puts the HttpRequest on its records: not data, and large.
_SKIPPED = {"request", "server_time"}


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (empty outside a request) to every record.

    Read from web.request_id only once something has imported it (the middleware, in a process that serves): the
    gunicorn master logs through this filter too and must not import the application (a reload after an upgrade
    forks workers from it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            module = sys.modules.get("web.request_id")
            record.request_id = module.current_request_id() if module is not None else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _SKIPPED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, level: str = "INFO", fmt: str = "json", quiet_requests: bool = False) -> dict:
    """settings.LOGGING. gunicorn's own messages use the same formatter (deploy/gunicorn.conf.py)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "json" if fmt == "json" else "text",
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own console and mail handlers go: its records reach the root handler above, once.
            "django": {"handlers": [], "level": level, "propagate": True},
            # runserver logs each request itself; the application's request lines are for production.
            "admission.request": {"level": "WARNING" if quiet_requests else level},
            # WeasyPrint and fontTools narrate every rendering step at INFO.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def gunicorn_config(*, level: str = "INFO") -> dict:
    """gunicorn's logconfig_dict: its own messages (start, workers, timeouts) as JSON lines too; it writes no access
    log (the application's request lines, and nginx's, have the request id)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": level, "handlers": [], "propagate": False},
        },
    }
