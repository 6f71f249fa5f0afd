"""Reminders before a due date and escalation of overdue tasks (issue 5). Safe to run any number of times."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from ..calendar import UnknownCalendarYear, WorkingCalendar
from ..models import DutyStatus, Membership, NoticeKind, Notification, Role, TaskDeadline, TownshipDuty
from ..models.organizations import DECIDING_ROLES
from ..permissions import organization_id_from_permission

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


def _people_holding(task: Task) -> list[User]:
    """Who should act: the person who claimed it, or everyone of the organization who may claim it."""
    if task.owner_id:
        return [task.owner]
    org_id = organization_id_from_permission(task.owner_permission)
    if org_id is None:
        return []
    members = Membership.objects.filter(organization_id=org_id).select_related("user")
    if task.owner_permission.endswith("_decide"):
        members = members.filter(role__in=DECIDING_ROLES)
    return [m.user for m in members if m.user.is_active]


def _heads_of(task: Task) -> list[User]:
    org_id = organization_id_from_permission(task.owner_permission)
    if org_id is None:
        return []
    return [m.user for m in Membership.objects.filter(organization_id=org_id, role=Role.HEAD).select_related("user")
            if m.user.is_active]


def _notify(*, user: User, kind: NoticeKind, subject_id: int, text: str, link: str) -> bool:
    """Create the notice once; e-mail it when the person has an address. Returns whether it is new."""
    with transaction.atomic():
        notice, created = Notification.objects.get_or_create(
            key=f"{kind}:{subject_id}:{user.pk}", defaults={"user": user, "kind": kind, "text": text, "link": link},
        )
        if created and user.email:
            send_mail(subject=_("【乡镇职责准入】%(kind)s") % {"kind": NoticeKind(kind).label}, message=text, from_email=None,
                      recipient_list=[user.email])
            Notification.objects.filter(pk=notice.pk).update(emailed=True)
    return created


def send_reminders(*, today: date) -> ReminderRun:
    run = ReminderRun()
    calendars: dict[int, WorkingCalendar] = {}
    deadlines = (TaskDeadline.objects.filter(task__status__in=OPEN)
                 .select_related("task__owner", "task__process").order_by("due_date", "pk"))
    for deadline in deadlines:
        task = deadline.task
        title = task.flow_task.task_title
        if deadline.due_date is None:
            run.problems.append(_("任务 %(task)s（%(title)s）：%(problem)s") % {"task": task.pk, "title": title, "problem": deadline.problem})
            continue
        calendar = calendars.setdefault(deadline.jurisdiction_id, WorkingCalendar(deadline.jurisdiction_id))
        try:
            left = calendar.working_days_between(today, deadline.due_date)
        except UnknownCalendarYear as error:
            run.problems.append(_("任务 %(task)s（%(title)s）：%(problem)s") % {"task": task.pk, "title": title, "problem": error})
            continue
        if deadline.due_date < today:
            text = _("“%(title)s”已于 %(due)s 到期，逾期 %(days)s 个工作日，请督促办理。") % {
                "title": title, "due": f"{deadline.due_date:%Y-%m-%d}", "days": -left}
            run.escalations += sum(_notify(user=u, kind=NoticeKind.ESCALATION, subject_id=task.pk, text=text,
                                           link=reverse("workflows:execute", args=[task.pk]))
                                   for u in _heads_of(task))
        elif left <= REMIND_WORKING_DAYS_BEFORE:
            when = _("今天") if left == 0 else _("%(days)s 个工作日后") % {"days": left}
            text = _("“%(title)s”将于%(when)s（%(due)s）到期，请及时办理。") % {
                "title": title, "when": when, "due": f"{deadline.due_date:%Y-%m-%d}"}
            run.reminders += sum(_notify(user=u, kind=NoticeKind.REMINDER, subject_id=task.pk, text=text,
                                         link=reverse("workflows:execute", args=[task.pk]))
                                 for u in _people_holding(task))
    run.expiries = _prompt_expired_duties(today=today)
    return run


def _prompt_expired_duties(*, today: date) -> int:
    """Art. 4(4): a temporary task past its end date prompts its department to start the exit (or an adjustment)."""
    sent = 0
    expired = TownshipDuty.objects.filter(status=DutyStatus.ACTIVE, end_date__lt=today).select_related(
        "township", "department")
    for duty in expired:
        text = _("临时性任务“%(duty)s”（%(township)s）已于 %(end)s 到期，请启动退出程序，或申请调整为常态化职责。") % {
            "duty": duty.duty_name, "township": duty.township.name, "end": f"{duty.end_date:%Y-%m-%d}"}
        for membership in Membership.objects.filter(organization=duty.department).select_related("user"):
            sent += _notify(user=membership.user, kind=NoticeKind.DUTY_EXPIRED, subject_id=duty.pk, text=text,
                            link=reverse("admission:duty_detail", args=[duty.pk]))
    return sent
