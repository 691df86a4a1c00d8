"""Run-directory helpers: atomic writes, file permissions and the run record."""

import json
import os

import pytest

from catdog.runs import atomic_path, create_run_dir, environment_versions, write_json, write_run_record


def test_atomic_write_uses_umask_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        write_json(tmp_path / "scores.json", {"accuracy": 0.5})
    finally:
        os.umask(previous)

    assert (tmp_path / "scores.json").stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_old_file(tmp_path):
    target = tmp_path / "results.md"
    target.write_text("old")

    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")

    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.md"]


def test_run_dirs_never_collide(tmp_path):
    first = create_run_dir(tmp_path, "cv")
    second = create_run_dir(tmp_path, "cv")

    assert first != second
    assert first.is_dir()
    assert second.is_dir()


def test_run_record_holds_seed_and_versions(tmp_path):
    write_run_record(tmp_path, "cv", {"folds": 5}, seed=7)

    record = json.loads((tmp_path / "config.json").read_text())
    assert record["seed"] == 7
    assert record["config"] == {"folds": 5}
    for name in ("python", "catdog", "keras", "numpy", "scikit-learn", "pillow"):
        assert record["versions"][name] == environment_versions()[name]
