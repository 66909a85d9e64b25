"""Policy options ranked by effect and cost (``sim options``): known answers.

Pure parts on toys with hand-computed answers (annualised cost, the frontier, the budget
portfolio against brute force, Kim and Nelson's procedure on a toy with known means, the
acceptability curve at its ends); the simulator on a tiny base with a planted option that
dominates another (ranked first, the other off the frontier), pairing that narrows the
interval, an interrupted evaluation that resumes without repeating or losing a run, and bad
options files that exit 2 with one line.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import check_one_line_error

from sim.cli import main
from sim.experiments.appraisal import (
    acceptability,
    frontier,
    portfolio_brute_force,
    portfolio_milp,
)
from sim.experiments.options import annuity_factor, evaluate, load_options
from sim.experiments.selection import kim_nelson, kn_constant
from sim.experiments.store import TIMING_COLUMNS, read_store

DATA = Path(__file__).resolve().parent / "data"
BAD = DATA / "bad_options"
EXPECTED: dict[str, list[str]] = yaml.safe_load((BAD / "expected.yaml").read_text())
TINY = DATA / "good" / "tiny.yaml"


# --------------------------------------------------------------------------- pure parts


def test_annuity_factor_by_hand():
    # 0.1 / (1 - 1.1**-5) = 0.1 / 0.3790787 = 0.2637975
    assert annuity_factor(0.10, 5) == pytest.approx(0.2637975, rel=1e-6)
    assert annuity_factor(0.0, 4) == 0.25


def test_frontier_marks_dominated_and_extendedly_dominated():
    # base (0, 0); A (10, 5); B (20, 4) costs more than A for less: dominated;
    # C (25, 6): A->C costs 15 per unit, C->D 5/6 per unit: a mix of A and D beats C (extended);
    # D (30, 12): A->D costs 20/7 per unit.
    cost = np.array([0, 10, 20, 25, 30])
    gain = np.array([0, 5, 4, 6, 12])
    status, icer = frontier(cost, gain)
    assert status == ["", "", "dominated", "extended", ""]
    assert math.isnan(icer[0]) and icer[1] == pytest.approx(2.0)
    assert icer[4] == pytest.approx(20 / 7)
    assert np.isnan(icer[[2, 3]]).all()


def test_frontier_keeps_the_first_of_two_equal_points():
    status, _ = frontier(np.array([0, 5, 5]), np.array([0, 3, 3]))
    assert status == ["", "", "dominated"]


@pytest.mark.parametrize("seed", range(6))
def test_budget_portfolio_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 40, size=8).astype(float)
    gain = rng.normal(3, 3, size=8)
    for budget in (0.0, 15.0, 50.0, 120.0, 400.0):
        milp_pick = portfolio_milp(cost, gain, budget)
        brute = portfolio_brute_force(cost, gain, budget)
        assert milp_pick @ cost <= budget + 1e-9
        assert milp_pick @ gain == pytest.approx(brute @ gain)


def test_portfolio_by_hand():
    # Budget 10: {a, b} gains 7 for 10; {c} alone gains 6 for 9; a+c costs 13, too much.
    pick = portfolio_milp(np.array([4.0, 6.0, 9.0]), np.array([3.0, 4.0, 6.0]), 10.0)
    assert pick.tolist() == [1, 1, 0]


def test_kim_nelson_picks_the_best_of_a_toy_in_at_least_95_percent():
    # Slippage configuration, the hardest the guarantee covers: system 0 better than four others
    # by exactly delta; common random numbers (a shared noise term) as the simulator's arms
    # share seeds. 1,000 trials: the observed rate (0.962) sits about 2 standard errors above
    # 0.95; with half the band constant it falls to 0.885 (checked when written).
    k, n0, delta, trials, most = 5, 10, 0.5, 1000, 400
    means = np.array([delta, 0, 0, 0, 0])
    rng = np.random.default_rng(20230101)
    correct = 0
    used = []
    for _ in range(trials):
        shared = rng.normal(0, 1, size=most)
        own = rng.normal(0, 1, size=(k, most))
        data = means[:, None] + shared[None, :] + own
        state = kim_nelson(list(data), n0, delta, 0.05, max_rounds=most)
        correct += state.survivors == [0]
        used.append(state.rounds)
    assert correct / trials >= 0.95
    assert np.mean(used) < most  # it stopped early, as a sequential procedure should


def test_kim_nelson_constant_by_hand():
    # eta = (1/2)[(2 * 0.05 / 4) ** (-2 / 9) - 1] = 0.6349; h2 = 2 * eta * 9 = 11.43
    assert kn_constant(5, 10, 0.05) == pytest.approx(11.43, abs=0.01)


def test_kim_nelson_waits_for_data_it_does_not_have():
    data = [np.array([1.0, 1.1, 0.9]), np.array([0.0, 0.1])]
    with pytest.raises(ValueError, match="first 3"):
        kim_nelson(data, 3, 0.5)
    state = kim_nelson([np.array([5.0, 5.1, 4.9]), np.array([5.0, 4.8, 5.2])], 3, 0.1)
    assert state.rounds == 3 and len(state.survivors) == 2  # no 4th value: stops, asks for it


def test_acceptability_at_its_ends():
    # Arms: base (0 cost, 0 gain), cheap (1 gain, cost 10), big (3 gain, cost 100).
    gains = np.array([[0.0, 1.0, 3.0]] * 10)
    cost = np.array([0.0, 10.0, 100.0])
    curve = acceptability(gains, cost, 1.0, np.array([0.0, 20.0, 1000.0]), ["base", "a", "b"])
    best = curve[curve.probability == 1.0].set_index("value_per_hour").option
    # value 0: nothing pays, the base; 20: cheap pays 20 - 10, big 60 - 100; 1000: big.
    assert best.to_dict() == {0.0: "base", 20.0: "a", 1000.0: "b"}


# --------------------------------------------------------------------------- the simulator


def _write_options(folder: Path, **extra) -> Path:
    """A planted study on the tiny base: 'fast' (a quicker interface, cheap) dominates 'slow'
    (a slower one, dear), and 'slow' is worse than doing nothing."""
    data = {
        # Five replications of 12 days: 'fast' saves a few hours in two days (drafts wait for
        # their terms), which three of 8 days told apart only by luck of the draws.
        "name": "planted", "base": str(TINY), "set": {"horizon_days": 12},
        "platform": "osdo", "replications": 5, "combinations": False,
        "value_per_hour": 100.0, "budget": 5000.0,
        "options": [
            {"name": "fast", "description": "a quicker interface",
             "set": {"platform.osdo.ui_time_factors": {"advocates": 0.5, "detractors": 0.5,
                                                       "undecided": 0.5}},
             "cost": [{"item": "x", "amount": 1000, "per": "fixed", "when": "once",
                       "source": "assumption"}]},
            {"name": "slow", "description": "a slower interface",
             "set": {"platform.osdo.ui_time_factors": {"advocates": 2.5, "detractors": 2.5,
                                                       "undecided": 2.5}},
             "cost": [{"item": "y", "amount": 50, "per": "person", "when": "yearly",
                       "people": ["staff.literacy.insecure"], "source": "assumption"}]},
        ],
    }
    data.update(extra)
    path = folder / "planted.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("planted")
    path = _write_options(folder)
    out = folder / "out"
    result = CliRunner().invoke(main, ["options", str(path), "--out", str(out), "--workers",
                                       "1", "--no-plots"])
    assert result.exit_code == 0, result.output
    return path, out


def test_costs_of_the_planted_options_by_hand(planted):
    study = load_options(planted[0])
    # fast: 1000 once over 5 years at 10%: 1000 * 0.2637975; slow: 50 tenge a year for each
    # insecure user, 39% of the 50 staff = 19.5 people: 975 a year.
    costs = {a.name: a.cost_per_year for a in study.arms}
    assert costs == pytest.approx({"base": 0.0, "fast": 263.7975, "slow": 975.0}, rel=1e-6)


def test_planted_dominating_option_ranks_first_and_the_dominated_is_off_the_frontier(planted):
    table = pd.read_csv(planted[1] / "options.csv").set_index("option")
    assert table.loc["fast", "cycle_time_mean_h_high"] < 0  # faster, told apart
    assert table.loc["slow", "cycle_time_mean_h_low"] > 0  # slower, told apart
    assert bool(table.loc["fast", "on_frontier"])
    assert not bool(table.loc["slow", "on_frontier"])
    assert table.loc["slow", "dominance"] == "dominated"
    assert table.prob_best.idxmax() == "fast" and table.loc["fast", "prob_best"] >= 0.9
    ranks = pd.read_csv(planted[1] / "ranks.csv")
    first = ranks[(ranks.option == "fast") & (ranks["rank"] == 1)].probability.iloc[0]
    assert first >= 0.9
    portfolio = pd.read_csv(planted[1] / "portfolio.csv").set_index("option")
    assert portfolio.in_portfolio.to_dict() == {"fast": True, "slow": False}


def test_options_csv_has_the_listed_columns_and_no_dominated_frontier_row(planted):
    table = pd.read_csv(planted[1] / "options.csv")
    kpis = ["cycle_time_mean_h", "on_time_rate", "unofficial_channel_share",
            "connectivity_loss_h_per_employee"]
    listed = ["option", "cost", *[f"{k}_{s}" for k in kpis for s in ("effect", "low", "high")],
              "on_frontier", "prob_best"]
    assert list(table.columns[:len(listed)]) == listed
    gain = -table.cycle_time_mean_h_effect
    for i in table.index[table.on_frontier]:
        others = table.index != i
        dominating = (table.cost[others] <= table.cost[i]) & (gain[others] >= gain[i]) & (
            (table.cost[others] < table.cost[i]) | (gain[others] > gain[i]))
        assert not dominating.any(), table.loc[i, "option"]


def test_pairing_narrows_the_interval(planted):
    runs = read_store(planted[1] / "options.sqlite")
    base = runs[runs.option == "base"].sort_values("replication").cycle_time_mean_h.to_numpy()
    fast = runs[runs.option == "fast"].sort_values("replication").cycle_time_mean_h.to_numpy()
    table = pd.read_csv(planted[1] / "options.csv").set_index("option")
    paired_half = (table.loc["fast", "cycle_time_mean_h_high"]
                   - table.loc["fast", "cycle_time_mean_h_low"]) / 2
    # Welch's interval of the same runs treated as independent samples.
    from scipy import stats

    se2 = base.var(ddof=1) / len(base) + fast.var(ddof=1) / len(fast)
    dof = se2**2 / ((base.var(ddof=1) / len(base))**2 / (len(base) - 1)
                    + (fast.var(ddof=1) / len(fast))**2 / (len(fast) - 1))
    unpaired_half = stats.t.ppf(0.975, dof) * math.sqrt(se2)
    assert paired_half < unpaired_half


def test_report_of_an_options_folder_says_what_to_take_first(planted):
    result = CliRunner().invoke(main, ["report", str(planted[1])])
    assert result.exit_code == 0, result.output
    page = (planted[1] / "report.html").read_text(encoding="utf-8")
    assert "Take first: fast" in page
    assert "Best (the most net benefit): fast" in page


def _runs_without_timing(folder: Path) -> pd.DataFrame:
    runs = read_store(folder / "options.sqlite").drop(columns=TIMING_COLUMNS)
    return runs.sort_values(["point", "replication"]).reset_index(drop=True)


def test_an_interrupted_evaluation_resumes_without_repeating_or_losing_a_run(tmp_path):
    path = _write_options(tmp_path, replications=2, max_replications=4)
    study = load_options(path)
    whole = evaluate(study, tmp_path / "whole", workers=1)
    # The first round is 3 arms x 2; a sequential round adds one of each arm still in it.
    assert whole.rounds >= 2

    class Stop(Exception):
        pass

    def stop_after(n):
        def progress(done, _total, _failed):
            stop_after.count += 1 if done else 0
            if stop_after.count == n:
                raise Stop
        return progress

    stop_after.count = 0
    with pytest.raises(Stop):  # mid-way through the second round
        evaluate(study, tmp_path / "cut", workers=1, progress=stop_after(8))
    stored = len(read_store(tmp_path / "cut" / "options.sqlite"))
    assert stored == 8
    again = evaluate(study, tmp_path / "cut", workers=1)
    total = len(read_store(tmp_path / "whole" / "options.sqlite"))
    assert again.skipped == 8 and again.ran == total - 8
    pd.testing.assert_frame_equal(_runs_without_timing(tmp_path / "cut"),
                                  _runs_without_timing(tmp_path / "whole"))


# --------------------------------------------------------------------------- bad files


def test_every_bad_options_file_has_an_expectation():
    files = {p.name for p in BAD.glob("*.yaml") if p.name != "expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_options_file_exits_2_with_one_line(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default results/options-<name> folder would show up here
    result = CliRunner().invoke(main, ["options", str(BAD / name), "--out",
                                       str(tmp_path / "out"), "--workers", "1"])
    check_one_line_error(result, name, EXPECTED[name])
    assert list(tmp_path.iterdir()) == []  # no output folder, no store


def test_shipped_options_file_loads_with_32_arms_and_sourced_costs():
    study = load_options(Path(__file__).resolve().parents[1] / "scenarios" / "options"
                         / "paper_recommendations.yaml")
    assert len(study.arms) == 32 and study.platform == "osdo"
    assert study.costs.source.str.len().gt(0).all()


def test_every_source_the_shipped_costs_cite_is_in_sources_md():
    import re

    study = load_options(Path(__file__).resolve().parents[1] / "scenarios" / "options"
                         / "paper_recommendations.yaml")
    sources = (Path(__file__).resolve().parents[1] / "docs" / "sources.md").read_text()
    defined = set(re.findall(r"^### \[([a-z0-9-]+)\]", sources, flags=re.M))
    cited = {c for text in study.costs.source for c in re.findall(r"\[([a-z0-9-]+)\]", text)}
    assert cited and cited <= defined, cited - defined
    # Every item without a cited entry says it is an assumption.
    for text in study.costs.source:
        assert re.search(r"\[[a-z0-9-]+\]", text) or "assumption" in text, text


def test_a_bad_override_of_the_base_is_blamed_in_one_line(tmp_path):
    path = _write_options(tmp_path)
    result = CliRunner().invoke(main, ["options", str(path), "--out", str(tmp_path / "out"),
                                       "--set", "staff.remote_share=1.5"])
    check_one_line_error(result, "--set staff.remote_share=1.5", ["between 0 and 1"])
    assert not (tmp_path / "out").exists()


def test_resume_without_a_store_exits_2(tmp_path):
    path = _write_options(tmp_path)
    result = CliRunner().invoke(main, ["options", str(path), "--out", str(tmp_path / "out"),
                                       "--resume"])
    check_one_line_error(result, "--resume", ["options.sqlite not found", "nothing to resume"])


def test_the_same_runs_for_any_worker_count(planted, tmp_path):
    study = load_options(planted[0])
    evaluate(study, tmp_path / "two", workers=2)
    pd.testing.assert_frame_equal(_runs_without_timing(tmp_path / "two"),
                                  _runs_without_timing(planted[1]))


def test_the_python_api_returns_the_tables_and_the_words(planted, tmp_path):
    import sim

    result = sim.options(planted[0], out=planted[1], workers=1, progress=False)
    assert result.runs.status.eq("ok").all() and len(result.runs) == 3 * 5  # all stored already
    assert list(result.options.option) == ["base", "fast", "slow"]
    assert result.words[0].startswith("Best (the most net benefit): fast")
    assert set(result.ranks.columns) == {"option", "rank", "probability"}
    assert result.costs.source.eq("assumption").all()


def test_validating_an_options_file_says_to_run_it_with_sim_options():
    shipped = Path(__file__).resolve().parents[1] / "scenarios" / "options" / \
        "paper_recommendations.yaml"
    result = CliRunner().invoke(main, ["validate", str(shipped)])
    check_one_line_error(result, str(shipped), ["this is an options file", "sim options"])


def test_every_arm_starts_from_the_bases_office_unless_told_otherwise(tmp_path):
    # From a working office, every arm's snapshot is the base's (today's office; one per
    # replication for the whole study); with office_from: arm each option has its own.
    from sim.model.office import office_key, snapshot_scenario

    working = {"horizon_days": 8, "start": {"office": "working", "snapshot_days": 5}}

    def keys(study):
        return [office_key(snapshot_scenario(s), "osdo", 0, 1) for s in study.scenarios]

    shared = load_options(_write_options(tmp_path, set=working))
    assert len(set(keys(shared))) == 1
    assert shared.scenarios[1].platform.osdo.ui_time_factors["detractors"] == 0.5
    own = load_options(_write_options(tmp_path, set=working, office_from="arm"))
    assert len(set(keys(own))) == len(own.scenarios) == 3
