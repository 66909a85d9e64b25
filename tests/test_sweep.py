"""Sweeps: expansion into runs, the store, executors, failures and resuming.

Bad sweep files are in tests/test_bad_sweeps.py, signals and SIGKILL in tests/test_sweep_signals.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import small_scenario_dict

import sim.experiments.executors
from sim.cli import main
from sim.cli.errors import EXIT_WORK_FAILED as EXIT_RUNS_FAILED
from sim.experiments.executors import OUTPUTS, execute_run, run_sweep
from sim.experiments.store import STORE_FILE, TIMING_COLUMNS, StoreMismatchError, read_store
from sim.experiments.sweeps import expand, load_sweep, point_seed, sweep_from_dict
from sim.outputs.sweep_folder import write_outputs

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = ROOT / "scenarios" / "sweeps"

# The shared small scenario on a three-day horizon: a run takes a few hundredths of a second.
BASE = small_scenario_dict(name="tiny", horizon_days=3, warmup_days=1, replications=1)
SWEEP = {
    "name": "tiny",
    "base": "base.yaml",
    "replications": 2,
    "seed": 11,
    "design": "grid",
    "parameters": {
        "staff.remote_share": {"range": [0.0, 0.6], "num": 2},
        "staff.messenger_user_share": {"values": [0.1, 0.5]},
    },
    "kpis": ["cycle_time_mean_h", "on_time_rate", "documents_completed"],
}


def write_sweep(folder: Path, **changes) -> Path:
    """A base scenario and a sweep file in ``folder``; ``changes`` update the sweep file."""
    (folder / "base.yaml").write_text(yaml.safe_dump(BASE))
    data = {**SWEEP, **changes}
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def broken_point(scenario) -> bool:
    """The point (3) whose runs the failure tests make raise: remote 0.6, messenger 0.5."""
    return scenario.staff.remote_share == 0.6 and scenario.staff.messenger_user_share == 0.5


def failing_runner(scenario, platform, replication, seed, kpis):
    """Like execute_run, but the runs of point 3 raise."""
    if broken_point(scenario):
        scenario = scenario.model_copy(update={"bodies": []})  # breaks run_replication
    return execute_run(scenario, platform, replication, seed, kpis)


KEY = ["point", "replication", "platform"]


def kpi_frame(out: Path, kpis=SWEEP["kpis"]) -> pd.DataFrame:
    with sqlite3.connect(out / STORE_FILE) as db:
        frame = pd.read_sql_query("SELECT * FROM runs", db)
    return frame.sort_values(KEY).reset_index(drop=True)[[*KEY, "seed", "status", *kpis]]


# ----------------------------------------------------------------------- expansion (pure)


def test_grid_expands_point_major_with_seeds_from_point_and_replication(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path))
    specs = expand(sweep)
    assert len(sweep.points) == 4 and len(specs) == 4 * 2 * 2
    assert [s.run_id for s in specs] == list(range(16))
    assert [p.labels for p in sweep.points] == [
        {"staff.remote_share": 0.0, "staff.messenger_user_share": 0.1},
        {"staff.remote_share": 0.0, "staff.messenger_user_share": 0.5},
        {"staff.remote_share": 0.6, "staff.messenger_user_share": 0.1},
        {"staff.remote_share": 0.6, "staff.messenger_user_share": 0.5},
    ]
    assert [(s.point, s.replication, s.platform) for s in specs[:4]] == [
        (0, 0, "osdo"), (0, 0, "esed"), (0, 1, "osdo"), (0, 1, "esed")]
    # OSDO and ESED of a point share the seed (CRN); points differ; nothing depends on order.
    assert {s.seed for s in specs if s.point == 2} == {point_seed(11, 2)}
    assert len({point_seed(11, p) for p in range(4)}) == 4
    assert expand(load_sweep(write_sweep(tmp_path))) == specs
    assert sweep.scenarios[3].staff.remote_share == 0.6
    assert sweep.scenarios[3].staff.messenger_user_share == 0.5


def test_point_seed_is_the_seed_sequence_of_sweep_seed_and_point():
    expected = np.random.SeedSequence(11, spawn_key=(0x5EE9, 3)).generate_state(1, np.uint64)
    assert point_seed(11, 3) == int(expected[0]) >> 1
    assert point_seed(11, 3) != point_seed(12, 3)


def test_range_step_labels_and_complement(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, parameters={
        "staff.remote_share": {"range": [0.0, 0.3], "step": 0.1},
        "staff.literacy.insecure": {"values": {"trained": 0.1, "today": 0.39},
                                    "complement": "staff.literacy.advanced"},
    }))
    shares = [p.labels["staff.remote_share"] for p in sweep.points[::2]]
    assert shares == [0.0, 0.1, 0.2, 0.3]  # rounded, high end included
    assert sweep.points[1].labels["staff.literacy.insecure"] == "today"
    assert sweep.scenarios[1].staff.literacy == {"advanced": 0.61, "insecure": 0.39}


def test_latin_hypercube_puts_one_point_in_each_stratum(tmp_path):
    n = 8
    sweep = load_sweep(write_sweep(tmp_path, design={"kind": "lhs", "n": n}, parameters={
        "staff.remote_share": {"range": [0.0, 0.8]},
        "staff.messenger_user_share": {"range": [0.2, 0.6]},
    }))
    assert len(sweep.points) == n
    for path, (low, high) in [("staff.remote_share", (0.0, 0.8)),
                              ("staff.messenger_user_share", (0.2, 0.6))]:
        u = np.array([(p.values[path] - low) / (high - low) for p in sweep.points])
        assert sorted(np.floor(u * n).astype(int)) == list(range(n))
    again = load_sweep(write_sweep(tmp_path, design={"kind": "lhs", "n": n}, parameters={
        "staff.remote_share": {"range": [0.0, 0.8]},
        "staff.messenger_user_share": {"range": [0.2, 0.6]},
    }))
    assert again.points == sweep.points  # seeded by the sweep seed


def test_integer_ranges_and_labelled_categories_on_grid_and_latin_hypercube(tmp_path):
    grid = load_sweep(write_sweep(tmp_path, parameters={
        "horizon_days": {"range": [3, 6], "num": 4, "integer": True}}))
    days = [p.values["horizon_days"] for p in grid.points]
    assert days == [3, 4, 5, 6] and all(type(d) is int for d in days)
    assert [s.horizon_days for s in grid.scenarios] == days
    n = 4
    lhs = load_sweep(write_sweep(tmp_path, design={"kind": "lhs", "n": n}, parameters={
        "horizon_days": {"range": [3, 6], "integer": True},
        "staff.literacy.insecure": {"values": {"trained": 0.1, "today": 0.39},
                                    "complement": "staff.literacy.advanced"},
    }))
    days = [p.values["horizon_days"] for p in lhs.points]
    assert all(type(d) is int and 3 <= d <= 6 for d in days)
    # A value list is a category axis: its n strata split evenly between the labels.
    labels = [p.labels["staff.literacy.insecure"] for p in lhs.points]
    assert sorted(labels) == ["today"] * (n // 2) + ["trained"] * (n // 2)
    for point, scenario in zip(lhs.points, lhs.scenarios, strict=True):
        share = {"trained": 0.1, "today": 0.39}[point.labels["staff.literacy.insecure"]]
        assert point.values["staff.literacy.insecure"] == share
        assert scenario.staff.literacy == {"advanced": round(1 - share, 12), "insecure": share}


def test_explicit_list_design(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, parameters={}, design={"kind": "list", "points": [
        {"staff.remote_share": 0.1, "horizon_days": 4}, {"staff.remote_share": 0.5,
                                                         "horizon_days": 3}]}))
    assert [s.horizon_days for s in sweep.scenarios] == [4, 3]
    assert len(expand(sweep)) == 2 * 2 * 2


# ----------------------------------------------------------------------- running


def exports(sweep, out: Path, **executor) -> dict[str, bytes]:
    """Run ``sweep`` into ``out`` on ``executor`` and return its exported tables' bytes."""
    run_sweep(sweep, out, **executor)
    write_outputs(sweep, out, plots_on=False)
    return {name: (out / name).read_bytes() for name in ("runs.csv", "points.csv")}


def test_exports_are_byte_identical_for_1_or_2_workers(tmp_path):
    """runs.csv leaves the wall-clock columns to timing.csv, so whole files can be compared."""
    sweep = load_sweep(write_sweep(tmp_path))
    one = exports(sweep, tmp_path / "one", workers=1)
    two = exports(sweep, tmp_path / "two", workers=2)  # runs finish out of order
    assert one == two
    runs = pd.read_csv(tmp_path / "one" / "runs.csv")
    assert list(runs.run_id) == list(range(16)) and not set(TIMING_COLUMNS) & set(runs)
    assert (runs.status == "ok").all() and runs.documents_completed.gt(0).all()
    assert runs.cycle_time_mean_h.nunique() > 8  # the runs do differ: equality is not vacuous
    timing = pd.read_csv(tmp_path / "two" / "timing.csv")
    assert list(timing.columns) == ["run_id", "point", "replication", "platform",
                                    *TIMING_COLUMNS]
    assert list(timing.run_id) == list(range(16)) and timing.runtime_s.gt(0).all()


def test_exports_are_byte_identical_on_dask(tmp_path):
    distributed = pytest.importorskip("distributed")
    sweep = load_sweep(write_sweep(tmp_path))
    one = exports(sweep, tmp_path / "one", workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=None) \
            as cluster:
        dask = exports(sweep, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert one == dask


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, replications=1))
    out = tmp_path / "out"
    outcome = run_sweep(sweep, out, workers=1, runner=failing_runner)
    assert outcome.ran == 8
    assert sorted((f["point"], f["platform"]) for f in outcome.failed) == [(3, "esed"),
                                                                           (3, "osdo")]
    frame = kpi_frame(out)
    failed = frame[frame.status == "failed"]
    assert list(failed.point) == [3, 3] and failed.cycle_time_mean_h.isna().all()
    with sqlite3.connect(out / STORE_FILE) as db:
        errors = [e for (e,) in db.execute("SELECT error FROM runs WHERE status = 'failed'")]
    assert all(e and "Error" in e for e in errors)
    write_outputs(sweep, out, plots_on=False)
    assert (out / "runs.csv").exists()

    def outputs_gone(done, total, failures):  # stale files must not outlive a changing store
        assert not any((out / name).exists() for name in OUTPUTS)

    # Running again retries the failed runs only.
    again = run_sweep(sweep, out, workers=1, progress=outputs_gone)
    assert again.skipped == 6 and again.ran == 2 and not again.failed
    assert (kpi_frame(out).status == "ok").all() and len(kpi_frame(out)) == 8


def test_cli_sweep_with_failed_runs_prints_everything_then_exits_1(tmp_path, monkeypatch):
    path = write_sweep(tmp_path, replications=1)
    out = tmp_path / "out"
    real = sim.experiments.executors.run_replication

    def run_replication(scenario, *args, **kwargs):
        if broken_point(scenario):
            raise RuntimeError("boom")
        return real(scenario, *args, **kwargs)

    monkeypatch.setattr(sim.experiments.executors, "run_replication", run_replication)
    command = ["sweep", str(path), "--out", str(out), "--workers", "1", "--no-plots"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == EXIT_RUNS_FAILED == 1, result.output
    assert "8 run(s) done, 0 already stored, 2 failed" in result.stdout
    assert "OSDO / ESED: mean per point" in result.stdout and "2 failed run(s)" in result.stdout
    assert result.stdout.count("RuntimeError: boom") == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: 2 of 8 runs failed (listed above); finished runs are stored in "
        f"{out / STORE_FILE}; run the sweep again to retry the failed ones")
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 8 and list(runs[runs.status == "failed"].point) == [3, 3]
    points = pd.read_csv(out / "points.csv")  # from ok runs: point 3 has none
    assert sorted(set(points.point)) == [0, 1, 2] and len(points) == 3 * 2 * 3
    monkeypatch.undo()
    again = CliRunner().invoke(main, command)
    assert again.exit_code == 0 and "2 run(s) done, 6 already stored, 0 failed" in again.stdout


def test_interrupt_while_writing_outputs_leaves_only_complete_files(tmp_path, monkeypatch):
    import sim.outputs.sweep_plots

    path = write_sweep(tmp_path, replications=1)
    out = tmp_path / "out"

    def half_the_plots(runs, parameters, kpis, folder, name):
        folder.mkdir()
        (folder / "first.png").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.outputs.sweep_plots, "write_sweep_plots", half_the_plots)
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines()[-1] == (
        f"interrupted (Ctrl-C): 8 of 8 runs are stored in {out / STORE_FILE}; rerun with "
        f"--resume to finish")
    # Every file written before the interrupt is whole; the plots are neither there nor half.
    assert {p.name for p in out.iterdir()} - {STORE_FILE, f"{STORE_FILE}-wal",
                                              f"{STORE_FILE}-shm"} == set(OUTPUTS) - {"plots"}
    assert len(pd.read_csv(out / "runs.csv")) == 8
    monkeypatch.undo()
    again = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "--resume",
                                      "--workers", "1"])
    assert again.exit_code == 0 and "0 run(s) done, 8 already stored" in again.stdout
    assert len(list((out / "plots").glob("*.png"))) == 3 * 2


def test_interrupted_sweep_resumes_without_losing_or_duplicating_runs(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path))
    full = tmp_path / "full"
    run_sweep(sweep, full, workers=1)

    def stop_after_five(done, total, failures):
        if done == 5:
            raise KeyboardInterrupt

    part = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, part, workers=1, progress=stop_after_five)
    assert len(kpi_frame(part)) == 5
    resumed = run_sweep(sweep, part, workers=2)
    assert resumed.skipped == 5 and resumed.ran == 11
    pd.testing.assert_frame_equal(kpi_frame(full), kpi_frame(part))
    nothing = run_sweep(sweep, part, workers=1)
    assert nothing.ran == 0 and nothing.skipped == 16


def test_store_refuses_a_different_sweep(tmp_path):
    run_sweep(load_sweep(write_sweep(tmp_path, replications=1)), tmp_path / "out", workers=1)
    other = load_sweep(write_sweep(tmp_path, replications=1, seed=12))
    with pytest.raises(StoreMismatchError, match="different sweep"):
        run_sweep(other, tmp_path / "out", workers=1)


def test_store_is_wal_with_a_unique_run_key(tmp_path):
    run_sweep(load_sweep(write_sweep(tmp_path, replications=1)), tmp_path / "out", workers=1)
    with sqlite3.connect(tmp_path / "out" / STORE_FILE) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = db.execute("SELECT * FROM runs LIMIT 1").fetchone()
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO runs SELECT * FROM runs LIMIT 1")
    assert row is not None


def test_cli_sweep_writes_store_tables_plots_and_summary(tmp_path):
    path = write_sweep(tmp_path, replications=1)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "8 run(s) done, 0 already stored, 0 failed" in result.output
    assert "OSDO / ESED: mean per point" in result.output
    assert "OSDO - ESED per point, paired (1 replication: no interval)" in result.output
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 8 and {"staff.remote_share", "seed", "status"} <= set(runs.columns)
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 4 * 2 * 3  # points x platforms x KPIs
    assert len(list((out / "plots").glob("*.png"))) == 3 * 2  # KPIs x parameters
    again = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "--resume",
                                      "--workers", "1", "--no-plots"])
    assert again.exit_code == 0 and "0 run(s) done, 8 already stored" in again.output
    missing = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "new"),
                                        "--resume"])
    assert missing.exit_code == 2 and "nothing to resume" in missing.output


@pytest.mark.parametrize("name", sorted(p.name for p in SWEEPS.glob("*.yaml")))
def test_every_shipped_sweep_runs_on_a_tiny_horizon(tmp_path, name):
    path = SWEEPS / name
    raw = yaml.safe_load(path.read_text())
    raw["replications"] = 1
    if raw["design"] != "grid":
        raw["design"]["n"] = 3
    tiny = ["horizon_days=2", "warmup_days=1", *[f"bodies.{i}.staff=12" for i in range(4)]]
    sweep = sweep_from_dict(raw, path, tiny)
    # The overrides (like --set) win over the sweep's own `set` in every point's scenario.
    assert {(s.horizon_days, s.warmup_days) for s in [sweep.base, *sweep.scenarios]} == {(2, 1)}
    assert {b.staff for s in sweep.scenarios for b in s.bodies} == {12}
    outcome = run_sweep(sweep, tmp_path / "out", workers=1)
    assert not outcome.failed and outcome.ran == len(expand(sweep))
    assert len(load_sweep(path).points) >= len(sweep.points)  # the file as shipped is valid


def test_python_api_sweep_returns_the_stored_runs(tmp_path):
    import sim

    runs = sim.sweep(write_sweep(tmp_path, replications=1), tmp_path / "out", workers=1)
    assert len(runs) == 8 and (runs.status == "ok").all()
    assert {"staff.remote_share", "staff.messenger_user_share", "cycle_time_mean_h"} <= set(runs)
    pd.testing.assert_frame_equal(runs, read_store(tmp_path / "out" / STORE_FILE))
    assert not (tmp_path / "out" / "plots").exists()  # plots=False by default


def test_sweep_plot_draws_each_platforms_mean_and_interval_per_value():
    from scipy import stats

    from sim.outputs.sweep_plots import sweep_kpi

    runs = pd.DataFrame({
        "platform": ["osdo"] * 6 + ["esed"] * 2,
        "share": [0.4, 0.4, 0.0, 0.0, 0.0, 0.4, 0.0, 0.4],  # unsorted: x must come out sorted
        "internet": ["poor", "good", "poor", "good", "poor", "good", "poor", "good"],
        "status": ["ok"] * 5 + ["failed", "ok", "ok"],
        "kpi": [3.0, 5.0, 1.0, 2.0, 6.0, 99.0, 7.0, 8.0],
    })
    ax = sweep_kpi(runs, "kpi", "share")
    osdo, esed = ax.lines
    assert osdo.get_label() == "OSDO" and list(osdo.get_xdata()) == [0.0, 0.4]
    assert list(osdo.get_ydata()) == [3.0, 4.0]  # the failed run (99) is left out
    assert list(esed.get_xdata()) == [0.0, 0.4] and list(esed.get_ydata()) == [7.0, 8.0]
    # The band is the 95% Student-t interval of each value's runs: OSDO's three runs at 0.0; the
    # two at 0.4 are too few for an interval, so the band closes on their mean.
    band = {(x, round(y, 9)) for x, y in ax.collections[0].get_paths()[0].vertices}
    sample = [1.0, 2.0, 6.0]
    low, high = stats.t.interval(0.95, len(sample) - 1, loc=np.mean(sample),
                                 scale=stats.sem(sample))
    assert {(0.0, round(low, 9)), (0.0, round(high, 9))} <= band
    assert {(0.4, 4.0)} <= band and not any(x == 0.4 and y != 4.0 for x, y in band)
    # Labels are categories, placed evenly in the order they first appear.
    ax = sweep_kpi(runs, "kpi", "internet")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["poor", "good"]
    assert list(ax.lines[0].get_xdata()) == [0, 1] and list(ax.lines[0].get_ydata()) == [
        pytest.approx(10 / 3), 3.5]


def test_points_start_from_the_bases_office_with_office_from_base(tmp_path):
    # Every point's snapshot is the base's (its parameters undone for the snapshot), so the
    # points of a seed block share one office; without office_from each point has its own.
    from sim.config.errors import SweepFileError
    from sim.model.office import office_key, snapshot_scenario

    working = {"office": "working", "snapshot_days": 5}
    shared = load_sweep(write_sweep(tmp_path, office_from="base",
                                    set={"start": working}))
    base_key = office_key(snapshot_scenario(shared.base), "osdo", 0, 1)
    assert {office_key(snapshot_scenario(s), "osdo", 0, 1) for s in shared.scenarios} == {base_key}
    assert shared.scenarios[3].staff.remote_share == 0.6  # the run itself is the point's
    assert shared.scenarios[3].start.snapshot_set == {"staff.remote_share": 0.5,
                                                      "staff.messenger_user_share": 0.41}
    own = load_sweep(write_sweep(tmp_path, set={"start": working}))
    assert len({office_key(snapshot_scenario(s), "osdo", 0, 1) for s in own.scenarios}) == 4
    with pytest.raises(SweepFileError, match="office_from: base needs start.office: working"):
        load_sweep(write_sweep(tmp_path, office_from="base"))
