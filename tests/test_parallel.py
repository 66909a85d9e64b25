"""Runs spread over worker processes give the same files, byte for byte, as one process."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import small_scenario, small_scenario_dict

from sim.cli import main
from sim.experiments.replications import run_experiment, run_to_precision

PLAIN_FILES = ("summary.csv", "documents.csv", "timeseries.csv")
GZIPPED_FILES = ("steps.csv.gz", "event_log.csv.gz", "event_log.xes.gz")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("parallel") / "small.yaml"
    path.write_text(yaml.safe_dump(small_scenario_dict(replications=3)))
    return path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_sim_run_writes_the_same_files_on_one_and_two_workers(scenario_file, tmp_path):
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = invoke("run", scenario_file, "--out", out, "--no-plots", "--event-log",
                        "--workers", workers)
        assert result.exit_code == 0, result.output
        outs[workers] = out
        # Without a terminal: one line per finished run, then one while writing.
        done = [line for line in result.stderr.splitlines() if line.startswith("run ")]
        assert len(done) == 6 and all(" done (" in line for line in done)
        assert "writing results" in result.stderr
    for name in PLAIN_FILES + GZIPPED_FILES:
        assert (outs[1] / name).read_bytes() == (outs[2] / name).read_bytes(), name
    documents = pd.read_csv(outs[2] / "documents.csv")
    assert documents.replication.nunique() == 3 and len(documents) > 100  # not vacuous


def test_sim_compare_is_the_same_on_one_and_two_workers(scenario_file, tmp_path):
    tables = {}
    for workers in (1, 2):
        csv = tmp_path / f"compare{workers}.csv"
        result = invoke("compare", scenario_file, "--csv", csv, "--workers", workers)
        assert result.exit_code == 0, result.output
        tables[workers] = csv.read_bytes()
    assert tables[1] == tables[2]


def test_runs_keep_their_order_and_records_whatever_order_they_finish_in():
    scenario = small_scenario()
    one = run_experiment(scenario, ["osdo", "esed", "mixed"], 3, keep_steps=True, workers=1)
    three = run_experiment(scenario, ["osdo", "esed", "mixed"], 3, keep_steps=True, workers=3)
    assert [(r.replication, r.platform) for r in three.runs] == [
        (r, p) for r in range(3) for p in ("osdo", "esed", "mixed")]
    for a, b in zip(one.runs, three.runs, strict=True):
        assert repr(a.kpis) == repr(b.kpis) and a.totals == b.totals  # repr: NaN != NaN
        assert a.saturated_resource == b.saturated_resource
        for frame in ("documents", "steps", "timeseries"):
            pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame))
    assert one.steps().to_csv(index=False) == three.steps().to_csv(index=False)
    # Records cross process boundaries pickled, frames included.
    again = pickle.loads(pickle.dumps(one.runs[0]))
    pd.testing.assert_frame_equal(again.steps, one.runs[0].steps)


@pytest.mark.parametrize("workers", [2, 5])
def test_precision_stops_where_the_serial_procedure_stops(workers):
    """Parallel rounds run replications ahead; those past the stopping point are dropped."""
    scenario = small_scenario()
    serial, where = run_to_precision(scenario, "cycle_time_mean_h", 0.2, max_replications=12,
                                     workers=1)
    checks: list[int] = []
    parallel, there = run_to_precision(scenario, "cycle_time_mean_h", 0.2, max_replications=12,
                                       workers=workers, progress=lambda r, _w: checks.append(r))
    assert there == where and 2 < where.replications < 12  # stopped mid-way: not vacuous
    assert checks == list(range(2, where.replications + 1))
    assert parallel.summary().equals(serial.summary())


def test_a_dask_cluster_gives_the_same_experiment():
    distributed = pytest.importorskip("distributed")
    scenario = small_scenario()
    one = run_experiment(scenario, replications=2, workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=None) \
            as cluster:
        dask = run_experiment(scenario, replications=2, scheduler=cluster.scheduler_address)
    assert dask.summary().equals(one.summary())
    assert dask.documents().equals(one.documents())


def test_a_failing_writer_process_fails_the_write_and_leaves_no_folder(tmp_path, monkeypatch):
    """documents.csv is written by a forked child: its failure must not pass unnoticed."""
    import sim.outputs.run_folder as run_folder

    real = run_folder.write_frame_csv

    def broken(frame, path):
        if str(path).endswith("documents.csv"):
            raise OSError("disk full")
        real(frame, path)

    monkeypatch.setattr(run_folder, "write_frame_csv", broken)
    experiment = run_experiment(small_scenario(), replications=1)
    with pytest.raises((RuntimeError, OSError), match="documents.csv|disk full"):
        run_folder.write_run(experiment, tmp_path / "run", 1.0, plots_on=False)
    assert list(tmp_path.iterdir()) == []
