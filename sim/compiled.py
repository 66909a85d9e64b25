"""The optional compiled build: which modules run compiled, and never a stale one.

``python setup.py compile`` compiles the hot-path modules with mypyc beside their sources and
records each source's SHA-256 in ``sim/_compiled.json``. Python would import such a compiled
module in preference to its source even after the source is edited, so a student's change
would silently do nothing. On ``import sim`` this module compares the sources with the record;
if any differs (or the record is missing), every compiled module is loaded from its source
instead, with one warning on standard error. ``DOCFLOW_PURE_PYTHON=1`` (or ``true``, ``yes``)
asks for the sources without a warning (the test suite sets it: tests patch module attributes,
which compiled callers do not look up).
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
_SUFFIX = _EXTENSION_SUFFIXES[0]  # this interpreter's own, e.g. .cpython-311-x86_64-linux-gnu.so
SHARED_LIBRARY = "_native__mypyc"  # the compiled modules' common code (setup.py's GROUP)
_FORCE_VALUES = ("1", "true", "yes")  # DOCFLOW_PURE_PYTHON values that ask for the sources
_WARNED = "stale build"  # set by a process that warned; its children check without warning
_build = "pure Python"  # what use_sources_where_stale() decided for this process


def _compiled_names() -> list[str]:
    """Modules of ``sim`` compiled for this interpreter (the shared library excluded).

    Only this Python's own suffix counts: a build for another Python version is not there for
    this one (it runs the sources, silently), rather than a build whose files went missing.
    """
    names = []
    for path in PACKAGE_DIR.iterdir():
        if path.name.endswith(_SUFFIX):
            stem = path.name[: -len(_SUFFIX)]
            if stem != SHARED_LIBRARY:
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
    if not (PACKAGE_DIR / f"{SHARED_LIBRARY}{_SUFFIX}").exists():
        changed.append(f"sim/{SHARED_LIBRARY}{_SUFFIX} (the compiled modules' shared library "
                       "is gone)")
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
    asked = os.environ.get(ENV_PURE, "").strip().lower()
    if asked not in _FORCE_VALUES:
        changed = _changed_sources(names)
        if not changed:
            _build = "compiled (mypyc)"
            return
        if asked != _WARNED:
            print(
                f"warning: {', '.join(changed)} changed after `python setup.py compile`: "
                "running sim from its Python sources (slower, but with your edits). Rebuild "
                "with `python setup.py compile`, or remove the compiled modules with `python "
                "setup.py clean_compiled`.", file=sys.stderr)
            # Worker processes (sweeps) check again but do not repeat the warning.
            os.environ[ENV_PURE] = _WARNED
    sys.meta_path.insert(0, _Sources(names))


def build() -> str:
    """``"compiled (mypyc)"`` or ``"pure Python"``: how this process runs the model."""
    return _build


def compiled_modules() -> list[str]:
    """Names of the ``sim`` modules this process runs compiled (empty: pure Python)."""
    return sorted(
        name for name, module in list(sys.modules.items())
        if name.startswith("sim.") and name != f"sim.{SHARED_LIBRARY}"
        and str(getattr(module, "__file__", "")).endswith(_EXTENSION_SUFFIXES))
