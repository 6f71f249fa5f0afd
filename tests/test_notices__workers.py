"""Notices on the real task engine (issue 13 part 3): with a broker configured, the announcement of new work, its
e-mail and its group robot message are Celery tasks run by a real worker on Redis against real PostgreSQL; the
robot is a real HTTP server started by the test."""

from __future__ import annotations

import pytest
from django.db import connection

from admission.models import GroupRobot, NoticeKind, Notification, RobotDelivery, RobotPlatform
from tests import support
from tests.test_notices__arrival import Receiver, _dingtalk_signature_ok
from tests.test_tasks__engine import keys  # noqa: F401  (a fixture the engine fixture needs)
from tests.test_tasks__workers import engine, wait_until  # noqa: F401  (engine is a fixture)
from workflows.driver import CaseDriver

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real workers need PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),  # the worker is another process: the data must be committed
]


def test_a_worker_announces_a_consultation_and_posts_the_signed_robot_message(engine, banner):  # noqa: F811
    with Receiver() as receiver:
        GroupRobot.objects.create(
            organization=banner.org("naji"),
            platform=RobotPlatform.DINGTALK,
            webhook_url=f"{receiver.url}/robot/send?access_token=T0KEN",
            secret="SECworker",
        )
        request = support.draft(banner)
        CaseDriver(request).consult(banner.users["forestry"])  # commits: the announcement goes to Redis
        assert not Notification.objects.filter(user=banner.users["naji"]).exists()  # nothing ran in this process
        engine.worker("notices")
        assert wait_until(lambda: len(receiver.received) >= 2, timeout=120, interval=0.5), engine.log("notices")
    assert all(_dingtalk_signature_ok(m["path"], "SECworker") for m in receiver.received)
    assert Notification.objects.filter(user=banner.users["naji"], kind=NoticeKind.TASK_ARRIVED).exists()
    assert RobotDelivery.objects.filter(sent_at__isnull=False).count() == 2
    log = engine.log("notices")
    assert "admission.announce" in log and "admission.post_to_robot" in log
