"""Files the pages hand out: the township duty list as Excel and PDF (also for `manage.py export_duty_list`) and
the dashboard's figures as Excel."""

from __future__ import annotations

import io
import re

from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from admission import permissions
from admission.models import DutyCategory, DutyStatus, Organization, OrganizationKind, Track
from admission.selectors import safeguard_gaps

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


def file_name(title: str, extension: str) -> str:
    """A download's name that says what it is and when it was made, e.g. 那吉镇履行职责事项清单-20261202.xlsx;
    nothing in it can reach a path (separators and reserved characters are replaced)."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", title).strip(" ._") or "export"
    return f"{safe[:80]}-{timezone.localdate():%Y%m%d}.{extension}"


class _Sheet:
    """A sheet streamed row by row (openpyxl's write-only mode: no cell kept, no style looked up per cell), whose only
    way in is `append`, which stores every piece of text as text: nothing a user typed becomes a formula. Its heading
    rows stay in view when scrolling (`freeze`, the cell below and right of them)."""

    def __init__(self, book: Workbook, title: str, *, freeze: str = "A2", widths: tuple[int, ...] = ()) -> None:
        self._sheet = book.create_sheet(title)
        self._sheet.freeze_panes = freeze  # written with the sheet's top, before any row
        for index, width in enumerate(widths, 1):
            self._sheet.column_dimensions[get_column_letter(index)].width = width

    def style(self, *, font: Font | None = None, alignment: Alignment | None = None) -> StyleArray:
        """A style for `append`, looked up in the workbook once rather than for each cell."""
        cell = WriteOnlyCell(self._sheet)
        if font is not None:
            cell.font = font
        if alignment is not None:
            cell.alignment = alignment
        return cell._style  # type: ignore[attr-defined]  # the stubs omit it; Cell(style_array=…) copies it

    def append(self, values: list, style: StyleArray | None = None) -> None:
        self._sheet.append([self._cell(value, style) for value in values])

    def _cell(self, value, style: StyleArray | None):
        formula_like = isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
        if style is None and not formula_like:
            return value
        cell = Cell(self._sheet, row=1, column=1, value=value, style_array=style)  # placed as the row is written
        if formula_like:
            cell.data_type = "s"  # openpyxl stores "=…" as a formula unless told otherwise
            cell.quotePrefix = True  # and a program that re-parses the cell on edit keeps it text
        return cell


def _saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """A choice field's labels, translated once for an export rather than for each row."""
    return {value: str(label) for value, label in choices.choices}


def _row(duty, categories: dict, tracks: dict) -> list:
    decision = duty.decision
    basis = f"{decision.body.name} {decision.document_number}".strip()
    return [
        duty.township.name,
        duty.duty_name,
        categories.get(duty.category, duty.category),
        duty.department.name,
        duty.legal_basis,
        duty.content,
        tracks.get(duty.track, duty.track),
        duty.end_date,
        duty.funding_amount,
        duty.funding_source,
        duty.funding_confirmed,
        duty.technical_support,
        duty.training,
        "；".join(safeguard_gaps(duty)) or "无",
        f"{basis}（{duty.case_reference}）",
        timezone.localtime(duty.admitted_at).replace(tzinfo=None),
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


def duty_list_file(*, duties, title: str, format: str) -> tuple[bytes, str]:
    duties = list(duties)
    if format == "xlsx":
        book = Workbook(write_only=True)
        # the title and the headings stay in view, and the township and duty name beside
        sheet = _Sheet(book, "职责清单", freeze="C3", widths=COLUMN_WIDTHS)
        sheet.append([title], sheet.style(font=Font(bold=True, size=14)))
        sheet.append(list(COLUMNS))
        wrapped = sheet.style(alignment=Alignment(wrap_text=True, vertical="top"))
        categories, tracks = _labels(DutyCategory), _labels(Track)
        for duty in duties:
            sheet.append(_row(duty, categories, tracks), wrapped)
        return _saved(book), XLSX_CONTENT_TYPE
    from weasyprint import HTML

    html = render_to_string(
        "admission/duty_list_pdf.html",
        {
            "title": title,
            "rows": [(d, safeguard_gaps(d)) for d in duties],
            "generated": timezone.localtime(),
        },
    )
    return HTML(string=html).write_pdf(), "application/pdf"


def dashboard_xlsx(data: dict) -> bytes:
    """The dashboard's figures as a workbook, one sheet per table."""
    book = Workbook(write_only=True)
    sheet = _Sheet(book, "申请状态")
    sheet.append(["状态", "件数"])
    for label, n in data["states"]:
        sheet.append([str(label), n])
    sheet = _Sheet(book, "乡镇职责数")
    sheet.append(["乡镇", "区划代码", "职责事项总数", f"{data['year']}年新增"])
    for t in data["townships"]:
        sheet.append([t.name, t.division_code, t.duties, t.new])
    sheet = _Sheet(book, "各环节用时")
    sheet.append(["环节", "件数", "中位数（工作日）", "90%分位", "最长"])
    for s in data["steps"]:
        sheet.append([str(s["step"]), s["count"], s["median"], s["p90"], s["max"]])
    sheet = _Sheet(book, "逾期任务")
    sheet.append(["任务", "申请", "到期日", "逾期工作日"])
    for row in data["overdue"]:
        sheet.append(
            [row["title"], row["request"].duty_name if row["request"] else "", row["deadline"].due_date, row["days"]]
        )
    sheet = _Sheet(book, "不予准入理由")
    sheet.append(["申请", "申请部门", "环节", "理由"])
    for r in data["rejections"]:
        sheet.append([r["request"].duty_name, r["request"].department.name, r["stage"], r["reasons"]])
    sheet = _Sheet(book, "保障措施")
    g = data["safeguards"]
    sheet.append(["职责事项", "有工作经费", "有技术支持", "有业务培训"])
    sheet.append([g["total"], g["funded"], g["supported"], g["trained"]])
    return _saved(book)
