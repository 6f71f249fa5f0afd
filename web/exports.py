"""Files the pages hand out: the township duty list as Excel and PDF (also for `manage.py export_duty_list`) and
the dashboard's figures as Excel."""

from __future__ import annotations

import io
import re

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from admission import permissions
from admission.models import DutyStatus, Organization, OrganizationKind
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
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a spreadsheet program may read as the start of a formula (CSV/formula injection, OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def file_name(title: str, extension: str) -> str:
    """A download's name that says what it is and when it was made, e.g. 那吉镇履行职责事项清单-20261202.xlsx;
    nothing in it can reach a path (separators and reserved characters are replaced)."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", title).strip(" ._") or "export"
    return f"{safe[:80]}-{timezone.localdate():%Y%m%d}.{extension}"


def _saved(book: Workbook) -> bytes:
    """The workbook's bytes, every piece of text stored as text: nothing a user typed becomes a formula. Each
    sheet's heading rows stay in view when scrolling (set where the sheet is built, else the first row)."""
    for sheet in book.worksheets:
        if sheet.freeze_panes is None:
            sheet.freeze_panes = "A2"
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    cell.data_type = "s"  # openpyxl stores "=…" as a formula unless told otherwise
                    cell.quotePrefix = True  # and a program that re-parses the cell on edit keeps it text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(duty) -> list:
    decision = duty.decision
    basis = f"{decision.body.name} {decision.document_number}".strip()
    return [
        duty.township.name,
        duty.duty_name,
        duty.get_category_display(),
        duty.department.name,
        duty.legal_basis,
        duty.content,
        duty.get_track_display(),
        duty.end_date,
        duty.funding_amount,
        duty.funding_source,
        duty.funding_confirmed,
        duty.technical_support,
        duty.training,
        "；".join(safeguard_gaps(duty)) or "无",
        f"{basis}（{duty.request.reference}）",
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
        book = Workbook()
        sheet = book.worksheets[0]  # a new workbook's one sheet
        sheet.title = "职责清单"
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(list(COLUMNS))
        for duty in duties:
            sheet.append(_row(duty))
        for column, width in zip("ABCDEFGHIJKLMNOP", (12, 24, 12, 18, 30, 30, 12, 12, 14, 16, 14, 24, 24, 24, 24, 18)):
            sheet.column_dimensions[column].width = width
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "C3"  # the title and the headings stay, and the township and duty name beside
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
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one sheet
    sheet.title = "申请状态"
    sheet.append(["状态", "件数"])
    for label, n in data["states"]:
        sheet.append([str(label), n])
    sheet = book.create_sheet("乡镇职责数")
    sheet.append(["乡镇", "区划代码", "职责事项总数", f"{data['year']}年新增"])
    for t in data["townships"]:
        sheet.append([t.name, t.division_code, t.duties, t.new])
    sheet = book.create_sheet("各环节用时")
    sheet.append(["环节", "件数", "中位数（工作日）", "90%分位", "最长"])
    for s in data["steps"]:
        sheet.append([str(s["step"]), s["count"], s["median"], s["p90"], s["max"]])
    sheet = book.create_sheet("逾期任务")
    sheet.append(["任务", "申请", "到期日", "逾期工作日"])
    for row in data["overdue"]:
        sheet.append(
            [row["title"], row["request"].duty_name if row["request"] else "", row["deadline"].due_date, row["days"]]
        )
    sheet = book.create_sheet("不予准入理由")
    sheet.append(["申请", "申请部门", "环节", "理由"])
    for r in data["rejections"]:
        sheet.append([r["request"].duty_name, r["request"].department.name, r["stage"], r["reasons"]])
    sheet = book.create_sheet("保障措施")
    g = data["safeguards"]
    sheet.append(["职责事项", "有工作经费", "有技术支持", "有业务培训"])
    sheet.append([g["total"], g["funded"], g["supported"], g["trained"]])
    return _saved(book)
