"""The manifest: an incomplete last line, an invalid line, and name clashes."""

from __future__ import annotations

import json

import pytest
from test_preprocess_fixtures import jpeg_bytes

from catdog.errors import CatdogError
from catdog.preprocess.manifest import MOVED, Manifest, unique_relpath
from catdog.preprocess.restore import restore_data


@pytest.fixture
def root(tmp_path):
    for label in ("Cat", "Dog"):
        (tmp_path / label).mkdir()
        (tmp_path / label / "ok.jpg").write_bytes(jpeg_bytes(1))
    return tmp_path


def test_incomplete_last_line_is_cut_off(root):
    # A move was logged and done, then a crash cut its closing line in half.
    (root / "Trash" / "Cat").mkdir(parents=True)
    (root / "Trash" / "Cat" / "bad.jpg").write_bytes(b"")
    move = {"event": "move", "id": 1, "src": "Cat/bad.jpg", "dst": "Trash/Cat/bad.jpg", "reason": "empty file"}
    (root / "Trash" / "manifest.jsonl").write_text(json.dumps(move) + '\n{"event": "mo', encoding="utf-8")

    manifest = Manifest(root)
    manifest.reconcile()

    assert manifest.moves[1].state == MOVED
    lines = (root / "Trash" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["move", "moved"]
    restore_data(root)
    assert (root / "Cat" / "bad.jpg").exists()


def test_invalid_middle_line_raises(root):
    (root / "Trash").mkdir()
    (root / "Trash" / "manifest.jsonl").write_text('not json\n{"event": "moved", "id": 1}\n', encoding="utf-8")
    with pytest.raises(CatdogError, match="invalid at line 1"):
        Manifest(root)


def test_unique_relpath_skips_taken_names(root):
    (root / "Cat" / "ok (2).jpg").write_bytes(b"")
    assert unique_relpath(root, "Cat/new.jpg", set()) == "Cat/new.jpg"
    assert unique_relpath(root, "Cat/ok.jpg", set()) == "Cat/ok (3).jpg"
    assert unique_relpath(root, "Cat/new.jpg", {"Cat/new.jpg"}) == "Cat/new (2).jpg"
