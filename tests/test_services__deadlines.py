"""Due dates of open tasks, urgency in the queues, reminders and escalation (issue 5; Art. 3 and 4(2) time limits)."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from admission.calendar import WorkingCalendar
from admission.models import CalendarYear, NoticeKind, Notification, Role, TaskDeadline, TimeLimit
from admission.services.reminders import send_reminders
from admission.services.setup import add_member
from tests import support


@pytest.fixture(autouse=True)
def later_years_entered(db):
    # Due dates may fall into years the packaged calendar does not cover yet; the tests are not about that.
    CalendarYear.objects.bulk_create([CalendarYear(year=y, source="测试") for y in range(2027, 2031)])


def test_art4_2_each_review_task_is_due_after_its_time_limit_in_working_days(banner):
    TimeLimit.objects.filter(jurisdiction=banner.jurisdiction, step="legality_review").update(days=7)
    request = support.to_under_review(banner)
    task = support.open_task(request, "legality_review")
    deadline = TaskDeadline.objects.get(task=task)
    calendar = WorkingCalendar(banner.jurisdiction.pk)
    assert (deadline.days, deadline.unit) == (7, "working")
    assert deadline.due_date == calendar.add(timezone.localdate(task.created), 7)
    assert calendar.working_days_between(timezone.localdate(task.created), deadline.due_date) == 7


def test_time_limits_are_the_banners_own_settings(banner, other_banner):
    TimeLimit.objects.filter(jurisdiction=banner.jurisdiction, step="consult").update(days=3, unit="natural")
    mine = support.open_task(engine_started(banner), "consult", township=banner.org("naji").pk)
    theirs = support.open_task(engine_started(other_banner), "consult", township=other_banner.org("naji").pk)
    assert (mine.deadline.days, mine.deadline.unit) == (3, "natural")
    assert (theirs.deadline.days, theirs.deadline.unit) == (5, "working")


def engine_started(banner):
    from workflows import actions

    return actions.consult_townships(duty_request=support.draft(banner), actor=banner.users["forestry"])


def test_a_year_nobody_entered_leaves_the_due_date_empty_with_the_reason_and_the_case_goes_on(banner):
    CalendarYear.objects.all().delete()
    request = engine_started(banner)
    task = support.open_task(request, "consult", township=banner.org("naji").pk)
    TaskDeadline.objects.filter(task=task).update(due_date=None, problem="2027年的法定节假日和调休安排尚未录入")
    run = send_reminders(today=timezone.localdate())
    assert any("2027年" in p for p in run.problems)


def test_the_queue_shows_working_days_left_and_orders_by_urgency(client, banner):
    first = engine_started(banner)
    second = engine_started(banner)
    late = support.open_task(second, "consult", township=banner.org("naji").pk)
    TaskDeadline.objects.filter(task=late).update(due_date=date(2026, 1, 5))
    client.force_login(banner.users["naji"])
    body = client.get(reverse("workflows:queue")).content.decode()
    assert "逾期" in body and "剩 5 个工作日" in body
    assert body.index(f"/tasks/{late.pk}/claim/") < body.index(
        f"/tasks/{support.open_task(first, 'consult', township=banner.org('naji').pk).pk}/claim/"
    )
    overdue = client.get(reverse("workflows:queue"), {"urgency": "overdue"}).content.decode()
    assert f"/tasks/{late.pk}/claim/" in overdue and overdue.count("/claim/") == 1


def test_one_reminder_before_the_due_date_and_one_escalation_after_however_often_the_job_runs(
    banner, django_capture_on_commit_callbacks
):
    head = add_member(organization=banner.org("justice"), username="justice_head", password="x", role=Role.HEAD)
    head.email = "head@example.org"
    head.save()
    banner.users["justice"].email = "justice@example.org"
    banner.users["justice"].save()
    request = support.to_under_review(banner)
    task = support.open_task(request, "legality_review")
    due = task.deadline.due_date
    calendar = WorkingCalendar(banner.jurisdiction.pk)

    before = _working_day_before(calendar, due)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            run = send_reminders(today=before)
    reminders = Notification.objects.filter(kind=NoticeKind.REMINDER, key__contains=f":{task.pk}:")
    # Everyone at the justice bureau who may decide: its reviewer and its head; the job ran twice, once each.
    assert sorted(n.user.username for n in reminders) == ["justice", "justice_head"]
    assert run.reminders == 0

    after = calendar.add(due, 1)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):  # e-mails go out once the notices are committed
            send_reminders(today=after)
    escalations = Notification.objects.filter(kind=NoticeKind.ESCALATION, key__contains=f":{task.pk}:")
    assert [n.user for n in escalations] == [head]
    assert "逾期 1 个工作日" in escalations[0].text
    assert sorted(m.to[0] for m in mail.outbox) == ["head@example.org", "head@example.org", "justice@example.org"]
    assert Notification.objects.filter(key__contains=f":{task.pk}:").count() == 3


def _working_day_before(calendar, day):
    from datetime import timedelta

    previous = day - timedelta(days=1)
    while not calendar.is_working_day(previous):
        previous -= timedelta(days=1)
    return previous


def test_finished_steps_show_the_working_days_they_took(client, banner):
    request = support.to_under_review(banner)
    client.force_login(banner.users["office"])
    body = client.get(reverse("admission:request_detail", args=[request.pk])).content.decode()
    assert "各环节用时" in body and "0 / 5" in body  # consultation answered the day it arrived, limit 5
