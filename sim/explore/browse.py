"""Folders the explorer opens read-only: a sweep folder and an options folder.

A sweep folder (``sim sweep``) has runs.csv, points.csv and plots/, and after ``sim
sensitivity`` sensitivity.csv; an options folder (``sim options``) has options.csv (one row per
option: ``option``, ``cost``, per objective KPI ``<kpi>_effect``, ``<kpi>_low``,
``<kpi>_high``, ``on_frontier``, ``prob_best``) and figures. Each file is read if present and
checked only for what the page uses; a folder that is neither says so in one line. Nothing here
writes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.config.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BrowseError", "SweepFolder", "OptionsFolder", "folder_kind", "read_sweep",
           "read_options", "png_base64", "what_is"]

OPTIONS_FILE = "options.csv"
_OPTIONS_COLUMNS = ("option", "cost")


class BrowseError(InputError):
    """A folder the explorer cannot open (the message says which and why)."""


def what_is(target: str | Path) -> str:
    """What ``sim explore`` was given: ``scenario``, ``run``, ``sweep`` or ``options``."""
    path = Path(target)
    if path.is_file():
        return "scenario"
    if not path.is_dir():
        raise BrowseError(f"{path}: no such file or folder; give a scenario file, a run folder "
                          "(sim run), a sweep folder (sim sweep) or an options folder "
                          "(sim options)")
    if (path / "summary.json").is_file():
        return "run"
    return folder_kind(path)


def folder_kind(folder: str | Path) -> str:
    """``sweep`` or ``options``; :class:`BrowseError` naming what was expected otherwise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BrowseError(f"{folder}: not a folder; give a sweep folder (runs.csv, points.csv) "
                          "or an options folder (options.csv)")
    if (folder / OPTIONS_FILE).is_file():
        return "options"
    if (folder / "runs.csv").is_file() or (folder / "points.csv").is_file():
        return "sweep"
    raise BrowseError(f"{folder}: neither a sweep folder (runs.csv or points.csv, written by "
                      "`sim sweep`) nor an options folder (options.csv, written by `sim "
                      "options`)")


def _csv(path: Path) -> pd.DataFrame | None:
    import pandas as pd  # when a folder is opened: the page is served before pandas loads

    if not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BrowseError(f"{path}: not a readable CSV table ({exc})") from None


def _pngs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png")) if folder.is_dir() else []


def png_base64(path: Path) -> str:
    """A PNG file as base64 text, for an inline image (no request to the server)."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


@dataclass
class SweepFolder:
    """A sweep folder's tables and figures (each None or empty when absent)."""

    folder: Path
    runs: pd.DataFrame | None
    points: pd.DataFrame | None
    sensitivity: pd.DataFrame | None
    plots: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The folder's name."""
        return self.folder.name

    def parameters(self) -> list[str]:
        """The swept parameters: the dotted columns of runs.csv (or points.csv)."""
        table = self.runs if self.runs is not None else self.points
        return [c for c in table.columns if "." in c] if table is not None else []


def read_sweep(folder: str | Path) -> SweepFolder:
    """Read a sweep folder; :class:`BrowseError` if it is not one."""
    folder = Path(folder)
    if folder_kind(folder) != "sweep":
        raise BrowseError(f"{folder}: an options folder, not a sweep folder")
    plots = [p for p in _pngs(folder / "plots")]
    return SweepFolder(folder, _csv(folder / "runs.csv"), _csv(folder / "points.csv"),
                       _csv(folder / "sensitivity.csv"), plots)


@dataclass
class OptionsFolder:
    """An options folder: options.csv checked for the columns the page uses, and figures."""

    folder: Path
    options: pd.DataFrame
    kpis: list[str]
    figures: list[Path] = field(default_factory=list)

    def frontier(self) -> pd.DataFrame:
        """The options on the cost-effect frontier, cheapest first (all when not marked)."""
        table = self.options
        if "on_frontier" in table:
            marked = table.on_frontier.astype(str).str.lower().isin(["true", "1", "yes"])
            table = table[marked]
        return table.sort_values("cost") if "cost" in table else table

    def ranking(self) -> pd.DataFrame:
        """Options by their probability of being best (highest first), when given."""
        if "prob_best" not in self.options:
            return self.options
        return self.options.sort_values("prob_best", ascending=False)


def read_options(folder: str | Path) -> OptionsFolder:
    """Read an options folder; :class:`BrowseError` naming a missing column or file."""
    folder = Path(folder)
    table = _csv(folder / OPTIONS_FILE)
    if table is None:
        raise BrowseError(f"{folder}: {OPTIONS_FILE} is missing; is this an options folder "
                          "written by `sim options`?")
    missing = [c for c in _OPTIONS_COLUMNS if c not in table]
    if missing:
        raise BrowseError(f"{folder / OPTIONS_FILE}: no column {', '.join(missing)}; expected "
                          "option, cost and per KPI <kpi>_effect, <kpi>_low, <kpi>_high")
    kpis = [c[:-len("_effect")] for c in table.columns if c.endswith("_effect")]
    figures = _pngs(folder) + _pngs(folder / "plots") + _pngs(folder / "figures")
    return OptionsFolder(folder, table, kpis, figures)
