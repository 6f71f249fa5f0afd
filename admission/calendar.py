"""Working days on the official Chinese calendar, with make-up working days (调休), and local overrides.

Where a day comes from, in order: the jurisdiction's own entry; a national entry the administrator made; the
`chinese_calendar` package for the years it covers; a year the administrator declared entered (CalendarYear),
where unentered days follow the weekday rule. Any other year — typically the next one, in December, before the
State Council publishes its schedule — is estimated from the statutory holidays of 《全国年节及纪念日放假办法》
(as amended 2024) and the weekends: a due date counted on such a year is provisional (暂估) and is counted again
when the year's schedule is entered (services.deadlines.recompute_open_deadlines).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar
from django.db.models import Q
from django.utils.translation import gettext as _
from lunardate import LunarDate

from .models import CalendarDay, CalendarYear, DayUnit
from .versioned_cache import VersionedCache

# Each jurisdiction's calendar entries (its own and the national ones) and the declared years, kept in the cache until
# they change (receivers.py, forget_calendars): a new task's due date then needs no query of its own. A process without
# Redis may count with the old entries for CALENDAR_CACHE_SECONDS at most, on a calendar changed about once a year.
CALENDAR_CACHE_SECONDS = 60
_CALENDARS: VersionedCache[tuple[dict[date, bool], set[int]]] = VersionedCache("calendar", CALENDAR_CACHE_SECONDS)


def forget_calendars() -> None:
    """After the calendar's entries changed: every calendar is read again."""
    _CALENDARS.forget()


def missing_year_instruction(year: int) -> str:
    """What the administrator must do about a year counted on the estimate (shown to administrators only)."""
    return _(
        "%(year)s年的法定节假日和调休安排尚未录入：请管理员在“管理后台 → 工作日历调整”中按国务院办公厅通知录入"
        "%(year)s年的节假日和调休上班日，并在“已录入的年度节假日安排”中登记%(year)s年。"
    ) % {"year": year}


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """The days off of `year` under 《全国年节及纪念日放假办法》 (2024): Art. 2's holidays for all citizens —
    元旦 1 day, 春节 4 days (除夕 to 正月初三), 清明节 1 day, 劳动节 2 days, 端午节 1 day, 中秋节 1 day,
    国庆节 3 days — and Art. 6: one that falls on a Saturday or Sunday is made up on the next working day.
    The make-up working days (调休) are decided each year by the State Council and cannot be foreseen."""
    spring = LunarDate(year, 1, 1).to_solar_date()
    (qingming, _name), *_rest = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    days = [
        date(year, 1, 1),
        *(spring + timedelta(days=n) for n in range(-1, 3)),
        qingming,
        date(year, 5, 1),
        date(year, 5, 2),
        LunarDate(year, 5, 5).to_solar_date(),
        LunarDate(year, 8, 15).to_solar_date(),
        *(date(year, 10, n) for n in (1, 2, 3)),
    ]
    off = set(days)
    for day in sorted(days):
        if day.weekday() >= 5:
            instead = day
            while instead.weekday() >= 5 or instead in off:
                instead += timedelta(days=1)
            off.add(instead)
    return frozenset(off)


def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """One jurisdiction's calendar; reads its overrides in two queries, once (then from the cache until they
    change)."""

    def __init__(self, jurisdiction_id: int | None):
        self.jurisdiction_id = jurisdiction_id
        self._days: dict[date, bool] | None = None
        self._declared: set[int] = set()
        self._covered: dict[int, bool] = {}

    def _load(self) -> dict[date, bool]:
        if self._days is None:
            self._days, self._declared = _CALENDARS.get(self.jurisdiction_id, self._read)
        return self._days

    def _read(self) -> tuple[dict[date, bool], set[int]]:
        national: dict[date, bool] = {}
        local: dict[date, bool] = {}
        rows = CalendarDay.objects.filter(Q(jurisdiction__isnull=True) | Q(jurisdiction_id=self.jurisdiction_id))
        for row in rows.values("jurisdiction_id", "date", "is_working_day"):
            (national if row["jurisdiction_id"] is None else local)[row["date"]] = row["is_working_day"]
        return national | local, set(CalendarYear.objects.values_list("year", flat=True))

    def is_official(self, year: int) -> bool:
        """Whether `year` follows the official schedule (packaged or entered), not the statutory estimate."""
        self._load()
        if year not in self._covered:
            self._covered[year] = _package_covers(year)
        return self._covered[year] or year in self._declared

    def estimated_years(self, start: date, end: date) -> list[int]:
        """The years between `start` and `end` (either order) counted on the statutory estimate."""
        low, high = sorted((start, end))
        return [year for year in range(low.year, high.year + 1) if not self.is_official(year)]

    def is_working_day(self, day: date) -> bool:
        days = self._load()
        if day in days:
            return days[day]
        if self.is_official(day.year):
            if self._covered[day.year]:
                return bool(chinese_calendar.is_workday(day))
            return day.weekday() < 5
        return day.weekday() < 5 and day not in statutory_holidays(day.year)

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
