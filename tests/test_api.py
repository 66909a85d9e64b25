"""The Python API for notebooks: sim.run's tables as DataFrames, sim.compare, progress, docs."""

from __future__ import annotations

import io
import math
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, small_scenario, small_scenario_dict

import sim
from sim.api import Progress, RunResults
from sim.experiments.replications import run_experiment
from sim.model.kpis import KPI_COLUMNS, KPIS


@pytest.fixture(scope="module")
def results() -> RunResults:
    return sim.run(small_scenario(), replications=2, workers=1, progress=False)


def test_run_returns_tables_as_dataframes(results):
    assert isinstance(results, RunResults)
    for name in ("summary", "means", "paired", "documents", "timeseries", "stability"):
        assert isinstance(getattr(results, name), pd.DataFrame), name
    expected = run_experiment(small_scenario(), None, 2)
    pd.testing.assert_frame_equal(results.summary, expected.summary())
    assert sorted(zip(results.summary.platform, results.summary.replication, strict=True)) == [
        ("esed", 0), ("esed", 1), ("osdo", 0), ("osdo", 1)]
    assert len(results.documents) > 100 and len(results.timeseries) > 10
    assert results.platforms == ["osdo", "esed"] and results.seed == small_scenario().seed
    # Ten working days: two calendar weeks per platform; no policy events in this scenario.
    assert sorted(set(zip(results.weekly.platform, results.weekly.week, strict=True))) == [
        ("esed", 1), ("esed", 2), ("osdo", 1), ("osdo", 2)]
    assert results.weekly.completed.sum() > 100
    assert results.events.empty and "label" in results.events


def test_means_is_one_row_per_platform_and_kpi_with_the_interval(results):
    means = results.means
    assert list(means.columns) == ["platform", "kpi", "unit", "mean", "half_width", "low",
                                   "high", "n"]
    assert len(means) == 2 * len(KPI_COLUMNS)
    intervals = results.experiment.intervals()  # the dict form stays for existing callers
    row = means.set_index(["platform", "kpi"]).loc[("esed", "wip_mean")]
    assert row["mean"] == pytest.approx(intervals["esed"]["wip_mean"]["mean"])
    assert row["low"] == pytest.approx(intervals["esed"]["wip_mean"]["low"])
    assert row["n"] == 2 and row["unit"] == KPIS["wip_mean"].unit
    grid = means.pivot(index="kpi", columns="platform", values="mean")
    assert grid.loc["cycle_time_mean_h", "osdo"] == pytest.approx(
        results.summary.query("platform == 'osdo'").cycle_time_mean_h.mean())


def test_paired_is_one_row_per_kpi_osdo_minus_esed(results):
    paired = results.paired.set_index("kpi")
    assert list(paired.index) == KPI_COLUMNS
    assert {"osdo_mean", "esed_mean", "difference", "half_width", "low", "high", "n",
            "significant"} <= set(paired.columns)
    summary = results.summary.set_index(["platform", "replication"])
    diffs = summary.loc["osdo"].wip_mean - summary.loc["esed"].wip_mean
    assert paired.loc["wip_mean", "difference"] == pytest.approx(diffs.mean())
    as_dict = results.experiment.paired()["wip_mean"]
    assert paired.loc["wip_mean", "half_width"] == pytest.approx(as_dict["half_width"])
    for row in paired.itertuples():
        assert row.significant == (row.low > 0 or row.high < 0)
    assert paired.loc["documents_created", "unit"] == "documents"


def test_paired_is_empty_with_one_platform():
    one = sim.run(small_scenario(horizon_days=4, warmup_days=1), ["osdo"], replications=2,
                  workers=1, progress=False)
    assert one.paired.empty and "difference" in one.paired.columns
    assert set(one.means.platform) == {"osdo"}


def test_repr_shows_what_was_run_and_the_kpi_table(results):
    text = repr(results)
    assert text.startswith("RunResults('small': 2 replication(s) x osdo, esed")
    assert "cycle_time_mean_h" in text and "OSDO-ESED (paired)" in text


def test_run_takes_a_mapping_a_file_and_overrides(tmp_path):
    import yaml

    raw = small_scenario_dict(horizon_days=4, warmup_days=1)
    by_mapping = sim.run(raw, ["osdo"], replications=1, workers=1, progress=False,
                         overrides=["staff.remote_share=0.8"])
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw))
    by_file = sim.run(path, ["osdo"], replications=1, workers=1, progress=False,
                      overrides=["staff.remote_share=0.8"])
    assert by_file.scenario.staff.remote_share == 0.8
    pd.testing.assert_frame_equal(by_mapping.summary, by_file.summary)


def test_run_to_precision_says_whether_it_was_reached():
    loose = sim.run(small_scenario(), ["osdo"], replications=2, precision=0.99, workers=1,
                    progress=False)
    assert loose.precision is not None and loose.precision.reached
    assert loose.summary.attrs["precision"]["reached"]
    assert "precision reached" in repr(loose)


def test_progress_prints_a_line_per_run_without_a_terminal(capsys):
    sim.run(small_scenario(horizon_days=4, warmup_days=1), ["osdo"], replications=2,
            workers=1)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("small: 1/2 runs done (last: osdo r0)")
    assert lines[-1].startswith("small: 2/2 runs done (last: osdo r1)")
    sim.run(small_scenario(horizon_days=4, warmup_days=1), ["osdo"], replications=1,
            workers=1, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_redraws_one_line_in_a_notebook(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # what a Jupyter kernel has loaded
    out = io.StringIO()
    bar = Progress("x", out)
    bar.update(1, 2, "osdo r0")
    bar.update(2, 2, "osdo r1")
    bar.close()
    text = out.getvalue()
    assert text.startswith("\rx: 1/2 runs done (last: osdo r0)")
    assert text.count("\r") == 2 and text.count("\n") == 1 and text.endswith("\n")


def test_compare_returns_a_table_per_kpi(capsys):
    table = sim.compare(small_scenario(), replications=2, workers=1)
    assert "sentence" in table and len(table) == 11
    assert table.difference.tolist() == pytest.approx(
        (table.osdo_mean - table.esed_mean).tolist(), nan_ok=True)
    assert "4/4 runs done" in capsys.readouterr().err
    one = sim.compare(small_scenario(), replications=2, kpis=["wip_mean"], workers=1,
                      progress=False)
    assert one.kpi.tolist() == ["wip_mean"] and not math.isnan(one.difference[0])


def test_the_api_is_visible_to_completion_and_documented():
    assert {"run", "compare", "sweep"} <= set(sim.__all__)
    assert {"run", "compare", "sweep"} <= set(dir(sim))
    for function in (sim.run, sim.compare, sim.sweep):
        doc = function.__doc__
        for section in ("Parameters\n    ----------", "Returns\n    -------",
                        "Examples\n    --------"):
            assert section in doc, (function.__name__, section)
    assert sim.config.load_scenario  # subpackages load on first use too


def test_dir_sim_loads_nothing_heavy():
    code = ("import sys, sim; names = dir(sim); "
            "print(sorted(m for m in ('pandas', 'scipy', 'simpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'runn'"):
        sim.runn  # noqa: B018
