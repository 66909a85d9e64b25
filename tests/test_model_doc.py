"""docs/model.md lists every scenario parameter with its default and source, and cannot drift."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from sim.config import Scenario, paramdoc

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"


def _schema_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every field path of the schema *types* ('*' for a mapping key or list index)."""
    paths = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"  # as written in a scenario (from:, not from_)
        inner = _model_inside(field.annotation)
        if inner is None:
            paths.append(path)
        elif inner[1]:
            paths.extend(_schema_paths(inner[0], f"{path}.*."))
        else:
            paths.extend(_schema_paths(inner[0], f"{path}."))
    return paths


def _model_inside(annotation) -> tuple[type[BaseModel], bool] | None:
    """(model, behind a container) when the annotation holds a pydantic model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        found = _model_inside(arg)
        if found is not None:
            container = origin in (list, dict) or found[1]
            return found[0], container
    return None


def test_every_leaf_path_appears_in_model_md():
    text = DOC.read_text(encoding="utf-8")
    missing = [p.path for p in paramdoc.parameters() if f"`{p.path}`" not in text]
    assert not missing, (f"docs/model.md lacks {missing}; "
                         "run python -m sim.config.paramdoc docs/model.md")


def test_walk_covers_every_schema_field():
    """No schema field is skipped by the walk (e.g. a mapping of models that is empty)."""
    rows = [p.path for p in paramdoc.parameters()]
    for generic in _schema_paths(Scenario):
        pattern = re.compile("^" + re.escape(generic).replace(r"\*", r"[^.]+") + r"(\.[^.]+)?$")
        assert any(pattern.match(r) for r in rows), f"schema field {generic} has no row"


def test_parameter_table_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert paramdoc.update_document(text) == text, (
        "the parameter table of docs/model.md is out of date (a default or description "
        "changed); run: python -m sim.config.paramdoc docs/model.md"
    )


def test_every_model_number_has_a_source_or_is_an_assumption():
    unsourced = [p.path for p in paramdoc.parameters() if not p.source]
    assert not unsourced, f"add 'Source: ...' or 'assumption' to the description of {unsourced}"


def test_source_extraction():
    assert paramdoc.source_of("x", "Shares. Source: seed paper, 2022 survey (61% / 39%).") == \
        "Source: seed paper, 2022 survey (61% / 39%)"
    assert paramdoc.source_of("x", "Factor (assumption).") == "assumption"
    assert paramdoc.source_of("x", "", "Classes; rates are assumptions.") == "assumption"
    assert paramdoc.source_of("seed", "Root seed.") == "run setting"
    assert paramdoc.source_of("x", "No mark here.") == ""
    assert paramdoc.source_of("x", "Speeds of 2023 [speedtest], [rural-internet].") == \
        "[speedtest] [rural-internet]"
    assert paramdoc.source_of("x", "Shares; see docs/sources.md.") == "docs/sources.md"


def test_citations_are_source_ids_not_links():
    assert paramdoc.citations("See [seed], [png](figures/a.png) and [seed] again; [A], [1].") == \
        ["seed"]


def test_sections_of_stress_des_are_present():
    text = DOC.read_text(encoding="utf-8")
    for heading in ("## 1. Objectives", "## 2. Logic", "## 3. Data", "## 4. Experimentation",
                    "## 5. Implementation", "## 7. Limitations", "mermaid",
                    "Common random numbers", "sim verify --full"):
        assert heading.lower() in text.lower(), heading


def test_calibration_tables_are_the_shipped_figures():
    """The sweep tables in section 6 are rendered from docs/figures/*.csv, not typed by hand."""
    import pandas as pd

    from sim.experiments.calibration import markdown_table

    text = DOC.read_text()
    for stem in ("calibration_sweep", "calibration_sweep_load027"):
        table = markdown_table(pd.read_csv(DOC.parent / "figures" / f"{stem}.csv"))
        assert table in text, f"docs/model.md does not hold the table of {stem}.csv"


def _section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(title)
    end = text.index("\n**", start + len(title))
    return text[start:end]


def test_the_stated_assumptions_are_the_models():
    # Section 3.4 names the default assigner of executors (not "uniformly at random" unless it
    # is the default), and says outages interrupt work in progress (Stoppages._interrupted) and
    # that work in progress of someone going away passes on (never "in their name").
    assumptions = _section("**3.4 Assumptions.**")
    executor = Scenario.model_validate({"name": "x"}).staff.assignment["executor"]
    assert executor.replace("_", " ") in assumptions
    if executor != "named_uniform":
        assert "named uniformly at random" not in assumptions
    assert "never in the middle" not in assumptions
    assert "interrupts" in assumptions
    assert "passes to a present peer" in assumptions
    assert "stays in the person's name" not in DOC.read_text()
    assert "keeps growing" not in _section("**4.2 Run length.**")
