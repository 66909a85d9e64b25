"""A step of a document: what the route, the role pool and the step timer record of it."""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.config.schema import StepSpec
from sim.model.documents import Document
from sim.model.network import Connection, Route
from sim.model.platforms import Platform, SessionPool
from sim.model.population import Employee
from sim.model.unavailability import Reach

__all__ = ["Step", "PAPER"]

PAPER = "paper"  #: the `system` of a step done off every platform (secret documents)


class Step:
    """One step of one document, from its submission to a role pool to its end.

    The route fills the first fields; the pool names the employee; the timer fills the rest:
    where the employee worked, where the time went (``components``, which sum to the step's time
    from ``enqueued`` to ``end``), and how long the employee was occupied.
    """

    __slots__ = (
        "doc", "name", "spec", "enqueued", "on_site_only", "done",  # set by the route
        "emp", "on_end", "key", "named", "waiting_since", "absence_wait", "load",  # by the pool
        "draws", "components", "start", "end", "at_home", "unofficial", "platform", "conn",
        "reach", "link", "vpn", "vpn_from", "occupied", "busy_minutes", "lost_working",
        "interruptions", "system",  # by the timer
        "share", "carry_at", "carried",  # a hand-over of work in progress
    )
    # Set after construction (see above); declared here for type checkers.
    emp: Employee
    on_end: Callable[[simpy.Event], None]
    key: tuple[float, ...]
    named: bool
    waiting_since: float
    draws: tuple[float, ...]  # six uniforms, drawn at the step's start
    components: list[float]
    start: float
    end: float
    at_home: bool
    unofficial: bool
    platform: Platform
    conn: Connection
    reach: Reach
    link: Route | None
    vpn: SessionPool | None
    vpn_from: float
    occupied: float
    busy_minutes: float
    lost_working: float
    interruptions: int
    system: str
    carry_at: float | None

    def __init__(
        self, doc: Document, name: str, spec: StepSpec, enqueued: float,
        done: Callable[[Step], None],
    ) -> None:
        self.doc = doc
        self.name = name
        self.spec = spec
        self.enqueued = enqueued
        self.on_site_only = doc.on_site_only
        self.done = done
        self.absence_wait = 0.0  # clock minutes waited for a named person who was away
        self.load = 0.0  # expected working minutes it added to its named person's load
        self.share = 1.0  # the part of the work still to do (less after a hand-over)
        self.carry_at = None  # set when the work stops for a hand-over: when it passes on
        self.carried = False  # the work was begun by someone who then went away

    def __lt__(self, other: Step) -> bool:
        """Queue order: the pool's discipline key (heaps compare steps with it)."""
        return self.key < other.key

    @property
    def rework_draw(self) -> float:
        """The uniform an approver's step uses to decide on rework."""
        return self.draws[4]

    @property
    def paper(self) -> bool:
        """Whether the step is done on paper, off every platform (secret documents)."""
        return self.system == PAPER
