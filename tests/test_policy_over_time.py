"""Policy over time: shares that change on schedule, bodies moving to the cloud, incidents."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from conftest import small_scenario
from test_model import NO_ABSENCE, OFF, hm, tiny_deterministic

from sim.config import scenario_from_dict
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.policy import Policy, PolicyClock, excess_days, recovery_days, share_at
from sim.model.population import sample_population
from sim.model.replication import _platforms, run_replication
from sim.model.streams import Streams

RAMP = {"start": 0.2, "changes": [{"from": 2, "until": 6, "to": 0.6}, {"day": 8, "to": 0.1}]}


def _ramp_scenario(**extra):
    return small_scenario(
        horizon_days=10, warmup_days=1, absence=NO_ABSENCE,
        staff={"remote_share": RAMP, "remote_eligible_share": 1.0,
               "remote_office_days_per_week": 0},
        bodies=[{"name": "A", "kind": "central_ministry", "staff": 100}], **extra)


def _policy(scenario, architecture="osdo"):
    calendar = WorkCalendar(scenario.calendar)
    bodies = sample_population(scenario, Streams(scenario.seed, 0), 30)
    systems, platforms = _platforms(scenario, architecture, bodies, Streams(scenario.seed, 0),
                                    simpy.Environment())
    return Policy(scenario, calendar, bodies, systems, platforms, architecture == "mixed"), bodies


def test_a_ramp_changes_the_number_of_remote_staff_on_the_scheduled_days():
    # 0.2 until working day 2, linear to 0.6 at day 6 (0.4 at day 4), 0.1 from day 8.
    scenario = _ramp_scenario()
    policy, bodies = _policy(scenario)
    people = [e for role in bodies[0].staff.values() for e in role]
    expected = {0: 20, 1: 20, 2: 20, 3: 30, 4: 40, 5: 50, 6: 60, 7: 60, 8: 10, 9: 10}
    remote_by_day = {}
    for day, n in expected.items():
        policy.apply_shares(policy.clock.minute(day))
        remote_by_day[day] = {e.id for e in people if e.mode == "remote"}
        assert len(remote_by_day[day]) == n, day
    # The same people move: those home at 40% are home at 60% too, and stay home at 10%.
    assert remote_by_day[4] <= remote_by_day[6]
    assert remote_by_day[8] <= remote_by_day[4]


def test_in_a_run_people_work_from_home_exactly_on_their_scheduled_days():
    scenario = _ramp_scenario()
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    policy, bodies = _policy(scenario)
    people = {e.id: e for role in bodies[0].staff.values() for e in role}
    steps = run.steps[run.steps.system != "paper"]
    calendar = policy.calendar
    home_share = []
    for day in range(10):
        start = policy.clock.minute(day)
        policy.apply_shares(start)
        today = steps[(steps.start_min >= start)
                      & (steps.start_min < calendar.next_working(start + MINUTES_PER_DAY
                                                                 - start % MINUTES_PER_DAY))]
        for row in today.itertuples():
            assert row.at_home == (people[row.employee].mode == "remote"), (day, row)
        home_share.append(today.at_home.mean())
    # 20% at home on day 1, 60% on day 7, 10% on day 9 (steps, not people: roughly).
    assert home_share[9] < home_share[1] < home_share[7]
    assert home_share[7] > 0.4


def test_share_at_steps_and_ramps_in_working_time():
    scenario = _ramp_scenario()
    clock = PolicyClock(scenario, WorkCalendar(scenario.calendar))
    changes = scenario.staff.schedules["remote_share"]
    assert share_at(0.2, changes, clock, clock.minute(2)) == pytest.approx(0.2)
    # Half the working time from day 2 to day 6 has passed at the start of day 4.
    assert share_at(0.2, changes, clock, clock.minute(4)) == pytest.approx(0.4)
    assert share_at(0.2, changes, clock, clock.minute(7)) == pytest.approx(0.6)
    assert share_at(0.2, changes, clock, clock.minute(8)) == pytest.approx(0.1)


def test_training_and_procurement_move_people_up_and_keep_them_there():
    scenario = small_scenario(
        absence=NO_ABSENCE, bodies=[{"name": "A", "kind": "central_ministry", "staff": 200}],
        staff={"literacy": {"changes": [{"day": 3, "to": {"advanced": 0.9, "insecure": 0.1}}]},
               "equipment": {"changes": [{"from": 0, "until": 4, "to": {
                   "adequate": 0.9, "inadequate": 0.1, "insufficient": 0.0}}]}})
    policy, bodies = _policy(scenario)
    people = [e for role in bodies[0].staff.values() for e in role]
    policy.apply_shares(policy.clock.minute(0))
    insecure_before = {e.id for e in people if e.insecure_literacy}
    adequate_before = {e.id for e in people if e.equipment == "adequate"}
    slow_before = sum(e.pace for e in people)
    policy.apply_shares(policy.clock.minute(5))
    insecure_after = {e.id for e in people if e.insecure_literacy}
    adequate_after = {e.id for e in people if e.equipment == "adequate"}
    assert abs(len(insecure_before) - 0.39 * 200) < 25
    assert abs(len(insecure_after) - 0.1 * 200) < 12
    assert insecure_after <= insecure_before and adequate_before <= adequate_after
    assert not any(e.equipment == "insufficient" for e in people)
    assert sum(e.pace for e in people) < slow_before  # the assigners expect faster work


def _waves_scenario(**extra):
    # A on the cloud, B on its own ESED until it moves on working day 3.
    return small_scenario(horizon_days=10, warmup_days=0, platforms=["mixed"],
                          migration=[{"day": 3, "bodies": ["B"], "transition_days": 2,
                                      "import_min_per_document": 7}], **extra)


def test_bodies_move_mid_run_with_every_document_conserved():
    scenario = _waves_scenario()
    run = run_replication(scenario, "mixed", 0, keep_steps=True)
    totals = run.totals
    assert totals["documents_created"] == totals["documents_completed"] + totals["open_at_horizon"]
    docs = run.documents
    assert docs.id.is_unique
    wave = PolicyClock(scenario, WorkCalendar(scenario.calendar)).minute(3)
    at_b = run.steps[(run.steps.body == 1) & (run.steps.system != "paper")]
    assert set(at_b[at_b.start_min < wave].system) == {"esed"}
    assert set(at_b[at_b.start_min >= wave].system) == {"osdo"}
    # Documents of B open at the wave are imported on their next step; others never are.
    b_docs = docs[docs.body == 1]
    resumed = set(at_b[at_b.start_min >= wave].document)
    spanning = b_docs[(b_docs.created_min < wave) & b_docs.id.isin(resumed)]
    later = docs[(docs.created_min > wave + 5 * MINUTES_PER_DAY) | (docs.body == 0)]
    # (Where the next step is one of parallel approvals, the import may fall on a branch that
    # does not end last, off the document's critical path: most, not all, show it.)
    assert len(spanning) > 5
    assert (spanning.delay_migration_min >= 7 - 1e-9).mean() > 0.8
    assert (later.delay_migration_min == 0).all()
    assert [e.kind for e in run.events] == ["wave"]


def test_paper_documents_are_never_imported_into_the_new_system():
    # Secret documents are paper in the secret records office, off every platform: the move
    # brings nothing of theirs into the cloud, and their steps carry no migration time.
    scenario = _waves_scenario(
        documents={"types": {"incoming_letter": {"secret_share": 0.3}}})
    run = run_replication(scenario, "mixed", 0, keep_steps=True)
    wave = PolicyClock(scenario, WorkCalendar(scenario.calendar)).minute(3)
    docs = run.documents[(run.documents.body == 1) & (run.documents.created_min < wave)]
    after = set(run.steps[run.steps.start_min >= wave].document)
    secret = docs[(docs.confidentiality == "secret") & docs.id.isin(after)]
    others = docs[(docs.confidentiality != "secret") & docs.id.isin(after)]
    assert len(secret) >= 3 and len(others) > 5
    assert (secret.delay_migration_min == 0).all()
    assert (others.delay_migration_min > 0).any()


def test_a_wave_does_not_touch_the_all_osdo_or_all_esed_runs():
    with_wave, without = _waves_scenario(), small_scenario(horizon_days=10, warmup_days=0)
    for architecture in ("osdo", "esed"):
        a = run_replication(with_wave, architecture, 0)
        b = run_replication(without, architecture, 0)
        assert a.kpis["documents_completed"] == b.kpis["documents_completed"]
        assert a.kpis["cycle_time_mean_h"] == b.kpis["cycle_time_mean_h"]
        assert not a.events  # the wave is planned only where bodies keep their own systems


def _incident(what, **target):
    return [{"what": what, "day": 0, "at": "11:05", "hours": 0.5, **target}]


@pytest.mark.parametrize(("incidents", "osdo_end", "esed_end"), [
    (_incident("platform", system="osdo"), "11:40", "11:10"),
    (_incident("platform", system="esed", body="B"), "11:10", "11:40"),
    (_incident("access_gateway"), "11:40", "11:10"),  # the cloud from the office only
    (_incident("internet", region="B"), "11:40", "11:10"),  # the agency's own network holds
])
def test_an_incident_stops_exactly_the_work_it_should(incidents, osdo_end, esed_end):
    # Registration of the first document runs 11:00-11:10 (test_model's exact trace); an
    # incident from 11:05 to 11:35 stops it for 30 minutes where it cuts the step's path.
    scenario = tiny_deterministic(incidents=incidents, human={"outage_work_loss_prob": 0.0})
    for architecture, end in (("osdo", osdo_end), ("esed", esed_end)):
        run = run_replication(scenario, architecture, 0, keep_steps=True)
        register = run.steps.set_index(["document", "step"]).loc[("b0-0", "register")]
        assert register.end_min == pytest.approx(hm(0, end)), architecture
        hit = end == "11:40"
        assert [e.affects for e in run.events] == [hit or incidents[0]["what"] == "internet"]


def test_a_region_down_stops_home_work_on_either_system():
    home = {"remote_share": 1.0, "remote_eligible_share": 1.0, "remote_office_days_per_week": 0,
            "roles": {"clerk": 0.34, "head": 0.33, "executor": 0.33},
            "literacy": {"advanced": 1.0, "insecure": 0.0},
            "home_internet": {"urban_fibre": 1.0, "urban_mobile": 0.0, "rural": 0.0,
                              "poor_rural": 0.0}}
    fibre = {"bandwidth_mbps": 100, "rtt_ms": 0, "mtbf_h": None, "attempt_failure_prob": 0.0}
    scenario = tiny_deterministic(
        incidents=_incident("internet", region="B"), staff=home,
        human={"outage_work_loss_prob": 0.0},
        internet={"classes": {"office_lan": OFF, "capital_office_link": OFF,
                              "urban_fibre": fibre}, "access_gateway": OFF},
        platform={"osdo": {"mtbf_h": None, "ui_time_factors": {
            "advocates": 1.0, "detractors": 1.0, "undecided": 1.0}},
                  "esed": {"mtbf_h": None, "vpn_rtt_ms": 0}})
    for architecture in ("osdo", "esed"):
        run = run_replication(scenario, architecture, 0, keep_steps=True)
        register = run.steps.set_index(["document", "step"]).loc[("b0-0", "register")]
        assert register.at_home
        assert register.end_min == pytest.approx(hm(0, "11:40")), architecture


def test_recovery_is_counted_from_the_incident_to_the_first_day_back_in_band():
    scenario = small_scenario(calendar={"official_calendar": None})
    calendar = WorkCalendar(scenario.calendar)
    times = np.arange(0, 30 * MINUTES_PER_DAY, 60.0)
    level = np.full(len(times), 100.0)
    level += np.where((times // MINUTES_PER_DAY) % 2 == 0, 5.0, -5.0)  # a band of 95..105
    incident = (hm(14, "09:00"), hm(14, "18:00"))  # Monday of the third week
    days_since = (times - incident[0]) / MINUTES_PER_DAY
    level = np.where(days_since >= 0, np.maximum(level, 200 - 25 * np.floor(days_since)), level)
    # 200 on day 14, then 175 (15), 150 (16), 125 (17), 100 (18: Friday, back in the band).
    got = recovery_days(times, level, [incident], calendar, 10)
    # Monday 09:00 to Friday 10:00: four working days of 8 hours and one hour, 33 h / 8 h.
    assert got == pytest.approx(33 / 8)
    assert math.isnan(recovery_days(times, level + (days_since >= 0) * 500, [incident],
                                    calendar, 10))  # never back by the horizon
    assert math.isnan(recovery_days(times, level, [], calendar, 10))


def test_an_incident_makes_documents_late_against_the_same_run_without_it():
    scenario = small_scenario(
        horizon_days=30, warmup_days=2,
        documents={"types": {"internal_order": {"deadline_working_days": 2}}},
        incidents=[{"what": "platform", "system": "osdo", "day": 8, "hours": 60}])
    osdo = run_replication(scenario, "osdo", 0)
    assert osdo.kpis["incident_late_documents"] > 0
    esed = run_replication(scenario, "esed", 0)
    # The cloud was down, ESED was not: no incident touched the ESED run.
    assert math.isnan(esed.kpis["incident_late_documents"])
    assert math.isnan(esed.kpis["incident_recovery_days"])
    assert [e.affects for e in esed.events] == [False]


def test_schedules_survive_being_written_out_and_read_back():
    import yaml

    from sim.config.loading import dump_resolved

    scenario = _ramp_scenario(migration=[{"day": "2023-01-16", "share": 0.5}])
    again = scenario_from_dict(yaml.safe_load(dump_resolved(scenario)), "again")
    assert again.staff.schedules == scenario.staff.schedules
    assert again.migration == scenario.migration


def test_an_incident_over_a_weekend_changes_nothing():
    # Nobody works on Saturday: the same replication with and without a cloud outage then is
    # the same run, step for step (common random numbers hold through incidents).
    calm = small_scenario(horizon_days=10, warmup_days=1)
    weekend = small_scenario(horizon_days=10, warmup_days=1, incidents=[
        {"what": "platform", "system": "osdo", "day": "2023-01-14", "at": "09:00",
         "hours": 9.5}])
    a = run_replication(weekend, "osdo", 0, keep_steps=True)
    b = run_replication(calm, "osdo", 0, keep_steps=True)
    assert a.steps.equals(b.steps)
    assert a.kpis["incident_late_documents"] == 0
    assert [e.affects for e in a.events] == [True]


def test_a_wave_moves_the_bodies_it_names_then_its_share_of_those_left_each_once():
    scenario = small_scenario(
        platforms=["mixed"],
        bodies=[{"name": "Cloud", "kind": "committee", "staff": 10, "platform": "osdo"},
                {"name": "Dept", "kind": "local_executive", "count": 3, "staff": 10,
                 "platform": "esed"},
                {"name": "Akimat", "kind": "district_akimat", "count": 2, "staff": 10,
                 "platform": "esed"}],
        migration=[{"day": 9, "bodies": ["Dept"]},  # a group name: all three
                   {"day": 2, "share": 0.4},  # first in time: 2 of the 5 on ESED
                   {"day": 5, "kinds": ["district_akimat"], "name": "akimats"}])
    policy, bodies = _policy(scenario, "mixed")
    names = [[bodies[b].name for b in wave.bodies] for wave in policy.waves]
    assert names == [["Dept #1", "Dept #2"], ["Akimat #1", "Akimat #2"], ["Dept #3"]]
    assert [w.label for w in policy.waves] == [
        "wave 1 (2 bodies to OSDO)", "akimats (2 bodies to OSDO)", "wave 3 (1 body to OSDO)"]
    assert policy.system_at(1, policy.clock.minute(1)) == "esed"
    assert policy.system_at(1, policy.clock.minute(2)) == "osdo"
    # Utilisation reads every system a body worked in: both pools of a body that moved.
    assert policy.systems_of(1) == ["esed", "osdo"] and policy.systems_of(0) == ["osdo"]


def test_the_excess_backlog_is_gone_when_the_run_is_back_near_the_same_run_without_it():
    # Both runs drift up 10 a day (what absences or a ramp would do); the incident on day 14
    # adds 100 that drains 30 a day: within 5% of the calm run from day 17 (excess 10 <= 5%
    # of 270).
    scenario = small_scenario(calendar={"official_calendar": None})
    calendar = WorkCalendar(scenario.calendar)
    times = np.arange(0, 30 * MINUTES_PER_DAY, 60.0)
    day = times // MINUTES_PER_DAY
    calm = 100.0 + 10.0 * day
    incident = (hm(14, "09:00"), hm(14, "18:00"))
    level = calm + np.where(day >= 14, np.maximum(0.0, 100.0 - 30.0 * (day - 14)), 0.0)
    got = excess_days(times, level, calm, [incident], calendar, 0.05)
    assert got == pytest.approx(calendar.working_days_between(incident[0], hm(17, "10:00")))
    # The band of the days before never comes back (the drift), the excess does.
    assert math.isnan(recovery_days(times, level, [incident], calendar, 10))
    assert math.isnan(excess_days(times, calm + 500 * (day >= 14), calm, [incident],
                                 calendar, 0.05))


def test_a_date_written_without_dashes_is_checked_against_the_start_like_any_other():
    # fromisoformat reads 20230102 as 2 January 2023; as text it sorted after the start date.
    from sim.config import ScenarioError

    with pytest.raises(ScenarioError, match="2023-01-02 is before the start"):
        small_scenario(incidents=[{"what": "platform", "system": "osdo", "day": "20230102",
                                   "hours": 2}])
    later = small_scenario(incidents=[{"what": "platform", "system": "osdo",
                                       "day": "20230301", "hours": 2}])
    assert later.incidents[0].day == "2023-03-01"


def test_a_body_that_moved_to_the_cloud_keeps_its_regions_internet_incidents():
    # B works on its own ESED until day 1, then on OSDO over the internet: on day 3 its region's
    # internet is down all working day, so work taken up then waits for Friday morning.
    scenario = small_scenario(
        horizon_days=6, warmup_days=0, platforms=["mixed"], staff={"remote_share": 0.0},
        migration=[{"day": 1, "bodies": ["B"]}],
        incidents=[{"what": "internet", "region": "B", "day": 3, "at": "08:00", "hours": 12}])
    run = run_replication(scenario, "mixed", 0, keep_steps=True)
    steps = run.steps[(run.steps.body == 1) & (run.steps.system == "osdo")]
    on_day_3 = steps[(steps.start_min >= hm(3, "09:00")) & (steps.start_min < hm(3, "18:30"))]
    assert len(on_day_3) > 5
    assert (on_day_3.end_min >= hm(4, "09:00")).all()


def _open_at(docs, times):
    """Open documents at each time, counted from the documents table."""
    created = docs.created_min.to_numpy()[:, None]
    done = docs.completed_min.fillna(np.inf).to_numpy()[:, None]
    return ((created <= times) & (done > times)).sum(axis=0)


def test_recovery_from_a_local_incident_is_measured_on_the_bodies_it_touched():
    # Six hours without B's own ESED (the small body): its backlog climbs while the
    # ministry's, seven times its size, does not. Recovery is read on B's open documents
    # (counted here from the documents table), not on the whole run's, where the ministry's
    # steady backlog dilutes it: B is within 5% of its calm twin working days later than the
    # whole run is.
    scenario = small_scenario(
        horizon_days=24, warmup_days=0,
        bodies=[{"name": "A", "kind": "central_ministry", "staff": 150, "platform": "esed"},
                {"name": "B", "kind": "district_akimat", "staff": 20, "platform": "esed"}],
        incidents=[{"what": "platform", "system": "esed", "body": "B", "day": 8, "hours": 6}])
    calendar = WorkCalendar(scenario.calendar)
    run = run_replication(scenario, "esed", 0, keep_documents=True)
    calm = run_replication(scenario.model_copy(update={"incidents": []}), "esed", 0,
                           keep_documents=True)
    times = run.timeseries.time_min.to_numpy()
    at_b = _open_at(run.documents[run.documents.body == 1], times)
    usual_b = _open_at(calm.documents[calm.documents.body == 1], times)
    (interval,) = [(e.start_min, e.end_min) for e in run.events]
    assert interval[0] == PolicyClock(scenario, calendar).minute(8)
    output = scenario.output
    assert run.kpis["incident_recovery_days"] == pytest.approx(
        recovery_days(times, at_b, [interval], calendar, output.incident_band_days), nan_ok=True)
    assert run.kpis["incident_excess_days"] == pytest.approx(
        excess_days(times, at_b, usual_b, [interval], calendar, output.incident_excess_share),
        nan_ok=True)
    whole = excess_days(times, run.timeseries.open_documents.to_numpy(),
                        calm.timeseries.open_documents.to_numpy(), [interval], calendar,
                        output.incident_excess_share)
    assert run.kpis["incident_excess_days"] >= whole + 1
