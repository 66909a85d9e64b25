"""A working office to start from: the open documents of the same scenario in steady state.

A real office never starts empty. A run that does spends its first 45-60 working days filling
its queues (docs/model.md, 4.1), and KPIs read inside that transient depend on the run's length.
With ``start.office: working`` a run begins instead with the open documents of a *snapshot*: the
same scenario run from empty for ``start.snapshot_days`` working days, whose open documents are
put back at minute 0, each at the step of the route it was at, with its age and the working time
left to its deadline. The run then needs a warm-up of days, not months.

What the snapshot depends on, and nothing else, keys it (:func:`office_key`); snapshots are
cached on disk (:func:`sim.model.cache.cache_dir`), one per replication, so that a scenario's
runs pay for them once.

Common random numbers: a snapshot is taken per architecture from a shared source. The OSDO and
ESED snapshots of replication ``r`` run from the same streams (the root seed's ``office`` child
and the replication: the same people, documents and handling draws), without the scenario's
dated policy (shares at their start values, no migration waves, no incidents), each under its
own architecture. Their offices differ only by what the architecture does to the backlog, the
difference the comparison is about; each run then starts in its own steady state. (One office
for both, taken under one architecture, would leave the other with a transient of its own: from
a ``mixed`` office of ~740 open documents the baseline's ESED run fell to its ~600 over 15
working days, which MSER-5 then cut.) Replications start from independent offices.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sim.config.loading import NOT_IN_SNAPSHOT, office_scenario
from sim.config.schema import Scenario
from sim.model.cache import cache_dir, write_whole
from sim.model.calendar import WorkCalendar

__all__ = ["OpenDocument", "snapshot_scenario", "office_key", "working_office"]

# Part of every snapshot's seed, so that its streams are not the run's own.
_OFFICE_STREAM = 0x0FF1CE


@dataclass(frozen=True)
class OpenDocument:
    """One open document of a snapshot, as it is put back at a run's minute 0."""

    body: int
    type_name: str
    seed: int  #: its own stream's seed (the same draws as in the snapshot)
    stage: str  #: the step of the route it is at ("" before it entered the route)
    age_min: float  #: clock minutes since it was created
    deadline_left_min: float  #: working minutes to its deadline (negative: overdue)
    origin_body: int | None
    needs_registration: bool
    rework: int


def snapshot_scenario(scenario: Scenario) -> Scenario:
    """The scenario a snapshot runs: from empty, without dated policy, for snapshot_days.

    Under ``start.snapshot_set`` where it gives overrides (the office of another state, such
    as a sweep's base), else the scenario's own values.
    """
    scenario = office_scenario(scenario, scenario.name)
    staff = scenario.staff.model_copy(update={"schedules": {}})
    return scenario.model_copy(update={
        "staff": staff, "migration": [], "incidents": [],
        "horizon_days": scenario.start.snapshot_days, "warmup_days": 0,
        "start": scenario.start.model_copy(update={"office": "empty"}),
    })


def snapshot_seed(seed: int) -> int:
    """The root seed of a snapshot: a child of the run's seed (< 2**63)."""
    state = np.random.SeedSequence([seed, _OFFICE_STREAM]).generate_state(2, np.uint64)
    return int(state[0]) >> 1


def office_key(scenario: Scenario, architecture: str, replication: int, seed: int) -> str:
    """What a snapshot depends on, hashed.

    ``scenario`` is the snapshot's own (:func:`snapshot_scenario`): the resolved scenario under
    its snapshot overrides, minus its run settings (horizon, warm-up, replications, platforms,
    outputs, names) and the dated policy the snapshot leaves out; the architecture, the seed,
    the replication, the days run, and the model's own source.
    """
    data = scenario.model_dump(mode="json", exclude=set(NOT_IN_SNAPSHOT))
    data["staff"].pop("schedules", None)
    payload = json.dumps({"scenario": data, "snapshot_days": scenario.start.snapshot_days,
                          "architecture": architecture, "seed": seed,
                          "replication": replication, "code": _code_version()},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


_CODE: list[str] = []


def _code_version() -> str:
    """A hash of the model's and the schema's source: a snapshot of other code is stale."""
    if not _CODE:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        for path in sorted([*root.joinpath("model").glob("*.py"),
                            *root.joinpath("config").glob("*.py")]):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        _CODE.append(digest.hexdigest())
    return _CODE[0]


def working_office(scenario: Scenario, architecture: str, replication: int, seed: int,
                   take: Callable[[Scenario, str, int, int], list[OpenDocument]],
                   ) -> list[OpenDocument]:
    """The open documents of a replication's snapshot under ``architecture``.

    From the cache, or ``take(snapshot scenario, architecture, replication, seed)``, which runs
    the snapshot (the replication module passes its own runner: this module sits below it).
    """
    snapshot = snapshot_scenario(scenario)
    path = cache_dir() / f"{office_key(snapshot, architecture, replication, seed)}.json.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [OpenDocument(**row) for row in json.load(f)]
    office = take(snapshot, architecture, replication, snapshot_seed(seed))

    def write(partial: Path) -> None:
        with gzip.open(partial, "wt", encoding="utf-8") as f:
            json.dump([asdict(d) for d in office], f)

    write_whole(path, write)  # whoever else writes the same snapshot
    return office


def open_documents(open_docs: list, stages: dict[str, str], calendar: WorkCalendar,
                   now: float) -> list[OpenDocument]:
    """The open documents of a run at ``now`` as a snapshot keeps them, each with its seed."""
    at = calendar.work_index(now)
    out = []
    for doc in open_docs:
        out.append(OpenDocument(
            doc.body, doc.type_name, doc.rng.seed, stages.get(doc.id, ""), now - doc.created,
            calendar.work_index(doc.deadline) - at, doc.origin_body, doc.needs_registration,
            doc.rework))
    return out


def place(office: list[OpenDocument], calendar: WorkCalendar) -> list[tuple[float, float]]:
    """Each document's creation time and deadline in a run that starts at minute 0.

    Created before the run (by its age); the deadline the same working time ahead as in the
    snapshot (an overdue one, that many minutes before the start).
    """
    return [(-d.age_min, calendar.add(0.0, d.deadline_left_min) if d.deadline_left_min > 0
             else d.deadline_left_min) for d in office]
