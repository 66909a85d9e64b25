"""The repository stands alone: no file points outside it, and every cited source is listed.

Facts come with their references in docs/sources.md; the schema descriptions, docs/model.md and
the scenario files cite its entries as ``[id]``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.config import paramdoc, schema

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
MODEL_DOC = ROOT / "docs" / "model.md"

# Written in two pieces so that this file does not contain them itself.
FORBIDDEN = ("DESIGN" + ".md", "DOMAIN" + ".md", ".." + "/shared", "/work" + "/shared")

# An entry of docs/sources.md: a heading that starts with its id, e.g. "### [seed] Ibrayev ...".
ENTRY = re.compile(r"^#{2,4} \[([a-z][a-z0-9-]*)\]", re.MULTILINE)


def _tracked_files() -> list[Path]:
    try:
        done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                              check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [ROOT / name for name in done.stdout.decode("utf-8").split("\0") if name]


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary file or one deleted in the working tree."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_no_tracked_file_refers_outside_the_repository():
    found = []
    for path in _tracked_files():
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            found += [f"{path.relative_to(ROOT)}:{number}: {word}" for word in FORBIDDEN
                      if word in line]
    assert not found, ("files refer to files outside the repository; cite an entry of "
                       "docs/sources.md as [id] instead:\n" + "\n".join(found))


def source_ids() -> list[str]:
    return ENTRY.findall(SOURCES.read_text(encoding="utf-8"))


def _schema_texts() -> list[tuple[str, str]]:
    """(where, text) of every docstring and field description of the scenario schema."""
    texts = []
    for name, obj in vars(schema).items():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and \
                obj.__module__ == schema.__name__:
            texts.append((f"schema.{name}", obj.__doc__ or ""))
            texts += [(f"schema.{name}.{field}", info.description or "")
                      for field, info in obj.model_fields.items()]
    texts += [(f"paramdoc.VALUE_SOURCES[{path}]", text)
              for path, text in paramdoc.VALUE_SOURCES.items()]
    texts += [(f"paramdoc.PATTERN_SOURCES[{pattern.pattern}]", text)
              for pattern, text in paramdoc.PATTERN_SOURCES]
    return texts


def _cited() -> list[tuple[str, str]]:
    """(where, id) of every citation in the schema, docs/model.md and scenario comments."""
    cited = [(where, c) for where, text in _schema_texts() for c in paramdoc.citations(text)]
    for number, line in enumerate(MODEL_DOC.read_text(encoding="utf-8").splitlines(), 1):
        cited += [(f"docs/model.md:{number}", c) for c in paramdoc.citations(line)]
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("#"):
                cited += [(f"{path.relative_to(ROOT)}:{number}", c)
                          for c in paramdoc.citations(line)]
    return cited


def test_sources_ids_are_unique():
    ids = source_ids()
    assert ids, "docs/sources.md defines no entry ('### [id] ...')"
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"docs/sources.md defines these ids twice: {duplicates}"


def test_every_cited_source_is_listed():
    known = set(source_ids())
    cited = _cited()
    assert {c for _, c in cited} >= {"seed"}, "the schema no longer cites the seed paper"
    unknown = [f"{where}: [{c}]" for where, c in cited if c not in known]
    assert not unknown, ("cited ids missing from docs/sources.md:\n" + "\n".join(unknown))


def test_sources_lists_the_facts_for_the_model_issues():
    text = SOURCES.read_text(encoding="utf-8")
    assert "## 6. Facts for the model issues" in text
    assert "Russian analogue" in text
