import pytest

from sim.config.schema import CalendarSpec
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar

MON = 0
H = 60


@pytest.fixture
def cal() -> WorkCalendar:
    # 2023-01-02 is a Monday; 2023-01-04 (Wednesday) is made a holiday here; no official
    # calendar, so that only the scenario's dates count.
    return WorkCalendar(CalendarSpec(start_date="2023-01-02", holidays=["2023-01-04"],
                                     official_calendar=None))


def at(day: int, hhmm: str) -> float:
    h, m = hhmm.split(":")
    return day * MINUTES_PER_DAY + int(h) * H + int(m)


def test_working_minutes_per_day(cal):
    assert cal.minutes_per_day == 4 * H + 4 * H  # 09:00-13:00 and 14:30-18:30


@pytest.mark.parametrize(
    "t, expected",
    [
        (at(MON, "08:00"), at(MON, "09:00")),  # before work
        (at(MON, "10:00"), at(MON, "10:00")),  # during work
        (at(MON, "13:00"), at(MON, "14:30")),  # lunch starts
        (at(MON, "13:45"), at(MON, "14:30")),  # during lunch
        (at(MON, "18:30"), at(1, "09:00")),  # end of day
        (at(1, "20:00"), at(3, "09:00")),  # Tuesday night -> Thursday (Wednesday holiday)
        (at(4, "19:00"), at(7, "09:00")),  # Friday night -> Monday
        (at(5, "12:00"), at(7, "09:00")),  # Saturday
    ],
)
def test_next_working(cal, t, expected):
    assert cal.next_working(t) == expected


@pytest.mark.parametrize(
    "start, minutes, expected",
    [
        (at(MON, "09:00"), 30, at(MON, "09:30")),
        (at(MON, "12:30"), 60, at(MON, "15:00")),  # 30 min before lunch, 30 after
        (at(MON, "12:00"), 60, at(MON, "13:00")),  # ends exactly at lunch: the earliest time
        (at(MON, "18:00"), 60, at(1, "09:30")),  # over the night
        (at(1, "18:00"), 60, at(3, "09:30")),  # over the holiday
        (at(4, "18:00"), 60, at(7, "09:30")),  # over the weekend
        (at(MON, "07:00"), 480, at(MON, "18:30")),  # a whole working day from before work
        (at(MON, "10:00"), 0, at(MON, "10:00")),
        (at(MON, "20:00"), 0, at(MON, "20:00")),  # zero work does not move time
    ],
)
def test_add(cal, start, minutes, expected):
    assert cal.add(start, minutes) == pytest.approx(expected)


def test_add_is_inverse_of_working_minutes(cal):
    t = at(MON, "11:17")
    for minutes in [1, 100, 481, 2000, 12345]:
        end = cal.add(t, minutes)
        assert cal.working_minutes(t, end) == pytest.approx(minutes)


def test_deadline_counts_working_days(cal):
    # Created Monday; 3 working days later skips the Wednesday holiday: Tue, Thu, Fri.
    assert cal.deadline(at(MON, "10:00"), 3) == at(4, "18:30")
    assert cal.deadline(at(4, "10:00"), 1) == at(7, "18:30")  # Friday -> Monday


def test_horizon_is_midnight_after_nth_working_day(cal):
    assert cal.end_of_working_days(0) == 0
    assert cal.end_of_working_days(2) == 2 * MINUTES_PER_DAY
    assert cal.end_of_working_days(3) == 4 * MINUTES_PER_DAY  # Wednesday is a holiday


def test_far_future_extends_tables(cal):
    t = cal.add(0.0, 480 * 1000)  # a thousand working days
    assert cal.working_minutes(0.0, t) == pytest.approx(480 * 1000)


def test_round_the_clock_calendar():
    cal = WorkCalendar(
        CalendarSpec(workdays=list(range(7)), work_periods=[("00:00", "24:00")], holidays=[])
    )
    assert cal.add(123.5, 10_000) == pytest.approx(10_123.5)
    assert cal.next_working(777.0) == 777.0


def test_start_must_be_monday():
    with pytest.raises(ValueError, match="not a Monday"):
        WorkCalendar(CalendarSpec(start_date="2023-01-03"))
