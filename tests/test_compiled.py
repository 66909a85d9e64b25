"""The optional compiled build (`python setup.py compile`): same results, never a stale module.

Builds a copy of the package with mypyc once (about a minute) and runs scenarios in
subprocesses, compiled and from source, comparing every output byte for byte.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mypyc") is None,
    reason="the compiled build needs mypyc: pip install -e '.[compiled]'")

DIGESTS = """
import hashlib, json, sys
from sim.compiled import build, compiled_modules
from sim.model import run_replication
from sim.scenario import load_scenario

out = {}
for name, days in (("baseline", 3), ("remote_75", 3), ("reference_process", 5)):
    sc = load_scenario(f"{sys.argv[1]}/{name}.yaml", [f"horizon_days={days}", "warmup_days=1"])
    for arch in ("osdo", "esed", "mixed"):
        r = run_replication(sc, arch, 0, keep_documents=True, keep_steps=True)
        h = hashlib.sha256(json.dumps(r.kpis, sort_keys=True).encode())
        for frame in (r.documents, r.steps, r.timeseries):
            h.update(frame.to_csv(index=False).encode())
        out[f"{name}/{arch}"] = h.hexdigest()
print(json.dumps({"compiled": compiled_modules(), "build": build(), "digests": out}))
"""


def _python(tree: Path, code: str, pure: bool = False) -> subprocess.CompletedProcess:
    """Run ``code`` with the copy's package (its scenarios folder is the first argument)."""
    env = {k: v for k, v in os.environ.items() if k != "DOCFLOW_PURE_PYTHON"}
    if pure:
        env["DOCFLOW_PURE_PYTHON"] = "1"
    env["PYTHONPATH"] = str(tree)
    return subprocess.run([sys.executable, "-c", code, str(ROOT / "scenarios")], cwd=tree,
                          env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with the hot-path modules compiled in place."""
    dest = tmp_path_factory.mktemp("compiled")
    shutil.copytree(ROOT / "sim", dest / "sim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "_compiled.json"))
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    done = subprocess.run([sys.executable, "setup.py", "compile"], cwd=dest, capture_output=True,
                          text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return dest


def test_compiled_build_gives_byte_identical_outputs(tree: Path) -> None:
    compiled = _python(tree, DIGESTS)
    pure = _python(tree, DIGESTS, pure=True)
    assert compiled.returncode == 0 and pure.returncode == 0, compiled.stderr + pure.stderr
    c, p = json.loads(compiled.stdout), json.loads(pure.stdout)
    assert {"sim.work", "sim.staffing", "sim.routing", "sim.calendar"} <= set(c["compiled"])
    assert p["compiled"] == []
    assert (c["build"], p["build"]) == ("compiled (mypyc)", "pure Python")  # in summary.json
    assert c["digests"] == p["digests"]
    assert compiled.stderr == ""  # an up-to-date build says nothing


def test_an_edited_source_runs_from_source_with_a_warning(tree: Path) -> None:
    work = tree / "sim" / "work.py"
    original = work.read_text()
    try:
        work.write_text(original + "\nEDITED_BY_A_STUDENT = True\n")
        done = _python(tree, "import sim.model, sim.work\nfrom sim.compiled import build, "
                             "compiled_modules\nprint(sim.work.EDITED_BY_A_STUDENT, "
                             "compiled_modules(), build())")
    finally:
        work.write_text(original)
    assert done.returncode == 0, done.stderr
    # Every module from source, not only the edited one: compiled modules call each other
    # directly and would bypass the edit.
    assert done.stdout.strip() == "True [] pure Python"
    assert done.stderr.count("\n") == 1
    assert "warning: sim/work.py changed after `python setup.py compile`" in done.stderr
    assert "python setup.py clean_compiled" in done.stderr


@pytest.mark.parametrize(("pattern", "message"), [
    ("_compiled.json", "changed after"),  # no record of the sources: not trusted
    ("routing.*.so", "sim/routing.py (its compiled file is gone)"),
    ("_native__mypyc.*", "shared library is gone"),
])
def test_an_incomplete_build_is_not_trusted(tree: Path, pattern: str, message: str) -> None:
    path = next((tree / "sim").glob(pattern))
    moved = path.rename(tree / path.name)  # aside, and back after the check
    try:
        done = _python(tree, "import sim.model, sim.work\nprint(sim.work.__file__.endswith('.py'))")
    finally:
        moved.rename(path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    assert message in done.stderr


def test_a_build_for_another_python_is_ignored_silently(tree: Path) -> None:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    files = [p for p in (tree / "sim").iterdir() if p.name.endswith(suffix)]
    other = [p.with_name(p.name[: -len(suffix)] + ".cpython-399-x86_64-linux-gnu.so")
             for p in files]
    for a, b in zip(files, other, strict=True):
        a.rename(b)
    try:
        done = _python(tree, "import sim.work, sim.compiled\nprint(sim.compiled.build())")
    finally:
        for a, b in zip(files, other, strict=True):
            b.rename(a)
    assert (done.stdout.strip(), done.stderr) == ("pure Python", "")


@pytest.mark.parametrize(("value", "expected"), [
    ("1", "pure Python"), ("true", "pure Python"), ("0", "compiled (mypyc)"),
    ("stale build", "compiled (mypyc)"),  # left by a parent that warned; the build is fresh now
])
def test_the_pure_python_switch(tree: Path, value: str, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DOCFLOW_PURE_PYTHON"}
    env.update(DOCFLOW_PURE_PYTHON=value, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", "import sim.compiled as c; print(c.build())"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert (done.stdout.strip(), done.stderr) == (expected, "")


def test_workers_of_a_warned_process_run_sources_without_warning(tree: Path) -> None:
    work = tree / "sim" / "work.py"
    original = work.read_text()
    code = ("import os, subprocess, sys\nimport sim.compiled as c\n"
            "child = subprocess.run([sys.executable, '-c', 'import sim.compiled as c; "
            "print(c.build())'], capture_output=True, text=True)\n"
            "print(c.build(), '|', child.stdout.strip(), '|', child.stderr.strip())")
    try:
        work.write_text(original + "\n# edited\n")
        done = _python(tree, code)
    finally:
        work.write_text(original)
    assert done.stdout.strip() == "pure Python | pure Python |"
    assert done.stderr.count("warning:") == 1


def test_clean_compiled_leaves_only_sources(tree: Path) -> None:
    copy = tree.parent / "cleaned"
    shutil.copytree(tree, copy, ignore=shutil.ignore_patterns("build"))
    done = subprocess.run([sys.executable, "setup.py", "clean_compiled"], cwd=copy,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    left = {p.name for p in (copy / "sim").iterdir()}
    assert not {n for n in left if n.endswith((".so", ".pyd"))}
    assert "_compiled.json" not in left
    assert "work.py" in left
