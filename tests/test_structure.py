"""The structural choices as parameters: approvals, registration on delivery, office paths, and
the cloud UI factor drawn per person by the survey's preference groups."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_model import NEUTRAL_UI, NO_ABSENCE, NO_OTHER_TYPES, OFF, hm, tiny_deterministic

from sim.config import scenario_from_dict
from sim.config.schema import UI_GROUPS
from sim.model.population import sample_population
from sim.model.replication import run_replication
from sim.model.streams import Streams

ROUND_THE_CLOCK = {"official_calendar": None, "workdays": [0, 1, 2, 3, 4, 5, 6],
                   "work_periods": [["00:00", "24:00"]]}


def _steps(records, document):
    steps = records.steps
    return steps[steps.document == document].sort_values(["start_min", "step"])


# --------------------------------------------------------------------------- approvals


@pytest.mark.parametrize("system", ["osdo", "esed"])
@pytest.mark.parametrize("mode", ["parallel", "sequential"])
def test_approvals_take_the_slowest_approver_in_parallel_and_the_sum_in_turn(system, mode):
    # One clerk, three heads, six executors; two approvals of 15 minutes. The first document
    # is executed 11:30-12:30 and its two approvers, both idle, start at 12:30.
    scenario = tiny_deterministic(
        staff={"remote_share": 0.0, "roles": {"clerk": 0.1, "head": 0.3, "executor": 0.6},
               "literacy": {"advanced": 1.0, "insecure": 0.0}},
        workload={"documents_per_employee_per_day": 0.4, "arrivals": "deterministic"},
        bodies=[{"name": "B", "kind": "committee", "staff": 10}],
        documents={"types": {**NO_OTHER_TYPES, "internal_order": {
            "share": 1.0, "executors_max": 1, "approvals": 2, "secret_share": 0.0,
            "official_use_share": 0.0}},
            "steps": {k: {"handling_mean_min": v, "distribution": "deterministic",
                          "interactions": 0}
                      for k, v in {"register": 10, "resolution": 20, "execution": 60,
                                   "approval": 15, "signature": 5, "dispatch": 10}.items()}},
        platform={"osdo": {"mtbf_h": None, "ui_time_factors": NEUTRAL_UI, "approvals": mode},
                  "esed": {"mtbf_h": None, "approvals": mode}},
    )
    approvals = _steps(run_replication(scenario, system, 0, keep_steps=True), "b0-0")
    approvals = approvals[approvals.step == "approval"]
    assert len(approvals) == 2
    assert approvals.employee.nunique() == 2
    if mode == "parallel":  # both at once: the document waits for the slower (here equal) one
        assert list(approvals.start_min) == [pytest.approx(hm(0, "12:30"))] * 2
        assert list(approvals.end_min) == [pytest.approx(hm(0, "12:45"))] * 2
    else:  # one after the other: 15 + 15 minutes
        assert list(approvals.start_min) == [pytest.approx(hm(0, "12:30")),
                                             pytest.approx(hm(0, "12:45"))]
        assert approvals.end_min.max() == pytest.approx(hm(0, "13:00"))


def test_the_default_approvals_are_parallel_on_osdo_and_sequential_on_esed():
    scenario = scenario_from_dict({"name": "d"}, "d")
    assert scenario.platform.osdo.approvals == "parallel"
    assert scenario.platform.esed.approvals == "sequential"


# --------------------------------------------------------------------------- registration


def _two_bodies_sending(register: bool):
    """Two OSDO bodies; each document is answered to the other body as a reply letter."""
    return tiny_deterministic(
        horizon_days=3,
        bodies=[{"name": "A", "kind": "committee", "staff": 3},
                {"name": "B", "kind": "committee", "staff": 3}],
        workload={"documents_per_employee_per_day": 1 / 3, "arrivals": "deterministic"},
        platform={"osdo": {"mtbf_h": None, "ui_time_factors": NEUTRAL_UI,
                           "register_on_delivery": register},
                  "esed": {"mtbf_h": None}},
        documents={"types": {**NO_OTHER_TYPES, "internal_order": {"share": 0.0},
                             "outgoing_initiative": {
                                 "share": 1.0, "executors_max": 1, "approvals": 1,
                                 "secret_share": 0.0, "official_use_share": 0.0,
                                 "dispatch": "other_body", "reply_prob": 1.0,
                                 "arrives_as": "reply_letter"}},
                   "steps": {k: {"handling_mean_min": v, "distribution": "deterministic",
                                 "interactions": 0}
                             for k, v in {"register": 10, "referral": 5, "resolution": 20,
                                          "execution": 60, "approval": 15, "signature": 5,
                                          "dispatch": 10}.items()}},
    )


def test_registration_on_delivery_adds_exactly_one_register_step_inside_the_cloud():
    routes = {}
    for register in (True, False):
        steps = run_replication(_two_bodies_sending(register), "osdo", 0, keep_steps=True).steps
        received = steps[steps.document.str.contains(">")]
        assert received.document.nunique() >= 2
        routes[register] = {d: list(g.sort_values("start_min").step)
                            for d, g in received.groupby("document")}
    assert routes[True].keys() == routes[False].keys()
    for document, route in routes[False].items():
        assert "register" not in route
        assert routes[True][document] == ["register", *route]


def test_a_delivery_through_the_gateway_is_registered_whatever_the_cloud_setting():
    for register in (True, False):
        steps = run_replication(_two_bodies_sending(register), "esed", 0, keep_steps=True).steps
        received = steps[steps.document.str.contains(">")]
        firsts = received.sort_values("start_min").groupby("document").step.first()
        assert len(firsts) >= 2 and (firsts == "register").all()


# --------------------------------------------------------------------------- office paths


def _ministry_and_division(wan: dict):
    """A central ministry and a territorial division on ESED, everyone in the office, no
    drops but the WAN's, a 24-hour calendar (so that no shift of a step crosses a break)."""
    return tiny_deterministic(
        horizon_days=2, calendar=ROUND_THE_CLOCK,
        bodies=[{"name": "M", "kind": "central_ministry", "staff": 3},
                {"name": "T", "kind": "territorial_division", "staff": 3}],
        internet={"classes": {"office_lan": {"mtbf_h": None, "rtt_ms": 5,
                                             "bandwidth_mbps": 100}},
                  "access_gateway": OFF,
                  "government_wan": {"bandwidth_mbps": 1000, "attempt_failure_prob": 0.0,
                                     **wan}},
        platform={"osdo": {"mtbf_h": None, "ui_time_factors": NEUTRAL_UI},
                  "esed": {"mtbf_h": None}},
        documents={"types": {**NO_OTHER_TYPES, "internal_order": {
            "share": 1.0, "executors_max": 1, "approvals": 1, "secret_share": 0.0,
            "official_use_share": 0.0}},
            "steps": {k: {"handling_mean_min": 10, "distribution": "deterministic",
                          "interactions": 2, "round_trips": 4, "payload_mb": 0.5}
                      for k in ("register", "resolution", "execution", "approval",
                                "signature", "dispatch")}},
        absence=NO_ABSENCE,
    )


def test_the_wan_adds_its_round_trips_to_a_territorial_bodys_esed_work_only():
    runs = {rtt: run_replication(_ministry_and_division({"rtt_ms": rtt, "mtbf_h": None}),
                                 "esed", 0, keep_steps=True).steps for rtt in (0, 600)}
    span = {rtt: s.assign(span=s.end_min - s.start_min).set_index(["document", "step"]).span
            for rtt, s in runs.items()}
    body = runs[0].set_index(["document", "step"]).body
    common = span[0].index.intersection(span[600].index)
    assert len(common) > 20
    extra = (span[600] - span[0])[common]
    # Each step: 2 interactions x 4 round trips x 0.6 s more, in minutes, in the division only.
    assert extra[body[common] == 1].to_numpy() == pytest.approx(2 * 4 * 0.6 / 60, abs=1e-9)
    assert (extra[body[common] == 0] == 0).all()


def test_wan_drops_delay_a_territorial_bodys_esed_work_and_not_a_ministrys():
    docs = run_replication(_ministry_and_division({"rtt_ms": 20, "mtbf_h": 2, "mttr_h": 1}),
                           "esed", 0).documents
    assert docs[docs.body == 1].delay_connectivity_min.sum() > 0
    assert (docs[docs.body == 0].delay_connectivity_min == 0).all()
    # On OSDO neither body crosses the WAN (the cloud is reached over the internet): its drops
    # change nothing there (a failed attempt on the office's own path still may).
    osdo = run_replication(_ministry_and_division({"rtt_ms": 20, "mtbf_h": 2, "mttr_h": 1}),
                           "osdo", 0).documents
    steady = run_replication(_ministry_and_division({"rtt_ms": 20, "mtbf_h": None}),
                             "osdo", 0).documents
    assert osdo.delay_connectivity_min.tolist() == steady.delay_connectivity_min.tolist()
    assert osdo.completed_min.tolist() == steady.completed_min.tolist()


def test_an_office_path_must_start_at_the_lan_and_cross_each_segment_once():
    for bad in (["wan"], ["lan", "wan", "wan"], []):
        with pytest.raises(Exception, match="a path starts with lan"):
            scenario_from_dict({"name": "x", "platform": {"esed": {"office_paths": {
                "central_ministry": bad, "committee": ["lan"],
                "territorial_division": ["lan"], "local_executive": ["lan"],
                "district_akimat": ["lan"]}}}}, "x")


# --------------------------------------------------------------------------- the cloud UI


def _everyone(group: str, factor: float, insecure: float = 0.0, gap: float = 1.5):
    shares = {g: float(g == group) for g in UI_GROUPS}
    return tiny_deterministic(
        calendar=ROUND_THE_CLOCK,  # spans are handling alone: no break inside a step
        staff={"remote_share": 0.0, "roles": {"clerk": 0.34, "head": 0.33, "executor": 0.33},
               "literacy": {"advanced": 1.0 - insecure, "insecure": insecure}},
        human={"rework_prob": 0.0, "insecure_literacy_time_factor": 1.0},
        platform={"osdo": {"mtbf_h": None, "ui_preference_shares": shares,
                           "ui_time_factors": {**NEUTRAL_UI, group: factor},
                           "ui_insecure_gap_factor": gap},
                  "esed": {"mtbf_h": None}},
        step_changes={"execution": {"ui_share": 0.25}},
    )


def _first_spans(scenario, platform):
    steps = _steps(run_replication(scenario, platform, 0, keep_steps=True), "b0-0")
    return dict(zip(steps.step, steps.end_min - steps.start_min, strict=True))


def test_the_cloud_ui_factor_acts_on_each_steps_ui_share_by_group_and_literacy():
    detractors = _everyone("detractors", 2.0)
    esed = _first_spans(detractors, "esed")
    osdo = _first_spans(detractors, "osdo")
    assert esed["resolution"] == pytest.approx(20)
    assert osdo["resolution"] == pytest.approx(40)  # the whole step is UI work: x 2
    assert osdo["execution"] == pytest.approx(60 * (1 + 0.25 * 1.0))  # a quarter of it
    # An insecure detractor feels 1.5 times the gap: 1 + 1.5 x (2 - 1) = 2.5.
    insecure = _first_spans(_everyone("detractors", 2.0, insecure=1.0), "osdo")
    assert insecure["resolution"] == pytest.approx(50)
    assert insecure["execution"] == pytest.approx(60 * (1 + 0.25 * 1.5))
    # Advocates at 0.8: a fifth less on the cloud's UI work, insecure ones 1.5 x that.
    advocates = _first_spans(_everyone("advocates", 0.8, insecure=1.0), "osdo")
    assert advocates["resolution"] == pytest.approx(20 * (1 - 1.5 * 0.2))


def test_preference_groups_are_drawn_with_the_survey_shares():
    scenario = scenario_from_dict({"name": "many", "bodies": [
        {"name": "B", "kind": "district_akimat", "staff": 2000, "count": 10}]}, "many")
    people = [e for b in sample_population(scenario, Streams(7, 0))
              for role in b.staff.values() for e in role]
    n = len(people)
    counts = np.bincount([e.ui_group for e in people], minlength=len(UI_GROUPS))
    for group, count in zip(UI_GROUPS, counts, strict=True):
        share = scenario.platform.osdo.ui_preference_shares[group]
        se = math.sqrt(share * (1 - share) / n)
        assert abs(count / n - share) < 4 * se, (group, count / n, share)


def test_a_persons_group_is_the_same_whatever_the_architecture_and_the_ui_factors():
    def groups(**changes):
        data = {"name": "g", "platforms": ["osdo"], "bodies": [
            {"name": "A", "kind": "central_ministry", "staff": 300, "platform": "osdo"},
            {"name": "B", "kind": "district_akimat", "staff": 80, "platform": "esed"}]}
        data.update(changes)
        bodies = sample_population(scenario_from_dict(data, "g"), Streams(11, 2))
        return [(e.id, e.ui_group, e.insecure_literacy, e.mode)
                for b in bodies for role in b.staff.values() for e in role]

    base = groups()
    assert len({g for _, g, _, _ in base}) == 3
    assert groups(platforms=["esed"]) == base
    assert groups(platforms=["mixed"]) == base
    assert groups(platform={"osdo": {"ui_time_factors": {
        "advocates": 0.6, "detractors": 2.5, "undecided": 1.2}}}) == base
