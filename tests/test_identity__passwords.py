"""等保2.0 level 3, 身份鉴别 (identification and authentication): password complexity, history, periodic change, and the
page to change it. Passwords are checked by AUTH_PASSWORD_VALIDATORS wherever one is set: the change page here, the
admin's forms, manage.py changepassword."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from admission.models import AuditAction, AuditEvent, PasswordHistory
from admission.services.setup import add_member
from tests import support

GOOD = "Naji-Town-2026"


def refusals(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


@pytest.fixture
def clerk(banner):
    return banner.users["naji"]


def set_password(user, password: str) -> None:
    user.set_password(password)
    user.save()


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("Ab-123456", "密码太短，至少需要 10 个字符。"),
        ("abcdefgh-xy", "密码须包含大写字母、小写字母、数字和其他符号中的至少 3 类。"),
        ("ABCDEFGH1234", "密码须包含大写字母、小写字母、数字和其他符号中的至少 3 类。"),
        ("Password123", "这个密码太常见了。"),
        ("1234567890", "密码只包含数字。"),
    ],
)
def test_identity_password_needs_ten_characters_of_three_classes_and_not_common(db, password, refusal):
    assert refusal in refusals(password)


@pytest.mark.parametrize("password", ["Abcdefgh12", "abcdefgh-12", "ABCD-EFGH-1", "Zhun-ru!ok"])
def test_identity_password_of_ten_characters_and_three_classes_is_accepted(db, password):
    assert refusals(password) == []


def test_identity_password_like_the_username_is_refused(banner):
    user = add_member(
        organization=banner.org("naji"), username="zhangwei", password=support.PASSWORD, role="clerk", full_name="张伟"
    )
    assert any("太相似" in message for message in refusals("Zhangwei-2026", user))


def test_identity_password_history_refuses_the_last_five_and_keeps_only_hashes(clerk):
    passwords = [f"Naji-Town-{n}x" for n in range(1, 7)]
    for password in passwords:
        set_password(clerk, password)
    kept = list(PasswordHistory.objects.filter(user=clerk).values_list("password", flat=True))
    assert len(kept) == 5 and kept[0] == clerk.password
    assert not any(p in h for p in passwords for h in kept)  # hashes, never the passwords
    reused = "新密码不能与最近 5 次使用过的密码相同。"
    for password in passwords[1:]:  # the current one and the four before it
        assert reused in refusals(password, clerk), password
    assert reused not in refusals(passwords[0], clerk)  # six passwords ago: allowed again
    assert refusals("Naji-Town-99x", clerk) == []


def test_identity_admin_cannot_set_a_weak_password(clerk):
    """The issue's finding: an administrator could set `1`."""
    form = AdminPasswordChangeForm(clerk, {"password1": "1", "password2": "1"})
    assert not form.is_valid()
    assert "密码太短，至少需要 10 个字符。" in form.errors["password2"]
    clerk.refresh_from_db()
    assert clerk.check_password(support.PASSWORD)


def test_identity_password_change_page_is_in_the_header_and_refuses_weak_passwords_in_chinese(client, clerk):
    client.force_login(clerk)
    url = reverse("password_change")
    assert f'href="{url}"' in client.get(reverse("workflows:inbox")).content.decode()
    page = client.get(url)
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    response = client.post(url, {"old_password": support.PASSWORD, "new_password1": "weak", "new_password2": "weak"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "密码太短，至少需要 10 个字符。" in body and "密码须包含大写字母" in body
    response = client.post(url, {"old_password": "wrong-one", "new_password1": GOOD, "new_password2": GOOD})
    assert "你的旧密码不正确" in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password(support.PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE).exists()


def test_identity_password_change_is_audited_and_the_old_password_cannot_come_back(client, clerk):
    client.force_login(clerk)
    url = reverse("password_change")
    response = client.post(
        url,
        {"old_password": support.PASSWORD, "new_password1": GOOD, "new_password2": GOOD},
        REMOTE_ADDR="10.20.30.40",
        HTTP_USER_AGENT="Firefox/140",
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(GOOD)
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGE)
    assert (event.actor, event.source_address, event.user_agent) == (clerk, "10.20.30.40", "Firefox/140")
    assert event.organization == clerk.membership.organization
    assert client.get(reverse("workflows:inbox")).status_code == 200  # still signed in after the change

    back = client.post(
        url, {"old_password": GOOD, "new_password1": support.PASSWORD, "new_password2": support.PASSWORD}
    )
    assert "新密码不能与最近 5 次使用过的密码相同。" in back.content.decode()


def login(client, user, password=support.PASSWORD, **extra):
    return client.post(reverse("login"), {"username": user.username, "password": password}, **extra)


def age_password(user, days: int) -> None:
    PasswordHistory.objects.filter(user=user).update(created_at=timezone.now() - timedelta(days=days))


def test_identity_password_older_than_90_days_must_be_changed_after_login(client, clerk):
    age_password(clerk, 91)
    assert login(client, clerk).status_code == 302
    inbox = reverse("workflows:inbox")
    response = client.get(inbox)
    assert response.status_code == 302 and response.url == reverse("password_change")
    page = client.get(reverse("password_change"))
    body = page.content.decode()
    assert "您的密码已超过 90 天未修改，请先修改密码再继续使用。" in body
    assert "须先设置新密码才能继续使用本系统" in body
    assert reverse("admission:request_list") not in body  # the menu waits too
    assert client.get(reverse("admission:duty_list")).status_code == 302  # every page waits
    client.post(
        reverse("password_change"), {"old_password": support.PASSWORD, "new_password1": GOOD, "new_password2": GOOD}
    )
    assert client.get(inbox).status_code == 200
    client.logout()
    assert login(client, clerk, GOOD).status_code == 302
    assert client.get(inbox).status_code == 200  # the new password is young


def test_identity_password_younger_than_90_days_is_not_asked_for(client, clerk):
    age_password(clerk, 89)
    login(client, clerk)
    assert client.get(reverse("workflows:inbox")).status_code == 200


def test_identity_password_age_limit_is_configurable(client, clerk, settings):
    age_password(clerk, 31)
    settings.ADMISSION_PASSWORD_MAX_AGE_DAYS = 30
    login(client, clerk)
    assert client.get(reverse("workflows:inbox")).url == reverse("password_change")
    client.logout()
    settings.ADMISSION_PASSWORD_MAX_AGE_DAYS = 0  # never
    login(client, clerk)
    assert client.get(reverse("workflows:inbox")).status_code == 200


def test_identity_password_of_an_account_from_before_the_rules_ages_from_when_it_joined(client, banner):
    """Accounts without a history (created before this release; the migration records them as of date_joined)."""
    user = banner.users["liuhe"]
    PasswordHistory.objects.filter(user=user).delete()
    get_user_model().objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=200))
    login(client, user)
    assert client.get(reverse("workflows:inbox")).url == reverse("password_change")
