import importlib.metadata
import json

import pytest

import sim.model.calendar as calendar_module
from sim.config.schema import CalendarSpec
from sim.model.cache import CACHE_ENV
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
    # The calendar says so itself when handed an unchecked spec.
    with pytest.raises(ValueError, match="2023-01-03 is not a Monday"):
        WorkCalendar(CalendarSpec.model_construct(start_date="2023-01-03"))


# ------------------------------------------------------------------ edge values, by hand
# The fixture's week: Mon 0, Tue 1, Wed 2 (holiday), Thu 3, Fri 4, Sat 5, Sun 6, Mon 7; eight
# working hours a day (480 minutes), so Monday 09:00 is working minute 0, Tuesday 09:00 is
# 480, Thursday 09:00 is 960 and the next Monday 09:00 is 4 x 480 = 1920.
@pytest.mark.parametrize(
    "t, index",
    [
        (at(MON, "08:00"), 0),  # before the first working minute
        (at(MON, "10:00"), 60),
        (at(MON, "13:30"), 240),  # lunch: the morning is done, the afternoon not begun
        (at(MON, "15:00"), 270),
        (at(MON, "18:30"), 480),  # one whole working day
        (at(MON, "22:00"), 480),
        (at(2, "12:00"), 960),  # the holiday counts nothing
        (at(3, "09:00"), 960),  # the day after a holiday starts where Tuesday ended
        (at(3, "10:00"), 1020),
        (at(5, "12:00"), 1920),  # Saturday
        (at(6, "12:00"), 1920),  # Sunday (midday: falls inside a period's clock hours)
        (at(6, "15:00"), 1920),
        (at(7, "10:00"), 1980),  # Monday after the weekend
    ],
)
def test_work_index_counts_working_minutes_since_the_start(cal, t, index):
    assert cal.work_index(t) == index


@pytest.mark.parametrize(
    "t, expected",
    [
        (at(6, "12:00"), at(7, "09:00")),  # Sunday -> Monday
        (at(2, "10:00"), at(3, "09:00")),  # during the holiday -> the day after it
        (at(3, "08:59"), at(3, "09:00")),
    ],
)
def test_next_working_from_sunday_and_the_holiday(cal, t, expected):
    assert cal.next_working(t) == expected


@pytest.mark.parametrize(
    "start, minutes, expected",
    [
        (at(MON, "09:00"), 480, at(MON, "18:30")),  # exactly one working day: that evening
        (at(MON, "18:00"), 30, at(MON, "18:30")),  # ends exactly at the day's end
        # Across a night, ending exactly at Tuesday's end: Tuesday 18:30, not Thursday 09:00
        # (the same working-minute index, the earliest clock time).
        (at(MON, "18:00"), 30 + 480, at(1, "18:30")),
        (at(1, "09:00"), 2 * 480, at(3, "18:30")),  # two working days over the holiday
        (at(6, "12:00"), 60, at(7, "10:00")),  # started on Sunday: Monday's first hour
        (at(3, "09:00"), 480 + 60, at(4, "10:00")),  # from the day after the holiday
        (at(4, "18:30"), 1, at(7, "09:01")),  # from Friday's end over the weekend
        (at(1, "10:00"), 30, at(1, "10:30")),  # within a later day, nothing looked up before
        (at(3, "15:00"), 60, at(3, "16:00")),
    ],
)
def test_add_edge_cases(cal, start, minutes, expected):
    assert cal.add(start, minutes) == expected


def test_add_in_the_working_period_of_the_previous_question(cal):
    # The second call lands in the period the first one looked up (the remembered span).
    assert cal.next_working(at(MON, "10:00")) == at(MON, "10:00")
    assert cal.add(at(MON, "10:00"), 180) == at(MON, "13:00")  # ends exactly at lunch
    assert cal.add(at(MON, "10:00"), 181) == at(MON, "14:31")  # one minute past it
    assert cal.work_index(at(MON, "12:59")) == 239
    # The same in the afternoon period, whose index starts at 240.
    assert cal.next_working(at(3, "15:00")) == at(3, "15:00")
    assert cal.work_index(at(3, "16:00")) == 960 + 240 + 90
    assert cal.add(at(3, "15:00"), 30) == at(3, "15:30")


@pytest.mark.parametrize(
    "w, expected",
    [
        (0, 0.0),
        (-5, 0.0),
        (1, at(MON, "09:01")),
        (240, at(MON, "13:00")),  # the earliest time with 240 minutes done: lunch's start
        (241, at(MON, "14:31")),
        (480, at(MON, "18:30")),
        (481, at(1, "09:01")),
        (960, at(1, "18:30")),  # Tuesday's end, not Thursday 09:00
        (961, at(3, "09:01")),
        (1920, at(4, "18:30")),
        (1921, at(7, "09:01")),
    ],
)
def test_time_at_index_is_the_earliest_clock_time(cal, w, expected):
    assert cal.time_at_index(w) == expected


@pytest.mark.parametrize(
    "a, b, days",
    [
        (at(MON, "09:00"), at(1, "13:00"), 1.5),  # Monday, and Tuesday's morning
        (at(MON, "09:00"), at(MON, "18:30"), 1.0),
        (at(1, "09:00"), at(3, "09:00"), 1.0),  # the holiday is no working day
        (at(4, "14:30"), at(7, "13:00"), 1.0),  # Friday afternoon + Monday morning
        (at(5, "00:00"), at(6, "23:59"), 0.0),  # the weekend
    ],
)
def test_working_days_between(cal, a, b, days):
    assert cal.working_days_between(a, b) == days


def test_end_of_working_days_for_zero_one_and_over_the_holiday(cal):
    assert cal.end_of_working_days(0) == 0.0
    assert cal.end_of_working_days(-3) == 0.0
    assert cal.end_of_working_days(1) == 1 * MINUTES_PER_DAY  # a one-day horizon: Monday
    assert cal.end_of_working_days(3) == 4 * MINUTES_PER_DAY  # Mon, Tue, (Wed off) Thu
    assert cal.end_of_working_days(5) == 8 * MINUTES_PER_DAY  # ... Fri, (weekend) Mon
    # Beyond the first tables (400 days): 200 weeks hold 1000 weekdays, one of them the
    # holiday, so the 1000th working day is the Monday after them (day 1400).
    assert cal.end_of_working_days(1000) == (7 * 200 + 1) * MINUTES_PER_DAY


@pytest.mark.parametrize("t", [at(3, "00:00"), at(3, "10:00"), at(3, "18:30"), at(3, "23:59")])
def test_day_end_is_the_end_of_the_last_period_of_that_calendar_day(cal, t):
    assert cal.day_end(t) == at(3, "18:30")


def test_day_start_is_the_first_working_minute_of_that_day(cal):
    assert cal.day_start(0) == at(MON, "09:00")
    assert cal.day_start(3) == at(3, "09:00")


def test_day_end_and_start_follow_the_periods():
    cal = WorkCalendar(CalendarSpec(work_periods=[("08:00", "12:00"), ("13:00", "17:00")],
                                    official_calendar=None))
    assert cal.day_start(2) == at(2, "08:00")
    assert cal.day_end(at(2, "09:00")) == at(2, "17:00")


def test_working_days_by_weekday_holiday_and_moved_date():
    cal = WorkCalendar(CalendarSpec(start_date="2023-01-02", holidays=["2023-01-04"],
                                    working_dates=["2023-01-07"], official_calendar=None))
    assert [cal.is_working_day(d) for d in range(8)] == [
        True, True, False, True, True, True, False, True]  # Sat 7 January is worked
    assert cal.next_working(at(4, "19:00")) == at(5, "09:00")
    assert cal.end_of_working_days(5) == 6 * MINUTES_PER_DAY


def test_kazakhstans_official_calendar_is_applied():
    # 1 and 2 January are New Year holidays in Kazakhstan; 1 January 2023 was a Sunday, so
    # its day off moved to Tuesday 3 January: a run starting Monday 2 January 2023 first
    # works on Wednesday 4 January. Saturday 1 July 2023 (day 180) was worked and its day off
    # moved by decree to Friday 7 July (day 186), after Capital Day (day 185).
    cal = WorkCalendar(CalendarSpec(start_date="2023-01-02", official_calendar="KZ"))
    assert [cal.is_working_day(d) for d in range(3)] == [False, False, True]
    assert cal.next_working(0.0) == at(2, "09:00")
    assert [cal.is_working_day(d) for d in (179, 180, 181, 184, 185, 186)] == [
        True, True, False, True, False, False]
    # The next year's calendar is read when the run reaches it: Monday 1 January 2024.
    assert not cal.is_working_day(364)
    assert cal.is_working_day(366)


@pytest.fixture
def fresh_official(monkeypatch, tmp_path):
    """An empty cache folder and no calendar remembered in this process."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    calendar_module.official_year.cache_clear()
    yield tmp_path
    calendar_module.official_year.cache_clear()


def test_the_official_calendar_is_read_from_the_package_once_and_kept(fresh_official,
                                                                       monkeypatch):
    reads = []
    from_package = calendar_module._official_from_holidays

    def counted(country, year):
        reads.append((country, year))
        return from_package(country, year)

    monkeypatch.setattr(calendar_module, "_official_from_holidays", counted)
    first = calendar_module.official_year("KZ", 2023)
    assert reads == [("KZ", 2023)]
    assert first.names[first.off.index("2023-03-08")] == "International Women's Day"
    assert "2023-07-01" in first.on  # the Saturday worked for 7 July (above)
    version = importlib.metadata.version("holidays")
    assert ([f.name for f in fresh_official.iterdir()]
            == [f"calendar-KZ-2023-holidays-{version}.json"])
    # Another process (here: the remembered answer forgotten) reads the file, not the package.
    calendar_module.official_year.cache_clear()
    assert calendar_module.official_year("KZ", 2023) == first and len(reads) == 1
    # Another year, or another version of the package, is read from the package again.
    calendar_module.official_year("KZ", 2024)
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0-other")
    calendar_module.official_year.cache_clear()
    assert calendar_module.official_year("KZ", 2023) == first
    assert reads == [("KZ", 2023), ("KZ", 2024), ("KZ", 2023)]


@pytest.mark.parametrize("damage", ["{", "[]", '{"off": [], "on": []}',
                                    '{"off": ["2023-01-01"], "on": [], "names": []}',
                                    '{"off": [1], "on": [], "names": ["x"]}',
                                    '{"off": "ab", "on": [], "names": "xy"}',
                                    '{"off": 5, "on": [], "names": 5}'])
def test_a_damaged_official_calendar_file_is_read_again_from_the_package(fresh_official,
                                                                         damage):
    version = importlib.metadata.version("holidays")
    path = fresh_official / f"calendar-KZ-2023-holidays-{version}.json"
    path.write_text(damage, encoding="utf-8")
    year = calendar_module.official_year("KZ", 2023)
    assert year == calendar_module._official_from_holidays("KZ", 2023)
    assert json.loads(path.read_text(encoding="utf-8"))["off"] == list(year.off)  # mended


def test_an_unwritable_cache_folder_still_gives_the_official_calendar(fresh_official,
                                                                      monkeypatch):
    blocker = fresh_official / "a_file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))  # under a file: cannot be made
    year = calendar_module.official_year("KZ", 2023)
    assert year == calendar_module._official_from_holidays("KZ", 2023)


def test_far_beyond_any_run_is_never(cal):
    far = 36_600 * MINUTES_PER_DAY  # about a hundred years
    assert cal.add(0.0, 480 * 40_000) == float("inf")
    assert cal.add(0.0, 480 * 36_600) == float("inf")  # exactly at the limit
    assert cal.work_index(far) == float("inf")
    assert cal.next_working(far) == far
    assert cal.next_working(far + 5) == far + 5
    assert cal.time_at_index(480 * 40_000) == float("inf")
    assert cal.time_at_index(480 * 36_600) == float("inf")


# The tables first cover days 0..400 and grow on demand. Day 399 is a Monday (57 weeks), so
# with no holidays 57 x 5 + 2 = 287 working days come before day 401, a Wednesday.
BEFORE_401 = 287 * 480


@pytest.mark.parametrize(
    "t, index, next_working, after_30",
    [
        (at(401, "10:00"), BEFORE_401 + 60, at(401, "10:00"), at(401, "10:30")),
        (at(401, "13:30"), BEFORE_401 + 240, at(401, "14:30"), at(401, "15:00")),  # lunch
        (at(401, "15:00"), BEFORE_401 + 270, at(401, "15:00"), at(401, "15:30")),
        (at(400, "18:30"), BEFORE_401, at(401, "09:00"), at(401, "09:30")),
    ],
)
def test_times_just_beyond_the_first_tables(t, index, next_working, after_30):
    # A fresh calendar for each question: the first question must grow the tables itself.
    def fresh():
        return WorkCalendar(CalendarSpec(official_calendar=None, holidays=[]))
    assert fresh().work_index(t) == index
    assert fresh().next_working(t) == next_working
    assert fresh().add(t, 30) == after_30
    assert fresh().working_minutes(0.0, t) == index


def test_next_working_over_a_day_off_at_the_end_of_the_tables():
    # Wednesdays off: from Tuesday evening of day 400 the next working minute is Thursday's.
    cal = WorkCalendar(CalendarSpec(workdays=[0, 1, 3, 4], official_calendar=None,
                                    holidays=[]))
    assert cal.next_working(at(400, "18:30")) == at(402, "09:00")


def test_deadline_far_beyond_the_first_tables():
    # Mondays only: the 100th working day after Monday day 0 is the Monday of day 700.
    cal = WorkCalendar(CalendarSpec(workdays=[0], official_calendar=None, holidays=[]))
    assert cal.deadline(at(MON, "10:00"), 100) == at(700, "18:30")
    assert cal.end_of_working_days(100) == 694 * MINUTES_PER_DAY  # day 693 is the 100th
    # 81 working days: the first tables then (to day 2 x 81 + 400 = 562) hold 81 Mondays
    # (days 0..560), the 81st after day 0 is the first one beyond them.
    fresh = WorkCalendar(CalendarSpec(workdays=[0], official_calendar=None, holidays=[]))
    assert fresh.deadline(at(MON, "10:00"), 81) == at(567, "18:30")


def test_day_end_and_deadline_use_the_last_of_three_periods():
    cal = WorkCalendar(CalendarSpec(
        work_periods=[("08:00", "10:00"), ("11:00", "13:00"), ("14:00", "17:00")],
        official_calendar=None, holidays=[]))
    assert cal.minutes_per_day == 7 * 60
    assert cal.day_end(at(2, "09:00")) == at(2, "17:00")
    assert cal.day_start(2) == at(2, "08:00")
    assert cal.deadline(at(MON, "09:00"), 1) == at(1, "17:00")
    assert cal.add(at(MON, "09:30"), 60) == at(MON, "11:30")  # 30 before the break, 30 after
    assert cal.time_at_index(240) == at(MON, "13:00")
    assert cal.next_working(at(MON, "13:30")) == at(MON, "14:00")


def test_horizon_and_warmup_marks_of_a_scenario():
    from conftest import small_scenario

    from sim.model.calendar import run_horizon_min, warmup_marks

    scenario = small_scenario(horizon_days=6, warmup_days=2,
                              calendar={"start_date": "2023-01-02", "official_calendar": None,
                                        "holidays": ["2023-01-04"]})
    # Sixth working day: Mon, Tue, Thu, Fri, Mon, Tue (day 8); the horizon is its midnight.
    assert run_horizon_min(scenario) == 9 * MINUTES_PER_DAY
    assert warmup_marks(scenario, None) == (2 * MINUTES_PER_DAY, None)
    assert warmup_marks(scenario, float("nan")) == (2 * MINUTES_PER_DAY, None)
    assert warmup_marks(scenario, 1.5) == (2 * MINUTES_PER_DAY, at(1, "13:00"))
