"""A regular admission (常态化职责事项) walked end to end in Debian's Chromium, logging in as every role in turn.

Department drafts and consults two townships → both agree → department submits with a PDF → office accepts →
office, justice and data bureaus review → office consolidates the five focus points → leadership approves →
office records the city's approval → the duty is on 那吉镇's list. A full-page screenshot of every step goes to
test-artifacts/e2e/NN-<step>.png (git-ignored).

Runs in the default `make test` (addopts does not deselect the e2e marker); `make e2e` runs only browser tests.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.utils import timezone

from admission.models import DutyRequest, RequestState
from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS

TIMEOUT_MS = 15_000
REQUEST_PAGE = re.compile(r"/requests/(\d+)/$")
TASK_PAGE = re.compile(r"/tasks/\d+/$")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")

DUTY = support.complete_values()  # the same wording the service tests use
CITY_DOCUMENT_NUMBER = "呼政字〔2026〕12号"


class Walk:
    """The browser session of one test: log in as a role, claim a task, submit, screenshot, check the case page."""

    def __init__(self, page, base_url: str, banner: support.Banner):
        self.page, self.base, self.banner = page, base_url, banner
        self.step = 0
        self.history_length = 0
        SHOTS.mkdir(parents=True, exist_ok=True)

    # --- plumbing ------------------------------------------------------------------------------
    def shot(self, name: str) -> None:
        self.step += 1
        path = SHOTS / f"{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")

    def visible(self, text: str, within: str = "main") -> None:
        """The text is visible on the page (inside `within`), or the assertion names what the page said."""
        locator = self.page.locator(within).get_by_text(text, exact=False).first
        try:
            locator.wait_for(state="visible", timeout=TIMEOUT_MS)
        except Exception:  # playwright's TimeoutError: re-raise as a readable assertion
            body = self.page.locator("main").inner_text()
            raise AssertionError(f"{text!r} not visible at {self.page.url}:\n{body[:3000]}") from None

    def submit_and_land_on_request(self, button, success: str = "") -> None:
        """Click a form's submit button; the app goes on to the next task (the case one click away, in the message)
        or to the case page, or re-renders the form with errors. Either way the walk continues on the case page."""
        started_at = self.page.url
        button.click()
        try:
            self.page.wait_for_url(
                lambda url: REQUEST_PAGE.search(url) or (TASK_PAGE.search(url) and url != started_at)
            )
        except Exception:
            errors = self.page.locator(".form-errors, .errorlist").all_inner_texts()
            raise AssertionError(f"form at {self.page.url} was not accepted: {errors}") from None
        if success:
            self.visible(success, within=".messages")
        if TASK_PAGE.search(self.page.url):
            self.visible("下一项任务", within=".messages")
            self.page.locator(".messages a", has_text="办理情况").click()
            self.page.wait_for_url(REQUEST_PAGE)

    def login(self, key: str) -> None:
        page = self.page
        page.context.clear_cookies()
        page.goto(f"{self.base}/accounts/login/")
        self.visible("登录乡镇职责准入系统")
        page.fill("#id_username", self.banner.users[key].username)
        page.fill("#id_password", support.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{self.base}/tasks/")  # home sends every member to 我的待办
        self.visible(self.banner.org(key).name, within="header")  # the header names the acting organization

    def claim(self, key: str, title: str) -> None:
        """Log in as `key`, open 本单位任务队列, claim the task titled `title` and land on its page."""
        self.login(key)
        page = self.page
        page.get_by_role("link", name="本单位任务队列").click()
        page.wait_for_url(f"{self.base}/tasks/queue/")
        row = page.locator("tbody tr", has_text=title).filter(has_text=DUTY["duty_name"])
        assert row.count() == 1, f"{key}'s queue should hold one {title!r} task:\n{page.locator('main').inner_text()}"
        row.get_by_role("button", name="领取并办理").click()
        page.wait_for_url(TASK_PAGE)
        self.visible("已领取，任务已移入待办。", within=".messages")
        self.visible(f"{title}：{DUTY['duty_name']}", within="h1")

    def submit_task(self, success: str) -> None:
        self.submit_and_land_on_request(self.page.get_by_role("button", name="提交", exact=True), success)
        self.history_grew()

    def history_grew(self) -> None:
        entries = self.page.locator("ul.timeline > li").count()
        assert entries > self.history_length, f"办理记录 should grow past {self.history_length}, has {entries}"
        self.history_length = entries

    def current_steps(self, *expected: tuple[str, str]) -> None:
        """The case page's 当前环节 lists exactly these (task title, organization) steps."""
        steps = [s.strip() for s in self.page.locator("ul.steps > li").all_inner_texts()]
        assert len(steps) == len(expected), f"当前环节 should be {expected}, is {steps}"
        for title, org in expected:
            assert any(s.startswith(f"{title} — {self.banner.org(org).name}") for s in steps), (
                f"{title} — {org} not among 当前环节 {steps}"
            )

    def state_is(self, state: RequestState) -> None:
        self.visible(str(state.label), within=".card")


@pytest.mark.e2e
def test_regular_admission_walked_through_the_browser_by_every_role(transactional_db, live_server, page, tmp_path):
    walk_regular_admission(live_server.url, page, tmp_path)


def walk_regular_admission(base_url: str, page, tmp_path: Path) -> None:
    started = time.monotonic()
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    letter = tmp_path / "书面申请.pdf"
    letter.write_bytes(support.PDF_BYTES)
    reply = tmp_path / "市政府批复.pdf"
    reply.write_bytes(support.PDF_BYTES)
    walk = Walk(page, base_url, banner)
    naji, liuhe = banner.org("naji"), banner.org("liuhe")

    # 1. The department drafts every element of Art. 4(1), ticks two townships and consults them in writing.
    walk.login("forestry")
    page.get_by_role("link", name="准入申请", exact=True).click()
    page.get_by_role("link", name="新建准入申请").click()
    page.wait_for_url(f"{base_url}/requests/new/")
    walk.visible("新建准入申请", within="h1")
    page.fill('[name="duty_name"]', DUTY["duty_name"])
    page.check(f'input[name="affair_class"][value="{DUTY["affair_class"]}"]')
    page.check(f'input[name="track"][value="{DUTY["track"]}"]')
    # A regular duty has no end date (the service refuses one): the field is present and stays empty.
    assert page.locator('input[name="end_date"]').input_value() == ""
    page.check(f'input[name="list_category"][value="{DUTY["list_category"]}"]')
    for field in (
        "work_objective",
        "powers_and_responsibilities",
        "legal_basis",
        "division_of_responsibilities",
        "work_process",
        "completion_time_limit",
        "operating_mechanism",
        "staffing",
        "funding_amount",
        "funding_source",
        "technical_support",
        "training",
    ):
        page.fill(f'[name="{field}"]', str(DUTY[field]))
    page.check(f'input[name="townships"][value="{naji.pk}"]')
    page.check(f'input[name="townships"][value="{liuhe.pk}"]')
    assert not page.locator(f'input[name="townships"][value="{banner.org("yadong").pk}"]').is_checked()
    walk.shot("department-draft-form")
    walk.submit_and_land_on_request(page.locator('button[name="consult"]'))
    walk.visible("已保存，并书面征求涉及乡镇的意见。", within=".messages")
    walk.visible(DUTY["duty_name"], within="h1")
    walk.visible("当前环节")
    walk.state_is(RequestState.CONSULTING)
    walk.visible(f"{naji.name}、{liuhe.name}")  # 涉及乡镇 in the summary
    walk.current_steps(("出具书面意见", "naji"), ("出具书面意见", "liuhe"))
    walk.history_grew()
    walk.shot("department-consults")
    request = DutyRequest.objects.get()
    assert request.state == RequestState.CONSULTING

    # 2. Each township claims its consultation and agrees in writing.
    for key, remaining in (("naji", [("出具书面意见", "liuhe")]), ("liuhe", [("提交书面申请", "forestry")])):
        walk.claim(key, "出具书面意见")
        walk.visible(DUTY["legal_basis"])  # the township reads what it is asked to accept
        page.get_by_label("同意承担").check()
        page.fill('[name="opinion"]', f"经{banner.org(key).name}党委会议研究，同意承担，按方案落实。")
        walk.submit_task("书面意见已送达申请部门。")
        walk.current_steps(*remaining)
        walk.shot(f"township-{key}-agrees")
    walk.state_is(RequestState.CONSULTED)
    walk.visible("协商意见（第四条第一项）")
    assert page.locator("table", has_text="第 1 轮书面征求意见").locator(".badge").all_inner_texts() == ["同意", "同意"]

    # 3. The department submits the written application with the stamped letter.
    walk.claim("forestry", "提交书面申请")
    page.set_input_files('input[name="application_letter"]', str(letter))
    walk.submit_task("书面申请已提交旗委编办。")
    walk.state_is(RequestState.SUBMITTED)
    walk.current_steps(("受理审查", "office"))
    walk.visible("书面申请.pdf")  # the attachment is listed on the case
    walk.shot("department-submits")

    # 4. The organization office accepts at intake; the joint review opens in parallel.
    walk.claim("office", "受理审查")
    page.get_by_label("材料齐全，受理并启动联席审核").check()
    page.fill('[name="note"]', "材料齐全，予以受理。")
    walk.submit_task("受理意见已办理。")
    walk.state_is(RequestState.UNDER_REVIEW)
    walk.current_steps(("编办审核（职责分工）", "office"), ("法制审核", "justice"), ("权责清单衔接审核", "data"))
    walk.shot("office-intake")

    # 5. Office, justice and data bureaus each give their review opinion.
    walk.claim("office", "编办审核（职责分工）")
    page.get_by_label("出具本单位审核意见").check()
    page.locator("#field-passes").get_by_label("通过", exact=True).check()
    page.fill('[name="reasoning"]', "乡镇负责组织巡查和信息报送，部门负责指导考核，职责分工清晰。")
    walk.submit_task("已办理。")
    walk.current_steps(("法制审核", "justice"), ("权责清单衔接审核", "data"))
    walk.shot("office-review")
    for key, title, opinion in (
        ("justice", "法制审核", "《森林防火条例》《草原防火条例》相关条款可作为依据，合法。"),
        ("data", "权责清单衔接审核", "与旗林草局权责清单第 37 项衔接，不涉及政务服务事项调整。"),
    ):
        walk.claim(key, title)
        page.get_by_label("通过", exact=True).check()
        page.fill('[name="reasoning"]', opinion)
        walk.submit_task("审核意见已提交。")
        walk.shot(f"{key}-review")
    walk.current_steps(("形成审核意见", "office"))
    walk.visible("联席会议审核（第四条第二项）")

    # 6. The office consolidates the review opinion on the five focus points and reports to the leadership.
    walk.claim("office", "形成审核意见")
    page.get_by_label("符合准入条件，报旗委、旗政府").check()
    for field, text in support.FINDINGS.items():
        page.fill(f'[name="{field}"]', text.replace("三镇", "两镇"))
    walk.submit_task("审核意见已形成。")
    walk.state_is(RequestState.AWAITING_APPROVAL)
    walk.current_steps(("旗委、旗政府审批", "leadership"))
    walk.visible("符合准入条件")
    walk.shot("office-consolidates")

    # 7. The banner party committee and government approve; the regular duty goes on to the city.
    walk.claim("leadership", "旗委、旗政府审批")
    page.get_by_label("同意", exact=True).check()
    page.fill('[name="reasons"]', "同意，报市政府批准。")
    walk.submit_task("审批决定已作出。")
    walk.state_is(RequestState.AWAITING_CITY)
    walk.current_steps(("登记市政府批复", "office"))
    walk.shot("leadership-approves")

    # 8. The office records the city's approval (outside this system): number, date, scan.
    walk.claim("office", "登记市政府批复")
    page.get_by_label("批准", exact=True).check()
    page.fill('[name="document_number"]', CITY_DOCUMENT_NUMBER)
    page.fill('[name="decision_date"]', timezone.localdate().isoformat())
    page.set_input_files('input[name="reply_scan"]', str(reply))
    walk.submit_task("市政府批复已登记。")
    walk.current_steps()
    walk.state_is(RequestState.ADMITTED)
    walk.visible(CITY_DOCUMENT_NUMBER)
    walk.visible("审批（第四条第三项）")
    walk.shot("office-records-city-approval")

    # 9. 那吉镇's duty list now holds the duty, with its resources and the approval it rests on.
    walk.login("naji")
    page.get_by_role("link", name="乡镇职责清单").click()
    page.wait_for_url(f"{base_url}/duties/")
    walk.visible(f"{naji.name}履行职责事项清单（经准入）", within="h1")
    row = page.locator("tbody tr", has_text=DUTY["duty_name"])
    assert row.count() == 1, page.locator("main").inner_text()
    row_text = row.inner_text()
    for expected in (banner.org("forestry").name, "常态化", CITY_DOCUMENT_NUMBER):
        assert expected in row_text, f"{expected!r} missing from the duty-list row: {row_text!r}"
    assert re.search(r"120,?000\.00 元", row_text), f"funding missing from the duty-list row: {row_text!r}"
    walk.shot("township-naji-duty-list")

    request.refresh_from_db()
    assert request.state == RequestState.ADMITTED
    print(f"walk took {time.monotonic() - started:.1f} s")
