"""Options files: policy options with their costs, against a base scenario, and their evaluation.

An options file (YAML; the format is in ``docs/experiments.md``) names a ``base:`` scenario, the
``options:`` a planner could take (each with the scenario changes it makes and its cost in
tenge, every figure with a source or the word "assumption"), the ``objectives:`` that count and,
optionally, a ``budget:`` and ``value_per_hour``. :func:`load_options` reads and checks it into
an :class:`OptionsStudy` whose *arms* are the base, every option and, when there are
:data:`MAX_COMBINED` options or fewer, every combination of them: every arm's scenario is
validated before any run.

:func:`evaluate` runs the arms on the executors and result store of sweeps
(:mod:`sim.experiments.executors`, :mod:`sim.experiments.store`). Every arm's replication ``r``
uses the same root seed and replication number, so all arms share people, documents and
handling draws (common random numbers) and their differences are paired. After the first
``replications`` of every arm, replications are added one round at a time to the arms that
Kim and Nelson's procedure (:mod:`sim.experiments.selection`) has not yet screened out, up to
``max_replications``. Which runs a round needs is a pure function of the runs stored, so an
interrupted evaluation resumes without repeating or losing a run, and the results are the same
for any number of workers.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.config.architectures import ArchitectureName
from sim.config.errors import OptionsFileError
from sim.config.loading import (
    apply_override,
    deep_merge,
    first_error,
    load_base,
    read_yaml,
    scenario_from_dict,
    start_from_base_office,
    suggest,
)
from sim.config.schema import Scenario
from sim.model.kpis import KPIS

__all__ = [
    "OptionsFile", "OptionSpec", "CostItem", "Objective", "Arm", "OptionsStudy",
    "load_options", "options_from_dict", "with_replications", "in_hours_of_delay",
    "working_days_per_year",
    "documents_per_year", "run_values", "next_runs", "selection_scores", "evaluate",
    "EvaluationOutcome", "annuity_factor", "cost_rows", "open_options_store", "STORE_NAME",
    "BASE_ARM", "MAX_COMBINED", "DEFAULT_OBJECTIVES",
]

STORE_NAME = "options.sqlite"
BASE_ARM = "base"  # the arm that takes no option
MAX_COMBINED = 5  # up to this many options, every combination is run too (2**5 = 32 arms)
DEFAULT_OBJECTIVES = ("cycle_time_mean_h", "on_time_rate", "unofficial_channel_share",
                      "connectivity_loss_h_per_employee")
# Always stored besides the objectives: the document volume that turns hours of mean cycle
# time into hours of delay a year.
_VOLUME_KPI = "throughput_per_day"
_OPTIONS_KEYS = "name, base and options"


def in_hours_of_delay(kpi: str) -> bool:
    """Whether a KPI is a document's delay in hours (a cycle time), worth ``value_per_hour``."""
    return kpi.startswith("cycle_time_") and KPIS[kpi].unit == "h"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CostItem(_Spec):
    """One figure of an option's cost: an amount in tenge, per person, per body or fixed."""

    item: str = Field(description="What is bought, in words.")
    amount: float = Field(ge=0, description="Tenge per unit (per person, per body, or in all).")
    per: Literal["person", "body", "fixed"] = Field(
        description="person: each person reached (see `people`); body: each body of the base "
        "scenario; fixed: once for all.")
    people: list[str] = Field(
        default_factory=list,
        description="per person: shares of the base scenario's staff reached, summed, as "
        "dotted paths (e.g. staff.literacy.insecure); empty = every employee.")
    remote_only: bool = Field(
        False, description="per person: only those who work from home (remote or hybrid share "
        "of the base scenario).")
    when: Literal["once", "yearly"] = Field(
        description="once: a one-off outlay, annualised over life_years; yearly: every year.")
    life_years: float | None = Field(
        None, gt=0, le=50, description="once: years the outlay serves (default: costs.life_years).")
    source: str = Field(
        description="Where the figure comes from ([key] of docs/sources.md), or 'assumption'.")

    @field_validator("source")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give a source ([key] of docs/sources.md) or the word assumption")
        return value


class OptionSpec(_Spec):
    """One policy option: what it changes in the scenario and what it costs."""

    name: str = Field(description="Short name, used in tables (letters, digits, _ and -).")
    description: str = Field(description="What the option is, in words.")
    set: dict[str, Any] = Field(
        description="Scenario changes as dotted paths; a mapping merges key by key into the "
        "base's, so a share may take a schedule, e.g. staff.literacy: {changes: [...]}.")
    cost: list[CostItem] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _short(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c in "_-" for c in value) or value == BASE_ARM:
            raise ValueError(f"{value!r} is not allowed: letters, digits, _ and - only, and not "
                             f"{BASE_ARM!r}")
        return value

    @field_validator("set")
    @classmethod
    def _changes(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("an option must change something: give at least one dotted path")
        return value


class Objective(_Spec):
    """A KPI that counts, and whether lower or higher is better."""

    kpi: str
    direction: Literal["min", "max"] | None = Field(
        None, description="min or max; default from the KPI (lower cycle time is better...).")

    @field_validator("kpi")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in KPIS:
            raise ValueError(f"unknown KPI {value!r}{suggest(value, KPIS)}")
        return value

    @property
    def sign(self) -> float:
        """+1 when higher is better, -1 when lower is."""
        direction = self.direction or ("max" if KPIS[self.kpi].higher_is_better else "min")
        return 1.0 if direction == "max" else -1.0


class CostSettings(_Spec):
    """How one-off outlays become a cost per year."""

    discount_rate: float = Field(
        0.10, ge=0, le=1, description="Real discount rate a year (assumption; state it).")
    life_years: float = Field(
        5.0, gt=0, le=50, description="Years a one-off outlay serves unless its item says.")
    currency: str = Field("KZT", description="Currency of every amount (tenge).")


class Selection(_Spec):
    """Kim and Nelson's fully sequential procedure: its error rate and indifference zone."""

    alpha: float = Field(0.05, gt=0, lt=0.5, description="1 - the probability of a correct "
                         "selection when the best is better by the indifference zone or more.")
    indifference: float = Field(
        1.0, gt=0, description="Smallest difference worth finding, in the first objective's "
        "unit (e.g. 1 hour of mean cycle time).")
    bootstrap: int = Field(1000, ge=100, le=100_000, description="Bootstrap draws.")


class OptionsFile(_Spec):
    """The options file's schema."""

    name: str = Field(description="Short name used in output folders.")
    description: str = ""
    base: str = Field(description="Base scenario file, relative to the options file.")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="Fixed overrides of the base, as dotted paths.")
    platform: ArchitectureName | None = Field(
        None, description="The architecture the options are evaluated on (default: the base "
        "scenario's first platform).")
    seed: int | None = Field(None, ge=0, lt=2**63)
    replications: int = Field(3, ge=2, le=1000, description="Replications of every arm first.")
    max_replications: int | None = Field(
        None, ge=2, le=1000, description="Replications an arm may reach by the sequential "
        "procedure (default: replications, i.e. no sequential stage).")
    combinations: bool | None = Field(
        None, description=f"Run every combination of options too (default: when there are "
        f"{MAX_COMBINED} or fewer).")
    objectives: list[Objective] = Field(
        default_factory=lambda: [Objective(kpi=k) for k in DEFAULT_OBJECTIVES])
    costs: CostSettings = Field(default_factory=CostSettings)
    budget: float | None = Field(None, gt=0, description="Tenge a year (annualised cost).")
    value_per_hour: float | None = Field(
        None, ge=0, description="Tenge one hour of delay saved on one document is worth.")
    working_days_per_year: float | None = Field(
        None, gt=0, le=366, description="Working days a year, to turn documents a working day "
        "into documents a year (default: the base scenario's calendar, the 365 days from its "
        "start date).")
    selection: Selection = Field(default_factory=Selection)
    office_from: Literal["arm", "base"] = Field(
        "base", description="With start.office: working, whose office every arm starts from: "
        "the base's (today's office; the option takes effect from the run's first day, and "
        "one snapshot per replication serves every arm) or its own (a snapshot per arm and "
        "replication: the office as it would stand had the option always been in force).")
    options: list[OptionSpec]

    @field_validator("options")
    @classmethod
    def _at_least_one(cls, value: list[OptionSpec]) -> list[OptionSpec]:
        if not value:
            raise ValueError("the list is empty; give at least one option (name, description, "
                             "set, cost)")
        return value

    @field_validator("objectives", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"kpi": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("objectives")
    @classmethod
    def _some(cls, value: list[Objective]) -> list[Objective]:
        if not value:
            raise ValueError("objectives must name at least one KPI")
        names = [o.kpi for o in value]
        if len(set(names)) != len(names):
            raise ValueError(f"objectives name a KPI twice: {names}")
        return value


@dataclass(frozen=True)
class Arm:
    """One thing evaluated: the base, an option, or a combination; its members and costs."""

    index: int
    name: str
    members: tuple[str, ...]
    cost_per_year: float  # annualised tenge a year
    one_off: float  # tenge spent once
    yearly: float  # tenge spent every year


@dataclass
class OptionsStudy:
    """A checked options file: its base, its arms and every arm's scenario."""

    path: Path
    spec: OptionsFile
    base: Scenario
    arms: list[Arm]
    scenarios: list[Scenario] = field(repr=False)
    costs: pd.DataFrame = field(repr=False)

    @property
    def name(self) -> str:
        """The study's name."""
        return self.spec.name

    @property
    def seed(self) -> int:
        """Root seed: the file's, else the base scenario's."""
        return self.base.seed if self.spec.seed is None else self.spec.seed

    @property
    def platform(self) -> str:
        """The architecture every arm runs on."""
        return self.spec.platform or self.base.platforms[0]

    @property
    def objectives(self) -> list[Objective]:
        """The KPIs that count, the first deciding the frontier and the selection."""
        return list(self.spec.objectives)

    @property
    def kpis(self) -> list[str]:
        """KPIs stored per run: the objectives and the document volume."""
        return list(dict.fromkeys([*(o.kpi for o in self.objectives), _VOLUME_KPI]))

    @property
    def option_names(self) -> list[str]:
        """The options, in file order."""
        return [o.name for o in self.spec.options]

    def fingerprint(self) -> str:
        """A hash of everything that decides the runs (not how many): resuming needs the same."""
        blob = json.dumps({
            "arms": [a.name for a in self.arms],
            "scenarios": [s.model_dump(mode="json") for s in self.scenarios],
            "platform": self.platform, "seed": self.seed, "kpis": self.kpis,
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def annuity_factor(rate: float, years: float) -> float:
    """Capital recovery factor: the yearly payment that repays 1 over ``years`` at ``rate``."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def _share_at(data: dict[str, Any], path: str, where: str) -> float:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            allowed = node if isinstance(node, dict) else {}
            raise OptionsFileError(f"{where}: {path!r} is not a share of the base scenario"
                                   f"{suggest(part, allowed) if allowed else ''}")
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, (int, float)) or not 0 <= node <= 1:
        raise OptionsFileError(f"{where}: {path!r} is {node!r} in the base scenario, not a "
                               f"share in [0, 1]")
    return float(node)


def cost_rows(spec: OptionsFile, base: Scenario, source: str) -> pd.DataFrame:
    """Every cost item of every option: units reached, tenge once, a year, and annualised."""
    data = base.model_dump(mode="python")
    staff = sum(b.count * b.staff for b in base.bodies)
    bodies = sum(b.count for b in base.bodies)
    remote = base.staff.remote_share + base.staff.hybrid_share
    rows = []
    for i, option in enumerate(spec.options):
        for j, item in enumerate(option.cost):
            where = f"{source}: options.{i}.cost.{j}.people"
            if item.per == "person":
                share = (sum(_share_at(data, p, where) for p in item.people)
                         if item.people else 1.0)
                units = staff * share * (remote if item.remote_only else 1.0)
            elif item.people or item.remote_only:
                raise OptionsFileError(f"{source}: options.{i}.cost.{j}: people and remote_only "
                                       f"go with per: person, not per: {item.per}")
            else:
                units = float(bodies if item.per == "body" else 1)
            total = item.amount * units
            life = item.life_years or spec.costs.life_years
            once = total if item.when == "once" else 0.0
            yearly = total if item.when == "yearly" else 0.0
            rows.append({"option": option.name, "item": item.item, "per": item.per,
                         "units": units, "amount": item.amount, "when": item.when,
                         "life_years": life if item.when == "once" else math.nan,
                         "one_off": once, "yearly": yearly,
                         "annualised": yearly + once * annuity_factor(
                             spec.costs.discount_rate, life),
                         "source": item.source})
    columns = ["option", "item", "per", "units", "amount", "when", "life_years", "one_off",
               "yearly", "annualised", "source"]
    return pd.DataFrame(rows, columns=columns)


def _arm_members(names: list[str], combine: bool) -> list[tuple[str, ...]]:
    if not combine:
        return [(), *((n,) for n in names)]
    return [c for size in range(len(names) + 1) for c in itertools.combinations(names, size)]


def _check_overlaps(options: list[OptionSpec], source: str) -> None:
    """Two options that set the same field (or one inside the other) cannot be combined."""
    for a, b in itertools.combinations(options, 2):
        for pa in a.set:
            for pb in b.set:
                x, y = pa.split("."), pb.split(".")
                if x[:len(y)] == y or y[:len(x)] == x:
                    shared = pa if len(x) <= len(y) else pb
                    raise OptionsFileError(
                        f"{source}: options {a.name!r} and {b.name!r} both set {shared}; "
                        f"combined, one would undo the other: merge them into one option, or "
                        f"set combinations: false")


def _set_path(data: dict[str, Any], path: str, value: Any, where: str) -> None:
    """Set a dotted path; a mapping merges into the mapping already there (as extends: does)."""
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    current = node.get(parts[-1]) if isinstance(node, dict) else None
    if isinstance(value, dict) and isinstance(current, dict):
        value = deep_merge(current, value)
    apply_override(data, parts, value, where)


def _arm_scenario(resolved: dict[str, Any], members: tuple[str, ...],
                  options: dict[str, OptionSpec], source: str, from_base: bool) -> Scenario:
    data = deep_merge(resolved, {})
    label = (f"option {members[0]!r}" if len(members) == 1 else
             f"combination {' + '.join(members)}" if members else "the base")
    changed = []
    for name in members:
        for path, value in options[name].set.items():
            _set_path(data, path, value, f"{source}: options {name!r}: set.{path}")
            changed.append(path)
    if from_base:
        start_from_base_office(data, resolved, changed, f"{source}: {label}")
    return scenario_from_dict(data, f"{source}: {label}")


def options_from_dict(raw: dict[str, Any], path: Path,
                      overrides: list[str] | None = None) -> OptionsStudy:
    """Check a parsed options file (``path`` locates the base) and build every arm's scenario."""
    source = str(path)
    if "base" not in raw and "bodies" in raw:
        raise OptionsFileError(f"{source}: this is a scenario file, not an options file: run it "
                               f"with `sim run {source}`, or name it as base: in an options file")
    try:
        spec = OptionsFile.model_validate(raw)
    except ValidationError as exc:
        raise OptionsFileError(first_error(exc, source, OptionsFile)) from None
    names = [o.name for o in spec.options]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise OptionsFileError(f"{source}: options: the name {twice[0]!r} is used twice; each "
                               f"option needs its own name")
    if spec.max_replications is not None and spec.max_replications < spec.replications:
        raise OptionsFileError(f"{source}: max_replications: {spec.max_replications} is below "
                               f"replications: {spec.replications}")
    base = load_base(path, spec.base, spec.set, overrides, source, OptionsFileError)
    if spec.value_per_hour is not None and not in_hours_of_delay(spec.objectives[0].kpi):
        raise OptionsFileError(f"{source}: value_per_hour needs a cycle time as the first "
                               f"objective (e.g. cycle_time_mean_h), not "
                               f"{spec.objectives[0].kpi}")
    combine = spec.combinations if spec.combinations is not None else \
        len(spec.options) <= MAX_COMBINED
    if combine and len(spec.options) > 10:
        raise OptionsFileError(f"{source}: combinations: true with {len(spec.options)} options "
                               f"makes {2 ** len(spec.options):,} arms; at most 10 options")
    if combine:
        _check_overlaps(spec.options, source)
    costs = cost_rows(spec, base, source)
    by_option = costs.groupby("option")[["annualised", "one_off", "yearly"]].sum()
    resolved = base.model_dump(mode="python")
    options = {o.name: o for o in spec.options}
    arms, scenarios = [], []
    for index, members in enumerate(_arm_members(names, combine)):
        sums = by_option.reindex(list(members)).fillna(0.0).sum()
        arms.append(Arm(index, " + ".join(members) or BASE_ARM, members,
                        float(sums.get("annualised", 0.0)), float(sums.get("one_off", 0.0)),
                        float(sums.get("yearly", 0.0))))
        scenarios.append(_arm_scenario(resolved, members, options, source,
                                       spec.office_from == "base"))
    return OptionsStudy(path, spec, base, arms, scenarios, costs)


def with_replications(study: OptionsStudy, replications: int | None = None,
                      max_replications: int | None = None) -> OptionsStudy:
    """The study with the command line's replications (first stage, and the most) in its spec.

    Raises :class:`~sim.config.errors.InputError` when they do not fit together.
    """
    from sim.config.errors import InputError

    first = replications or study.spec.replications
    most = max_replications or study.spec.max_replications or first
    if first < 2:
        raise InputError(f"--replications {first}: at least 2 (a paired interval and the "
                         f"sequential procedure need two)")
    if most < first:
        raise InputError(f"--max-replications {most} is below --replications {first}")
    spec = study.spec.model_copy(update={"replications": first, "max_replications": most})
    return OptionsStudy(study.path, spec, study.base, study.arms, study.scenarios, study.costs)


def load_options(path: str | Path, overrides: list[str] | None = None) -> OptionsStudy:
    """Read, check and resolve an options file; ``overrides`` apply to the base (``--set``)."""
    path = Path(path)
    words = f"an options file: a mapping with at least {_OPTIONS_KEYS}"
    return options_from_dict(read_yaml(path, (words, words)), path, overrides)


# --------------------------------------------------------------------------- evaluation


@dataclass
class EvaluationOutcome:
    """What an evaluation did: runs made, found stored, failed; the rounds it took."""

    out_dir: Path
    ran: int = 0
    skipped: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    rounds: int = 0
    elapsed_s: float = 0.0
    not_run: int = 0


Progress = Callable[[int, int, int], None]


def open_options_store(study: OptionsStudy, out_dir: Path) -> Any:
    """The options folder's result store, created or checked against this study."""
    from sim.experiments.store import ResultStore

    return ResultStore(out_dir / STORE_NAME, ["option"], study.kpis, study.fingerprint(),
                       {"sweep": study.name, "kind": "options", "seed": study.seed,
                        "platform": study.platform, "arms": [a.name for a in study.arms]})


def run_values(runs: pd.DataFrame, study: OptionsStudy, kpi: str) -> list[np.ndarray]:
    """Per arm, its finished runs' values of ``kpi`` by replication 0, 1, ... (NaN where none)."""
    ok = runs[runs.status == "ok"]
    out = []
    for arm in study.arms:
        rows = ok[ok.point == arm.index].set_index("replication")[kpi]
        n = int(rows.index.max()) + 1 if len(rows) else 0
        values = np.full(n, np.nan)
        values[rows.index.to_numpy(dtype=int)] = rows.to_numpy(dtype=float)
        out.append(values)
    return out


def selection_scores(study: OptionsStudy, runs: pd.DataFrame,
                     volume: float | None = None) -> tuple[list[np.ndarray], float]:
    """Per arm and replication, the score the selection maximises, and the indifference zone.

    The first objective, signed so that higher is better; with ``value_per_hour`` its hours
    less the arm's cost a year in hours' worth (net benefit per document-year, in hours of mean
    cycle time), so that the best arm is the one of most net benefit. Without a value, arms
    over ``budget`` are left out (score -inf: they cannot be chosen).
    """
    objective = study.objectives[0]
    values = run_values(runs, study, objective.kpi)
    spec = study.spec
    if volume is None:
        volume = documents_per_year(study, runs)
    scores = []
    for arm, v in zip(study.arms, values, strict=True):
        score = objective.sign * v
        if spec.value_per_hour:
            score = score - arm.cost_per_year / (spec.value_per_hour * volume)
        elif spec.budget is not None and arm.cost_per_year > spec.budget:
            score = np.full_like(score, -np.inf)
        scores.append(score)
    return scores, spec.selection.indifference


def documents_per_year(study: OptionsStudy, runs: pd.DataFrame) -> float:
    """Documents completed a year in the base arm: its first replications' mean throughput.

    Only the first ``replications`` count, so the figure is fixed once they are done and the
    sequential stage does not move it.
    """
    base = run_values(runs, study, _VOLUME_KPI)[0][:study.spec.replications]
    mean = float(np.nanmean(base)) if np.isfinite(base).any() else math.nan
    return mean * working_days_per_year(study)


def working_days_per_year(study: OptionsStudy) -> float:
    """The file's working days a year, else those of the base's calendar from its start."""
    if study.spec.working_days_per_year is not None:
        return study.spec.working_days_per_year
    from sim.model.calendar import WorkCalendar

    calendar = WorkCalendar(study.base.calendar)
    return float(sum(calendar.is_working_day(d) for d in range(365)))


def next_runs(study: OptionsStudy, runs: pd.DataFrame, max_replications: int,
              first: int) -> tuple[list[tuple[int, int]], Any]:
    """The (arm, replication) runs still needed, and the selection's state.

    The first ``first`` replications of every arm; then, round after round, the next
    replication of the base and of every arm still in contention, until one is left or
    ``max_replications`` is reached. A pure function of the stored runs.
    """
    from sim.experiments.selection import kim_nelson

    ok = runs[runs.status == "ok"]
    have = set(zip(ok.point.astype(int), ok.replication.astype(int), strict=True))
    todo = [(a.index, r) for a in study.arms for r in range(first) if (a.index, r) not in have]
    if todo:
        return todo, None
    scores, delta = selection_scores(study, runs)
    eligible = [i for i, s in enumerate(scores) if not np.isneginf(s[:first]).any()]
    state = kim_nelson([scores[i] for i in eligible], first, delta, study.spec.selection.alpha,
                       max_rounds=max_replications)
    state.survivors = [eligible[i] for i in state.survivors]
    state.eliminated = {eligible[i]: r for i, r in state.eliminated.items()}
    if state.decided or state.rounds >= max_replications:
        return [], state
    r = state.rounds
    # The base runs every round (it is what effects are paired against), even once screened out.
    todo = sorted({(0, q) for q in range(r + 1)} | {(i, r) for i in state.survivors})
    return [t for t in todo if t not in have], state


def evaluate(study: OptionsStudy, out_dir: str | Path, workers: int | None = None,
             scheduler: str | None = None, progress: Progress | None = None,
             before_runs: Callable[[], None] | None = None) -> EvaluationOutcome:
    """Run every needed run of ``study`` not already stored in ``out_dir``'s store.

    ``replications`` of every arm (the study's; :func:`with_replications` sets them from the
    command line), then the sequential stage up to ``max_replications`` (default: none). A run
    that raises is stored as failed and the evaluation stops after its round (a rerun tries it
    again). ``before_runs`` is called once before the first new run (to drop outputs the store
    is about to outdate).
    """
    from concurrent.futures.process import BrokenProcessPool

    from sim.experiments.executors import RunPool, execute_run

    out_dir = Path(out_dir)
    clock = time.perf_counter()
    first = study.spec.replications
    most = max(first, study.spec.max_replications or first)
    outcome = EvaluationOutcome(out_dir)
    store = open_options_store(study, out_dir)
    try:
        outcome.skipped = len(store.finished())
        with RunPool(workers, scheduler) as pool:
            while True:
                todo, _state = next_runs(study, store.frame(), most, first)
                if not todo:
                    break
                if outcome.rounds == 0 and before_runs is not None:
                    before_runs()
                outcome.rounds += 1
                calls = [(study.scenarios[a], study.platform, r, study.seed, study.kpis)
                         for a, r in todo]
                failed_before = len(outcome.failed)
                done = 0
                if progress is not None:
                    progress(0, len(todo), 0)
                try:
                    for index, get in pool.as_completed(execute_run, calls, scatter=(0,)):
                        arm, r = todo[index]
                        try:
                            result = get()
                        except BrokenProcessPool:
                            raise
                        except Exception as exc:  # noqa: BLE001 - e.g. lost on a Dask cluster
                            result = {"status": "failed", "error": f"{type(exc).__name__}: "
                                      f"{exc}", "kpis": None}
                        row = {"run_id": arm * 10_000 + r, "point": arm, "replication": r,
                               "platform": study.platform, "seed": study.seed,
                               "params": {"option": study.arms[arm].name}, **result}
                        store.record(row)
                        outcome.ran += 1
                        done += 1
                        if result["status"] != "ok":
                            outcome.failed.append(row)
                        if progress is not None:
                            progress(done, len(todo), len(outcome.failed))
                except BrokenProcessPool:
                    outcome.not_run = len(todo) - done
                    break
                if len(outcome.failed) > failed_before:
                    break  # a failed run would be asked for again and again: stop, say so
    finally:
        store.close()
    outcome.elapsed_s = time.perf_counter() - clock
    return outcome
