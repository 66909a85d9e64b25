"""Deadlines that bind: executors' share of time for correspondence, drafts put off until the
last days of the term, and the head's extension of a late draft's term.

Exact traces of the tiny deterministic scenario (one clerk, one head, one executor, fixed
times; see test_model.py): four internal orders arrive on Monday (day 0) at 11:00, 13:00, 16:30
and 18:30, each with a term of 3 working days, i.e. until Thursday (day 3) 18:30. Registration
10 min, resolution 20, drafting 60 hands-on minutes, approval 15, signature 5.
"""

import pytest
from test_model import hm, tiny_deterministic

from sim.config import scenario_from_dict
from sim.config.errors import InputError
from sim.model.replication import run_replication

THURSDAY_END = hm(3, "18:30")


def scenario(executor_share, lead, extended=None, notice=3, horizon_days=6):
    base = tiny_deterministic(horizon_days=horizon_days).model_dump(mode="python")
    base["staff"]["correspondence_share"]["executor"] = executor_share
    base["staff"]["draft_start_days_before_term"] = lead
    order = base["documents"]["types"]["internal_order"]
    order.update(deadline_working_days=3, extended_deadline_working_days=extended)
    base["documents"]["extension_notice_working_days"] = notice
    return scenario_from_dict(base, "tiny")


def documents(s, platform="osdo"):
    return run_replication(s, platform, 0).documents.set_index("id")


@pytest.mark.parametrize("platform", ["osdo", "esed"])
def test_deferred_draft_at_half_share_completes_exactly(platform):
    # Resolved Monday 11:30; the last two working days of the term start Wednesday 09:00. The
    # executor gives half their time to correspondence: 60 hands-on minutes span 120, 09:00-11:00;
    # approval 11:00-11:15, signature 11:15-11:20 (before the resolution of Wednesday's 11:00
    # arrival: an earlier deadline first).
    d = documents(scenario(0.5, 2), platform).loc["b0-0"]
    assert d.deadline_min == pytest.approx(THURSDAY_END)
    assert d.completed_min == pytest.approx(hm(2, "11:20"))
    assert d.on_time
    assert d.delay_deferred_min == pytest.approx(hm(2, "09:00") - hm(0, "11:30"))
    assert d.delay_other_duties_min == pytest.approx(60)
    assert d.delay_handling_min == pytest.approx(110)
    assert d.delay_queue_min == pytest.approx(0)
    assert d.delay_off_hours_min == pytest.approx(0)


def test_a_quarter_share_and_one_day_make_the_second_draft_late():
    # All four drafts start Thursday 09:00, each spanning 240 working minutes, earliest arrival
    # first: b0-0 09:00-13:00 (approved 14:30, signed 14:50: on time); b0-1 14:30-18:30, approved
    # Friday 09:00-09:15 and signed 09:15-09:20, after the term.
    docs = documents(scenario(0.25, 1))
    assert docs.loc["b0-0", "completed_min"] == pytest.approx(hm(3, "14:50"))
    assert docs.loc["b0-0", "on_time"]
    assert docs.loc["b0-1", "completed_min"] == pytest.approx(hm(4, "09:20"))
    assert not docs.loc["b0-1", "on_time"]
    assert docs.loc["b0-1", "deadline_min"] == pytest.approx(THURSDAY_END)


def test_drafts_start_at_once_without_the_rule():
    # With no scheduling rule and the whole day for correspondence: the exact trace of
    # test_model.py (drafting 11:30-12:30, done 12:50 on Monday).
    d = documents(scenario(1.0, None)).loc["b0-0"]
    assert d.completed_min == pytest.approx(hm(0, "12:50"))
    assert d.delay_deferred_min == 0 and d.delay_other_duties_min == 0


def test_the_head_extends_the_term_of_drafts_not_ready_at_the_notice():
    # Drafts from Wednesday 09:00, 240 minutes each: b0-0 and b0-1 are done by Wednesday 18:30;
    # b0-2 and b0-3 are still being drafted when the last working day of the term starts
    # (Thursday 09:00), so their term becomes 5 working days from Monday: the next Monday
    # (day 7) 18:30.
    docs = documents(scenario(0.25, 2, extended=5, notice=1))
    assert docs.loc["b0-0", "deadline_min"] == pytest.approx(THURSDAY_END)
    assert docs.loc["b0-1", "deadline_min"] == pytest.approx(THURSDAY_END)
    assert docs.loc["b0-1", "completed_min"] == pytest.approx(hm(3, "09:20"))
    assert docs.loc["b0-2", "deadline_min"] == pytest.approx(hm(7, "18:30"))
    assert docs.loc["b0-3", "deadline_min"] == pytest.approx(hm(7, "18:30"))
    assert docs.loc["b0-2", "on_time"]


def test_without_an_extension_the_same_drafts_keep_their_term():
    docs = documents(scenario(0.25, 2))
    assert (docs.loc[["b0-0", "b0-1", "b0-2", "b0-3"], "deadline_min"] == THURSDAY_END).all()


def test_extended_share_and_late_share_over_six_working_days():
    # The run ends on Tuesday (day 8) 00:00. Due by then: Monday's four documents (b0-2 and
    # b0-3 extended to Monday 18:30, all done on time). Tuesday's drafts start Thursday behind
    # Monday's and are not done on Friday 09:00: extended to Tuesday 18:30; Wednesday's (term
    # Monday) are not started on Monday 09:00: extended to Wednesday. Neither is due.
    kpis = run_replication(scenario(0.25, 2, extended=5, notice=1, horizon_days=6),
                           "osdo", 0).kpis
    assert kpis["extended_share"] == pytest.approx(2 / 4)
    assert kpis["late_share"] == pytest.approx(0.0)
    assert kpis["on_time_rate"] == pytest.approx(1.0)


@pytest.mark.parametrize("field, value, fragment", [
    ("extended_deadline_working_days", 3, "must be more than deadline_working_days"),
    ("extended_deadline_working_days", 2, "must be more than deadline_working_days"),
])
def test_an_extension_must_lengthen_the_term(field, value, fragment):
    base = tiny_deterministic().model_dump(mode="python")
    base["documents"]["types"]["internal_order"].update(deadline_working_days=3,
                                                        **{field: value})
    with pytest.raises(InputError, match=fragment):
        scenario_from_dict(base, "tiny")


def test_a_put_off_draft_holds_its_executors_load_until_its_step_takes_it_over(monkeypatch):
    # A draft put off reserves its expected 60 minutes in the executor's load (a head naming
    # executors sees that pile); at its release the reservation passes to the draft's own step,
    # which counts until done: the load does not move at a release.
    from sim.model.routing import DocumentFlow

    loads = []
    release = DocumentFlow._release_draft

    def spy(self, event):
        load = self._stations[event.value.body]["execution"][1].load
        before = dict(load)
        release(self, event)
        loads.append((before, dict(load)))

    monkeypatch.setattr(DocumentFlow, "_release_draft", spy)
    # Everyone insecure with the system: a draft reserves 60 minutes at the executor's pace.
    data = scenario(0.5, 2).model_dump(mode="python")
    data["staff"]["literacy"] = {"advanced": 0.0, "insecure": 1.0}
    slow = scenario_from_dict(data, "tiny")
    pace = slow.human.insecure_literacy_time_factor
    assert pace != 1.0
    documents(slow)
    assert len(loads) >= 8  # Monday's and Tuesday's drafts, at least
    # At the first release (Wednesday 09:00) seven drafts are put off: Monday's four and
    # Tuesday's first three (each day's 18:30 arrival is registered the next morning).
    assert sum(loads[0][0].values()) == pytest.approx(7 * 60 * pace)
    assert all(before == after for before, after in loads)
