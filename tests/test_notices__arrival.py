"""Notifications when work arrives (issue 13 part 3): in the app, by e-mail as each person chooses, and to the unit's
group robot (DingTalk signed with HMAC-SHA256 of "timestamp\\nsecret"; WeCom), delivered by the task engine after
commit. The robots are tested against a real HTTP server started by the test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from admission.models import GroupRobot, NoticeKind, Notification, RobotDelivery, RobotPlatform
from admission.services import intake, notifications
from tests import support
from workflows.driver import CaseDriver


class Receiver:
    """A local HTTP server that answers as a robot platform does and keeps what it was sent."""

    def __init__(self, answer: dict | None = None):
        self.received: list[dict] = []
        self.answer = answer or {"errcode": 0, "errmsg": "ok"}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {"path": self.path, "body": json.loads(body), "type": self.headers["Content-Type"]}
                )
                data = json.dumps(receiver.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _consult(banner, django_capture_on_commit_callbacks):
    request = support.draft(banner)
    with django_capture_on_commit_callbacks(execute=True):
        CaseDriver(request).consult(banner.users["forestry"])
    return request


def test_art4_1_township_clerks_are_told_of_a_new_consultation_in_the_app_and_by_email(
    banner, django_capture_on_commit_callbacks
):
    banner.users["naji"].email = "naji@example.org"
    banner.users["naji"].save()
    request = _consult(banner, django_capture_on_commit_callbacks)
    for key in ("naji", "liuhe"):
        notice = Notification.objects.get(user=banner.users[key], kind=NoticeKind.TASK_ARRIVED)
        assert request.duty_name in notice.text and "出具书面意见" in notice.text
        assert notice.link.startswith("/tasks/")
    # the task, and the consultation letter (函) addressed to the township
    assert sorted(m.subject for m in mail.outbox) == ["【乡镇职责准入】公文印发", "【乡镇职责准入】新任务"]
    assert all(m.to == ["naji@example.org"] for m in mail.outbox)
    assert any("/tasks/" in m.body for m in mail.outbox)
    assert not Notification.objects.filter(user=banner.users["yadong"]).exists()  # not consulted


def test_a_person_who_turns_email_off_still_sees_the_notice_in_the_app(banner, django_capture_on_commit_callbacks):
    banner.users["naji"].email = "naji@example.org"
    banner.users["naji"].save()
    notifications.set_preferences(user=banner.users["naji"], email_kinds=[NoticeKind.DECIDED])
    _consult(banner, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=banner.users["naji"], kind=NoticeKind.TASK_ARRIVED).exists()
    assert mail.outbox == []


def test_art4_2_a_supplement_request_reaches_the_applicant_as_a_return(banner, django_capture_on_commit_callbacks):
    request = support.submitted_case(banner)
    with django_capture_on_commit_callbacks(execute=True):
        support.do(
            request,
            "intake",
            banner.users["office"],
            lambda: intake.return_for_supplement(
                duty_request=request, actor=banner.users["office"], items=["补充经费来源证明"]
            ),
        )
    notice = Notification.objects.get(user=banner.users["forestry"], kind=NoticeKind.RETURNED)
    assert "补正材料" in notice.text
    # the supplement notice (一次性告知书) is a document addressed to the department: its issue is announced too
    assert Notification.objects.filter(user=banner.users["forestry"], kind=NoticeKind.DOCUMENT_ISSUED).exists()


def test_art4_3_a_decision_is_announced_to_the_bodies_of_the_case(banner, django_capture_on_commit_callbacks):
    request = support.awaiting_approval_case(banner)
    with django_capture_on_commit_callbacks(execute=True):
        support.banner_decides(banner, request)
    for key in ("forestry", "naji", "liuhe"):
        assert Notification.objects.filter(user=banner.users[key], kind=NoticeKind.DECIDED).exists(), key


def _dingtalk_signature_ok(path: str, secret: str) -> bool:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    return query["sign"][0] == expected and query["access_token"] == ["T0KEN"]


def test_a_unit_s_dingtalk_group_robot_gets_a_signed_message_when_work_arrives(
    banner, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        GroupRobot.objects.create(
            organization=banner.org("naji"),
            platform=RobotPlatform.DINGTALK,
            webhook_url=f"{receiver.url}/robot/send?access_token=T0KEN",
            secret="SECabc123",
        )
        request = _consult(banner, django_capture_on_commit_callbacks)
    # one per event for the unit, however many people it has: the task, and the consultation letter
    assert len(receiver.received) == 2
    for message in receiver.received:
        assert _dingtalk_signature_ok(message["path"], "SECabc123")
        assert message["body"]["msgtype"] == "text" and message["type"].startswith("application/json")
    texts = {m["body"]["text"]["content"].split("：", 1)[0]: m["body"]["text"]["content"] for m in receiver.received}
    assert set(texts) == {"新任务", "公文印发"}
    assert request.duty_name in texts["新任务"] and "/tasks/" in texts["新任务"]
    assert all(d.sent_at is not None for d in RobotDelivery.objects.all())


def test_a_wecom_robot_gets_the_message_at_its_keyed_address(banner, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        GroupRobot.objects.create(
            organization=banner.org("liuhe"),
            platform=RobotPlatform.WECOM,
            webhook_url=f"{receiver.url}/cgi-bin/webhook/send?key=K1",
        )
        _consult(banner, django_capture_on_commit_callbacks)
    assert {m["path"] for m in receiver.received} == {"/cgi-bin/webhook/send?key=K1"}
    assert any("出具书面意见" in m["body"]["text"]["content"] for m in receiver.received)


def test_a_robot_that_refuses_leaves_the_delivery_unsent_with_its_reason(banner, django_capture_on_commit_callbacks):
    with Receiver(answer={"errcode": 310000, "errmsg": "sign not match"}) as receiver:
        GroupRobot.objects.create(
            organization=banner.org("naji"),
            platform=RobotPlatform.DINGTALK,
            webhook_url=f"{receiver.url}/robot/send?access_token=T0KEN",
            secret="SECwrong",
        )
        _consult(banner, django_capture_on_commit_callbacks)
    assert RobotDelivery.objects.count() == 2
    for delivery in RobotDelivery.objects.all():
        assert delivery.sent_at is None and "sign not match" in delivery.error
    assert Notification.objects.filter(user=banner.users["naji"], kind=NoticeKind.TASK_ARRIVED).exists()


def test_badge_counts_unread_and_mark_read_clears_it(client, banner):
    user = banner.users["naji"]
    for i in range(30):  # more than one page
        Notification.objects.create(user=user, kind=NoticeKind.TASK_ARRIVED, key=f"t:{i}", text=f"第{i}条")
    client.force_login(user)
    page = client.get(reverse("workflows:inbox")).content.decode()
    assert '<span class="count">30</span>' in page
    client.get(reverse("admission:notifications"))  # the first page is read by opening it
    assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 5
    assert client.post(reverse("admission:notifications_read")).status_code == 302
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()


def test_preferences_page_saves_the_choice(client, banner):
    user = banner.users["naji"]
    client.force_login(user)
    assert client.get(reverse("admission:notice_preferences")).status_code == 200
    response = client.post(reverse("admission:notice_preferences"), {"email_kinds": ["task", "urged"]})
    assert response.status_code == 302
    assert user.notice_preference.email_kinds == ["task", "urged"]
    with pytest.raises(ValueError):
        notifications.set_preferences(user=user, email_kinds=["nonsense"])


def test_the_robot_secret_is_never_sent_back_to_the_browser_and_kept_when_left_blank(client, banner):
    from admission.models import AdministratorRole
    from admission.services.administrators import create_administrator

    admin_user = create_administrator(username="sysadmin", password=support.PASSWORD, role=AdministratorRole.SYSTEM)
    robot = GroupRobot.objects.create(
        organization=banner.org("naji"),
        platform=RobotPlatform.DINGTALK,
        webhook_url="https://oapi.dingtalk.com/robot/send?access_token=T",
        secret="SECsecret-value",
    )
    client.force_login(admin_user)
    url = reverse("admin:admission_grouprobot_change", args=[robot.pk])
    page = client.get(url)
    assert page.status_code == 200 and "SECsecret-value" not in page.content.decode()
    response = client.post(
        url,
        {
            "organization": banner.org("naji").pk,
            "platform": "dingtalk",
            "webhook_url": robot.webhook_url,
            "secret": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    robot.refresh_from_db()
    assert robot.secret == "SECsecret-value"


def test_notices_are_written_in_the_official_language_whoever_acts(banner, django_capture_on_commit_callbacks):
    from django.utils import translation

    with translation.override("en"):  # the department works in English
        _consult(banner, django_capture_on_commit_callbacks)
    notice = Notification.objects.get(user=banner.users["naji"], kind=NoticeKind.TASK_ARRIVED)
    assert notice.text.startswith("新任务：") and "出具书面意见" in notice.text


def test_an_urging_and_a_copy_reach_the_unit_s_group_robot_too(banner, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from admission.models import TaskDeadline
    from workflows import actions

    request = support.to_under_review(banner)
    task = support.open_task(request, "legality_review")
    TaskDeadline.objects.filter(task=task).update(due_date=timezone.localdate() - timedelta(days=1))
    with Receiver() as receiver:
        for key in ("justice", "agriculture"):
            GroupRobot.objects.create(
                organization=banner.org(key), platform=RobotPlatform.WECOM, webhook_url=f"{receiver.url}/{key}?key=K"
            )
        with django_capture_on_commit_callbacks(execute=True):
            actions.urge_task(task=task, actor=banner.users["office"])
            actions.copy_case(
                duty_request=request, actor=banner.users["office"], organizations=[banner.org("agriculture")]
            )
    by_path = {m["path"].split("?")[0]: m["body"]["text"]["content"] for m in receiver.received}
    assert set(by_path) == {"/justice", "/agriculture"}
    assert "催办" in by_path["/justice"] and "抄送" in by_path["/agriculture"]
