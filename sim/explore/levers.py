"""The explorer's levers: one table of what a page control changes in a scenario.

Each :class:`Lever` names the scenario field it sets, its unit, its range or choices, where its
default comes from, and how a value becomes ``--set`` overrides. A setting is applied exactly as
``sim run SCENARIO --set ...`` applies it (:func:`scenario_with`), so the explorer's numbers are
the command line's and a bad value gets the command line's one-line message. To point a control
at another field (a per-person factor, say), change its row here and nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config import Scenario, load_scenario

__all__ = ["Lever", "LEVERS", "SCENARIO_MIX", "lever_values", "overrides_for", "scenario_with",
           "describe_setting", "source_of", "mix_presets", "mix_words", "shipped_scenarios"]

#: Where a mix lever's presets come from: the schema's default and shipped scenario files, read
#: when asked for, so that no share is written twice.
_MIX_SOURCES: dict[str, tuple[str, ...]] = {
    "staff.home_internet": ("poor_internet.yaml",),
    "staff.equipment": ("training_and_equipment.yaml",),
}
SCENARIO_MIX = "scenario"  #: the select's value that keeps the scenario's own mix


def _field_value(scenario: Scenario, path: str) -> Any:
    value: Any = scenario
    for part in path.split("."):
        value = getattr(value, part)
    return value


@functools.cache
def _presets(path: str) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    from sim.config.schema import StaffSpec

    out = {"default": dict(getattr(StaffSpec(), path.split(".")[-1]))}
    folder = shipped_scenarios()
    for name in _MIX_SOURCES.get(path, ()):
        if folder is not None and (folder / name).is_file():
            out[name] = dict(_field_value(load_scenario(folder / name), path))
    return tuple((name, tuple(mix.items())) for name, mix in out.items())


def mix_presets(path: str) -> dict[str, dict[str, float]]:
    """The mixes offered for a mix field: ``default`` (the schema's), then shipped files'."""
    return {name: dict(mix) for name, mix in _presets(path)}


def shipped_scenarios() -> Path | None:
    """The shipped ``scenarios/`` folder: here, or beside the package."""
    for root in (Path("scenarios"), Path(__file__).resolve().parents[2] / "scenarios"):
        if root.is_dir():
            return root
    return None


def mix_words(name: str, mix: Mapping[str, float]) -> str:
    """A mix in words: ``default: urban_fibre 45%, urban_mobile 30%, ...``."""
    shares = ", ".join(f"{k} {v:.0%}" for k, v in mix.items())
    return f"{name}: {shares}"


def _share(path: str) -> Callable[[Any], list[str]]:
    return lambda value: [f"{path}={float(value):g}"]


def _mix(path: str) -> Callable[[Any], list[str]]:
    def overrides(value: Any) -> list[str]:
        if value == SCENARIO_MIX:
            return []
        body = ", ".join(f"{k}: {v:g}" for k, v in mix_presets(path)[value].items())
        return [f"{path}={{{body}}}"]
    return overrides


def _number(value: Any) -> str:
    """A typed number as ``--set`` text; anything else (an empty box) as it is.

    The scenario's validation then names what is wrong with it, as for a typed ``--set``.
    """
    if isinstance(value, int | float):
        return f"{value:g}"
    return "" if value is None else str(value)


def _insecure(value: Any) -> list[str]:
    x = float(value)
    return [f"staff.literacy={{advanced: {1.0 - x:g}, insecure: {x:g}}}"]


def _mix_name(path: str) -> Callable[[Scenario], str]:
    """The preset a scenario's mix is, or :data:`SCENARIO_MIX` when it is none of them."""
    def read(scenario: Scenario) -> str:
        shares = _field_value(scenario, path)
        for name, mix in mix_presets(path).items():
            if all(abs(shares.get(k, 0.0) - v) < 1e-9 for k, v in mix.items()):
                return name
        return SCENARIO_MIX
    return read


@dataclass(frozen=True)
class Lever:
    """A control of the page: the scenario field it sets and how.

    ``kind`` is ``slider`` (``low``..``high`` by ``step``), ``number`` (a typed value, checked
    by the scenario's own validation, so that an out-of-range value shows the CLI's message)
    or ``select`` (a mix: :meth:`choices` lists the presets). ``read`` gives the scenario's
    current value, ``overrides`` the ``--set`` texts of a value; ``field_path`` is the schema
    field whose description (its source, or "assumption") the page shows beside the control.
    """

    name: str
    label: str
    unit: str
    kind: str
    field_path: str
    read: Callable[[Scenario], Any]
    overrides: Callable[[Any], list[str]]
    low: float | None = None
    high: float | None = None
    step: float | None = None

    def choices(self) -> dict[str, str]:
        """A select's values and their words: the scenario's own mix, then the presets."""
        if self.kind != "select":
            return {}
        presets = mix_presets(self.field_path)
        return {SCENARIO_MIX: "as in the scenario",
                **{name: mix_words(name, mix) for name, mix in presets.items()}}


LEVERS: list[Lever] = [
    Lever("remote_share", "Remote share", "share of staff", "slider", "staff.remote_share",
          lambda s: s.staff.remote_share, _share("staff.remote_share"), 0.0, 1.0, 0.05),
    Lever("home_internet", "Home internet", "mix of connection classes", "select",
          "staff.home_internet",
          _mix_name("staff.home_internet"), _mix("staff.home_internet")),
    Lever("insecure_literacy", "Insecure digital literacy", "share of staff", "slider",
          "staff.literacy", lambda s: s.staff.literacy.get("insecure", 0.0), _insecure,
          0.0, 1.0, 0.01),
    Lever("equipment", "Home equipment", "mix of equipment classes", "select",
          "staff.equipment", _mix_name("staff.equipment"), _mix("staff.equipment")),
    Lever("ui_time_factor", "Cloud UI factor of its detractors", "x ESED's UI time", "slider",
          "platform.osdo.ui_time_factors.detractors",
          lambda s: s.platform.osdo.ui_time_factors["detractors"],
          _share("platform.osdo.ui_time_factors.detractors"), 0.5, 3.0, 0.05),
    Lever("horizon_days", "Horizon", "working days", "number", "horizon_days",
          lambda s: s.horizon_days, lambda v: [f"horizon_days={_number(v)}"], 1, 2600, 1),
]


def lever_values(scenario: Scenario) -> dict[str, Any]:
    """Every lever's value in ``scenario`` (the page's starting position)."""
    return {lever.name: lever.read(scenario) for lever in LEVERS}


def overrides_for(values: Mapping[str, Any], base: Mapping[str, Any] | None = None
                  ) -> list[str]:
    """The ``--set`` texts of ``values``: only the levers moved from ``base`` (if given).

    A lever left where the scenario has it adds nothing, so an untouched page runs the scenario
    file itself.
    """
    out: list[str] = []
    for lever in LEVERS:
        if lever.name not in values:
            continue
        value = values[lever.name]
        if base is not None and _same(base.get(lever.name), value):
            continue
        out += lever.overrides(value)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def scenario_with(path: str | Path, overrides: list[str]) -> Scenario:
    """The scenario file with the overrides, as ``sim run PATH --set ...`` loads it.

    Raises the same :class:`sim.config.InputError` (one line naming the file or ``--set``, the
    field and what is allowed) as the command line prints.
    """
    return load_scenario(path, overrides)


def source_of(lever: Lever) -> str:
    """The schema's description of the lever's field: its meaning and source."""
    from sim.config.schema import Scenario as Schema

    model: Any = Schema
    info = None
    for part in lever.field_path.split("."):
        if not hasattr(model, "model_fields"):
            break  # a key of a mapping field (a preference group): the field describes it
        info = model.model_fields[part]
        model = info.annotation
        if info.default_factory is not None:
            model = type(info.default_factory())
    return (info.description or "") if info is not None else ""


def describe_setting(values: Mapping[str, Any]) -> str:
    """A setting in a few words, e.g. ``remote 80%, insecure 39%, UI x1.10, 40 days``."""
    parts = []
    for lever in LEVERS:
        if lever.name not in values:
            continue
        v = values[lever.name]
        if lever.kind == "select":
            parts.append(f"{lever.label.lower()}: {v}")
        elif lever.unit == "share of staff":
            parts.append(f"{lever.label.lower()} {float(v):.0%}")
        elif lever.name == "horizon_days":
            parts.append(f"{int(v)} days")
        else:
            parts.append(f"{lever.label.lower()} x{float(v):.2f}")
    return ", ".join(parts)
