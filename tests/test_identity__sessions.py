"""等保2.0 level 3, 身份鉴别: 登录连接超时自动退出 — a session ends after ADMISSION_SESSION_IDLE_MINUTES without a request,
with a notice on the login page and an audited logout, and when the browser closes (no persistent cookie). A session's
user is read on every request by admission.auth_backends.AccountBackend, as Django's ModelBackend reads it."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model
from django.db.models import Max
from django.urls import reverse

from admission.auth_backends import AccountBackend
from admission.models import AuditAction, AuditEvent
from tests import support
from web.identity import LAST_SEEN
from web.oidc import PlatformBackend


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


@pytest.mark.parametrize("backend_class", [AccountBackend, PlatformBackend], ids=["password", "single-sign-on"])
def test_identity_session_user_is_the_active_user_of_its_key_in_one_statement(
    banner, django_assert_num_queries, backend_class
):
    backend, forestry = backend_class(), banner.users["forestry"]
    missing = get_user_model().objects.aggregate(last=Max("pk"))["last"] + 1
    with django_assert_num_queries(1):
        user = backend.get_user(forestry.pk)
    fields = [field.attname for field in get_user_model()._meta.concrete_fields]
    assert [getattr(user, name) for name in fields] == [getattr(forestry, name) for name in fields]
    assert user._state.db == "default" and not user._state.adding
    with django_assert_num_queries(1):
        assert backend.get_user(missing) is None
    assert backend.get_user(str(forestry.pk)) == forestry and backend.get_user(None) is None  # as the ORM's pk=
    forestry.is_active = False
    forestry.save(update_fields=["is_active"])
    with django_assert_num_queries(1):
        assert backend.get_user(forestry.pk) is None  # inactive: may not authenticate, as ModelBackend says


def test_identity_password_login_is_recorded_by_the_account_backend_and_serves_the_next_request(signed_in, banner):
    client, forestry = signed_in, banner.users["forestry"]
    assert client.session[BACKEND_SESSION_KEY] == "admission.auth_backends.AccountBackend"
    response = client.get(reverse("workflows:inbox"))
    assert response.status_code == 200 and response.wsgi_request.user == forestry
