"""The oversight picture of one banner for one year (Art. 8): reads only, a fixed number of queries."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .calendar import WorkingCalendar
from .models import (
    ApprovalDecision,
    DutyRequest,
    Organization,
    OrganizationKind,
    RequestState,
    ReviewConclusion,
    Step,
    TaskDeadline,
    TownshipDuty,
)


class _Counted:
    """Values with their counts, sorted: the k-th smallest without spelling out every value."""

    def __init__(self, counts: dict[int, int]):
        self.items = sorted(counts.items())
        self.total = sum(counts.values())

    def at(self, k: int) -> int:
        seen = 0
        for value, count in self.items:
            seen += count
            if k < seen:
                return value
        raise IndexError(k)

    def median(self) -> float | int:
        middle = self.total // 2
        if self.total % 2:
            return self.at(middle)
        low, high = self.at(middle - 1), self.at(middle)
        return low if low == high else (low + high) / 2

    def percentile(self, share: float) -> int:
        return self.at(min(self.total - 1, round(share * (self.total - 1))))


def _step_durations(*, jurisdiction_id: int, year: int, calendar: WorkingCalendar) -> list[dict[str, Any]]:
    """Working days each finished step took, per step: the database counts the tasks per (step, arrival day, finishing
    day), so Python sees one row per pair of days, not one object per task (issue 15)."""
    pairs = (
        Task.objects.filter(deadline__jurisdiction_id=jurisdiction_id, finished__year=year, status=STATUS.DONE)
        .values_list("deadline__step", TruncDate("created"), TruncDate("finished"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    durations: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for step, arrived, done, count in pairs:
        durations[step][calendar.working_days_between(arrived, done)] += count
    rows = []
    for value, label in Step.choices:
        if durations[value]:
            counted = _Counted(durations[value])
            rows.append(
                {
                    "step": label,
                    "count": counted.total,
                    "median": counted.median(),
                    "p90": counted.percentile(0.9),
                    "max": counted.items[-1][0],
                }
            )
    return rows


def dashboard_data(*, jurisdiction_id: int, year: int) -> dict[str, Any]:
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
    steps = _step_durations(jurisdiction_id=jurisdiction_id, year=year, calendar=calendar)

    today = timezone.localdate()
    overdue = list(
        TaskDeadline.objects.filter(
            jurisdiction_id=jurisdiction_id,
            due_date__lt=today,
            task__status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED),
        )
        .select_related("task__owner", "task__process")
        .order_by("due_date")
    )
    overdue_requests = DutyRequest.objects.in_bulk({d.task.process.artifact_object_id for d in overdue})
    overdue_rows = [
        {
            "deadline": d,
            "title": str(d.task.flow_task.task_title),
            "request": overdue_requests.get(d.task.process.artifact_object_id),
            "days": _overdue_days(calendar, d.due_date, today),
        }
        for d in overdue
    ]

    rejections = [
        {"request": c.request, "stage": _("联席会议审核不通过"), "reasons": c.reasons, "when": c.given_at}
        for c in ReviewConclusion.objects.filter(
            request__jurisdiction_id=jurisdiction_id, passes=False, given_at__year=year
        ).select_related("request__department")
    ] + [
        {
            "request": d.request,
            "stage": _("%(stage)s不同意") % {"stage": d.get_stage_display()},
            "reasons": d.reasons,
            "when": d.recorded_at,
        }
        for d in ApprovalDecision.objects.filter(
            request__jurisdiction_id=jurisdiction_id, approves=False, recorded_at__year=year
        ).select_related("request__department")
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


def _overdue_days(calendar: WorkingCalendar, due: date | None, today: date) -> int | None:
    if due is None:  # not reached: the rows are selected by due_date__lt
        return None
    return calendar.working_days_between(due, today)


def rejection_reason_counts(rejections: list[dict[str, Any]]) -> Counter[str]:
    return Counter(r["stage"] for r in rejections)
