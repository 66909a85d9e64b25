"""The cache folder's whole-file writes: a reader never sees half a file, a failed write leaves
nothing (processes of a pool and Dask workers share the folder)."""

from __future__ import annotations

import pytest

from sim.model.cache import CACHE_ENV, cache_dir, write_whole


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "sub" / "calendar.json"
    write_whole(path, lambda tmp: tmp.write_text("old", encoding="utf-8"))
    seen = []

    def write(tmp):
        tmp.write_text("new, half", encoding="utf-8")
        seen.append(path.read_text(encoding="utf-8"))  # mid-write, readers see the old file
        with tmp.open("a", encoding="utf-8") as f:
            f.write(" and whole")

    write_whole(path, write)
    assert seen == ["old"]
    assert path.read_text(encoding="utf-8") == "new, half and whole"
    assert [p.name for p in path.parent.iterdir()] == ["calendar.json"]


def test_an_interrupted_write_leaves_the_old_file_and_nothing_else(tmp_path):
    path = tmp_path / "office.json.gz"
    path.write_text("old", encoding="utf-8")

    def fails(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_whole(path, fails)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["office.json.gz"]


def test_the_folder_is_the_environment_variables_else_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "shared"))
    assert cache_dir() == tmp_path / "shared"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "docflow-sim" / "offices"
