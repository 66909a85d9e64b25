"""The process-mining event log: exact timestamps, one row per step, valid XES read by pm4py."""

import datetime as dt
import gzip
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
# Incoming mail goes to the leadership first: register -> referral -> resolution.
REFERRED = ["register", "referral", "resolution"]


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
    # Wall-clock times in Almaty, aware of the zone (UTC+6 in 2023).
    assert got == [(s, pd.Timestamp(a, tz="Asia/Almaty"), pd.Timestamp(b, tz="Asia/Almaty"))
                   for s, a, b in expected]
    assert str(first.start_timestamp.iloc[0].utcoffset()) == "6:00:00"
    text = eventlog._iso(first.start_timestamp)
    assert text[0] == pd.Timestamp(expected[0][1]).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + \
        "+06:00"
    assert set(log.case_id) == {f"esed-r0-{d}" for d in steps.document}
    assert (log.resource.str.fullmatch(r"employee-\d+")).all()


def test_csv_has_one_row_per_step_in_process_mining_columns(logged_run):
    experiment, out = logged_run
    steps = experiment.steps()
    log = pd.read_csv(out / "event_log.csv.gz")
    assert list(log.columns) == eventlog.EVENT_LOG_COLUMNS
    assert len(log) == len(steps)
    for col in ("start_timestamp", "complete_timestamp"):
        assert log[col].str.endswith("+06:00").all()  # with the zone's UTC offset
        parsed = pd.to_datetime(log[col], format="ISO8601")
        assert parsed.notna().all()
    assert (pd.to_datetime(log.complete_timestamp) >= pd.to_datetime(log.start_timestamp)).all()
    # A case is one document in one run: the same document on two platforms is two cases.
    assert log.groupby("case_id").platform.nunique().max() == 1
    assert log.case_id.nunique() == steps.groupby(
        ["platform", "replication", "document"]).ngroups
    assert set(log.activity) == {*ROUTE, "referral"}
    assert set(log.document_type) <= set(experiment.scenario.documents.types)
    assert set(log.body) == {"A", "B"}


def test_cases_say_whether_open_at_the_horizon_and_created_in_the_warm_up(logged_run):
    experiment, out = logged_run
    log = pd.read_csv(out / "event_log.csv.gz")
    assert log.groupby("case_id")[["case_open", "case_in_warmup"]].nunique().max().max() == 1
    assert log.case_open.any() and not log.case_open.all()
    assert log.case_in_warmup.any() and not log.case_in_warmup.all()
    # Open cases are the documents the documents table leaves without a completion.
    docs = experiment.documents()
    open_docs = {(p, r, d) for p, r, d, done in zip(docs.platform, docs.replication, docs.id,
                                                     docs.completed_min, strict=True)
                 if pd.isna(done)}
    counted = log[~log.case_in_warmup]
    flagged = {(p, r, d) for p, r, d in zip(counted.architecture, counted.replication,
                                            counted.document, strict=True)}
    logged_open = {(p, r, d) for p, r, d, o in zip(counted.architecture, counted.replication,
                                                    counted.document, counted.case_open,
                                                    strict=True) if o}
    assert logged_open == open_docs & flagged


def test_xes_is_well_formed_with_a_start_and_complete_event_per_step(logged_run):
    experiment, out = logged_run
    with gzip.open(out / "event_log.xes.gz") as xes:
        root = ET.parse(xes).getroot()
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
    log = pm4py.read_xes(str(out / "event_log.xes.gz"))  # pm4py reads it gzipped
    csv = pd.read_csv(out / "event_log.csv.gz")
    assert log["case:concept:name"].nunique() == csv.case_id.nunique()
    done = log[log["lifecycle:transition"] == "complete"]
    dfg, starts, _ends = pm4py.discover_dfg(done)
    for route in (ROUTE, REFERRED):
        for a, b in zip(route, route[1:], strict=False):
            assert dfg.get((a, b), 0) > 0, f"no {a} -> {b} in {sorted(dfg)}"
    assert "register" in starts
    # Timestamps survive the round trip: pm4py reads the same instants the CSV holds.
    first = csv.iloc[0]
    case = done[done["case:concept:name"] == first.case_id]
    want = pd.Timestamp(first.complete_timestamp).tz_convert("UTC")  # the same instant
    got = case["time:timestamp"]
    got = got.dt.tz_convert("UTC") if got.dt.tz else got.dt.tz_localize("UTC")  # pm4py: UTC
    assert want in set(got)


def test_sim_run_event_log_flag_writes_both_formats_gzipped(tmp_path):
    from click.testing import CliRunner

    from sim.cli import main
    from sim.config import dump_resolved

    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(dump_resolved(small_scenario(horizon_days=3, warmup_days=0)))
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(scenario_file), "--out", str(out),
                                       "--replications", "1", "--no-plots", "--event-log"])
    assert result.exit_code == 0, result.output
    steps = pd.read_csv(out / "steps.csv.gz")
    assert len(pd.read_csv(out / "event_log.csv.gz")) == len(steps) > 0
    with gzip.open(out / "event_log.xes.gz") as xes:
        assert len(ET.parse(xes).getroot().findall(f"{XES}trace")) > 0
    assert not {"steps.csv", "event_log.csv", "event_log.xes"} & {p.name for p in out.iterdir()}


def test_mixed_architecture_logs_each_bodys_own_system():
    scenario = small_scenario(horizon_days=3, warmup_days=0)
    steps = run_replication(scenario, "mixed", 0, keep_steps=True).steps
    log = eventlog.event_log(steps, scenario)
    own = {g.name: g.platform for g in scenario.bodies}
    assert set(log.architecture) == {"mixed"}
    assert set(own.values()) == {"osdo", "esed"}  # both systems appear
    assert (log.platform == log.body.map(own)).all()
    assert log.case_id.str.startswith("mixed-r0-").all()


def test_the_fast_csv_writer_writes_what_pandas_writes(tmp_path):
    frame = pd.DataFrame({
        "x": [0.1, float("nan"), -0.0, 1e-05, 1e16, 2400.0],
        "n": [1, 2, 3, -4, 0, 10**12],
        "flag": [True, False, True, True, False, False],
        "text": ["plain", 'with "quotes"', "a,b", "two\nlines", None, ""],
        "maybe": [True, None, False, True, None, False],
        "body": pd.array([None, 3, 0, None, 1, 2], dtype="Int64"),  # e.g. received_from
    })
    for part in (frame, frame.iloc[:0]):
        eventlog.write_frame_csv(part, tmp_path / "fast.csv")
        assert (tmp_path / "fast.csv").read_bytes() == part.to_csv(index=False).encode()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        eventlog.write_frame_csv(frame, tmp_path / folder / "t.csv.gz")
    packed = (tmp_path / "a" / "t.csv.gz").read_bytes()
    assert gzip.decompress(packed) == frame.to_csv(index=False).encode()
    # No time stamp in the gzip header: the same table gives the same bytes.
    assert packed == (tmp_path / "b" / "t.csv.gz").read_bytes()


def test_xes_text_is_what_xml_etree_writes(logged_run, tmp_path):
    """The column-wise writer against the element-by-element one it replaced."""
    experiment, _ = logged_run
    log = eventlog.event_log(experiment.steps(), experiment.scenario)
    log.loc[log.index[:5], "body"] = 'A "body", <odd> & new\nline'  # every escape
    eventlog.write_xes(log, tmp_path / "fast.xes", name="run & <name>")
    header = ET.tostring(eventlog._header("run & <name>"), encoding="unicode")
    lines = ["<?xml version='1.0' encoding='utf-8'?>", header[: -len("</log>")]]
    for case_id, rows in log.groupby("case_id", sort=True):
        trace = ET.Element("trace")
        eventlog._attr(trace, "concept:name", case_id)
        for key in ("platform", "architecture", "replication", "document", "document_type",
                    "body", "body_kind", "case_open", "case_in_warmup"):
            eventlog._attr(trace, key, rows[key].tolist()[0])
        events = sorted([(t, 1, "start", k) for k, t in enumerate(rows.start_timestamp)]
                        + [(t, 0, "complete", k) for k, t in enumerate(rows.complete_timestamp)])
        for when, _, transition, k in events:
            row = rows.iloc[k]
            event = ET.SubElement(trace, "event")
            ET.SubElement(event, "string", key="concept:name", value=row.activity)
            ET.SubElement(event, "string", key="lifecycle:transition", value=transition)
            ET.SubElement(event, "date", key="time:timestamp",
                          value=when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+06:00")
            ET.SubElement(event, "string", key="org:resource", value=row.resource)
            ET.SubElement(event, "string", key="org:role", value=row.role)
            eventlog._attr(event, "at_home", bool(row.at_home))
        lines.append(ET.tostring(trace, encoding="unicode"))
    lines.append("</log>")
    assert (tmp_path / "fast.xes").read_text(encoding="utf-8") == "\n".join(lines) + "\n"
