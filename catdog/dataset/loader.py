"""The dataset loader shared by every catdog command."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import multiprocessing
import numbers
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import click
import numpy as np

from catdog.dataset import cache
from catdog.dataset.decode import COLORS, DecodeError, channels_for, decode_image
from catdog.dataset.files import ImageFile, Listing, list_images
from catdog.errors import CatdogError

log = logging.getLogger(__name__)

# Reasons the loader gives itself, beside the decoding reasons of `failure_reason`.
UNREADABLE = "unreadable file"
NOT_REGULAR = "not a regular file"
# Each worker process receives files in chunks of at most this many, to amortise the
# inter-process round trip over several decodes (about 0.2 ms each for a 180x180 JPEG).
MAX_CHUNK = 64
# The progress bar is redrawn once per this many files: redrawing it for every file
# costs about 30 us on a terminal, a sixth of a decode.
PROGRESS_STEP = 64


@dataclass(frozen=True)
class SkippedFile:
    """A file the loader could not decode; the run goes on without it."""

    relpath: str
    label: str
    reason: str  # short label, such as "empty file" or "unreadable file"
    detail: str = ""  # for unreadable and special files: the system's message or the file type


@dataclass
class Dataset:
    """Decoded images of a class-per-folder dataset, with labels and content hashes."""

    root: Path
    images: np.ndarray  # uint8, (n, image_size, image_size, channels)
    labels: np.ndarray  # int64 index into class_names
    class_names: list[str]  # sorted folder names
    paths: list[str]  # POSIX paths relative to root
    hashes: list[str]  # SHA-256 of each file's bytes, hex
    skipped: list[SkippedFile] = field(default_factory=list)
    decode_warnings: dict[str, list[str]] = field(default_factory=dict)
    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.labels)

    def duplicate_groups(self) -> np.ndarray:
        """Return one integer per image; byte-identical files share the same integer."""
        _, groups = np.unique(np.asarray(self.hashes), return_inverse=True)
        return groups.astype(np.int64)

    def summary(self) -> dict:
        """Return counts for a run record: images per class, skipped files, duplicates."""
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        groups = self.duplicate_groups()
        return {
            "root": str(self.root),
            "class_names": self.class_names,
            "images_per_class": dict(zip(self.class_names, counts.tolist())),
            "skipped": [vars(item) for item in self.skipped],
            "duplicate_files": int(len(groups) - len(np.unique(groups))),
            "files_with_decode_warnings": len(self.decode_warnings),
        }


class _FileStat(NamedTuple):
    """The path and stat fields of one listed file, taken before it is read."""

    path: str  # absolute: the dataset root joined with the relative path
    size: int  # bytes, -1 when stat failed
    mtime_ns: int  # -1 when stat failed
    mode: int  # st_mode, 0 when stat failed


class _FileResult(NamedTuple):
    """The outcome of reading and decoding one file, without its pixels."""

    sha256: str = ""  # empty when the file could not be read
    reason: str = ""  # why the file was skipped, empty when it decoded
    detail: str = ""
    warnings: tuple[str, ...] = ()


def load_dataset(
    root: str | os.PathLike,
    image_size: int = 50,
    color: str = "grayscale",
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    progress: bool = True,
    workers: int | None = None,
) -> Dataset:
    """Load every image under `root` (one subfolder per class) as uint8 arrays.

    A file that cannot be read or decoded is skipped, logged as a warning with its
    class, and listed in `Dataset.skipped`. Results do not depend on `workers`: the
    images come back in listing order, by class and then by relative path.

    Args:
        root: the dataset folder, such as `PetImages/`.
        image_size: side of the square images in pixels. Defaults to 50.
        color: "grayscale" or "rgb". Defaults to "grayscale".
        cache_dir: where decoded datasets are cached. Defaults to
            `cache.default_cache_dir()`.
        use_cache: read and write the cache. Defaults to True.
        progress: show a progress bar on standard error while decoding.
            Defaults to True.
        workers: number of processes that decode in parallel, where 1 decodes in
            this process. Defaults to the number of CPUs this process may run on.

    Raises:
        CatdogError: when `root` is not a usable dataset folder, or when
            `image_size`, `color` or `workers` is invalid.
    """
    _check_settings(image_size, color, workers)
    image_size = int(image_size)
    workers = int(workers) if workers is not None else _available_cpus()
    listing = list_images(root)
    log.info(
        "Found %d files belonging to %d classes (%s) in %s.",
        len(listing.files), len(listing.class_names), ", ".join(listing.class_names), listing.root,
    )
    _report_listing(listing)

    settings = {"image_size": image_size, "color": color}
    stats = _stat_files(listing)
    file_stats = [(item.relpath, info.size, info.mtime_ns) for item, info in zip(listing.files, stats)]
    cache_dir = Path(cache_dir) if cache_dir is not None else cache.default_cache_dir()
    entry = cache.entry_path(cache_dir, listing.root, settings, cache.cache_key(file_stats, settings))

    if use_cache:
        cached = cache.load(entry)
        if cached is not None:
            dataset = _from_arrays(listing, cached)
            # Every run names its skipped files, whether it decoded them or not.
            _report(dataset)
            log.info("Loaded %d decoded images from the cache (%s), skipped %d.", len(dataset), entry, len(dataset.skipped))
            return dataset

    dataset = _decode_listing(listing, stats, image_size, color, progress, workers)
    _report(dataset)
    log.info("Decoded %d images, skipped %d.", len(dataset), len(dataset.skipped))
    _check_classes(dataset)
    if use_cache:
        _save(entry, dataset)
    return dataset


def _check_settings(image_size: int, color: str, workers: int | None) -> None:
    if not _is_positive_integer(image_size):
        raise CatdogError(f"image_size must be a positive whole number of pixels, such as 50. Received: image_size={image_size!r}.")
    if color not in COLORS:
        raise CatdogError(f"color must be one of {', '.join(COLORS)}. Received: color={color!r}.")
    if workers is not None and not _is_positive_integer(workers):
        raise CatdogError(
            f"workers must be a positive whole number of processes, or None for one per CPU. Received: workers={workers!r}."
        )


def _is_positive_integer(value: object) -> bool:
    # numbers.Integral admits NumPy integers from configuration arrays, and bool is
    # rejected although it is an int subclass.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _report_listing(listing: Listing) -> None:
    if listing.ignored:
        log.debug("Ignored %d hidden or system files: %s", len(listing.ignored), ", ".join(listing.ignored))
    for relpath in listing.external_links:
        log.warning("Not following %s: it is a symbolic link that leads outside %s.", relpath, listing.root)


def _stat_files(listing: Listing) -> list[_FileStat]:
    """Stat every listed file, following symbolic links, so a link is keyed by its target.

    Paths are joined as strings, because building them from `ImageFile.path` costs
    more than the stat call itself (pathlib formats each path on first use). They are
    absolute, because a forkserver's workers do not share the caller's working folder.
    """
    base = os.path.abspath(listing.root)
    stats = []
    for item in listing.files:
        path = os.path.join(base, item.relpath)
        try:
            info = os.stat(path)
        except OSError:
            # A dangling link, or a file removed since the listing: it is skipped
            # as unreadable when the decoder fails to open it.
            stats.append(_FileStat(path, -1, -1, 0))
        else:
            stats.append(_FileStat(path, info.st_size, info.st_mtime_ns, info.st_mode))
    return stats


def _decode_listing(
    listing: Listing,
    stats: list[_FileStat],
    image_size: int,
    color: str,
    progress: bool,
    workers: int,
) -> Dataset:
    count = len(listing.files)
    images = np.empty((count, image_size, image_size, channels_for(color)), dtype=np.uint8)
    label_index = {name: number for number, name in enumerate(listing.class_names)}
    labels: list[int] = []
    paths: list[str] = []
    hashes: list[str] = []
    skipped: list[SkippedFile] = []
    decode_warnings: dict[str, list[str]] = {}

    results = _decode_files(stats, image_size, color, workers)
    with click.progressbar(
        length=count, label="Decoding images", file=sys.stderr, hidden=not progress, show_pos=True
    ) as bar:
        for index, (item, (result, pixels)) in enumerate(zip(listing.files, results), start=1):
            if index % PROGRESS_STEP == 0 or index == count:
                bar.update(index - bar.pos)
            if result.reason:
                skipped.append(_skipped_file(item, result))
                continue
            # Kept images are packed to the front in listing order, so no copy is
            # needed at the end when files were skipped.
            images[len(paths)] = pixels
            labels.append(label_index[item.label])
            paths.append(item.relpath)
            hashes.append(result.sha256)
            if result.warnings:
                decode_warnings[item.relpath] = list(result.warnings)

    return Dataset(
        root=listing.root,
        images=images[: len(paths)],
        labels=np.asarray(labels, dtype=np.int64),
        class_names=listing.class_names,
        paths=paths,
        hashes=hashes,
        skipped=skipped,
        decode_warnings=decode_warnings,
    )


def _skipped_file(item: ImageFile, result: _FileResult) -> SkippedFile:
    if result.reason in (UNREADABLE, NOT_REGULAR):
        return SkippedFile(item.relpath, item.label, result.reason, result.detail)
    # Pillow's messages name in-memory objects ("<_io.BytesIO object at 0x...>"), so
    # they go to the debug log rather than into the run record.
    log.debug("Decoding %s failed: %s", item.relpath, result.detail)
    return SkippedFile(item.relpath, item.label, result.reason)


def _decode_files(
    stats: list[_FileStat],
    image_size: int,
    color: str,
    workers: int,
) -> Iterator[tuple[_FileResult, np.ndarray | None]]:
    """Yield a `_FileResult` and its pixels (None when skipped) per file, in the order of `stats`.

    Files that are not regular files (a FIFO, a socket, a device) are never opened,
    because opening a FIFO would block until another process writes to it.
    """
    regular = [info.path for info in stats if not _is_special(info)]
    workers = min(workers, max(1, len(regular)))
    size = max(1, min(MAX_CHUNK, len(regular) // (workers * 4)))
    chunks = [regular[start : start + size] for start in range(0, len(regular), size)]
    decode_chunk = functools.partial(_decode_chunk, image_size=image_size, color=color)

    if workers == 1:
        yield from _merge(stats, map(decode_chunk, chunks))
        return

    context = _pool_context()
    log.debug("Decoding with %d %s worker processes, %d files per task.", workers, context.get_start_method(), size)
    with context.Pool(workers, initializer=_ignore_interrupt) as pool:
        yield from _merge(stats, pool.imap(decode_chunk, chunks))


def _is_special(info: _FileStat) -> bool:
    """Return True for a file that exists but is not a regular file."""
    return info.mode != 0 and not stat.S_ISREG(info.mode)


def _merge(
    stats: list[_FileStat],
    chunks: Iterator[tuple[np.ndarray, list[_FileResult]]],
) -> Iterator[tuple[_FileResult, np.ndarray | None]]:
    """Interleave the decoded regular files with results for the special files."""
    decoded = ((result, pixels) for block, results in chunks for result, pixels in zip(results, block))
    for info in stats:
        if _is_special(info):
            yield _FileResult(reason=NOT_REGULAR, detail=_file_type(info.mode)), None
        else:
            yield next(decoded)


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return name
    return "special file"


def _decode_chunk(paths: list[str], image_size: int, color: str) -> tuple[np.ndarray, list[_FileResult]]:
    """Read, hash and decode a list of files, in a worker process or in the caller.

    The pixels come back as one block per chunk, whose rows for skipped files stay
    zero: the pool then pickles one array per chunk instead of one per file.
    """
    block = np.zeros((len(paths), image_size, image_size, channels_for(color)), dtype=np.uint8)
    results = []
    for row, path in enumerate(paths):
        result, pixels = _read_and_decode(path, image_size, color)
        if pixels is not None:
            block[row] = pixels
        results.append(result)
    return block, results


def _read_and_decode(path: str, image_size: int, color: str) -> tuple[_FileResult, np.ndarray | None]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return _FileResult(reason=UNREADABLE, detail=error.strerror or str(error)), None

    digest = hashlib.sha256(data).hexdigest()
    try:
        decoded = decode_image(data, image_size, color)
    except DecodeError as error:
        return _FileResult(sha256=digest, reason=error.reason, detail=error.detail), None
    return _FileResult(sha256=digest, warnings=tuple(decoded.warnings)), decoded.pixels


def _pool_context() -> multiprocessing.context.BaseContext:
    """Choose how worker processes start.

    On Linux the pool forks, which takes a few milliseconds, where spawn and
    forkserver spend 0.3 s or more importing NumPy and Pillow again. The native
    threads that NumPy's BLAS and TensorFlow start do not prevent this, because the
    child runs nothing but file reads, hashlib, Pillow and NumPy copies. glibc and
    CPython reset the locks those need (malloc, stdio, the import lock) in the child.
    Other Python threads might hold a Python-level lock at the moment of the fork,
    so while any runs the pool starts from a forkserver instead, which also avoids
    the DeprecationWarning that Python 3.12 and newer emit on such a fork. Other
    platforms use their default, spawn, because macOS system libraries are not
    fork-safe.
    """
    if not sys.platform.startswith("linux"):
        return multiprocessing.get_context()
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _ignore_interrupt() -> None:
    # Ctrl-C reaches every process of the terminal's group. Only the parent handles
    # it, by terminating the pool, so the workers print no tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _report(dataset: Dataset) -> None:
    for item in dataset.skipped:
        detail = f" ({item.detail})" if item.detail else ""
        log.warning("Skipped %s (class %s): %s%s.", item.relpath, item.label, item.reason, detail)
    if dataset.decode_warnings:
        log.info("%d files decoded with warnings; run with -v to list them.", len(dataset.decode_warnings))
        for relpath, messages in dataset.decode_warnings.items():
            log.debug("%s: %s", relpath, "; ".join(messages))


def _check_classes(dataset: Dataset) -> None:
    counts = np.bincount(dataset.labels, minlength=len(dataset.class_names))
    empty = [name for name, count in zip(dataset.class_names, counts) if count == 0]
    if empty:
        raise CatdogError(
            f"No image of class {', '.join(empty)} in {dataset.root} could be decoded. "
            f"{len(dataset.skipped)} files were skipped (see the warnings above). "
            f"Run `catdog clean-data {dataset.root}` to move the broken files aside, then add readable images."
        )


def _save(entry: Path, dataset: Dataset) -> None:
    # Read errors are often transient (a permission fixed, a disk remounted), so a
    # result that lacks an unreadable file is not cached and the next run retries it.
    unreadable = [item.relpath for item in dataset.skipped if item.reason == UNREADABLE]
    if unreadable:
        log.info("Not caching this load: %d files could not be read and will be tried again.", len(unreadable))
        return
    try:
        cache.save(entry, _to_arrays(dataset))
    except OSError as error:
        log.warning("Could not write the cache file %s (%s); the next run will decode again.", entry, error)
        return
    log.debug("Cached the decoded images in %s.", entry)


def _to_arrays(dataset: Dataset) -> dict[str, np.ndarray]:
    extras = {
        "skipped": [vars(item) for item in dataset.skipped],
        "decode_warnings": dataset.decode_warnings,
    }
    return {
        "images": dataset.images,
        "labels": dataset.labels,
        "paths": np.asarray(dataset.paths, dtype=str),
        "hashes": np.asarray(dataset.hashes, dtype=str),
        "extras": np.asarray(json.dumps(extras)),
    }


def _from_arrays(listing: Listing, arrays: dict[str, np.ndarray]) -> Dataset:
    extras = json.loads(str(arrays["extras"]))
    return Dataset(
        root=listing.root,
        images=arrays["images"],
        labels=arrays["labels"].astype(np.int64),
        class_names=listing.class_names,
        paths=arrays["paths"].tolist(),
        hashes=arrays["hashes"].tolist(),
        skipped=[SkippedFile(**item) for item in extras["skipped"]],
        decode_warnings=extras["decode_warnings"],
        from_cache=True,
    )
