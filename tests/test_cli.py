"""The command line, through click's CliRunner, writing only under tmp_path."""

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.model.kpis import KPI_COLUMNS

SCENARIOS = sorted(Path("scenarios").glob("*.yaml"))
REQUIRED_KPIS = [
    "documents_created", "documents_completed", "throughput_per_day", "cycle_time_mean_h",
    "cycle_time_p50_h", "cycle_time_p95_h", "on_time_rate", "overdue_open", "wip_mean",
    "staff_utilisation", "connectivity_loss_h_per_employee", "unofficial_channel_share",
]
# A short run; a working office (the shipped scenarios) from a short snapshot, cheaply.
SHORT = ["--set", "horizon_days=4", "--set", "warmup_days=1", "--set", "start.snapshot_days=5"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "baseline"
    # Four days are shorter than the terms: drafts start at once, so that letters reach other
    # bodies within the run.
    result = invoke("run", "scenarios/baseline.yaml", "--out", out, "--replications", 2, *SHORT,
                    "--set", "staff.draft_start_days_before_term=null")
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_writes_every_output_file(baseline_run):
    out, _ = baseline_run
    names = {p.name for p in out.iterdir()}
    assert {"summary.csv", "summary.json", "documents.csv", "timeseries.csv",
            "scenario.resolved.yaml", "cycle_time.png", "open_documents.png",
            "delay_attribution.png"} <= names
    assert not any(p.name.startswith(".") for p in out.parent.iterdir())  # no temp folder left


def test_summary_has_a_row_per_platform_and_replication_and_every_kpi(baseline_run):
    out, _ = baseline_run
    summary = pd.read_csv(out / "summary.csv")
    assert set(REQUIRED_KPIS) <= set(summary.columns)
    assert list(summary.columns[2:]) == [*KPI_COLUMNS, "saturated_resource"]
    # Counts are written as whole numbers (12464, not 12464.0).
    text = (out / "summary.csv").read_text().splitlines()
    header, first = text[0].split(","), text[1].split(",")
    for kpi in ("documents_created", "documents_completed", "gateway_transmissions", "unstable",
                "overloaded_people"):
        assert first[header.index(kpi)].isdigit(), (kpi, first[header.index(kpi)])
    assert sorted(zip(summary.platform, summary.replication, strict=True)) == [
        ("esed", 0), ("esed", 1), ("osdo", 0), ("osdo", 1)]


def test_summary_json_is_self_describing(baseline_run):
    out, _ = baseline_run
    data = json.loads((out / "summary.json").read_text())
    assert data["scenario"] == "baseline"
    assert data["seed"] == 20230101
    assert data["replications"] == 2
    ci = data["platforms"]["osdo"]["cycle_time_mean_h"]
    assert ci["low"] <= ci["mean"] <= ci["high"]
    assert set(data["paired_osdo_minus_esed"]) >= set(REQUIRED_KPIS)


def test_documents_and_timeseries_columns(baseline_run):
    out, _ = baseline_run
    docs = pd.read_csv(out / "documents.csv")
    assert {"id", "replication", "platform", "body", "type", "created_min", "completed_min",
            "deadline_min", "cycle_time_h", "on_time", "rework", "unofficial"} <= set(docs.columns)
    # Names beside numbers, as in the event log; who sent a received letter.
    assert list(docs.columns[3:8]) == ["body", "body_name", "body_kind", "received_from",
                                       "received_from_name"]
    assert set(docs.body_name) <= {"Ministry of Information and Public Development",
                                   "Astana Department of Internal Policy",
                                   "Astana Department of Religious Affairs",
                                   "Esil District Akim's Office"}
    received = docs[docs.id.str.contains(">")]
    assert len(received) and received.received_from.notna().all()
    sender = received.id.str.split(">").str[-2].str.removeprefix("b").str.split("-").str[0]
    assert (sender.astype(int) == received.received_from).all()
    assert docs[~docs.id.str.contains(">")].received_from.isna().all()
    delays = docs.filter(like="delay_")
    assert (delays >= 0).all().all()  # no -6.6e-13 from float rounding
    series = pd.read_csv(out / "timeseries.csv")
    assert {"platform", "replication", "time_min", "open_documents", "completed_total",
            "staff_online"} <= set(series.columns)
    assert series.timestamp.iloc[0] == "2023-01-09T00:00:00+06:00"
    stamps = pd.to_datetime(series.timestamp, format="ISO8601", utc=True)
    assert ((stamps - stamps.iloc[0]).dt.total_seconds() / 60 == series.time_min
            - series.time_min.iloc[0]).all()
    assert series.groupby(["platform", "replication"]).completed_total.is_monotonic_increasing.all()


def test_resolved_scenario_repeats_the_run(baseline_run, tmp_path):
    out, _ = baseline_run
    again = tmp_path / "again"
    result = invoke("run", out / "scenario.resolved.yaml", "--out", again, "--replications", 2,
                    "--no-plots")
    assert result.exit_code == 0, result.output
    a = pd.read_csv(out / "summary.csv")
    b = pd.read_csv(again / "summary.csv")
    pd.testing.assert_frame_equal(a, b)


def test_terminal_table_compares_platforms(baseline_run):
    _, output = baseline_run
    assert "OSDO" in output and "ESED" in output and "OSDO-ESED (paired)" in output
    assert "cycle_time_mean_h" in output


def test_existing_run_folder_is_not_overwritten(baseline_run):
    out, _ = baseline_run
    before = (out / "summary.csv").read_bytes()
    result = CliRunner().invoke(main, ["run", "scenarios/baseline.yaml", "--out", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (out / "summary.csv").read_bytes() == before


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_runs(path, tmp_path):
    horizon = ["--set", "horizon_days=1", "--set", "warmup_days=0"] if path.stem in (
        "national", "reference_process") else SHORT
    result = invoke("run", path, "--out", tmp_path / "r", "--replications", 1, "--no-plots",
                    *horizon)
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "r" / "summary.csv")
    assert (summary.documents_created > 0).all()


def test_validate_and_schema():
    result = invoke("validate", "scenarios/national.yaml")
    assert result.exit_code == 0
    assert "79,930 staff" in result.output
    schema = json.loads(invoke("schema").output)
    assert schema["title"] == "Scenario"


def test_bad_input_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstaff: {remote_share: 1.2}\n")
    for args in (["validate", bad], ["run", bad, "--out", tmp_path / "o"]):
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        assert f"{bad}: staff.remote_share: 1.2 is not allowed" in result.output
    assert not (tmp_path / "o").exists()


def test_python_m_sim_is_the_cli():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "sim", "--version"], capture_output=True,
                          text=True, check=True)
    assert "sim, version" in done.stdout
