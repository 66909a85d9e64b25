"""Replication statistics: interval math against scipy, sequential precision, CRN, sim compare."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import small_scenario
from scipy import stats

from sim.cli import main
from sim.experiments.comparison import (
    compare_table,
    crn_effect,
    format_value,
    run_notes,
    sentence,
)
from sim.experiments.replications import (
    mean_ci,
    paired_differences,
    relative_half_widths,
    run_experiment,
    run_to_precision,
)
from sim.model.kpis import KPI_COLUMNS

BASE_SMALL = {  # conftest's small scenario, as a file for the CLI
    "name": "small", "horizon_days": 10, "warmup_days": 2, "replications": 2,
    "bodies": [
        {"name": "A", "kind": "central_ministry", "staff": 40, "platform": "osdo"},
        {"name": "B", "kind": "district_akimat", "staff": 30, "platform": "esed"},
    ],
    "staff": {"draft_start_days_before_term": None},  # as conftest: drafts at once
}


@pytest.mark.parametrize("n", [2, 3, 7, 30])
def test_mean_ci_is_scipys_student_t_interval(n):
    x = np.random.Generator(np.random.PCG64(n)).normal(10.0, 3.0, n)
    ci = mean_ci(x)
    low, high = stats.t.interval(0.95, n - 1, loc=x.mean(), scale=stats.sem(x))
    assert ci["mean"] == pytest.approx(x.mean())
    assert (ci["low"], ci["high"]) == (pytest.approx(low), pytest.approx(high))
    assert ci["n"] == n


def test_mean_ci_degenerate_cases():
    assert math.isnan(mean_ci(np.array([4.0]))["half_width"])
    assert mean_ci(np.array([np.nan, 2.0, 4.0]))["n"] == 2
    assert mean_ci(np.array([]))["n"] == 0


def test_paired_differences_is_scipys_paired_t_interval():
    rng = np.random.Generator(np.random.PCG64(1))
    common = rng.normal(50.0, 10.0, 8)
    a, b = common + rng.normal(1.0, 0.5, 8), common + rng.normal(0.0, 0.5, 8)
    table = pd.DataFrame(
        [{"platform": "osdo", "replication": r, **dict.fromkeys(KPI_COLUMNS, a[r])}
         for r in range(8)]
        + [{"platform": "esed", "replication": r, **dict.fromkeys(KPI_COLUMNS, b[r])}
           for r in range(8)])
    got = paired_differences(table, "osdo", "esed")["wip_mean"]
    want = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (got["low"], got["high"]) == (pytest.approx(want.low), pytest.approx(want.high))


def test_sequential_precision_stops_at_the_first_replication_count_that_meets_it():
    scenario = small_scenario()
    experiment, result = run_to_precision(scenario, "cycle_time_mean_h", 0.15, ["osdo"],
                                          min_replications=2, max_replications=12)
    r = result.replications
    assert result.reached and 2 <= r <= 12
    assert relative_half_widths(experiment, "cycle_time_mean_h")["osdo"] <= 0.15
    assert len(experiment.runs) == r
    # Minimal: with one replication fewer the target was not met (unless we started there).
    if r > 2:
        fewer = run_experiment(scenario, ["osdo"], r - 1)
        assert relative_half_widths(fewer, "cycle_time_mean_h")["osdo"] > 0.15
    # Adding replications one by one gives the very runs of a fixed-count experiment.
    fixed = run_experiment(scenario, ["osdo"], r)
    pd.testing.assert_frame_equal(experiment.summary(), fixed.summary())


def test_sequential_precision_respects_the_cap():
    _experiment, result = run_to_precision(small_scenario(), "cycle_time_mean_h", 1e-6,
                                           ["osdo"], min_replications=2, max_replications=3)
    assert not result.reached and result.replications == 3
    assert "NOT reached at the cap of 3" in result.describe()


def test_common_random_numbers_narrow_the_paired_interval():
    effect = crn_effect(small_scenario(), replications=6).set_index("kpi")
    for kpi in ["cycle_time_mean_h", "wip_mean", "staff_utilisation", "remote_step_share"]:
        assert effect.loc[kpi, "half_width_crn"] < effect.loc[kpi, "half_width_independent"]


def test_sentence_says_direction_size_and_significance_without_overclaiming():
    text = sentence("on_time_rate", 0.92, 0.80,
                    {"mean": 0.12, "half_width": 0.03, "low": 0.09, "high": 0.15, "n": 5})
    assert ("OSDO is higher than ESED by 12.0 ± 3.0 percentage points (OSDO 92.0%, ESED 80.0%; "
            "95% interval over 5 paired replications)") in text
    text = sentence("cycle_time_mean_h", 20.0, 21.0,
                    {"mean": -1.0, "half_width": 2.0, "low": -3.0, "high": 1.0, "n": 5})
    assert "could not tell OSDO and ESED apart (OSDO 20.0 h, ESED 21.0 h)" in text
    assert "-1.0 ± 2.0 h, a 95% interval that includes zero" in text
    # Out of zero but wide: a direction, not a size.
    text = sentence("cycle_time_mean_h", 20.0, 21.0,
                    {"mean": -1.0, "half_width": 0.8, "low": -1.8, "high": -0.2, "n": 3})
    assert "OSDO looks lower than ESED" in text and "could not be pinned down" in text
    # Counts in thousands, never 1.2e+04 vs 1.2e+04 or 0% ± 0%.
    text = sentence("documents_completed", 12464.0, 12400.0,
                    {"mean": 64.0, "half_width": 10.0, "low": 54.0, "high": 74.0, "n": 5})
    assert "by 64 ± 10 documents, 1% of ESED's (OSDO 12,464 documents, ESED 12,400" in text
    assert "e+" not in text
    assert sentence("left_system_secret", 0.0, 0.0, {"mean": 0.0, "half_width": 0.0, "low": 0.0,
                                                     "high": 0.0, "n": 5}).endswith(
        "the same on OSDO and ESED in every replication (OSDO 0 documents, ESED 0 documents).")
    noted = sentence("cycle_time_mean_h", 20.0, 21.0,
                     {"mean": -1.0, "half_width": 2.0, "low": -3.0, "high": 1.0, "n": 3},
                     ["only 3 replications"])
    assert noted.endswith("Caution: only 3 replications.")


def test_format_value_uses_the_units_people_use():
    assert format_value("on_time_rate", 0.9973, 0.0031) == "99.7% ± 0.3%"
    assert format_value("documents_created", 12464.0) == "12,464 documents"
    assert format_value("cycle_time_mean_h", 42.93, 1.71) == "42.9 ± 1.7 h"
    assert format_value("cycle_time_mean_h", 1.6, 9.7, difference=True) == "+1.6 ± 9.7 h"
    assert format_value("left_system_secret", 0.0, 0.0) == "0 documents"
    # A half-width that would round to 0 gets more decimals.
    assert format_value("unofficial_channel_share", 0.0002, 0.00004, difference=True) == \
        "+0.020 ± 0.004 percentage points"


def test_run_notes_warn_of_few_replications_and_an_unsettled_run():
    table = pd.DataFrame({"platform": ["osdo"] * 3 + ["esed"] * 3, "unstable": [0, 0, 1, 0, 0, 0],
                          "warmup_estimate_days": [2.0] * 3 + [9.0] * 3})
    notes = run_notes(table, warmup_days=5)
    assert notes[0].startswith("only 3 replications (fewer than 5)")
    assert any("OSDO backlog grows without bound in 1 of 3" in n for n in notes)
    assert any(n.startswith("ESED has not settled") and "9.0 working days" in n for n in notes)
    assert not any(n.startswith("OSDO has not settled") for n in notes)
    assert run_notes(table.assign(unstable=0, warmup_estimate_days=1.0).loc[
        lambda t: t.index.repeat(2)], 5) == []


def test_compare_table_has_one_row_per_kpi_with_the_paired_interval():
    experiment = run_experiment(small_scenario(), ["osdo", "esed"], 2)
    table = compare_table(experiment).set_index("kpi")
    paired = experiment.paired()
    assert table.loc["wip_mean", "half_width"] == pytest.approx(
        paired["wip_mean"]["half_width"])
    assert table.loc["wip_mean", "difference"] == pytest.approx(
        table.loc["wip_mean", "osdo_mean"] - table.loc["wip_mean", "esed_mean"])


def test_cli_compare_and_precision(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(BASE_SMALL))
    result = CliRunner().invoke(main, ["compare", str(path), "--replications", "2",
                                       "--csv", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    assert "OSDO - ESED over 2 paired replications" in result.output
    assert "- cycle_time_mean_h (" in result.output
    written = pd.read_csv(tmp_path / "c.csv")
    assert len(written) == 11  # the main KPIs
    # The CSV holds the numbers of the API's comparison of the same scenario and seed.
    from sim.config import load_scenario
    from sim.experiments.comparison import compare

    expected = compare(load_scenario(path), replications=2)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "r"),
                                       "--platform", "osdo", "--replications", "3",
                                       "--precision", "0.25", "--no-plots"])
    assert result.exit_code == 0, result.output
    # The stopping point, worked out from the run's own replications with scipy's t: the first
    # n >= 3 whose 95% half-width is within 25% of the mean.
    from scipy import stats

    cycle = pd.read_csv(tmp_path / "r" / "summary.csv").cycle_time_mean_h.to_numpy()
    ratios = [stats.t.ppf(0.975, n - 1) * cycle[:n].std(ddof=1) / n**0.5 / cycle[:n].mean()
              for n in range(3, len(cycle) + 1)]
    first = next(n for n, r in zip(range(3, len(cycle) + 1), ratios, strict=True) if r <= 0.25)
    assert first == len(cycle) and all(r > 0.25 for r in ratios[:-1])
    assert f"precision reached after {first} replications" in result.output
    bad = CliRunner().invoke(main, ["run", str(path), "--kpi", "wip_mean"])
    assert bad.exit_code == 2 and "--precision" in bad.output


def test_python_api_returns_dataframes():
    import sim

    frame = sim.run(small_scenario(), ["osdo"], replications=2).summary
    assert list(frame.replication) == [0, 1] and "cycle_time_mean_h" in frame
    pd.testing.assert_frame_equal(frame, run_experiment(small_scenario(), ["osdo"], 2).summary())
    loose = sim.run(small_scenario(), ["osdo"], replications=2, precision=0.99)
    assert loose.summary.attrs["precision"]["reached"] and loose.precision.reached
    table = sim.compare(small_scenario(), replications=2)
    assert "sentence" in table and len(table) == 11
    assert set(sim.__all__) >= {"run", "compare", "sweep"}


def test_cli_compare_crn_check_prints_the_ratio_of_half_widths(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(BASE_SMALL))
    result = CliRunner().invoke(main, ["compare", str(path), "--replications", "3",
                                       "--crn-check"])
    assert result.exit_code == 0, result.output
    from sim.config import load_scenario
    from sim.model.kpis import MAIN_KPIS

    effect = crn_effect(load_scenario(path), 3, kpis=MAIN_KPIS).set_index("kpi")
    line = next(x for x in result.output.splitlines() if x.strip().startswith("wip_mean "))
    assert line.endswith(f"ratio {effect.loc['wip_mean', 'ratio']:.2f}")
