"""等保2.0 level 3, 身份鉴别: 登录连接超时自动退出 — a session ends after ADMISSION_SESSION_IDLE_MINUTES without a request,
with a notice on the login page and an audited logout, and when the browser closes (no persistent cookie)."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from admission.models import AuditAction, AuditEvent
from tests import support
from web.identity import LAST_SEEN


@pytest.fixture
def signed_in(client, banner):
    response = client.post(
        reverse("login"), {"username": banner.users["forestry"].username, "password": support.PASSWORD}
    )
    assert response.status_code == 302
    return client


def idle_for(client, seconds: int) -> None:
    session = client.session
    session[LAST_SEEN] -= seconds
    session.save()


def test_identity_session_idle_thirty_minutes_ends_with_a_notice_on_the_login_page(signed_in):
    client, inbox = signed_in, reverse("workflows:inbox")
    idle_for(client, 30 * 60 + 5)
    response = client.get(inbox)
    assert response.status_code == 302 and response.url == f"{reverse('login')}?next={inbox}"
    assert SESSION_KEY not in client.session
    page = client.get(response.url)
    assert "您已超过 30 分钟未操作，为保护账号安全已自动退出，请重新登录。" in page.content.decode()
    event = AuditEvent.objects.filter(action=AuditAction.LOGOUT).get()
    assert event.note == "会话闲置超时，自动退出" and event.data == {"idle_timeout": True}


def test_identity_session_used_within_the_idle_time_stays_and_is_extended(signed_in):
    client, inbox = signed_in, reverse("workflows:inbox")
    idle_for(client, 29 * 60)
    assert client.get(inbox).status_code == 200
    idle_for(client, 29 * 60)  # 58 minutes after login, but never 30 idle
    assert client.get(inbox).status_code == 200


def test_identity_session_idle_time_is_configurable(signed_in, settings):
    settings.ADMISSION_SESSION_IDLE_MINUTES = 5
    client = signed_in
    idle_for(client, 4 * 60)
    assert client.get(reverse("workflows:inbox")).status_code == 200
    idle_for(client, 5 * 60 + 5)
    assert client.get(reverse("workflows:inbox")).status_code == 302


def test_identity_session_cookie_ends_with_the_browser_and_is_http_only(client, banner):
    response = client.post(
        reverse("login"), {"username": banner.users["forestry"].username, "password": support.PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"]
