"""Documents in flight: identity, deadline, confidentiality, and where their time went."""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

from sim.config.schema import DocumentType
from sim.model.streams import DocumentStream

if TYPE_CHECKING:
    from sim.model.population import Employee

__all__ = ["Document", "DELAY_COMPONENTS", "D", "CONFIDENTIALITY"]

#: Markings of a document: open, for official use (never leaves the system), secret (paper only).
CONFIDENTIALITY = ("open", "official_use", "secret")

#: Components a document's cycle time is split into; they sum to the cycle time.
DELAY_COMPONENTS = (
    "handling",         # hands-on human work
    "queue",            # waiting for a free employee of the right role
    "office_day",       # on-site-only work waiting for a cleared employee on site
    "off_hours",        # outside working hours (nights, weekends, lunch, holidays)
    "connectivity",     # home connection or office LAN down, failed connection attempts
    "vpn",              # waiting for a VPN session (ESED remote access)
    "platform_outage",  # the document system down
    "platform",         # platform server queueing and service, network transfer
    "gateway",          # inter-agency transit, resends and polling
    "rework",           # whole steps repeated after a draft was sent back
    "absence",          # named work waiting, or paused, while its person is away
    "migration",        # a body's move to another system: slower work and importing documents
    "deferred",         # a named draft put off until its term approaches (executors' scheduling)
    "other_duties",     # a step's taker at their other duties between its hands-on minutes
)
D = {name: i for i, name in enumerate(DELAY_COMPONENTS)}
_NO_DELAYS = array("d", bytes(8 * len(DELAY_COMPONENTS)))


class Document:
    """One piece of correspondence at one body, from creation to completion."""

    __slots__ = (
        "id", "body", "type_name", "spec", "created", "deadline", "rng",
        "confidentiality", "on_site_only", "origin_body", "needs_registration", "rework",
        "unofficial", "completed", "delays", "pending", "branch", "insecure_drafter",
        "approvals_left", "drafters",
        "head", "head_draw", "approvers", "import_min", "subject", "division", "leader",
        "referrers", "dispatch_draws", "drafted", "extended",
    )

    def __init__(
        self, doc_id: str, body: int, type_name: str, spec: DocumentType, created: float,
        deadline: float, rng: DocumentStream, origin_body: int | None,
        needs_registration: bool,
    ) -> None:
        self.id = doc_id
        self.body = body
        self.type_name = type_name
        self.spec = spec
        self.created = created
        self.deadline = deadline
        self.rng = rng
        u = rng.random()
        if u < spec.secret_share:
            self.confidentiality = "secret"
        elif u < spec.secret_share + spec.official_use_share:
            self.confidentiality = "official_use"
        else:
            self.confidentiality = "open"
        paper = rng.random() < spec.paper_share
        self.on_site_only = self.confidentiality == "secret" or paper
        self.origin_body = origin_body
        self.needs_registration = needs_registration
        self.rework = 0
        self.unofficial = False
        self.completed: float | None = None
        self.delays = array("d", _NO_DELAYS)  # C doubles: 112 bytes, no float objects
        self.pending = 0
        self.branch: tuple[float, list[float]] | None = None  # latest-ending parallel branch
        self.insecure_drafter = False
        self.approvals_left = 0
        # Named people; None where the role is pooled (whoever is free takes the step).
        self.drafters: tuple[Employee | None, ...] = ()  # the executors named in the resolution
        self.approvers: tuple[Employee | None, ...] = ()  # the heads named to approve the draft
        self.head: Employee | None = None  # the head who resolves (and, in a flat body, signs)
        # In a body with structure (sim.model.assignment): the department the subject names,
        # the division that executes, the leader who signs letters in the body's name, and the
        # referrals still to come.
        self.subject = 0
        self.division = 0
        self.leader: Employee | None = None
        self.referrers: tuple[Employee | None, ...] = ()
        #: The uniforms of the dispatch, drawn before the signature (who signs depends on it).
        self.dispatch_draws: tuple[float, float, int] | None = None
        #: Minutes to bring the document into a new system, added to its next step (a
        #: migration wave moved its body while it was open).
        self.import_min = 0.0
        self.head_draw = 0.0  # the uniform that chooses who resolves (or refers)
        self.drafted = False  # the executors' drafts are done (at least once)
        self.extended = False  # the head extended the term (spec.extended_deadline_working_days)

    def add_delays(self, components: list[float]) -> None:
        """Add a sequential step's components to the document's account."""
        delays = self.delays
        # Only the non-zero components (a step has a few): adding 0.0 changes no sum.
        for i, c in enumerate(components):
            if c:
                delays[i] += c

    def offer_branch(self, end: float, components: list[float]) -> None:
        """Remember the parallel branch that ends last: it is the critical path."""
        if self.branch is None or end >= self.branch[0]:
            self.branch = (end, components)

    def close_branches(self) -> None:
        """Join parallel branches: charge the critical branch's components."""
        if self.branch is not None:
            self.add_delays(self.branch[1])
            self.branch = None
