"""Working days on the official calendar (issue 5): make-up days, the Spring Festival, year ends, unknown years."""

from datetime import date

import pytest

from admission.calendar import WorkingCalendar, statutory_holidays
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


def test_holiday_measures_art2_a_year_nobody_entered_is_counted_on_the_statutory_holidays(calendar):
    # 《全国年节及纪念日放假办法》(2024) Art. 2: 元旦 1, 春节 4 (除夕 to 初三), 清明 1, 劳动节 2, 端午 1, 中秋 1,
    # 国庆 3 days. 2027 is not in the packaged calendar: 除夕 is Friday 5 February, 端午 9 June, 中秋 15 September.
    assert not calendar.is_official(2027)
    holidays = statutory_holidays(2027)
    for day in (date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 4, 5), date(2027, 6, 9)):
        assert day in holidays and not calendar.is_working_day(day)
    assert date(2027, 9, 15) in holidays and date(2027, 10, 1) in holidays
    assert calendar.is_working_day(date(2027, 1, 4))  # an ordinary Monday
    assert not calendar.is_working_day(date(2027, 1, 9))  # an ordinary Saturday: no make-up day can be foreseen


def test_holiday_measures_art6_a_holiday_on_a_weekend_is_made_up_on_the_next_working_day(calendar):
    # 2027: 劳动节 is Saturday 1 and Sunday 2 May, made up on Monday 3 and Tuesday 4 May; 国庆 2–3 October likewise.
    assert {date(2027, 5, 3), date(2027, 5, 4), date(2027, 10, 4), date(2027, 10, 5)} <= statutory_holidays(2027)
    assert calendar.is_working_day(date(2027, 5, 5)) and calendar.is_working_day(date(2027, 10, 6))


def test_holiday_measures_the_statutory_days_are_days_off_in_every_official_year_since_the_2024_amendment(calendar):
    # The estimate never counts a statutory holiday as worked: checked against the published 2025 and 2026 schedules.
    for year in (2025, 2026):
        assert calendar.is_official(year)
        assert not [day for day in statutory_holidays(year) if calendar.is_working_day(day)]


def test_counting_into_a_year_nobody_entered_tells_which_years_were_estimated(calendar):
    due = calendar.add(date(2026, 12, 28), 5)
    # 29, 30, 31 December; 1 January 2027 is 元旦 and 2–3 January a weekend; then 4 and 5 January.
    assert due == date(2027, 1, 5)
    assert calendar.estimated_years(date(2026, 12, 28), due) == [2027]
    assert calendar.estimated_years(date(2026, 12, 1), date(2026, 12, 31)) == []


def test_an_entered_year_is_counted_with_its_holidays_and_make_up_days(db):
    CalendarYear.objects.create(year=2027, source="国办发明电（测试）")
    CalendarDay.objects.create(date=date(2027, 1, 1), is_working_day=False, note="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 9), is_working_day=True, note="调休上班")
    calendar = WorkingCalendar(None)
    assert calendar.is_official(2027)
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
