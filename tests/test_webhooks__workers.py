"""Webhooks on the real task engine (issue 15 part 5): with a broker configured, the decision's event is published and
delivered by a real Celery worker on Redis against real PostgreSQL, to a real HTTPS receiver (a test CA the worker
is told to trust, its loopback network allowed as an installation allows its extranet); the receiver fails once and
the scheduler's sweep retries after the configured wait. The receiver checks each signature with docs/webhooks.md's
code."""

from __future__ import annotations

import pytest
from django.db import connection

from admission.models import DeliveryStatus, WebhookDelivery
from tests import support
from tests.test_tasks__engine import keys  # noqa: F401  (a fixture the engine fixture needs)
from tests.test_tasks__workers import engine, wait_until  # noqa: F401  (engine is a fixture)
from tests.test_webhooks import DECISION, subscribe
from tests.webhook_receiver import Receiver, make_certificates

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real workers need PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),  # the worker is another process: the data must be committed
]


def test_issue15_a_worker_delivers_the_signed_decision_and_the_scheduler_retries_it(
    engine,  # noqa: F811
    banner,
    tmp_path,
):
    certificate, key, ca = make_certificates(tmp_path / "tls")
    with Receiver([500, 200], tls=(certificate, key)) as receiver:
        subscription, receiver.secret = subscribe(banner.org("forestry"), f"{receiver.url}/in", events=[DECISION])
        request = support.awaiting_approval_case(banner)
        support.banner_decides(banner, request)  # commits: the event goes to Redis
        assert not WebhookDelivery.objects.exists()  # nothing ran in this process
        settings_of_the_installation = {
            "SSL_CERT_FILE": str(ca),  # the receiver's certificate is checked, against the test CA
            "ADMISSION_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # production refuses loopback unless allowed
            "ADMISSION_WEBHOOK_RETRY_SECONDS": "2",
            "ADMISSION_WEBHOOK_SWEEP_SECONDS": "1",
        }
        engine.worker("hooks", **settings_of_the_installation)
        engine.scheduler()  # the same environment

        def delivered():
            return WebhookDelivery.objects.filter(subscription=subscription, status=DeliveryStatus.DELIVERED).first()

        delivery = wait_until(delivered, timeout=120, interval=0.5)
        assert delivery is not None, engine.log("hooks") + engine.log("scheduler")
    assert delivery.attempts == 2 and delivery.last_status_code == 200
    assert len(receiver.received) == 2
    assert all(p["signed"] and p["path"] == "/in" for p in receiver.received)
    assert {p["headers"]["X-Admission-Delivery"] for p in receiver.received} == {str(delivery.delivery_id)}
    assert receiver.received[0]["json"]["data"]["case"]["id"] == request.pk
    log = engine.log("hooks")
    assert "admission.publish_webhook_event" in log and "admission.deliver_webhook" in log
    assert "admission.sweep_webhooks" in engine.log("scheduler")
