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


def _one_executor_away(monkeypatch, first_day: int, after_day: int, executors: int = 1,
                       known: bool = False):
    """The last employee (an executor) is away from first_day to after_day; nobody else is.

    ``known``: the spell is leave or a trip (known in advance), not sickness.
    """
    def spells(scenario, rng, n, days, apart=range(0), planned=None):
        out = [() for _ in range(n)]
        out[-1] = ((first_day, after_day),)
        if planned is not None:
            planned.extend([frozenset()] * (n - 1) + [frozenset({first_day} if known else ())])
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
    # Until the executor can work again: Tuesday 09:00, not midnight.
    assert doc.delay_absence_min == pytest.approx(hm(1, "09:00") - hm(0, "11:30"))


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


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_the_leadership_takes_its_leave_one_at_a_time():
    # A 120-person ministry has 24 heads: its first 6 are the leadership (the minister and 5
    # vice-ministers). With sick days and trips off, a leader's spells are leave blocks; no two
    # of the first three leaders' blocks overlap, while the same draws without keeping them
    # apart overlap somewhere in most replications.
    scenario = small_scenario(
        bodies=[{"name": "M", "kind": "central_ministry", "staff": 120}],
        absence={"sick_days": 0, "trip_days": 0})
    clashes_apart = clashes_free = 0
    for rep in range(20):
        body = sample_population(scenario, Streams(7, rep), 365)[0]
        leaders = body.staff["head"][:3]
        spells = [s for e in leaders for s in ((e.id, x) for x in e.absences)]
        clashes_apart += sum(_overlap(a, b) for i, (p, a) in enumerate(spells)
                             for q, b in spells[i + 1:] if p != q)
        rng = Streams(7, rep).numpy(population.Purpose.ABSENCE, 0)
        free = sample_absences(scenario, rng, 3, 365)
        clashes_free += sum(_overlap(a, b) for i in range(3) for j in range(i + 1, 3)
                            for a in free[i] for b in free[j])
    assert clashes_apart == 0
    assert clashes_free >= 5


def test_the_run_starts_with_the_usual_share_of_staff_away():
    # Spells are drawn from a year that begins before the run: on day 0 about as many people
    # are away as on any later day (leave ~30/365, sickness and trips ~18/365 of days).
    scenario = small_scenario()
    rng = Streams(3, 0).numpy(population.Purpose.ABSENCE, 0)
    spells = sample_absences(scenario, rng, 4000, 200)
    on = [sum(any(s <= day < e for s, e in person) for person in spells) / 4000
          for day in (0, 100)]
    assert 0.08 < on[0] < 0.18, on
    assert on[0] == pytest.approx(on[1], abs=0.04)
    assert all(s >= 0 for person in spells for s, _ in person)


def test_utilisation_counts_only_the_time_people_were_not_away(monkeypatch):
    # The only executor is away Tuesday to Friday of a five-day run: their present time is
    # Monday's working day, and their utilisation is busy time over that day.
    _one_executor_away(monkeypatch, 1, 5)
    scenario = tiny_deterministic(absence={"standin_after_days": None}, horizon_days=5)
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    drafts = run.steps[run.steps.role == "executor"]
    busy = (drafts.end_min - drafts.start_min).sum()  # one-hour drafts within Monday
    assert drafts.start_min.max() < hm(1, "00:00")
    assert run.kpis["busiest_person_utilisation"] == pytest.approx(busy / (8 * 60))


@pytest.mark.parametrize("known", [True, False])
def test_work_in_progress_with_nobody_to_stand_in_waits_for_its_person(monkeypatch, known):
    # The only executor is away Tuesday to Thursday; a 6-hour draft started Monday 11:30 has
    # 5.5 hours done by Monday evening. Handed over on Tuesday morning (leave) or Wednesday
    # morning (sickness, after one working day), it finds nobody present to carry it on: it
    # waits for its person, who does the last half hour on Friday 09:00-09:30.
    _one_executor_away(monkeypatch, 1, 4, known=known)
    scenario = tiny_deterministic(step_changes={"execution": {"handling_mean_min": 360}},
                                  absence={"standin_after_days": 1}, horizon_days=5)
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    draft = run.steps.set_index(["document", "step"]).loc[("b0-0", "execution")]
    assert draft.start_min == pytest.approx(hm(4, "09:00"))
    assert draft.end_min == pytest.approx(hm(4, "09:30"))
    doc = run.documents.set_index("id").loc["b0-0"]
    assert doc.delay_handling_min == pytest.approx(10 + 20 + 360 + 15 + 5)
    # Waiting for the person from the first working minute they missed to their return.
    assert doc.delay_absence_min == pytest.approx(hm(4, "09:00") - hm(1, "09:00"))


def test_absence_counts_from_the_first_working_minute_missed_to_the_return():
    # The only executor is away Saturday to Monday (calendar days 5-7) and busy all week with
    # 2.5-hour drafts: b0-15's draft, named on Friday 09:30, waits behind their work into the
    # weekend and is taken up on Tuesday 09:00. The spell kept it waiting from Monday 09:00
    # (the first working minute missed) to Tuesday 09:00: one day, not the weekend too.
    def spells(scenario, rng, n, days, apart=range(0), planned=None):
        if planned is not None:
            planned.extend([frozenset()] * n)
        return [()] * (n - 1) + [((5, 8),)]

    import sim.model.population as pop
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pop, "sample_absences", spells)
        scenario = tiny_deterministic(step_changes={"execution": {"handling_mean_min": 150}},
                                      absence={"standin_after_days": None}, horizon_days=7)
        run = run_replication(scenario, "osdo", 0, keep_steps=True)
    draft = run.steps.set_index(["document", "step"]).loc[("b0-15", "execution")]
    assert draft.enqueued_min == pytest.approx(hm(4, "09:30"))
    assert draft.start_min == pytest.approx(hm(8, "09:00"))
    doc = run.documents.set_index("id").loc["b0-15"]
    assert doc.delay_absence_min == pytest.approx(24 * 60)


def test_leave_and_trips_are_known_in_advance_sickness_is_not():
    scenario = small_scenario(absence={"sick_days": 0})
    planned: list[frozenset[int]] = []
    rng = Streams(5, 0).numpy(population.Purpose.ABSENCE, 0)
    spells = sample_absences(scenario, rng, 300, 365, planned=planned)
    assert all(planned[i] == {a for a, _ in person} for i, person in enumerate(spells))
    scenario = small_scenario(absence={"annual_leave_days": 0, "trip_days": 0})
    planned = []
    sample_absences(scenario, Streams(5, 0).numpy(population.Purpose.ABSENCE, 0), 300, 365,
                    planned=planned)
    assert not any(planned)
