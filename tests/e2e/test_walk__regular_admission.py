"""A regular admission walked through the UI in Debian's Chromium, as each role, with a screenshot per step."""

import os
from pathlib import Path

import pytest

from admission.models import DutyRequest, RequestState
from tests import support

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_regular_admission_through_the_ui_as_every_role(live_server, browser_page, tmp_path):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    page, base = browser_page, live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    letter = tmp_path / "申请.pdf"
    letter.write_bytes(support.PDF_BYTES)
    step = iter(range(1, 100))

    def shot(name):
        path = SHOTS / f"{next(step):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(path)

    def login(key):
        page.context.clear_cookies()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", banner.users[key].username)
        page.fill("#id_password", support.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/tasks/")

    def claim_and_open(key):
        login(key)
        page.goto(f"{base}/tasks/queue/")
        page.get_by_role("button", name="领取并办理").first.click()
        page.wait_for_url(f"{base}/tasks/*/")

    def submit_task(key, name):
        shot(f"{name}-{key}")
        page.get_by_role("button", name="提交").click()
        page.wait_for_url(f"{base}/requests/*/")
        assert page.locator(".messages .success").count() == 1

    # The department drafts every element and consults two townships.
    login("forestry")
    page.goto(f"{base}/requests/new/")
    for field, value in support.complete_values().items():
        if field not in ("affair_class", "track", "end_date", "list_category"):  # radios keep their defaults
            page.fill(f'[name="{field}"]', str(value))
    page.check(f'input[name="townships"][value="{banner.org("naji").pk}"]')
    page.check(f'input[name="townships"][value="{banner.org("liuhe").pk}"]')
    shot("draft-forestry")
    page.get_by_role("button", name="保存并书面征求乡镇意见").click()
    page.wait_for_url(f"{base}/requests/*/")
    assert "出具书面意见" in page.content()
    request = DutyRequest.objects.get()

    for township in ("naji", "liuhe"):
        claim_and_open(township)
        page.check('input[name="agrees"][value="1"]')
        page.fill('[name="opinion"]', "经镇党委会议研究，同意承担。")
        submit_task(township, "consult")

    claim_and_open("forestry")
    page.set_input_files('input[name="application_letter"]', str(letter))
    submit_task("forestry", "submit")

    claim_and_open("office")
    page.check('input[name="decision"][value="accept"]')
    submit_task("office", "intake")

    claim_and_open("office")
    page.check('input[name="decision"][value="opinion"]')
    page.check('input[name="passes"][value="1"]')
    page.fill('[name="reasoning"]', "职责分工清晰，同意。")
    submit_task("office", "lead-review")
    for key in ("justice", "data"):
        claim_and_open(key)
        page.check('input[name="passes"][value="1"]')
        page.fill('[name="reasoning"]', "审核通过。")
        submit_task(key, "review")

    claim_and_open("office")
    page.check('input[name="passes"][value="1"]')
    for field, text in support.FINDINGS.items():
        page.fill(f'[name="{field}"]', text)
    submit_task("office", "consolidate")

    claim_and_open("leadership")
    page.check('input[name="approves"][value="1"]')
    submit_task("leadership", "banner-examination")

    claim_and_open("office")
    page.check('input[name="approves"][value="1"]')
    page.fill('[name="document_number"]', "呼政字〔2026〕12号")
    page.fill('[name="decision_date"]', support.timezone.localdate().isoformat())
    page.set_input_files('input[name="reply_scan"]', str(letter))
    submit_task("office", "city-decision")
    assert "已准入" in page.content()
    shot("admitted-office")

    login("naji")
    page.goto(f"{base}/duties/")
    assert page.get_by_text(request.duty_name).count() >= 1
    shot("duty-list-naji")
    request.refresh_from_db()
    assert request.state == RequestState.ADMITTED
