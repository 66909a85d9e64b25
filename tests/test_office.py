"""A run that starts from a working office: the open documents of a steady-state snapshot."""

from __future__ import annotations

import pytest
from conftest import small_scenario
from test_model import hm, tiny_deterministic

import sim.model.office as office
import sim.model.replication as replication
from sim.config.errors import ScenarioError
from sim.config.loading import deep_merge, scenario_from_dict, start_from_base_office
from sim.model.cache import CACHE_ENV
from sim.model.calendar import WorkCalendar
from sim.model.office import OpenDocument, office_key, place, working_office
from sim.model.replication import run_replication


def test_a_run_starts_with_the_snapshots_documents_and_conserves_them():
    # The snapshot of replication 0 has some open documents; the run starts with exactly those
    # (created before the run, so outside every KPI) and ends with every one of them either
    # completed or still open. OSDO's and ESED's snapshots share their documents (common
    # random numbers): most of those open in one are open in the other.
    scenario = small_scenario(horizon_days=6, warmup_days=1,
                              start={"office": "working", "snapshot_days": 15})
    seed = scenario.run_seed()
    offices = {p: working_office(scenario, p, 0, seed, replication._snapshot)
               for p in ("osdo", "esed")}
    shared = {d.seed for d in offices["osdo"]} & {d.seed for d in offices["esed"]}
    assert len(shared) > 0.5 * min(len(o) for o in offices.values())
    for p, taken in offices.items():
        assert len(taken) > 20
        assert {d.stage for d in taken} >= {"register", "resolution", "execution"}
        run = run_replication(scenario, p, 0, keep_documents=True)
        assert run.timeseries.open_documents.iloc[0] == len(taken)
        totals = run.totals
        created_in_run = totals["documents_created"] - len(taken)
        assert created_in_run > 0
        assert totals["documents_created"] == (totals["documents_completed"]
                                               + totals["open_at_horizon"])
        # The KPIs' documents were all created in the run, after its warm-up.
        assert (run.documents.created_min >= 0).all()
        assert run.kpis["documents_created"] <= created_in_run


def test_the_snapshot_is_cached_and_keyed_by_what_it_depends_on(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    calls = []

    def take(scenario, architecture, rep, seed):
        calls.append((scenario.horizon_days, architecture, rep, seed))
        return [OpenDocument(0, "internal_order", 7, "approval", 60.0, 600.0, None, True, 0)]

    base = small_scenario(start={"office": "working", "snapshot_days": 30})
    first = working_office(base, "osdo", 0, 1, take)
    assert calls == [(30, "osdo", 0, office.snapshot_seed(1))]
    # Run settings, names and dated policy leave the snapshot alone: read from the cache.
    same = base.model_copy(update={"horizon_days": 90, "replications": 9, "name": "other",
                                   "platforms": ["esed"], "incidents": []})
    assert working_office(same, "osdo", 0, 1, take) == first and len(calls) == 1
    assert office_key(same, "osdo", 0, 1) == office_key(base, "osdo", 0, 1)
    # The model's numbers, the replication, the seed and the snapshot's length do not.
    other_load = small_scenario(start={"office": "working", "snapshot_days": 30},
                                workload={"documents_per_employee_per_day": 3.0})
    longer = small_scenario(start={"office": "working", "snapshot_days": 31})
    keys = {office_key(base, "osdo", 0, 1), office_key(other_load, "osdo", 0, 1),
            office_key(base, "osdo", 1, 1), office_key(base, "osdo", 0, 2),
            office_key(longer, "osdo", 0, 1), office_key(base, "esed", 0, 1)}
    assert len(keys) == 6
    assert len(list(tmp_path.glob("*.json.gz"))) == 1


def test_ages_and_deadlines_are_kept_in_working_time():
    # A document 2 days old whose deadline is 600 working minutes ahead, and one overdue by 90:
    # created before minute 0; the first due at 600 working minutes into the run (Tuesday
    # 11:00 of an 8-hour day from 09:00 with lunch 13:00-14:30: Monday's 480 + 120 on Tuesday).
    calendar = WorkCalendar(tiny_deterministic().calendar)
    docs = [OpenDocument(0, "internal_order", 1, "execution", 2 * 1440.0, 600.0, None, True, 0),
            OpenDocument(0, "internal_order", 2, "", 30.0, -90.0, None, True, 0)]
    (c1, d1), (c2, d2) = place(docs, calendar)
    assert c1 == -2 * 1440.0 and c2 == -30.0
    assert d1 == pytest.approx(hm(1, "11:00"))
    assert calendar.working_minutes(0.0, d1) == pytest.approx(600.0)
    assert d2 == -90.0


def test_a_document_is_put_back_at_its_step(monkeypatch):
    # The office holds one document waiting for approval: at 09:00 on Monday the head approves
    # it (15 minutes) and signs it (5): the first steps of the run, before any new arrival.
    def one_document(scenario, architecture, rep, seed, take):
        return [OpenDocument(0, "internal_order", 11, "approval", 600.0, 4800.0, None, True, 0)]

    monkeypatch.setattr(replication, "working_office", one_document)
    scenario = tiny_deterministic(start={"office": "working"})
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    steps = run.steps[run.steps.document == "b0-w0"]
    assert list(steps.step) == ["approval", "signature"]
    assert steps.start_min.tolist() == pytest.approx([hm(0, "09:00"), hm(0, "09:15")])
    assert steps.end_min.tolist() == pytest.approx([hm(0, "09:15"), hm(0, "09:20")])
    assert run.totals["documents_created"] == run.totals["documents_completed"] + \
        run.totals["open_at_horizon"]
    assert run.kpis["documents_completed"] == run.totals["documents_completed"] - 1


def test_a_snapshot_override_takes_the_office_of_another_state(monkeypatch, tmp_path):
    # A run at remote share 0.8 whose snapshot is taken at 0.1: the snapshot runs at 0.1 (the
    # office as it stands before the change), keyed as the 0.1 scenario's own snapshot, so a
    # run of that scenario reads it from the cache.
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    calls = []

    def take(scenario, architecture, rep, seed):
        calls.append(scenario.staff.remote_share)
        return [OpenDocument(0, "internal_order", 7, "approval", 60.0, 600.0, None, True, 0)]

    start = {"office": "working", "snapshot_days": 30}
    today = small_scenario(start=start, staff={"remote_share": 0.1})
    moved = small_scenario(start={**start, "snapshot_set": {"staff.remote_share": 0.1}},
                           staff={"remote_share": 0.8})
    assert moved.staff.remote_share == 0.8
    working_office(moved, "osdo", 0, 1, take)
    assert calls == [0.1]
    working_office(today, "osdo", 0, 1, take)
    assert calls == [0.1]
    # Without the override the moved scenario has an office of its own.
    working_office(small_scenario(start=start, staff={"remote_share": 0.8}), "osdo", 0, 1, take)
    assert calls == [0.1, 0.8]


@pytest.mark.parametrize("sets, fragments", [
    ({"staff.remote_sharee": 0.1}, ["start.snapshot_set", "staff.remote_sharee",
                                    "unknown key", "remote_share"]),
    ({"staf.remote_share": 0.1}, ["start.snapshot_set.staf.remote_share", "unknown key",
                                  "staff"]),
    ({"staff.remote_share": 1.5}, ["start.snapshot_set", "staff.remote_share", "1.5"]),
    ({"bodies.0.staff": 10}, ["start.snapshot_set.bodies.0.staff", "cannot differ"]),
    ({"horizon_days": 10}, ["start.snapshot_set.horizon_days", "cannot differ"]),
    # A snapshot runs on the run's own seed: an override of it would be ignored.
    ({"seed": 7}, ["start.snapshot_set.seed", "cannot differ"]),
])
def test_a_bad_snapshot_override_is_an_error_of_the_file(sets, fragments):
    with pytest.raises(ScenarioError) as err:
        small_scenario(start={"office": "working", "snapshot_set": sets})
    for fragment in fragments:
        assert fragment in str(err.value)
    assert str(err.value).startswith("small:")


@pytest.mark.parametrize("changed", [["staff.literacy"],
                                     ["staff.literacy.insecure", "staff.literacy.advanced"]])
def test_a_variant_changing_around_a_bases_own_override_starts_from_the_bases_office(changed):
    # The base's office is taken at 20% insecure users (its own snapshot override); a variant
    # that sets all of staff.literacy (or the same leaves) must go back to that office, not to the
    # base's run values: the path around an override once replaced it with the run's 39%.
    base = small_scenario(start={"office": "working",
                                 "snapshot_set": {"staff.literacy.insecure": 0.2,
                                                  "staff.literacy.advanced": 0.8}})
    data = base.model_dump(mode="python")
    # It also changes a path the base does not override: that goes back to the base's value.
    variant = deep_merge(data, {"staff": {"literacy": {"insecure": 0.8, "advanced": 0.2},
                                          "remote_share": 0.9}})
    start_from_base_office(variant, data, [*changed, "staff.remote_share"], "test")
    scenario = scenario_from_dict(variant, "test")
    assert office.snapshot_scenario(scenario).staff.literacy == \
        office.snapshot_scenario(base).staff.literacy
    assert office.snapshot_scenario(scenario).staff.literacy["insecure"] == 0.2
    assert office.snapshot_scenario(scenario).staff.remote_share == base.staff.remote_share != 0.9
