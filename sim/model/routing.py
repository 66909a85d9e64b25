"""The document route: register, referral, resolution, execution, approvals, signature, dispatch.

Who does each step is the assigner's (:mod:`sim.model.assignment`): incoming mail goes down the
body's resolution cascade (referrals) to the head of a division of its subject's department, who
resolves it and names its executors; approvers and the signer are named by function; by default
clerks are a pool (whoever is free registers and dispatches).

:class:`DocumentFlow` is a state machine driven by step completions: each finished step decides
the next one and hands it to the right role pool. Execution by several executors runs in
parallel; approvals run at once (co-editing one draft) or one after another, as each system's
``approvals`` parameter says (by default parallel on OSDO, sequential on ESED). An approver
may send the draft back for rework. A dispatch to another modelled body creates an incoming
document there, through the cloud store or the gateway.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from typing import TYPE_CHECKING, Protocol

from sim.config.schema import Scenario
from sim.model.assignment import Assigner
from sim.model.calendar import WorkCalendar
from sim.model.documents import DELAY_COMPONENTS, D, Document
from sim.model.platforms import Delivery, Gateway, Platform
from sim.model.population import Body, Employee
from sim.model.staffing import RolePool
from sim.model.streams import DocumentStream
from sim.model.work import Step

if TYPE_CHECKING:
    from sim.model.pending import PendingCall

__all__ = ["DocumentFlow", "FlowObserver"]

_N = len(DELAY_COMPONENTS)
_DEFERRED = D["deferred"]


class FlowObserver(Protocol):
    """What the flow reports; the metrics recorder implements it."""

    def document_created(self, doc: Document) -> None: ...  # noqa: D102

    def document_completed(self, doc: Document) -> None: ...  # noqa: D102

    def step_done(self, step: Step) -> None: ...  # noqa: D102

    def delivered(self, delivery: Delivery) -> None: ...  # noqa: D102


class DocumentFlow:
    """Moves documents along their route through the bodies' role pools."""

    def __init__(
        self, scenario: Scenario, calendar: WorkCalendar, bodies: list[Body],
        platforms: list[Platform], pools: dict[tuple[int, str], RolePool], gateway: Gateway,
        observer: FlowObserver, now: Callable[[], float], call: Callable,
    ) -> None:
        self.types = scenario.documents.types
        self.human = scenario.human
        self.calendar = calendar
        self.bodies = bodies
        # Letters go to other bodies in proportion to their staff, so that every employee
        # receives about the same load whatever the size of their body.
        self._cumulative_staff = list(accumulate(b.size for b in bodies))
        self.platforms = platforms
        self.pools = pools
        self.gateway = gateway
        self.observer = observer
        self.now = now
        # call(delay, callbacks, value, amounts=()): each callback(event) after delay, with
        # event.value and event.amounts (sim.model.pending); no Timeout and no closure per call
        # (a national run keeps hundreds of thousands waiting: drafts put off, term-extension
        # checks, letters in transit).
        self.call = call
        self._on_extend = (self._extend_event,)  # bound once, shared by every call
        self._on_release = (self._release_draft,)
        self._on_delivery = (self._delivered,)
        self.open: dict[str, Document] = {}
        # One tuple for each distinct group of people named, and of amounts reserved for them:
        # a national run holds the same few thousand for hundreds of thousands of documents.
        self._shared: dict[tuple, tuple] = {}
        #: The step each open document is at, by id, kept only when a snapshot of the office
        #: will be taken (sim.model.office); None otherwise.
        self.stages: dict[str, str] | None = None
        # Executors' scheduling against the term, and the head's extensions of it.
        self._start_lead = scenario.staff.draft_start_days_before_term
        self._extension_notice = scenario.documents.extension_notice_working_days
        self.assigner = Assigner(scenario, bodies, pools)
        # (step spec, role pool) by body and step name: looked up on every step.
        steps = scenario.documents.steps
        self._stations = [
            {name: (spec, pools[(b.id, spec.role)]) for name, spec in steps.items()}
            for b in bodies
        ]

    # ------------------------------------------------------------------ creation
    def create(
        self, doc_id: str, body: int, type_name: str, seed: int, created: float,
        origin_body: int | None = None, needs_registration: bool = True,
        deadline: float | None = None,
    ) -> Document:
        """Create a document at ``body``; it enters the route when :meth:`start` is called.

        Its deadline is its type's term from ``created`` unless one is given (a document of a
        working office, created before the run).
        """
        spec = self.types[type_name]
        if deadline is None:
            deadline = self.calendar.deadline(created, spec.deadline_working_days)
        doc = Document(doc_id, body, type_name, spec, created, deadline, DocumentStream(seed),
                       origin_body, needs_registration)
        self.open[doc_id] = doc
        self.observer.document_created(doc)
        if spec.extended_deadline_working_days is not None:
            check = self.calendar.last_days_start(deadline, self._extension_notice)
            # From now: a document of a working office was created before the run.
            self.call(max(check - self.now(), 0.0), self._on_extend, doc)
        return doc

    def _extend_event(self, event: PendingCall) -> None:
        self._maybe_extend(event.value)

    def _maybe_extend(self, doc: Document) -> None:
        """The head extends the term of a document whose draft is not ready in time."""
        extended = doc.spec.extended_deadline_working_days
        if doc.drafted or doc.completed is not None or extended is None:
            return
        doc.deadline = self.calendar.deadline(doc.created, extended)
        doc.extended = True

    def start(self, doc: Document) -> None:
        """Enter the route: registration, unless delivered inside the cloud store without it."""
        doc.head_draw = doc.rng.random()
        if doc.needs_registration:
            self._submit(doc, "register", self._after_register)
        else:
            self._route_to_resolution(doc)

    # ------------------------------------------------------------------ helpers
    def resume(self, doc: Document, stage: str) -> None:
        """Put a document of a working office back at ``stage`` of its route.

        Whoever does its next step is named afresh, as the route would name them now; a
        document that had not entered the route (``stage`` empty: in the post) enters it.
        """
        if stage in ("", "register"):
            if stage == "register":
                doc.needs_registration = True
            self.start(doc)
            return
        doc.head_draw = doc.rng.random()
        assigner = self.assigner
        if stage == "referral":
            self._route_to_resolution(doc)
            return
        assigner.referrers(doc)  # its subject and who curates it; the cascade is behind it
        doc.head = assigner.resolver(doc, doc.head_draw)
        if stage == "resolution":
            self._submit(doc, "resolution", self._after_resolution, doc.head)
            return
        assigner.resolved(doc)  # resolved before the run
        if stage == "signature":
            self._submit(doc, "signature", self._after_signature,
                         assigner.signer(doc, lambda: self._leaves(doc)))
        elif stage == "dispatch":
            self._decide_dispatch(doc, sending=True)
        elif doc.spec.executors_max == 0:
            self._after_approvals(doc, rework_draw=1.0)
        else:  # execution or approval: named as a resolution names them
            self._name_executors(doc, *doc.rng.uniforms(3))
            if stage == "execution":
                self._draft(doc)
            else:
                self._approve(doc)

    def _submit(self, doc: Document, name: str, done: Callable[[Step], None],
                assignee: Employee | None = None) -> None:
        if self.stages is not None:
            self.stages[doc.id] = name
        spec, pool = self._stations[doc.body][name]
        pool.submit(Step(doc, name, spec, self.now(), done), assignee)

    def _account(self, step: Step) -> list[float]:
        self.observer.step_done(step)
        doc = step.doc
        if step.unofficial:
            doc.unofficial = True
        if doc.rework and step.name in ("execution", "approval"):
            comps = [0.0] * _N
            comps[D["rework"]] = sum(step.components)
            return comps
        return step.components

    def _sequential(self, step: Step) -> None:
        step.doc.add_delays(self._account(step))

    def _parallel(self, step: Step) -> bool:
        """Record a parallel branch; True when it was the last one."""
        doc = step.doc
        doc.offer_branch(step.end, self._account(step))
        doc.pending -= 1
        if doc.pending:
            return False
        doc.close_branches()
        return True

    # ------------------------------------------------------------------ the route
    def _after_register(self, step: Step) -> None:
        self._sequential(step)
        self._route_to_resolution(step.doc)

    def _route_to_resolution(self, doc: Document) -> None:
        """Down the resolution cascade (referrals), or straight to the head who resolves."""
        doc.referrers = tuple(self.assigner.referrers(doc))
        if self._refer_on(doc):
            return
        doc.head = self.assigner.resolver(doc, doc.head_draw)
        self._submit(doc, "resolution", self._after_resolution, doc.head)

    def _refer_on(self, doc: Document) -> bool:
        """Refer the document to the next referrer of its cascade, if one is left."""
        if not doc.referrers:
            return False
        first, doc.referrers = doc.referrers[0], doc.referrers[1:]
        self._submit(doc, "referral", self._after_referral, first)
        return True

    def _after_referral(self, step: Step) -> None:
        self._sequential(step)
        doc = step.doc
        if self._refer_on(doc):  # the next level of the cascade
            return
        doc.head = self.assigner.resolver(doc, doc.rng.random())
        self._submit(doc, "resolution", self._after_resolution, doc.head)

    def _after_resolution(self, step: Step) -> None:
        self._sequential(step)
        doc = step.doc
        u_count, u_who, u_approvers = doc.rng.uniforms(3)
        if doc.spec.executors_max == 0:
            self._after_approvals(doc, rework_draw=1.0)
            return
        self.assigner.resolved(doc)
        self._name_executors(doc, u_count, u_who, u_approvers)
        self._draft(doc)

    def _name_executors(self, doc: Document, u_count: float, u_who: float,
                        u_approvers: float) -> None:
        """The resolution names the executors who draft and the heads who approve."""
        assigner, shared = self.assigner, self._shared
        drafters = tuple(assigner.executors(doc, 1 + int(u_count * doc.spec.executors_max),
                                            u_who))
        doc.drafters = shared.setdefault(drafters, drafters)
        approvers = tuple(assigner.approvers(doc, doc.spec.approvals, u_approvers))  # above them
        doc.approvers = shared.setdefault(approvers, approvers)

    def _draft(self, doc: Document) -> None:
        """The named executors draft now, or in the last days of the term."""
        if self._start_lead is not None:
            release = self.calendar.last_days_start(doc.deadline, self._start_lead)
            if release > self.now():
                self._defer(doc, release)
                return
        self._execute(doc, doc.drafters)

    def _defer(self, doc: Document, release: float) -> None:
        """Executors put the draft off until the last days of its term.

        Until then it counts in its executors' outstanding work (a head naming executors, and
        the leadership referring mail, see their pile), and its wait is the document's
        ``deferred`` component.
        """
        wait = release - self.now()
        doc.delays[_DEFERRED] += wait
        if self.stages is not None:  # a snapshot of the office puts it back at its draft
            self.stages[doc.id] = "execution"
        spec, pool = self._stations[doc.body]["execution"]
        # The amounts go with the call: a person's pace may change before the release.
        named = _named(doc.drafters)
        amounts = tuple([spec.handling_mean_min * emp.pace for emp in named])
        amounts = self._shared.setdefault(amounts, amounts)
        for emp, amount in zip(named, amounts, strict=True):
            pool.load[emp.id] += amount
        doc.rng.park()  # a long wait: its stream's block is hashed again at the release
        self.call(wait, self._on_release, doc, amounts)

    def _release_draft(self, event: PendingCall) -> None:
        """The draft's term is near: its executors take it up."""
        doc: Document = event.value
        load = self._stations[doc.body]["execution"][1].load
        for emp, amount in zip(_named(doc.drafters), event.amounts, strict=True):
            load[emp.id] -= amount
        self._execute(doc, doc.drafters)

    def _execute(self, doc: Document, drafters: tuple[Employee | None, ...]) -> None:
        doc.pending = len(drafters)
        doc.insecure_drafter = False
        for emp in drafters:
            self._submit(doc, "execution", self._after_execution, emp)

    def _after_execution(self, step: Step) -> None:
        doc = step.doc
        doc.insecure_drafter = doc.insecure_drafter or step.emp.insecure_literacy
        if self._parallel(step):
            doc.drafted = True
            self._approve(doc)

    def _approve(self, doc: Document) -> None:
        approvers = doc.approvers
        if not approvers:
            self._after_approvals(doc, rework_draw=1.0)
        elif self.platforms[doc.body].parallel_approvals:
            doc.pending = len(approvers)
            for emp in approvers:
                self._submit(doc, "approval", self._after_parallel_approval, emp)
        else:
            doc.approvals_left = len(approvers)
            self._submit(doc, "approval", self._after_sequential_approval, approvers[0])

    def _after_parallel_approval(self, step: Step) -> None:
        if self._parallel(step):
            self._after_approvals(step.doc, step.rework_draw)

    def _after_sequential_approval(self, step: Step) -> None:
        self._sequential(step)
        doc = step.doc
        doc.approvals_left -= 1
        if doc.approvals_left:
            nxt = doc.approvers[len(doc.approvers) - doc.approvals_left]
            self._submit(doc, "approval", self._after_sequential_approval, nxt)
        else:
            self._after_approvals(doc, step.rework_draw)

    def _after_approvals(self, doc: Document, rework_draw: float) -> None:
        """The last approver decides on rework with the draw of their own step."""
        human = self.human
        p = human.rework_prob * (
            human.insecure_literacy_rework_factor if doc.insecure_drafter else 1.0
        )
        if doc.spec.approvals and rework_draw < min(p, 1.0) and doc.rework < human.max_rework:
            doc.rework += 1
            self._execute(doc, doc.drafters[:1])  # the first executor redrafts
        elif doc.spec.sign:
            self._submit(doc, "signature", self._after_signature,
                         self.assigner.signer(doc, lambda: self._leaves(doc)))
        else:
            self._decide_dispatch(doc)

    def _after_signature(self, step: Step) -> None:
        self._sequential(step)
        self._decide_dispatch(step.doc)

    def _leaves(self, doc: Document) -> bool:
        """Whether the document will leave the body, known before it is signed.

        The leadership signs what goes out in the body's name, not a letter filed without a
        reply: the dispatch's uniforms are drawn now.
        """
        doc.dispatch_draws = self._dispatch_draws(doc)
        u_send = doc.dispatch_draws[0]
        spec = doc.spec
        return spec.dispatch == "external" or (
            spec.dispatch in ("reply", "other_body") and u_send < spec.reply_prob)

    @staticmethod
    def _dispatch_draws(doc: Document) -> tuple[float, float, int]:
        """Whether a letter is sent, to which body, and its seed there."""
        return doc.rng.random(), doc.rng.random(), doc.rng.getrandbits(63)

    def _decide_dispatch(self, doc: Document, sending: bool = False) -> None:
        """Send the document out (the clerks' dispatch step), or file it.

        ``sending``: it was decided already (a document put back at its dispatch step).
        """
        spec = doc.spec
        u_send, u_target, child_seed = doc.dispatch_draws or self._dispatch_draws(doc)
        target: int | None = None
        if spec.dispatch == "none":
            self._complete(doc)
            return
        if spec.dispatch in ("reply", "other_body"):
            if u_send >= spec.reply_prob and not sending:
                self._complete(doc)  # nothing to send: filed
                return
            target = (doc.origin_body if spec.dispatch == "reply"
                      else self._other_body(doc, u_target))

        def dispatched(step: Step) -> None:
            self._sequential(step)
            self._complete(doc)
            if target is not None:
                self._send(doc, target, child_seed)

        self._submit(doc, "dispatch", dispatched)

    def _other_body(self, doc: Document, u: float) -> int | None:
        """Another body, chosen with probability proportional to its staff."""
        cum = self._cumulative_staff
        if len(cum) < 2:
            return None
        own = self.bodies[doc.body].size
        before = cum[doc.body] - own  # staff of the bodies listed before the sender
        x = u * (cum[-1] - own)
        if x >= before:
            x += own  # skip over the sender's own range
        return min(bisect_right(cum, x), len(cum) - 1)

    def _complete(self, doc: Document) -> None:
        doc.completed = self.now()
        del self.open[doc.id]
        self.observer.document_completed(doc)

    # ------------------------------------------------------------------ delivery
    def _send(self, doc: Document, target: int, seed: int) -> None:
        now = self.now()
        delivery = self.gateway.deliver(self.platforms[doc.body], self.platforms[target], target,
                                        now, doc.rng, secret=doc.confidentiality == "secret")
        type_name = doc.spec.arrives_as
        assert type_name is not None  # the schema requires it for sending types
        child = self.create(f"{doc.id}>{target}", target, type_name, seed, now,
                            origin_body=doc.body, needs_registration=delivery.needs_registration)
        child.delays[D["gateway"]] += delivery.arrival - now
        self.observer.delivered(delivery)
        self.call(delivery.arrival - now, self._on_delivery, child)

    def _delivered(self, event: PendingCall) -> None:
        """A letter reaches its recipient body: its route there begins."""
        self.start(event.value)


def _named(people: tuple[Employee | None, ...]) -> list[Employee]:
    """The people named, without the places of a pooled role (None: whoever is free)."""
    return [emp for emp in people if emp is not None]
