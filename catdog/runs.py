"""Run directories: atomic writes and the record of configuration, versions and seed."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import importlib.metadata
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import catdog


def create_run_dir(out: str | os.PathLike, prefix: str) -> Path:
    """Create and return a new directory `out/<prefix>-<UTC timestamp>`.

    A numeric suffix is added when two runs start within the same second, so a run
    never writes into another run's directory.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    candidate = out / f"{prefix}-{stamp}"
    suffix = 2
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            candidate = out / f"{prefix}-{stamp}-{suffix}"
            suffix += 1


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path that replaces `path` only when the block succeeds.

    Readers see either the old file or the complete new one, never a half-written
    file, because the final step is an `os.replace` within one directory.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates the file readable by its owner only; give the result the
    # permissions any new file gets under the user's umask (usually 0644).
    os.chmod(tmp, 0o666 & ~_current_umask())
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write `data` as indented JSON to `path` atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_csv(path: str | os.PathLike, fieldnames: Sequence[str], rows: Sequence[dict]) -> None:
    """Write `rows` as CSV with a header to `path` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(fieldnames))
            writer.writeheader()
            writer.writerows(rows)


def environment_versions() -> dict[str, str]:
    """Return the versions of Python, catdog and the libraries that shape results."""
    versions = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "catdog": catdog.__version__,
    }
    for distribution in ("tensorflow", "keras", "numpy", "scikit-learn", "pillow", "matplotlib", "click"):
        try:
            versions[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            versions[distribution] = "not installed"
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        # Covers builds published under another name, such as tensorflow-cpu.
        versions["tensorflow"] = tf.__version__
        versions["devices"] = ", ".join(d.name for d in tf.config.list_logical_devices()) or "none"
    return versions


def write_run_record(
    run_dir: Path, command: str, config: dict, seed: int | None, filename: str = "config.json"
) -> None:
    """Write the command, its resolved configuration, seed and versions to `run_dir/filename`.

    A resumed run passes another `filename`, so the first run's record is kept.
    """
    record = {
        "command": command,
        "argv": sys.argv,
        "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seed": seed,
        "config": config,
        "versions": environment_versions(),
    }
    write_json(run_dir / filename, record)
