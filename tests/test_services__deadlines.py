"""Due dates of open tasks, urgency in the queues, reminders and escalation (issue 5; Art. 3 and 4(2) time limits)."""

import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from admission.calendar import WorkingCalendar
from admission.models import (
    AuditAction,
    AuditEvent,
    CalendarDay,
    CalendarYear,
    DayUnit,
    NoticeKind,
    Notification,
    Role,
    TaskDeadline,
    TimeLimit,
)
from admission.services.deadlines import DEFAULT_TIME_LIMITS, set_deadline, time_limit, time_limits
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


def test_issue15_each_review_the_split_opens_gets_its_own_deadline_inserted_with_the_others(banner):
    """The three deadlines are inserted together at the end of the action that opens the reviews: each still belongs
    to its task, with its step's time limit."""
    limits = {"lead_review": 8, "legality_review": 7, "data_review": 6}
    for step, days in limits.items():
        TimeLimit.objects.filter(jurisdiction=banner.jurisdiction, step=step).update(days=days)
    request = support.to_under_review(banner)
    calendar = WorkingCalendar(banner.jurisdiction.pk)
    for step, days in limits.items():
        task = support.open_task(request, step)
        deadline = TaskDeadline.objects.get(task=task)
        assert (deadline.step, deadline.days, deadline.jurisdiction_id) == (step, days, banner.jurisdiction.pk)
        assert deadline.due_date == calendar.add(timezone.localdate(task.created), days)


def test_time_limits_are_the_banners_own_settings(banner, other_banner):
    TimeLimit.objects.filter(jurisdiction=banner.jurisdiction, step="consult").update(days=3, unit="natural")
    mine = support.open_task(engine_started(banner), "consult", township=banner.org("naji").pk)
    theirs = support.open_task(engine_started(other_banner), "consult", township=other_banner.org("naji").pk)
    assert (mine.deadline.days, mine.deadline.unit) == (3, "natural")
    assert (theirs.deadline.days, theirs.deadline.unit) == (5, "working")


def engine_started(banner):
    from workflows import actions

    return actions.consult_townships(duty_request=support.draft(banner), actor=banner.users["forestry"])


def _consult_task_arriving(banner, day):
    """A consultation task of a new case, as if it had arrived on `day` (its due date counted from then)."""
    from datetime import datetime, time

    from viewflow.workflow.models import Task

    task = support.open_task(engine_started(banner), "consult", township=banner.org("naji").pk)
    Task.objects.filter(pk=task.pk).update(created=timezone.make_aware(datetime.combine(day, time(9, 30))))
    task.refresh_from_db()
    TaskDeadline.objects.filter(task=task).delete()  # set_deadline gives a new task its first deadline
    set_deadline(task=task, jurisdiction_id=banner.jurisdiction.pk)
    return TaskDeadline.objects.get(task=task)


def test_holiday_measures_a_limit_running_into_a_year_not_entered_gets_a_provisional_due_date(banner):
    # 《全国年节及纪念日放假办法》 Art. 2: from Monday 28 December 2026, 5 working days (Art. 3 consultation) are
    # 29–31 December, then — 1 January 2027 being 元旦 and 2–3 January a weekend — 4 and 5 January.
    CalendarYear.objects.all().delete()
    deadline = _consult_task_arriving(banner, date(2026, 12, 28))
    assert deadline.due_date == date(2027, 1, 5)
    assert deadline.provisional and "2027年" in deadline.problem and "工作日历调整" in deadline.problem
    within_the_year = _consult_task_arriving(banner, date(2026, 12, 1))
    assert within_the_year.due_date == date(2026, 12, 8) and not within_the_year.provisional


def test_holiday_measures_entering_the_years_schedule_counts_every_open_due_date_again(banner, django_user_model):
    CalendarYear.objects.all().delete()
    open_deadline = _consult_task_arriving(banner, date(2026, 12, 28))
    finished = _consult_task_arriving(banner, date(2026, 12, 28))
    finished.task.status = "DONE"
    finished.task.save()
    # The schedule published for 2027 (hypothetical here): 1 January and Monday 4 January off.
    CalendarDay.objects.create(date=date(2027, 1, 1), is_working_day=False, note="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 4), is_working_day=False, note="元旦调休")
    open_deadline.refresh_from_db()
    assert open_deadline.due_date == date(2027, 1, 6) and open_deadline.provisional  # the year is not declared yet
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕X号")
    open_deadline.refresh_from_db()
    assert open_deadline.due_date == date(2027, 1, 6) and not open_deadline.provisional
    finished.refresh_from_db()
    assert finished.due_date == date(2027, 1, 5) and finished.provisional  # a closed task keeps its record
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE, note__contains="重新计算").last()
    assert event is not None and open_deadline.pk in event.data["deadlines"]
    assert finished.pk not in event.data["deadlines"]


def test_holiday_measures_the_clerk_sees_a_provisional_date_and_only_the_administrator_the_instruction(
    client, banner, django_user_model
):
    CalendarYear.objects.all().delete()
    deadline = _consult_task_arriving(banner, date(2026, 12, 28))
    client.force_login(banner.users["naji"])
    queue = client.get(reverse("workflows:queue")).content.decode()
    assert f"/tasks/{deadline.task.pk}/claim/" in queue
    assert "2027-01-05" in queue and "暂估" in queue
    assert "工作日历调整" not in queue and "到期日无法计算" not in queue
    case = reverse("admission:request_detail", args=[deadline.task.process.artifact_object_id])
    assert "暂估" in client.get(case).content.decode()
    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    for page in ("admin:admission_calendarday_changelist", "admin:admission_calendaryear_changelist"):
        body = client.get(reverse(page), follow=True).content.decode()
        assert "2027年的法定节假日和调休安排尚未录入" in body and "1 项未办结任务的到期日为暂估" in body


def test_holiday_measures_reminders_go_out_on_the_provisional_date_and_the_administrator_is_told_once(banner):
    CalendarYear.objects.all().delete()
    first = _consult_task_arriving(banner, date(2026, 12, 28))
    _consult_task_arriving(banner, date(2026, 12, 29))
    run = send_reminders(today=date(2027, 1, 4))
    assert len([p for p in run.problems if "2027年" in p]) == 1
    reminder = Notification.objects.get(kind=NoticeKind.REMINDER, key__contains=f":{first.task.pk}:")
    assert "2027-01-05（暂估）" in reminder.text


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
    assert f"/tasks/{late.pk}/claim/" in overdue and len(re.findall(r"/tasks/\d+/claim/", overdue)) == 1


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


def test_issue15_a_banners_calendar_is_read_once_and_again_after_a_holiday_is_entered(
    banner, django_assert_num_queries
):
    """Issue 15 (scale): a new task's due date reads the banner's calendar from the cache, not from the database; a
    day entered by the administrator (here the first working day the count would use, declared a holiday) is in the
    next count at once."""
    request = support.to_under_review(banner)
    task = support.open_task(request, "legality_review")
    start = timezone.localdate(task.created)
    before = WorkingCalendar(banner.jurisdiction.pk).add(start, 10)
    with django_assert_num_queries(0):  # the entries and the declared years come from the cache
        assert WorkingCalendar(banner.jurisdiction.pk).add(start, 10) == before

    first_counted = WorkingCalendar(banner.jurisdiction.pk).add(start, 1)
    CalendarDay.objects.create(jurisdiction=banner.jurisdiction, date=first_counted, is_working_day=False, note="测试")

    after = WorkingCalendar(banner.jurisdiction.pk).add(start, 10)
    assert after > before
    assert WorkingCalendar(banner.jurisdiction.pk).is_working_day(first_counted) is False


def test_issue15_a_banners_time_limits_are_read_once_and_again_after_a_limit_changes_at_any_level(
    banner, django_assert_num_queries
):
    """Issue 15 (scale): a new task's time limits come from the cache, not from the database; the banner's own limit
    changed, removed (the default then applies), or one set on the region above it, counts in the next deadline."""
    jurisdiction_id = banner.jurisdiction.pk
    first = time_limits(jurisdiction_id=jurisdiction_id)
    with django_assert_num_queries(0):
        assert time_limits(jurisdiction_id=jurisdiction_id) == first

    own = TimeLimit.objects.get(jurisdiction=banner.jurisdiction, step="intake")
    own.days, own.unit = first["intake"][0] + 5, DayUnit.NATURAL
    own.save()
    assert time_limit(jurisdiction_id=jurisdiction_id, step="intake") == (first["intake"][0] + 5, DayUnit.NATURAL)

    own.delete()
    assert time_limit(jurisdiction_id=jurisdiction_id, step="intake") == DEFAULT_TIME_LIMITS["intake"]

    above = support.levels_above(banner)  # the banner moved under a city under the region
    TimeLimit.objects.create(jurisdiction=above.region, step="intake", days=23)
    assert time_limit(jurisdiction_id=jurisdiction_id, step="intake") == (23, DayUnit.WORKING)
