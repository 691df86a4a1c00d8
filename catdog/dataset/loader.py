"""The dataset loader shared by every catdog command."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
import numpy as np

from catdog.dataset import cache
from catdog.dataset.decode import DecodeError, channels_for, decode_image
from catdog.dataset.files import Listing, list_images

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedFile:
    """A file the loader could not decode; the run goes on without it."""

    relpath: str
    label: str
    reason: str


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


def load_dataset(
    root: str | os.PathLike,
    image_size: int = 50,
    color: str = "grayscale",
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> Dataset:
    """Load every image under `root` (one subfolder per class) as uint8 arrays.

    Args:
        root: the dataset folder, such as `PetImages/`.
        image_size: side of the square images in pixels. Defaults to 50.
        color: "grayscale" or "rgb". Defaults to "grayscale".
        cache_dir: where decoded datasets are cached. Defaults to
            `cache.default_cache_dir()`.
        use_cache: read and write the cache. Defaults to True.
        progress: show a progress bar on standard error while decoding.

    Raises:
        CatdogError: when `root` is not a usable dataset folder.
    """
    channels_for(color)
    listing = list_images(root)
    settings = {"image_size": image_size, "color": color}
    stats = [_stat(item.path, item.relpath) for item in listing.files]
    cache_dir = Path(cache_dir) if cache_dir is not None else cache.default_cache_dir()
    key = cache.cache_key(stats, settings)
    log.info(
        "Found %d files belonging to %d classes (%s) in %s.",
        len(listing.files), len(listing.class_names), ", ".join(listing.class_names), listing.root,
    )

    if use_cache:
        cached = cache.load(cache_dir, key)
        if cached is not None:
            dataset = _from_arrays(listing, cached)
            log.info("Loaded %d decoded images from the cache (%s).", len(dataset), cache_dir)
            return dataset

    dataset = _decode_listing(listing, image_size, color, progress)
    _report(dataset)
    if use_cache:
        path = cache.save(cache_dir, key, _to_arrays(dataset))
        log.debug("Cached the decoded images in %s.", path)
    return dataset


def _stat(path: Path, relpath: str) -> tuple[str, int, int]:
    info = path.stat()
    return (relpath, info.st_size, info.st_mtime_ns)


def _decode_listing(listing: Listing, image_size: int, color: str, progress: bool) -> Dataset:
    count = len(listing.files)
    images = np.empty((count, image_size, image_size, channels_for(color)), dtype=np.uint8)
    keep = np.zeros(count, dtype=bool)
    hashes: list[str] = [""] * count
    skipped: list[SkippedFile] = []
    decode_warnings: dict[str, list[str]] = {}

    with click.progressbar(
        listing.files, label="Decoding images", file=sys.stderr, hidden=not progress, show_pos=True
    ) as bar:
        for index, item in enumerate(bar):
            data = item.path.read_bytes()
            hashes[index] = hashlib.sha256(data).hexdigest()
            try:
                decoded = decode_image(data, image_size, color)
            except DecodeError as error:
                skipped.append(SkippedFile(item.relpath, item.label, error.reason))
                continue
            images[index] = decoded.pixels
            keep[index] = True
            if decoded.warnings:
                decode_warnings[item.relpath] = decoded.warnings

    label_index = {name: number for number, name in enumerate(listing.class_names)}
    labels = np.array([label_index[item.label] for item in listing.files], dtype=np.int64)
    return Dataset(
        root=listing.root,
        images=images[keep],
        labels=labels[keep],
        class_names=listing.class_names,
        paths=[item.relpath for item, kept in zip(listing.files, keep) if kept],
        hashes=[digest for digest, kept in zip(hashes, keep) if kept],
        skipped=skipped,
        decode_warnings=decode_warnings,
    )


def _report(dataset: Dataset) -> None:
    for item in dataset.skipped:
        log.warning("Skipped %s (class %s): %s.", item.relpath, item.label, item.reason)
    if dataset.decode_warnings:
        log.info("%d files decoded with warnings; run with -v to list them.", len(dataset.decode_warnings))
        for relpath, messages in dataset.decode_warnings.items():
            log.debug("%s: %s", relpath, "; ".join(messages))
    log.info("Decoded %d images, skipped %d.", len(dataset), len(dataset.skipped))


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
        paths=[str(path) for path in arrays["paths"]],
        hashes=[str(digest) for digest in arrays["hashes"]],
        skipped=[SkippedFile(**item) for item in extras["skipped"]],
        decode_warnings=extras["decode_warnings"],
        from_cache=True,
    )
