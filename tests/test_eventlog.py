"""The process-mining event log: exact timestamps, one row per step, valid XES read by pm4py."""

import datetime as dt
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from conftest import small_scenario
from test_model import EXPECTED_DAY_ONE, tiny_deterministic

from sim.experiments.replications import run_experiment
from sim.model.population import sample_population
from sim.model.replication import run_replication
from sim.model.streams import Streams
from sim.outputs import eventlog
from sim.outputs.run_folder import write_run

XES = "{http://www.xes-standard.org/}"
ROUTE = ["register", "resolution", "execution", "approval", "signature", "dispatch"]


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    """Both platforms, two replications, steps kept, written like `sim run --event-log`."""
    scenario = small_scenario(horizon_days=6, warmup_days=1)
    experiment = run_experiment(scenario, ["osdo", "esed"], 2, keep_steps=True)
    out = tmp_path_factory.mktemp("runs") / "logged"
    write_run(experiment, out, 0.0, plots_on=False)
    return experiment, out


def test_body_table_numbers_bodies_as_the_population_does():
    scenario = small_scenario(bodies=[
        {"name": "Division", "kind": "territorial_division", "staff": 5, "count": 3,
         "platform": "esed"},
        {"name": "Ministry", "kind": "central_ministry", "staff": 8},
    ])
    table = eventlog.body_table(scenario)
    bodies = sample_population(scenario, Streams(1, 0))
    assert list(table.name) == [b.name for b in bodies]
    assert list(table.kind) == [b.kind for b in bodies]
    assert list(table.own_platform) == [b.own_platform for b in bodies]
    assert list(table.name[:2]) == ["Division #1", "Division #2"]


def test_timestamps_are_the_calendar_start_plus_simulated_minutes():
    scenario = tiny_deterministic()
    steps = run_replication(scenario, "esed", 0, keep_steps=True).steps
    log = eventlog.event_log(steps, scenario)
    start = dt.datetime.fromisoformat(scenario.calendar.start_date)
    first = log[log.document == "b0-0"]
    expected = [(s, start + dt.timedelta(minutes=a), start + dt.timedelta(minutes=b))
                for d, s, a, b in EXPECTED_DAY_ONE if d == "b0-0"]
    got = list(zip(first.activity, first.start_timestamp, first.complete_timestamp, strict=True))
    assert got == [(s, pd.Timestamp(a), pd.Timestamp(b)) for s, a, b in expected]
    assert set(log.case_id) == {f"esed-r0-{d}" for d in steps.document}
    assert (log.resource.str.fullmatch(r"employee-\d+")).all()


def test_csv_has_one_row_per_step_in_process_mining_columns(logged_run):
    experiment, out = logged_run
    steps = experiment.steps()
    log = pd.read_csv(out / "event_log.csv")
    assert list(log.columns) == eventlog.EVENT_LOG_COLUMNS
    assert len(log) == len(steps)
    for col in ("start_timestamp", "complete_timestamp"):
        parsed = pd.to_datetime(log[col], format="ISO8601")
        assert parsed.notna().all()
    assert (pd.to_datetime(log.complete_timestamp) >= pd.to_datetime(log.start_timestamp)).all()
    # A case is one document in one run: the same document on two platforms is two cases.
    assert log.groupby("case_id").platform.nunique().max() == 1
    assert log.case_id.nunique() == steps.groupby(
        ["platform", "replication", "document"]).ngroups
    assert set(log.activity) == set(ROUTE)
    assert set(log.document_type) <= set(experiment.scenario.documents.types)
    assert set(log.body) == {"A", "B"}


def test_xes_is_well_formed_with_a_start_and_complete_event_per_step(logged_run):
    experiment, out = logged_run
    root = ET.parse(out / "event_log.xes").getroot()
    assert root.tag == f"{XES}log"
    prefixes = {e.get("prefix") for e in root.findall(f"{XES}extension")}
    assert prefixes == {"concept", "time", "lifecycle", "org"}
    traces = root.findall(f"{XES}trace")
    steps = experiment.steps()
    assert len(traces) == steps.groupby(["platform", "replication", "document"]).ngroups
    events = 0
    for trace in traces:
        times, transitions = [], []
        for event in trace.findall(f"{XES}event"):
            attrs = {a.get("key"): a.get("value") for a in event}
            times.append(attrs["time:timestamp"])
            transitions.append(attrs["lifecycle:transition"])
            assert attrs["org:resource"].startswith("employee-")
            events += 1
        assert times == sorted(times)  # events in time order within a case
        assert transitions.count("start") == transitions.count("complete")
    assert events == 2 * len(steps)


def test_pm4py_discovers_the_document_route(logged_run):
    pm4py = pytest.importorskip("pm4py", reason="pm4py is a test-only dependency: "
                                "pip install -e '.[test]'")
    from pm4py.util import constants

    constants.SHOW_PROGRESS_BAR = False
    _, out = logged_run
    log = pm4py.read_xes(str(out / "event_log.xes"))
    csv = pd.read_csv(out / "event_log.csv")
    assert log["case:concept:name"].nunique() == csv.case_id.nunique()
    done = log[log["lifecycle:transition"] == "complete"]
    dfg, starts, _ends = pm4py.discover_dfg(done)
    for a, b in zip(ROUTE, ROUTE[1:], strict=False):
        assert dfg.get((a, b), 0) > 0, f"no {a} -> {b} in {sorted(dfg)}"
    assert "register" in starts
    # Timestamps survive the round trip: pm4py reads the same instants the CSV holds.
    first = csv.iloc[0]
    case = done[done["case:concept:name"] == first.case_id]
    want = pd.Timestamp(first.complete_timestamp)
    got = case["time:timestamp"].dt.tz_localize(None) if case["time:timestamp"].dt.tz \
        else case["time:timestamp"]
    assert want in set(got)


def test_sim_run_event_log_flag_writes_both_formats(tmp_path):
    from click.testing import CliRunner

    from sim.cli import main
    from sim.config import dump_resolved

    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(dump_resolved(small_scenario(horizon_days=3, warmup_days=0)))
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(scenario_file), "--out", str(out),
                                       "--replications", "1", "--no-plots", "--event-log"])
    assert result.exit_code == 0, result.output
    steps = pd.read_csv(out / "steps.csv")
    assert len(pd.read_csv(out / "event_log.csv")) == len(steps) > 0
    assert len(ET.parse(out / "event_log.xes").getroot().findall(f"{XES}trace")) > 0


def test_mixed_architecture_logs_each_bodys_own_system():
    scenario = small_scenario(horizon_days=3, warmup_days=0)
    steps = run_replication(scenario, "mixed", 0, keep_steps=True).steps
    log = eventlog.event_log(steps, scenario)
    own = {g.name: g.platform for g in scenario.bodies}
    assert set(log.architecture) == {"mixed"}
    assert set(own.values()) == {"osdo", "esed"}  # both systems appear
    assert (log.platform == log.body.map(own)).all()
    assert log.case_id.str.startswith("mixed-r0-").all()
