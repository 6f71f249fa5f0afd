"""The township's side (issue 4): the list and its categories, safeguards delivered and confirmed (Art. 5),
exports, and reports of duties pushed down without admission (Art. 7–8)."""

import io
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse, set_script_prefix
from openpyxl import load_workbook

from admission.models import AuditAction, AuditEvent, Organization, ReportFinding, TownshipDuty
from admission.selectors import safeguard_gaps, township_duty_detail_queryset, township_summary
from admission.services.duties import confirm_safeguard_delivery, record_safeguard_delivery
from admission.services.errors import ConflictError
from admission.services.reports import handle_report, report_unadmitted_duty
from tests import support
from web.views.duties import URL_MARKER, url_of


@pytest.fixture
def duty(banner):
    request = support.to_under_review(banner, list_category="basic")
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    support.banner_decides(banner, request)
    support.city_decides(banner, request)
    return TownshipDuty.objects.get(request=request, township=banner.org("naji"))


def fresh(duty):
    return township_duty_detail_queryset().get(pk=duty.pk)


def test_art4_5_an_admitted_duty_carries_its_category_and_only_admission_puts_it_on_the_list(duty):
    assert duty.get_category_display() == "基本履职事项"
    assert TownshipDuty.objects.count() == 2  # the two townships named, nothing else


def test_art5_safeguards_count_only_once_the_township_confirms_receipt(banner, duty):
    assert safeguard_gaps(fresh(duty)) == ["经费到位 0.00 / 120,000.00 元", "技术支持未确认到位", "业务培训未确认到位"]
    forestry, naji = banner.users["forestry"], banner.users["naji"]
    money = record_safeguard_delivery(
        duty=duty, actor=forestry, kind="funding", amount=Decimal("120000"), description="阿财预〔2026〕8号拨付"
    )
    support_ = record_safeguard_delivery(duty=duty, actor=forestry, kind="technical_support", description="开通账号")
    training = record_safeguard_delivery(duty=duty, actor=forestry, kind="training", description="11月培训 12 人")
    assert len(safeguard_gaps(fresh(duty))) == 3  # recorded, not yet confirmed
    for delivery in (money, support_, training):
        confirm_safeguard_delivery(delivery=delivery, actor=naji)
    assert safeguard_gaps(fresh(duty)) == []
    actions = list(duty.request.audit_events.values_list("action", flat=True))
    assert actions.count(AuditAction.RECORD_SAFEGUARD_DELIVERY) == 3
    assert actions.count(AuditAction.CONFIRM_SAFEGUARD_DELIVERY) == 3


def test_art5_only_the_department_records_and_only_the_township_confirms(banner, duty):
    with pytest.raises(PermissionDenied):
        record_safeguard_delivery(duty=duty, actor=banner.users["emergency"], kind="training", description="x")
    delivery = record_safeguard_delivery(duty=duty, actor=banner.users["forestry"], kind="training", description="培训")
    for key in ("liuhe", "forestry", "office"):
        with pytest.raises(PermissionDenied):
            confirm_safeguard_delivery(delivery=delivery, actor=banner.users[key])
    confirm_safeguard_delivery(delivery=delivery, actor=banner.users["naji"])
    with pytest.raises(ConflictError):
        confirm_safeguard_delivery(delivery=delivery, actor=banner.users["naji"])


def test_art5_funding_needs_an_amount_and_other_safeguards_none(banner, duty):
    with pytest.raises(ValidationError) as error:
        record_safeguard_delivery(duty=duty, actor=banner.users["forestry"], kind="funding", description="拨款")
    assert "amount" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record_safeguard_delivery(
            duty=duty, actor=banner.users["forestry"], kind="training", amount=Decimal("5"), description="培训"
        )
    assert "amount" in error.value.message_dict


def test_the_office_summary_shows_funding_and_duties_with_gaps_per_township(banner, duty):
    rows = {r["township"].name: r for r in township_summary(jurisdiction_id=banner.jurisdiction.pk)}
    assert rows["那吉镇"]["duties"] == 1 and rows["那吉镇"]["funding"] == Decimal("120000.00")
    assert rows["那吉镇"]["gaps"] == 1 and rows["亚东镇"]["duties"] == 0


def test_art5_the_office_summary_counts_only_confirmed_funding_and_duties_still_missing_a_safeguard(banner, duty):
    forestry, naji = banner.users["forestry"], banner.users["naji"]
    other = TownshipDuty.objects.exclude(pk=duty.pk).get(request=duty.request)

    for amount in (Decimal("50000"), Decimal("20000.50")):
        record = record_safeguard_delivery(duty=duty, actor=forestry, kind="funding", amount=amount, description="拨付")
        confirm_safeguard_delivery(delivery=record, actor=naji)
    unconfirmed = record_safeguard_delivery(
        duty=duty, actor=forestry, kind="funding", amount=Decimal("49999.50"), description="拨付"
    )
    for kind in ("technical_support", "training"):
        confirm_safeguard_delivery(
            delivery=record_safeguard_delivery(duty=duty, actor=forestry, kind=kind, description="培训"), actor=naji
        )
    rows = {r["township"].pk: r for r in township_summary(jurisdiction_id=banner.jurisdiction.pk)}
    mine, theirs = rows[duty.township_id], rows[other.township_id]
    assert (mine["duties"], mine["funding_confirmed"], mine["gaps"]) == (1, Decimal("70000.50"), 1)  # funding short
    assert (theirs["duties"], theirs["funding_confirmed"], theirs["gaps"]) == (1, Decimal("0"), 1)
    confirm_safeguard_delivery(delivery=unconfirmed, actor=naji)
    rows = {r["township"].pk: r for r in township_summary(jurisdiction_id=banner.jurisdiction.pk)}
    assert (rows[duty.township_id]["funding_confirmed"], rows[duty.township_id]["gaps"]) == (Decimal("120000.00"), 0)
    given = list(
        Organization.objects.filter(jurisdiction=banner.jurisdiction, kind="township").order_by("division_code")
    )
    assert township_summary(jurisdiction_id=banner.jurisdiction.pk, townships=given) == list(rows.values())


def test_pages_filter_unfulfilled_and_export_excel_and_pdf(client, banner, duty):
    client.force_login(banner.users["naji"])
    page = client.get(reverse("admission:duty_list"), {"state": "unfulfilled"}).content.decode()
    assert duty.duty_name in page and "技术支持未确认到位" in page
    assert (
        duty.duty_name not in client.get(reverse("admission:duty_list"), {"category": "cooperative"}).content.decode()
    )
    xlsx = client.get(reverse("admission:duty_list"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "那吉镇履行职责事项清单"
    assert [c.value for c in sheet[3]][:3] == ["那吉镇", duty.duty_name, "基本履职事项"]
    pdf = client.get(reverse("admission:duty_list"), {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_list_links_each_row_to_its_duty_and_its_case_as_reverse_does(client, banner, duty):
    client.force_login(banner.users["office"])
    response = client.get(reverse("admission:duty_list"))
    rows = response.context["rows"]
    assert {row[0].pk for row in rows} == set(TownshipDuty.objects.values_list("pk", flat=True))
    page = response.content.decode()
    for d, _gaps, duty_url, case_url, category in rows:
        assert (duty_url, case_url) == (
            reverse("admission:duty_detail", args=[d.pk]),
            reverse("admission:request_detail", args=[d.request_id]),
        )
        assert f'<a href="{duty_url}"><strong>{d.duty_name}</strong></a>' in page
        assert f'<a href="{case_url}">{d.case_reference}</a>' in page
        assert category == d.get_category_display()
    # one reverse() a page, the pk in its place: under a script prefix too, even one with the marker's digits in it
    for prefix in ("/", "/admission/", f"/{URL_MARKER}/"):
        set_script_prefix(prefix)
        try:
            for name in ("admission:duty_detail", "admission:request_detail"):
                for pk in (1, 10, 99999, URL_MARKER, 12345678901):
                    assert url_of(name)(pk) == reverse(name, args=[pk])
        finally:
            set_script_prefix("/")


def test_export_command_writes_a_townships_list(banner, duty, tmp_path):
    out = tmp_path / "naji.pdf"
    call_command(
        "export_duty_list", "--township", "150721100", "--format", "pdf", "--output", str(out), stdout=io.StringIO()
    )
    text = "".join(
        subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    assert "那吉镇履行职责事项清单" in text and duty.duty_name in text
    with pytest.raises(CommandError):
        call_command("export_duty_list", "--township", "999", "--output", str(out))


def test_recording_a_delivery_on_the_page_keeps_input_on_error(client, banner, duty):
    client.force_login(banner.users["forestry"])
    response = client.post(
        reverse("admission:record_delivery", args=[duty.pk]),
        {"kind": "funding", "amount": "", "description": "阿财预〔2026〕8号"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "工作经费请填写实际拨付的金额" in body and "阿财预〔2026〕8号" in body


def test_art7_8_a_township_reports_a_duty_pushed_down_and_sees_the_finding(client, banner):
    evidence = SimpleUploadedFile("责任状.pdf", support.PDF_BYTES)
    report = report_unadmitted_duty(
        actor=banner.users["naji"],
        department=banner.org("emergency"),
        duty_description="自建房安全排查",
        method="responsibility_pledge",
        details="10月签订目标责任状，要求乡镇全面排查并承担责任。",
        evidence=[evidence],
    )
    assert report.evidence.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.REPORT_UNADMITTED_DUTY, data__report=report.pk).exists()
    url = reverse("admission:report_detail", args=[report.pk])
    for key, status in (("naji", 200), ("office", 200), ("leadership", 200), ("emergency", 404), ("liuhe", 404)):
        client.force_login(banner.users[key])
        assert client.get(url).status_code == status, key
    with pytest.raises(PermissionDenied):
        handle_report(report=report, actor=banner.users["justice"], finding="unfounded", finding_text="x")
    client.force_login(banner.users["office"])
    bad = client.post(url, {"finding": "violation_corrected", "finding_text": ""})
    assert bad.status_code == 422
    client.post(url, {"finding": "violation_corrected", "finding_text": "经核查属实，已责令旗应急管理局纠正。"})
    report.refresh_from_db()
    assert report.finding == ReportFinding.VIOLATION_CORRECTED
    client.force_login(banner.users["naji"])
    assert "已责令旗应急管理局纠正" in client.get(url).content.decode()
    with pytest.raises(ConflictError):
        handle_report(report=report, actor=banner.users["office"], finding="unfounded", finding_text="再处理")


def test_only_townships_report_and_the_department_must_be_of_the_banner(banner, other_banner):
    with pytest.raises(PermissionDenied):
        report_unadmitted_duty(
            actor=banner.users["forestry"],
            department=banner.org("emergency"),
            duty_description="x",
            method="other",
            details="x",
        )
    with pytest.raises(ValidationError) as error:
        report_unadmitted_duty(
            actor=banner.users["naji"],
            department=other_banner.org("emergency"),
            duty_description="",
            method="nope",
            details="",
        )
    assert set(error.value.message_dict) == {"department", "duty_description", "method", "details"}


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("naji", 200),
        ("forestry", 200),
        ("office", 200),
        ("leadership", 200),
        ("liuhe", 404),
        ("emergency", 404),
        ("other_banner", 404),
    ],
)
def test_a_duty_page_is_seen_by_its_township_department_and_overseers_only(
    client, banner, other_banner, duty, key, status
):
    user = other_banner.users["office"] if key == "other_banner" else banner.users[key]
    client.force_login(user)
    assert client.get(reverse("admission:duty_detail", args=[duty.pk])).status_code == status


def test_art4_4_an_expired_temporary_duty_prompts_its_department_once(client, banner):
    from datetime import timedelta

    from django.utils import timezone

    from admission.models import Notification
    from admission.services.reminders import send_reminders

    temporary = support.temporary_values()
    request = support.to_under_review(
        banner, **{k: temporary[k] for k in ("track", "end_date", "completion_time_limit")}
    )
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    support.banner_decides(banner, request)
    duty = TownshipDuty.objects.filter(request=request).first()
    after_end = duty.end_date + timedelta(days=1)
    assert not duty.is_expired
    for _ in range(2):
        send_reminders(today=after_end)
    notices = Notification.objects.filter(kind="duty_expired")
    assert [n.user for n in notices] == [banner.users["forestry"]] * 2  # one per duty (two townships), once each
    assert "请启动退出程序" in notices[0].text
    TownshipDuty.objects.filter(pk=duty.pk).update(end_date=timezone.localdate() - timedelta(days=1))
    client.force_login(banner.users["naji"])
    assert "已到期，待退出" in client.get(reverse("admission:duty_list")).content.decode()
