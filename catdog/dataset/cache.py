"""On-disk cache of decoded datasets, keyed by the folder's file list and the settings.

Each dataset folder and setting (image size, colour) owns one slot in the cache folder.
A slot contains at most one entry, `<slot>-<key>.npz`: saving a new entry removes the
entries that an earlier state of the same folder left behind, so the cache does not
grow each time files are added, moved or touched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from catdog.runs import atomic_path

log = logging.getLogger(__name__)

# Bump when the decoded pixels or the stored fields change, so old caches are ignored.
CACHE_FORMAT = 2
# Arrays that every entry stores. An entry missing one is treated as unreadable.
FIELDS = ("images", "labels", "paths", "hashes", "extras")


def default_cache_dir() -> Path:
    """Return `$CATDOG_CACHE_DIR`, else `$XDG_CACHE_HOME/catdog`, else `~/.cache/catdog`."""
    if os.environ.get("CATDOG_CACHE_DIR"):
        return Path(os.environ["CATDOG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "catdog"


def _digest(payload: Any, length: int) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def cache_key(file_stats: list[tuple[str, int, int]], settings: dict[str, Any]) -> str:
    """Hash the file list (relative path, size in bytes, mtime in ns) and the settings.

    Any added, removed, renamed, resized or touched file gives a new key, and so does
    any change of image size or colour.
    """
    return _digest({"format": CACHE_FORMAT, "settings": settings, "files": file_stats}, 32)


def entry_path(cache_dir: Path, root: Path, settings: dict[str, Any], key: str) -> Path:
    """Return the cache file for dataset folder `root` loaded with `settings` in state `key`."""
    return cache_dir / f"{_slot(root, settings)}-{key}.npz"


def _slot(root: Path, settings: dict[str, Any]) -> str:
    return _digest({"root": str(Path(root).resolve()), "settings": settings}, 16)


def load(path: Path) -> dict[str, np.ndarray] | None:
    """Return the arrays stored at `path`, or None when the entry is absent or unreadable."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in FIELDS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        # A cut-short or corrupt archive raises BadZipFile or EOFError, and bytes that
        # are not an archive at all raise ValueError from numpy's pickle check.
        log.warning("Ignoring unreadable cache file %s (%s); decoding again.", path, error)
        return None

    count = len(arrays["images"])
    if not (len(arrays["labels"]) == len(arrays["paths"]) == len(arrays["hashes"]) == count):
        log.warning("Ignoring inconsistent cache file %s (array lengths differ); decoding again.", path)
        return None
    return arrays


def save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Store `arrays` at `path` atomically, then remove the stale entries of its slot.

    Raises:
        OSError: when the cache folder cannot be created or written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    slot = path.name.split("-", 1)[0]
    for stale in path.parent.glob(f"{slot}-*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)
            log.debug("Removed stale cache entry %s.", stale)
