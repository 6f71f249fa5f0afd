"""等保 身份鉴别 in Chromium on a 375 px phone screen: the password, then the TOTP code; enrolment by QR code for a
reviewer without a device; every page fits the screen without sideways scrolling."""

import time
from pathlib import Path

import pytest
from django_otp.oath import TOTP

from admission.services.identity import enrol_totp_device
from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
KEY = "3132333435363738393031323334353637383930"


def code(key: str, steps: int = 0) -> str:
    totp = TOTP(bytes.fromhex(key))
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width} px wide on a 375 px screen"


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    fits(page)
    page.fill("#id_username", username)
    page.fill("#id_password", support.PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.mark.django_db(transaction=True)
def test_identity_reviewer_logs_in_with_password_and_code_on_a_phone(page, live_server, settings):
    settings.ADMISSION_SECOND_FACTOR_REQUIRED = True
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    enrol_totp_device(user=banner.users["office"], key=KEY, token=code(KEY))
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 375, "height": 812})

    log_in(page, base, banner.users["office"].username)
    page.wait_for_url(f"{base}/accounts/second-factor/verify/**")
    assert page.get_by_role("heading", name="输入动态验证码").is_visible()
    assert page.get_by_role("navigation").count() == 0  # no menu before the second factor
    fits(page)
    page.screenshot(path=str(SHOTS / "30-identity-verify-375.png"), full_page=True)
    page.fill("#id_token", "000000" if code(KEY, 1) != "000000" else "111111")
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_load_state()
    assert page.get_by_text("验证码不正确或已使用过").is_visible()
    page.wait_for_timeout(1100)  # django-otp's throttle after one wrong code: 1 s
    page.fill("#id_token", code(KEY, 1))
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_url(f"{base}/tasks/")
    page.locator("header details.menu summary").click()  # on a phone the header folds into its menu (issue 13)
    assert page.locator("header").get_by_text(banner.org("office").name).is_visible()
    page.screenshot(path=str(SHOTS / "31-identity-signed-in-375.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_identity_head_without_a_device_enrols_by_qr_code_on_a_phone(page, live_server, settings):
    settings.ADMISSION_SECOND_FACTOR_REQUIRED = True
    settings.DEBUG = True  # the enrolment page then also shows the current code, as in the demo
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 375, "height": 812})

    log_in(page, base, banner.users["leadership"].username)
    page.wait_for_url(f"{base}/accounts/second-factor/enrol/**")
    qr = page.locator(".qr svg")
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 120 and box["x"] + box["width"] <= 375
    assert qr.get_attribute("viewBox")  # the code scales with its box: nothing of it is cut off
    fits(page)
    page.screenshot(path=str(SHOTS / "32-identity-enrol-375.png"), full_page=True)
    shown = page.locator(".demo-code").inner_text()
    page.fill("#id_token", shown)
    page.get_by_role("button", name="确认启用").click()
    page.wait_for_url(f"{base}/tasks/")
    assert page.get_by_text("双因素认证已启用").is_visible()
