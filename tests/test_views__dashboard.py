"""The oversight dashboard (issue 5): who sees it, what it counts, the Excel export, bounded queries."""

import io
import statistics
from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from admission import oversight
from admission.calendar import WorkingCalendar
from admission.models import CalendarYear, Step, TaskDeadline
from tests import support


@pytest.fixture(autouse=True)
def later_years_entered(db):
    CalendarYear.objects.bulk_create([CalendarYear(year=y, source="测试") for y in range(2027, 2031)])


@pytest.fixture
def picture(banner):
    """One admitted, one rejected, one under review with an overdue legality review."""
    admitted = support.to_under_review(banner)
    support.bureau_opinions(banner, admitted)
    support.conclude(banner, admitted)
    support.banner_decides(banner, admitted)
    support.city_decides(banner, admitted)
    rejected = support.to_under_review(banner, duty_name="药品采购监管")
    support.bureau_opinions(banner, rejected, passes=("office", "data"))
    support.conclude(banner, rejected, passes=False)
    waiting = support.to_under_review(banner, duty_name="耕地撂荒排查")
    TaskDeadline.objects.filter(task=support.open_task(waiting, "legality_review")).update(due_date=date(2026, 1, 5))
    return admitted, rejected, waiting


@pytest.mark.parametrize(
    ("key", "status"), [("office", 200), ("leadership", 200), ("justice", 403), ("forestry", 403), ("naji", 403)]
)
def test_only_the_organization_office_and_leadership_see_the_dashboard(client, banner, key, status):
    client.force_login(banner.users[key])
    assert client.get(reverse("admission:dashboard")).status_code == status


def test_dashboard_counts_the_years_picture(client, banner, picture):
    admitted, rejected, waiting = picture
    client.force_login(banner.users["office"])
    body = client.get(reverse("admission:dashboard")).content.decode()
    assert "申请状态（共 3 件）" in body
    assert "逾期任务（1）" in body and "耕地撂荒排查" in body
    assert "法定依据不足" in body  # the rejection's written reasons
    assert "<svg" in body and "那吉镇" in body
    assert "形成审核意见" in body  # a step with finished tasks has its working-day figures


def test_the_excel_export_holds_the_same_figures(client, banner, picture):
    client.force_login(banner.users["leadership"])
    response = client.get(reverse("admission:dashboard"), {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    townships = {row[0]: row[2] for row in book["乡镇职责数"].iter_rows(min_row=2, values_only=True)}
    assert townships["那吉镇"] == 1 and townships["亚东镇"] == 0
    assert [row[1] for row in book["不予准入理由"].iter_rows(min_row=2, values_only=True)] == ["旗林业和草原局"]
    assert book["逾期任务"].max_row == 2


def test_another_year_shows_nothing_of_this_one(client, banner, picture):
    client.force_login(banner.users["office"])
    body = client.get(reverse("admission:dashboard"), {"year": timezone.localdate().year - 1}).content.decode()
    assert "申请状态（共 0 件）" in body


def test_dashboard_queries_do_not_grow_with_cases(client, banner, picture):
    client.force_login(banner.users["office"])
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admission:dashboard"))
    support.to_under_review(banner)
    TaskDeadline.objects.filter(due_date__isnull=False).update(due_date=date(2026, 1, 5))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("admission:dashboard"))
    assert len(many) == len(few) <= 20


def test_step_figures_counted_by_the_database_equal_those_counted_task_by_task(banner, picture):
    """Issue 15: the dashboard's working-day figures come from counts per (step, arrival day, finishing day), not from
    every finished task in Python; they must not change for it (even counts take the mean of the middle pair)."""
    done = Task.objects.filter(status=STATUS.DONE, deadline__isnull=False).order_by("pk")
    for i, task in enumerate(done):
        Task.objects.filter(pk=task.pk).update(created=task.finished - timedelta(days=i % 9))
    calendar = WorkingCalendar(banner.jurisdiction.pk)
    expected: dict[str, list[int]] = defaultdict(list)
    for task in done.select_related("deadline"):
        expected[task.deadline.step].append(
            calendar.working_days_between(timezone.localdate(task.created), timezone.localdate(task.finished))
        )
    rows = oversight.dashboard_data(jurisdiction_id=banner.jurisdiction.pk, year=timezone.localdate().year)["steps"]
    by_label = {str(row["step"]): row for row in rows}
    assert len(by_label) == len(expected) > 3
    for step, values in expected.items():
        row, ordered = by_label[str(Step(step).label)], sorted(values)
        assert row["count"] == len(values)
        assert row["median"] == statistics.median(values)
        assert row["p90"] == ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
        assert row["max"] == max(values)
