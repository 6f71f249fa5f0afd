"""Working days on the official calendar (issue 5): make-up days, the Spring Festival, year ends, unknown years."""

from datetime import date

import pytest

from admission.calendar import UnknownCalendarYear, WorkingCalendar
from admission.models import CalendarDay, CalendarYear, DayUnit


@pytest.fixture
def calendar(db):
    return WorkingCalendar(None)


def test_a_make_up_saturday_is_a_working_day(calendar):
    # 2026-10-10 is a Saturday worked in exchange for the National Day holiday.
    assert date(2026, 10, 10).weekday() == 5
    assert calendar.is_working_day(date(2026, 10, 10))
    assert not calendar.is_working_day(date(2026, 10, 5))  # a Monday inside the National Day holiday


def test_the_spring_festival_is_skipped_when_counting(calendar):
    # 2026: Saturday 14 February is worked, 15–23 February are the holiday, work resumes Tuesday 24 February.
    assert calendar.is_working_day(date(2026, 2, 14))
    assert not any(calendar.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert calendar.add(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert calendar.working_days_between(date(2026, 2, 24), date(2026, 2, 13)) == -2


def test_counting_across_a_year_boundary(calendar):
    # From Wednesday 2025-12-31: New Year's Day 2026 is a holiday, Friday 2 January is not worked either.
    due = calendar.add(date(2025, 12, 31), 1)
    assert due.year == 2026 and calendar.is_working_day(due)
    assert not calendar.is_working_day(date(2026, 1, 1))


def test_natural_days_ignore_the_calendar(calendar):
    assert calendar.add(date(2026, 2, 13), 5, DayUnit.NATURAL) == date(2026, 2, 18)  # inside the holiday


def test_an_unknown_year_fails_loudly_telling_the_administrator_what_to_enter(calendar):
    with pytest.raises(UnknownCalendarYear) as error:
        calendar.is_working_day(date(2027, 3, 1))
    assert "2027年" in str(error.value) and "工作日历调整" in str(error.value)
    with pytest.raises(UnknownCalendarYear):
        calendar.add(date(2026, 12, 30), 5)


def test_an_entered_year_is_counted_with_its_holidays_and_make_up_days(db):
    CalendarYear.objects.create(year=2027, source="国办发明电（测试）")
    CalendarDay.objects.create(date=date(2027, 1, 1), is_working_day=False, note="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 9), is_working_day=True, note="调休上班")
    calendar = WorkingCalendar(None)
    assert not calendar.is_working_day(date(2027, 1, 1))  # a Friday, entered as a holiday
    assert calendar.is_working_day(date(2027, 1, 9))  # a Saturday, entered as a make-up day
    assert not calendar.is_working_day(date(2027, 1, 10))  # an ordinary Sunday
    assert calendar.is_working_day(date(2027, 1, 4))


def test_a_local_day_overrides_the_national_calendar_for_that_banner_only(banner, other_banner):
    CalendarDay.objects.create(
        jurisdiction=banner.jurisdiction, date=date(2026, 7, 15), is_working_day=False, note="那达慕大会"
    )
    assert not WorkingCalendar(banner.jurisdiction.pk).is_working_day(date(2026, 7, 15))
    assert WorkingCalendar(other_banner.jurisdiction.pk).is_working_day(date(2026, 7, 15))
    assert WorkingCalendar(None).is_working_day(date(2026, 7, 15))
