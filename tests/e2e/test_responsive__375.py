"""Every page works at 375 px (standards; issue 13 part 1): a phone shows the queue, a task, the case, the duty list
and /verify/ without sideways scrolling of the page, the header folds into a menu, and every action is reachable."""

from datetime import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task

from admission.models import AuditAction, Consultation, OfficialDocument, TaskDeadline, TownshipDuty
from admission.services.audit import record_event
from admission.services.deadlines import set_deadline
from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
PHONE = {"width": 375, "height": 812}


def width_of(page, name: str) -> int:
    page.screenshot(path=str(SHOTS / f"40-375-{name}.png"), full_page=True)
    return page.evaluate("document.documentElement.scrollWidth")


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", support.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/tasks/**")


@pytest.mark.django_db(transaction=True)
def test_every_page_fits_a_375_px_phone_and_every_action_is_reachable(page, live_server):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    support.admitted(banner)
    reviewing = support.to_under_review(banner, duty_name="森林草原防灭火网格化巡查（第二批）")
    # December: the review arrived on 28 December 2026, so its limit runs into 2027, whose schedule is not entered.
    december = support.open_task(reviewing, "lead_review")
    Task.objects.filter(pk=december.pk).update(created=timezone.make_aware(datetime(2026, 12, 28, 9, 30)))
    december.refresh_from_db()
    TaskDeadline.objects.filter(task=december).delete()  # set_deadline gives a new task its first deadline
    set_deadline(task=december, jurisdiction_id=banner.jurisdiction.pk)
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)

    log_in(page, base, banner.users["office"].username)
    widths = {}
    menu = page.locator("header details.menu")
    nav = page.locator("header nav")
    assert not nav.is_visible(), "the header's links are folded into the menu on a phone"
    menu.locator("summary").click()
    nav.get_by_role("link", name="本单位任务队列").click()
    page.wait_for_url(f"{base}/tasks/queue/")
    widths["queue"] = width_of(page, "queue")
    card = page.locator("tbody tr", has_text=reviewing.duty_name)
    # 10 working days (Art. 3): 29–31 December; 1 January is 元旦; 4–8 and 11–12 January.
    assert "到期 2027-01-12 暂估" in card.inner_text()  # a date, not an instruction
    assert "工作日历调整" not in page.content()
    row = page.locator("tbody tr", has_text=reviewing.duty_name)
    row.get_by_role("button", name="领取并办理").click()
    page.wait_for_url(f"{base}/tasks/*/")
    widths["task"] = width_of(page, "task")
    submit = page.get_by_role("button", name="提交", exact=True)
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.goto(f"{base}/requests/{reviewing.pk}/")
    widths["case"] = width_of(page, "case")
    for name, path in (
        ("case-list", "/requests/"),
        ("documents", "/documents/"),
        ("reports", "/reports/"),
        ("dashboard", "/dashboard/"),
        ("inbox", "/tasks/"),
        ("archive", "/tasks/archive/"),
        ("duty", f"/duties/{TownshipDuty.objects.order_by('pk').first().pk}/"),
    ):
        page.goto(f"{base}{path}")
        widths[name] = width_of(page, name)
    page.goto(f"{base}/duties/")
    widths["duty-list"] = width_of(page, "duty-list")
    document = OfficialDocument.objects.order_by("pk").first()
    page.goto(f"{base}/verify/")
    widths["verify"] = width_of(page, "verify")
    page.goto(f"{base}/verify/{document.verification_code}/")
    widths["verify-code"] = width_of(page, "verify-code")
    assert TownshipDuty.objects.exists()
    assert all(w <= PHONE["width"] for w in widths.values()), widths

    page.set_viewport_size({"width": 1280, "height": 900})  # a wide screen: the menu is the usual bar
    page.goto(f"{base}/tasks/queue/")
    page.screenshot(path=str(SHOTS / "41-desktop-queue.png"), full_page=True)
    assert nav.is_visible() and not menu.locator("summary").is_visible()


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_header_menu_is_open_and_its_links_work(page, live_server):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    base = live_server.url
    context = page.context.browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    phone = context.new_page()
    log_in(phone, base, banner.users["naji"].username)
    phone.locator("header nav").get_by_role("link", name="乡镇职责清单").click()
    phone.wait_for_url(f"{base}/duties/")
    assert width_of(phone, "no-js-duty-list") <= PHONE["width"]
    phone.locator("header details.menu summary").click()  # a <details> folds without any script
    assert not phone.locator("header nav").is_visible()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_forms_show_only_the_chosen_branch_and_select_every_township_at_once(page, live_server):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    reviewing = support.to_under_review(banner)
    task = support.open_task(reviewing, "lead_review")
    base = live_server.url
    page.set_viewport_size(PHONE)
    log_in(page, base, banner.users["office"].username)

    page.goto(f"{base}/tasks/{task.pk}/")
    question, reasoning = page.locator("#field-question"), page.locator("#field-reasoning")
    assert not question.is_visible() and not reasoning.is_visible()  # nothing chosen yet
    page.get_by_label("先征求相关部门、专家意见").check()
    assert question.is_visible() and not reasoning.is_visible()
    page.get_by_label("出具本单位审核意见").check()
    assert reasoning.is_visible() and not question.is_visible()
    assert width_of(page, "lead-review-branch") <= PHONE["width"]

    log_in(page, base, banner.users["forestry"].username)
    page.goto(f"{base}/requests/new/")
    townships = page.locator('#field-townships input[type="checkbox"]')
    page.locator("#field-townships").get_by_role("button", name="全选").click()
    assert all(box.is_checked() for box in townships.all()) and townships.count() == 3
    page.locator("#field-townships").get_by_role("button", name="全不选").click()
    assert not any(box.is_checked() for box in townships.all())
    assert not page.locator("#field-end_date").is_visible()  # a regular duty (the default) has no end date
    page.get_by_label("阶段性、临时性工作任务").check()
    assert page.locator("#field-end_date").is_visible()
    assert width_of(page, "request-form") <= PHONE["width"]


@pytest.mark.django_db(transaction=True)
def test_a_case_record_holding_a_document_digest_and_the_notices_fit_a_375_px_phone(page, live_server):
    """Every page works at 375 px: 公文生成并签章 records the document's SHA-256, 64 characters with no break, and
    the case page wraps it rather than scroll sideways; the record's tables stack, each opinion at full width; 提醒
    shows one card a notice, the new ones marked."""
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    reviewing = support.to_under_review(banner)
    record_event(
        duty_request=reviewing,
        actor=None,
        action=AuditAction.RENDER_DOCUMENT,
        note="阿林草函〔2026〕9号 SHA-256 " + "843c3d8ac1ffb2b4bef8dc4b7fcd2bb5" * 2,
    )
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    log_in(page, base, banner.users["office"].username)
    page.goto(f"{base}/requests/{reviewing.pk}/")
    assert page.get_by_text("SHA-256").is_visible()
    assert width_of(page, "case-digest") <= PHONE["width"]
    # the record's opinions read at the phone's width, not squeezed into a column four characters wide
    opinions = [c.opinion for c in Consultation.objects.filter(request=reviewing)]
    assert len(opinions) == 2
    for opinion in opinions:
        assert page.locator("td", has_text=opinion).first.bounding_box()["width"] >= 300
    # 提醒 on a phone: one card a notice, its text at full width (not a column beside the kind and the time)
    page.goto(f"{base}/notifications/")
    notice = page.locator("main tbody td", has_text="新任务").last
    assert notice.bounding_box()["width"] >= 300
    assert width_of(page, "notices") <= PHONE["width"]

    # what arrived since the list was last opened stands out; opened once, it no longer does
    def background(row):
        return row.evaluate("r => getComputedStyle(r).backgroundColor")

    new = page.locator("main tbody tr").first
    assert "unread" in new.get_attribute("class") and background(new) != "rgb(255, 255, 255)"
    page.reload()
    assert background(page.locator("main tbody tr").first) == "rgb(255, 255, 255)"
