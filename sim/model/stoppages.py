"""Stoppages: the unavailability of a step's reach and person, laid over its hands-on work.

:meth:`Stoppages.lay_over` is the one question a step's timer asks once its hands-on work has an
end in working time. The intervals of :mod:`~sim.model.unavailability` are laid over the work in
a fixed order: the reach first (its outages stop UI-bound work, which may lose its unsaved part;
work done through a messenger instead waits at its end for the system to be back in reach, and is
entered again), then the person's spells away over what results (the work pauses, or stops and
passes to a stand-in). The two are not merged into one walk: an outage during a spell away is
charged as an outage and the spell's working time on top of it, as the model always did, and
each walk keeps its own floating-point arithmetic (merging either would change results).
"""

from __future__ import annotations

import random

from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.documents import D
from sim.model.step import Step
from sim.model.unavailability import AWAY, PATH_DOWN, SYSTEM_DOWN, Cause, Reach, spells_over

__all__ = ["Stoppages", "shrink_to_handover"]

_OFF_HOURS = D["off_hours"]


class Stoppages:
    """Lays the unavailability of a step's reach and person over its hands-on work."""

    def __init__(self, calendar: WorkCalendar, outage_loss_prob: float,
                 messenger_reentry_share: float, standin_days: int | None) -> None:
        self.calendar = calendar
        self.outage_loss_prob = outage_loss_prob
        self.messenger_reentry_share = messenger_reentry_share
        self.standin_days = standin_days

    def lay_over(self, step: Step, reach: Reach | None, t: float, minutes: float, span: float,
                 end: float, now: float) -> tuple[float, float, float, tuple[float, float] | None]:
        """The work's end once the step's unavailability is laid over it.

        The work starts at ``t`` with ``minutes`` hands-on, spread over ``span`` working minutes
        that end at ``end``. Charges the step's components for the working time taken (the
        off hours it adds are the caller's: the clock time the end moved that is not charged).
        Returns (the new end, minutes charged, minutes of the person's time added, hand-over):
        the hand-over, if the person goes away and someone stands in, is (when the work stops,
        when it passes on). ``reach``: the step's path and system (None: on paper, off both).
        """
        if step.unofficial:
            assert reach is not None, "work through a messenger is never on paper"
            end, extra, busy = self._reenter(step, reach, end, minutes, now)
        elif step.spec.ui_bound and not step.paper:
            assert reach is not None
            end, extra = self._interrupted(step, reach, t, span, end, now)
            busy = extra
        else:
            extra = busy = 0.0
        handover = None
        if step.emp.absences:
            end, away, handover = self._paused_for_absence(step, t, end)
            extra += away
        return end, extra, busy, handover

    def _reenter(self, step: Step, reach: Reach, end: float, minutes: float,
                 now: float) -> tuple[float, float, float]:
        """Work done through a messenger is entered into the system once it is back in reach.

        The clock minutes waited for the path and for the system go to their causes'
        components; re-entering costs ``messenger_reentry_share`` of the work's minutes, charged
        to the cause that kept the system out of reach longer. Returns the new end, the minutes
        charged and the re-entry's minutes.
        """
        calendar, comp = self.calendar, step.components
        back, path_wait, system_wait = reach.until_up(end, now)
        resume = calendar.next_working(back)
        reentry = self.messenger_reentry_share * minutes
        done = calendar.add(resume, reentry)
        waited = calendar.working_minutes(end, resume)
        cause = SYSTEM_DOWN if system_wait > path_wait else PATH_DOWN
        comp[PATH_DOWN.component] += path_wait
        comp[SYSTEM_DOWN.component] += system_wait
        comp[cause.component] += reentry
        step.lost_working += waited + reentry
        # The waits above are clock time; what is not working time is off hours (the caller's).
        return done, path_wait + system_wait + reentry, reentry

    def _interrupted(self, step: Step, reach: Reach, t: float, minutes: float, end: float,
                     now: float) -> tuple[float, float]:
        """Stop the work while its path or system is down; it may lose its unsaved part.

        Returns the step's new end and the working minutes charged to the outages.
        """
        if reach.never_down:
            return end, 0.0
        calendar, comp = self.calendar, step.components
        cur, remaining, charged = t, minutes, 0.0
        while True:
            stop = reach.next_interval(cur, end, now)
            if stop is None:
                return end, charged
            down, cause = stop.start, stop.cause
            resume = calendar.next_working(stop.end)
            done = calendar.working_minutes(cur, down)
            lost = calendar.working_minutes(down, resume)
            remaining -= done
            cur = resume
            if lost > 0.0:  # the outage took working time: the step was interrupted
                step.interruptions += 1
                # Work is saved at the end of a day: only an outage during work loses any.
                during_work = calendar.next_working(down) == down
                if during_work and done > 0.0 and self._loses_work(step, cause):
                    remaining += done  # unsaved work since the step (re)started is redone
                    lost += done
                comp[cause.component] += lost
                charged += lost
                step.lost_working += lost
            end = calendar.add(cur, remaining)

    def _paused_for_absence(self, step: Step, t: float,
                            end: float) -> tuple[float, float, tuple[float, float] | None]:
        """Nobody works while away: hands-on work running into a spell away stops.

        With stand-ins (``standin_days`` set) the work stops where the spell begins and passes
        on: returned as (when it stops, when it is handed over: the spell's first working minute
        before leave or a trip, ``standin_days`` working days into sickness, or the person's
        return if sooner). Without stand-ins it pauses over the spell and its person carries it
        on when back. Returns the new end, the working minutes of the pauses (charged to
        :data:`AWAY`'s component) and the hand-over, if any.
        """
        calendar, emp = self.calendar, step.emp
        away = 0.0
        for first, after in spells_over(emp.absences, t):
            start = max(first * MINUTES_PER_DAY, t)
            if start >= end:
                break
            back = after * MINUTES_PER_DAY
            if back <= t:
                continue
            # The pause shifts the end by the spell's working minutes (the reach's walk instead
            # restarts what remains from its resumption: the same time, rounded differently).
            lost = calendar.working_minutes(start, back)  # AWAY's interval [start, back)
            if lost <= 0.0:
                continue  # a spell over a weekend or holidays takes no working time
            days = emp.standin_after(first, self.standin_days)
            if days is None:
                end = calendar.add(end, lost)  # the rest of the work, after the pause
                away += lost
                continue
            if calendar.working_minutes(start, end) <= 0.0:
                break
            missed = calendar.next_working(first * MINUTES_PER_DAY)
            handover = calendar.next_working(
                calendar.add(missed, days * calendar.minutes_per_day))
            carry_at = max(start, min(handover, calendar.next_working(back)))
            step.components[AWAY.component] += away
            return end, away, (start, carry_at)
        step.components[AWAY.component] += away
        return end, away, None

    def _loses_work(self, step: Step, cause: Cause) -> bool:
        """Whether this interruption loses the unsaved work (the step's own draw, then more)."""
        p = self.outage_loss_prob
        if p <= 0.0 or not cause.loses_work:
            return False
        u = step.draws[5]
        if step.interruptions > 1:  # later interruptions of one step: a stream of its own
            u = random.Random(f"{u}-{step.interruptions}").random()
        return u < p


def shrink_to_handover(calendar: WorkCalendar, step: Step, t: float, end: float, busy: float,
                       before: list[float], stop: float, carry_at: float) -> tuple[float, float]:
    """The work stops at ``stop`` (its person goes away) with part of it done.

    What the step was charged for the whole work shrinks to the part done by ``stop`` (the
    components then sum to ``stop`` minus ``enqueued``), the rest is kept as the step's
    ``share`` for whoever carries it on, and the pool hands it over at ``carry_at``.
    Returns the part's end (``stop``) and the employee's busy minutes on it.
    """
    comp = step.components
    done = calendar.working_minutes(t, stop)
    total = calendar.working_minutes(t, end)
    part = done / total if total > 0.0 else 0.0
    off = before[_OFF_HOURS]
    added = sum(c - b for c, b in zip(comp, before, strict=True)) - (comp[_OFF_HOURS] - off)
    scale = done / added if added > 0.0 else 0.0
    for i, b in enumerate(before):
        comp[i] = b + (comp[i] - b) * scale
    comp[_OFF_HOURS] = off + (stop - t) - done
    step.share *= 1.0 - part
    step.carry_at = carry_at
    if step.unofficial:
        step.doc.unofficial = True
    return stop, busy * part
