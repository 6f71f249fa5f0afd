"""The oversight picture of one banner for one year (issue 5): reads only, a fixed number of queries."""

from __future__ import annotations

import io
import statistics
from collections import Counter, defaultdict
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .calendar import UnknownCalendarYear, WorkingCalendar
from .models import (
    ApprovalDecision, DutyRequest, Organization, OrganizationKind, RequestState, ReviewConclusion, Step,
    TaskDeadline, TownshipDuty,
)


def _percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def dashboard_data(*, jurisdiction_id: int, year: int) -> dict:
    requests = DutyRequest.objects.filter(jurisdiction_id=jurisdiction_id, created_at__year=year)
    by_state = dict(requests.values_list("state").annotate(n=Count("pk")))
    states = [(label, by_state.get(value, 0)) for value, label in RequestState.choices]

    townships = list(
        Organization.objects.filter(jurisdiction_id=jurisdiction_id, kind=OrganizationKind.TOWNSHIP)
        .annotate(
            duties=Count("township_duties", filter=Q(township_duties__admitted_at__year__lte=year)),
            new=Count("township_duties", filter=Q(township_duties__admitted_at__year=year)),
        )
        .order_by("division_code")
    )

    duties = TownshipDuty.objects.filter(township__jurisdiction_id=jurisdiction_id, admitted_at__year__lte=year)
    safeguards = duties.aggregate(
        total=Count("pk"),
        funded=Count("pk", filter=Q(funding_amount__gt=0)),
        supported=Count("pk", filter=~Q(technical_support="")),
        trained=Count("pk", filter=~Q(training="")),
    )

    calendar = WorkingCalendar(jurisdiction_id)
    durations: dict[str, list[int]] = defaultdict(list)
    finished = (
        Task.objects.filter(deadline__jurisdiction_id=jurisdiction_id, finished__year=year, status=STATUS.DONE)
        .select_related("deadline").only("created", "finished", "deadline__step")
    )
    for task in finished:
        try:
            durations[task.deadline.step].append(calendar.working_days_between(
                timezone.localdate(task.created), timezone.localdate(task.finished)))
        except UnknownCalendarYear:
            continue
    steps = [
        {"step": label, "count": len(durations[value]), "median": statistics.median(durations[value]),
         "p90": _percentile(durations[value], 0.9), "max": max(durations[value])}
        for value, label in Step.choices if durations[value]
    ]

    today = timezone.localdate()
    overdue = list(
        TaskDeadline.objects.filter(jurisdiction_id=jurisdiction_id, due_date__lt=today,
                                    task__status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED))
        .select_related("task__owner", "task__process").order_by("due_date")
    )
    overdue_requests = DutyRequest.objects.in_bulk({d.task.process.artifact_object_id for d in overdue})
    overdue_rows = [
        {"deadline": d, "title": str(d.task.flow_task.task_title),
         "request": overdue_requests.get(d.task.process.artifact_object_id),
         "days": _overdue_days(calendar, d.due_date, today)}
        for d in overdue
    ]

    rejections = [
        {"request": c.request, "stage": "联席会议审核不通过", "reasons": c.reasons, "when": c.given_at}
        for c in ReviewConclusion.objects.filter(request__jurisdiction_id=jurisdiction_id, passes=False,
                                                 given_at__year=year).select_related("request__department")
    ] + [
        {"request": d.request, "stage": f"{d.get_stage_display()}不同意", "reasons": d.reasons, "when": d.recorded_at}
        for d in ApprovalDecision.objects.filter(request__jurisdiction_id=jurisdiction_id, approves=False,
                                                 recorded_at__year=year).select_related("request__department")
    ]
    return {
        "year": year,
        "states": states,
        "total_requests": sum(n for _label, n in states),
        "townships": townships,
        "safeguards": safeguards,
        "steps": steps,
        "overdue": overdue_rows,
        "rejections": sorted(rejections, key=lambda r: r["when"]),
    }


def _overdue_days(calendar: WorkingCalendar, due: date, today: date) -> int | None:
    try:
        return calendar.working_days_between(due, today)
    except UnknownCalendarYear:
        return None


def bar_chart_svg(rows: list[tuple[str, int]], *, width: int = 640, bar: int = 22, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG: drawn on the server, no script, no network."""
    from django.utils.html import escape

    gap = 6
    label_width = min(300, 14 * max((len(label) for label, _n in rows), default=4) + 12)
    top = max((n for _label, n in rows), default=0) or 1
    scale = (width - label_width - 60) / top
    height = len(rows) * (bar + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img">']
    for i, (label, n) in enumerate(rows):
        y = gap + i * (bar + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{max(n * scale, 1 if n else 0):.1f}" height="{bar}" fill="#b22222"/>'
            f'<text x="{label_width + n * scale + 6:.1f}" y="{y + bar * 0.7:.1f}" font-size="13">{n}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def export_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
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
        sheet.append([row["title"], row["request"].duty_name if row["request"] else "", row["deadline"].due_date,
                      row["days"]])
    sheet = book.create_sheet("不予准入理由")
    sheet.append(["申请", "申请部门", "环节", "理由"])
    for r in data["rejections"]:
        sheet.append([r["request"].duty_name, r["request"].department.name, r["stage"], r["reasons"]])
    sheet = book.create_sheet("保障措施")
    g = data["safeguards"]
    sheet.append(["职责事项", "有工作经费", "有技术支持", "有业务培训"])
    sheet.append([g["total"], g["funded"], g["supported"], g["trained"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rejection_reason_counts(rejections: list[dict]) -> Counter:
    return Counter(r["stage"] for r in rejections)
