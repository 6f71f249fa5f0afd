"""The oversight picture of one banner for one year (Art. 8): reads only, a fixed number of queries."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Q
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


def _percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


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
    durations: dict[str, list[int]] = defaultdict(list)
    finished = (
        Task.objects.filter(deadline__jurisdiction_id=jurisdiction_id, finished__year=year, status=STATUS.DONE)
        .select_related("deadline")
        .only("created", "finished", "deadline__step")
    )
    for task in finished:
        durations[task.deadline.step].append(
            calendar.working_days_between(timezone.localdate(task.created), timezone.localdate(task.finished))
        )
    steps = [
        {
            "step": label,
            "count": len(durations[value]),
            "median": statistics.median(durations[value]),
            "p90": _percentile(durations[value], 0.9),
            "max": max(durations[value]),
        }
        for value, label in Step.choices
        if durations[value]
    ]

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
