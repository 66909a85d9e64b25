"""sim sensitivity at small budgets: a warning, mu* intervals >= 0, and --set design.n."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from conftest import check_one_line_error
from test_sensitivity import SWEEP, spec_of, write_sweep

from sim.cli import main
from sim.experiments import sensitivity
from sim.experiments.sensitivity import Noise, analyse, elementary_effects
from sim.experiments.sweeps import MORRIS_LEVELS, salib_sample


def test_elementary_effects_are_salibs():
    """mean |effect| of our effects is SALib's mu*, and a linear factor's effect its slope."""
    spec = spec_of(parameters={"a": {"range": [0.0, 3.0]}, "b": {"range": [10, 40]},
                               "c": {"range": [0.0, 1.0]}})
    x = salib_sample(spec, 5)
    y = 2.0 * x[:, 0] - 0.5 * x[:, 1] + 4.0 * x[:, 0] * x[:, 2]
    delta = MORRIS_LEVELS / (2.0 * (MORRIS_LEVELS - 1))
    effects = elementary_effects(x, y, 3, delta)
    table = analyse(spec, 5, y, Noise(0.0))
    assert np.nanmean(np.abs(effects), axis=0) == pytest.approx(table.mu_star.to_numpy())
    # b's effect: slope -0.5 times the step of 2/3 of its range (20) over delta (2/3): -15.
    assert effects[:, 1] == pytest.approx(np.full(8, -0.5 * 20 / delta))


def test_mu_star_interval_never_goes_below_zero():
    """One jump among eight trajectories: SALib's mu* - half-width is below 0, ours is 0."""
    effects = np.zeros((8, 1))
    effects[3, 0] = -4.0
    low, high = sensitivity._mu_star_interval(effects, np.random.default_rng(1))
    mu_star = 0.5
    resampled = np.abs(effects[:, 0])[np.random.default_rng(2).integers(8, size=(1000, 8))]
    salib_half = 1.959964 * resampled.mean(axis=1).std(ddof=1)
    assert mu_star - salib_half < 0  # the symmetric interval SALib gives reaches below 0
    assert low[0] == 0.0  # a third of the resamples hold no jump: (7/8)^8 = 0.34
    assert mu_star < high[0] <= 4.0


@pytest.fixture(scope="module")
def tiny_morris(tmp_path_factory):
    """The inert sweep's file, shrunk on the command line to two trajectories."""
    folder = tmp_path_factory.mktemp("budget")
    path = write_sweep(folder, replications=2)
    out = folder / "out"
    result = CliRunner().invoke(main, ["sweep", str(path), "--set", "design.n=2", "--out",
                                       str(out), "--workers", "1", "--no-plots"])
    assert result.exit_code == 0, result.output
    return out, result


def test_set_design_n_shrinks_a_shipped_design(tiny_morris):
    out, result = tiny_morris
    assert "6 point(s) x 2 replication(s)" in result.output  # 2 trajectories x (2 + 1) points
    assert SWEEP["design"]["n"] == 8
    assert yaml.safe_load((out / "sweep.yaml").read_text())["design"]["n"] == 2


def test_sensitivity_warns_below_five_trajectories(tiny_morris):
    out, _ = tiny_morris
    result = CliRunner().invoke(main, ["sensitivity", str(out), "--kpi", "cycle_time_mean_h",
                                       "--no-plots"])
    assert result.exit_code == 0, result.output
    assert ("warning: only 2 Morris trajectories (fewer than 5): each mu* is the mean of 2 "
            "elementary effects per factor") in result.output
    assert "±" not in result.output
    cells = [c for c in result.output.split() if c.startswith("[")]
    assert cells and all(not c.startswith("[-") for c in cells)


@pytest.mark.parametrize("override, fragments", [
    ("design.n=0", ["design.n=0", "morris design needs n >= 2"]),
    ("design.n=two", ["design.n=two", "expected a whole number"]),
    ("design.nn=2", ["design.nn=2", "no field 'nn'", "did you mean 'n'?"]),
])
def test_bad_design_override_is_one_line(tmp_path, override, fragments):
    path = write_sweep(tmp_path)
    result = CliRunner().invoke(main, ["sweep", str(path), "--set", override, "--out",
                                       str(tmp_path / "out")])
    check_one_line_error(result, override, fragments)
