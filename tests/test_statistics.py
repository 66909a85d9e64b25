"""Replication statistics by hand: the interval's numbers and shape for n = 0, 1, 2, 5, and the
exact text of ``mean ± half-width`` in tables.

Expected values are worked out here from Student-t table values (t(0.975, 1) = 12.7062,
t(0.975, 4) = 2.7764, t(0.95, 4) = 2.1318), never with the functions under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim.outputs.tables as tables
from sim.experiments.statistics import format_ci, mean_ci, paired_differences
from sim.model.kpis import KPI_COLUMNS

NAN = math.nan
KEYS = {"mean", "half_width", "low", "high", "n"}
T_975_1, T_975_4, T_95_4 = 12.706205, 2.776445, 2.131847


def _ci(mean: float, half: float, n: int) -> dict[str, float]:
    return {"mean": mean, "half_width": half, "low": mean - half, "high": mean + half, "n": n}


# ------------------------------------------------------------------ mean_ci: the numbers
def test_five_replications_give_the_student_t_interval_worked_by_hand():
    # 1..5: mean 3, sample sd sqrt(2.5), standard error sqrt(2.5 / 5) = sqrt(0.5).
    ci = mean_ci(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    half = T_975_4 * math.sqrt(0.5)  # 1.96324
    assert set(ci) == KEYS
    assert ci["n"] == 5
    assert ci["mean"] == 3.0
    assert ci["half_width"] == pytest.approx(half, rel=1e-6)
    assert ci["low"] == pytest.approx(3.0 - half, rel=1e-6)
    assert ci["high"] == pytest.approx(3.0 + half, rel=1e-6)


def test_two_replications_use_one_degree_of_freedom():
    # 1 and 3: mean 2, sd sqrt(2), standard error 1: the half-width is t(0.975, 1) itself.
    ci = mean_ci(np.array([1.0, 3.0]))
    assert ci["n"] == 2
    assert ci["mean"] == 2.0
    assert ci["half_width"] == pytest.approx(T_975_1, rel=1e-6)
    assert (ci["low"], ci["high"]) == (pytest.approx(2.0 - T_975_1, rel=1e-6),
                                       pytest.approx(2.0 + T_975_1, rel=1e-6))


def test_the_confidence_level_sets_the_t_quantile():
    ci = mean_ci(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), confidence=0.90)
    assert ci["half_width"] == pytest.approx(T_95_4 * math.sqrt(0.5), rel=1e-6)  # 1.50744


def test_one_replication_has_a_mean_and_no_interval_with_the_usual_keys():
    ci = mean_ci(np.array([4.0]))
    assert set(ci) == KEYS  # the same shape as any other interval: callers index low/high
    assert ci["n"] == 1
    assert ci["mean"] == 4.0
    assert all(math.isnan(ci[k]) for k in ("half_width", "low", "high"))


def test_no_replications_give_nan_everywhere_and_n_zero():
    ci = mean_ci(np.array([]))
    assert set(ci) == KEYS
    assert ci["n"] == 0
    assert all(math.isnan(ci[k]) for k in ("mean", "half_width", "low", "high"))


def test_nan_replications_are_left_out_of_the_count_and_the_mean():
    ci = mean_ci(np.array([NAN, 1.0, NAN, 3.0]))
    assert ci["n"] == 2
    assert ci["mean"] == 2.0
    assert ci["half_width"] == pytest.approx(T_975_1, rel=1e-6)
    only = mean_ci(np.array([NAN, 7.0]))
    assert (only["n"], only["mean"]) == (1, 7.0)
    assert mean_ci(np.array([NAN, NAN]))["n"] == 0


def test_paired_differences_pair_replications_by_number_and_keep_only_common_ones():
    # Replication 9 of OSDO has no ESED partner and is left out. Differences of cycle time:
    # 12-10, 14-11, 13-9, 11-10, 15-10 = 2, 3, 4, 1, 5 -> mean 3, sd sqrt(2.5), n 5.
    osdo = pd.DataFrame({"platform": "osdo", "replication": [0, 1, 2, 3, 4, 9],
                         "cycle_time_mean_h": [12.0, 14.0, 13.0, 11.0, 15.0, 99.0]})
    esed = pd.DataFrame({"platform": "esed", "replication": [4, 3, 2, 1, 0],
                         "cycle_time_mean_h": [10.0, 10.0, 9.0, 11.0, 10.0]})
    table = pd.concat([osdo, esed], ignore_index=True)
    for k in KPI_COLUMNS:
        if k != "cycle_time_mean_h":
            table[k] = 1.0
    got = paired_differences(table, "osdo", "esed")
    ci = got["cycle_time_mean_h"]
    assert (ci["n"], ci["mean"]) == (5, 3.0)
    assert ci["half_width"] == pytest.approx(T_975_4 * math.sqrt(0.5), rel=1e-6)
    assert set(got) == set(KPI_COLUMNS)
    assert paired_differences(table[table.platform == "osdo"], "osdo", "esed") == {}


# ------------------------------------------------------------------ format_ci: the text
@pytest.mark.parametrize(("ci", "fmt", "text"), [
    (_ci(42.94, 1.66, 5), "{:.1f}", "42.9 ± 1.7"),  # n = 5: mean and half-width
    (_ci(0.8125, 0.04, 5), "{:.3f}", "0.812 ± 0.040"),
    (_ci(2.0, T_975_1, 2), "{:.1f}", "2.0 ± 12.7"),  # n = 2: a wide interval, still shown
    ({"mean": 4.0, "half_width": NAN, "low": NAN, "high": NAN, "n": 1}, "{:.1f}", "4.0"),
    ({"mean": NAN, "half_width": NAN, "low": NAN, "high": NAN, "n": 0}, "{:.1f}", "-"),
    # n = 0 says "none" even if a mean were there; a NaN mean says it whatever n claims.
    ({"mean": 3.0, "half_width": 1.0, "low": 2.0, "high": 4.0, "n": 0}, "{:.1f}", "-"),
    ({"mean": NAN, "half_width": 1.0, "low": NAN, "high": NAN, "n": 3}, "{:.1f}", "-"),
])
def test_format_ci_writes_mean_plus_minus_half_width_exactly(ci, fmt, text):
    assert format_ci(ci, fmt) == text


def test_format_ci_of_mean_ci_for_one_two_and_five_replications():
    assert format_ci(mean_ci(np.array([1.0, 2.0, 3.0, 4.0, 5.0])), "{:.2f}") == "3.00 ± 1.96"
    assert format_ci(mean_ci(np.array([1.0, 3.0])), "{:.2f}") == "2.00 ± 12.71"
    assert format_ci(mean_ci(np.array([4.25])), "{:.2f}") == "4.25"
    assert format_ci(mean_ci(np.array([])), "{:.2f}") == "-"


class _FiveReplications:
    """What kpi_table reads of an experiment: two architectures, five replications each."""

    platforms = ["osdo", "esed"]

    def intervals(self):
        return {"osdo": {"cycle_time_mean_h": _ci(42.94, 1.66, 5),
                         "on_time_rate": _ci(0.9134, 0.0212, 5)},
                "esed": {"cycle_time_mean_h": _ci(51.0, 2.04, 5),
                         "on_time_rate": _ci(0.875, 0.031, 5)}}

    def paired(self):
        return {"cycle_time_mean_h": _ci(-8.06, 0.71, 5), "on_time_rate": _ci(0.0384, 0.009, 5)}


def test_kpi_table_text_for_five_replications(monkeypatch):
    monkeypatch.setattr(tables, "MAIN_KPIS", ["cycle_time_mean_h", "on_time_rate"])
    # Columns: the KPI left-aligned to the header's 19 characters, the others right-aligned
    # to their widest cell (13, 13 and 18), two spaces apart; a rule as wide as the lines.
    expected = "\n".join([
        "KPI (mean ± 95% CI)" + " " * 11 + "OSDO" + " " * 11 + "ESED  OSDO-ESED (paired)",
        "-" * 69,
        "cycle_time_mean_h" + " " * 7 + "42.9 ± 1.7" + " " * 5 + "51.0 ± 2.0" + " " * 10
        + "-8.1 ± 0.7",
        "on_time_rate" + " " * 9 + "0.913 ± 0.021  0.875 ± 0.031" + " " * 7 + "0.038 ± 0.009",
    ])
    assert tables.kpi_table(_FiveReplications()) == expected


def test_mean_ci_reads_numbers_that_pandas_holds_as_objects():
    # A summary column with a missing value can come as dtype object (None, not NaN).
    values = pd.Series([1.0, None, 3.0], dtype=object).to_numpy()
    ci = mean_ci(values)
    assert (ci["n"], ci["mean"]) == (2, 2.0)
    assert ci["half_width"] == pytest.approx(T_975_1, rel=1e-6)
