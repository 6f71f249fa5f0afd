"""One id per request, from the proxy's X-Request-ID (nginx's $request_id) or made here: in every log line written
while the request runs (config/logging.py), in the response's X-Request-ID, and on the 500 page, so that a user's
report, the access log of nginx and the application's log lines meet."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from django.http import HttpResponseBadRequest, HttpResponseServerError
from django.template import loader
from django.utils.functional import empty
from django.views.decorators.csrf import requires_csrf_token

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
request_log = logging.getLogger("admission.request")


def current_request_id() -> str:
    """The id of the request being served in this thread or task, or "" outside a request."""
    return _current.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE: the id is set before anything can log, and every response carries it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        request_id = given if _ACCEPTED.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            request_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            _current.reset(token)


def _user_id(request) -> int | None:
    """The signed-in user's id if the request already looked the user up (never a query of its own: /healthz
    answers while the database is down)."""
    user = getattr(request, "user", None)
    user = user.__dict__.get("_wrapped", user) if user is not None else None
    if user is None or user is empty or not user.is_authenticated:
        return None
    return user.pk


@requires_csrf_token
def server_error(request, template_name="500.html"):
    """handler500: the Chinese page without the context processors (they read the database, which may be what
    failed), with the request's id to quote when reporting the fault."""
    template = loader.get_template(template_name)
    return HttpResponseServerError(template.render({"request_id": current_request_id()}))


@requires_csrf_token
def bad_request(request, exception, template_name="400.html"):
    """handler400: like the 500 page, without context processors: a request refused for its Host header (or any
    other SuspiciousOperation) is refused before the user is known."""
    template = loader.get_template(template_name)
    return HttpResponseBadRequest(template.render({"request_id": current_request_id()}))
