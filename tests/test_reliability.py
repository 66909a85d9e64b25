"""Determinism and safety: same inputs, same bytes; scenario files are data, never code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.config import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "good" / "tiny.yaml"


def _run(out: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["run", str(TINY), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output


def test_same_scenario_and_seed_give_identical_files(tmp_path: Path) -> None:
    _run(tmp_path / "a", "--replications", "2")
    _run(tmp_path / "b", "--replications", "2")
    for name in ("summary.csv", "documents.csv", "timeseries.csv", "scenario.resolved.yaml"):
        a, b = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
        assert a == b, name
    assert len((tmp_path / "a" / "documents.csv").read_text().splitlines()) > 10
    ja = json.loads((tmp_path / "a" / "summary.json").read_text())
    jb = json.loads((tmp_path / "b" / "summary.json").read_text())
    differing = {k for k in ja.keys() | jb.keys() if ja.get(k) != jb.get(k)}
    assert differing <= {"runtime_s"}


def test_another_seed_gives_other_documents(tmp_path: Path) -> None:
    """The byte-equality above is not vacuous: the seed does reach the documents."""
    _run(tmp_path / "a")
    _run(tmp_path / "b", "--seed", "7")
    assert (tmp_path / "a" / "documents.csv").read_bytes() != (
        tmp_path / "b" / "documents.csv").read_bytes()


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
])
def test_python_tags_are_refused_and_never_run(tag: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"name: {tag.format(marker=marker)}\n")
    with pytest.raises(ScenarioError, match="is not allowed: scenario files hold plain data"):
        load_scenario(path)
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert not marker.exists()
    assert not (tmp_path / "run").exists()


def test_a_tag_in_an_override_is_only_text(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = f"description=!!python/object/apply:os.system ['touch {marker}']"
    scenario = load_scenario(TINY, [evil])
    assert scenario.description.startswith("!!python")
    assert not marker.exists()


def test_extends_is_resolved_relative_to_the_file_not_the_working_folder(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "parent.yaml").write_text(TINY.read_text().replace("tiny", "right"))
    (tmp_path / "parent.yaml").write_text(TINY.read_text().replace("tiny", "wrong"))
    (tmp_path / "sub" / "child.yaml").write_text("extends: parent.yaml\nseed: 5\n")
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario("sub/child.yaml")
    assert (scenario.name, scenario.seed) == ("right", 5)


@pytest.mark.parametrize(("override", "fragments"), [
    ("staff.remote_shar=0.5", ["staff.remote_shar: unknown key", "did you mean 'remote_share'"]),
    ("bodies.9.staff=3", ["bodies.9: index must be 0..1", "'9'"]),
    ("horizon_days=abc", ["horizon_days: 'abc' is not allowed", "whole number"]),
    ("staff.remote_share=2", ["staff.remote_share: 2 is not allowed", "less than or equal to 1"]),
    ("name.first=x", ["name is a value, not a section"]),
    ("remote_share", ["expected path.to.key=VALUE"]),
])
def test_bad_overrides_exit_2_with_one_line(override: str, fragments: list[str], tmp_path):
    for command in (["validate"], ["run", "--out", str(tmp_path / "run")]):
        result = CliRunner().invoke(main, [*command, str(TINY), "--set", override])
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output
        assert "tiny.yaml" in lines[0] or "=" not in override  # a malformed --set has no file
        for fragment in fragments:
            assert fragment in lines[0]
    assert list(tmp_path.iterdir()) == []
