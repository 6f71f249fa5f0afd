"""Issue 15 part 5: schemathesis against the live schema — property-based requests to every endpoint of the open API,
no 500, every response as its schema says (status codes, content type, body). Runs with the suite in CI (.ci/run)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests import support

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def some_duties(banner):
    support.admitted(banner)  # ids 1…: real rows for the generated ids to hit now and then


@pytest.fixture(autouse=True)
def _keep_the_tests_connection():
    """The WSGI handler closes the database connection after each request when it is in a transaction (as the
    test's is); Django's test client stops that the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_endpoint_answers_as_its_schema_says(case, some_duties, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "allow_request", lambda self, request, view: True)  # tested apart
    case.call_and_validate()
