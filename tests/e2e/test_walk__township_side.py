"""A township in Chromium: reviews its list, confirms a safeguard, exports the list, reports a duty pushed down."""

from decimal import Decimal
from pathlib import Path

import pytest

from admission.models import SafeguardDelivery, TownshipDuty, UnadmittedDutyReport
from admission.services.duties import record_safeguard_delivery
from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.mark.django_db(transaction=True)
def test_township_reviews_its_list_confirms_a_safeguard_and_reports_a_pushed_down_duty(page, live_server, tmp_path):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    support.banner_decides(banner, request)
    support.city_decides(banner, request)
    duty = TownshipDuty.objects.get(request=request, township=banner.org("naji"))
    delivery = record_safeguard_delivery(duty=duty, actor=banner.users["forestry"], kind="funding",
                                         amount=Decimal("120000"), description="阿财预〔2026〕8号拨付")
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", banner.users["naji"].username)
    page.fill("#id_password", support.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/tasks/")

    page.get_by_role("link", name="乡镇职责清单").click()
    assert page.get_by_text("经费到位 0.00 / 120,000.00 元").count() == 1
    page.screenshot(path=str(SHOTS / "20-township-list.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename == "duty-list.xlsx"

    page.get_by_role("link", name=duty.duty_name).click()
    page.get_by_role("button", name="确认收到").click()
    page.wait_for_load_state()
    assert page.get_by_text("已确认收到。").count() == 1
    page.screenshot(path=str(SHOTS / "21-township-duty-confirmed.png"), full_page=True)
    delivery.refresh_from_db()
    assert delivery.confirmed_by == banner.users["naji"]

    evidence = tmp_path / "责任状.pdf"
    evidence.write_bytes(support.PDF_BYTES)
    page.get_by_role("link", name="反映", exact=True).click()
    page.get_by_role("link", name="反映未经准入下放的事项").click()
    page.select_option('select[name="department"]', label="旗应急管理局")
    page.fill('[name="duty_description"]', "自建房安全排查")
    page.check('input[name="method"][value="responsibility_pledge"]')
    page.fill('[name="details"]', "要求签订目标责任状。")
    page.set_input_files('input[name="evidence"]', str(evidence))
    page.get_by_role("button", name="报送旗委编办").click()
    page.wait_for_load_state()
    assert page.get_by_text("待旗委编办处理").count() == 1
    page.screenshot(path=str(SHOTS / "22-township-report.png"), full_page=True)
    report = UnadmittedDutyReport.objects.get()
    assert report.township == banner.org("naji") and report.evidence.count() == 1
    assert SafeguardDelivery.objects.filter(confirmed_at__isnull=False).count() == 1
