"""等保2.0 level 3, 身份鉴别: 两种或两种以上组合的鉴别技术 — heads, reviewers and administrators give a TOTP code after
the password (django-otp), enrolled by QR code; clerks may; the admin is covered too; enrolment, removal and resets
are audited. Most tests elsewhere turn the requirement off (config/settings_test.py); here it is on."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import checks
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from admission.identity import DEMO_TOTP_KEY
from admission.models import AdministratorRole, AuditAction, AuditEvent, AuditOutcome, SecondFactorDevice
from admission.services.administrators import create_administrator
from admission.services.identity import enrol_totp_device
from tests import support
from web.identity import ENROL_KEY

KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key


@pytest.fixture(autouse=True)
def required(settings):
    settings.ADMISSION_SECOND_FACTOR_REQUIRED = True


def code(key: str = KEY, steps: int = 0) -> str:
    totp = TOTP(bytes.fromhex(key))
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def device_for(user, key: str = KEY) -> TOTPDevice:
    return enrol_totp_device(user=user, key=key, token=code(key))


def login(client, user, password=support.PASSWORD, next_url=""):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.username, "password": password, "next": next_url})


def verify_url(next_url: str) -> str:
    return f"{reverse('second_factor_verify')}?next={next_url.replace('/', '%2F')}"


@pytest.mark.parametrize("key", ["office", "leadership"])  # a reviewer, a head
def test_identity_deciding_member_without_a_device_must_enrol_before_anything_else(client, banner, key):
    user, inbox = banner.users[key], reverse("workflows:inbox")
    login(client, user)
    response = client.get(inbox)
    assert response.status_code == 302 and response.url == verify_url(inbox)
    response = client.get(response.url)
    assert response.status_code == 302 and response.url.startswith(reverse("second_factor_enrol"))
    page = client.get(response.url)
    body = page.content.decode()
    assert "负责人、审核人和管理员须使用双因素认证" in body
    assert re.search(r'<svg [^>]*class="segno"', body)  # the QR code, inline: no script, no external image
    key_hex = client.session[ENROL_KEY]
    assert TOTPDevice.objects.filter(user=user).count() == 0

    wrong = client.post(response.url, {"token": "000000" if code(key_hex) != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode() and not TOTPDevice.objects.filter(user=user).exists()
    assert client.session[ENROL_KEY] == key_hex  # the same QR code stays for another try
    done = client.post(response.url, {"token": code(key_hex)})
    assert done.status_code == 302 and done.url == inbox
    assert client.get(inbox).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert device.key == key_hex and ENROL_KEY not in client.session
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_CHANGE)
    assert event.actor == user and "启用双因素认证" in event.note


def test_identity_member_with_a_device_gives_its_code_after_the_password(client, banner, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a wrong code blocks the device for 60 s, 120 s, … (default 1 s, 2 s, …)
    user, inbox = banner.users["office"], reverse("workflows:inbox")
    device_for(user)
    assert login(client, user, next_url=inbox).url == inbox
    response = client.get(inbox)
    assert response.url == verify_url(inbox)
    page = client.get(response.url).content.decode()
    assert "输入动态验证码" in page and "演示环境" not in page
    assert reverse("workflows:queue") not in page  # no menu before the second factor

    wrong = client.post(response.url, {"token": "12345x", "next": inbox})
    assert "动态验证码为 6 位数字。" in wrong.content.decode()
    wrong = client.post(response.url, {"token": code(steps=-5), "next": inbox})
    assert "验证码不正确或已使用过" in wrong.content.decode()
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor=user)
    assert failed.count() == 2 and failed.first().outcome == AuditOutcome.FAILURE
    assert client.get(inbox).status_code == 302  # still not in

    # django-otp slows down guessing: after a failure the device refuses codes for a while, even the right one.
    throttled = client.post(response.url, {"token": code(), "next": inbox})
    assert "验证码错误次数过多，请" in throttled.content.decode()
    TOTPDevice.objects.filter(pk=user.totpdevice_set.get().pk).update(throttling_failure_timestamp=None)
    done = client.post(response.url, {"token": code(steps=1), "next": inbox})
    assert done.status_code == 302 and done.url == inbox
    assert client.get(inbox).status_code == 200


def test_identity_a_code_is_accepted_once(client, banner):
    user = banner.users["justice"]
    device = device_for(user)
    login(client, user)
    # The very code enrolment used (its time step, not the clock's: on a busy machine the step may have moved on).
    used = TOTP(bytes.fromhex(KEY))
    used.time = device.last_t * 30
    again = client.post(reverse("second_factor_verify"), {"token": f"{used.token():06d}"})
    assert "验证码不正确或已使用过" in again.content.decode()


def test_identity_clerk_signs_in_with_the_password_alone_and_may_enrol_from_the_menu(client, banner):
    clerk, inbox = banner.users["forestry"], reverse("workflows:inbox")
    login(client, clerk)
    page = client.get(inbox)
    assert page.status_code == 200 and f'href="{reverse("second_factor")}"' in page.content.decode()
    status = client.get(reverse("second_factor")).content.decode()
    assert "未启用" in status and "启用双因素认证" in status
    enrol = client.get(reverse("second_factor_enrol"))
    assert "须使用双因素认证" not in enrol.content.decode()
    client.post(reverse("second_factor_enrol"), {"token": code(client.session[ENROL_KEY])})
    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()

    client.logout()
    login(client, clerk)
    assert client.get(inbox).url == verify_url(inbox)  # optional, but once on it is asked for

    key = TOTPDevice.objects.get(user=clerk).key
    client.post(reverse("second_factor_verify"), {"token": code(key, steps=1)})
    assert "停用双因素认证" in client.get(reverse("second_factor")).content.decode()
    response = client.post(reverse("second_factor_remove"))
    assert response.status_code == 302 and not TOTPDevice.objects.filter(user=clerk).exists()
    removal = AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_CHANGE).last()
    assert removal.actor == clerk and "停用双因素认证" in removal.note
    assert client.get(inbox).status_code == 200


def test_identity_deciding_member_cannot_turn_the_second_factor_off(client, banner):
    user = banner.users["leadership"]
    device_for(user)
    login(client, user)
    client.post(reverse("second_factor_verify"), {"token": code(steps=1)})
    page = client.get(reverse("second_factor")).content.decode()
    assert "已启用" in page and reverse("second_factor_remove") not in page
    assert client.post(reverse("second_factor_remove")).status_code == 403
    assert TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=user).exists()


def test_identity_replacing_a_device_needs_the_current_one_first(client, banner):
    user = banner.users["office"]
    device_for(user)
    login(client, user)
    enrol = reverse("second_factor_enrol")
    assert client.get(enrol).url.startswith(reverse("second_factor_verify"))  # no new device on the password alone
    assert client.post(enrol, {"token": "123456"}).url.startswith(reverse("second_factor_verify"))
    assert TOTPDevice.objects.get(user=user).key == KEY


def test_identity_admin_requires_the_second_factor_too(client, banner):
    administrator = create_administrator(username="sysadmin", password=support.PASSWORD, role=AdministratorRole.SYSTEM)
    admin_index = reverse("admin:index")
    response = client.post(
        reverse("admin:login"), {"username": "sysadmin", "password": support.PASSWORD, "next": admin_index}
    )
    assert response.status_code == 302 and SESSION_KEY in client.session
    response = client.get(admin_index)
    assert response.url == verify_url(admin_index)
    assert client.get(response.url).url.startswith(reverse("second_factor_enrol"))  # no device yet
    assert client.get(reverse("admin:admission_organization_changelist")).status_code == 302
    assert "须使用双因素认证" in client.get(reverse("second_factor_enrol")).content.decode()
    client.post(reverse("second_factor_enrol"), {"token": code(client.session[ENROL_KEY])})
    assert client.get(admin_index).status_code == 200
    assert TOTPDevice.objects.filter(user=administrator).exists()


def test_identity_security_administrator_resets_a_lost_device_audited_and_the_user_enrols_again(client, banner):
    user = banner.users["office"]
    device_for(user)
    security = create_administrator(username="secadmin", password=support.PASSWORD, role=AdministratorRole.SECURITY)
    device_for(security, key=KEY[::-1])
    client.force_login(security)
    client.post(reverse("second_factor_verify"), {"token": code(KEY[::-1], steps=1)})
    changelist = reverse("admin:admission_secondfactordevice_changelist")
    body = client.get(changelist).content.decode()
    assert "双因素认证设备" in body and user.username in body and KEY not in body  # the key is never shown
    target = SecondFactorDevice.objects.get(user=user)
    response = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 302 and not TOTPDevice.objects.filter(user=user).exists()
    reset = AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_CHANGE, data__deleted=True).get()
    assert (reset.actor, reset.source_address) == (security, "10.0.0.9") and user.username in reset.note

    client.logout()
    login(client, user)
    assert client.get(reverse("second_factor_verify")).url.startswith(reverse("second_factor_enrol"))


def test_identity_a_device_reset_while_signed_in_asks_again_at_the_next_request(client, banner):
    user, inbox = banner.users["office"], reverse("workflows:inbox")
    device_for(user)
    login(client, user)
    client.post(reverse("second_factor_verify"), {"token": code(steps=1)})
    assert client.get(inbox).status_code == 200
    TOTPDevice.objects.filter(user=user).delete()
    assert client.get(inbox).url == verify_url(inbox)


def test_identity_requirement_off_still_asks_whoever_has_a_device(client, banner, settings):
    settings.ADMISSION_SECOND_FACTOR_REQUIRED = False
    reviewer, inbox = banner.users["office"], reverse("workflows:inbox")
    login(client, reviewer)
    assert client.get(inbox).status_code == 200  # the tests' default elsewhere: no device, not required
    client.logout()
    device_for(banner.users["forestry"])
    login(client, banner.users["forestry"])
    assert client.get(inbox).url == verify_url(inbox)


def test_identity_pending_second_factor_leaves_logout_and_the_language_switch_open(client, banner):
    user = banner.users["office"]
    device_for(user)
    login(client, user)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.cookies["django_language"].value == "en"
    client.post(reverse("logout"))
    assert SESSION_KEY not in client.session


def test_identity_next_after_the_second_factor_stays_on_this_site(client, banner):
    user = banner.users["office"]
    device_for(user)
    login(client, user)
    response = client.post(
        reverse("second_factor_verify") + "?next=https://evil.example/",
        {"token": code(steps=1), "next": "https://evil.example/"},
    )
    assert response.url == reverse("admission:home")


def test_identity_demo_code_is_shown_only_in_debug_mode_and_only_for_the_published_key(client, banner, settings):
    demo_user, other = banner.users["office"], banner.users["justice"]
    device_for(demo_user, key=DEMO_TOTP_KEY)
    device_for(other)
    settings.DEBUG = True
    login(client, demo_user)
    page = client.get(reverse("second_factor_verify")).content.decode()
    shown = re.search(r'class="demo-code">(\d{6})<', page).group(1)
    assert client.post(reverse("second_factor_verify"), {"token": shown}).status_code == 302  # and it works
    client.logout()
    login(client, other)
    assert "demo-code" not in client.get(reverse("second_factor_verify")).content.decode()
    client.logout()
    settings.DEBUG = False
    login(client, banner.users["data"])
    device_for(banner.users["data"], key=DEMO_TOTP_KEY)
    assert "demo-code" not in client.get(reverse("second_factor_verify")).content.decode()


def test_identity_deploy_check_warns_of_the_demo_key_outside_debug(banner, settings):
    settings.DEBUG = False
    device_for(banner.users["office"], key=DEMO_TOTP_KEY)
    warnings = [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "admission.W012"]
    assert len(warnings) == 1 and banner.users["office"].username in warnings[0].msg
    TOTPDevice.objects.all().delete()
    assert not [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "admission.W012"]


def test_identity_pages_hold_no_inline_script_handler_or_style(client, banner):
    """The Content-Security-Policy allows no inline script or style: the QR code is inline SVG markup, not a script."""
    from tests.test_headers import INLINE_HANDLER, INLINE_SCRIPT, STYLE_ATTRIBUTE

    user = banner.users["office"]
    login(client, user)
    pages = [client.get(reverse("second_factor_enrol"))]
    client.post(reverse("second_factor_enrol"), {"token": code(client.session[ENROL_KEY])})
    pages += [client.get(reverse(name)) for name in ("second_factor", "password_change")]
    client.logout()
    login(client, user)
    pages += [client.get(reverse("second_factor_verify"))]
    for n in range(6):
        pages.append(client.post(reverse("login"), {"username": "nobody", "password": f"wrong-{n}"}))
    assert [p.status_code for p in pages[:4]] == [200, 200, 200, 200] and pages[-1].status_code == 429
    for page in pages:
        body = page.content.decode()
        assert not INLINE_SCRIPT.search(body) and not INLINE_HANDLER.search(body) and not STYLE_ATTRIBUTE.search(body)
        assert "script-src 'self'" in page["Content-Security-Policy"]
