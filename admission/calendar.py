"""Working days on the official Chinese calendar, with make-up working days (调休), and local overrides.

Where a day comes from, in order: the jurisdiction's own entry; a national entry the administrator made; the
`chinese_calendar` package for the years it covers; a year the administrator declared entered (CalendarYear),
where unentered days follow the weekday rule. Any other year raises UnknownCalendarYear: a legal time limit is
never counted on a guess.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import CalendarDay, CalendarYear, DayUnit


class UnknownCalendarYear(Exception):
    def __init__(self, year: int):
        self.year = year
        super().__init__(
            _(
                "%(year)s年的法定节假日和调休安排尚未录入：请管理员在“管理后台 → 工作日历调整”中按国务院办公厅通知录入"
                "%(year)s年的节假日和调休上班日，并在“已录入的年度节假日安排”中登记%(year)s年。"
            )
            % {"year": year}
        )


def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """One jurisdiction's calendar; reads its overrides in two queries, once."""

    def __init__(self, jurisdiction_id: int | None):
        self.jurisdiction_id = jurisdiction_id
        self._days: dict[date, bool] | None = None
        self._declared: set[int] = set()
        self._covered: dict[int, bool] = {}

    def _load(self) -> dict[date, bool]:
        if self._days is None:
            national: dict[date, bool] = {}
            local: dict[date, bool] = {}
            rows = CalendarDay.objects.filter(Q(jurisdiction__isnull=True) | Q(jurisdiction_id=self.jurisdiction_id))
            for row in rows.values("jurisdiction_id", "date", "is_working_day"):
                (national if row["jurisdiction_id"] is None else local)[row["date"]] = row["is_working_day"]
            self._days = national | local
            self._declared = set(CalendarYear.objects.values_list("year", flat=True))
        return self._days

    def is_working_day(self, day: date) -> bool:
        days = self._load()
        if day in days:
            return days[day]
        if day.year not in self._covered:
            self._covered[day.year] = _package_covers(day.year)
        if self._covered[day.year]:
            return chinese_calendar.is_workday(day)
        if day.year in self._declared:
            return day.weekday() < 5
        raise UnknownCalendarYear(day.year)

    def add(self, start: date, days: int, unit: str = DayUnit.WORKING) -> date:
        """The due date `days` days after `start` (the start day itself not counted)."""
        if unit == DayUnit.NATURAL:
            return start + timedelta(days=days)
        day, counted = start, 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative when `end` is before `start`."""
        sign, (low, high) = (1, (start, end)) if end >= start else (-1, (end, start))
        count, day = 0, low
        while day < high:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return sign * count
