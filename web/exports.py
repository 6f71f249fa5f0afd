"""Files the pages hand out: the township duty list as Excel and PDF (also for `manage.py export_duty_list`) and
the dashboard's figures as Excel."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from math import isfinite
from typing import NamedTuple, cast

import xlsxwriter
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellBlankTuple, CellDatetimeTuple, CellNumberTuple, CellStringTuple, Worksheet

from admission import permissions
from admission.models import DutyCategory, DutyStatus, Organization, OrganizationKind, Track
from admission.models.requests import case_reference
from admission.selectors import FulfilledDuty, SafeguardGaps

from .listing import choice_labels

COLUMNS = (
    "乡镇",
    "职责名称",
    "清单类别",
    "来源部门",
    "法定依据",
    "权责内容",
    "准入类型",
    "截止日期",
    "工作经费（元）",
    "经费来源",
    "经费到位（元）",
    "技术支持",
    "业务培训",
    "保障缺口",
    "准入依据",
    "准入时间",
)
COLUMN_WIDTHS = (12, 24, 12, 18, 30, 30, 12, 12, 14, 16, 14, 24, 24, 24, 24, 18)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a spreadsheet program may read as the start of a formula (CSV/formula injection, OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The types a cell holds as a number, exactly (not bool); XlsxWriter itself writes what is not finite.
NUMBERS = frozenset((int, float, Decimal))


def file_name(title: str, extension: str) -> str:
    """A download's name that says what it is and when it was made, e.g. 那吉镇履行职责事项清单-20261202.xlsx;
    nothing in it can reach a path (separators and reserved characters are replaced)."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", title).strip(" ._") or "export"
    return f"{safe[:80]}-{timezone.localdate():%Y%m%d}.{extension}"


# Cell styles (XlsxWriter's format properties) for _Sheet.append.
TITLE = {"bold": True, "font_size": 14}
WRAPPED = {"text_wrap": True, "valign": "top"}
# How a date or a time reads in a cell (as openpyxl, which wrote these files before, formatted them).
DATE_FORMATS = {date: "yyyy-mm-dd", datetime: "yyyy-mm-dd h:mm:ss"}


class _CellFormats(NamedTuple):
    """A row style's formats: for any cell, text a spreadsheet could read as a formula, dates, dates with times."""

    styled: bool
    plain: Format | None
    quoted: Format | None
    date: Format | None
    datetime: Format | None


class _Worksheet(Worksheet):
    """XlsxWriter's worksheet, its cells stored and written out a row at a time: XlsxWriter handles each cell through
    a dozen calls, twice (an export's 4,800 cells took ~30 ms of them, issue 15). The same package, byte for byte
    (tests/test_exports.py compares it with XlsxWriter's own); what this sheet does not do as XlsxWriter does (row or
    column formats, comments, constant memory, long text, other cells than text, numbers, dates and blanks) XlsxWriter
    does itself."""

    def append_row(self, row: int, values: list, formats: _CellFormats) -> None:
        """`values` from the first column on, as _Sheet.append writes them."""
        if self.constant_memory or not 0 <= row < self.xls_rowmax or len(values) > self.xls_colmax:
            for column, value in enumerate(values):
                self._write_value(row, column, value, formats)
            return
        cells, strings, longest = self.table[row], self.str_table._get_shared_string_index, self.xls_strmax // 2
        cell = tuple.__new__  # a cell as XlsxWriter's named tuples hold it, without a call of their __new__ each
        first = last = None
        for column, value in enumerate(values):
            kind = type(value)
            if kind is str and value and len(value) <= longest:
                quoted = value.startswith(FORMULA_TRIGGERS)
                cells[column] = cell(CellStringTuple, (strings(value), formats.quoted if quoted else formats.plain))
            elif value is None or value == "":
                if not formats.styled:  # an empty cell keeps its row's look, or is left out
                    continue
                cells[column] = cell(CellBlankTuple, (formats.plain,))
            elif kind in NUMBERS and isfinite(value):
                cells[column] = cell(CellNumberTuple, (value, formats.plain))
            elif kind is datetime:
                cells[column] = cell(CellDatetimeTuple, (self._convert_date_time(value), formats.datetime))
            elif kind is date:
                cells[column] = cell(CellDatetimeTuple, (self._convert_date_time(value), formats.date))
            else:
                self._write_value(row, column, value, formats)
                continue
            if first is None:
                first = column
            last = column
        if first is not None:
            self._check_dimensions(row, first)
            self._check_dimensions(row, last)

    def _write_value(self, row: int, column: int, value: object, formats: _CellFormats) -> None:
        """One cell as XlsxWriter writes it: text, a number, a date, a blank."""
        if value is None or value == "":
            if formats.styled:
                self._write_blank(row, column, None, formats.plain)
        elif isinstance(value, str):
            self._write_string(
                row, column, value, formats.quoted if value.startswith(FORMULA_TRIGGERS) else formats.plain
            )
        elif isinstance(value, datetime):
            self._write_datetime(row, column, value, formats.datetime)
        elif isinstance(value, date):
            self._write_datetime(row, column, value, formats.date)
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            self._write_number(row, column, value, formats.plain)
        else:
            raise TypeError(f"no cell for {type(value).__name__}")

    def _calculate_spans(self) -> None:
        """Each block of 16 rows' first and last column (`spans` of a <row>), from each row's rather than each cell's."""
        if self.comments:
            super()._calculate_spans()
            return
        blocks: dict[int, tuple[int, int]] = {}
        for row, cells in self.table.items():
            if cells:
                low, high = min(cells), max(cells)
                block = blocks.get(row // 16)
                blocks[row // 16] = (min(low, block[0]), max(high, block[1])) if block else (low, high)
        self.row_spans = {block: f"{low + 1}:{high + 1}" for block, (low, high) in blocks.items()}

    def _write_rows(self) -> None:
        if self.row_info or self.comments or self.constant_memory:
            super()._write_rows()
            return
        if any(info.column_format for info in self.col_info.values()):
            super()._write_rows()
            return
        self._calculate_spans()
        write, spans = self.fh.write, self.row_spans
        styles: dict[Format | None, str] = {None: ""}
        letters: dict[int, str] = {}
        for row in sorted(row for row, cells in self.table.items() if cells):
            cells = self.table[row]
            self._write_row(row, spans.get(row // 16))
            number, parts = row + 1, []
            for column in sorted(cells):
                cell = cells[column]
                style = styles.get(cell.format)
                if style is None:
                    style = styles[cell.format] = f' s="{cell.format._get_xf_index()}"'
                letter = letters.get(column) or letters.setdefault(column, xl_col_to_name(column))
                kind = type(cell)
                if kind is CellStringTuple:
                    parts.append(f'<c r="{letter}{number}"{style} t="s"><v>{cell.string}</v></c>')
                elif kind is CellNumberTuple or kind is CellDatetimeTuple:
                    parts.append(f'<c r="{letter}{number}"{style}><v>{cell.number:.16G}</v></c>')
                elif kind is CellBlankTuple:
                    parts.append(f'<c r="{letter}{number}"{style}/>')
                else:
                    write("".join(parts))
                    parts = []
                    self._write_cell(row, column, cell)
            parts.append("</row>")
            write("".join(parts))


class _Workbook:
    """An Excel workbook written with XlsxWriter: sheets (`sheet`), each cell format made once, its bytes (`saved`)."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        # _Sheet writes text with write_string, which never makes a formula; these keep any other write from it too.
        options = {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        }
        self._book = xlsxwriter.Workbook(self._out, options)
        self._formats: dict[tuple, _CellFormats] = {}

    def sheet(self, title: str, *, freeze: tuple[int, int] = (1, 0), widths: tuple[int, ...] = ()) -> _Sheet:
        sheet = cast(_Worksheet, self._book.add_worksheet(title, _Worksheet))
        return _Sheet(self, sheet, freeze=freeze, widths=widths)

    def formats(self, style: dict | None) -> _CellFormats:
        """The formats of a row's cells in `style`, made once a style rather than looked up for each cell."""
        key = tuple(style.items()) if style else ()
        if key not in self._formats:
            self._formats[key] = _CellFormats(
                styled=bool(key),
                plain=self._format(key),
                quoted=self._format(key + (("quote_prefix", True),)),
                date=self._format(key + (("num_format", DATE_FORMATS[date]),)),
                datetime=self._format(key + (("num_format", DATE_FORMATS[datetime]),)),
            )
        return self._formats[key]

    def _format(self, properties: tuple) -> Format | None:
        return self._book.add_format(dict(properties)) if properties else None

    def saved(self) -> bytes:
        self._book.close()
        return self._out.getvalue()


class _Sheet:
    """A sheet whose only way in is `append`, which writes every piece of text as text: nothing a user typed becomes
    a formula, and text a spreadsheet program could read as the start of one gets a quote prefix, so that editing the
    cell keeps it text. The rows and columns before `freeze` (row, column) stay in view when scrolling."""

    def __init__(self, book: _Workbook, sheet: _Worksheet, *, freeze: tuple[int, int], widths: tuple[int, ...]) -> None:
        self._book, self._sheet, self._row = book, sheet, 0
        sheet.freeze_panes(*freeze)
        for column, width in enumerate(widths):
            sheet.set_column_pixels(column, column, width * 7)  # `width` characters of 7 pixels, as stored

    def append(self, values: list, style: dict | None = None) -> None:
        self._sheet.append_row(self._row, values, self._book.formats(style))
        self._row += 1


# What a row is made of, read as plain rows: model instances (five a duty, with its township, department, decision and
# body) took a third of an export's time (issue 15).
ROW_FIELDS = (
    "township__name",
    "duty_name",
    "category",
    "department__name",
    "legal_basis",
    "content",
    "track",
    "end_date",
    "funding_amount",
    "funding_source",
    "funding_confirmed",
    "technical_confirmed",
    "technical_support",
    "training",
    "training_confirmed",
    "decision__body__name",
    "decision__document_number",
    "request_id",
    "request__created_at",
    "admitted_at",
)


def _rows(duties: QuerySet[FulfilledDuty]) -> Iterator[list]:
    categories, tracks, gaps = choice_labels(DutyCategory), choice_labels(Track), SafeguardGaps()
    zone = timezone.get_current_timezone()  # once: timezone.localtime looks it up for each row
    for duty in duties.values_list(*ROW_FIELDS, named=True):
        basis = f"{duty.decision__body__name} {duty.decision__document_number}".strip()
        yield [
            duty.township__name,
            duty.duty_name,
            categories.get(duty.category, duty.category),
            duty.department__name,
            duty.legal_basis,
            duty.content,
            tracks.get(duty.track, duty.track),
            duty.end_date,
            duty.funding_amount,
            duty.funding_source,
            duty.funding_confirmed,
            duty.technical_support,
            duty.training,
            "；".join(gaps(duty)) or "无",
            f"{basis}（{case_reference(duty.request_id, duty.request__created_at)}）",
            duty.admitted_at.astimezone(zone).replace(tzinfo=None),
        ]


def list_title(*, user, township_id, state: str, banner=None) -> str:
    """`banner`: the banner below an office above the banners whose lists are exported (issue 15)."""
    org = permissions.require_membership(user).organization
    if org.kind == OrganizationKind.TOWNSHIP:
        name = org.name
    elif township_id:
        name = (
            Organization.objects.filter(pk=township_id, jurisdiction=banner or org.jurisdiction)
            .values_list("name", flat=True)
            .first()
            or ""
        )
    else:
        name = f"{(banner or org.jurisdiction).name}各乡镇"
    return f"{name}{'上级部门收回事项' if state == DutyStatus.EXITED else '履行职责事项清单'}"


def duty_list_file(*, duties: QuerySet[FulfilledDuty], title: str, format: str) -> tuple[bytes, str]:
    """`duties`: a list as selectors.township_duties or list_of_township give it."""
    if format == "xlsx":
        book = _Workbook()
        # the title and the headings stay in view, and the township and duty name beside
        sheet = book.sheet("职责清单", freeze=(2, 2), widths=COLUMN_WIDTHS)
        sheet.append([title], TITLE)
        sheet.append(list(COLUMNS))
        for row in _rows(duties):
            sheet.append(row, WRAPPED)
        return book.saved(), XLSX_CONTENT_TYPE
    from weasyprint import HTML

    gaps = SafeguardGaps()
    html = render_to_string(
        "admission/duty_list_pdf.html",
        {
            "title": title,
            "rows": [(d, gaps(d)) for d in duties],
            "generated": timezone.localtime(),
        },
    )
    return HTML(string=html).write_pdf(), "application/pdf"


def dashboard_xlsx(data: dict) -> bytes:
    """The dashboard's figures as a workbook, one sheet per table."""
    book = _Workbook()
    sheet = book.sheet("申请状态")
    sheet.append(["状态", "件数"])
    for label, n in data["states"]:
        sheet.append([str(label), n])
    sheet = book.sheet("乡镇职责数")
    sheet.append(["乡镇", "区划代码", "职责事项总数", f"{data['year']}年新增"])
    for t in data["townships"]:
        sheet.append([t.name, t.division_code, t.duties, t.new])
    sheet = book.sheet("各环节用时")
    sheet.append(["环节", "件数", "中位数（工作日）", "90%分位", "最长"])
    for s in data["steps"]:
        sheet.append([str(s["step"]), s["count"], s["median"], s["p90"], s["max"]])
    sheet = book.sheet("逾期任务")
    sheet.append(["任务", "申请", "到期日", "逾期工作日"])
    for row in data["overdue"]:
        sheet.append(
            [row["title"], row["request"].duty_name if row["request"] else "", row["deadline"].due_date, row["days"]]
        )
    sheet = book.sheet("不予准入理由")
    sheet.append(["申请", "申请部门", "环节", "理由"])
    for r in data["rejections"]:
        sheet.append([r["request"].duty_name, r["request"].department.name, r["stage"], r["reasons"]])
    sheet = book.sheet("保障措施")
    g = data["safeguards"]
    sheet.append(["职责事项", "有工作经费", "有技术支持", "有业务培训"])
    sheet.append([g["total"], g["funded"], g["supported"], g["trained"]])
    return book.saved()
