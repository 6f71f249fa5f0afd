"""A township in Chromium: reviews its list, confirms a safeguard, exports the list, reports a duty pushed down,
and starts an exit (Art. 4(4)) that ends in the exit notice."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from admission.models import (
    DocumentKind,
    DutyRequest,
    DutyStatus,
    OfficialDocument,
    RequestState,
    SafeguardDelivery,
    TownshipDuty,
    UnadmittedDutyReport,
)
from admission.services.duties import record_safeguard_delivery
from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.mark.django_db(transaction=True)
def test_township_reviews_its_list_confirms_a_safeguard_reports_and_starts_an_exit(page, live_server, tmp_path):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    support.banner_decides(banner, request)
    support.city_decides(banner, request)
    duty = TownshipDuty.objects.get(request=request, township=banner.org("naji"))
    delivery = record_safeguard_delivery(
        duty=duty,
        actor=banner.users["forestry"],
        kind="funding",
        amount=Decimal("120000"),
        description="阿财预〔2026〕8号拨付",
    )
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
    assert download.value.suggested_filename == f"那吉镇履行职责事项清单-{timezone.localdate():%Y%m%d}.xlsx"

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

    # Art. 4(4): the township asks to leave the duty; nobody else holds it on its behalf, so it applies in writing.
    page.goto(f"{base}/duties/{duty.pk}/")
    page.get_by_role("link", name="申请退出（第四条第四项）").click()
    page.get_by_role("button", name="提出退出申请").click()
    page.wait_for_load_state()
    assert page.get_by_text("请写明理由。").count() == 1  # said on the same page
    page.fill('[name="reasons"]', "本镇已无林地，防火巡查改由林场负责，不再适宜由乡镇承担。")
    page.get_by_role("button", name="提出退出申请").click()
    page.wait_for_load_state()
    assert page.get_by_text("退出申请已提出。").count() == 1
    page.screenshot(path=str(SHOTS / "23-township-exit-started.png"), full_page=True)
    letter = tmp_path / "退出申请.pdf"
    letter.write_bytes(support.PDF_BYTES)
    page.get_by_role("link", name="去办理").click()
    page.set_input_files('input[name="application_letter"]', str(letter))
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    assert page.get_by_text("书面申请已提交旗委编办。").count() == 1
    case = DutyRequest.objects.get(purpose="exit")
    assert case.state == RequestState.SUBMITTED and case.applicant == banner.org("naji")

    # The joint meeting reviews it and the original (regular) track approves it: banner, then the city.
    support.accept(banner, case)
    support.bureau_opinions(banner, case)
    support.conclude(banner, case)
    support.banner_decides(banner, case)
    support.city_decides(banner, case)
    assert case.state == RequestState.EXITED
    notice = OfficialDocument.objects.get(request=case, kind=DocumentKind.EXIT_NOTICE)

    page.goto(f"{base}/duties/?state=exited")
    page.get_by_role("link", name=duty.duty_name).click()
    assert page.get_by_role("link", name=notice.number).count() == 1
    page.screenshot(path=str(SHOTS / "24-township-duty-exited.png"), full_page=True)
    duty.refresh_from_db()
    assert duty.status == DutyStatus.EXITED
