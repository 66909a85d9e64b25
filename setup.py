"""Packaging is declared in setup.cfg; this file adds the optional compiled build only.

The simulation's hot path (sim/work.py, staffing.py, routing.py, ...) is plain typed Python. For
long experiments it can be compiled with mypyc, in place, beside the sources::

    pip install -e '.[compiled]'     # brings mypy, which carries mypyc
    python setup.py compile          # about a minute; results are identical, runs 1.3-1.7x faster
    python setup.py clean_compiled   # back to pure Python

A normal ``pip install`` never compiles. If a compiled module's source is edited later, ``sim``
notices (sim/compiled.py) and runs every module from its source, with a warning, so an edit is
never silently ignored.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

from setuptools import Command, setup

HERE = Path(__file__).parent
PACKAGE = HERE / "sim"
# The modules on the path of every simulated step, plus the run loop and the recorder. The rest
# (scenario schema, CLI, outputs, experiments) runs once per run and gains nothing.
COMPILED_MODULES = (
    "calendar", "documents", "metrics", "model", "network", "platforms", "population",
    "routing", "staffing", "streams", "work", "workload",
)
# sim/compiled.py checks the build when sim is imported; its names for the record of the sources'
# hashes and for the shared library are used here too (loaded by path: importing sim would
# import its dependencies, which a build does not need).
_spec = importlib.util.spec_from_file_location("_sim_compiled", PACKAGE / "compiled.py")
_guard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_guard)
MANIFEST: Path = _guard.MANIFEST
GROUP = "sim." + _guard.SHARED_LIBRARY.removesuffix("__mypyc")  # mypyc appends "__mypyc"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _compiled_files() -> list[Path]:
    return [p for p in PACKAGE.iterdir() if p.suffix in (".so", ".pyd")]


class _Command(Command):
    """A setup.py command without options."""

    user_options: list = []

    def initialize_options(self) -> None:  # noqa: D102
        pass

    def finalize_options(self) -> None:  # noqa: D102
        pass


class CleanCompiled(_Command):
    """Remove the compiled modules, so that every module runs from its source."""

    description = "remove the mypyc-compiled modules of sim/"

    def run(self) -> None:  # noqa: D102
        for path in _compiled_files() + [MANIFEST]:
            if path.exists():
                path.unlink()
                print(f"removed {path.relative_to(HERE)}")
        shutil.rmtree(HERE / "build" / "mypyc", ignore_errors=True)


class Compile(_Command):
    """Compile the hot-path modules with mypyc, in place, and record their sources' hashes."""

    description = "compile sim's hot-path modules with mypyc (optional, in place)"

    def run(self) -> None:  # noqa: D102
        try:
            from mypyc.build import mypycify
        except ImportError:
            raise SystemExit(
                "error: the compiled build needs mypyc: pip install -e '.[compiled]'") from None
        self.run_command("clean_compiled")
        sources = [PACKAGE / f"{m}.py" for m in COMPILED_MODULES]
        # mypyc type-checks before compiling: a type error stops the build here, with mypy's
        # message, instead of becoming a wrong value at run time.
        self.distribution.ext_modules = mypycify(
            ["--config-file", str(HERE / "pyproject.toml")]
            + [str(p.relative_to(HERE)) for p in sources],
            opt_level="3", group_name=GROUP, target_dir=str(HERE / "build" / "mypyc"),
        )
        build_ext = self.reinitialize_command("build_ext", inplace=1)
        build_ext.ensure_finalized()
        self.run_command("build_ext")
        manifest = {f"sim.{m}": _sha256(p) for m, p in zip(COMPILED_MODULES, sources, strict=True)}
        tmp = MANIFEST.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        tmp.replace(MANIFEST)
        print(f"compiled {len(sources)} modules of sim/ with mypyc; "
              "`python setup.py clean_compiled` removes them")


setup(cmdclass={"compile": Compile, "clean_compiled": CleanCompiled})
