"""Safe extraction of a zip archive into a new folder, all or nothing.

Every member name is normalised (backslashes become slashes) and checked before
anything is written: an absolute name, a drive letter or a `..` component rejects the
whole archive. Symbolic links are skipped, never created. The expanded size is
counted while writing, not read from the headers, which an attacker controls.
Everything is written into a temporary folder beside the destination, which is
renamed into place only when every member has been written.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import shutil
import stat
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import click

from catdog.errors import CatdogError

log = logging.getLogger(__name__)

# Largest total expanded size accepted, in bytes. The official archive is 787 MiB of
# JPEG files, which barely compress, so it expands to about the same size; 4 GiB
# leaves room for other copies of the dataset while stopping a zip bomb.
MAX_EXTRACTED_BYTES = 4 * 1024**3
# Largest number of members accepted; the official archive has about 25,000.
MAX_MEMBERS = 200_000
_CHUNK = 1024 * 1024  # bytes per read while copying a member
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class ExtractReport:
    """Outcome of an extraction: what was written and what was left out."""

    destination: Path
    files: int = 0
    bytes_written: int = 0
    skipped_links: list[str] = field(default_factory=list)
    extra_items: list[Path] = field(default_factory=list)  # top-level files placed beside the dataset


def safe_member_path(name: str) -> str | None:
    """Return the normalised relative POSIX path of a member, or None for a folder entry.

    Raises:
        CatdogError: when the name is absolute, has a drive letter or climbs out
            with `..`.
    """
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or _DRIVE.match(normalised):
        raise CatdogError(f"Unsafe archive: member {name!r} has an absolute path. Nothing was extracted.")
    parts = [part for part in normalised.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise CatdogError(f"Unsafe archive: member {name!r} climbs out of the destination with '..'. Nothing was extracted.")
    if not parts:
        return None
    return posixpath.join(*parts)


def _is_link(info: zipfile.ZipInfo) -> bool:
    # Zip files written on Unix keep the file mode in the high 16 bits.
    return stat.S_ISLNK(info.external_attr >> 16)


def extract_dataset(
    archive: str | os.PathLike,
    dest_dir: str | os.PathLike,
    folder: str = "PetImages",
    max_bytes: int = MAX_EXTRACTED_BYTES,
    max_members: int = MAX_MEMBERS,
    progress: bool = True,
) -> ExtractReport:
    """Extract `archive` and move its `folder` to `dest_dir/folder`.

    Other top-level files of the archive (the licence and readme of the official
    one) are placed beside the folder unless a file of that name exists.

    Args:
        archive: the zip file.
        dest_dir: the folder that receives `folder`.
        folder: the top-level folder the archive must contain. Defaults to
            "PetImages".
        max_bytes: largest total expanded size in bytes. Defaults to 4 GiB.
        max_members: largest number of members. Defaults to 200,000.
        progress: show a progress bar on standard error.

    Raises:
        CatdogError: when `dest_dir/folder` exists, the archive is not a valid zip
            file, a member is unsafe, the limits are exceeded, or `folder` is
            missing from it. Nothing is left behind in `dest_dir` then, except
            that a killed process leaves its `.catdog-extract-*` staging folder
            (never a partial `folder`).
    """
    dest_dir = Path(dest_dir)
    target = dest_dir / folder
    if os.path.lexists(target):
        raise CatdogError(f"{target} already exists. Move it away or pass another --dest; catdog never overwrites a dataset.")
    dest_dir.mkdir(parents=True, exist_ok=True)

    staging = Path(tempfile.mkdtemp(prefix=".catdog-extract-", dir=dest_dir))
    try:
        report = ExtractReport(destination=target)
        _extract_all(Path(archive), staging, report, max_bytes, max_members, progress)
        if not (staging / folder).is_dir():
            raise CatdogError(f"Archive {archive} has no {folder}/ folder. Pass the Kaggle Cats and Dogs archive.")
        os.rename(staging / folder, target)
        for item in sorted(staging.iterdir()):
            if not os.path.lexists(dest_dir / item.name):
                os.rename(item, dest_dir / item.name)
                report.extra_items.append(dest_dir / item.name)
    finally:
        # The staging folder contains only what this call wrote.
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _extract_all(
    archive: Path, staging: Path, report: ExtractReport, max_bytes: int, max_members: int, progress: bool
) -> None:
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise CatdogError(f"Cannot open {archive} as a zip archive ({error}). Download it again.") from None
    with bundle:
        members = bundle.infolist()
        if len(members) > max_members:
            raise CatdogError(f"Archive {archive} has {len(members)} members, more than the limit of {max_members}.")
        # Check every name before writing anything.
        paths = [safe_member_path(info.filename) for info in members]
        with click.progressbar(
            list(zip(members, paths)), label="Extracting", file=sys.stderr, hidden=not progress, show_pos=True
        ) as bar:
            for info, relpath in bar:
                if relpath is None:
                    continue
                if _is_link(info):
                    report.skipped_links.append(relpath)
                    log.warning("Skipped symbolic link %s in the archive: links are never extracted.", relpath)
                    continue
                if info.is_dir():
                    (staging / relpath).mkdir(parents=True, exist_ok=True)
                    continue
                _extract_member(bundle, info, staging / relpath, report, max_bytes)


def _extract_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, report: ExtractReport, max_bytes: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with bundle.open(info) as source, open(path, "xb") as target:
            while chunk := source.read(_CHUNK):
                report.bytes_written += len(chunk)
                if report.bytes_written > max_bytes:
                    raise CatdogError(
                        f"Archive expands to more than {max_bytes:,} bytes (limit reached in {info.filename!r}); "
                        "it may be a zip bomb. Nothing was extracted."
                    )
                target.write(chunk)
    except FileExistsError:
        raise CatdogError(f"Invalid archive: member {info.filename!r} appears twice. Nothing was extracted.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise CatdogError(f"Member {info.filename!r} of the archive is damaged ({error}). Download the archive again.") from None
    report.files += 1

