"""``sim report RUN_DIR``: one self-contained HTML page about a run, for people who plan.

The page holds the scenario in plain words, every KPI with its 95% confidence interval (and the
paired OSDO-ESED difference when both ran), where the time goes, the plots (PNG, base64-embedded:
the file opens anywhere, offline) and findings written from the numbers. A finding only claims
what its interval supports: a difference whose interval includes zero is one OSDO and ESED could
not be told apart on, a wide one gives a direction only, few replications or a run that had not
settled come with a caution, and a single replication gives no intervals and says so. Numbers
are in their units (:func:`sim.experiments.comparison.format_value`).

``sim report`` takes a run folder (``summary.json``) or a sweep folder
(:mod:`sim.outputs.sweep_report`); :func:`folder_kind` tells them apart.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import InputError, Scenario, ScenarioError, load_scenario
from sim.config.architectures import ARCHITECTURES, PAIR
from sim.config.architectures import architecture_label as named
from sim.experiments.comparison import format_value, run_notes, verdict
from sim.experiments.statistics import (
    MIN_INTERVAL_REPLICATIONS,
    interval_words,
    mean_ci,
    shown_ci,
)
from sim.experiments.store import replacing
from sim.model.calendar import WorkCalendar, run_horizon_min, warmup_marks
from sim.model.documents import DELAY_COMPONENTS
from sim.outputs import assumptions
from sim.outputs.over_time import (
    EVENT_COLUMNS,
    WAVE_WINDOW_WEEKS,
    WEEK_MIN,
    distinct_events,
    peak_weeks,
    shows_over_time,
    wave_effects,
    weekly,
)
from sim.outputs.run_folder import PAIRED_KEY
from sim.outputs.words import (
    COMPONENT_WORDS,
    component_words,
    date_words,
    event_kind_words,
    event_reach_words,
    week_words,
)

__all__ = ["ReportError", "RunData", "load_run", "findings", "over_time_words", "render",
           "write_report", "folder_kind", "COMPONENT_WORDS", "RECOVERY_KPI", "LATE_KPI"]

REPORT_NAME = "report.html"
#: KPIs of incidents: working days until the open documents are back in their pre-incident
#: range, and documents late because of them. The report speaks of them when a run has them.
RECOVERY_KPI, LATE_KPI = "incident_recovery_days", "incident_late_documents"
EXCESS_KPI = "incident_excess_days"
# weekly.csv's number columns: an empty field is NaN there, but '' in the events column.
_WEEKLY_NUMBERS = ("completed", "open_documents", "open_documents_min", "open_documents_max",
                   "on_time_rate", "staff_online", "waves_in_effect")


class ReportError(InputError):
    """A run folder that cannot be reported on (the message says which file and why)."""


class RunData:
    """What a run folder holds, loaded once."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        summary_json = run_dir / "summary.json"
        if not run_dir.is_dir():
            raise ReportError(f"{run_dir}: not a folder; give a run folder written by `sim run`")
        for name in ("summary.json", "summary.csv", "timeseries.csv", "scenario.resolved.yaml"):
            if not (run_dir / name).is_file():
                raise ReportError(f"{run_dir}: {name} is missing; is this a run folder written "
                                  "by `sim run`?")
        try:
            self.meta: dict = json.loads(summary_json.read_text())
        except json.JSONDecodeError as exc:
            raise ReportError(f"{summary_json}: not valid JSON ({exc})") from exc
        self.summary = pd.read_csv(run_dir / "summary.csv")
        self.timeseries = pd.read_csv(run_dir / "timeseries.csv")
        docs = run_dir / "documents.csv"
        self.documents = pd.read_csv(docs, low_memory=False) if docs.is_file() else None
        try:
            self.scenario: Scenario = load_scenario(run_dir / "scenario.resolved.yaml")
        except ScenarioError as exc:
            raise ReportError(str(exc)) from exc
        self.calendar = WorkCalendar(self.scenario.calendar)
        self.horizon_min = run_horizon_min(self.scenario)
        self.platforms: list[str] = list(self.meta["platforms"])
        self.intervals: dict = self.meta["platforms"]
        self.paired: dict = self.meta.get(PAIRED_KEY, {})
        self.descriptions: dict[str, str] = self.meta["kpi_descriptions"]
        self.events, self.weekly = self._over_time()

    def _over_time(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The policy events and the weekly table; made from the other tables when absent.

        Folders written before ``weekly.csv`` and ``events.csv`` existed have no events.
        """
        events_csv, weekly_csv = self.run_dir / "events.csv", self.run_dir / "weekly.csv"
        events = (pd.read_csv(events_csv) if events_csv.is_file()
                  else pd.DataFrame(columns=EVENT_COLUMNS))
        events["affects"] = events.affects.astype(bool)
        if weekly_csv.is_file():
            table = pd.read_csv(weekly_csv, keep_default_na=False,
                                na_values={c: [""] for c in _WEEKLY_NUMBERS})
        else:
            table = weekly(self.timeseries, self.documents, events, self.scenario)
        return events, table


def load_run(run_dir: str | Path) -> RunData:
    """Load a run folder for reporting; :class:`ReportError` if it is not one."""
    return RunData(Path(run_dir))


def folder_kind(folder: str | Path) -> str:
    """What a folder is: ``run``, ``sweep`` or ``options``; :class:`ReportError` otherwise.

    A run folder (of `sim run`) has summary.json, a sweep folder (of `sim sweep`) sweep.sqlite
    or points.csv, an options folder (of `sim options`) options.sqlite or options.csv.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder; give a run folder written by `sim run` (with "
                          "summary.json), a sweep folder written by `sim sweep` (with "
                          "sweep.sqlite and points.csv) or an options folder written by "
                          "`sim options` (with options.sqlite and options.csv)")
    if (folder / "options.sqlite").is_file() or (folder / "options.csv").is_file():
        return "options"
    if (folder / "summary.json").is_file():
        return "run"
    if (folder / "sweep.sqlite").is_file() or (folder / "points.csv").is_file():
        return "sweep"
    raise ReportError(f"{folder}: neither a run folder nor a sweep folder: expected "
                      "summary.json (written by `sim run`), sweep.sqlite / points.csv "
                      "(written by `sim sweep`) or options.sqlite / options.csv (written by "
                      "`sim options`), found none of them")


# --------------------------------------------------------------------------- numbers


def _fmt(x: float | None, ref: float | None = None) -> str:
    """A number with about three significant digits (``ref`` sets the precision)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    r = abs(ref if ref is not None and not math.isnan(ref) else x)
    if r >= 100:
        digits = 0
    elif r >= 10:
        digits = 1
    elif r >= 1 or r == 0:
        digits = 2
    else:
        digits = min(6, 2 - math.floor(math.log10(r)))
    return f"{x:,.{digits}f}"


def _pm(mean: float, half: float | None) -> str:
    """``mean ± half``, both to the half-width's second significant digit."""
    if half is None or math.isnan(half):
        return _fmt(mean)
    if abs(half) <= 1e-9 * max(1.0, abs(mean)):  # identical in every replication (float noise)
        return _fmt(mean)
    digits = max(0, min(6, 1 - math.floor(math.log10(abs(half)))))
    text = f"{mean:,.{digits}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # "-0.0" reads as a claim about the sign
    return f"{text} ± {half:,.{digits}f}"


def _ci_text(ci: dict | None, scale: float = 1.0) -> str:
    """A mean with its 95% half-width, from a ``mean_ci`` dict (``-`` when there is none).

    No half-width from fewer than :data:`MIN_INTERVAL_REPLICATIONS` values.
    """
    if not ci or ci.get("mean") is None or math.isnan(ci["mean"]):
        return "-"
    shown = shown_ci(ci)
    return _pm(shown["mean"] * scale, shown["half_width"] * scale)


def _has_interval(ci: dict | None) -> bool:
    """Whether ``ci`` has an interval that may be shown (enough replications, not NaN)."""
    return bool(ci) and not math.isnan(shown_ci(ci)["half_width"])


def _excludes_zero(ci: dict) -> bool:
    return _has_interval(ci) and (ci["low"] > 0 or ci["high"] < 0)


# --------------------------------------------------------------------------- the scenario


def describe_scenario(run: RunData) -> list[str]:
    """The scenario in plain words: a few sentences, each from the resolved file."""
    s = run.scenario
    staff = s.staff
    bodies = sum(g.count for g in s.bodies)
    people = sum(g.count * g.staff for g in s.bodies)
    kinds: Counter[str] = Counter()
    for g in s.bodies:
        kinds[g.kind] += g.count
    kinds_text = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in kinds.items())
    home = ", ".join(f"{share:.0%} {name.replace('_', ' ')}"
                     for name, share in staff.home_internet.items() if share > 0)
    reps = run.meta.get("replications")
    lines = [
        f"<b>{html.escape(s.name)}</b>: {html.escape(s.description.strip() or 'no description')}",
        f"{bodies} bod{'y' if bodies == 1 else 'ies'} ({kinds_text}) with {people:,} staff in "
        f"all. {staff.remote_share:.0%} of staff work from home"
        + (f" and {staff.hybrid_share:.0%} are hybrid" if staff.hybrid_share else "")
        + f"; {staff.remote_eligible_share:.0%} of staff have duties that can be done remotely"
        + (", so some on-site-only work waits for an office day" if
           staff.remote_share + staff.hybrid_share > staff.remote_eligible_share else "")
        + ".",
        f"Home internet: {home}. Digital literacy: {staff.literacy['insecure']:.0%} insecure "
        f"users; home equipment adequate for {staff.equipment['adequate']:.0%}.",
        f"{s.horizon_days} working days are simulated from {s.calendar.start_date}; the first "
        f"{s.warmup_days} are a warm-up left out of the KPIs.",
        "Architectures compared: " + "; ".join(ARCHITECTURES[p].words if p in ARCHITECTURES else p
                    for p in run.platforms)
        + f". {reps} replication(s) each with seed {run.meta.get('seed')}; every architecture "
        "sees the same staff, documents and handling times (common random numbers), so "
        "differences are paired.",
    ]
    return lines


# --------------------------------------------------------------------------- tables


def kpi_rows(run: RunData) -> list[list[str]]:
    """One row per KPI: name, meaning, each platform's mean ± half-width, paired difference.

    Values in the KPI's unit (shares in %, counts with thousands separators, hours).
    """
    rows = []
    for kpi, meaning in run.descriptions.items():
        row = [kpi, meaning]
        row += [_kpi_text(kpi, run.intervals[p].get(kpi)) for p in run.platforms]
        if run.paired:
            row.append(_kpi_text(kpi, run.paired.get(kpi), difference=True))
        rows.append(row)
    return rows


def _kpi_text(kpi: str, ci: dict | None, difference: bool = False) -> str:
    """A KPI's mean with its 95% half-width in its unit (``-`` when there is none).

    No half-width from fewer than :data:`MIN_INTERVAL_REPLICATIONS` replications.
    """
    if not ci or ci.get("mean") is None:
        return "-"
    shown = shown_ci(ci)
    return format_value(kpi, shown["mean"], shown["half_width"], difference=difference)


def _interval_note(run: RunData) -> str:
    """``1 replication: no interval`` for a table's header when the run had too few (else "")."""
    reps = int(run.meta.get("replications") or 0)
    return interval_words(reps) if reps else ""


def attribution_rows(run: RunData) -> list[list[str]]:
    """Mean share of cycle time per delay component and platform, in % with intervals.

    With the paired OSDO - ESED difference in percentage points when both ran.
    """
    rows = []
    for c in DELAY_COMPONENTS:
        kpi = f"delay_share_{c}"
        row = [c, component_words(c)]
        row += [_kpi_text(kpi, run.intervals[p].get(kpi)) for p in run.platforms]
        if run.paired:
            row.append(_kpi_text(kpi, run.paired.get(kpi), difference=True))
        rows.append(row)
    return rows


def _table(header: list[str], rows: list[list[str]], css_class: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join(
        "<tr>" + "".join(
            f"<td>{html.escape(c)}</td>" if i == 1 else f"<td class='n'>{html.escape(c)}</td>"
            if i > 1 else f"<td><code>{html.escape(c)}</code></td>"
            for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return (f"<table class='{css_class}'><thead><tr>{head}</tr></thead>"
            f"<tbody>\n{body}\n</tbody></table>")


# --------------------------------------------------------------------------- findings


def _received_letters(run: RunData) -> pd.DataFrame | None:
    """Documents that arrived from another modelled body, with working-time measures."""
    docs = run.documents
    if docs is None:
        return None
    received = docs[docs.id.astype(str).str.contains(">", regex=False)
                    & docs.completed_min.notna()].copy()
    if received.empty:
        return None
    cal, per_day = run.calendar, run.calendar.minutes_per_day
    received["cycle_working_days"] = [
        cal.working_minutes(a, b) / per_day
        for a, b in zip(received.created_min, received.completed_min, strict=True)]
    return received


def _per_replication(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.groupby(["platform", "replication"])[column].mean().unstack("platform")


def findings(run: RunData) -> list[str]:
    """Plain-language findings, each backed by an interval (HTML-safe strings)."""
    out: list[str] = []
    reps = int(run.meta.get("replications") or 0)
    both = set(PAIR) <= set(run.platforms) and bool(run.paired)
    if reps < 2:
        out.append("Only one replication was run, so there are no confidence intervals: the "
                   "numbers below are one sample, not an estimate. Run more replications "
                   "before drawing conclusions.")
    elif reps < MIN_INTERVAL_REPLICATIONS:
        out.append(f"Only {reps} replications were run: too few for a confidence interval, so "
                   "the numbers below are averages of a few samples, not estimates. Run "
                   f"{MIN_INTERVAL_REPLICATIONS} or more before drawing conclusions.")
    if both and reps < MIN_INTERVAL_REPLICATIONS:
        out.append("Without intervals this report makes no claim about whether OSDO or ESED "
                   "is faster, more punctual or loses less time: a difference between "
                   f"{'one pair of runs' if reps < 2 else 'a few runs'} can be noise.")
    notes = (run_notes(run.summary, run.scenario.warmup_days)
             if reps >= MIN_INTERVAL_REPLICATIONS else [])
    if notes:
        out.append("Caution, read the findings below with this in mind: "
                   + html.escape("; ".join(notes)) + ".")
    ci = run.intervals
    if both:
        out += _paired_findings(run)
        out += _component_difference_finding(run)
    letters = _received_letters(run)
    if letters is not None and both:
        out += _gateway_findings(letters)
    for p in run.platforms:
        out += _attribution_finding(p, ci[p])
        unofficial = ci[p].get("unofficial_channel_share")
        if unofficial and unofficial.get("mean") and unofficial["mean"] > 0:
            out.append(f"On {named(p)}, {_kpi_text('unofficial_channel_share', unofficial)} of "
                       "completed documents went through a messenger at some step because the "
                       "official system was out of reach: a security exposure.")
    reason = run.scenario.start.transient_reason
    if reason:
        out.append("This scenario reads its KPIs while its backlog is not in a steady state, "
                   f"on purpose (MSER-5's warm-up estimate does not apply): {html.escape(reason)}")
    stability = run.meta.get("stability") or {}
    for p, verdict_ in stability.items():
        if isinstance(verdict_, dict) and verdict_.get("unstable_replications"):
            out.append(f"Warning: on {named(p)}, {verdict_['unstable_replications']} of "
                       f"{verdict_.get('replications')} replications look unstable (the backlog "
                       "keeps growing); their means depend on the horizon. Busiest resource: "
                       f"{html.escape(str(verdict_.get('saturated_resource', '?')))}.")
    return out


_PAIRED_FINDINGS = [  # KPI, what it is, the words for OSDO - ESED < 0 and > 0
    ("cycle_time_mean_h", "Mean cycle time", "shorter", "longer"),
    ("cycle_time_p95_h", "The slowest 5% of documents (95th percentile cycle time)", "shorter",
     "longer"),
    ("on_time_rate", "The on-time rate", "lower", "higher"),
    ("connectivity_loss_h_per_employee", "Time lost to connections, VPN waits and outages "
     "(hours per employee)", "less", "more"),
]


def _paired_findings(run: RunData) -> list[str]:
    out = []
    i, d = run.intervals, run.paired
    for kpi, what, neg, pos in _PAIRED_FINDINGS:
        diff = d.get(kpi)
        if not diff or diff.get("mean") is None:
            continue
        osdo = _kpi_text(kpi, i["osdo"].get(kpi))
        esed = _kpi_text(kpi, i["esed"].get(kpi))
        kind = verdict(diff)
        size = format_value(kpi, abs(diff["mean"]), diff["half_width"], difference=True)
        word = neg if diff["mean"] < 0 else pos
        over = f"paired 95% interval over {diff['n']} replications"
        if kind == "apart":
            out.append(f"{what} is {size.lstrip('+')} {word} on OSDO than on ESED (OSDO "
                       f"{osdo}, ESED {esed}; {over}).")
        elif kind == "sign":
            out.append(f"{what} looks {word} on OSDO than on ESED (OSDO {osdo}, ESED {esed}), "
                       f"but by how much could not be pinned down: "
                       f"{size.lstrip('+')} ({over}, which leaves out zero but is wide).")
        elif kind == "unclear":
            out.append(f"{what}: could not tell OSDO ({osdo}) and ESED ({esed}) apart; OSDO "
                       f"minus ESED is {_kpi_text(kpi, diff, difference=True)}, and its 95% "
                       "interval includes zero.")
        elif kind == "same":
            out.append(f"{what}: the same on OSDO and ESED in every replication ({osdo}).")
    return out


def _component_difference_finding(run: RunData) -> list[str]:
    """Which delay component's share of cycle time differs most between OSDO and ESED."""
    diffs = []
    for c in DELAY_COMPONENTS:
        diff = run.paired.get(f"delay_share_{c}")
        if diff and diff.get("mean") is not None and not math.isnan(diff["mean"]):
            diffs.append((abs(diff["mean"]), c, diff))
    if not diffs:
        return []
    _, c, diff = max(diffs, key=lambda t: t[0])
    kpi = f"delay_share_{c}"
    words = html.escape(component_words(c))
    size = format_value(kpi, abs(diff["mean"]), diff["half_width"], difference=True)
    way = "larger" if diff["mean"] > 0 else "smaller"
    shares = (f"OSDO {_kpi_text(kpi, run.intervals['osdo'].get(kpi))}, ESED "
              f"{_kpi_text(kpi, run.intervals['esed'].get(kpi))} of the average document's "
              "cycle time")
    kind = verdict(diff)
    if kind in ("apart", "sign"):
        return [f"The delay component that makes the most of the OSDO − ESED difference is "
                f"<i>{words}</i>: its share is {size.lstrip('+')} {way} on OSDO ({shares}; paired "
                f"95% interval over {diff['n']} replications"
                + (", which leaves out zero but is wide" if kind == "sign" else "") + ")."]
    if kind != "unclear":
        return []
    out = [f"The largest difference in a delay component's share of cycle time, in "
           f"<i>{words}</i>, could not be told apart between OSDO and ESED: "
           f"{_kpi_text(kpi, diff, difference=True)} ({shares}); its 95% interval includes zero."]
    told = [t for t in diffs if verdict(t[2]) in ("apart", "sign")]
    if told:
        _, c, diff = max(told, key=lambda t: t[0])
        kpi = f"delay_share_{c}"
        out.append(f"The largest difference in a component's share that could be told apart is "
                   f"in <i>{html.escape(component_words(c))}</i>: "
                   f"{_kpi_text(kpi, diff, difference=True)} on OSDO against ESED (OSDO "
                   f"{_kpi_text(kpi, run.intervals['osdo'].get(kpi))}, ESED "
                   f"{_kpi_text(kpi, run.intervals['esed'].get(kpi))}; paired 95% interval over "
                   f"{diff['n']} replications).")
    return out


def _gateway_findings(letters: pd.DataFrame) -> list[str]:
    out = []
    gw = _per_replication(letters, "delay_gateway_min")
    cyc = _per_replication(letters, "cycle_working_days")
    if not {"osdo", "esed"} <= set(gw.columns):
        return out
    n_letters = letters.groupby("platform").size()
    transit = mean_ci(gw["esed"].to_numpy())
    transit_osdo = mean_ci(gw["osdo"].to_numpy())
    extra = mean_ci((cyc["esed"] - cyc["osdo"]).dropna().to_numpy())
    if _has_interval(transit):
        out.append(
            f"Inter-agency letters on ESED spend {_ci_text(transit)} minutes each in the "
            f"gateway (transit, resends and waiting for the receiver's poll), against "
            f"{_ci_text(transit_osdo)} minutes inside OSDO's cloud store "
            f"({int(n_letters.get('esed', 0)):,} and {int(n_letters.get('osdo', 0)):,} "
            "received letters completed).")
    if _excludes_zero(extra):
        word = "longer" if extra["mean"] > 0 else "shorter"
        out.append(
            f"From dispatch by the sender to completion at the receiver, an inter-agency "
            f"letter takes {_pm(abs(extra['mean']), extra['half_width'])} working days "
            f"{word} on ESED than on OSDO (gateway, re-registration by the "
            f"receiving clerk and everything else that differs; paired over "
            f"{extra['n']} replications).")
    elif _has_interval(extra):
        out.append(
            "End to end, the time inter-agency letters take could not be told apart between "
            f"ESED and OSDO (ESED minus OSDO {_ci_text(extra)} working days; the 95% interval "
            "includes zero).")
    return out


def _attribution_finding(platform: str, ci: dict) -> list[str]:
    shares = []
    for c in DELAY_COMPONENTS:
        v = ci.get(f"delay_share_{c}")
        if v and v.get("mean") is not None and not math.isnan(v["mean"]):
            shares.append((v["mean"], c, v))
    if not shares:
        return []
    top = sorted(shares, reverse=True)[:3]
    parts = [f"{html.escape(component_words(c))} ({_kpi_text(f'delay_share_{c}', v)})"
             for _, c, v in top]
    return [f"Where the time goes on {named(platform)}: {parts[0]}, then "
            + ", ".join(parts[1:]) + " of the average document's cycle time."]


# --------------------------------------------------------------------------- assumptions

#: How many screened assumptions a finding names at most.
DEPENDS_TOP = 3


def depends_words(run: RunData) -> list[str]:
    """Per OSDO - ESED finding, the assumptions that move or flip it (HTML-safe).

    From the shipped sensitivity screen and calibration scans (:mod:`sim.outputs.assumptions`),
    each assumption with its value in this scenario and its source.
    """
    if not set(PAIR) <= set(run.platforms):
        return []
    out = []
    for kpi, what, _, _ in _PAIRED_FINDINGS:
        found = assumptions.influences(kpi)
        if not found:
            continue
        movers = [i for i in found if i.above_noise][:DEPENDS_TOP]
        if movers:
            text = (f"<b>{what}</b>, OSDO − ESED: moved beyond replication noise by "
                    + "; ".join(_influence_words(run, kpi, i) for i in movers) + ".")
        else:
            top = found[0]
            text = (f"<b>{what}</b>, OSDO − ESED: no screened assumption moves it beyond "
                    f"replication noise (the largest, {_named_value(run, top.parameter, top)}, "
                    f"by {_mu_text(kpi, top)}, within the noise).")
        text += "".join(f" {_flip_words(run, f)}" for f in assumptions.flips()
                        if kpi == assumptions.SCAN_KPI)
        levels = [i for i in found if i.levels_move and not i.above_noise][:DEPENDS_TOP]
        if levels:
            text += (" Moving both platforms alike (the level, not which is better): "
                     + ", ".join(_named_value(run, i.parameter, i) for i in levels) + ".")
        out.append(text)
    return out


def _mu_text(kpi: str, influence: assumptions.Influence) -> str:
    number = format_value(kpi, influence.mu_star, difference=True).lstrip("+")
    low = format_value(kpi, influence.mu_star_low, difference=True, unit=False).lstrip("+")
    high = format_value(kpi, influence.mu_star_high, difference=True, unit=False).lstrip("+")
    return f"{number} (95% interval {low} to {high})"


def _named_value(run: RunData, path: str, influence: assumptions.Influence | None = None) -> str:
    """A parameter named in words with its value and source.

    E.g. ``the OSDO UI factor of its detractors (platform.osdo.ui_time_factors.detractors =
    1.3 here; assumption)``.
    """
    label = html.escape(influence.label) if influence else ""
    source, _ = assumptions.source_for(path)
    value = assumptions.value_at(run.scenario, path)
    here = (f" = {html.escape(assumptions.value_words(value))} here" if value is not None
            else ", not in this scenario's schema")
    return (f"{label} (<code>{html.escape(path)}</code>{here}; "
            f"{html.escape(source or 'no source recorded')})").strip()


def _influence_words(run: RunData, kpi: str, influence: assumptions.Influence) -> str:
    return f"{_named_value(run, influence.parameter, influence)}, by {_mu_text(kpi, influence)}"


def _flip_words(run: RunData, flip: assumptions.Flip) -> str:
    """Where a scan saw the answer flip, and on which side this scenario's value lies."""
    value = assumptions.value_at(run.scenario, flip.parameter)
    other = "ESED" if flip.faster_below == "OSDO" else "OSDO"
    side = ""
    if assumptions.is_number(value):
        side = (f"; this scenario's {assumptions.value_words(value)} is "
                + ("below" if value < flip.at else "above") + " it")
    noise = (" The intervals at the two levels either side include zero: near the flip the "
             "two could not be told apart." if flip.crossing_in_noise else "")
    return (f"A scan ({html.escape(flip.scan)}) found the flip point: the mean cycle-time "
            f"difference changes sign at <code>{html.escape(flip.parameter)}</code> ≈ "
            f"{flip.at:.2f} (between {flip.below:g} and {flip.above:g}), {flip.faster_below} "
            f"faster below, {other} above{side}.{noise}")


def _depends_section(run: RunData) -> list[str]:
    words = depends_words(run)
    if not words:
        return []
    return ["<section id='depends'><h2>What this answer depends on</h2>",
            "<p>Every model number has a source or is marked as an assumption "
            "(docs/model.md). Which assumptions move each comparison, and by how much, comes "
            f"from {html.escape(assumptions.SCREEN_WORDS)}, and where the answer flips from "
            "the calibration scans (docs/model.md section 6.3). By how much: mu*, how far the "
            "difference moves on average when the assumption steps across its screened range, "
            "with its 95% interval. Both were measured on the scenarios named, not necessarily "
            "this one: they say which assumptions to doubt first, not how far this run's "
            "numbers would move.</p>",
            "<ul class='findings'>", *[f"<li>{w}</li>" for w in words], "</ul></section>"]


# --------------------------------------------------------------------------- over time


def over_time_words(run: RunData) -> list[str]:
    """The run over time in sentences (HTML-safe).

    Its policy events, each platform's peak week of open documents and, when the run had
    incidents and their KPIs (:data:`RECOVERY_KPI`, :data:`LATE_KPI`), the recovery from them.
    """
    return [*_events_words(run), *_holiday_words(run), *_peak_words(run), *_wave_words(run),
            *_incident_words(run)]


def _holiday_words(run: RunData) -> list[str]:
    """The weeks with public holidays: fewer working days, so fewer completions."""
    if "holidays" not in run.weekly:
        return []
    weeks = run.weekly.drop_duplicates("week")
    weeks = weeks[weeks.holidays.fillna("").astype(str) != ""]
    if weeks.empty:
        return []
    items = [f"week {int(w.week)}: {html.escape(str(w.holidays))}, {int(w.working_days)} "
             f"working day{'s' if int(w.working_days) != 1 else ''}" for w in weeks.itertuples()]
    return ["Weeks with public holidays (shaded on the figure), with their working days: a week "
            "of fewer working days completes fewer documents, whatever the policy events: "
            + "; ".join(items) + "."]


def _week_of(minute: float) -> str:
    return f"week {int(minute // WEEK_MIN) + 1}"


def _date_of(run: RunData, minute: float) -> str:
    day = run.calendar.start_date + pd.Timedelta(days=int(minute // 1440))
    return date_words(day.isoformat())


def _event_when(run: RunData, start: float, end: float) -> str:
    """``on 24 January 2023 (week 3)``, or from one day to another for a span."""
    if end <= start:
        return f"on {_date_of(run, start)} ({_week_of(start)})"
    last = end - 1e-6  # a span ending at midnight ends on the day before
    return (f"from {_date_of(run, start)} ({_week_of(start)}) to {_date_of(run, last)} "
            f"({_week_of(last)})")


def _events_words(run: RunData) -> list[str]:
    table = distinct_events(run.events)
    if table.empty:
        return []
    names = {p: named(p) for p in run.platforms}
    items = [f"{i}. {html.escape(row.label)}"
             + html.escape(event_reach_words(row.platforms, row.all_platforms, names))
             + f" ({event_kind_words(row.kind)}, {_event_when(run, row.start_min, row.end_min)})"
             for i, row in enumerate(table.itertuples(), start=1)]
    return ["Policy events of the run, numbered as on the figure: " + "; ".join(items) + "."]


def _peak_words(run: RunData) -> list[str]:
    out = []
    for peak in peak_weeks(run.weekly):
        spread = (f" ({_fmt(peak.low, peak.level)} to {_fmt(peak.high, peak.level)} over the "
                  f"{peak.replications} replications)" if peak.replications > 1 else "")
        out.append(f"On {named(peak.platform)}, the open documents peak in "
                   f"{week_words(peak.week, peak.week_start)}: {_fmt(peak.level)} open at 10:00 "
                   f"on the average working day of that week{spread}.")
    return out


def _wave_words(run: RunData) -> list[str]:
    """Per migration wave, how far the backlog rose after it; which wave rose it most."""
    effects = wave_effects(run.weekly, run.events)
    out = []
    for effect in effects:
        against = (f", net of {named(effect.reference)} (whose bodies did not move)"
                   if effect.reference else "")
        out.append(f"After {html.escape(effect.label)}, the open documents on "
                   f"{named(effect.platform)} rose by at most {_fmt(effect.rise, 100.0)} above "
                   f"the week before it{against}, in {week_words(effect.week, effect.week_start)} "
                   f"(the largest over the {WAVE_WINDOW_WEEKS} weeks from the wave's own).")
    if len(effects) > 1:
        worst = max(effects, key=lambda e: e.rise)
        out.append(f"The wave that raised the backlog most: {html.escape(worst.label)}.")
    return out


def _incidents_by_platform(run: RunData) -> dict[str, int]:
    """How many incidents touched each platform, in run order (those touched by none left out)."""
    incidents = distinct_events(run.events[run.events.kind == "incident"])
    counts = {p: sum(p in touched for touched in incidents.platforms) for p in run.platforms}
    return {p: n for p, n in counts.items() if n}


def _incident_words(run: RunData) -> list[str]:
    """Recovery and late documents per platform an incident touched, from their KPIs."""
    out = []
    output = run.scenario.output
    for p, incidents in _incidents_by_platform(run).items():
        rows = run.summary[run.summary.platform == p]
        if RECOVERY_KPI in rows:
            out.append(_recovery_words(p, run.intervals[p].get(RECOVERY_KPI), len(rows),
                                       incidents, output.incident_band_days))
        excess = run.intervals[p].get(EXCESS_KPI)
        if EXCESS_KPI in rows and excess and excess.get("mean") is not None:
            out.append(_excess_words(p, excess, len(rows), output.incident_excess_share))
        late = run.intervals[p].get(LATE_KPI)
        if LATE_KPI in rows and late and late.get("mean") is not None:
            out.append(_late_words(p, late))
    return out


def _kpi_number(kpi: str, ci: dict) -> str:
    """A KPI's mean ± half-width as numbers only: the sentence names the unit."""
    shown = shown_ci(ci)
    return format_value(kpi, shown["mean"], shown["half_width"], unit=False)


def _recovery_words(platform: str, ci: dict | None, replications: int, incidents: int,
                    band_days: int) -> str:
    """When the open documents were back in their pre-incident range, in words.

    From the KPI's interval, whose ``n`` counts the replications in which they were back
    within the horizon (NaN in the others).
    """
    back = int(ci.get("n") or 0) if ci and ci.get("mean") is not None else 0
    band = ("their pre-incident range (at or below the highest 10:00 count of the "
            f"{band_days} working days before the incident)")
    if ci is None or back == 0:
        return (f"On {named(platform)}, the open documents were not back within {band} by the "
                f"end of the run in any of the {replications} replications.")
    which = ("the incident began" if incidents == 1
             else f"an incident began (the slowest of the {incidents} incidents)")
    over = (f"mean over the {replications} replications" if back == replications else
            f"mean over the {back} of {replications} replications in which they were back by "
            "the end of the run")
    return (f"On {named(platform)}, the open documents were back within {band} "
            f"{_kpi_number(RECOVERY_KPI, ci)} working days after {which} ({over}).")


def _excess_words(platform: str, ci: dict, replications: int, share: float) -> str:
    """When the backlog the incidents added was gone, against the run without them."""
    back = int(ci.get("n") or 0)
    over = (f"over the {replications} replications" if back == replications else
            f"over the {back} of {replications} replications in which it was gone by the end")
    return (f"On {named(platform)}, the backlog the incidents added was gone (open documents "
            f"within {share:.0%} of the same replication run without them) "
            f"{_kpi_number(EXCESS_KPI, ci)} working days after the first began ({over}).")


def _late_words(platform: str, ci: dict) -> str:
    """Documents the incidents made late, claimed only as far as the interval supports it."""
    against = "against the same replications run without the incidents"
    number = _kpi_number(LATE_KPI, ci)
    if not _has_interval(ci):
        return (f"On {named(platform)}, the documents late because of the incidents: {number} "
                f"({against}; {interval_words(int(ci.get('n') or 0)) or 'no interval'}, so "
                "not an estimate).")
    if not _excludes_zero(ci):
        return (f"On {named(platform)}, the documents the incidents made late could not be "
                f"told apart from none: {number} ({against}; the 95% interval includes zero).")
    wide = ("; the interval leaves out zero but is wide: read the direction, not the size"
            if verdict(ci) == "sign" else "")
    if ci["mean"] >= 0:
        return (f"The incidents made {number} documents on {named(platform)} miss their "
                f"deadline ({against}{wide}).")
    fewer = _kpi_number(LATE_KPI, {**ci, "mean": -ci["mean"]})
    return (f"On {named(platform)}, {fewer} fewer documents missed their deadline with the "
            f"incidents than without them ({against}{wide}).")


# --------------------------------------------------------------------------- plots


def figure_html(caption: str, png_base64: str) -> str:
    """A figure of a self-contained page: the PNG inline, its caption below."""
    return (f"<figure><img alt='{html.escape(caption)}' "
            f"src='data:image/png;base64,{png_base64}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _png(draw: Callable[[], Any]) -> str:
    import matplotlib.pyplot as plt

    ax = draw()
    fig = ax.figure
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def figures(run: RunData, section: str = "plots") -> list[tuple[str, str]]:
    """(caption, base64 PNG) of every plot of a report's section the run's data allows."""
    from sim.outputs import plots  # matplotlib only when a report is drawn: `sim` starts faster

    estimate = (float(run.summary.warmup_estimate_days.mean())
                if "warmup_estimate_days" in run.summary else None)
    data = plots.FigureData(run.summary, run.timeseries, run.documents, run.horizon_min,
                            run.scenario.name, *warmup_marks(run.scenario, estimate),
                            weekly=run.weekly, events=run.events)
    return [(f.caption, _png(lambda f=f: f.draw(data))) for f in plots.run_figures(data)
            if f.section == section]


# --------------------------------------------------------------------------- the page

CSS = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; }
.meta { color: #666; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
th { background: #f2f2f2; text-align: left; } td.n { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
ul.findings li { margin-bottom: 0.5em; }
"""


def render(run: RunData) -> str:
    """The whole page as one HTML string (no external resources)."""
    meta = run.meta
    title = f"docflow-sim report: {run.scenario.name}"
    platforms = [named(p) for p in run.platforms]
    few = _interval_note(run)
    kpi_header = ["KPI", "meaning", *[f"{p} (mean{'; ' + few if few else ' ± 95% CI'})"
                                      for p in platforms]]
    if run.paired:
        kpi_header.append(f"OSDO − ESED (paired{'; ' + few if few else ''})")
    att_header = ["component", "meaning", *[f"{p} share ({few or '± 95% CI'})"
                                            for p in platforms]]
    if run.paired:
        att_header.append(f"OSDO − ESED (paired{'; ' + few if few else ''})")
    found = findings(run)
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<link rel='icon' href='data:,'>",  # no favicon request, even from a file:// page
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>docflow-sim {html.escape(str(meta.get('version')))}, seed "
        f"{meta.get('seed')}, {meta.get('replications')} replication(s), run time "
        f"{meta.get('runtime_s')} s. Intervals are 95% Student-t intervals over replications; "
        "shares are in %, their differences in percentage points.</p>",
        "<section id='scenario'><h2>The scenario</h2>",
        *[f"<p>{line}</p>" for line in describe_scenario(run)],
        "</section>",
        "<section id='findings'><h2>Findings</h2><ul class='findings'>",
        *[f"<li>{f}</li>" for f in found],
        "</ul></section>",
        *_depends_section(run),
        "<section id='kpis'><h2>Key performance indicators</h2>",
        _table(kpi_header, kpi_rows(run), "kpi"),
        "</section>",
        "<section id='attribution'><h2>Where the time goes</h2>"
        "<p>Each completed document's cycle time is split into these components, which add up "
        "to it; the table gives their mean share per document.</p>",
        _table(att_header, attribution_rows(run), "attribution"),
        "</section>",
        *_over_time_section(run),
        "<section id='plots'><h2>Plots</h2>",
    ]
    for caption, data in figures(run):
        parts.append(figure_html(caption, data))
    parts += ["</section>", "</body></html>"]
    return "\n".join(parts)


def _over_time_section(run: RunData) -> list[str]:
    """The run week by week in words and a figure (three weeks or more, or policy events)."""
    if not shows_over_time(run.weekly, run.events):
        return []
    return ["<section id='over_time'><h2>Over time</h2>",
            "<ul class='findings'>", *[f"<li>{w}</li>" for w in over_time_words(run)], "</ul>",
            *[figure_html(caption, data) for caption, data in figures(run, "over_time")],
            "</section>"]


def write_page(text: str, folder: Path, out: str | Path | None = None) -> Path:
    """Write a report page to ``out`` (default ``FOLDER/report.html``); return its path.

    Whole or not at all: a write cut off leaves the old page as it was.
    """
    target = Path(out) if out is not None else folder / REPORT_NAME
    with replacing(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of a run folder (default ``RUN_DIR/report.html``); return its path."""
    run = load_run(run_dir)
    return write_page(render(run), run.run_dir, out)
