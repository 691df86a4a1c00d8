"""`catdog clean-data` on a dataset holding every kind of damaged or unusual file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from conftest import run_catdog
from test_preprocess_fixtures import build_damaged_dataset, decompression_bomb_png, jpeg_bytes

from catdog.dataset import load_dataset
from catdog.errors import CatdogError
from catdog.preprocess.checks import check_image
from catdog.preprocess.clean import clean_data
from catdog.preprocess.restore import restore_data


def snapshot(root: Path) -> dict[str, str]:
    """Map every file and link under `root` to its SHA-256 (or link target)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = Path(dirpath) / name
            relpath = path.relative_to(root).as_posix()
            if path.is_symlink():
                state[relpath] = "link:" + os.readlink(path)
            else:
                state[relpath] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def manifest_records(root: Path) -> list[dict]:
    lines = (root / "Trash" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture
def damaged(tmp_path):
    return build_damaged_dataset(tmp_path / "PetImages", tmp_path / "outside")


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    """One clean-data run with near duplicates, shared by the read-only checks."""
    base = tmp_path_factory.mktemp("cleaned")
    dataset = build_damaged_dataset(base / "PetImages", base / "outside")
    before = snapshot(dataset.root)
    report = clean_data(dataset.root, near_duplicates=True, progress=False)
    return dataset, report, before


def test_bad_files_move_to_trash(cleaned):
    dataset, report, before = cleaned
    for relpath in dataset.moved:
        assert not (dataset.root / relpath).exists(), f"{relpath} is still in place"
        trashed = dataset.root / "Trash" / relpath
        assert trashed.exists(), f"{relpath} is not in Trash/"
        assert hashlib.sha256(trashed.read_bytes()).hexdigest() == before[relpath]


def test_each_move_has_its_reason(cleaned):
    dataset, report, _ = cleaned
    reasons = {move.src: move.reason for move in report.moves}
    assert reasons == dataset.moved


def test_manifest_records_every_move(cleaned):
    dataset, _, before = cleaned
    records = manifest_records(dataset.root)
    moves = {record["src"]: record for record in records if record["event"] == "move"}
    closed = {record["id"] for record in records if record["event"] == "moved"}
    assert set(moves) == set(dataset.moved)
    for relpath, record in moves.items():
        assert record["reason"] == dataset.moved[relpath]
        assert record["dst"] == f"Trash/{relpath}"
        assert record["sha256"] == before[relpath]
        assert record["id"] in closed


def test_kept_files_stay_in_place(cleaned):
    dataset, _, before = cleaned
    for relpath in dataset.kept:
        path = dataset.root / relpath
        assert path.exists(), f"{relpath} was moved"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before[relpath]


def test_checked_count_covers_every_candidate(cleaned):
    dataset, report, _ = cleaned
    assert report.checked == len(dataset.kept) + len(dataset.moved)


def test_wrong_extensions_reported(cleaned):
    dataset, report, _ = cleaned
    assert report.wrong_extensions == dataset.wrong_extension


def test_exif_warning_reported_against_path(cleaned):
    dataset, report, _ = cleaned
    assert set(report.decode_warnings) == set(dataset.decode_warning) | set(dataset.tensorflow_warning)
    assert "Corrupt EXIF" in report.decode_warnings["Cat/bad-exif.jpg"][0]


def test_libjpeg_warning_reported_against_path(cleaned):
    _, report, _ = cleaned
    messages = report.decode_warnings["Cat/extraneous.jpg"]
    assert len(messages) == 1
    assert re.fullmatch(r"Corrupt JPEG data: \d+ extraneous bytes before marker 0xd9", messages[0])


def test_too_small_image_reported(cleaned):
    dataset, report, _ = cleaned
    assert list(report.too_small) == dataset.too_small
    assert report.too_small["Cat/tiny.png"] == (1, 1)


def test_ignored_files_listed_and_untouched(cleaned):
    dataset, report, before = cleaned
    assert sorted(report.ignored) == sorted(dataset.ignored)
    assert (dataset.root / "Cat" / "Thumbs.db").exists()
    assert (dataset.root / "Dog" / ".hidden-folder" / "inside.jpg").exists()


def test_external_link_not_followed(cleaned):
    dataset, report, before = cleaned
    assert report.external_links == dataset.external_links
    link = dataset.root / "Dog" / "outside-link.jpg"
    assert link.is_symlink()
    assert not (dataset.root / "Trash" / "Dog" / "outside-link.jpg").exists()


def test_byte_duplicates_reported(cleaned):
    dataset, report, _ = cleaned
    assert report.duplicate_groups == dataset.byte_duplicates


def test_cross_label_duplicates_reported(cleaned):
    dataset, report, _ = cleaned
    assert report.cross_label_groups == dataset.cross_label


def test_near_duplicate_pair_reported(cleaned):
    dataset, report, _ = cleaned
    pairs = {(pair.first, pair.second): pair.distance for pair in report.near_duplicates}
    assert dataset.near_duplicate in pairs
    assert 0 < pairs[dataset.near_duplicate] <= report.near_max_distance


def test_near_duplicates_exclude_byte_identical(cleaned):
    _, report, _ = cleaned
    pairs = {frozenset((pair.first, pair.second)) for pair in report.near_duplicates}
    assert frozenset(("Dog/0.jpg", "Dog/copy-of-0.jpg")) not in pairs


def test_kept_formats_load_without_loose_warnings(cleaned, tmp_path, recwarn):
    """Every kept file decodes in the shared loader, and every moved file is skipped by it."""
    dataset, _, _ = cleaned
    copy = tmp_path / "PetImages"
    shutil.copytree(dataset.root, copy, symlinks=True)
    restore_data(copy)
    loaded = load_dataset(copy, image_size=50, color="rgb", use_cache=False, progress=False)

    assert loaded.images.shape[1:] == (50, 50, 3)
    assert sorted(loaded.paths) == sorted(dataset.kept)
    assert {item.relpath for item in loaded.skipped} == set(dataset.moved)
    assert set(loaded.decode_warnings) == set(dataset.decode_warning)
    assert [str(warning.message) for warning in recwarn] == []


def test_dry_run_changes_nothing(damaged):
    before = snapshot(damaged.root)
    report = clean_data(damaged.root, dry_run=True, progress=False)
    assert snapshot(damaged.root) == before
    assert not (damaged.root / "Trash").exists()
    assert {move.src: move.reason for move in report.moves} == damaged.moved


def test_second_run_moves_nothing(damaged):
    clean_data(damaged.root, progress=False)
    after_first = snapshot(damaged.root)
    second = clean_data(damaged.root, progress=False)
    assert second.moves == []
    assert snapshot(damaged.root) == after_first


def test_restore_puts_every_file_back(damaged):
    before = snapshot(damaged.root)
    clean_data(damaged.root, progress=False)
    report = restore_data(damaged.root)
    after = snapshot(damaged.root)
    assert len(report.restored) == len(damaged.moved)
    assert after.pop("Trash/manifest.jsonl")
    assert after == before


def test_trash_name_clash_gets_new_name(damaged):
    earlier = damaged.write("Trash/Cat/empty.jpg", b"an older file the user keeps in Trash")
    clean_data(damaged.root, progress=False)
    assert earlier.read_bytes() == b"an older file the user keeps in Trash"
    assert (damaged.root / "Trash" / "Cat" / "empty (2).jpg").read_bytes() == b""


def test_restore_name_clash_keeps_new_file(damaged):
    clean_data(damaged.root, progress=False)
    newer = damaged.write("Cat/empty.jpg", jpeg_bytes(7))
    report = restore_data(damaged.root)
    assert newer.read_bytes() == jpeg_bytes(7)
    assert (damaged.root / "Cat" / "empty (2).jpg").read_bytes() == b""
    assert ("Cat/empty.jpg", "Cat/empty (2).jpg") in report.renamed


def test_restore_without_manifest_fails(damaged):
    with pytest.raises(CatdogError, match="No manifest"):
        restore_data(damaged.root)


def test_missing_folder_fails(tmp_path):
    with pytest.raises(CatdogError, match="not found"):
        clean_data(tmp_path / "absent", progress=False)


def test_bomb_rejected_without_decoding():
    data = decompression_bomb_png()
    tracemalloc.start()
    result = check_image(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.reason == "decompression bomb"
    # Decoding 30,000 x 30,000 grayscale pixels would allocate 900 MB.
    assert peak < 10 * 1024**2


@contextlib.contextmanager
def effective_user(uid: int):
    """Run the block with another effective user id, so that file permissions apply to root too."""
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)


def test_unreadable_file_reported_not_moved():
    # pytest's tmp_path is private to root, so this test uses a folder any user can enter.
    base = Path(tempfile.mkdtemp(prefix="catdog-unreadable-"))
    try:
        base.chmod(0o755)
        root = base / "PetImages"
        for label, seed in (("Cat", 1), ("Dog", 2)):
            (root / label).mkdir(parents=True)
            (root / label / "ok.jpg").write_bytes(jpeg_bytes(seed))
        locked = root / "Cat" / "locked.jpg"
        locked.write_bytes(jpeg_bytes(3))
        locked.chmod(0o000)
        os.symlink(root / "Dog" / "missing.jpg", root / "Dog" / "dangling.jpg")
        os.mkfifo(root / "Dog" / "pipe.jpg")

        running_as_root = os.geteuid() == 0
        if running_as_root:
            # Python's standard library lives in a folder only root may enter, so a
            # first run as root imports every module the second run needs.
            clean_data(root, dry_run=True, progress=False)
        with effective_user(65534) if running_as_root else contextlib.nullcontext():
            report = clean_data(root, progress=False)

        assert set(report.unreadable) == {"Cat/locked.jpg", "Dog/dangling.jpg", "Dog/pipe.jpg"}
        assert "Permission denied" in report.unreadable["Cat/locked.jpg"]
        assert "No such file" in report.unreadable["Dog/dangling.jpg"]
        assert report.unreadable["Dog/pipe.jpg"] == "not a regular file"
        assert report.moves == []
        assert report.checked == 2
        assert locked.exists()
    finally:
        shutil.rmtree(base)


def test_cli_prints_summary(damaged):
    result = run_catdog("clean-data", str(damaged.root), "--quiet")
    assert result.returncode == 0, result.stderr
    assert f"Moved to Trash/: {len(damaged.moved)} bad files" in result.stdout
    assert "  truncated image: 2" in result.stdout
    assert "Cat/bad-exif.jpg: Corrupt EXIF data" in result.stdout
    assert "Cat/tiny.png: 1x1" in result.stdout
    assert "Cat/1.jpg = Dog/cat-1-again.jpg" in result.stdout
    assert "Cat/extraneous.jpg: Corrupt JPEG data" in result.stdout
    # Decoder warnings are reported against their path only, never printed loose.
    assert "Corrupt EXIF" not in result.stderr
    assert "Corrupt JPEG" not in result.stderr


def test_cli_missing_folder_exits_2(tmp_path):
    result = run_catdog("clean-data", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("Error: Dataset folder")


def test_cli_restore_without_manifest_exits_2(damaged):
    result = run_catdog("clean-data", str(damaged.root), "--restore")
    assert result.returncode == 2
    assert "No manifest" in result.stderr
