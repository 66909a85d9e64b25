"""A role pool's bookkeeping by hand: stand-ins for people away, their named load, tie rotation.

The pool runs on a plain Monday-to-Friday calendar (09:00-13:00, 14:30-18:30: 480 working
minutes a day) with a timer that gives every step exactly its handling minutes of working
time, so every start, end and load below is worked out by hand.
"""

from __future__ import annotations

import pytest
import simpy
from test_model import hm

from sim.config.schema import CalendarSpec, DocumentType, StepSpec
from sim.model.calendar import WorkCalendar
from sim.model.documents import Document
from sim.model.population import Employee
from sim.model.staffing import RolePool
from sim.model.streams import DocumentStream
from sim.model.work import Step

WEEK = CalendarSpec(start_date="2023-01-02", official_calendar=None)  # day 0 is a Monday


class _FixedTimer:
    """Every step takes its handling minutes of working time from when it is taken up."""

    def __init__(self, env: simpy.Environment, calendar: WorkCalendar) -> None:
        self.env, self.calendar = env, calendar
        self.log: list[tuple[str, int, float, float]] = []  # (document, employee, start, end)

    def start(self, step: Step) -> None:
        start = self.calendar.next_working(self.env.now)
        end = self.calendar.add(start, step.spec.handling_mean_min)
        step.busy_minutes = step.spec.handling_mean_min
        self.log.append((step.doc.id, step.emp.id, start, end))
        self.env.timeout(end - self.env.now, step).callbacks.append(step.on_end)


def _person(i: int, absences=(), planned=(), cleared=False, office=range(5),
            pace=1.0) -> Employee:
    return Employee(id=i, body=0, role="executor", cleared=cleared, insecure_literacy=False,
                    equipment="adequate", home_internet="urban_fibre", mode="office",
                    office_weekdays=frozenset(office), messenger_user=False, pace=pace,
                    absences=tuple(absences), planned_from=frozenset(planned))


def _step(doc_id: str, minutes: float, enqueued: float, on_site_only: bool = False) -> Step:
    spec = DocumentType(share=1.0, deadline_working_days=10)
    doc = Document(doc_id, 0, "t", spec, enqueued, 1e9, DocumentStream(0), None, True)
    doc.confidentiality, doc.on_site_only = "open", on_site_only
    return Step(doc, "execution", StepSpec(role="executor", handling_mean_min=minutes),
                enqueued, lambda _s: None)


def _pool(people, standin_after, peers=None, delegate_over_hours=None):
    env = simpy.Environment()
    calendar = WorkCalendar(WEEK)
    timer = _FixedTimer(env, calendar)
    pool = RolePool(env, calendar, timer, people, "fifo", standin_after, delegate_over_hours)
    if peers:
        pool.peers.update({e.id: group for group in peers for e in group})
    return env, pool, timer


def _at(env: simpy.Environment, t: float, action) -> None:
    def run(_event):
        action()
    env.timeout(t - env.now).callbacks.append(run)


def _sick_monday_to_friday():
    """A (0) is off sick all week; B (1) is A's peer, C (2) is in another group.

    B is busy with 2000 minutes of named work from Monday 09:00 (till Friday 10:20: Monday to
    Thursday are 1920 minutes, then 80 more), C has nothing to do: only the group rule can make
    B, not C, A's stand-in.
    """
    a, b, c = _person(0, [(0, 5)]), _person(1), _person(2)
    env, pool, timer = _pool([a, b, c], standin_after=2, peers=[[a, b], [c]])
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("long", 2000, hm(0, "09:00")), b))
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("sick", 60, hm(0, "10:00")), a))
    return env, pool, timer


def test_sick_work_waits_standin_after_days_then_goes_to_a_peer_on_the_third_day():
    env, pool, timer = _sick_monday_to_friday()
    env.run(until=hm(1, "18:00"))  # Tuesday evening: two working days of sickness so far
    assert pool.load[0] == 60  # still A's: sickness is not handed over at once
    assert [e for e in timer.log if e[0] == "sick"] == []
    env.run(until=hm(2, "09:01"))  # Wednesday morning, the third working day
    assert pool.load[0] == 0  # released from the absent person on hand-over
    assert pool.load[1] == 2000 + 60  # taken by the peer, behind their own named work
    assert pool.load[2] == 0  # not the idle colleague of another group
    env.run(until=hm(5, "00:00"))
    assert [e for e in timer.log if e[0] == "sick"] == [
        ("sick", 1, hm(4, "10:20"), hm(4, "11:20"))]
    assert pool.load == {0: 0, 1: 0, 2: 0}


def test_the_wait_while_the_named_person_is_away_is_counted_until_hand_over():
    env, pool, _timer = _sick_monday_to_friday()
    steps: list[Step] = []
    _at(env, hm(0, "10:00") + 1, lambda: steps.extend(s for _key, s in pool.personal[0]))
    env.run(until=hm(2, "09:01"))
    # Named at Monday 10:00 to someone away since Monday 00:00; handed over Wednesday 09:00.
    (step,) = steps
    assert step.absence_wait == hm(2, "09:00") - hm(0, "10:00")
    assert step.waiting_since == hm(2, "09:00")


def test_work_named_to_someone_away_long_enough_goes_to_the_standin_at_once():
    env, pool, timer = _sick_monday_to_friday()
    # Named on Thursday, the fourth working day of the sickness: no wait, straight to B.
    a = pool.employees[0]
    _at(env, hm(3, "10:00"), lambda: pool.submit(_step("late", 30, hm(3, "10:00")), a))
    env.run(until=hm(3, "10:01"))
    assert pool.load[0] == 0
    assert pool.load[1] == 2000 + 60 + 30
    env.run(until=hm(5, "00:00"))
    # B: the long work till Friday 10:20, then the sick step (named first), then this one.
    assert [e for e in timer.log if e[0] in ("sick", "late")] == [
        ("sick", 1, hm(4, "10:20"), hm(4, "11:20")), ("late", 1, hm(4, "11:20"), hm(4, "11:50"))]


def test_leave_known_in_advance_is_handed_over_at_once():
    # A is on leave Tuesday to Thursday, known in advance: work named to A on Tuesday goes to
    # the peer B the same minute, and work waiting for A on Monday evening is handed over on
    # Tuesday morning, not after standin_after days.
    a, b = _person(0, [(1, 4)], planned=[1]), _person(1)
    env, pool, timer = _pool([a, b], standin_after=2, peers=[[a, b]])
    _at(env, hm(0, "18:00"), lambda: pool.submit(_step("evening", 30, hm(0, "18:00")), a))
    _at(env, hm(0, "18:10"), lambda: pool.submit(_step("queued", 60, hm(0, "18:10")), a))
    _at(env, hm(1, "11:00"), lambda: pool.submit(_step("tuesday", 30, hm(1, "11:00")), a))
    env.run(until=hm(5, "00:00"))
    assert sorted(timer.log) == sorted([
        ("evening", 0, hm(0, "18:00"), hm(0, "18:30")),  # A's: A is in on Monday
        ("queued", 1, hm(1, "09:00"), hm(1, "10:00")),
        ("tuesday", 1, hm(1, "11:00"), hm(1, "11:30")),
    ])
    assert pool.load == {0: 0, 1: 0}


def test_without_standins_named_work_waits_for_its_person():
    a, b = _person(0, [(0, 2)]), _person(1)  # A is away Monday and Tuesday
    env, pool, timer = _pool([a, b], standin_after=None, peers=[[a, b]])
    step = _step("x", 60, hm(0, "10:00"))
    _at(env, hm(0, "10:00"), lambda: pool.submit(step, a))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("x", 0, hm(2, "09:00"), hm(2, "10:00"))]  # A's return, Wednesday
    # Waiting for A while A was away: Monday 10:00 to Wednesday 09:00, A's first working
    # minute back.
    assert step.absence_wait == hm(2, "09:00") - hm(0, "10:00")


def test_a_standin_comes_from_the_whole_pool_when_no_peer_is_present():
    # A and their only peer B are both off sick; C of another group stands in.
    a, b, c = _person(0, [(0, 5)]), _person(1, [(0, 5)]), _person(2)
    env, pool, timer = _pool([a, b, c], standin_after=0, peers=[[a, b], [c]])
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("x", 60, hm(0, "10:00")), a))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("x", 2, hm(0, "10:00"), hm(0, "11:00"))]


def test_with_nobody_present_the_work_waits_for_its_person():
    a, b = _person(0, [(0, 2)]), _person(1, [(0, 3)])
    env, pool, timer = _pool([a, b], standin_after=0, peers=[[a, b]])
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("x", 60, hm(0, "10:00")), a))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("x", 0, hm(2, "09:00"), hm(2, "10:00"))]


def test_the_standin_is_the_least_loaded_peer():
    a, b, c, d = _person(0, [(0, 5)]), _person(1), _person(2), _person(3)
    env, pool, timer = _pool([a, b, c, d], standin_after=0, peers=[[a, b, c], [d]])
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("b-work", 300, hm(0, "09:00")), b))
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("c-work", 100, hm(0, "09:00")), c))
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("x", 60, hm(0, "10:00")), a))
    env.run(until=hm(5, "00:00"))
    # At 10:00 B has 300 named minutes, C 100 (D, idle, is of another group): C, after c-work.
    assert ("x", 2, hm(0, "10:40"), hm(0, "11:40")) in timer.log


@pytest.mark.parametrize(("u", "order"), [
    (0.0, [1, 2, 3, 0]),   # from person 0, who is away: the present ones first, 0 last
    (0.3, [1, 2, 3, 0]),   # from person 1 (int(0.3 * 4))
    (0.5, [2, 3, 1, 0]),   # from person 2
    (0.8, [3, 1, 2, 0]),   # from person 3
])
def test_ties_go_round_those_present_from_a_random_one(u, order):
    people = [_person(0, [(0, 5)]), _person(1), _person(2), _person(3)]
    _env, pool, _timer = _pool(people, standin_after=None)
    assert [e.id for e in pool.least_loaded(people, 4, u)] == order
    assert [e.id for e in pool.least_loaded(people, 1, u)] == order[:1]


@pytest.mark.parametrize(("u", "order"), [(0.0, [0, 1, 2, 3]), (0.3, [1, 2, 3, 0]),
                                          (0.5, [2, 3, 0, 1]), (0.8, [3, 0, 1, 2])])
def test_ties_go_round_everyone_when_nobody_is_ever_away(u, order):
    people = [_person(i) for i in range(4)]
    _env, pool, _timer = _pool(people, standin_after=None)
    assert [e.id for e in pool.least_loaded(people, 4, u)] == order


def test_load_ranks_before_the_rotation_and_absence_before_load():
    people = [_person(0, [(0, 5)]), _person(1), _person(2), _person(3)]
    _env, pool, _timer = _pool(people, standin_after=None)
    pool.load.update({0: 0.0, 1: 50.0, 2: 10.0, 3: 10.0})
    assert [e.id for e in pool.least_loaded(people, 4, 0.8)] == [3, 2, 1, 0]


def test_present_minutes_leave_out_the_days_away():
    # A is away Tuesday to Thursday: of Monday-Friday's 5 x 480 working minutes, 2 x 480 left.
    a, b = _person(0, [(1, 4)]), _person(1)
    _env, pool, _timer = _pool([a, b], standin_after=None)
    assert pool.present_minutes(hm(5, "00:00")) == {0: 2 * 480, 1: 5 * 480}
    # Until Wednesday noon: Monday, and nothing of Tuesday or Wednesday morning.
    assert pool.present_minutes(hm(2, "12:00")) == {0: 480, 1: 480 + 480 + 180}


def test_busy_time_is_booked_to_whoever_did_the_work():
    env, pool, _timer = _sick_monday_to_friday()
    env.run(until=hm(5, "00:00"))
    assert pool.person_busy == {0: 0, 1: 2000 + 60, 2: 0}
    assert pool.busy_minutes == 2060


def test_on_site_only_work_waits_for_a_cleared_employee_in_the_office():
    # A (cleared) is in the office Monday, Wednesday and Friday; B is not cleared. A secret
    # step on Tuesday 10:00 waits (B may not take it) and A takes it on Wednesday at 09:00.
    a, b = _person(0, cleared=True, office=[0, 2, 4]), _person(1)
    env, pool, timer = _pool([a, b], standin_after=None)
    assert pool.candidates(True) == [a]
    assert pool.candidates(False) == [a, b]
    _at(env, hm(1, "10:00"), lambda: pool.submit(_step("secret", 60, hm(1, "10:00"), True)))
    _at(env, hm(1, "10:05"), lambda: pool.submit(_step("open", 60, hm(1, "10:05"))))
    env.run(until=hm(5, "00:00"))
    assert sorted(timer.log) == [("open", 0, hm(1, "10:05"), hm(1, "11:05")),
                                 ("secret", 0, hm(2, "09:00"), hm(2, "10:00"))]
    assert pool._on_site_waiting == 0  # the count that makes the pool wake itself each day


def test_named_on_site_only_work_waits_for_its_persons_office_day():
    a, b = _person(0, cleared=True, office=[0, 3]), _person(1, cleared=True)
    env, pool, timer = _pool([a, b], standin_after=None)
    _at(env, hm(1, "10:00"), lambda: pool.submit(_step("secret", 60, hm(1, "10:00"), True), a))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("secret", 0, hm(3, "09:00"), hm(3, "10:00"))]  # Thursday
    assert pool.load == {0: 0, 1: 0}
    assert pool._on_site_waiting == 0


def test_without_cleared_staff_whoever_is_in_the_office_takes_on_site_only_work():
    a, b = _person(0, office=[0, 2]), _person(1, office=[1])
    env, pool, timer = _pool([a, b], standin_after=None)
    assert pool.candidates(True) == [a, b]
    _at(env, hm(1, "10:00"), lambda: pool.submit(_step("paper", 60, hm(1, "10:00"), True)))
    _at(env, hm(3, "10:00"), lambda: pool.submit(_step("late", 60, hm(3, "10:00"), True)))
    env.run(until=hm(8, "00:00"))
    # Tuesday: B is in. Thursday: nobody is; Friday neither; Monday A is back.
    assert timer.log == [("paper", 1, hm(1, "10:00"), hm(1, "11:00")),
                         ("late", 0, hm(7, "09:00"), hm(7, "10:00"))]
    assert pool._on_site_waiting == 0


def test_sickness_from_midweek_is_handed_over_after_its_own_first_days():
    # A falls sick on Wednesday (day 2) until Friday; with standin_after = 1 work named to A on
    # Wednesday waits that day and goes to the peer B on Thursday at 09:00.
    a, b = _person(0, [(2, 5)]), _person(1)
    env, pool, timer = _pool([a, b], standin_after=1, peers=[[a, b]])
    _at(env, hm(2, "10:00"), lambda: pool.submit(_step("x", 60, hm(2, "10:00")), a))
    env.run(until=hm(2, "18:00"))
    assert pool.load == {0: 60, 1: 0}
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("x", 1, hm(3, "09:00"), hm(3, "10:00"))]


def test_the_wait_before_someone_falls_sick_is_not_counted_as_absence():
    # A works 09:00-18:30 on Monday; work named to A at 10:00 queues behind it. A is sick from
    # Tuesday; with standin_after = 1 the work goes to B on Wednesday 09:00. Only Tuesday 09:00
    # (the first working minute A missed) to Wednesday 09:00 was waiting for someone away (24
    # hours); Monday's wait, and Monday night, were a queue.
    a, b = _person(0, [(1, 5)]), _person(1)
    env, pool, timer = _pool([a, b], standin_after=1, peers=[[a, b]])
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("day", 480, hm(0, "09:00")), a))
    steps: list[Step] = []

    def name_second():
        step = _step("queued", 60, hm(0, "10:00"))
        steps.append(step)
        pool.submit(step, a)

    _at(env, hm(0, "10:00"), name_second)
    env.run(until=hm(5, "00:00"))
    assert ("queued", 1, hm(2, "09:00"), hm(2, "10:00")) in timer.log
    assert steps[0].absence_wait == hm(2, "09:00") - hm(1, "09:00")


def test_named_on_site_only_work_of_someone_sick_goes_to_a_cleared_peer():
    # A and B are cleared and in the office every weekday; A is sick all week. A secret step
    # named to A on Monday is handed to B on Tuesday (standin_after = 1); then nothing is
    # counted as waiting (the count that makes the pool wake itself every morning).
    a, b = _person(0, [(0, 5)], cleared=True), _person(1, cleared=True)
    env, pool, timer = _pool([a, b], standin_after=1, peers=[[a, b]])
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("secret", 60, hm(0, "10:00"), True), a))
    env.run(until=hm(14, "00:00"))
    assert timer.log == [("secret", 1, hm(1, "09:00"), hm(1, "10:00"))]
    assert pool.load == {0: 0, 1: 0}
    assert pool._on_site_waiting == 0


def test_away_time_of_a_wait_sums_every_spell_within_it():
    from sim.model.staffing import _away_between

    # Away Tuesday, Thursday and next Tuesday: each spell keeps the person from work from the
    # first working minute missed (09:00) to the first one back (the next day's 09:00).
    emp = _person(0, [(1, 2), (3, 4), (8, 9)])
    calendar = WorkCalendar(WEEK)
    assert _away_between(emp, hm(0, "10:00"), hm(4, "12:00"), calendar) == 2 * 1440
    # Tuesday 12:00 to Wednesday 09:00; Thursday's spell starts after the window.
    assert _away_between(emp, hm(1, "12:00"), hm(3, "06:00"), calendar) == 21 * 60
    # Friday 00:00-09:00 is the end of Thursday's spell; next Tuesday's is after the window.
    assert _away_between(emp, hm(4, "00:00"), hm(7, "00:00"), calendar) == 9 * 60
    # Wednesday 00:00-09:00 is still before Tuesday's person is back; 09:00-24:00 is not away.
    assert _away_between(emp, hm(2, "00:00"), hm(3, "00:00"), calendar) == 9 * 60


def test_two_named_on_site_only_steps_both_wait_for_the_office_day():
    # Named to A on Tuesday; A is in the office on Monday and Thursday only: both on Thursday.
    a = _person(0, cleared=True, office=[0, 3])
    env, pool, timer = _pool([a, _person(1, cleared=True)], standin_after=None)
    _at(env, hm(1, "10:00"), lambda: pool.submit(_step("s1", 60, hm(1, "10:00"), True), a))
    _at(env, hm(1, "11:00"), lambda: pool.submit(_step("s2", 60, hm(1, "11:00"), True), a))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("s1", 0, hm(3, "09:00"), hm(3, "10:00")),
                         ("s2", 0, hm(3, "10:00"), hm(3, "11:00"))]
    assert pool._on_site_waiting == 0


def test_on_site_only_work_named_to_someone_sick_waits_for_their_office_day_after_return():
    # A is sick Monday and Tuesday, back on Wednesday but in the office on Monday and Thursday
    # only; no stand-ins. Two secret steps named to A on Monday wait for Thursday, not for
    # Wednesday's return.
    a = _person(0, [(0, 2)], cleared=True, office=[0, 3])
    env, pool, timer = _pool([a, _person(1, cleared=True)], standin_after=None)
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("s1", 60, hm(0, "10:00"), True), a))
    _at(env, hm(0, "11:00"), lambda: pool.submit(_step("s2", 60, hm(0, "11:00"), True), a))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("s1", 0, hm(3, "09:00"), hm(3, "10:00")),
                         ("s2", 0, hm(3, "10:00"), hm(3, "11:00"))]
    assert pool._on_site_waiting == 0


def test_a_pool_with_absences_still_gives_on_site_only_work_to_those_in():
    # B is away next week; this week A (cleared, in the office) takes the secret step at once.
    a, b = _person(0, cleared=True), _person(1, [(7, 12)])
    env, pool, timer = _pool([a, b], standin_after=None)
    _at(env, hm(1, "10:00"), lambda: pool.submit(_step("secret", 60, hm(1, "10:00"), True)))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("secret", 0, hm(1, "10:00"), hm(1, "11:00"))]


def test_named_load_is_counted_at_the_persons_own_pace():
    # A works at 1.5 times the usual time: an hour's step adds 90 minutes to A's load.
    a = _person(0, pace=1.5)
    env, pool, _timer = _pool([a, _person(1)], standin_after=None)
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("first", 60, hm(0, "09:00")), a))
    _at(env, hm(0, "09:10"), lambda: pool.submit(_step("second", 60, hm(0, "09:10")), a))
    env.run(until=hm(0, "09:30"))
    assert pool.load == {0: 180, 1: 0}
    env.run(until=hm(1, "00:00"))
    assert pool.load == {0: 0, 1: 0}


def _overloaded_desk(delegate_over_hours):
    """A (0) is handed three 5-hour steps at 09:00 on Monday; B (1) is A's peer, C (2) is not.

    C has nothing to do either, and comes before B in the pool (so a tie among everyone goes to
    C): only the group rule can make B, not C, the acting colleague.
    """
    a, b, c = _person(0), _person(1), _person(2)
    env, pool, timer = _pool([a, c, b], standin_after=None, peers=[[a, b], [c]],
                             delegate_over_hours=delegate_over_hours)
    for name in ("first", "second", "third"):
        _at(env, hm(0, "09:00"), lambda n=name: pool.submit(_step(n, 300, hm(0, "09:00")), a))
    env.run(until=hm(5, "00:00"))
    return timer.log


def test_work_named_to_a_desk_over_the_threshold_goes_to_a_lighter_peer():
    # 8 hours: A holds 5 h after the first step, 10 h after the second; the third finds A over
    # the threshold and B (idle) lighter, so B takes it at once.
    assert _overloaded_desk(8.0) == [
        ("first", 0, hm(0, "09:00"), hm(0, "15:30")),
        ("third", 1, hm(0, "09:00"), hm(0, "15:30")),
        ("second", 0, hm(0, "15:30"), hm(1, "11:00")),
    ]


def test_work_named_to_a_desk_at_the_threshold_stays_with_its_person():
    # 10 hours: A is at the threshold, not over it, when the third step comes: A does all three.
    assert [(doc, emp) for doc, emp, _s, _e in _overloaded_desk(10.0)] == [
        ("first", 0), ("second", 0), ("third", 0)]


def test_without_a_threshold_named_work_waits_for_its_person_however_much():
    assert {emp for _doc, emp, _s, _e in _overloaded_desk(None)} == {0}


def test_an_overloaded_desk_keeps_its_work_when_every_peer_is_as_loaded():
    a, b = _person(0), _person(1)
    env, pool, timer = _pool([a, b], standin_after=None, delegate_over_hours=1.0)
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("a1", 120, hm(0, "09:00")), a))
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("b1", 120, hm(0, "09:00")), b))
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("a2", 60, hm(0, "09:00")), a))
    env.run(until=hm(1, "00:00"))
    # A holds 120 minutes, B 120: B is not lighter, so a2 stays with A.
    assert ("a2", 0, hm(0, "11:00"), hm(0, "12:00")) in timer.log


def test_a_step_handed_over_twice_counts_both_waits_for_someone_away():
    # A (sick all week) and B (sick from Wednesday) and C are one group; standin_after = 1.
    # B is busy till Tuesday 18:30 (960 minutes), C till Wednesday 10:40 (1000 minutes).
    # Work named to A on Monday 10:00 goes on Tuesday 09:00 to B (less loaded than C), waits
    # behind B's work, is B's when B falls sick, and goes on Thursday 09:00 to C.
    # C is away the week after: C's own absences add nothing to this wait.
    a, b, c = _person(0, [(0, 5)]), _person(1, [(2, 5)]), _person(2, [(7, 9)])
    env, pool, timer = _pool([a, b, c], standin_after=1, peers=[[a, b, c]])
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("b-work", 960, hm(0, "09:00")), b))
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("c-work", 1000, hm(0, "09:00")), c))
    steps: list[Step] = []

    def name_to_a():
        steps.append(_step("x", 60, hm(0, "10:00")))
        pool.submit(steps[0], a)

    _at(env, hm(0, "10:00"), name_to_a)
    env.run(until=hm(5, "00:00"))
    assert ("x", 2, hm(3, "09:00"), hm(3, "10:00")) in timer.log
    # A away Monday 10:00 to Tuesday 09:00 (23 h), then B away from Wednesday 09:00, the first
    # working minute B missed, to Thursday 09:00 (24 h).
    assert steps[0].absence_wait == (23 + 24) * 60


def test_a_pool_needs_people_and_a_known_discipline():
    env, calendar = simpy.Environment(), WorkCalendar(WEEK)
    with pytest.raises(ValueError, match="^a role pool needs at least one employee$"):
        RolePool(env, calendar, _FixedTimer(env, calendar), [])
    with pytest.raises(ValueError, match="queue discipline must be fifo or deadline, got 'lifo'"):
        RolePool(env, calendar, _FixedTimer(env, calendar), [_person(0)], "lifo")


def _pooled_order(discipline: str | None) -> list[str]:
    env, calendar = simpy.Environment(), WorkCalendar(WEEK)
    timer = _FixedTimer(env, calendar)
    args = () if discipline is None else (discipline,)
    pool = RolePool(env, calendar, timer, [_person(0)], *args)
    for name, minute, deadline in (("busy", 0, 1e9), ("a", 1, 9e5), ("b", 2, 5e5),
                                   ("c", 3, 7e5)):
        step = _step(name, 60, hm(0, "09:00") + minute)
        step.doc.deadline = deadline
        _at(env, hm(0, "09:00") + minute, lambda step=step: pool.submit(step))
    env.run(until=hm(1, "00:00"))
    return [e[0] for e in timer.log]


def test_pooled_work_waits_in_the_pools_queue_in_its_discipline():
    assert _pooled_order(None) == ["busy", "a", "b", "c"]  # fifo by default
    assert _pooled_order("fifo") == ["busy", "a", "b", "c"]
    assert _pooled_order("deadline") == ["busy", "b", "c", "a"]


def test_own_and_pooled_work_are_taken_in_one_queue_order():
    # A (cleared, in the office) is busy till 11:00; meanwhile come, in turn: pooled work,
    # pooled secret work, secret work named to A, work named to A, pooled work. When A is
    # free they are taken in the order they came, whatever queue each waits in.
    a = _person(0, cleared=True)
    env, pool, timer = _pool([a], standin_after=None)
    _at(env, hm(0, "09:00"), lambda: pool.submit(_step("busy", 120, hm(0, "09:00"))))
    arrivals = [("pooled", False, None), ("pooled-secret", True, None),
                ("named-secret", True, a), ("named", False, a), ("pooled-2", False, None),
                ("named-2", False, a), ("pooled-secret-2", True, None)]
    for k, (name, secret, who) in enumerate(arrivals):
        t = hm(0, "10:00") + k
        _at(env, t, lambda name=name, secret=secret, who=who, t=t:
            pool.submit(_step(name, 10, t, secret), who))
    env.run(until=hm(1, "00:00"))
    assert [e[0] for e in timer.log] == ["busy"] + [name for name, _, _ in arrivals]
    assert timer.log[-1][3] == hm(0, "12:10")  # seven 10-minute steps after 11:00
    assert pool._on_site_waiting == 0


def test_pooled_work_goes_to_someone_present():
    # A is away this week and first in the pool's order; B takes the pooled work. Work left
    # waiting for the pool counts no absence: nobody in particular was waited for.
    a, b = _person(0, [(0, 5)]), _person(1)
    env, pool, timer = _pool([a, b], standin_after=None)
    steps = [_step("p1", 60, hm(0, "10:00")), _step("p2", 60, hm(0, "10:10"))]
    _at(env, hm(0, "10:00"), lambda: pool.submit(steps[0]))
    _at(env, hm(0, "10:10"), lambda: pool.submit(steps[1]))
    env.run(until=hm(1, "00:00"))
    assert timer.log == [("p1", 1, hm(0, "10:00"), hm(0, "11:00")),
                         ("p2", 1, hm(0, "11:00"), hm(0, "12:00"))]
    assert [s.absence_wait for s in steps] == [0, 0]


def test_someone_away_takes_no_pooled_on_site_only_work():
    # A and B are cleared; A is away this week and first in the pool's order.
    a, b = _person(0, [(0, 5)], cleared=True), _person(1, cleared=True)
    env, pool, timer = _pool([a, b], standin_after=None)
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("s1", 60, hm(0, "10:00"), True)))
    _at(env, hm(0, "10:10"), lambda: pool.submit(_step("s2", 60, hm(0, "10:10"), True)))
    env.run(until=hm(1, "00:00"))
    assert timer.log == [("s1", 1, hm(0, "10:00"), hm(0, "11:00")),
                         ("s2", 1, hm(0, "11:00"), hm(0, "12:00"))]
    assert pool._on_site_waiting == 0


def test_two_pooled_on_site_only_steps_both_wait_for_an_office_day():
    a = _person(0, cleared=True, office=[2])  # in the office on Wednesdays only
    env, pool, timer = _pool([a, _person(1)], standin_after=None)
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("s1", 60, hm(0, "10:00"), True)))
    _at(env, hm(0, "10:10"), lambda: pool.submit(_step("s2", 60, hm(0, "10:10"), True)))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("s1", 0, hm(2, "09:00"), hm(2, "10:00")),
                         ("s2", 0, hm(2, "10:00"), hm(2, "11:00"))]


def test_without_groups_anyone_present_stands_in():
    a, b = _person(0, [(0, 5)]), _person(1)
    env, pool, timer = _pool([a, b], standin_after=0)  # no peers set: the whole pool
    _at(env, hm(0, "10:00"), lambda: pool.submit(_step("x", 60, hm(0, "10:00")), a))
    env.run(until=hm(1, "00:00"))
    assert timer.log == [("x", 1, hm(0, "10:00"), hm(0, "11:00"))]


def test_the_end_of_a_step_is_reported_with_the_step():
    env, pool, _timer = _pool([_person(0)], standin_after=None)
    finished: list[Step] = []
    step = _step("x", 60, hm(0, "10:00"))
    step.done = finished.append
    _at(env, hm(0, "10:00"), lambda: pool.submit(step))
    env.run(until=hm(1, "00:00"))
    assert finished == [step]


def test_present_minutes_with_several_spells_and_one_after_the_end():
    # Away Tuesday, Thursday and the next Tuesday: until Friday's end 3 of 5 days present.
    a = _person(0, [(1, 2), (3, 4), (8, 9)])
    _env, pool, _timer = _pool([a], standin_after=None)
    assert pool.present_minutes(hm(5, "00:00")) == {0: 3 * 480}


def test_pooled_work_waiting_for_the_only_person_away_is_no_absence_wait():
    # Only named work waits for a person; pooled work waits for the pool, even when the pool's
    # only member is away (Monday and Tuesday).
    env, pool, timer = _pool([_person(0, [(0, 2)])], standin_after=None)
    step = _step("p", 60, hm(0, "10:00"))
    _at(env, hm(0, "10:00"), lambda: pool.submit(step))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("p", 0, hm(2, "09:00"), hm(2, "10:00"))]
    assert step.absence_wait == 0


def test_idle_staff_take_pooled_work_in_the_order_they_became_idle():
    # A, C and B (in that order) are idle from the start; C is away Monday and Tuesday. The
    # mornings C leaves and returns do not reorder them: on Wednesday A takes pooled work.
    a, c, b = _person(0), _person(2, [(0, 2)]), _person(1)
    env, pool, timer = _pool([a, c, b], standin_after=None)
    _at(env, hm(2, "10:00"), lambda: pool.submit(_step("p", 60, hm(2, "10:00"))))
    env.run(until=hm(5, "00:00"))
    assert timer.log == [("p", 0, hm(2, "10:00"), hm(2, "11:00"))]


def test_present_minutes_round_the_clock_count_from_minute_zero():
    env = simpy.Environment()
    calendar = WorkCalendar(CalendarSpec(workdays=list(range(7)),
                                         work_periods=[("00:00", "24:00")], holidays=[]))
    pool = RolePool(env, calendar, _FixedTimer(env, calendar), [_person(0)])
    assert pool.present_minutes(600.0) == {0: 600.0}


def test_work_in_progress_passes_to_a_present_peer_before_leave(monkeypatch):
    # Two executors. The first document's 6-hour draft starts Monday 11:30 and has 5.5 hours
    # done by Monday 18:30; its executor goes on leave (known in advance) Tuesday to Thursday.
    # Nobody works while away: the rest is done by the other executor, in their name.
    from test_model import tiny_deterministic

    import sim.model.population as population
    from sim.model.replication import run_replication

    def scenario():
        return tiny_deterministic(
            step_changes={"execution": {"handling_mean_min": 360}},
            staff={"remote_share": 0.0,
                   "roles": {"clerk": 0.25, "head": 0.25, "executor": 0.5},
                   "literacy": {"advanced": 1.0, "insecure": 0.0}},
            bodies=[{"name": "B", "kind": "committee", "staff": 4}],
            absence={"standin_after_days": 1}, horizon_days=5)

    first = run_replication(scenario(), "osdo", 0, keep_steps=True).steps
    leaving = int(first.set_index(["document", "step"]).loc[("b0-0", "execution")].employee)

    def spells(scenario, rng, n, days, apart=range(0), planned=None):
        out = [() for _ in range(n)]
        out[leaving] = ((1, 4),)
        if planned is not None:
            planned.extend([frozenset({1}) if i == leaving else frozenset() for i in range(n)])
        return out

    monkeypatch.setattr(population, "sample_absences", spells)
    steps = run_replication(scenario(), "osdo", 0, keep_steps=True).steps
    mine = steps[steps.employee == leaving]
    assert (mine[mine.start_min < hm(1, "00:00")].end_min <= hm(1, "00:00")).all()
    draft = steps[(steps.document == "b0-0") & (steps.step == "execution")]
    assert (draft.employee != leaving).any()
