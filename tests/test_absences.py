"""People away: annual leave, sickness and trips; named work waits or passes to a stand-in."""

from __future__ import annotations

import pytest
from conftest import small_scenario
from test_model import hm, tiny_deterministic

import sim.model.population as population
from sim.model.population import sample_absences, sample_population
from sim.model.replication import run_replication
from sim.model.streams import Streams


def test_absences_follow_the_entitlement_and_rates():
    scenario = small_scenario()
    rng = Streams(1, 0).numpy(population.Purpose.ABSENCE, 0)
    spells = sample_absences(scenario, rng, 2000, 365)
    days = [sum(min(e, 365) - s for s, e in person) for person in spells]
    mean = sum(days) / len(days)
    # 30 days of leave (fewer where blocks overlap or leave the year), ~8 x 7/5 sick and
    # ~5 x 7/5 trip calendar days: about 45-48 calendar days a year away.
    assert 40 < mean < 52, mean
    for person in spells:
        assert all(s < e for s, e in person)
        assert all(a[1] < b[0] for a, b in zip(person, person[1:], strict=False))  # merged


def _one_executor_away(monkeypatch, first_day: int, after_day: int, executors: int = 1):
    """The last employee (an executor) is away from first_day to after_day; nobody else is."""
    def spells(scenario, rng, n, days):
        out = [() for _ in range(n)]
        out[-1] = ((first_day, after_day),)
        return out

    monkeypatch.setattr(population, "sample_absences", spells)


@pytest.mark.parametrize("standin", [None, 0])
def test_named_work_waits_for_its_person_or_goes_to_a_standin(monkeypatch, standin):
    # One clerk, one head, one executor who is away all Monday. The first document's draft,
    # resolved at 11:30 on Monday, waits until Tuesday 09:00 (nobody can stand in: the only
    # executor); the wait while the executor is away is the absence component.
    _one_executor_away(monkeypatch, 0, 1)
    scenario = tiny_deterministic(absence={"standin_after_days": standin})
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    steps = run.steps.set_index(["document", "step"])
    draft = steps.loc[("b0-0", "execution")]
    assert draft.start_min == pytest.approx(hm(1, "09:00"))
    assert draft.end_min == pytest.approx(hm(1, "10:00"))
    doc = run.documents.set_index("id").loc["b0-0"]
    assert doc.delay_absence_min == pytest.approx(hm(1, "00:00") - hm(0, "11:30"))


def test_a_standin_takes_the_work_of_someone_away(monkeypatch):
    # Two executors named at random, one away all week; with stand-ins after 0 days every
    # draft is done by the one present, and nothing waits for the absent one.
    _one_executor_away(monkeypatch, 0, 7)
    scenario = tiny_deterministic(
        staff={"remote_share": 0.0, "roles": {"clerk": 0.25, "head": 0.25, "executor": 0.5},
               "literacy": {"advanced": 1.0, "insecure": 0.0},
               "assignment": {"clerk": "pooled", "head": "named_uniform",
                              "executor": "named_uniform"}},
        bodies=[{"name": "B", "kind": "committee", "staff": 4}],
        absence={"standin_after_days": 0}, horizon_days=5)
    away_id = 3  # the last employee of the only body
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    drafts = run.steps[run.steps.step == "execution"]
    assert len(drafts) > 5
    assert away_id not in set(drafts.employee)
    assert run.documents.delay_absence_min.sum() == 0


def test_nobody_works_while_away_and_documents_are_conserved():
    scenario = small_scenario(horizon_days=40, warmup_days=2,
                              absence={"annual_leave_days": 60, "sick_days": 20})
    for platform in ("osdo", "esed"):
        run = run_replication(scenario, platform, 0, keep_steps=True)
        totals = run.totals
        assert totals["documents_created"] == (totals["documents_completed"]
                                               + totals["open_at_horizon"])
        bodies = sample_population(scenario, Streams(scenario.seed, 0),
                                   int(run.timeseries.time_min.max() // 1440) + 2)
        people = {e.id: e for b in bodies for staff in b.staff.values() for e in staff}
        assert any(e.absences for e in people.values())
        for row in run.steps.itertuples():
            emp = people[row.employee]
            assert not emp.absent(int(row.start_min // 1440)), row
        assert run.kpis["delay_share_absence"] > 0


def test_a_step_running_into_a_spell_away_pauses_over_it(monkeypatch):
    # The only executor is away on Tuesday: a 6-hour draft started Monday 11:30 runs
    # 11:30-13:00 and 14:30-18:30 (5.5 h), pauses over Tuesday and ends Wednesday 09:30.
    _one_executor_away(monkeypatch, 1, 2)
    scenario = tiny_deterministic(step_changes={"execution": {"handling_mean_min": 360}},
                                  absence={"standin_after_days": None}, horizon_days=4)
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    draft = run.steps.set_index(["document", "step"]).loc[("b0-0", "execution")]
    assert draft.start_min == pytest.approx(hm(0, "11:30"))
    assert draft.end_min == pytest.approx(hm(2, "09:30"))
    doc = run.documents.set_index("id").loc["b0-0"]
    assert doc.delay_absence_min >= 8 * 60  # Tuesday's working day
