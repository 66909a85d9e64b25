"""Behaviour of one replication: exact traces, conservation, invariants, common random numbers."""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import small_scenario
from scipy import stats

from sim.config import scenario_from_dict
from sim.model.documents import DELAY_COMPONENTS
from sim.model.replication import run_replication

NO_OTHER_TYPES = {
    name: {"share": 0.0}
    for name in ("citizen_appeal", "incoming_letter", "instruction_from_above",
                 "outgoing_initiative", "reply_letter")
}
STEP_MINUTES = {"register": 10, "resolution": 20, "execution": 60, "approval": 15,
                "signature": 5, "dispatch": 10}
OFF = {"mtbf_h": None}
NO_ABSENCE = {"annual_leave_days": 0, "sick_days": 0, "trip_days": 0}
ROUTE_ALONE = {"correspondence_share": {"clerk": 1.0, "head": 1.0, "executor": 1.0},
               "draft_start_days_before_term": None}
NEUTRAL_UI = {"advocates": 1.0, "detractors": 1.0, "undecided": 1.0}  # the cloud's UI as ESED's


def tiny_deterministic(step_changes=None, **extra):
    """One body of three (a clerk, a head, an executor), fixed times, no platform effects.

    ``step_changes`` maps a step to fields that replace its fixed-time spec.
    """
    data = {
        "name": "tiny",
        "horizon_days": 2,
        "warmup_days": 0,
        "platforms": ["osdo", "esed"],
        "staff": {"remote_share": 0.0, "roles": {"clerk": 0.34, "head": 0.33, "executor": 0.33},
                  "literacy": {"advanced": 1.0, "insecure": 0.0}},
        "human": {"rework_prob": 0.0},
        "platform": {"osdo": {"mtbf_h": None, "ui_time_factors": NEUTRAL_UI},
                     "esed": {"mtbf_h": None}},
        "internet": {"classes": {"office_lan": OFF, "capital_office_link": OFF},
                     "access_gateway": OFF},
        "calendar": {"official_calendar": None},
        "absence": NO_ABSENCE,
        # 4 documents a day: one every 120 working minutes.
        "workload": {"documents_per_employee_per_day": 4 / 3, "arrivals": "deterministic"},
        "documents": {
            "types": {**NO_OTHER_TYPES,
                      "internal_order": {"share": 1.0, "executors_max": 1, "approvals": 1,
                                         "secret_share": 0.0, "official_use_share": 0.0}},
            "steps": {k: {"handling_mean_min": v, "distribution": "deterministic",
                          "interactions": 0, **(step_changes or {}).get(k, {})}
                      for k, v in STEP_MINUTES.items()},
        },
        "bodies": [{"name": "B", "kind": "committee", "staff": 3}],
    }
    data.update(extra)
    # The route alone, whatever staff section a test gives: everyone's whole time on
    # correspondence, drafts started as soon as they are named.
    data["staff"] = {**ROUTE_ALONE, **data["staff"]}
    return scenario_from_dict(data, "tiny")


def hm(day, hhmm):
    h, m = hhmm.split(":")
    return day * 1440 + int(h) * 60 + int(m)


# (document, step, start, end): arrivals at working minutes 120, 240, 360, 480 of each day.
EXPECTED_DAY_ONE = [
    ("b0-0", "register", hm(0, "11:00"), hm(0, "11:10")),
    ("b0-0", "resolution", hm(0, "11:10"), hm(0, "11:30")),
    ("b0-0", "execution", hm(0, "11:30"), hm(0, "12:30")),
    ("b0-0", "approval", hm(0, "12:30"), hm(0, "12:45")),
    ("b0-0", "signature", hm(0, "12:45"), hm(0, "12:50")),
    # Arrives 13:00 (lunch): registered after lunch.
    ("b0-1", "register", hm(0, "14:30"), hm(0, "14:40")),
    ("b0-1", "resolution", hm(0, "14:40"), hm(0, "15:00")),
    ("b0-1", "execution", hm(0, "15:00"), hm(0, "16:00")),
    ("b0-1", "approval", hm(0, "16:00"), hm(0, "16:15")),
    ("b0-1", "signature", hm(0, "16:15"), hm(0, "16:20")),
    ("b0-2", "register", hm(0, "16:30"), hm(0, "16:40")),
    ("b0-2", "resolution", hm(0, "16:40"), hm(0, "17:00")),
    # The executor works 17:00-18:00; the head approves and signs before 18:30.
    ("b0-2", "execution", hm(0, "17:00"), hm(0, "18:00")),
    ("b0-2", "approval", hm(0, "18:00"), hm(0, "18:15")),
    ("b0-2", "signature", hm(0, "18:15"), hm(0, "18:20")),
    # Arrives 18:30 (end of day): everything happens the next morning.
    ("b0-3", "register", hm(1, "09:00"), hm(1, "09:10")),
]


@pytest.mark.parametrize("platform", ["osdo", "esed"])
def test_exact_trace_of_tiny_deterministic_scenario(platform):
    records = run_replication(tiny_deterministic(), platform, 0, keep_steps=True)
    steps = records.steps
    got = [tuple(r) for r in steps[["document", "step", "start_min", "end_min"]].itertuples(
        index=False)]
    got = [(d, s, pytest.approx(a), pytest.approx(b)) for d, s, a, b in got]
    assert got[: len(EXPECTED_DAY_ONE)] == EXPECTED_DAY_ONE
    docs = records.documents.set_index("id")
    assert docs.loc["b0-0", "completed_min"] == pytest.approx(hm(0, "12:50"))
    assert docs.loc["b0-0", "cycle_time_h"] == pytest.approx(110 / 60)
    # b0-1 arrived 13:00 and finished 16:20: 90 minutes of it were lunch.
    assert docs.loc["b0-1", "delay_off_hours_min"] == pytest.approx(90)
    assert docs.loc["b0-1", "delay_handling_min"] == pytest.approx(110)


def test_queueing_for_the_single_executor():
    # Eight documents a day: one every 60 working minutes; execution (60 min) is the bottleneck
    # at exactly full load, and the second document waits for the executor.
    scenario = tiny_deterministic(
        workload={"documents_per_employee_per_day": 8 / 3, "arrivals": "deterministic"})
    steps = run_replication(scenario, "osdo", 0, keep_steps=True).steps
    ex = steps[steps.step == "execution"].set_index("document")
    # b0-0 arrives 10:00, executes 10:30-11:30; b0-1 arrives 11:00, is ready 11:30 and starts
    # 11:30 exactly when the executor frees.
    assert ex.loc["b0-0", "start_min"] == pytest.approx(hm(0, "10:30"))
    assert ex.loc["b0-1", "start_min"] == pytest.approx(hm(0, "11:30"))
    assert (steps.start_min >= steps.enqueued_min).all()


@pytest.fixture(scope="module")
def busy_run():
    """A small mixed run with everything switched on, documents and steps kept."""
    scenario = small_scenario(
        horizon_days=8, warmup_days=0,
        staff={"remote_share": 0.9},
        documents={"types": {"internal_order": {"secret_share": 0.3, "paper_share": 0.1}}},
    )
    return {p: run_replication(scenario, p, 0, keep_steps=True) for p in ("osdo", "esed", "mixed")}


@pytest.mark.parametrize("platform", ["osdo", "esed", "mixed"])
def test_documents_are_conserved(busy_run, platform):
    records = busy_run[platform]
    docs = records.documents
    assert docs.id.is_unique
    assert len(docs) == records.kpis["documents_created"]
    assert docs.completed_min.notna().sum() == records.kpis["documents_completed"]
    # Every document sent to another body comes from a completed parent, sent when it completed.
    by_id = docs.set_index("id")
    children = docs[docs.id.str.contains(">")]
    assert len(children) > 0
    for child in children.itertuples():
        parent = by_id.loc[child.id.rsplit(">", 1)[0]]
        assert parent.completed_min == pytest.approx(child.created_min)


@pytest.mark.parametrize("platform", ["osdo", "esed", "mixed"])
def test_times_are_never_negative_or_out_of_order(busy_run, platform):
    records = busy_run[platform]
    steps, docs = records.steps, records.documents
    assert (steps.enqueued_min >= 0).all()
    assert (steps.start_min >= steps.enqueued_min - 1e-9).all()
    assert (steps.end_min >= steps.start_min).all()
    done = docs.dropna(subset=["completed_min"])
    assert (done.completed_min >= done.created_min).all()
    delay_cols = [f"delay_{c}_min" for c in DELAY_COMPONENTS]
    assert (docs[delay_cols] >= -1e-9).all().all()
    # The components of a completed document add up to its cycle time.
    total = done[delay_cols].sum(axis=1)
    assert (total - (done.completed_min - done.created_min)).abs().max() < 1e-6


@pytest.mark.parametrize("platform", ["osdo", "esed", "mixed"])
def test_secret_and_paper_work_never_happens_remotely(busy_run, platform):
    records = busy_run[platform]
    docs = records.documents.set_index("id")
    steps = records.steps
    secret = steps[steps.document.map(docs.confidentiality) == "secret"]
    assert len(secret) > 50
    assert not secret.at_home.any()
    assert not secret.unofficial.any()
    # ...while ordinary work at 90% remote mostly does.
    assert steps.at_home.mean() > 0.5


def test_home_internet_is_irrelevant_when_nobody_is_remote():
    fibre = {"urban_fibre": 1.0, "urban_mobile": 0.0, "rural": 0.0, "poor_rural": 0.0}
    poor = {"urban_fibre": 0.0, "urban_mobile": 0.0, "rural": 0.0, "poor_rural": 1.0}
    runs = [
        run_replication(small_scenario(staff={"remote_share": 0.0, "home_internet": h}), p, 0)
        for h in (fibre, poor) for p in ("osdo", "esed")
    ]
    assert runs[0].kpis == runs[2].kpis
    assert runs[1].kpis == runs[3].kpis
    pd.testing.assert_frame_equal(runs[0].documents, runs[2].documents)


# Home connections each worse than the last in every respect.
LADDER = {
    "good": {"bandwidth_mbps": 100, "rtt_ms": 10, "mtbf_h": None},
    "fair": {"bandwidth_mbps": 10, "rtt_ms": 80, "mtbf_h": 48, "mttr_h": 1,
             "attempt_failure_prob": 0.05},
    "poor": {"bandwidth_mbps": 2, "rtt_ms": 150, "mtbf_h": 12, "mttr_h": 2,
             "attempt_failure_prob": 0.2},
    "bad": {"bandwidth_mbps": 0.3, "rtt_ms": 400, "mtbf_h": 4, "mttr_h": 4,
            "attempt_failure_prob": 0.6},
}


@pytest.mark.parametrize("seed", [1, 2])
def test_worse_home_internet_never_lowers_osdo_work_in_progress(seed):
    # Work in progress, not the mean cycle time of completed documents: with a short horizon a
    # slower system completes fewer documents, and the slowest drop out of that mean. Named,
    # first-come-first-served work: with least-loaded naming and deadline order, who gets which
    # document depends on everyone's backlog, and a slower connection can reorder work for the
    # better (seen: fair below good by 3-7% in three replications of seed 2).
    def mean_wip(home):
        # The cloud's UI as ESED's for everyone: each person's UI factor would add noise of a
        # size with the gap between good and fair lines (seen: fair 0.5% below good, seed 1).
        scenario = small_scenario(
            seed=seed, internet={"classes": LADDER}, absence=NO_ABSENCE,
            platform={"osdo": {"ui_time_factors": NEUTRAL_UI}},
            staff={"remote_share": 0.8, "resolution_levels": 1,
                   "assignment": {"clerk": "pooled", "head": "named_uniform",
                                  "executor": "named_uniform"},
                   "queue_discipline": {"clerk": "fifo", "head": "fifo", "executor": "fifo"},
                   "home_internet": {
                **{c: 0.0 for c in ("urban_fibre", "urban_mobile", "rural", "poor_rural")},
                **{c: float(c == home) for c in LADDER}}},
        )
        return np.mean([run_replication(scenario, "osdo", r).kpis["wip_mean"] for r in range(3)])

    means = [mean_wip(home) for home in LADDER]
    assert means == sorted(means), dict(zip(LADDER, means, strict=True))


def test_common_random_numbers_same_documents_on_both_platforms():
    scenario = small_scenario(horizon_days=5)
    osdo, esed = (run_replication(scenario, p, 0) for p in ("osdo", "esed"))
    # External arrivals (ids without '>') are identical: same times, types and confidentiality.
    cols = ["id", "type", "created_min", "confidentiality", "deadline_min"]

    def external(df):
        return df[~df.id.str.contains(">")][cols].sort_values("id").reset_index(drop=True)

    pd.testing.assert_frame_equal(external(osdo.documents), external(esed.documents))


def test_runs_are_reproducible_and_depend_on_the_seed():
    scenario = small_scenario()
    a = run_replication(scenario, "esed", 0)
    b = run_replication(scenario, "esed", 0)
    c = run_replication(scenario, "esed", 0, seed=scenario.seed + 1)
    d = run_replication(scenario, "esed", 1)
    assert a.kpis == b.kpis
    pd.testing.assert_frame_equal(a.documents, b.documents)
    assert a.kpis != c.kpis
    assert a.kpis != d.kpis


def test_seed_zero_is_a_seed():
    scenario = small_scenario(seed=0)
    assert run_replication(scenario, "osdo", 0).kpis == run_replication(scenario, "osdo", 0).kpis
    assert (run_replication(scenario, "osdo", 0).kpis
            != run_replication(scenario, "osdo", 0, seed=1).kpis)


def test_utilisation_is_read_after_the_warm_up_as_every_other_kpi():
    # The same run read over all of it and after a warm-up of half of it (the warm-up changes
    # what is measured, not what happens): from an empty office the first days hold less work,
    # so the share of working time busy after them is higher.
    whole = run_replication(small_scenario(horizon_days=12, warmup_days=0), "osdo", 0).kpis
    later = run_replication(small_scenario(horizon_days=12, warmup_days=6), "osdo", 0).kpis
    assert whole["documents_completed"] > later["documents_completed"]  # a different window
    # (0.464 against 0.444 on the seed; read over the whole run the two were equal.)
    assert later["staff_utilisation"] > 1.02 * whole["staff_utilisation"]
    # The two halves have equal working time: the whole is their mean, exactly as busy time
    # adds up (busy time counted before the warm-up in the second reading would break it).
    first = run_replication(small_scenario(horizon_days=6, warmup_days=0), "osdo", 0).kpis
    assert (first["staff_utilisation"] + later["staff_utilisation"]) / 2 == pytest.approx(
        whole["staff_utilisation"], rel=1e-9)


def test_the_delegation_threshold_reaches_every_role_pool_in_minutes(monkeypatch):
    from sim.model.staffing import RolePool

    seen: dict[str, set] = {}
    made = RolePool.__init__

    def spy(self, *args, **kwargs):
        made(self, *args, **kwargs)
        seen.setdefault(self.employees[0].role, set()).add(self.delegate_over)

    monkeypatch.setattr(RolePool, "__init__", spy)
    run_replication(small_scenario(horizon_days=2, warmup_days=1, staff={
        "delegate_over_hours": {"clerk": None, "head": 3.0, "executor": 40.0}}), "osdo", 0)
    assert seen == {"clerk": {None}, "head": {180.0}, "executor": {2400.0}}


def test_kpis_are_consistent():
    # Long enough for documents created after the warm-up to fall due (the on-time rate's base).
    records = run_replication(small_scenario(horizon_days=16), "osdo", 0)
    k = records.kpis
    assert 0 < k["documents_completed"] <= k["documents_created"]
    assert k["cycle_time_p50_h"] <= k["cycle_time_p95_h"]
    assert 0 <= k["on_time_rate"] <= 1
    assert 0 < k["staff_utilisation"] < 1
    shares = sum(k[f"delay_share_{c}"] for c in DELAY_COMPONENTS)
    assert shares == pytest.approx(1.0)
    # Only the incident KPIs are NaN without dated incidents (they say so).
    assert [n for n, v in k.items() if math.isnan(v)] == [
        "incident_recovery_days", "incident_excess_days", "incident_late_documents"]


def test_on_site_only_work_waits_for_an_office_day_above_the_eligible_share():
    # Everybody remote with one office day a week; all documents secret: every step waits for a
    # cleared employee on site, so 'office_day' waiting appears and nothing is done from home.
    scenario = small_scenario(
        horizon_days=20,
        staff={"remote_share": 1.0, "remote_eligible_share": 0.5},
        documents={"types": {k: {"secret_share": 1.0, "official_use_share": 0.0}
                             for k in ("citizen_appeal", "incoming_letter", "internal_order",
                                       "instruction_from_above", "outgoing_initiative",
                                       "reply_letter")}},
    )
    records = run_replication(scenario, "osdo", 0, keep_steps=True)
    assert not records.steps.at_home.any()
    assert records.kpis["delay_share_office_day"] > 0.05


@pytest.mark.parametrize(("distribution", "cv"), [("exponential", 1.0), ("lognormal", 0.8)])
def test_handling_times_follow_their_distribution(distribution, cv):
    # Execution alone is random (mean 60 min); every other step is fixed, and nothing scales
    # handling (office staff, advanced literacy, UI factor 1), so each document's handling
    # component minus the fixed steps is one draw of execution's distribution.
    scenario = tiny_deterministic(
        {"execution": {"distribution": distribution, "handling_cv": cv}}, horizon_days=120)
    records = run_replication(scenario, "osdo", 0, keep_steps=True)
    docs = records.documents.set_index("id")
    docs = docs[docs.completed_min.notna()]
    steps = records.steps[records.steps.document.isin(docs.index)]
    fixed = steps[steps.step != "execution"].step.map(STEP_MINUTES).groupby(steps.document).sum()
    draws = (docs.delay_handling_min - fixed.reindex(docs.index)).to_numpy()
    assert len(draws) > 400
    mean = STEP_MINUTES["execution"]
    if distribution == "exponential":
        expected = stats.expon(scale=mean)
    else:
        sigma2 = np.log1p(cv**2)
        expected = stats.lognorm(s=np.sqrt(sigma2), scale=mean * np.exp(-sigma2 / 2))
    assert expected.mean() == pytest.approx(mean)
    # The whole shape, not just the mean: Kolmogorov-Smirnov against the exact distribution.
    assert stats.kstest(draws, expected.cdf).pvalue > 0.01
    # A wrong shape is caught: the same draws are far from the other distribution.
    other = stats.expon(scale=mean) if distribution == "lognormal" else stats.lognorm(
        s=np.sqrt(np.log1p(0.3**2)), scale=mean * np.exp(-np.log1p(0.3**2) / 2))
    assert stats.kstest(draws, other.cdf).pvalue < 1e-6


def test_documents_share_one_tuple_per_group_named_and_per_amounts_reserved(monkeypatch):
    # A national run holds 190,000 open documents naming a few thousand distinct groups: equal
    # groups of executors and approvers, and equal reserved amounts, are one object each.
    from sim.model.routing import DocumentFlow

    named, reserved = [], []
    name, release = DocumentFlow._name_executors, DocumentFlow._release_draft

    def spy_name(self, doc, *draws):
        name(self, doc, *draws)
        named.extend((doc.drafters, doc.approvers))

    def spy_release(self, event):
        reserved.append(event.amounts)
        release(self, event)

    monkeypatch.setattr(DocumentFlow, "_name_executors", spy_name)
    monkeypatch.setattr(DocumentFlow, "_release_draft", spy_release)
    run_replication(small_scenario(staff={"draft_start_days_before_term": 3}), "osdo", 0)
    for made in (named, reserved):
        groups: dict[tuple, list[tuple]] = {}
        for group in made:
            groups.setdefault(group, []).append(group)
        repeated = [same for same in groups.values() if len(same) > 1 and same[0]]
        assert len(repeated) >= 3  # the small office names (and reserves) alike many times
        assert all(group is same[0] for same in repeated for group in same)


def test_employees_share_one_set_per_distinct_office_week_and_planned_days():
    from sim.model.population import sample_population
    from sim.model.streams import Streams

    scenario = small_scenario()
    people = [e for b in sample_population(scenario, Streams(scenario.seed, 0), 60)
              for r in b.staff.values() for e in r]
    for field in ("office_weekdays", "planned_from"):
        groups: dict[frozenset, list[frozenset]] = {}
        for e in people:
            groups.setdefault(getattr(e, field), []).append(getattr(e, field))
        # (The empty set is one object anyway: only sets with days in them show the sharing.)
        repeated = [same for days, same in groups.items() if days and len(same) > 1]
        assert repeated
        assert all(days is same[0] for same in repeated for days in same)
