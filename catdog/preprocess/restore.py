"""`catdog clean-data --restore`: put every file that clean-data moved back in place."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from catdog.dataset.files import TRASH_DIR
from catdog.errors import CatdogError
from catdog.preprocess.clean import require_dataset_folder
from catdog.preprocess.manifest import MOVED, Manifest

log = logging.getLogger(__name__)


@dataclass
class RestoreReport:
    """Outcome of a restore; `renamed` lists the files put beside a new file of the same name."""

    root: Path
    restored: list[tuple[str, str]] = field(default_factory=list)  # (path in Trash/, restored path)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (original path, path used instead)
    missing: list[str] = field(default_factory=list)  # paths in Trash/ that no longer exist
    errors: dict[str, str] = field(default_factory=dict)  # path in Trash/ -> error message
    settled: list[str] = field(default_factory=list)
    dry_run: bool = False


def restore_data(root: str | os.PathLike, dry_run: bool = False) -> RestoreReport:
    """Move every file listed as moved in `root/Trash/manifest.jsonl` back to its path.

    Files go back in the reverse order of their moves. When a new file now has
    the original path, the restored file gets a new name beside it ("12 (2).jpg"),
    so nothing is overwritten. The manifest keeps the history.

    Raises:
        CatdogError: when `root` is not a folder or has no manifest.
    """
    root = require_dataset_folder(root)
    manifest = Manifest(root)
    if not manifest.path.exists():
        raise CatdogError(
            f"No manifest at {manifest.path}: nothing was moved from {root}, so there is nothing to restore. "
            "Pass the dataset folder that `catdog clean-data` cleaned."
        )
    report = RestoreReport(root=root, dry_run=dry_run)
    report.settled = manifest.reconcile(write=not dry_run)

    for move in reversed(manifest.in_state(MOVED)):
        if not (root / move.dst).exists():
            report.missing.append(move.dst)
            log.warning("%s is listed in the manifest but no longer exists; it cannot be restored.", move.dst)
            continue
        if dry_run:
            report.restored.append((move.dst, move.src))
            continue
        try:
            target = manifest.restore(move)
        except OSError as error:
            report.errors[move.dst] = str(error)
            log.error("Could not restore %s to %s: %s", move.dst, move.src, error)
            continue
        report.restored.append((move.dst, target))
        if target != move.src:
            report.renamed.append((move.src, target))

    if not dry_run:
        _remove_empty_folders(root / TRASH_DIR)
    return report


def _remove_empty_folders(trash: Path) -> None:
    """Remove the folders under Trash/ that restoring emptied; Trash/ itself keeps the manifest."""
    for dirpath, _, _ in os.walk(trash, topdown=False):
        path = Path(dirpath)
        if path != trash and not any(path.iterdir()):
            path.rmdir()
