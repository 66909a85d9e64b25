"""A run over time: the weekly table, events.csv, the week-by-week figure and the report's words.

Most tests build replications by hand: a time series and documents whose weekly numbers are
known, and a few policy events. The last ones run a small scenario through `sim run`.
"""

import math
import re
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import small_scenario

from sim.cli import main
from sim.config import dump_resolved
from sim.experiments.replications import Experiment
from sim.model.calendar import WorkCalendar
from sim.model.metrics import RunRecords
from sim.model.policy import PolicyEvent
from sim.outputs import over_time as ot
from sim.outputs import plots, report
from sim.outputs.run_folder import write_run

DAY = 1440.0
WEEK = 7 * DAY
# Three working weeks from Monday 9 January 2023, weekdays only: the horizon is Saturday
# 28 January 00:00, the end of day 18 (Friday 27 January).
SCENARIO = small_scenario(horizon_days=15, warmup_days=1,
                          calendar={"official_calendar": None})
HORIZON = 19 * DAY
WORKING_HOURS = {9, 10, 11, 12, 15, 16, 17, 18}  # hourly rows within 09:00-13:00, 14:30-18:30


def _series(platform: str, rep: int) -> pd.DataFrame:
    """An hourly series with known weekly figures (``w`` is the 0-based week).

    Open documents at 10:00 on weekday ``d`` (0 = Monday): 10(w+1) + 4 rep + d, so the
    week's mean is 10(w+1) + 4 rep + 2; any other row says 999 (and 10:00 on a weekend 5000),
    so a wrong reading shows. (w+1)(rep+1) documents are completed at 12:00 on each weekday.
    Staff online is 20 + 10 rep + w in working hours and 1000 outside them.
    """
    t = np.arange(0.0, HORIZON, 60.0)
    day, hour = t // DAY, (t % DAY) // 60
    week, weekday = day // 7, day % 7
    ten = np.where(weekday < 5, 10 * (week + 1) + 4 * rep + weekday, 5000)
    opened = np.where(hour == 10, ten, 999)
    done = np.cumsum(np.where((hour == 12) & (weekday < 5), (week + 1) * (rep + 1), 0))
    working = (weekday < 5) & np.isin(hour, list(WORKING_HOURS))
    online = np.where(working, 20 + 10 * rep + week, 1000.0)
    return pd.DataFrame({"platform": platform, "replication": rep, "time_min": t,
                         "open_documents": opened.astype(np.int64),
                         "completed_total": done.astype(np.int64), "staff_online": online})


def _documents(platform: str, rep: int) -> pd.DataFrame:
    """Replication 0: week 1 four completed (three on time), week 2 two (none), week 3 none;
    replication 1: week 1 one (on time), week 2 none, week 3 two (one); and an open one each."""
    plan = {0: [(0, True), (0, True), (0, True), (0, False), (1, False), (1, False)],
            1: [(0, True), (2, True), (2, False)]}[rep]
    rows = []
    for i, (week, on_time) in enumerate(plan):
        completed = week * WEEK + 2 * DAY + 600 + i
        rows.append((f"d{i}", rep, platform, completed - 60,
                     completed + (60 if on_time else -60), completed))
    rows.append(("open", rep, platform, 600.0, 3 * DAY, math.nan))
    table = pd.DataFrame(rows, columns=["id", "replication", "platform", "created_min",
                                        "deadline_min", "completed_min"])
    table["on_time"] = (table.completed_min <= table.deadline_min).where(
        table.completed_min.notna())
    return table


def _events(affects_incident: bool) -> list[PolicyEvent]:
    return [
        PolicyEvent("wave", 3 * DAY + 600, 3 * DAY + 600, "old wave", affects=False),
        PolicyEvent("ramp", 4 * DAY, 9 * DAY, "remote share 30% -> 75%"),
        PolicyEvent("wave", 8 * DAY + 600, 8 * DAY + 600, "wave 1: 2 bodies to OSDO"),
        PolicyEvent("wave", 2 * WEEK, 2 * WEEK, "wave 2"),  # exactly at week 3's start
        PolicyEvent("incident", 15 * DAY + 600, 16 * DAY + 720, "gateway down",
                    affects=affects_incident),
    ]


def _run(platform: str, rep: int, events: list[PolicyEvent],
         documents: bool = True) -> RunRecords:
    return RunRecords(platform, rep, {}, _documents(platform, rep) if documents else None,
                      _series(platform, rep), None, events=events)


def _experiment(documents: bool = True) -> Experiment:
    """OSDO: two replications, every event; ESED: one, without the waves, and the incident
    not touching it."""
    esed_events = [e for e in _events(False) if e.kind != "wave"]
    return Experiment(SCENARIO, 1, [_run("osdo", 0, _events(True), documents),
                                    _run("esed", 0, esed_events, documents),
                                    _run("osdo", 1, _events(True), documents)])


@pytest.fixture(scope="module")
def weekly() -> pd.DataFrame:
    return ot.weekly_table(_experiment())


# --------------------------------------------------------------------------- the weekly table


def test_weekly_table_has_a_row_per_platform_and_week_with_its_monday(weekly):
    assert list(weekly.columns) == ot.WEEKLY_COLUMNS
    assert list(zip(weekly.platform, weekly.week, strict=True)) == [
        ("osdo", 1), ("osdo", 2), ("osdo", 3), ("esed", 1), ("esed", 2), ("esed", 3)]
    assert list(weekly.week_start[:3]) == ["2023-01-09", "2023-01-16", "2023-01-23"]
    assert list(weekly.working_days) == [5] * 6
    assert list(weekly.replications) == [2, 2, 2, 1, 1, 1]


def test_weekly_numbers_are_the_known_ones(weekly):
    osdo, esed = weekly[weekly.platform == "osdo"], weekly[weekly.platform == "esed"]
    assert list(osdo.completed) == [7.5, 15.0, 22.5]  # 5(w+1) and 10(w+1)
    assert list(esed.completed) == [5, 10, 15]
    # Only 10:00 on working days counts; mean over replications, and their range.
    assert list(osdo.open_documents) == [14.0, 24.0, 34.0]
    assert list(osdo.open_documents_min) == [12.0, 22.0, 32.0]
    assert list(osdo.open_documents_max) == [16.0, 26.0, 36.0]
    assert list(esed.open_documents) == list(esed.open_documents_min) == [12.0, 22.0, 32.0]
    # Only working-hour rows count.
    assert list(osdo.staff_online) == [25.0, 26.0, 27.0]
    assert list(esed.staff_online) == [20.0, 21.0, 22.0]


def test_on_time_rate_is_of_the_documents_completed_that_week(weekly):
    osdo = weekly[weekly.platform == "osdo"]
    # (3/4 + 1/1) / 2; replication 1 completed nothing in week 2; replication 0 nothing in 3.
    assert osdo.on_time_rate.tolist() == [0.875, 0.0, 0.5]


def test_on_time_rate_is_nan_without_documents():
    table = ot.weekly_table(_experiment(documents=False))
    assert table.on_time_rate.isna().all()
    assert table.completed.notna().all() and table.open_documents.notna().all()


def test_waves_in_effect_count_those_touching_the_run_by_the_week_start(weekly):
    osdo, esed = weekly[weekly.platform == "osdo"], weekly[weekly.platform == "esed"]
    # "old wave" did not touch the run; wave 1 came on a Tuesday; wave 2 at 00:00 of week 3.
    assert list(osdo.waves_in_effect) == [0, 0, 2]
    assert list(esed.waves_in_effect) == [0, 0, 0]


def test_events_column_names_the_events_starting_that_week(weekly):
    osdo, esed = weekly[weekly.platform == "osdo"], weekly[weekly.platform == "esed"]
    assert list(osdo.events) == [
        "old wave (no effect here); remote share 30% -> 75%", "wave 1: 2 bodies to OSDO",
        "wave 2; gateway down"]
    assert list(esed.events) == ["remote share 30% -> 75%", "", "gateway down (no effect here)"]


def test_a_run_without_events_has_an_empty_events_table_and_column():
    runs = [_run("osdo", 0, [])]
    assert ot.events_table(runs).empty
    assert list(ot.events_table(runs).columns) == ot.EVENT_COLUMNS
    table = ot.weekly_table(Experiment(SCENARIO, 1, runs))
    assert list(table.events) == ["", "", ""] and list(table.waves_in_effect) == [0, 0, 0]


def test_peak_week_is_the_highest_mean(weekly):
    peaks = {p.platform: p for p in ot.peak_weeks(weekly)}
    assert (peaks["osdo"].week, peaks["osdo"].week_start) == (3, "2023-01-23")
    assert (peaks["osdo"].level, peaks["osdo"].low, peaks["osdo"].high) == (34.0, 32.0, 36.0)


# --------------------------------------------------------------------------- the run folder


def test_run_folder_writes_weekly_and_events_csv(tmp_path):
    out = write_run(_experiment(documents=False), tmp_path / "run", 1.0, plots_on=False)
    weekly = pd.read_csv(out / "weekly.csv", keep_default_na=False, na_values={
        c: [""] for c in ot.WEEKLY_COLUMNS
        if c not in ("platform", "week_start", "holidays", "events")})
    assert list(weekly.columns) == ot.WEEKLY_COLUMNS
    assert list(weekly.open_documents) == [14.0, 24.0, 34.0, 12.0, 22.0, 32.0]
    assert weekly.on_time_rate.isna().all()  # documents were not kept
    assert weekly.events[2] == "wave 2; gateway down"
    events = pd.read_csv(out / "events.csv")
    assert list(events.columns) == ot.EVENT_COLUMNS
    assert len(events) == 5 + 2 + 5  # OSDO twice, ESED without its waves
    incident = events[(events.kind == "incident") & (events.platform == "esed")].iloc[0]
    assert (incident.start_min, incident.end_min, bool(incident.affects)) == (
        15 * DAY + 600, 16 * DAY + 720, False)


# --------------------------------------------------------------------------- the figure


def _drawn(weekly, events):
    ax = plots.over_time(weekly, events, title="test", warmup_min=DAY)
    return ax, ax.figure.axes


def test_figure_marks_incidents_as_red_spans_and_waves_as_lines(weekly):
    events = ot.events_table(_experiment().runs)
    ax, panels = _drawn(weekly, events)
    try:
        assert len(panels) == 4
        for panel in panels:
            (span,) = [p for p in panel.patches if p.get_gid() == "incident"]
            assert span.get_x() == pytest.approx((15 * DAY + 600) / WEEK)
            assert span.get_width() == pytest.approx((DAY + 120) / WEEK)
            assert span.get_facecolor()[:3] == pytest.approx((0.839, 0.153, 0.157), abs=1e-3)
            waves = sorted(line.get_xdata()[0] for line in panel.lines
                           if line.get_gid() == "wave")
            assert waves == pytest.approx([(3 * DAY + 600) / WEEK, (8 * DAY + 600) / WEEK, 2.0])
            assert [p for p in panel.patches if p.get_gid() == "ramp"]
        legend = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
        assert "5 incident: gateway down (OSDO only)" in legend
        assert "1 migration wave: old wave (no effect)" in legend
        assert "3 migration wave: wave 1: 2 bodies to OSDO (OSDO only)" in legend
        assert "2 share ramped: remote share 30% -> 75%" in legend
        numbers = [t.get_text() for t in ax.texts if t.get_gid()]
        assert numbers == ["1", "2", "3", "4", "5"]
    finally:
        plt.close(ax.figure)


def test_figure_draws_a_line_per_architecture_and_the_open_documents_band(weekly):
    ax, panels = _drawn(weekly, None)
    try:
        osdo = [line for line in panels[1].lines if line.get_label() == "OSDO"]
        assert list(osdo[0].get_xdata()) == [0.5, 1.5, 2.5]
        assert list(osdo[0].get_ydata()) == [14.0, 24.0, 34.0]
        (band, _) = panels[1].collections[:2]
        assert band.get_label() == "OSDO: lowest to highest replication"
        assert not [p for p in panels[0].patches if p.get_gid() in ("incident", "ramp")]
    finally:
        plt.close(ax.figure)


def _figure_names(weekly, events) -> list[str]:
    data = plots.FigureData(pd.DataFrame({"platform": ["osdo"]}), pd.DataFrame(), None,
                            HORIZON, "t", weekly=weekly, events=events)
    return [f.filename for f in plots.run_figures(data)]


def test_figure_is_drawn_for_three_weeks_or_for_events(weekly):
    events = ot.events_table(_experiment().runs)
    two_weeks = weekly[weekly.week <= 2]
    assert "over_time.png" in _figure_names(weekly, None)
    assert "over_time.png" not in _figure_names(two_weeks, None)
    assert "over_time.png" not in _figure_names(two_weeks, events.iloc[:0])
    assert "over_time.png" in _figure_names(two_weeks, events)


# --------------------------------------------------------------------------- the report's words


def _report_run(weekly, events, summary=None, intervals=None) -> SimpleNamespace:
    """Just enough of a RunData for :func:`report.over_time_words`."""
    return SimpleNamespace(weekly=weekly, events=events, platforms=["osdo", "esed"],
                           scenario=SCENARIO,
                           calendar=WorkCalendar(SCENARIO.calendar),
                           summary=summary if summary is not None else pd.DataFrame(
                               {"platform": ["osdo", "osdo", "esed"]}),
                           intervals=intervals or {"osdo": {}, "esed": {}})


def test_report_names_the_peak_week_and_the_events(weekly):
    events = ot.events_table(_experiment().runs)
    words = report.over_time_words(_report_run(weekly, events))
    assert ("On OSDO, the open documents peak in week 3 (from Monday 23 January 2023): 34.0 "
            "open at 10:00 on the average working day of that week (32.0 to 36.0 over the 2 "
            "replications).") in words
    assert ("On ESED, the open documents peak in week 3 (from Monday 23 January 2023): 32.0 "
            "open at 10:00 on the average working day of that week.") in words
    (listing,) = [w for w in words if w.startswith("Policy events")]
    assert "5. gateway down (OSDO only) (incident, from 24 January 2023 (week 3) to 25 " \
           "January 2023 (week 3))" in listing
    assert "4. wave 2 (OSDO only) (migration wave, on 23 January 2023 (week 3))" in listing
    # No recovery KPIs in the summary: nothing about recovery.
    assert not [w for w in words if "pre-incident" in w or "deadline" in w]


def _ci(values):
    from sim.experiments.statistics import mean_ci
    ci = mean_ci(np.array(values, dtype=float))
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in ci.items()}


def test_report_says_how_long_until_the_open_documents_were_back(weekly):
    events = ot.events_table(_experiment().runs)
    summary = pd.DataFrame({"platform": ["osdo", "osdo", "osdo", "esed"],
                            report.RECOVERY_KPI: [2.0, 4.0, math.nan, math.nan],
                            report.LATE_KPI: [10.0, 14.0, 12.0, math.nan]})
    intervals = {"osdo": {report.RECOVERY_KPI: _ci([2.0, 4.0]),
                          report.LATE_KPI: _ci([10.0, 14.0, 12.0])},
                 "esed": {report.RECOVERY_KPI: _ci([]), report.LATE_KPI: _ci([])}}
    words = report.over_time_words(_report_run(weekly, events, summary, intervals))
    (back,) = [w for w in words if "pre-incident" in w]
    assert back.startswith("On OSDO, the open documents were back within their pre-incident "
                           "range (at or below the highest 10:00 count of the 10 working days "
                           "before the incident) ")
    # Back in 2 of 3 replications: too few for an interval, so the mean alone.
    assert re.search(r" 3\.0+ working days after the incident began \(mean over the "
                     r"2 of 3 replications in which they were back by the end of the run\)\.$",
                     back), back
    (late,) = [w for w in words if "deadline" in w]
    # In the KPI's unit, whole documents (or three digits while it is not registered).
    assert re.match(r"The incidents made 12(\.0+)? ± (5|4\.97) documents on OSDO miss their "
                    r"deadline \(against the same replications run without the incidents\)\.$",
                    late), late
    # ESED: the incident did not touch it, so nothing is said of it.
    assert not [w for w in words if "ESED" in w and ("deadline" in w or "pre-incident" in w)]


def test_late_documents_are_claimed_only_when_the_interval_leaves_out_zero(weekly):
    events = ot.events_table(_experiment().runs)
    summary = pd.DataFrame({"platform": ["osdo", "osdo", "osdo", "esed"],
                            report.LATE_KPI: [-4.0, 3.0, 1.0, math.nan]})
    intervals = {"osdo": {report.LATE_KPI: _ci([-4.0, 3.0, 1.0])}, "esed": {}}
    words = report.over_time_words(_report_run(weekly, events, summary, intervals))
    (late,) = [w for w in words if "late" in w]
    assert late.startswith("On OSDO, the documents the incidents made late could not be told "
                           "apart from none: ")
    assert "miss their deadline" not in late
    assert late.endswith("the 95% interval includes zero).")


def test_report_says_when_the_open_documents_were_never_back(weekly):
    events = ot.events_table(_experiment().runs)
    summary = pd.DataFrame({"platform": ["osdo", "osdo", "esed"],
                            report.RECOVERY_KPI: [math.nan, math.nan, math.nan]})
    intervals = {"osdo": {report.RECOVERY_KPI: _ci([])}, "esed": {}}
    words = report.over_time_words(_report_run(weekly, events, summary, intervals))
    assert ("On OSDO, the open documents were not back within their pre-incident range (at or "
            "below the highest 10:00 count of the 10 working days before the incident) by the "
            "end of the run in any of the 2 replications.") in words


# --------------------------------------------------------------------------- end to end


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """`sim run --report` of the small scenario over three weeks, two replications."""
    folder = tmp_path_factory.mktemp("over_time")
    scenario_file = folder / "small.yaml"
    scenario_file.write_text(dump_resolved(small_scenario(horizon_days=15, warmup_days=2)))
    out = folder / "run"
    result = invoke("run", scenario_file, "--out", out, "--replications", 2, "--workers", 1,
                    "--report")
    assert result.exit_code == 0, result.output
    return out


def test_sim_run_writes_weekly_csv_that_adds_up(real_run):
    weekly = pd.read_csv(real_run / "weekly.csv")
    assert list(weekly.columns) == ot.WEEKLY_COLUMNS
    assert sorted(set(zip(weekly.platform, weekly.week, strict=True))) == [
        ("esed", 1), ("esed", 2), ("esed", 3), ("osdo", 1), ("osdo", 2), ("osdo", 3)]
    series = pd.read_csv(real_run / "timeseries.csv")
    finals = series.groupby(["platform", "replication"]).completed_total.last()
    for platform, rows in weekly.groupby("platform"):
        assert rows.completed.sum() == pytest.approx(finals[platform].mean())
        assert (rows.open_documents_min <= rows.open_documents).all()
        assert (rows.open_documents <= rows.open_documents_max).all()
    assert weekly.on_time_rate.between(0, 1).all()
    assert (real_run / "events.csv").is_file()
    assert (real_run / "over_time.png").is_file()  # three weeks long


def test_report_of_a_real_run_has_its_over_time_section(real_run):
    page = (real_run / "report.html").read_text()
    section = re.search(r"<section id='over_time'>.*?</section>", page, re.S).group(0)
    assert section.count("<img ") == 1
    weekly = pd.read_csv(real_run / "weekly.csv")
    top = weekly[weekly.platform == "osdo"].sort_values("open_documents").iloc[-1]
    assert f"On OSDO, the open documents peak in week {top.week} " in section
    # The plots section does not draw it a second time.
    plots_section = re.search(r"<section id='plots'>.*?</section>", page, re.S).group(0)
    assert "Week by week" not in plots_section


def test_the_wave_that_raised_the_backlog_most_is_measured_against_the_run_that_stayed():
    # Weeks 1-10; both architectures' backlogs grow by 10 a week (a ramp common to both);
    # mixed also jumps +50 in the two weeks after wave 1 (week 3) and +120 after wave 2
    # (week 7, its largest rise in week 8). Net of ESED, the rises are 50 and 120.
    weeks = np.arange(1, 11)
    common = 100.0 + 10.0 * weeks
    extra = np.where(np.isin(weeks, [3, 4]), 50.0, 0.0) + np.where(weeks == 7, 60.0, 0.0) \
        + np.where(weeks == 8, 120.0, 0.0)
    rows = pd.DataFrame({
        "platform": ["mixed"] * 10 + ["esed"] * 10,
        "week": np.concatenate([weeks, weeks]),
        "week_start": [str(pd.Timestamp("2023-01-09") + pd.Timedelta(weeks=int(w) - 1))[:10]
                       for w in weeks] * 2,
        "open_documents": np.concatenate([common + extra, common]), "replications": 1})
    rows["open_documents_min"] = rows["open_documents_max"] = rows.open_documents
    events = pd.DataFrame({
        "platform": ["mixed", "mixed", "esed", "esed"], "replication": 0,
        "kind": "wave", "start_min": [2 * ot.WEEK_MIN + 600, 6 * ot.WEEK_MIN + 600] * 2,
        "end_min": [2 * ot.WEEK_MIN + 600, 6 * ot.WEEK_MIN + 600] * 2,
        "label": ["wave 1", "wave 2"] * 2, "affects": [True, True, False, False]})
    effects = ot.wave_effects(rows, events)
    assert [(e.label, e.platform, e.reference, e.week, e.rise) for e in effects] == [
        ("wave 1", "mixed", "esed", 3, 50.0), ("wave 2", "mixed", "esed", 8, 120.0)]
    run = SimpleNamespace(weekly=rows, events=events, platforms=["mixed", "esed"],
                          scenario=SCENARIO,
                          calendar=WorkCalendar(SCENARIO.calendar),
                          summary=pd.DataFrame({"platform": ["mixed", "esed"]}),
                          intervals={"mixed": {}, "esed": {}})
    words = report.over_time_words(run)
    assert "The wave that raised the backlog most: wave 2." in words
    assert any(w.startswith("After wave 1, the open documents on mixed rose by at most 50 ")
               for w in words)


def test_report_says_when_the_added_backlog_was_gone_against_the_calm_run(weekly):
    events = ot.events_table(_experiment().runs)
    summary = pd.DataFrame({"platform": ["osdo", "osdo", "esed"],
                            report.EXCESS_KPI: [10.0, 14.0, math.nan]})
    intervals = {"osdo": {report.EXCESS_KPI: _ci([10.0, 14.0])}, "esed": {}}
    words = report.over_time_words(_report_run(weekly, events, summary, intervals))
    (gone,) = [w for w in words if "was gone" in w]
    assert gone.startswith("On OSDO, the backlog the incidents added was gone (open documents "
                           "within 5% of the same replication run without them) 12")
    assert gone.endswith("working days after the first began (over the 2 replications).")


def test_late_documents_with_a_wide_interval_are_claimed_as_a_direction_only(weekly):
    # 16.5 +- 14.3: the interval leaves out zero but is nearly as wide: no size claimed.
    events = ot.events_table(_experiment().runs)
    summary = pd.DataFrame({"platform": ["osdo"] * 4, report.LATE_KPI: [10.0, 14.0, 12.0, 30.0]})
    intervals = {"osdo": {report.LATE_KPI: _ci([10.0, 14.0, 12.0, 30.0])}, "esed": {}}
    words = report.over_time_words(_report_run(weekly, events, summary, intervals))
    (late,) = [w for w in words if "deadline" in w]
    assert "read the direction, not the size" in late
