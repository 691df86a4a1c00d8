"""`catdog clean-data`: check every file with two decoders and move the bad ones to Trash/."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from catdog.dataset.files import TRASH_DIR, ImageFile, list_images
from catdog.errors import CatdogError
from catdog.preprocess import duplicates
from catdog.preprocess.checks import FileCheck, check_image, wrong_extension
from catdog.preprocess.manifest import Manifest, unique_relpath

log = logging.getLogger(__name__)

# Images with a side shorter than this (pixels) are reported as too small to be
# useful: 32 is the smallest image size catdog trains on (the GAN's 32 x 32).
DEFAULT_MIN_SIZE = 32


@dataclass(frozen=True)
class PlannedMove:
    """A bad file, and where it went (or would go, in a dry run) under Trash/."""

    src: str
    dst: str
    reason: str
    detail: str


@dataclass
class CleanReport:
    """Findings of one clean-data run; every path is relative to `root`."""

    root: Path
    class_names: list[str]
    dry_run: bool
    found: int = 0  # candidate image files listed
    checked: int = 0  # of those, the files that could be read and decoded
    moves: list[PlannedMove] = field(default_factory=list)
    move_errors: dict[str, str] = field(default_factory=dict)  # path -> error message
    wrong_extensions: dict[str, str] = field(default_factory=dict)  # path -> detected format
    decode_warnings: dict[str, list[str]] = field(default_factory=dict)
    too_small: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (width, height)
    ignored: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # path -> error message
    duplicate_groups: list[list[str]] = field(default_factory=list)
    cross_label_groups: list[list[str]] = field(default_factory=list)
    near_duplicates: list[duplicates.NearDuplicate] | None = None
    near_max_distance: int = duplicates.DEFAULT_MAX_DISTANCE
    min_size: int = DEFAULT_MIN_SIZE
    settled: list[str] = field(default_factory=list)  # entries an interrupted run left open
    manifest_path: Path | None = None
    seconds: float = 0.0

    def moves_by_reason(self) -> dict[str, list[PlannedMove]]:
        grouped: dict[str, list[PlannedMove]] = {}
        for move in self.moves:
            grouped.setdefault(move.reason, []).append(move)
        return dict(sorted(grouped.items()))


def clean_data(
    root: str | os.PathLike,
    dry_run: bool = False,
    near_duplicates: bool = False,
    max_distance: int = duplicates.DEFAULT_MAX_DISTANCE,
    min_size: int = DEFAULT_MIN_SIZE,
    progress: bool = True,
) -> CleanReport:
    """Check every file under `root` and move each bad one to `root/Trash/<label>/`.

    A file is bad when Pillow or TensorFlow cannot decode it (see
    `catdog.preprocess.checks`). Each move is logged in `root/Trash/manifest.jsonl`
    before and after the rename, so `restore_data` can undo it and a run stopped
    at any point can be finished by running again. Files are never deleted or
    overwritten.

    Args:
        root: the dataset folder, with one subfolder per class.
        dry_run: check and report, but move nothing and write nothing.
        near_duplicates: also compare perceptual hashes. Defaults to False.
        max_distance: largest perceptual-hash distance (bits out of 64) reported
            as a near duplicate. Defaults to 6.
        min_size: images with a side shorter than this many pixels are reported
            as too small. Defaults to 32.
        progress: show a progress bar on standard error.

    Raises:
        CatdogError: when `root` is not a folder with at least one class folder.
    """
    started = time.monotonic()
    listing = list_images(require_dataset_folder(root), min_classes=1, allow_empty_classes=True)
    report = CleanReport(
        root=listing.root,
        class_names=listing.class_names,
        dry_run=dry_run,
        found=len(listing.files),
        ignored=listing.ignored,
        external_links=listing.external_links,
        near_max_distance=max_distance,
        min_size=min_size,
    )
    manifest = Manifest(listing.root)
    report.manifest_path = manifest.path
    report.settled = manifest.reconcile(write=not dry_run)
    for message in report.settled:
        log.info("Manifest: %s.", message)
    log.info(
        "Checking %d files in %d classes (%s) with Pillow and TensorFlow.",
        len(listing.files), len(listing.class_names), ", ".join(listing.class_names),
    )

    digests: dict[str, str] = {}
    perceptual_hashes: dict[str, int] = {}
    reserved: set[str] = set()
    with click.progressbar(
        listing.files, label="Checking files", file=sys.stderr, hidden=not progress, show_pos=True
    ) as bar:
        for item in bar:
            try:
                data = read_regular_file(item.path)
            except OSError as error:
                report.unreadable[item.relpath] = error.strerror or str(error)
                log.debug("Cannot read %s: %s", item.relpath, error)
                continue
            report.checked += 1
            digest = hashlib.sha256(data).hexdigest()
            result = check_image(data, keep_pixels=near_duplicates)
            if result.ok:
                _note_kept_file(report, item, result)
                digests[item.relpath] = digest
                if near_duplicates:
                    perceptual_hashes[item.relpath] = duplicates.perceptual_hash(result.pixels)
            else:
                _move_bad_file(report, manifest, item, result, digest, len(data), reserved)

    _find_duplicates(report, listing.files, digests, perceptual_hashes if near_duplicates else None)
    report.seconds = time.monotonic() - started
    return report


def read_regular_file(path: Path) -> bytes:
    """Return the content of `path`, raising OSError unless it is a regular file.

    A named pipe or a socket that carries an image name would block or fail on read.
    """
    with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return handle.read()


def require_dataset_folder(root: str | os.PathLike) -> Path:
    """Return `root` as a Path, or raise `CatdogError` when it is not an existing folder."""
    root = Path(root)
    if not root.is_dir():
        state = "is a file, not a folder" if root.exists() else "not found"
        raise CatdogError(
            f"Dataset folder {root} {state}. Pass the folder that contains one subfolder per class, "
            "such as PetImages/ with Cat/ and Dog/."
        )
    return root


def _note_kept_file(report: CleanReport, item: ImageFile, result: FileCheck) -> None:
    if wrong_extension(item.path.name, result.source_format):
        report.wrong_extensions[item.relpath] = result.source_format
    if result.warnings:
        report.decode_warnings[item.relpath] = result.warnings
    width, height = result.source_size
    if min(width, height) < report.min_size:
        report.too_small[item.relpath] = (width, height)


def _move_bad_file(
    report: CleanReport,
    manifest: Manifest,
    item: ImageFile,
    result: FileCheck,
    digest: str,
    size: int,
    reserved: set[str],
) -> None:
    if report.dry_run:
        dst = unique_relpath(report.root, f"{TRASH_DIR}/{item.relpath}", reserved)
        reserved.add(dst)
        report.moves.append(PlannedMove(item.relpath, dst, result.reason, result.detail))
        return
    try:
        move = manifest.move_to_trash(item.relpath, result.reason, result.detail, digest, size)
    except OSError as error:
        report.move_errors[item.relpath] = str(error)
        log.error("Could not move %s to %s/: %s. It stays in place.", item.relpath, TRASH_DIR, error)
        return
    report.moves.append(PlannedMove(move.src, move.dst, move.reason, move.detail))


def _find_duplicates(
    report: CleanReport,
    files: list[ImageFile],
    digests: dict[str, str],
    perceptual_hashes: dict[str, int] | None,
) -> None:
    labels = {item.relpath: item.label for item in files}
    report.duplicate_groups = duplicates.byte_duplicate_groups(digests)
    report.cross_label_groups = duplicates.cross_label_groups(report.duplicate_groups, labels)
    if perceptual_hashes is None:
        return
    identical = {
        frozenset((first, second))
        for group in report.duplicate_groups
        for index, first in enumerate(group)
        for second in group[index + 1 :]
    }
    report.near_duplicates = duplicates.near_duplicate_pairs(perceptual_hashes, report.near_max_distance, identical)
