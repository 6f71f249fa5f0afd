"""Issue 15 part 5: schemathesis against the live schema — property-based requests to every endpoint of the open API,
no 500, every response as its schema says (status codes, content type, body). Runs with the suite in CI (.ci/run).

Each endpoint is called with a token of the data bureau's writing client holding every scope (so the organizations'
reads, the downloads and the write are exercised behind their authentication, which schemathesis also probes
without and with a wrong token), against a world with real rows for the generated ids to hit now and then: cases
under review (one with the data review open), rendered documents with their OFD, and admitted duties."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from admission.models import OfficialDocument
from admission.services.api_clients import READ_SCOPES, WRITE_SCOPE
from tests import support
from tests.test_api__documents import rendered
from tests.test_api__organizations import token
from web.api import VerificationThrottle

# A document to verify is sent as its bytes, whatever its media type (PDF, OFD or octet-stream).
schemathesis.serializer.alias(["application/pdf", "application/ofd"], "application/octet-stream")

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def rows_and_tokens(banner):
    """Ids 1…: real rows for the generated ids to hit now and then; tokens of the data bureau's and the forestry
    bureau's writing clients for the calls."""
    support.admitted(banner)
    case = support.to_under_review(banner, duty_name="耕地撂荒排查")
    for document in OfficialDocument.objects.filter(request=case):
        rendered(document, ofd=True)
    scopes = " ".join([*READ_SCOPES, WRITE_SCOPE])
    return {key: token(Client(), banner.org(key), scopes, may_write=True) for key in ("data", "forestry")}


@pytest.fixture
def world(rows_and_tokens):
    """The WSGI handler closes the database connection after each request when it is in a transaction (as the
    test's is); Django's test client stops that the same way — and reconnects the closing after each of its own
    requests, so this comes after the tokens were asked for."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield rows_and_tokens
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_endpoint_answers_as_its_schema_says(case, world, monkeypatch):
    for throttle in (AnonRateThrottle, UserRateThrottle, VerificationThrottle):  # tested apart
        monkeypatch.setattr(throttle, "allow_request", lambda self, request, view: True)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['data']}"})


# Generated ids seldom hit a row: each operation is also called on real rows, so that its full answers (a case with
# its steps, a document, its PDF and OFD, a duty list with versions, the review written) are checked against the
# schema too.
REAL_CALLS = [
    ("/api/v1/jurisdictions/{id}/townships/", "GET", "jurisdiction", None),
    ("/api/v1/townships/{id}/duties/", "GET", "naji", None),
    ("/api/v1/townships/{id}/duty-list/", "GET", "naji", None),
    ("/api/v1/cases/{id}/", "GET", "case", None),
    ("/api/v1/cases/{id}/data-review/", "POST", "case", {"passes": True, "reasoning": "与旗级权责清单衔接一致。"}),
    ("/api/v1/cases/{id}/data-review/", "POST", "case", {"passes": True}),
    ("/api/v1/documents/{id}/", "GET", "letter", None),  # as its issuer lists it
    ("/api/v1/documents/{id}/pdf/", "GET", "letter", None),
    ("/api/v1/documents/{id}/ofd/", "GET", "letter", None),
    ("/api/v1/verification/{code}/", "GET", "code", None),
]


@pytest.mark.parametrize(("path", "method", "row", "body"), REAL_CALLS)
def test_real_rows_answer_as_their_schema_says(path, method, row, body, banner, world):
    case = OfficialDocument.objects.filter(request__duty_name="耕地撂荒排查").first().request
    letter = OfficialDocument.objects.filter(request=case, ofd_sha256__gt="").first()
    ids = {
        "jurisdiction": banner.jurisdiction.pk,
        "naji": banner.org("naji").pk,
        "case": case.pk,
        "letter": letter.pk,
    }
    parameters = {"code": letter.verification_code} if row == "code" else {"id": ids[row]}
    operation = schema[path][method]
    generated = operation.Case(path_parameters=parameters, **({"body": body} if body is not None else {}))
    bearer = world["forestry" if path == "/api/v1/documents/{id}/" else "data"]
    response = generated.call_and_validate(headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == (201 if body and "reasoning" in body else 400 if body else 200)
