"""Unavailability: a path merged with its system, and work stopped, paused or lost over it.

Hand-worked cases on the default calendar (working 09:00-13:00 and 14:30-18:30, Monday = day 0).
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from test_model import hm

from sim.config.schema import CalendarSpec
from sim.model.calendar import WorkCalendar
from sim.model.documents import DELAY_COMPONENTS, D
from sim.model.network import OutageTimeline
from sim.model.population import Employee
from sim.model.stoppages import Stoppages
from sim.model.unavailability import (
    AWAY,
    NEVER,
    PATH_DOWN,
    SYSTEM_DOWN,
    Interval,
    Reach,
)

CALENDAR = WorkCalendar(CalendarSpec())
UP = OutageTimeline.scheduled([])


def down(*intervals: tuple[float, float]) -> OutageTimeline:
    return OutageTimeline.scheduled(list(intervals))


# ------------------------------------------------------------------ the merged timeline
def test_overlapping_outages_of_path_and_system_merge_into_one_interval():
    # The LAN is down 100-200 and the system 150-300: out of reach 100-300, caused by the path
    # (its outage began first); a step at 120 waits 80 minutes for the path, then 100 for the
    # system.
    reach = Reach((down((100, 200)), UP), down((150, 300)))
    assert reach.next_interval(0, 1000, 0) == Interval(100, 300, PATH_DOWN)
    assert reach.until_up(120, 0) == (300, 80, 100)
    assert reach.next_interval(0, 100, 0) is None  # it begins at the work's end: no stop
    assert reach.next_interval(300, 1000, 0) is None
    assert reach.until_up(50, 0) == (50, 0.0, 0.0)


def test_the_system_wins_a_tie_and_a_later_link_still_merges():
    reach = Reach((down((100, 120)), down((110, 400))), down((100, 150)))
    assert reach.next_interval(0, 1000, 0) == Interval(100, 400, SYSTEM_DOWN)


def test_a_remembered_answer_never_says_up_while_a_part_is_down():
    # Asked first for the next outage from inside one (the LAN down 50-150), then whether all
    # is up a little later: still down until 150.
    reach = Reach((down((50, 150)),), down((400, 500)))
    assert reach.next_stop(100, 0) == (400, SYSTEM_DOWN)
    assert reach.until_up(120, 0) == (150, 30, 0)
    assert reach.until_up(200, 0) == (200, 0.0, 0.0)
    assert reach.until_up(110, 0) == (150, 40, 0)
    assert reach.next_stop(420, 0) == (NEVER, SYSTEM_DOWN)
    assert reach.until_up(420, 0) == (500, 0, 80)


@pytest.mark.parametrize("seed", range(5))
def test_the_merged_timeline_answers_as_its_parts_in_any_order_of_questions(seed):
    def parts():
        seeds = [seed * 10 + k for k in range(3)]
        return (OutageTimeline(seeds[0], 300.0, 40.0), OutageTimeline(seeds[1], 500.0, 90.0)), \
            OutageTimeline(seeds[2], 700.0, 60.0)

    nets, system = parts()
    reach = Reach(*parts())
    ask = random.Random(seed)
    now = 0.0
    edge = 0.0  # the last outage start or end answered: asked again exactly at it
    for _ in range(3000):
        now += ask.expovariate(1 / 5.0)
        t = now + ask.choice([0.0, ask.uniform(0, 200), max(edge - now, 0.0)])
        # A fresh Reach per question has no remembered window: the parts asked afresh (the
        # walk itself is pinned by the hand-worked cases above).
        stop = Reach(nets, system).next_stop(t, now)
        up = Reach(nets, system).until_up(t, now)
        if ask.random() < 0.5:
            assert reach.next_stop(t, now) == stop
            assert reach.until_up(t, now) == up
        else:
            assert reach.until_up(t, now) == up
            assert reach.next_stop(t, now) == stop
        edge = ask.choice([stop[0], up[0]]) if stop[0] != NEVER else up[0]


# ------------------------------------------------------------------ laid over the work
def _step(loss=0.0, spells=(), unofficial=False, ui_bound=True, draw=0.5, standin=None,
          planned=frozenset()):
    emp = Employee(id=0, body=0, role="executor", cleared=False, insecure_literacy=False,
                   equipment="adequate", home_internet="urban_fibre", mode="office",
                   office_weekdays=frozenset(range(5)), messenger_user=False, pace=1.0,
                   absences=tuple(spells), planned_from=frozenset(planned))
    step = SimpleNamespace(
        unofficial=unofficial, paper=False, spec=SimpleNamespace(ui_bound=ui_bound), emp=emp,
        components=[0.0] * len(DELAY_COMPONENTS), interruptions=0, lost_working=0.0,
        draws=(0.5, 0.5, 0.5, 0.5, 0.5, draw), doc=SimpleNamespace(unofficial=False))
    stops = Stoppages(CALENDAR, loss, messenger_reentry_share=0.5, standin_days=standin)
    return step, stops


def _lay(step, stops, reach, t, minutes):
    return stops.lay_over(step, reach, t, minutes, minutes, CALENDAR.add(t, minutes), t)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_timeline_keeps_only_its_seed_and_gives_the_outages_of_its_random(seed):
    # The timeline makes random.Random(seed) again at each outage and winds it on past the
    # draws it made: after hundreds of outages (a poor line over a long run) its answers must
    # be those of the outages one Random(seed) draws in turn (up time, then down time).
    rng, outages, until = random.Random(seed), [], 0.0
    while until < 500_000.0:
        start = until + rng.expovariate(1 / 360.0)
        until = start + rng.expovariate(1 / 180.0)
        outages.append((start, until))
    timeline = OutageTimeline(seed, 360.0, 180.0)
    asks = random.Random(seed + 100)
    t = now = 0.0
    for _ in range(2000):
        t += asks.expovariate(1 / 200.0)
        now = max(now, t - asks.random() * 50.0)  # the clock never goes back
        assert timeline.next_down(t, now) == next(a for a, _b in outages if a > t)
        assert timeline.up_at(t, now) == next((b for a, b in outages if a <= t < b), t)
    assert t > 300_000.0  # the walk went past five hundred outages


def test_winding_a_random_on_goes_past_several_chunks():
    # More draws than one getrandbits chunk (4,096): every chunk must be taken.
    from sim.model.network import _wound

    drawn = random.Random(7)
    for _ in range(10_000):
        drawn.random()
    assert _wound(7, 10_000).random() == drawn.random()


def test_an_outage_during_work_pauses_it_for_its_working_time():
    # An hour from Monday 10:00; the system is down 10:20-10:50: the work ends at 11:30 and
    # the 30 minutes are the outage's, working time lost at the desk.
    step, stops = _step(loss=0.0)
    reach = Reach((UP,), down((hm(0, "10:20"), hm(0, "10:50"))))
    end, extra, busy, handover = _lay(step, stops, reach, hm(0, "10:00"), 60.0)
    assert (end, extra, busy, handover) == (hm(0, "11:30"), 30.0, 30.0, None)
    assert step.components[D["platform_outage"]] == 30.0
    assert step.components[D["connectivity"]] == 0.0
    assert (step.interruptions, step.lost_working) == (1, 30.0)


def test_an_outage_that_loses_work_redoes_the_unsaved_part():
    # As above, but the 20 minutes done before the outage are lost and done again.
    step, stops = _step(loss=1.0)
    reach = Reach((UP,), down((hm(0, "10:20"), hm(0, "10:50"))))
    end, extra, _busy, _ = _lay(step, stops, reach, hm(0, "10:00"), 60.0)
    assert (end, extra) == (hm(0, "11:50"), 50.0)
    assert step.components[D["platform_outage"]] == 50.0
    assert step.lost_working == 50.0


def test_the_cause_that_began_first_takes_the_merged_interval():
    # The path is down 10:20-10:40 and the system 10:30-10:50: one stop of 30 minutes, all of
    # it connectivity.
    step, stops = _step()
    reach = Reach((down((hm(0, "10:20"), hm(0, "10:40"))),),
                  down((hm(0, "10:30"), hm(0, "10:50"))))
    end, extra, _, _ = _lay(step, stops, reach, hm(0, "10:00"), 60.0)
    assert (end, extra) == (hm(0, "11:30"), 30.0)
    assert step.components[D["connectivity"]] == 30.0
    assert step.components[D["platform_outage"]] == 0.0
    assert step.interruptions == 1


def test_an_outage_over_the_night_stops_nothing_and_loses_nothing():
    step, stops = _step(loss=1.0)
    reach = Reach((UP,), down((hm(0, "19:00"), hm(1, "08:00"))))
    end, extra, _, _ = _lay(step, stops, reach, hm(0, "18:00"), 60.0)
    assert (end, extra) == (hm(1, "09:30"), 0.0)
    assert (step.interruptions, step.lost_working) == (0, 0.0)


def test_an_outage_from_the_night_into_the_morning_costs_its_working_time_and_loses_nothing():
    # Down from Monday 19:00 to Tuesday 09:30, after the day's work was saved at 18:30: the 30
    # working minutes of Tuesday are the outage's, but nothing done on Monday is redone, even
    # with every interruption during work losing its unsaved part (that would end at 10:30).
    step, stops = _step(loss=1.0)
    reach = Reach((UP,), down((hm(0, "19:00"), hm(1, "09:30"))))
    end, extra, busy, _ = _lay(step, stops, reach, hm(0, "18:00"), 60.0)
    assert (end, extra, busy) == (hm(1, "10:00"), 30.0, 30.0)
    assert step.components[D["platform_outage"]] == 30.0
    assert (step.interruptions, step.lost_working) == (1, 30.0)


def test_a_spell_away_pauses_the_work_and_loses_none_of_it():
    # An hour from Monday 18:00, its person away all Tuesday: 30 minutes on Monday, a pause of
    # Tuesday's 480 working minutes (absence, not working time lost to the network), and the
    # rest on Wednesday; even with every interruption losing work.
    step, stops = _step(loss=1.0, spells=[(1, 2)])
    end, extra, busy, handover = _lay(step, stops, Reach((UP,), UP), hm(0, "18:00"), 60.0)
    assert (end, extra, busy, handover) == (hm(2, "09:30"), 480.0, 0.0, None)
    assert step.components[D["absence"]] == 480.0
    assert (step.interruptions, step.lost_working) == (0, 0.0)
    assert AWAY.component == D["absence"] and not AWAY.loses_work


def test_a_spell_away_with_a_standin_stops_the_work_and_hands_it_over():
    # Leave (known in advance) on Tuesday: the work stops at its start and passes on at once.
    step, stops = _step(spells=[(1, 3)], standin=1, planned=frozenset({1}))
    end, extra, _, handover = _lay(step, stops, Reach((UP,), UP), hm(0, "18:00"), 60.0)
    # Leave is known in advance: it stops where the spell begins and passes on at Tuesday's
    # first working minute; the end returned is the whole work's (the timer shrinks it).
    assert handover == (hm(1, "00:00"), hm(1, "09:00"))
    assert (end, extra) == (hm(1, "09:30"), 0.0)
    assert step.components[D["absence"]] == 0.0


def test_a_sick_person_back_before_the_standin_is_due_carries_on_the_work_themselves():
    # Sick on Tuesday only, a stand-in due after 2 working days (Thursday): the work stops at
    # the spell and carries on when its person is back on Wednesday morning, not Thursday.
    step, stops = _step(spells=[(1, 2)], standin=2)
    _end, _extra, _, handover = _lay(step, stops, Reach((UP,), UP), hm(0, "18:00"), 60.0)
    assert handover == (hm(1, "00:00"), hm(2, "09:00"))


def test_an_outage_and_a_spell_away_are_laid_over_the_work_in_turn():
    # The system is down 18:10-18:20 on Monday, the person away on Tuesday: the outage's 10
    # minutes, then Tuesday's pause, both charged.
    step, stops = _step(spells=[(1, 2)])
    reach = Reach((UP,), down((hm(0, "18:10"), hm(0, "18:20"))))
    end, extra, busy, _ = _lay(step, stops, reach, hm(0, "18:00"), 60.0)
    assert end == hm(2, "09:40")
    assert (extra, busy) == (490.0, 10.0)
    assert step.components[D["platform_outage"]] == 10.0
    assert step.components[D["absence"]] == 480.0


def test_messenger_work_waits_at_its_end_and_is_entered_again():
    # Drafted outside 10:00-11:00 while the home line is down 09:00-11:30: entered from 11:30,
    # re-entry half the work's minutes, charged to the path that kept the system out of reach.
    step, stops = _step(unofficial=True)
    reach = Reach((down((hm(0, "09:00"), hm(0, "11:30"))),), UP)
    end, extra, busy, _ = _lay(step, stops, reach, hm(0, "10:00"), 60.0)
    assert end == hm(0, "12:00")
    assert (extra, busy) == (30.0 + 30.0, 30.0)
    assert step.components[D["connectivity"]] == 60.0
    assert step.lost_working == 60.0
