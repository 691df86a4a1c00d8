"""On-disk cache of decoded datasets, keyed by the folder's file list and the settings."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from catdog.runs import atomic_path

log = logging.getLogger(__name__)

# Bump when the decoded pixels or the stored fields change, so old caches are ignored.
CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """Return `$CATDOG_CACHE_DIR`, else `$XDG_CACHE_HOME/catdog`, else `~/.cache/catdog`."""
    if os.environ.get("CATDOG_CACHE_DIR"):
        return Path(os.environ["CATDOG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "catdog"


def cache_key(file_stats: list[tuple[str, int, int]], settings: dict[str, Any]) -> str:
    """Hash the file list (relative path, size in bytes, mtime in ns) and the settings.

    Any added, removed, renamed, resized or touched file gives a new key, and so does
    any change of image size or colour.
    """
    payload = json.dumps({"format": CACHE_FORMAT, "settings": settings, "files": file_stats}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def load(cache_dir: Path, key: str) -> dict[str, np.ndarray] | None:
    """Return the cached arrays for `key`, or None when absent or unreadable."""
    path = cache_dir / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, KeyError) as error:
        log.warning("Ignoring unreadable cache file %s (%s); decoding again.", path, error)
        return None


def save(cache_dir: Path, key: str, arrays: dict[str, np.ndarray]) -> Path:
    """Store `arrays` under `key` atomically and return the cache file's path."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{key}.npz"
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
    return path
