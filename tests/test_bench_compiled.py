"""bench/compiled.py's one guard: each side of its pairs must run the package it is meant to.

Its first run timed the source twice (``python -c`` puts the working folder before
``PYTHONPATH``), and its figures looked plausible; the check below is what catches that.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compiled_bench():
    spec = importlib.util.spec_from_file_location("compiled_bench", ROOT / "bench" / "compiled.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _package(folder: Path) -> Path:
    (folder / "sim" / "model").mkdir(parents=True)
    for name in ("sim/__init__.py", "sim/model/__init__.py", "sim/model/work.py"):
        (folder / name).write_text("", encoding="utf-8")
    return folder


def test_the_package_in_the_folder_is_the_one_checked(compiled_bench, tmp_path):
    folder = _package(tmp_path / "copy")
    compiled_bench.check_imports(folder, compiled=False)  # its own work.py: passes
    with pytest.raises(SystemExit, match="imported"):
        compiled_bench.check_imports(folder, compiled=True)  # not compiled: refused


def test_a_folder_without_the_package_does_not_pass_for_it(compiled_bench, tmp_path):
    # Python finds the installed package instead: the run would time the wrong code.
    with pytest.raises(SystemExit, match="imported"):
        compiled_bench.check_imports(tmp_path, compiled=False)
