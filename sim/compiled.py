"""The optional compiled build: which modules run compiled, and never a stale one.

``python setup.py compile`` compiles the hot-path modules with mypyc beside their sources and
records each source's SHA-256 in ``sim/_compiled.json``. Python would import such a compiled
module in preference to its source even after the source is edited, so a student's change
would silently do nothing. On ``import sim`` this module compares the sources with the record;
if any differs (or the record is missing), every compiled module is loaded from its source
instead, with one warning on standard error. ``DOCFLOW_PURE_PYTHON=1`` asks for the sources
without a warning (the test suite sets it: tests patch module attributes, which compiled
callers do not look up).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

__all__ = ["build", "compiled_modules", "use_sources_where_stale"]

PACKAGE_DIR = Path(__file__).parent
MANIFEST = PACKAGE_DIR / "_compiled.json"
ENV_PURE = "DOCFLOW_PURE_PYTHON"
_EXTENSION_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)
_build = "pure Python"  # what use_sources_where_stale() decided for this process


def _compiled_names() -> list[str]:
    """Modules of ``sim`` that have a compiled file beside them (the shared library excluded)."""
    names = []
    for path in PACKAGE_DIR.iterdir():
        for suffix in _EXTENSION_SUFFIXES:
            if path.name.endswith(suffix):
                stem = path.name[: -len(suffix)]
                if not stem.endswith("__mypyc"):
                    names.append(f"sim.{stem}")
    return sorted(names)


def _changed_sources(names: list[str]) -> list[str]:
    """Source files that differ from the ones compiled (all of them if there is no record)."""
    try:
        recorded = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return [f"sim/{n[4:]}.py" for n in names]
    changed = []
    for name in names:
        source = PACKAGE_DIR / f"{name[4:]}.py"
        digest = hashlib.sha256(source.read_bytes()).hexdigest() if source.exists() else None
        if recorded.get(name) != digest:
            changed.append(f"sim/{source.name}")
    # A compiled file removed by hand: the others would still call its compiled code directly.
    changed += [f"sim/{n[4:]}.py (its compiled file is gone)" for n in recorded if n not in names]
    return changed


class _Sources(importlib.abc.MetaPathFinder):
    """Finds the listed modules' ``.py`` files ahead of their compiled files."""

    def __init__(self, names: list[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001, ANN201, D102
        if fullname not in self.names:
            return None
        return importlib.util.spec_from_file_location(
            fullname, PACKAGE_DIR / f"{fullname.rpartition('.')[2]}.py")


def use_sources_where_stale() -> None:
    """Load every compiled module from source if any is out of date, or if asked to."""
    global _build
    names = _compiled_names()
    if not names:
        return
    if not os.environ.get(ENV_PURE):
        changed = _changed_sources(names)
        if not changed:
            _build = "compiled (mypyc)"
            return
        print(
            f"warning: {', '.join(changed)} changed after `python setup.py compile`: running "
            "sim from its Python sources (slower, but with your edits). Rebuild with `python "
            "setup.py compile`, or remove the compiled modules with `python setup.py "
            "clean_compiled`.", file=sys.stderr)
        # Worker processes (sweeps) inherit the decision and do not repeat the warning.
        os.environ[ENV_PURE] = "stale build"
    sys.meta_path.insert(0, _Sources(names))


def build() -> str:
    """``"compiled (mypyc)"`` or ``"pure Python"``: how this process runs the model."""
    return _build


def compiled_modules() -> list[str]:
    """Names of the ``sim`` modules this process runs compiled (empty: pure Python)."""
    return sorted(
        name for name, module in list(sys.modules.items())
        if name.startswith("sim.") and not name.endswith("__mypyc")
        and str(getattr(module, "__file__", "")).endswith(_EXTENSION_SUFFIXES))
