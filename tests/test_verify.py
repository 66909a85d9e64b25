"""Verification against queueing theory: the real model reduced to textbook systems.

The quick cases run here (about half a minute); ``pytest -m slow`` runs the full set, which is
what ``sim verify --full`` prints.
"""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.cli.verify import CASE_NAMES
from sim.experiments import verification as verify
from sim.experiments.verification import CaseResult, erlang_c, reduced_scenario, run_cases
from sim.model.replication import run_replication
from sim.outputs.tables import verification_table


def test_erlang_c_matches_closed_forms():
    # M/M/1: Wq = rho / (mu - lambda), P(wait) = rho.
    p, wq, lq = erlang_c(1, 0.5, 1.0)
    assert p == pytest.approx(0.5)
    assert wq == pytest.approx(0.5 / 0.5)
    assert lq == pytest.approx(0.5)
    # M/M/2 with a = 1: P(wait) = a^2 / (2 + a) ... = 1/3, Wq = P / (2 mu - lambda) = 1/3.
    p, wq, _ = erlang_c(2, 1.0, 1.0)
    assert p == pytest.approx(1 / 3)
    assert wq == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="rho"):
        erlang_c(2, 2.0, 1.0)


def test_reduction_leaves_only_two_exponential_stations():
    """Nobody at home, no platform or off-hours time: a step's time is queue + handling."""
    scenario = reduced_scenario(arrivals_per_day=200.0, register_mean_min=5.0,
                                resolution_mean_min=3.0, horizon_days=3, warmup_days=1)
    rec = run_replication(scenario, "osdo", 0, keep_documents=True, keep_steps=True)
    steps, docs = rec.steps, rec.documents
    assert set(steps.step) == {"register", "resolution"}
    assert not steps.at_home.any()
    assert (steps.role[steps.step == "register"] == "clerk").all()
    done = docs.dropna(subset=["completed_min"])
    assert len(done) > 300
    other = [c for c in done.columns
             if c.startswith("delay_") and c not in ("delay_handling_min", "delay_queue_min")]
    assert done[other].abs().to_numpy().max() < 1e-9  # calendar arithmetic rounding only
    total = done.delay_handling_min + done.delay_queue_min
    assert (total - done.cycle_time_h * 60).abs().max() < 1e-6
    # Exponential handling: coefficient of variation close to 1 (not the lognormal default 0.8).
    reg = steps[steps.step == "register"]
    service = reg.end_min - reg.start_min
    assert service.std() / service.mean() == pytest.approx(1.0, abs=0.1)


def test_pass_rule_needs_closeness_and_precision():
    close = CaseResult("c", "q", 10.0, 10.3, 10.0, 10.6, 5, 0.01, 0.05)
    assert close.passed  # 0.3 off, half-width 0.3 + allowance 0.1
    far = CaseResult("c", "q", 10.0, 10.5, 10.3, 10.7, 5, 0.01, 0.05)
    assert not far.passed  # 0.5 off > 0.2 + 0.1
    vague = CaseResult("c", "q", 10.0, 10.0, 8.0, 12.0, 5, 0.01, 0.05)
    assert not vague.passed  # contains the value but half-width 2 > 5% of 10


def test_quick_cases_agree_with_theory():
    results = run_cases(quick=True)  # the M/M/c and tandem cases share their runs
    table = verification_table(results)
    assert len(results) == 9, table
    for r in results:
        assert not math.isnan(r.half_width), table
        assert r.passed, table
    # The theory side is the textbook's, worked by hand: M/M/3 with lambda 0.225, mu 0.1 has
    # P(wait) = 7.59375 / 13.375, Wq = P / 0.075; the tandem adds 10 min handling and an M/M/1
    # sojourn 1 / (0.2 - 0.1125) at each head.
    analytic = {r.quantity: r.analytic for r in results}
    assert analytic["mean wait Wq, min"] == pytest.approx(7.59375 / 13.375 / 0.075)
    assert analytic["mean queue Lq (time-average)"] == pytest.approx(
        0.225 * 7.59375 / 13.375 / 0.075)
    assert analytic["mean sojourn W1 + W2, min"] == pytest.approx(
        7.59375 / 13.375 / 0.075 + 10.0 + 1 / (0.2 - 0.1125))
    # Pooled heads: M/M/2 with a = 0.225 / 0.2 = 1.125: P(wait) = (a^2 / 2) / (1 - 0.5625)
    # over 1 + a + that; Wq = P / (2 x 0.2 - 0.225).
    tail = 1.125**2 / 2 / (1 - 0.5625)
    assert analytic["resolution wait Wq, min"] == pytest.approx(tail / (2.125 + tail) / 0.175)
    # Least-loaded naming: the range between that and two M/M/1 queues (wait rho / (mu - lam)).
    separate = 0.5625 * 5.0 / (1 - 0.5625)
    assert analytic["mean wait, min (range midpoint)"] == pytest.approx(
        (tail / (2.125 + tail) / 0.175 + separate) / 2)
    assert analytic["mean cycle time, min"] == 112.7
    assert analytic["mean attempts 1/(1-p)"] == pytest.approx(1 / 0.7)
    assert analytic["availability MTBF/(MTBF+MTTR)"] == pytest.approx(0.8)
    assert "M/M/3 Erlang C (clerks, rho 0.75)" in table


def test_queue_cases_staff_the_pools_their_theory_assumes():
    """The M/M/c and tandem theory counts _CLERKS clerks and _HEADS heads: the body has them."""
    from sim.model.population import sample_population
    from sim.model.streams import Streams

    scenario = reduced_scenario(staff=verify._STAFF, roles=verify._QUEUE_ROLES,
                                arrivals_per_day=10.0, register_mean_min=1.0,
                                resolution_mean_min=1.0, horizon_days=2, warmup_days=1)
    (body,) = sample_population(scenario, Streams(scenario.seed, 0))
    assert len(body.staff["clerk"]) == verify._CLERKS == 3
    assert len(body.staff["head"]) == verify._HEADS == 2


@pytest.mark.slow
def test_full_verification_set_passes():
    results = run_cases(quick=False)
    failed = [r for r in results if not r.passed]
    assert not failed, verification_table(results)


def test_cli_prints_table_and_exit_codes(monkeypatch):
    runner = CliRunner()
    ok = runner.invoke(main, ["verify", "--case", "gateway"])
    assert ok.exit_code == 0, ok.output
    assert "ESED gateway resends" in ok.output and "1.4286" in ok.output
    assert "1 of 1 passed" in ok.output

    def failing(quick, seed, cache):
        return [CaseResult("broken", "q", 1.0, 2.0, 1.9, 2.1, 3, 0.01, 0.5)]

    monkeypatch.setitem(verify.CASES, "gateway", failing)
    bad = runner.invoke(main, ["verify", "--case", "gateway"])
    assert bad.exit_code == 1
    assert "FAIL" in bad.output


def test_the_cli_offers_every_case():
    assert CASE_NAMES == tuple(verify.CASES)
