"""Issue 13 in Chromium: a township clerk is notified of a new consultation (part 3); 转办, 退回, 催办, 抄送 and comments
end to end (part 5); the map of the procedure on the case page at desktop width and at 375 px (part 4).
Screenshots go to test-artifacts/e2e/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from admission.models import (
    CaseCopy,
    CaseReturn,
    NoticeKind,
    Notification,
    RequestState,
    Role,
    TaskDeadline,
)
from admission.services.setup import add_member
from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS
from workflows.driver import CaseDriver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
PHONE = {"width": 375, "height": 812}


class Browser:
    def __init__(self, page, base: str, banner):
        self.page, self.base, self.banner = page, base, banner

    def login(self, user) -> None:
        page = self.page
        page.context.clear_cookies()
        page.goto(f"{self.base}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", support.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{self.base}/tasks/")

    def case(self, request) -> None:
        self.page.goto(f"{self.base}/requests/{request.pk}/")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def message(self, text: str) -> None:
        messages = self.page.locator(".messages")
        shown = messages.inner_text() if messages.count() else ""
        assert text in shown, self.page.locator("main").inner_text()


@pytest.mark.django_db(transaction=True)
def test_township_clerk_is_notified_of_a_new_consultation(page, live_server):
    """Art. 4(1): the department consults; the township's clerk sees the badge, the notice, and reaches the task."""
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    request = support.draft(banner)
    CaseDriver(request).consult(banner.users["forestry"])  # commits: the announcement runs in-process after commit
    b = Browser(page, live_server.url, banner)
    b.login(banner.users["naji"])
    badge = page.locator("header nav .count")
    assert badge.inner_text() == "2"  # the task and the consultation letter
    page.get_by_role("link", name="提醒").click()
    notice = page.get_by_role("link", name=f"新任务：“{request.duty_name}”待你单位办理“出具书面意见”", exact=False)
    assert notice.count() == 1, page.locator("main").inner_text()
    b.shot("30-township-notified")
    notice.click()
    page.wait_for_url(f"{live_server.url}/tasks/*/")
    assert "出具书面意见" in page.locator("h1").inner_text()
    assert page.locator("header nav .count").count() == 0  # read once the list was opened


@pytest.mark.django_db(transaction=True)
def test_reassign_return_urge_copy_and_comments_end_to_end(page, live_server):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    head = add_member(
        organization=banner.org("office"), username="office_head", password=support.PASSWORD, role=Role.HEAD
    )
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    b = Browser(page, live_server.url, banner)

    # 转办: the office's head gives the consolidation to reviewer office2.
    b.login(head)
    b.case(request)
    page.locator("#habits li", has_text="形成审核意见").get_by_role("link", name="转办").click()
    page.select_option("#id_assignee", label="office2（审核人）")
    page.fill("#id_reason", "由 office2 负责汇总")
    page.get_by_role("button", name="转办").click()
    b.message("已转办。")
    assert "office2" in page.locator("ul.steps").inner_text()

    # 退回: office2, holding the consolidation, sends the case back to the legality review with reasons.
    b.login(banner.users["office2"])
    assert page.locator("header nav .count").count() == 1
    assert Notification.objects.filter(user=banner.users["office2"], kind=NoticeKind.REASSIGNED).exists()
    b.case(request)
    page.locator("#habits li", has_text="形成审核意见").get_by_role("link", name="退回").click()
    page.fill("#id_reasons", "   ")  # blank reasons and no step: both refused on the same page
    page.get_by_role("button", name="退回").click()
    assert "请选择退回的审核环节。" in page.locator("main").inner_text()
    assert "请写明退回理由。" in page.locator("main").inner_text()
    page.check('input[name="nodes"][value="legality_review"]')
    page.set_viewport_size(PHONE)
    b.shot("36-return-form-375")
    form_width = page.locator("main form").evaluate("e => e.scrollWidth - e.clientWidth")
    assert form_width <= 0  # the form fits a phone
    page.set_viewport_size({"width": 1280, "height": 900})
    page.fill("#id_reasons", "法定依据引用的条款已修订，请重新审核。")
    page.get_by_role("button", name="退回").click()
    b.message("已退回")
    assert "法制审核" in page.locator("ul.steps").inner_text()
    assert CaseReturn.objects.filter(request=request).count() == 1
    b.shot("31-returned-to-legality-review")

    # 催办: the legality review runs late; the office urges the justice bureau.
    task = support.open_task(request, "legality_review")
    TaskDeadline.objects.filter(task=task).update(due_date=timezone.localdate() - timedelta(days=2))
    b.case(request)
    page.locator("#habits li", has_text="法制审核").get_by_role("link", name="催办").click()
    page.fill("#id_note", "请今日办结。")
    page.get_by_role("button", name="催办").click()
    b.message("已催办。")

    # 抄送: the office sends the case to the agriculture bureau for information.
    page.get_by_role("link", name="抄送", exact=True).click()
    page.get_by_label("旗农牧局").check()
    page.get_by_role("button", name="抄送").click()
    b.message("已抄送。")
    assert CaseCopy.objects.filter(request=request, organization=banner.org("agriculture")).exists()

    # The justice bureau was told of the return and of the urging, and gives its new opinion.
    b.login(banner.users["justice"])
    page.get_by_role("link", name="提醒").click()
    body = page.locator("main").inner_text()
    assert "退回：" in body and "催办" in body and "请今日办结。" in body
    CaseDriver(request).give_bureau_opinion(
        "legality_review", banner.users["justice"], passes=True, reasoning="已核实。"
    )

    # Comments: a party writes one; it shows to the parties, not to the body the case was copied to.
    b.login(banner.users["naji"])
    b.case(request)
    page.fill("#id_text", "  ")
    page.get_by_role("button", name="发表").click()  # blank: refused, on the comment form's page
    assert "请填写意见内容。" in page.locator("main").inner_text()
    page.fill("#id_text", "我镇已明确 2 名专职人员。")
    page.get_by_role("button", name="发表").click()
    b.message("内部意见已发表。")
    assert "我镇已明确 2 名专职人员。" in page.locator("#comments + ul").inner_text()
    b.login(banner.users["agriculture"])
    assert Notification.objects.filter(user=banner.users["agriculture"], kind=NoticeKind.COPIED).exists()
    b.case(request)
    assert request.duty_name in page.locator("h1").inner_text()
    assert page.locator("#comments").count() == 0 and page.locator("#procedure-map").count() == 0
    assert "我镇已明确" not in page.locator("main").inner_text()
    request.refresh_from_db()
    assert request.state == RequestState.UNDER_REVIEW


@pytest.mark.django_db(transaction=True)
def test_procedure_map_on_the_case_page_at_desktop_and_375px(page, live_server):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request, passes=("office", "justice", "data"))
    b = Browser(page, live_server.url, banner)
    b.login(banner.users["office"])
    b.case(request)
    svg = page.locator("#procedure-map svg")
    assert svg.is_visible()
    assert page.locator("#procedure-map g.step.done").count() >= 6
    assert page.locator("#procedure-map g.step.current").count() == 1
    assert page.locator("#procedure-map g.step.skipped").count() == 3  # no revision, supplement or advice
    page.locator("#procedure-map").screenshot(path=str(SHOTS / "32-procedure-map-desktop.png"))
    b.shot("33-case-page-desktop")
    page.set_viewport_size(PHONE)
    b.case(request)
    box = svg.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    # the map fits its card: nothing of it is cut off or scrolls sideways at 375 px
    overflow = page.locator("#procedure-map .procedure-map-wrap").evaluate("e => e.scrollWidth - e.clientWidth")
    assert overflow <= 0
    b.shot("34-case-page-375")
    page.locator("#procedure-map").screenshot(path=str(SHOTS / "35-procedure-map-375.png"))
