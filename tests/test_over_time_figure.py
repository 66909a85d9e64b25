"""The week-by-week figure: holiday weeks named, event numbers apart, dates readable, and an
on-time axis that does not magnify noise."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from conftest import small_scenario

from sim.model.calendar import WorkCalendar
from sim.outputs import over_time as ot
from sim.outputs import plots


def test_weeks_name_their_official_holidays():
    """From Monday 9 January 2023 (Kazakhstan's calendar): 8 March is in week 9, Nowruz
    (21-23 March) in week 11, with 4 and 2 working days."""
    scenario = small_scenario(horizon_days=60, warmup_days=2)
    weeks = ot._weeks(scenario, WorkCalendar(scenario.calendar))
    assert weeks.holidays[8] == "International Women's Day (8 Mar)"
    assert weeks.holidays[10] == "Nowruz Holiday (21-23 Mar)"
    assert weeks.holidays[0] == ""  # 9-13 January: an ordinary week
    assert weeks.working_days()[8] == 4 and weeks.working_days()[10] == 2


def _weekly(n=26, on_time=None):
    rows = []
    for platform in ("osdo", "esed"):
        for w in range(1, n + 1):
            rows.append({
                "platform": platform, "week": w,
                "week_start": (pd.Timestamp("2023-01-09") + pd.Timedelta(weeks=w - 1))
                .date().isoformat(),
                "working_days": 2 if w == 11 else 5,
                "holidays": "Nowruz Holiday (21-23 Mar)" if w == 11 else "",
                "replications": 3, "completed": 700 if w == 11 else 1800,
                "open_documents": 300.0, "open_documents_min": 290.0,
                "open_documents_max": 310.0,
                "on_time_rate": on_time[w - 1] if on_time is not None else 1.0,
                "staff_online": 220.0, "waves_in_effect": 0, "events": ""})
    return pd.DataFrame(rows)


def test_holiday_week_is_shaded_and_named():
    ax = plots.over_time(_weekly())
    fig = ax.figure
    spans = [a for axis in fig.axes for a in axis.patches if a.get_gid() == "holiday"]
    assert len(spans) == 4  # week 11 on each of the four panels
    (label,) = [t for t in ax.texts if t.get_gid() == "holiday"]
    assert label.get_text() == "Nowruz Holiday: 2 d"
    assert any("public holidays" in t.get_text() for t in ax.get_legend().get_texts())


def test_on_time_axis_spans_at_least_five_points():
    noise = np.where(np.arange(26) % 2, 0.99875, 1.0)  # 99.875% to 100%
    ax = plots.over_time(_weekly(on_time=noise))
    low, high = ax.figure.axes[2].get_ylim()
    assert low <= 95.0 and 100.0 <= high <= 100.5


def test_date_labels_are_few_enough_to_read():
    ax = plots.over_time(_weekly(n=26))
    bottom = ax.figure.axes[3]
    labels = [t.get_text() for t in bottom.get_xticklabels()]
    assert 6 <= len(labels) <= 9
    ticks = {*bottom.get_xticks(minor=True), *bottom.get_xticks()}
    assert ticks == {w - 0.5 for w in range(1, 27)}  # a tick every week, labelled or not


@pytest.mark.parametrize("starts, levels", [
    ([2.0, 2.0, 10.0], [0, 1, 0]),      # a wave and a share step on the same day
    ([2.0, 2.5, 2.9, 20.0], [0, 1, 2, 0]),
    ([2.0, 8.0], [0, 0]),
])
def test_event_numbers_close_together_are_stacked(starts, levels):
    assert plots.number_levels(starts, width=26.0) == levels


def test_event_numbers_do_not_overlap_on_the_figure():
    events = pd.DataFrame({
        "platform": ["osdo", "osdo"], "replication": [0, 0], "kind": ["wave", "step"],
        "start_min": [2 * ot.WEEK_MIN, 2 * ot.WEEK_MIN], "end_min": [2 * ot.WEEK_MIN] * 2,
        "label": ["wave 1", "remote share 50%"], "affects": [True, True]})
    ax = plots.over_time(_weekly(), events)
    numbers = sorted((t.get_position()[1], t.get_text()) for t in ax.texts
                     if t.get_text() in ("1", "2"))
    assert [n for _, n in numbers] == ["1", "2"] and numbers[1][0] > numbers[0][0] + 0.05
