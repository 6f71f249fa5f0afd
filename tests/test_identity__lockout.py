"""等保2.0 level 3, 身份鉴别: 登录失败处理 — five failed logins lock the account and, separately, the address (django-axes);
the lockout ends after the cool-off or when the security administrator unlocks it; lockout and unlock are audited.
The issue's finding retried: 30 wrong passwords against one account, then the right one, must not log in."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from admission.models import AdministratorRole, AuditAction, AuditEvent, AuditOutcome, LoginLockout
from admission.services.administrators import create_administrator
from tests import support

LOCKED = "登录已被暂时锁定"


def attempt(client, username, password, address="198.51.100.7", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def test_identity_thirty_wrong_passwords_then_the_right_one_does_not_log_in(client, banner):
    user = banner.users["office"]
    responses = [attempt(client, user.username, f"wrong-{n}") for n in range(30)]
    assert [r.status_code for r in responses[:4]] == [200] * 4  # the form again: 用户名或密码不正确
    assert all(r.status_code == 429 for r in responses[4:])  # the fifth failure locks
    response = attempt(client, user.username, support.PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    body = response.content.decode()
    assert LOCKED in body and "连续 5 次登录失败" in body and "请 30 分钟后再试" in body
    lockouts = AuditEvent.objects.filter(action=AuditAction.LOCKOUT)
    assert lockouts.count() == 1  # the moment of locking; each further try is a failed login of its own
    event = lockouts.get()
    assert (event.outcome, event.source_address) == (AuditOutcome.DENIED, "198.51.100.7")
    assert event.data["username"] == user.username and "已锁定" in event.note
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 31


def test_identity_four_failures_still_let_the_right_password_in(client, banner):
    user = banner.users["office"]
    for n in range(4):
        attempt(client, user.username, f"wrong-{n}")
    assert attempt(client, user.username, support.PASSWORD).status_code == 302 and logged_in(client)
    assert not AuditEvent.objects.filter(action=AuditAction.LOCKOUT).exists()


def test_identity_an_account_locked_from_one_address_is_locked_from_every_address(client, banner):
    user = banner.users["justice"]
    for n in range(5):
        attempt(client, user.username, f"wrong-{n}", address="198.51.100.7")
    assert attempt(client, user.username, support.PASSWORD, address="203.0.113.9").status_code == 429
    assert not logged_in(client)


def test_identity_an_address_guessing_many_accounts_is_locked_for_every_account(client, banner):
    for key in ("forestry", "emergency", "agriculture", "naji", "liuhe"):
        attempt(client, banner.users[key].username, "wrong-password", address="198.51.100.66")
    fresh = banner.users["yadong"]  # never failed itself
    assert attempt(client, fresh.username, support.PASSWORD, address="198.51.100.66").status_code == 429
    assert attempt(client, fresh.username, support.PASSWORD, address="198.51.100.67").status_code == 302


def test_identity_lockout_counts_the_address_the_trusted_proxy_reports(client, banner):
    """Behind nginx every request comes from 127.0.0.1: the address counted is X-Real-IP (web.audit.client_address),
    and only from a trusted proxy — a client cannot spread its guesses over forged headers."""
    for key in ("forestry", "emergency", "agriculture", "naji", "liuhe"):
        attempt(client, banner.users[key].username, "wrong", address="127.0.0.1", HTTP_X_REAL_IP="203.0.113.5")
    fresh = banner.users["yadong"]
    assert (
        attempt(client, fresh.username, support.PASSWORD, address="127.0.0.1", HTTP_X_REAL_IP="203.0.113.5").status_code
        == 429
    )
    assert (
        attempt(client, fresh.username, support.PASSWORD, address="127.0.0.1", HTTP_X_REAL_IP="203.0.113.6").status_code
        == 302
    )
    client.logout()
    for n in range(5):  # an untrusted peer's header is ignored: all five count against the peer itself
        attempt(
            client,
            banner.users["agriculture"].username,
            "wrong",
            address="198.51.100.20",
            HTTP_X_REAL_IP=f"192.0.2.{n}",
        )
    assert (
        attempt(
            client,
            banner.users["office2"].username,
            support.PASSWORD,
            address="198.51.100.20",
            HTTP_X_REAL_IP="192.0.2.99",
        ).status_code
        == 429
    )


def test_identity_lockout_ends_after_the_configured_cool_off(client, banner, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    user = banner.users["data"]
    for n in range(5):
        attempt(client, user.username, f"wrong-{n}")
    assert attempt(client, user.username, support.PASSWORD).status_code == 429
    time.sleep(2.2)
    assert attempt(client, user.username, support.PASSWORD).status_code == 302 and logged_in(client)
    assert not AuditEvent.objects.filter(action=AuditAction.UNLOCK).exists()  # expiry is no unlock


def test_identity_lockout_without_cool_off_waits_for_the_administrator(client, banner, settings):
    settings.AXES_COOLOFF_TIME = None
    user = banner.users["data"]
    for n in range(5):
        attempt(client, user.username, f"wrong-{n}")
    body = attempt(client, user.username, support.PASSWORD).content.decode()
    assert "请联系安全管理员解锁。" in body


@pytest.fixture
def security_admin(db):
    return create_administrator(username="secadmin", password=support.PASSWORD, role=AdministratorRole.SECURITY)


def test_identity_security_administrator_sees_and_lifts_a_lockout_in_the_admin_audited(client, banner, security_admin):
    user = banner.users["office"]
    for n in range(5):
        attempt(client, user.username, f"wrong-{n}")
    changelist = reverse("admin:admission_loginlockout_changelist")
    client.force_login(security_admin)
    page = client.get(changelist)
    body = page.content.decode()
    assert page.status_code == 200 and user.username in body and "锁定中" in body and "登录失败与锁定" in body
    attempts = list(LoginLockout.objects.values_list("pk", flat=True))
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": attempts, "post": "yes"}, REMOTE_ADDR="10.0.0.8"
    )
    assert response.status_code == 302 and not LoginLockout.objects.exists()
    unlock = AuditEvent.objects.get(action=AuditAction.UNLOCK)
    assert (unlock.actor, unlock.source_address) == (security_admin, "10.0.0.8")
    assert unlock.data["username"] == user.username and unlock.data["failures"] == 5
    client.logout()
    assert attempt(client, user.username, support.PASSWORD).status_code == 302 and logged_in(client)


def test_identity_audit_administrator_cannot_unlock(client, banner):
    auditor = create_administrator(username="auditadmin", password=support.PASSWORD, role=AdministratorRole.AUDIT)
    for n in range(5):
        attempt(client, banner.users["office"].username, f"wrong-{n}")
    client.force_login(auditor)
    changelist = reverse("admin:admission_loginlockout_changelist")
    assert client.get(changelist).status_code == 403
    attempts = list(LoginLockout.objects.values_list("pk", flat=True))
    client.post(changelist, {"action": "delete_selected", "_selected_action": attempts, "post": "yes"})
    assert (
        LoginLockout.objects.count() == len(attempts)
        and not AuditEvent.objects.filter(action=AuditAction.UNLOCK).exists()
    )


def test_identity_lockout_page_speaks_english_to_who_chose_it(client, banner):
    client.cookies["django_language"] = "en"
    for n in range(5):
        attempt(client, banner.users["office"].username, f"wrong-{n}")
    body = attempt(client, banner.users["office"].username, support.PASSWORD).content.decode()
    assert "Login temporarily locked" in body and LOCKED not in body


def test_identity_admin_shows_an_address_locked_by_guesses_at_several_accounts(client, banner, security_admin):
    for key in ("forestry", "emergency", "agriculture", "naji", "liuhe"):
        attempt(client, banner.users[key].username, "wrong-password", address="198.51.100.66")
    attempt(client, banner.users["yadong"].username, "wrong-password", address="198.51.100.67")
    client.force_login(security_admin)
    changelist = reverse("admin:admission_loginlockout_changelist")
    body = client.get(changelist).content.decode()
    assert body.count("锁定中（地址）") == 5 and "未锁定" in body  # no record reaches 5 alone; the address does
    locked = client.get(changelist, {"locked": "yes"}).content.decode()
    assert "198.51.100.66" in locked and "198.51.100.67" not in locked
