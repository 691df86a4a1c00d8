"""A clean-data run or a restore killed with SIGKILL part-way loses nothing, and a rerun finishes it.

The datasets here hold damaged files that Pillow rejects, and valid TIFF files, which
TensorFlow's decoder does not read: so the killed `catdog` processes never import
TensorFlow, and each starts in about a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_catdog
from PIL import Image
from test_preprocess_fixtures import encode, random_bytes, structured_pixels

from catdog.preprocess.clean import clean_data
from catdog.preprocess.manifest import KILL_AT_ENV

KILLED = -signal.SIGKILL


def write_dataset(root: Path, bad_per_class: int) -> None:
    for label in ("Cat", "Dog"):
        folder = root / label
        (folder / "nested").mkdir(parents=True)
        for index in range(2):
            image = Image.fromarray(structured_pixels(index + (10 if label == "Dog" else 0)))
            (folder / f"good-{index}.tif").write_bytes(encode(image, "TIFF"))
        for index in range(bad_per_class):
            kind = index % 3
            if kind == 0:
                data = b""
            elif kind == 1:
                data = b"plain text, not a picture\n"
            else:
                data = random_bytes(64 + index)
            subfolder = folder / "nested" if index % 4 == 0 else folder
            (subfolder / f"bad-{index}.jpg").write_bytes(data)


def snapshot(root: Path) -> dict[str, str]:
    state = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            state[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def read_manifest(root: Path) -> list[dict]:
    path = root / "Trash" / "manifest.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_nothing_lost(root: Path, original: dict[str, str]) -> None:
    """Every original file is in place, or in Trash/ at the path its manifest entry names."""
    current = snapshot(root)
    entries = {record["src"]: record["dst"] for record in read_manifest(root) if record["event"] == "move"}
    for relpath, digest in original.items():
        if current.get(relpath) == digest:
            continue
        assert relpath in entries, f"{relpath} left its place without a manifest entry"
        assert current.get(entries[relpath]) == digest, f"{relpath} is neither in place nor at {entries[relpath]}"
    extra = set(current) - set(original) - set(entries.values()) - {"Trash/manifest.jsonl"}
    assert not extra, f"unexpected files: {sorted(extra)}"


def open_entries(root: Path) -> list[dict]:
    records = read_manifest(root)
    closing = {"move": {"moved", "cancelled"}, "restore": {"restored", "restore-cancelled"}}
    still_open = []
    for index, record in enumerate(records):
        if record["event"] in closing:
            later = records[index + 1 :]
            if not any(other["id"] == record["id"] and other["event"] in closing[record["event"]] for other in later):
                still_open.append(record)
    return still_open


def run_killed(*args: str, kill_at: str) -> subprocess.CompletedProcess:
    env = {**os.environ, KILL_AT_ENV: kill_at}
    return subprocess.run(
        [sys.executable, "-m", "catdog", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "PetImages"
    write_dataset(root, bad_per_class=6)
    return root


@pytest.mark.parametrize("step", ["move-logged", "move-renamed"])
def test_killed_clean_run_loses_nothing(dataset, step):
    original = snapshot(dataset)

    killed = run_killed("clean-data", str(dataset), "--quiet", kill_at=f"{step}:5")
    assert killed.returncode == KILLED
    assert_nothing_lost(dataset, original)
    pending = open_entries(dataset)
    assert len(pending) == 1
    in_trash = (dataset / pending[0]["dst"]).exists()
    assert in_trash == (step == "move-renamed")

    rerun = run_catdog("clean-data", str(dataset), "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    assert "Manifest: " in rerun.stdout
    assert open_entries(dataset) == []
    assert_nothing_lost(dataset, original)
    assert sorted(path.name for path in (dataset / "Cat").rglob("*") if path.is_file()) == ["good-0.tif", "good-1.tif"]

    restored = run_catdog("clean-data", str(dataset), "--restore")
    assert restored.returncode == 0, restored.stderr
    after = snapshot(dataset)
    after.pop("Trash/manifest.jsonl")
    assert after == original


@pytest.mark.parametrize("step", ["restore-logged", "restore-renamed"])
def test_killed_restore_loses_nothing(dataset, step):
    original = snapshot(dataset)
    clean_data(dataset, progress=False)

    killed = run_killed("clean-data", str(dataset), "--restore", kill_at=f"{step}:3")
    assert killed.returncode == KILLED
    assert_nothing_lost(dataset, original)
    assert len(open_entries(dataset)) == 1

    rerun = run_catdog("clean-data", str(dataset), "--restore")
    assert rerun.returncode == 0, rerun.stderr
    after = snapshot(dataset)
    after.pop("Trash/manifest.jsonl")
    assert after == original


def test_external_kill_at_random_point(tmp_path):
    """SIGKILL sent from outside while moves are under way, wherever it lands."""
    root = tmp_path / "PetImages"
    write_dataset(root, bad_per_class=200)
    original = snapshot(root)

    process = subprocess.Popen(
        [sys.executable, "-m", "catdog", "clean-data", str(root), "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    manifest = root / "Trash" / "manifest.jsonl"
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if manifest.exists() and manifest.stat().st_size > 3_000:  # about 10 moves logged
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    process.wait(timeout=60)

    assert process.returncode == KILLED, "the run ended before it could be killed"
    assert_nothing_lost(root, original)
    rerun = run_catdog("clean-data", str(root), "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    assert_nothing_lost(root, original)
    assert not [path for path in root.rglob("bad-*") if "Trash" not in path.parts]
