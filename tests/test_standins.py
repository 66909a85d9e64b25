"""Work in progress passes to a present colleague when its person goes away.

Nobody works while away: before leave or a trip (known in advance) the unfinished part of a
step goes to a present peer at once, after a few days of sickness to a stand-in, and whoever
carries it on spends their own time on it.
"""

from __future__ import annotations

import pytest
from conftest import small_scenario
from test_model import hm, tiny_deterministic

import sim.model.population as population
from sim.model.calendar import WorkCalendar
from sim.model.population import sample_population
from sim.model.replication import run_replication
from sim.model.streams import Streams

LEAVER = 2  # the first executor of the four-person body below: drafts b0-0


def _away(monkeypatch, spells_of: dict[int, tuple[int, int]], known: bool) -> None:
    """Employee i is away over spells_of[i]; leave (known in advance) or sickness."""
    def spells(scenario, rng, n, days, apart=range(0), planned=None):
        out = [((spells_of[i]),) if i in spells_of else () for i in range(n)]
        if planned is not None:
            planned.extend(frozenset({spells_of[i][0]}) if known and i in spells_of
                           else frozenset() for i in range(n))
        return out

    monkeypatch.setattr(population, "sample_absences", spells)


def _two_executors(**extra):
    # A clerk, a head, two executors; two documents a day (13:00 and 18:30); six-hour drafts.
    # Without absences b0-0 is drafted by employee 2 from Monday 15:00 to Tuesday 11:30 and
    # b0-1 by employee 3 from Tuesday 09:30 to 17:00.
    return tiny_deterministic(
        step_changes={"execution": {"handling_mean_min": 360}},
        staff={"remote_share": 0.0, "roles": {"clerk": 0.25, "head": 0.25, "executor": 0.5},
               "literacy": {"advanced": 1.0, "insecure": 0.0}},
        bodies=[{"name": "B", "kind": "committee", "staff": 4}],
        workload={"documents_per_employee_per_day": 0.5, "arrivals": "deterministic"},
        horizon_days=3, **extra)


def _drafts(run):
    return run.steps[run.steps.step == "execution"].set_index("document")


def test_before_leave_a_colleague_carries_on_the_work_in_their_own_time(monkeypatch):
    # Employee 2 is on leave Tuesday to Thursday. Of b0-0's six hours, 3.5 are done on Monday
    # (15:00-18:30); the other 2.5 pass to employee 3 on Tuesday morning, who does them
    # 09:00-11:30 and only then starts b0-1 (named to them at 09:30): 11:30-13:00,
    # 14:30-18:30, Wednesday 09:00-09:30. Nothing waits for the absent person.
    _away(monkeypatch, {LEAVER: (1, 4)}, known=True)
    run = run_replication(_two_executors(absence={"standin_after_days": 1}), "osdo", 0,
                          keep_steps=True)
    drafts = _drafts(run)
    assert drafts.loc["b0-0", "employee"] == 3
    assert drafts.loc["b0-0", "start_min"] == pytest.approx(hm(1, "09:00"))
    assert drafts.loc["b0-0", "end_min"] == pytest.approx(hm(1, "11:30"))
    assert drafts.loc["b0-1", "employee"] == 3
    assert drafts.loc["b0-1", "start_min"] == pytest.approx(hm(1, "11:30"))
    assert drafts.loc["b0-1", "end_min"] == pytest.approx(hm(2, "09:30"))
    doc = run.documents.set_index("id").loc["b0-0"]
    # 10 + 20 + 3.5 h + 2.5 h + 15 + 5 minutes of hands-on work, none of it lost or doubled.
    assert doc.delay_handling_min == pytest.approx(410)
    assert doc.delay_absence_min == pytest.approx(0)
    assert doc.cycle_time_h * 60 == pytest.approx(hm(1, "11:50") - hm(0, "13:00"))


def test_after_a_day_of_sickness_a_standin_carries_on_the_work(monkeypatch):
    # Employee 2 falls sick on Tuesday: b0-0 stops on Monday evening with 2.5 hours to do and
    # waits one working day (Tuesday 09:00 to Wednesday 09:00: absence) for a stand-in.
    # Employee 3 drafts b0-1 (Tuesday 09:30-17:00) and b0-2 (named at 15:00 on Tuesday:
    # 17:00-18:30, Wednesday 09:00-13:00, 14:30-15:00), then b0-0's rest, the oldest of their
    # work, 15:00-17:30 on Wednesday.
    _away(monkeypatch, {LEAVER: (1, 4)}, known=False)
    run = run_replication(_two_executors(absence={"standin_after_days": 1}), "osdo", 0,
                          keep_steps=True)
    drafts = _drafts(run)
    assert list(drafts.loc[["b0-0", "b0-1", "b0-2"], "employee"]) == [3, 3, 3]
    assert drafts.loc["b0-1", "end_min"] == pytest.approx(hm(1, "17:00"))
    assert drafts.loc["b0-2", "end_min"] == pytest.approx(hm(2, "15:00"))
    assert drafts.loc["b0-0", "start_min"] == pytest.approx(hm(2, "15:00"))
    assert drafts.loc["b0-0", "end_min"] == pytest.approx(hm(2, "17:30"))
    doc = run.documents.set_index("id").loc["b0-0"]
    assert doc.delay_absence_min == pytest.approx(24 * 60)
    assert doc.delay_handling_min == pytest.approx(410)


def test_the_colleague_works_at_their_own_pace(monkeypatch):
    # The same leave, but the colleague is insecure with the system (every step takes
    # insecure_literacy_time_factor 1.5 times as long): the 2.5 hours left take them 3.75.
    _away(monkeypatch, {LEAVER: (1, 4)}, known=True)
    scenario = _two_executors(absence={"standin_after_days": 1})
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    factor = scenario.human.insecure_literacy_time_factor
    people = {e.id: e for b in sample_population(scenario, Streams(scenario.seed, 0), 10)
              for staff in b.staff.values() for e in staff}
    assert not people[3].insecure_literacy  # the default: advanced literacy only

    def insecure_peer(*args, **kwargs):
        bodies = original(*args, **kwargs)
        for body in bodies:
            for e in body.staff["executor"]:
                e.insecure_literacy = e.id == 3
        return bodies

    import sim.model.replication as replication
    original = replication.sample_population
    monkeypatch.setattr(replication, "sample_population", insecure_peer)
    slow = _drafts(run_replication(scenario, "osdo", 0, keep_steps=True))
    assert slow.loc["b0-0", "start_min"] == pytest.approx(_drafts(run).loc["b0-0", "start_min"])
    assert slow.loc["b0-0", "end_min"] - slow.loc["b0-0", "start_min"] == pytest.approx(
        2.5 * 60 * factor)


def test_no_step_runs_while_its_person_is_away_and_nobody_is_busier_than_present():
    # Much leave and sickness in a busy office: no step's working time overlaps a spell of the
    # person it is recorded for, documents are conserved, every delay adds up to its cycle
    # time, and nobody is busy more than the time they were at work.
    scenario = small_scenario(horizon_days=40, warmup_days=0,
                              absence={"annual_leave_days": 60, "sick_days": 20})
    calendar = WorkCalendar(scenario.calendar)
    for platform in ("osdo", "esed"):
        run = run_replication(scenario, platform, 0, keep_steps=True)
        bodies = sample_population(scenario, Streams(scenario.seed, 0),
                                   int(run.timeseries.time_min.max() // 1440) + 2)
        people = {e.id: e for b in bodies for staff in b.staff.values() for e in staff}
        overlaps = 0
        for row in run.steps.itertuples():
            for first, after in people[row.employee].absences:
                lo, hi = max(first * 1440, row.start_min), min(after * 1440, row.end_min)
                overlaps += hi > lo and calendar.working_minutes(lo, hi) > 0
        assert overlaps == 0
        totals = run.totals
        assert totals["documents_created"] == (totals["documents_completed"]
                                               + totals["open_at_horizon"])
        docs = run.documents.dropna(subset=["completed_min"])
        delays = docs.filter(like="delay_").filter(regex="_min$").sum(axis=1)
        assert (delays - docs.cycle_time_h * 60).abs().max() < 1e-6
        assert run.kpis["busiest_person_utilisation"] <= 1.0
