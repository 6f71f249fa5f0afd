"""Working days, time limits per step, due dates of open tasks, and the reminders sent about them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..procedure import DayUnit, Step
from .organizations import Jurisdiction


class CalendarDay(models.Model):
    """An entry that overrides the packaged official calendar: a national day (no jurisdiction) or a local one."""

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_days",
        verbose_name=_("旗县（区）"),
        help_text=_("留空表示全国通用（如国务院公布的节假日和调休安排）。"),
    )
    date = models.DateField(_("日期"))
    is_working_day = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, help_text=_("如：春节、国庆节调休上班、那达慕大会。"))

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "date"], name="calendar_day_once"),
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(jurisdiction__isnull=True), name="calendar_national_day_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.note}"


class CalendarYear(models.Model):
    """A year whose official holiday schedule the administrator has entered as CalendarDay rows."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("依据"), max_length=200, help_text=_("如：国办发明电〔2026〕X号。"))

    class Meta:
        verbose_name = _("已录入的年度节假日安排")
        verbose_name_plural = _("已录入的年度节假日安排")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class TimeLimit(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="time_limits")
    step = models.CharField(_("环节"), max_length=32, choices=Step.choices)
    days = models.PositiveSmallIntegerField(_("时限"))
    unit = models.CharField(_("计算方式"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        ordering = ["jurisdiction", "step"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "step"], name="time_limit_once")]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.days}{self.get_unit_display()}"


class TaskDeadline(models.Model):
    """The due date of one human task, fixed when the task is created."""

    task = models.OneToOneField("viewflow.Task", on_delete=models.CASCADE, related_name="deadline")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=32, choices=Step.choices)
    days = models.PositiveSmallIntegerField()
    unit = models.CharField(max_length=16, choices=DayUnit.choices)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    # When due_date was counted on a year whose schedule nobody has entered (on the statutory holidays): what the
    # administrator must enter. The date is provisional (暂估) while it is set; entering the year clears it.
    problem = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("任务时限")
        verbose_name_plural = _("任务时限")

    def __str__(self) -> str:
        return f"{self.get_step_display()}: {self.due_date.isoformat() if self.due_date else self.problem}"

    @property
    def provisional(self) -> bool:
        return bool(self.problem)


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", _("到期提醒")
    ESCALATION = "escalation", _("逾期督办")
    DUTY_EXPIRED = "duty_expired", _("临时性任务到期")
    URGED = "urged", _("催办")
    REASSIGNED = "reassigned", _("转办")
    COPIED = "copied", _("抄送")
    TASK_ARRIVED = "task", _("新任务")
    RETURNED = "returned", _("退回")
    DECIDED = "decided", _("审批决定")
    DOCUMENT_ISSUED = "document", _("公文印发")


class Notification(models.Model):
    """An in-app notice to one person; `key` makes each reminder or escalation happen once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    key = models.CharField(max_length=120, unique=True)
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text
