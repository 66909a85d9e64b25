"""Global sensitivity (Morris, Sobol through SALib) and scenario discovery (PRIM): wiring checks.

The designs are checked as designs (pure, seeded, rounded, checked); the analysis on functions
whose answer is known (a linear function, Ishigami's); the whole pipeline on a tiny sweep in
which one factor provably does nothing; PRIM on a planted box; and the commands' bad input.
"""

from __future__ import annotations

import math
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import check_one_line_error, small_scenario_dict

from sim.cli import main
from sim.config.errors import SweepFileError
from sim.experiments.discovery import discover, find_boxes
from sim.experiments.executors import execute_run, run_sweep
from sim.experiments.sensitivity import (
    DIFFERENCE,
    Noise,
    SweepResults,
    analyse,
    paired_noise,
    parameter_label,
    read_sweep_dir,
    sensitivity_table,
)
from sim.experiments.store import STORE_FILE
from sim.experiments.sweeps import (
    SweepFile,
    design_points,
    expand,
    load_sweep,
    point_seed,
    salib_sample,
    seed_block,
)
from sim.outputs.sweep_folder import write_outputs

# The shared small scenario on a three-day horizon: a run takes a few hundredths of a second.
BASE = small_scenario_dict(name="tiny", horizon_days=3, warmup_days=1, replications=1)
INERT = "internet.classes.rural.mtbf_h"  # home internet: nobody is at home below
STRONG = "platform.osdo.ui_time_factors.undecided"  # everyone's UI work on OSDO (see set)
SWEEP = {
    "name": "inert",
    "base": "base.yaml",
    "set": {"staff.remote_share": 0.0,  # and hybrid_share is 0 by default: nobody works at home
            # Everyone undecided, so that STRONG acts on every UI step on OSDO.
            "platform.osdo.ui_preference_shares": {"advocates": 0.0, "detractors": 0.0,
                                                   "undecided": 1.0}},
    "replications": 3,
    "seed": 1,
    "design": {"kind": "morris", "n": 8},
    "parameters": {INERT: {"range": [6, 48]}, STRONG: {"range": [0.6, 1.6]}},
    "kpis": ["cycle_time_mean_h", "documents_completed"],
}


def write_sweep(folder: Path, **changes) -> Path:
    """A base scenario and a sweep file in ``folder``; ``changes`` update the sweep file."""
    (folder / "base.yaml").write_text(yaml.safe_dump(BASE))
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({**SWEEP, **changes}, sort_keys=False))
    return path


def spec_of(**changes) -> SweepFile:
    """A sweep file's spec alone (no base needed): designs are a function of it and the seed."""
    return SweepFile.model_validate({**SWEEP, **changes})


@pytest.fixture(scope="module")
def inert_sweep(tmp_path_factory) -> Path:
    """The tiny morris sweep run and written once: 24 points x 3 replications x 2 platforms."""
    folder = tmp_path_factory.mktemp("inert")
    sweep = load_sweep(write_sweep(folder))
    out = folder / "out"
    run_sweep(sweep, out, workers=1)
    write_outputs(sweep, out, plots_on=False)
    return out


# ----------------------------------------------------------------------- designs


def test_morris_design_is_seeded_trajectories_on_the_levels():
    spec = spec_of(parameters={"a": {"range": [0.0, 3.0]}, "b": {"range": [10, 40]},
                               "c": {"range": [1, 7], "integer": True}})
    points = design_points(spec, 5)
    assert len(points) == 8 * (3 + 1)
    assert design_points(spec, 5) == points  # pure
    assert design_points(spec, 6) != points  # seeded by the sweep seed
    # Each step of a trajectory moves exactly one factor, by 2/3 of its range (4 levels).
    x = salib_sample(spec, 5)
    for t in range(8):
        steps = np.diff(x[t * 4:(t + 1) * 4], axis=0)
        assert ((steps != 0).sum(axis=1) == 1).all()
        moved = np.abs(steps).max(axis=0)
        assert np.allclose(moved, [2.0, 20.0, 4.0])
    assert {p.values["a"] for p in points} <= {0.0, 1.0, 2.0, 3.0}
    assert {type(p.values["c"]) for p in points} == {int}  # integer: true rounds
    assert {p.values["c"] for p in points} <= {1, 3, 5, 7}


def test_a_value_list_in_a_morris_design_is_a_category_switched_by_every_step():
    spec = spec_of(parameters={"mode": {"values": ["parallel", "sequential"]},
                               "x": {"range": [0.0, 1.0]}})
    points = design_points(spec, 5)
    x = salib_sample(spec, 5)
    for t in range(8):
        rows = points[t * 3:(t + 1) * 3]
        steps = np.diff(x[t * 3:(t + 1) * 3], axis=0)
        for k, row in enumerate(steps):
            if row[0] != 0:  # the step that moves the category switches it
                assert rows[k].values["mode"] != rows[k + 1].values["mode"]
    # Stored and tabulated as the place in the list; the scenario gets the value itself.
    assert {p.labels["mode"] for p in points} == {0, 1}
    for p in points:
        assert p.values["mode"] == ["parallel", "sequential"][p.labels["mode"]]


def test_morris_mu_star_of_a_category_is_its_switch_effect_over_the_step():
    # y = 3 when the second value is set, else 0, whatever x: every elementary effect of the
    # category is 3 / (2/3) = 4.5 (SALib divides by the step, 2/3 of [0, 2) at 4 levels), and
    # x has none.
    spec = spec_of(parameters={"mode": {"values": ["a", "b"]}, "x": {"range": [0.0, 1.0]}})
    y = np.array([3.0 * (p.values["mode"] == "b") for p in design_points(spec, 5)])
    table = analyse(spec, 5, y, Noise(0.0))
    assert table.at["mode", "mu_star"] == pytest.approx(4.5)
    assert table.at["x", "mu_star"] == pytest.approx(0.0)


def test_sobol_design_is_saltelli_blocks_and_n_must_be_a_power_of_two():
    spec = spec_of(design={"kind": "sobol", "n": 16},
                   parameters={"a": {"range": [0.0, 1.0]}, "b": {"range": [0.0, 1.0]}})
    x = salib_sample(spec, 5)
    assert x.shape == (16 * (2 + 2), 2)
    a, ab1, ab2, b = x[0::4], x[1::4], x[2::4], x[3::4]
    assert np.array_equal(ab1[:, 0], b[:, 0]) and np.array_equal(ab1[:, 1], a[:, 1])
    assert np.array_equal(ab2[:, 1], b[:, 1]) and np.array_equal(ab2[:, 0], a[:, 0])
    assert np.array_equal(salib_sample(spec, 5), x)
    second = spec_of(design={"kind": "sobol", "n": 16, "calc_second_order": True},
                     parameters=spec.parameters)
    assert len(design_points(second, 5)) == 16 * (2 * 2 + 2)
    with pytest.raises(SweepFileError, match="a power of 2"):
        design_points(spec_of(design={"kind": "sobol", "n": 12}), 5)


def test_distributions_stay_in_the_range_and_take_their_shape():
    spec = spec_of(design={"kind": "sobol", "n": 256}, parameters={
        "t": {"range": [1.0, 2.0], "dist": {"kind": "triang", "peak": 1.2}},
        "n": {"range": [0.0, 1.0], "dist": {"kind": "truncnorm", "mean": 0.3, "sd": 0.1}},
        "g": {"range": [1.0, 100.0], "dist": "logunif"},
    })
    x = salib_sample(spec, 1)
    assert (x[:, 0] >= 1.0).all() and (x[:, 0] <= 2.0).all()
    assert abs(np.median(x[:, 0]) - (2 - math.sqrt(0.8 * 0.5))) < 0.03  # triangular median
    assert abs(x[:, 1].mean() - 0.3) < 0.02 and (x[:, 1] >= 0).all()
    assert abs(np.median(np.log10(x[:, 2])) - 1.0) < 0.1  # uniform in the logarithm
    # Morris's levels are the distribution's quantiles 0, 1/3, 2/3 and 1: the ends included.
    morris = spec_of(parameters={"g": {"range": [1.0, 100.0], "dist": "logunif"}})
    assert {round(p.values["g"], 3) for p in design_points(morris, 1)} <= {
        1.0, round(100 ** (1 / 3), 3), round(100 ** (2 / 3), 3), 100.0}


@pytest.mark.parametrize(("changes", "fragments"), [
    ({"design": {"kind": "morris"}}, ["design.n: required field is missing", "n >= 2"]),
    ({"design": {"kind": "morris", "n": 4, "levels": 3}}, ["design.levels: 3", "even"]),
    ({"design": {"kind": "lhs", "n": 4, "levels": 4}}, ["levels goes with kind: morris"]),
    ({"parameters": {"a": {"values": [1]}}}, ["values: [1] cannot be sampled",
                                             "range: [low, high]", "at least two values"]),
    ({"parameters": {"a": {"values": [1, 2], "dist": "unif"}}}, ["a.dist is not allowed with "
                                                                "values"]),
    ({"parameters": {"a": {"values": [1, 2, 3, 4, 5]}}}, ["5 values, but a morris design of 4 "
                                                          "levels"]),
    ({"parameters": {"a": {"range": [1, 2], "num": 3}}}, ["num: 3 is not allowed"]),
    ({"parameters": {"a": {"range": [1, 1]}}}, ["has no width"]),
    ({"parameters": {"a": {"range": [1, 3], "integer": True}}}, ["to the same whole number"]),
    ({"parameters": {"a": {"range": [1, 2], "dist": "triang"}}}, ["dist.peak: required"]),
    ({"parameters": {"a": {"range": [1, 2], "dist": {"kind": "triang", "peak": 3}}}},
     ["dist.peak: 3 is not allowed"]),
    ({"parameters": {"a": {"range": [0, 2], "dist": "logunif"}}}, ["low must be > 0"]),
    ({"parameters": {"a": {"range": [0, 2], "dist": {"kind": "unif", "sd": 1}}}},
     ["dist.sd: 1 is not allowed with kind: unif"]),
    ({"design": {"kind": "lhs", "n": 4}, "parameters": {"a": {"range": [0, 2], "dist": "unif"}}},
     ["dist goes with kind: morris or sobol"]),
])
def test_bad_sensitivity_designs_say_what_is_wrong(changes, fragments):
    with pytest.raises(SweepFileError) as caught:
        design_points(spec_of(**changes), 1, "s.yaml")
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_a_category_runs_through_the_sweep_and_the_analysis(tmp_path):
    # The store holds a category's place in its list; the analysis checks it against the design.
    sweep = load_sweep(write_sweep(tmp_path, replications=1, design={"kind": "morris", "n": 2},
                                   parameters={INERT: {"range": [6, 48]},
                                               "platform.esed.approvals": {
                                                   "values": ["sequential", "parallel"]}}))
    assert {sc.platform.esed.approvals for sc in sweep.scenarios} == {"sequential", "parallel"}
    out = tmp_path / "out"
    run_sweep(sweep, out, workers=1)
    write_outputs(sweep, out, plots_on=False)
    results = read_sweep_dir(out, design=True)
    assert set(results.runs["platform.esed.approvals"]) == {0, 1}
    table, _ = sensitivity_table(results, ["cycle_time_mean_h"])
    assert "platform.esed.approvals" in set(table.parameter)


def test_morris_runs_are_byte_identical_for_1_or_2_workers(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, replications=1, design={"kind": "morris", "n": 2}))
    # Common random numbers along a trajectory: its 3 points (2 factors + 1) share one seed.
    assert [s.seed for s in expand(sweep)][::2] == [point_seed(1, t) for t in (0, 0, 0, 1, 1, 1)]
    assert point_seed(1, 0) != point_seed(1, 1)
    tables = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        run_sweep(sweep, out, workers=workers)
        write_outputs(sweep, out, plots_on=False)
        tables.append((out / "runs.csv").read_bytes())
    assert tables[0] == tables[1]


# ----------------------------------------------------------------------- analysis


def test_a_factor_without_effect_is_within_the_noise_and_a_strong_one_above(inert_sweep):
    """(a) through the real pipeline: with nobody at home, rural internet cannot matter."""
    scenario = load_sweep(inert_sweep.parent / "sweep.yaml").scenarios[0]
    for platform in ("osdo", "esed"):  # provably inert: the same run whatever its value
        runs = [execute_run(scenario.model_copy(update={"internet": scenario.internet.model_copy(
            update={"classes": {**scenario.internet.classes, "rural":
                                scenario.internet.classes["rural"].model_copy(
                                    update={"mtbf_h": mtbf})}})}), platform, 0, 7,
                            ["cycle_time_mean_h"]) for mtbf in (6.0, 48.0)]
        assert runs[0]["kpis"] == runs[1]["kpis"]
    table, notes = sensitivity_table(read_sweep_dir(inert_sweep, design=True),
                                     ["cycle_time_mean_h"])
    assert not notes
    assert set(table.target) == {"osdo", "esed", DIFFERENCE}
    inert = table[table.parameter == INERT]
    # The points of a trajectory share their random numbers, so a step of the inert factor
    # compares two identical runs: every effect is exactly 0, and so is its paired noise.
    assert (inert.mu_star == 0).all() and (inert.mu_star_noise == 0).all()
    assert (inert.p_noise == 1).all() and not inert.above_noise.any()
    strong = table[(table.parameter == STRONG) & table.target.isin(["osdo", DIFFERENCE])]
    assert (strong.p_noise < 1e-4).all() and strong.above_noise.all()
    assert (strong["rank"] == 1).all()
    # ESED has no OSDO UI: its effect there is noise too.
    esed = table[(table.parameter == STRONG) & (table.target == "esed")]
    assert (esed.p_noise > 0.001).all()


def test_seed_blocks_are_trajectories_saltelli_blocks_or_points():
    two = {"a": {"range": [0.0, 1.0]}, "b": {"range": [0.0, 1.0]}}
    assert [seed_block(spec_of(parameters=two), p) for p in range(7)] == [0, 0, 0, 1, 1, 1, 2]
    sobol = spec_of(design={"kind": "sobol", "n": 4}, parameters=two)
    assert [seed_block(sobol, p) for p in range(9)] == [0, 0, 0, 0, 1, 1, 1, 1, 2]  # A AB1 AB2 B
    second = spec_of(design={"kind": "sobol", "n": 4, "calc_second_order": True}, parameters=two)
    assert [seed_block(second, p) for p in (5, 6)] == [0, 1]  # A AB1 AB2 BA1 BA2 B
    grid = spec_of(design="grid", parameters={"a": {"values": [1, 2, 3]}})
    assert [seed_block(grid, p) for p in range(3)] == [0, 1, 2]  # one seed per point, as before


def test_paired_noise_is_the_pooled_spread_of_the_replication_wise_differences():
    # One factor, two trajectories of two points, two replications (hand-computed):
    # trajectory 0: d = (2-1, 6-3) = (1, 3), squares about the mean 2: 2;
    # trajectory 1: d = (5-0, 1-0) = (5, 1), squares about the mean 3: 8;
    # Var(d) = (2 + 8) / 2 degrees of freedom = 5; noise of mean(d) = 5 / 2 replications.
    spec = spec_of(design={"kind": "morris", "n": 2}, parameters={"a": {"range": [0.0, 1.0]}})
    (noise,) = paired_noise(spec, 3, np.array([[1, 3], [2, 6], [0, 0], [5, 1]]))
    assert noise.var == pytest.approx(2.5) and noise.df == 2
    (unknown,) = paired_noise(spec, 3, np.array([[1], [2], [0], [5]]))  # one replication
    assert math.isnan(unknown.var)
    # Sobol: a factor's pairs are A and its AB_i of each base sample.
    sobol = spec_of(design={"kind": "sobol", "n": 2},
                    parameters={"a": {"range": [0.0, 1.0]}, "b": {"range": [0.0, 1.0]}})
    values = np.array([[0, 0], [1, 3], [0, 0], [9, 9],    # A, AB_a, AB_b, B of sample 0
                       [0, 0], [1, 1], [5, 7], [9, 9]])  # and of sample 1
    a, b = paired_noise(sobol, 3, values)
    assert a.var == pytest.approx((2 + 0) / 2 / 2) and a.df == 2  # d = (1, 3) and (1, 1)
    assert b.var == pytest.approx((0 + 2) / 2 / 2) and b.df == 2  # d = (0, 0) and (5, 7)


def test_common_random_numbers_lower_the_floor_of_a_linear_toy():
    """y = 3a + 0b + c + e: c is noise shared by a trajectory's runs, e each run's own."""
    spec = spec_of(design={"kind": "morris", "n": 20},
                   parameters={"a": {"range": [0.0, 1.0]}, "b": {"range": [0.0, 1.0]}})
    rng = np.random.default_rng(8)
    x = np.array([[p.values["a"], p.values["b"]] for p in design_points(spec, 2)])
    shared = rng.normal(0.0, 2.0, (20, 4)).repeat(3, axis=0)  # sd 2, per trajectory and rep.
    values = 3 * x[:, :1] + shared + rng.normal(0.0, 0.1, (60, 4))  # own noise: sd 0.1
    pairs = paired_noise(spec, 2, values)
    # The floor follows the own noise alone: Var(d) = 2 x 0.1^2, over 4 replications.
    assert [p.var for p in pairs] == pytest.approx([0.02 / 4] * 2, rel=0.35)
    table = analyse(spec, 2, values.mean(axis=1), pairs=pairs)
    assert table.mu_star["a"] == pytest.approx(3.0, rel=0.05)  # the slope across the range
    assert table.above_noise["a"] and not table.above_noise["b"]
    assert table.p_noise["b"] > 0.001 and table.mu_star["b"] < 3 * table.mu_star_noise["b"]
    # Analysed as independent points, the shared noise (sd 2) would drown the floor.
    pooled = float(np.var(values, axis=1, ddof=1).mean()) / 4
    independent = analyse(spec, 2, values.mean(axis=1), Noise(pooled, 60 * 3))
    assert (independent.mu_star_noise > 10 * table.mu_star_noise).all()


def _results(spec: SweepFile, seed: int, osdo, esed, replications: int = 1) -> SweepResults:
    """SweepResults of made-up runs: ``osdo``/``esed`` map a point's values to a KPI value."""
    rows = []
    for point in design_points(spec, seed):
        for r in range(replications):
            for platform, f in (("osdo", osdo), ("esed", esed)):
                rows.append({"point": point.index, "replication": r, "platform": platform,
                             "status": "ok", **point.values, "y": f(point.values) + 0.0})
    return SweepResults(Path("made-up"), pd.DataFrame(rows), list(spec.parameters), ["y"],
                        ["osdo", "esed"], replications, seed, "made-up", spec)


def test_the_strongest_factor_ranks_first_and_mu_star_is_its_effect_across_the_range():
    """(b) a known linear function through the analysis: targets, pairing, ranks."""
    spec = spec_of(design={"kind": "morris", "n": 10}, parameters={
        "a": {"range": [0.0, 1.0]}, "b": {"range": [0.0, 2.0]}, "c": {"range": [5.0, 6.0]}})
    results = _results(spec, 3, osdo=lambda v: 10 * v["a"] + 2 * v["b"],
                       esed=lambda v: 3 * v["b"] + 0 * v["c"])
    table, notes = sensitivity_table(results)
    assert not notes
    ranked = {t: list(g.sort_values("rank").parameter) for t, g in table.groupby("target")}
    assert ranked == {"osdo": ["a", "b", "c"], "esed": ["b", "a", "c"],
                      DIFFERENCE: ["a", "b", "c"]}
    mu = table.set_index(["target", "parameter"]).mu_star
    # A linear effect: mu* is the change across the whole range (coefficient x width).
    assert mu["osdo", "a"] == pytest.approx(10) and mu["osdo", "b"] == pytest.approx(4)
    assert mu["esed", "b"] == pytest.approx(6) and mu[DIFFERENCE, "b"] == pytest.approx(2)
    assert mu["osdo", "c"] == 0 and mu["esed", "a"] == 0  # no effect: exactly 0
    flags = table.set_index(["target", "parameter"]).above_noise
    assert flags["osdo", "a"] and not flags["osdo", "c"]
    assert parameter_label("platform.osdo.ui_time_factors.undecided").startswith("OSDO UI")
    assert parameter_label("internet.classes.rural.mtbf_h") == \
        "rural home internet: hours between drops"


def test_ishigami_sobol_indices_match_the_analytic_values():
    """(c) the CLI's analysis on Ishigami's function at our design's (rounded) points."""
    from SALib.test_functions import Ishigami

    names = ["x1", "x2", "x3"]
    spec = spec_of(design={"kind": "sobol", "n": 1024},
                   parameters={n: {"range": [-math.pi, math.pi]} for n in names})
    points = design_points(spec, 20231103)
    x = np.array([[p.values[n] for n in names] for p in points])
    indices = analyse(spec, 20231103, Ishigami.evaluate(x), Noise(0.0))
    s1, st = [0.3139, 0.4424, 0.0], [0.5576, 0.4424, 0.2437]  # SALib's analytic values
    assert indices.S1.to_numpy() == pytest.approx(s1, abs=0.04)
    assert indices.ST.to_numpy() == pytest.approx(st, abs=0.04)
    assert (np.abs(indices.S1 - s1) <= indices.S1_conf).all()  # inside their 95% intervals
    assert (np.abs(indices.ST - st) <= indices.ST_conf).all()
    assert list(indices.above_noise) == [True, True, True]  # x3 acts through interaction only
    again = analyse(spec, 20231103, Ishigami.evaluate(x), Noise(0.0))
    pd.testing.assert_frame_equal(indices, again)  # bootstraps seeded: the same table


# ----------------------------------------------------------------------- discovery


def test_prim_finds_a_planted_box():
    """(d) OSDO wins by 2 h inside remote_share <= 0.3 and the undecided's UI factor <= 1.0,
    else loses."""
    rng = np.random.default_rng(4)
    n = 400
    x = pd.DataFrame({"staff.remote_share": rng.uniform(0, 0.8, n),
                      "platform.osdo.ui_time_factors.undecided": rng.uniform(0.8, 1.3, n),
                      "platform.gateway.failure_prob": rng.uniform(0, 0.2, n)})
    inside = ((x["staff.remote_share"] <= 0.3)
              & (x["platform.osdo.ui_time_factors.undecided"] <= 1.0))
    frames = []
    for r in range(2):  # two replications; OSDO and ESED share their noise (CRN)
        noise = 30 + rng.normal(0, 0.3, n)
        for platform, y in (("osdo", noise + np.where(inside, -2.0, 0.5)), ("esed", noise)):
            frames.append(x.assign(point=np.arange(n), replication=r, platform=platform,
                                   status="ok", cycle_time_mean_h=y))
    results = SweepResults(Path("made-up"), pd.concat(frames, ignore_index=True),
                           list(x.columns), ["cycle_time_mean_h"], ["osdo", "esed"], 2, 1,
                           "planted")
    found = discover(results, "cycle_time_mean_h", margin=1.0)
    assert found.better == "lower" and found.n_wins == inside.sum()
    (box,) = found.boxes
    assert {c.parameter for c in box.conditions} == {"staff.remote_share",
                                                     "platform.osdo.ui_time_factors.undecided"}
    bounds = {c.parameter: (c.low, c.high) for c in box.conditions}
    assert bounds["staff.remote_share"][0] is None
    assert bounds["staff.remote_share"][1] == pytest.approx(0.3, abs=0.03)
    assert bounds["platform.osdo.ui_time_factors.undecided"][1] == pytest.approx(1.0, abs=0.03)
    assert box.coverage >= 0.9 and box.density >= 0.9
    assert box.wins == box.contains(x).astype(int) @ inside.to_numpy().astype(int)
    sentence = found.sentences()[-1]
    assert sentence.startswith("OSDO's cycle_time_mean_h is lower than ESED's by at least 1 h "
                               "when staff.remote_share is at most 0.")
    assert "coverage" in sentence and "density" in sentence
    # Labelled (categorical) parameters are boxed by category.
    x["staff.home_internet"] = np.where(rng.uniform(size=n) < 0.5, "good", "poor")
    y = (x["staff.home_internet"] == "good") & (x["staff.remote_share"] >= 0.4)
    (box,) = find_boxes(x, y.to_numpy())
    assert {c.words() for c in box.conditions} >= {"staff.home_internet is good"}


# ----------------------------------------------------------------------- the commands


def test_cli_sensitivity_writes_the_ranked_table_csv_and_plots(inert_sweep):
    result = CliRunner().invoke(main, ["sensitivity", str(inert_sweep), "--kpi",
                                       "cycle_time_mean_h"])
    assert result.exit_code == 0, result.output
    assert "morris design, 2 parameter(s), 24 points x 3 replication(s)" in result.stdout
    assert "OSDO - ESED" in result.stdout and "noise floor" in result.stdout
    first = next(line for line in result.stdout.splitlines() if line.strip().startswith("1 "))
    assert STRONG in first
    table = pd.read_csv(inert_sweep / "sensitivity.csv")
    assert len(table) == 3 * 2 and set(table.kpi) == {"cycle_time_mean_h"}
    assert (inert_sweep / "plots" / "sensitivity_cycle_time_mean_h.png").stat().st_size > 1000
    found = CliRunner().invoke(main, ["discover", str(inert_sweep), "--margin", "0.5"])
    assert found.exit_code == 0, found.output
    assert "OSDO's cycle_time_mean_h is lower than ESED's by at least 0.5 h" in found.stdout


def test_cli_rejects_a_sweep_that_is_not_morris_or_sobol(tmp_path):
    path = write_sweep(tmp_path, replications=1, design="grid",
                       parameters={INERT: {"values": [6, 48]}})
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    write_outputs(load_sweep(path), tmp_path / "out", plots_on=False)
    result = CliRunner().invoke(main, ["sensitivity", str(tmp_path / "out")])
    check_one_line_error(result, "sweep.yaml", ["design.kind: 'grid'", "morris or sobol",
                                                "sim discover works on any sweep"])
    found = CliRunner().invoke(main, ["discover", str(tmp_path / "out")])  # any design will do
    assert found.exit_code == 0, found.output


def test_cli_rejects_an_unknown_kpi_and_an_unfinished_or_missing_folder(inert_sweep, tmp_path):
    for command in (["sensitivity", str(inert_sweep), "--kpi", "cycle_time"],
                    ["discover", str(inert_sweep), "--kpi", "cycle_time"]):
        result = CliRunner().invoke(main, command)
        check_one_line_error(result, "cycle_time", ["unknown KPI",
                                                    "did you mean 'cycle_time_mean_h'?"])
    result = CliRunner().invoke(main, ["sensitivity", str(inert_sweep), "--kpi", "wip_mean"])
    check_one_line_error(result, "wip_mean", ["not stored by this sweep"])
    result = CliRunner().invoke(main, ["discover", str(tmp_path / "nowhere")])
    check_one_line_error(result, "nowhere", ["no such sweep folder"])
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    with sqlite3.connect(inert_sweep / STORE_FILE) as source, \
            sqlite3.connect(unfinished / STORE_FILE) as copy:
        source.backup(copy)
    result = CliRunner().invoke(main, ["sensitivity", str(unfinished)])
    check_one_line_error(result, "unfinished", ["no sweep.yaml", "sim sweep --resume"])


def test_cli_rejects_a_sweep_yaml_that_names_other_parameters_than_the_store(inert_sweep,
                                                                             tmp_path):
    # A sweep.yaml edited after the run (another parameter) used to raise a KeyError.
    folder = tmp_path / "edited"
    shutil.copytree(inert_sweep, folder)
    spec = yaml.safe_load((folder / "sweep.yaml").read_text())
    first = next(iter(spec["parameters"]))
    spec["parameters"]["staff.hybrid_share"] = spec["parameters"].pop(first)
    (folder / "sweep.yaml").write_text(yaml.safe_dump(spec))
    result = CliRunner().invoke(main, ["sensitivity", str(folder)])
    check_one_line_error(result, "sweep.yaml", ["not those of the store",
                                                "not the one that was run"])
