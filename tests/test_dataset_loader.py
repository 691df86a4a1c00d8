"""Tests of the shared dataset loader: decoding, cache, skipped files, listing rules."""

from __future__ import annotations

import io
import logging
import os
import shutil
import struct
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from catdog.dataset import load_dataset
from catdog.dataset import loader as loader_module
from catdog.errors import CatdogError

# EXIF tag 0x0112. Value 6 means "rotate 90 degrees clockwise to display".
ORIENTATION_TAG = 0x0112
NOBODY_UID = 65534


def random_pixels(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def write_image(path: Path, pixels: np.ndarray, **save_options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, **save_options)
    return path


def jpeg_bytes(pixels: np.ndarray, **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **save_options)
    return buffer.getvalue()


def make_dataset(root: Path, per_class: int = 4, classes=("Cat", "Dog"), size: int = 40) -> Path:
    """Write `per_class` distinct random JPEGs into each class folder."""
    for class_number, label in enumerate(classes):
        for index in range(per_class):
            pixels = random_pixels(size, size + 8, seed=100 * class_number + index)
            write_image(root / label / f"{index}.jpg", pixels, quality=90)
    return root


def load(root: Path, **options):
    options.setdefault("progress", False)
    return load_dataset(root, **options)


def assert_same_dataset(first, second) -> None:
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.paths == second.paths
    assert first.hashes == second.hashes
    assert first.skipped == second.skipped
    assert first.decode_warnings == second.decode_warnings


@pytest.fixture
def dataset_root(tmp_path) -> Path:
    return make_dataset(tmp_path / "PetImages")


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


# Colour and size -------------------------------------------------------------------


@pytest.mark.parametrize("color, channels", [("grayscale", 1), ("rgb", 3)])
@pytest.mark.parametrize("image_size", [1, 16, 50, 97])
def test_load_shape_and_dtype(dataset_root, color, channels, image_size):
    dataset = load(dataset_root, image_size=image_size, color=color, use_cache=False)

    assert dataset.images.shape == (8, image_size, image_size, channels)
    assert dataset.images.dtype == np.uint8
    assert dataset.labels.dtype == np.int64
    assert dataset.labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert len(dataset) == 8


def test_load_pixel_values_exact_for_png(tmp_path):
    # A solid colour survives resizing unchanged, and PNG is lossless, so the
    # expected values are exact: ITU-R 601 luma of pure red is 0.299 * 255 = 76.
    root = tmp_path / "data"
    red = np.zeros((30, 70, 3), dtype=np.uint8)
    red[..., 0] = 255
    write_image(root / "Cat" / "red.png", red)
    write_image(root / "Dog" / "gray.png", np.full((20, 20), 200, dtype=np.uint8))

    rgb = load(root, image_size=10, color="rgb", use_cache=False)
    gray = load(root, image_size=10, color="grayscale", use_cache=False)

    assert np.all(rgb.images[0] == [255, 0, 0])
    assert np.all(rgb.images[1] == [200, 200, 200])
    assert np.all(gray.images[0] == 76)
    assert np.all(gray.images[1] == 200)


def test_load_class_names_sorted_any_names(tmp_path):
    root = make_dataset(tmp_path / "insects", per_class=2, classes=("wasps", "bees", "ants"))

    dataset = load(root, use_cache=False)

    assert dataset.class_names == ["ants", "bees", "wasps"]
    assert [path.split("/")[0] for path in dataset.paths] == ["ants"] * 2 + ["bees"] * 2 + ["wasps"] * 2
    assert dataset.labels.tolist() == [0, 0, 1, 1, 2, 2]


def test_load_rejects_bad_settings(dataset_root):
    with pytest.raises(CatdogError, match=r"image_size must be a positive.*image_size=0"):
        load(dataset_root, image_size=0)
    with pytest.raises(CatdogError, match=r"color must be one of grayscale, rgb.*'cmyk'"):
        load(dataset_root, color="cmyk")
    with pytest.raises(CatdogError, match=r"workers must be a positive.*workers=0"):
        load(dataset_root, workers=0)
    with pytest.raises(CatdogError, match=r"image_size must be a positive.*image_size=True"):
        load(dataset_root, image_size=True)
    with pytest.raises(CatdogError, match=r"image_size must be a positive.*image_size=50.0"):
        load(dataset_root, image_size=50.0)


def test_load_accepts_numpy_integers(dataset_root):
    dataset = load(dataset_root, image_size=np.int64(12), workers=np.int32(1), use_cache=False)

    assert dataset.images.shape == (8, 12, 12, 1)


# EXIF orientation and draft mode ---------------------------------------------------


def half_dark_pixels(height: int, width: int) -> np.ndarray:
    """RGB pixels whose left half is black and right half white."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, width // 2 :] = 255
    return pixels


@pytest.mark.parametrize("stored_size", [(80, 40), (800, 400)], ids=["small", "draft"])
def test_load_applies_exif_orientation(tmp_path, stored_size):
    # Orientation 6 means viewers turn the stored picture 90 degrees clockwise, so
    # its left (dark) half ends up on top. Stretched to a square, a picture that was
    # not turned would still be dark on the left instead.
    width, height = stored_size
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    root = tmp_path / "data"
    write_image(root / "Cat" / "rotated.jpg", half_dark_pixels(height, width), exif=exif.tobytes(), quality=95)
    write_image(root / "Dog" / "upright.jpg", half_dark_pixels(height, width), quality=95)

    images = load(root, image_size=20, use_cache=False).images[..., 0].astype(int)
    rotated, upright = images[0], images[1]

    assert rotated[:8].mean() < 30, "top of the turned image should be dark"
    assert rotated[-8:].mean() > 225, "bottom of the turned image should be bright"
    assert rotated[:, :8].mean() == pytest.approx(rotated[:, -8:].mean(), abs=10)
    assert upright[:, :8].mean() < 30
    assert upright[:, -8:].mean() > 225


def test_load_uses_jpeg_draft_mode(tmp_path, monkeypatch):
    # Draft mode decodes this smooth 800x600 picture at 1/8 scale (100x75), the
    # smallest scale that still covers the 50x50 requested.
    y, x = np.mgrid[0:600, 0:800]
    pixels = np.stack([x * 255 // 799, y * 255 // 599, (x + y) * 255 // 1398], axis=-1).astype(np.uint8)
    root = tmp_path / "data"
    write_image(root / "Cat" / "big.jpg", pixels, quality=95)
    write_image(root / "Dog" / "big.jpg", pixels[::-1].copy(), quality=95)

    draft_sizes = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def recording_draft(self, mode, size):
        result = original_draft(self, mode, size)
        draft_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", recording_draft)
    dataset = load(root, image_size=50, color="rgb", use_cache=False, workers=1)

    assert draft_sizes == [(100, 75), (100, 75)]
    # The draft result stays close to a full decode followed by the same resize.
    with Image.open(root / "Cat" / "big.jpg") as image:
        reference = np.asarray(image.convert("RGB").resize((50, 50), Image.Resampling.BILINEAR)).astype(int)
    difference = np.abs(dataset.images[0].astype(int) - reference)
    assert difference.mean() < 2.0
    assert difference.max() < 16


# Cache -----------------------------------------------------------------------------


def test_cache_hit_returns_identical_arrays(tmp_path, cache_dir, monkeypatch, caplog):
    root = make_dataset(tmp_path / "data")
    corrupt_exif = insert_corrupt_exif(jpeg_bytes(random_pixels(30, 30)))
    (root / "Cat" / "warns.jpg").write_bytes(corrupt_exif)
    (root / "Dog" / "empty.jpg").write_bytes(b"")

    first = load(root, cache_dir=cache_dir)
    caplog.clear()

    def fail_decoding(*args, **kwargs):
        raise AssertionError("a cache hit must not decode any file")

    monkeypatch.setattr(loader_module, "_decode_listing", fail_decoding)
    with caplog.at_level(logging.WARNING, logger="catdog.dataset.loader"):
        second = load(root, cache_dir=cache_dir)

    assert first.from_cache is False
    assert second.from_cache is True
    assert_same_dataset(first, second)
    assert second.skipped[0].reason == "empty file"
    assert "Skipped Dog/empty.jpg (class Dog): empty file." in caplog.text
    assert "Cat/warns.jpg" in second.decode_warnings
    assert second.class_names == first.class_names
    assert len(list(cache_dir.glob("*.npz"))) == 1


def test_cache_unused_when_disabled(dataset_root, cache_dir):
    load(dataset_root, cache_dir=cache_dir, use_cache=False)
    assert not cache_dir.exists()

    load(dataset_root, cache_dir=cache_dir)
    again = load(dataset_root, cache_dir=cache_dir, use_cache=False)
    assert again.from_cache is False


def add_file(root: Path) -> None:
    write_image(root / "Cat" / "new.jpg", random_pixels(40, 40, seed=99))


def remove_file(root: Path) -> None:
    (root / "Dog" / "1.jpg").unlink()


def rename_file(root: Path) -> None:
    (root / "Dog" / "1.jpg").rename(root / "Dog" / "1-renamed.jpg")


def touch_file(root: Path) -> None:
    # Same bytes, newer modification time: the cache cannot know the content is equal.
    path = root / "Cat" / "0.jpg"
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def rewrite_file_same_size(root: Path) -> None:
    path = root / "Cat" / "2.jpg"
    info = path.stat()
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # one byte of the entropy-coded data, just before the EOI marker
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize(
    "change",
    [add_file, remove_file, rename_file, touch_file, rewrite_file_same_size],
    ids=["add", "remove", "rename", "touch", "rewrite"],
)
def test_cache_invalidated_by_file_change(dataset_root, cache_dir, change):
    load(dataset_root, cache_dir=cache_dir)
    change(dataset_root)

    second = load(dataset_root, cache_dir=cache_dir)
    third = load(dataset_root, cache_dir=cache_dir)

    assert second.from_cache is False
    assert third.from_cache is True
    assert_same_dataset(second, third)
    assert len(list(cache_dir.glob("*.npz"))) == 1, "the stale entry should be replaced"
    assert_same_dataset(second, load(dataset_root, use_cache=False))


@pytest.mark.parametrize(
    "settings", [{"image_size": 32}, {"color": "rgb"}], ids=["image_size", "color"]
)
def test_cache_invalidated_by_settings(dataset_root, cache_dir, settings):
    load(dataset_root, cache_dir=cache_dir, image_size=50, color="grayscale")

    changed = load(dataset_root, cache_dir=cache_dir, **settings)
    original = load(dataset_root, cache_dir=cache_dir, image_size=50, color="grayscale")

    assert changed.from_cache is False
    assert changed.images.shape[1:] == (settings.get("image_size", 50),) * 2 + (3 if "color" in settings else 1,)
    # Each setting keeps its own entry, so switching back is still a hit.
    assert original.from_cache is True
    assert len(list(cache_dir.glob("*.npz"))) == 2


def test_cache_corrupt_entry_decodes_again(dataset_root, cache_dir, caplog):
    first = load(dataset_root, cache_dir=cache_dir)
    [entry] = cache_dir.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:200])

    with caplog.at_level(logging.WARNING):
        second = load(dataset_root, cache_dir=cache_dir)
    third = load(dataset_root, cache_dir=cache_dir)

    assert second.from_cache is False
    assert "Ignoring unreadable cache file" in caplog.text
    assert third.from_cache is True
    assert_same_dataset(first, third)


def test_cache_unwritable_folder_still_loads(dataset_root, tmp_path, caplog):
    # A regular file where the cache folder should be: creating the folder fails.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("occupied")

    with caplog.at_level(logging.WARNING):
        dataset = load(dataset_root, cache_dir=blocker / "cache")

    assert len(dataset) == 8
    assert "Could not write the cache file" in caplog.text


def test_cache_default_folder_from_environment(dataset_root, tmp_path, monkeypatch):
    monkeypatch.setenv("CATDOG_CACHE_DIR", str(tmp_path / "env-cache"))

    load(dataset_root)

    assert len(list((tmp_path / "env-cache").glob("*.npz"))) == 1


# Skipped files ---------------------------------------------------------------------


def insert_corrupt_exif(jpeg: bytes) -> bytes:
    """Insert an APP1 EXIF segment whose one tag points past the end of the block."""
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01" + b"\x01\x12\x00\x03\x00\x00\x00\x20\x00\x00\x00\x99"
    payload = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def write_broken_files(root: Path) -> dict[str, str]:
    """Add one broken file of each kind; return relative path -> expected reason."""
    good = jpeg_bytes(random_pixels(60, 60, seed=7))
    (root / "Cat" / "empty.jpg").write_bytes(b"")
    (root / "Cat" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (root / "Dog" / "notes.jpg").write_text("These are my notes, not a picture.\n")
    (root / "Dog" / "page.jpg").write_text("<!DOCTYPE html><html><body>Not found</body></html>")
    (root / "Dog" / "noise.jpg").write_bytes(random_pixels(64, 64, channels=1, seed=3).tobytes())
    return {
        "Cat/empty.jpg": "empty file",
        "Cat/truncated.jpg": "truncated image",
        "Dog/noise.jpg": "not an image",
        "Dog/notes.jpg": "text file",
        "Dog/page.jpg": "html file",
    }


def test_skipped_files_named_and_counted(dataset_root, cache_dir, caplog):
    expected = write_broken_files(dataset_root)

    with caplog.at_level(logging.WARNING, logger="catdog.dataset.loader"):
        dataset = load(dataset_root, cache_dir=cache_dir)

    assert {item.relpath: item.reason for item in dataset.skipped} == expected
    assert {item.relpath: item.label for item in dataset.skipped} == {
        path: path.split("/")[0] for path in expected
    }
    assert len(dataset) == 8
    assert not set(expected) & set(dataset.paths)
    assert dataset.summary()["skipped"][0] == {"relpath": "Cat/empty.jpg", "label": "Cat", "reason": "empty file", "detail": ""}
    for relpath, reason in expected.items():
        label = relpath.split("/")[0]
        assert f"Skipped {relpath} (class {label}): {reason}." in caplog.text


def test_skipped_whole_class_raises(tmp_path):
    root = make_dataset(tmp_path / "data", classes=("Cat",))
    (root / "Dog").mkdir()
    (root / "Dog" / "empty.jpg").write_bytes(b"")
    (root / "Dog" / "notes.jpg").write_text("not a picture")

    with pytest.raises(CatdogError, match=r"No image of class Dog .* could be decoded. 2 files were skipped.*catdog clean-data"):
        load(root, use_cache=False)


def test_skipped_dangling_symlink_not_cached(dataset_root, cache_dir, caplog):
    # A link inside the dataset whose target is gone: stat and open both fail.
    (dataset_root / "Cat" / "gone.jpg").symlink_to(dataset_root / "Cat" / "missing-target.jpg")

    with caplog.at_level(logging.WARNING):
        first = load(dataset_root, cache_dir=cache_dir)
    second = load(dataset_root, cache_dir=cache_dir)

    [skipped] = first.skipped
    assert (skipped.relpath, skipped.reason, skipped.detail) == ("Cat/gone.jpg", "unreadable file", "No such file or directory")
    assert "Skipped Cat/gone.jpg (class Cat): unreadable file (No such file or directory)." in caplog.text
    assert len(first) == 8
    # An unreadable file may become readable without any change to the cache key.
    assert second.from_cache is False
    assert not cache_dir.exists()


def test_skipped_symlink_inside_dataset_followed(dataset_root):
    (dataset_root / "Dog" / "link.jpg").symlink_to(dataset_root / "Cat" / "0.jpg")

    dataset = load(dataset_root, use_cache=False)

    assert "Dog/link.jpg" in dataset.paths
    assert dataset.skipped == []


def test_skipped_fifo_never_opened(dataset_root):
    # Opening a FIFO for reading blocks until a writer appears, so the loader must
    # reject it from its file type alone. Otherwise this test hangs.
    os.mkfifo(dataset_root / "Dog" / "pipe.jpg")

    dataset = load(dataset_root, use_cache=False)

    [skipped] = dataset.skipped
    assert (skipped.relpath, skipped.label, skipped.reason, skipped.detail) == (
        "Dog/pipe.jpg", "Dog", "not a regular file", "named pipe",
    )
    assert len(dataset) == 8


def load_skipped_without_root(root: str) -> list[tuple[str, str, str]]:
    """Load `root` as an unprivileged user, in a forked child process."""
    if os.geteuid() == 0:
        # Root reads any file whatever its mode, so switch to the unprivileged user.
        os.setegid(NOBODY_UID)
        os.seteuid(NOBODY_UID)
    dataset = load_dataset(root, use_cache=False, progress=False, workers=1)
    return [(item.relpath, item.reason, item.detail) for item in dataset.skipped] + [("count", str(len(dataset)), "")]


@pytest.mark.skipif(not hasattr(os, "seteuid"), reason="needs POSIX user ids")
def test_skipped_permission_denied():
    # The dataset lives outside pytest's private temporary folder so that an
    # unprivileged user can reach it.
    root = Path(tempfile.mkdtemp(prefix="catdog-permissions-"))
    try:
        root.chmod(0o755)
        make_dataset(root, per_class=2)
        for path in root.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        locked = root / "Cat" / "locked.jpg"
        locked.write_bytes(jpeg_bytes(random_pixels(30, 30)))
        locked.chmod(0)

        with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
            result = pool.submit(load_skipped_without_root, str(root)).result(timeout=60)
    finally:
        shutil.rmtree(root)

    assert result == [("Cat/locked.jpg", "unreadable file", "Permission denied"), ("count", "4", "")]


# Listing rules ---------------------------------------------------------------------


def test_listing_ignores_hidden_system_and_trash(dataset_root):
    picture = random_pixels(30, 30, seed=5)
    for relpath in ["Cat/.hidden.jpg", "Cat/Thumbs.db", "Dog/.DS_Store", "Dog/.thumbnails/a.jpg",
                    "Trash/Cat/moved.jpg", ".hidden-class/x.jpg"]:
        write_image(dataset_root / relpath, picture, format="JPEG")

    dataset = load(dataset_root, use_cache=False)

    assert dataset.class_names == ["Cat", "Dog"]
    assert len(dataset) == 8
    assert dataset.skipped == []
    assert all(not part.startswith(".") for path in dataset.paths for part in path.split("/"))


def test_listing_nested_folders_join_class(dataset_root):
    write_image(dataset_root / "Cat" / "indoor" / "sofa" / "deep.jpg", random_pixels(30, 30, seed=8))
    write_image(dataset_root / "Dog" / "outdoor" / "park.png", random_pixels(30, 30, seed=9))

    dataset = load(dataset_root, use_cache=False)
    labels = dict(zip(dataset.paths, dataset.labels.tolist()))

    assert labels["Cat/indoor/sofa/deep.jpg"] == 0
    assert labels["Dog/outdoor/park.png"] == 1
    assert len(dataset) == 10


def test_listing_unicode_and_spaced_names(dataset_root, cache_dir):
    names = ["Cat/chat d'été 1.jpg", "Dog/собака 2.png", "Dog/犬 の 写真.jpg", "Cat/  leading space.jpg"]
    for number, relpath in enumerate(names):
        write_image(dataset_root / relpath, random_pixels(30, 30, seed=20 + number))

    first = load(dataset_root, cache_dir=cache_dir)
    second = load(dataset_root, cache_dir=cache_dir)

    assert set(names) <= set(first.paths)
    assert second.from_cache is True
    assert second.paths == first.paths


def test_listing_relative_root(dataset_root, monkeypatch):
    absolute = load(dataset_root, use_cache=False, workers=1)
    monkeypatch.chdir(dataset_root.parent)

    relative = load(Path(dataset_root.name), use_cache=False, workers=2)

    assert_same_dataset(absolute, relative)
    assert relative.root == Path(dataset_root.name)


def test_listing_order_stable(dataset_root):
    dataset = load(dataset_root, use_cache=False)

    assert dataset.paths == [f"Cat/{i}.jpg" for i in range(4)] + [f"Dog/{i}.jpg" for i in range(4)]


# Duplicates ------------------------------------------------------------------------


def test_duplicate_groups_by_content(dataset_root):
    shutil.copyfile(dataset_root / "Cat" / "0.jpg", dataset_root / "Cat" / "0-copy.jpg")
    shutil.copyfile(dataset_root / "Cat" / "0.jpg", dataset_root / "Dog" / "looks-like-a-cat.jpg")
    # Same picture, different bytes: a re-encode is not a byte-identical copy.
    with Image.open(dataset_root / "Cat" / "1.jpg") as image:
        image.save(dataset_root / "Cat" / "1-reencoded.jpg", quality=50)

    dataset = load(dataset_root, use_cache=False)
    group = dict(zip(dataset.paths, dataset.duplicate_groups().tolist()))

    assert group["Cat/0.jpg"] == group["Cat/0-copy.jpg"] == group["Dog/looks-like-a-cat.jpg"]
    assert group["Cat/1.jpg"] != group["Cat/1-reencoded.jpg"]
    assert len(set(group.values())) == len(group) - 2
    assert dataset.summary()["duplicate_files"] == 2
    assert len(dataset.hashes[0]) == 64


# Folder errors ---------------------------------------------------------------------


def test_error_missing_folder(tmp_path):
    with pytest.raises(CatdogError, match=r"Data folder not found: .*nowhere.*--data"):
        load(tmp_path / "nowhere")


def test_error_path_is_file(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(CatdogError, match=r"is a file, not a folder"):
        load(tmp_path / "file.txt")


def test_error_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CatdogError, match=r"Found 0 class folder\(s\) .*\(none\); at least 2"):
        load(tmp_path / "empty")


def test_error_one_class(tmp_path):
    root = make_dataset(tmp_path / "data", classes=("Cat",))
    with pytest.raises(CatdogError, match=r"Found 1 class folder\(s\) .*\(Cat\); at least 2.*Cat/ and Dog/"):
        load(root)


def test_error_empty_class_folder(dataset_root):
    shutil.rmtree(dataset_root / "Dog")
    (dataset_root / "Dog").mkdir()
    (dataset_root / "Dog" / "Thumbs.db").write_bytes(b"\x00" * 16)

    with pytest.raises(CatdogError, match=r"Class folder .*Dog contains no image files"):
        load(dataset_root)


# Parallel decoding -----------------------------------------------------------------


@pytest.mark.parametrize("workers", [2, 3, 50])
def test_workers_give_identical_results(dataset_root, workers):
    write_broken_files(dataset_root)
    (dataset_root / "Cat" / "warns.jpg").write_bytes(insert_corrupt_exif(jpeg_bytes(random_pixels(30, 30))))

    serial = load(dataset_root, use_cache=False, workers=1, color="rgb")
    parallel = load(dataset_root, use_cache=False, workers=workers, color="rgb")

    assert_same_dataset(serial, parallel)
    assert len(parallel.skipped) == 5
    assert list(parallel.decode_warnings) == ["Cat/warns.jpg"]


def test_workers_with_python_thread_running(dataset_root, caplog):
    # A Python thread might hold a lock at the moment of a fork, so the pool
    # starts from a forkserver while one runs.
    release = threading.Event()
    parked = threading.Thread(target=release.wait, daemon=True)
    parked.start()
    try:
        with caplog.at_level(logging.DEBUG, logger="catdog.dataset.loader"):
            parallel = load(dataset_root, use_cache=False, workers=2)
    finally:
        release.set()
        parked.join()
    serial = load(dataset_root, use_cache=False, workers=1)

    assert "Decoding with 2 forkserver worker processes" in caplog.text
    assert_same_dataset(serial, parallel)


def test_workers_fork_without_threads(dataset_root, caplog):
    if threading.active_count() > 1:
        pytest.skip("an earlier test left a Python thread running, so the pool may not fork")
    with caplog.at_level(logging.DEBUG, logger="catdog.dataset.loader"):
        load(dataset_root, use_cache=False, workers=2)

    assert "Decoding with 2 fork worker processes" in caplog.text


def test_workers_after_tensorflow_started(dataset_root):
    # The classifier and the GAN load their data with TensorFlow's thread pools
    # already running, and forking the decoding workers must still work then.
    tf = pytest.importorskip("tensorflow")
    product = tf.linalg.matmul(tf.ones((64, 64)), tf.ones((64, 64)))
    assert float(product[0, 0]) == 64.0

    serial = load(dataset_root, use_cache=False, workers=1)
    parallel = load(dataset_root, use_cache=False, workers=2)

    assert_same_dataset(serial, parallel)


# The real sample -------------------------------------------------------------------


def test_real_sample_loads(sample_dir, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="catdog.dataset.loader"):
        dataset = load(sample_dir, image_size=50, color="grayscale", cache_dir=tmp_path / "cache")

    assert len(dataset) == 5999
    assert dataset.images.shape == (5999, 50, 50, 1)
    assert dataset.class_names == ["Cat", "Dog"]
    assert np.bincount(dataset.labels).tolist() == [2999, 3000]
    assert [(item.relpath, item.label, item.reason) for item in dataset.skipped] == [("Cat/666.jpg", "Cat", "empty file")]
    assert "Skipped Cat/666.jpg (class Cat): empty file." in caplog.text
    assert not any(path.endswith("Thumbs.db") for path in dataset.paths)
    # Real photos use the whole range; a blank or constant image would not.
    assert 60 < dataset.images.mean() < 200
    assert dataset.images.std() > 30
