"""Reminders before a due date and escalation of overdue tasks (issue 5). Safe to run any number of times.

The scheduler (Celery beat, admission.daily_reminders) runs `daily_run` each working morning; `manage.py
send_reminders` runs `send_reminders` by hand. Notices are e-mailed by a task once they are committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, cast

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from ..calendar import WorkingCalendar, missing_year_instruction
from ..models import DutyStatus, Membership, NoticeKind, Role, TaskDeadline, TownshipDuty
from ..permissions import organization_id_from_permission
from .deadlines import recompute_open_deadlines
from .notifications import notify, people_holding

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

OPEN = ("NEW", "ASSIGNED", "STARTED")
REMIND_WORKING_DAYS_BEFORE = 1


@dataclass
class ReminderRun:
    reminders: int = 0
    escalations: int = 0
    expiries: int = 0
    problems: list[str] = field(default_factory=list)


def _heads_of(task: Task) -> list[User]:
    org_id = organization_id_from_permission(task.owner_permission)
    if org_id is None:
        return []
    return [
        m.user
        for m in Membership.objects.filter(organization_id=org_id, role=Role.HEAD).select_related("user")
        if m.user.is_active
    ]


def _notify(*, user: User, kind: NoticeKind, subject_id: int, text: str, link: str) -> bool:
    return notify(user=user, kind=kind, key=f"{kind}:{subject_id}:{user.pk}", text=text, link=link)


def send_reminders(*, today: date) -> ReminderRun:
    """Remind and escalate on every open due date, provisional ones (暂估) too; what only the administrator can fix
    (a year's schedule to enter) is collected in `problems`, once each."""
    run = ReminderRun()
    recompute_open_deadlines(reason="到期提醒前核对暂估到期日", only_provisional=True)
    calendars: dict[int, WorkingCalendar] = {}
    deadlines = (
        TaskDeadline.objects.filter(task__status__in=OPEN, due_date__isnull=False)
        .select_related("task__owner", "task__process")
        .order_by("due_date", "pk")
    )
    for deadline in deadlines:
        task = deadline.task
        title = task.flow_task.task_title
        if deadline.problem and deadline.problem not in run.problems:
            run.problems.append(deadline.problem)
        due_date = cast(date, deadline.due_date)  # selected non-null
        calendar = calendars.setdefault(deadline.jurisdiction_id, WorkingCalendar(deadline.jurisdiction_id))
        left = calendar.working_days_between(today, due_date)
        due = f"{due_date:%Y-%m-%d}" + (_("（暂估）") if deadline.problem else "")
        if due_date < today:
            text = _("“%(title)s”已于 %(due)s 到期，逾期 %(days)s 个工作日，请督促办理。") % {
                "title": title,
                "due": due,
                "days": -left,
            }
            run.escalations += sum(
                _notify(
                    user=u,
                    kind=NoticeKind.ESCALATION,
                    subject_id=task.pk,
                    text=text,
                    link=reverse("workflows:execute", args=[task.pk]),
                )
                for u in _heads_of(task)
            )
        elif left <= REMIND_WORKING_DAYS_BEFORE:
            when = _("今天") if left == 0 else _("%(days)s 个工作日后") % {"days": left}
            text = _("“%(title)s”将于%(when)s（%(due)s）到期，请及时办理。") % {
                "title": title,
                "when": when,
                "due": due,
            }
            run.reminders += sum(
                _notify(
                    user=u,
                    kind=NoticeKind.REMINDER,
                    subject_id=task.pk,
                    text=text,
                    link=reverse("workflows:execute", args=[task.pk]),
                )
                for u in people_holding(task)
            )
    run.expiries = _prompt_expired_duties(today=today)
    return run


def _prompt_expired_duties(*, today: date) -> int:
    """Art. 4(4): a temporary task past its end date prompts its department to start the exit (or an adjustment)."""
    sent = 0
    expired = TownshipDuty.objects.filter(status=DutyStatus.ACTIVE, end_date__lt=today).select_related(
        "township", "department"
    )
    for duty in expired:
        text = _("临时性任务“%(duty)s”（%(township)s）已于 %(end)s 到期，请启动退出程序，或申请调整为常态化职责。") % {
            "duty": duty.duty_name,
            "township": duty.township.name,
            "end": f"{duty.end_date:%Y-%m-%d}",
        }
        for membership in Membership.objects.filter(organization=duty.department).select_related("user"):
            sent += _notify(
                user=membership.user,
                kind=NoticeKind.DUTY_EXPIRED,
                subject_id=duty.pk,
                text=text,
                link=reverse("admission:duty_detail", args=[duty.pk]),
            )
    return sent


def daily_run(*, today: date) -> ReminderRun | None:
    """The scheduler's morning run: only on a working day of the national calendar (None on other days). A year
    nobody has entered yet does not stop it: the administrators are told, and the statutory holidays decide meanwhile."""
    calendar = WorkingCalendar(None)
    if not calendar.is_official(today.year):
        report_to_administrators(text=missing_year_instruction(today.year), key=f"calendar-{today.year}")
    if not calendar.is_working_day(today):
        return None
    run = send_reminders(today=today)
    if run.problems:
        more = _("（另有 %(count)s 项，见日志）") % {"count": len(run.problems) - 1} if len(run.problems) > 1 else ""
        report_to_administrators(
            text=_("%(day)s 的到期提醒有未能处理的任务：%(problem)s%(more)s")
            % {"day": f"{today:%Y-%m-%d}", "problem": run.problems[0], "more": more},
            key=f"reminders-{today:%Y%m%d}",
        )
    return run


def report_to_administrators(*, text: str, key: str) -> int:
    """A problem only the administrator can fix: logged, and an in-app notice (e-mailed too) to every active
    superuser, once per `key`. Returns how many notices are new."""
    log.error("for the administrator: %s", text)
    link = reverse("admin:admission_calendarday_changelist")
    sent = 0
    for user in get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk"):
        created = notify(user=user, kind=NoticeKind.REMINDER, key=f"admin:{key}:{user.pk}", text=text, link=link)
        sent += created
    return sent
