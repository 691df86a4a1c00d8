"""`catdog fetch-data`: download the Kaggle Cats and Dogs archive, verify it, extract it.

A download goes to `<archive>.part` and resumes from its current size with an HTTP
Range request, so an interrupted download costs only what is left. The archive is
accepted only when its size and SHA-256 digest match, then extracted safely (see
`catdog.preprocess.extract`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

import click

import catdog
from catdog.errors import CatdogError
from catdog.preprocess.extract import ExtractReport, extract_dataset
from catdog.preprocess.manifest import unique_relpath

log = logging.getLogger(__name__)

DOWNLOAD_PAGE = "https://www.microsoft.com/en-us/download/details.aspx?id=54765"
OFFICIAL_URL = (
    "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip"
)
ARCHIVE_NAME = "kagglecatsanddogs_5340.zip"
# Size in bytes: the Content-Length of OFFICIAL_URL as printed by wget in public
# notebooks that download it ("Length: 824887076 (787M)"), 2023 and 2024 runs.
ARCHIVE_SIZE = 824_887_076
# SHA-256 of the archive: the DownloadChecksum constant for the same URL in the
# gomlx project (github.com/gomlx/gomlx, examples/dogsvscats/dogsvscats.go).
# NOTE: not re-computed here, since this machine has no network access.
ARCHIVE_SHA256 = "b7974bd00a84a99921f36ee4403f089853777b5ae8d151c76a86e64900334af9"
# Seconds to wait for a connection or for the next block of data.
TIMEOUT = 15.0
_CHUNK = 1024 * 1024  # bytes per read
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


@dataclass
class FetchReport:
    """The archive used, how much was downloaded, and what extraction wrote."""

    archive: Path
    downloaded_bytes: int
    resumed_from: int
    extraction: ExtractReport


def fetch_data(
    dest: str | os.PathLike = ".",
    url: str = OFFICIAL_URL,
    from_archive: str | os.PathLike | None = None,
    sha256: str = ARCHIVE_SHA256,
    size: int = ARCHIVE_SIZE,
    timeout: float = TIMEOUT,
    progress: bool = True,
) -> FetchReport:
    """Download (or take) the archive, verify it, and extract it to `dest/PetImages`.

    Args:
        dest: folder that receives the archive and `PetImages/`. Defaults to ".".
        url: where to download from. Defaults to Microsoft's download server.
        from_archive: an archive downloaded by hand; nothing is downloaded then.
        sha256: expected SHA-256 hex digest. Defaults to the official archive's.
        size: expected size in bytes. Defaults to the official archive's.
        timeout: seconds to wait for a connection or data. Defaults to 15.
        progress: show progress bars on standard error.

    Raises:
        CatdogError: when `dest/PetImages` exists, the server cannot be reached,
            the download is interrupted (run again to resume), or the archive does
            not match `size` and `sha256`.
    """
    dest = Path(dest)
    if os.path.lexists(dest / "PetImages"):
        raise CatdogError(f"{dest / 'PetImages'} already exists. Use it as it is, or move it away to fetch a fresh copy.")
    sha256 = sha256.lower()

    downloaded, resumed_from = 0, 0
    if from_archive is not None:
        archive = Path(from_archive)
        if not archive.is_file():
            raise CatdogError(f"Archive not found: {archive}. Pass the path of the downloaded {ARCHIVE_NAME}.")
        verify_archive(archive, size, sha256, progress)
    else:
        archive = dest / ARCHIVE_NAME
        if archive.exists():
            log.info("Found %s; verifying it instead of downloading again.", archive)
            verify_archive(archive, size, sha256, progress)
        else:
            downloaded, resumed_from = download(url, archive, size, sha256, timeout, progress)

    log.info("Extracting %s into %s.", archive, dest / "PetImages")
    extraction = extract_dataset(archive, dest, progress=progress)
    return FetchReport(archive, downloaded, resumed_from, extraction)


def _hash_file(path: Path, progress: bool, label: str):
    """Return the size of `path` in bytes and a SHA-256 hasher fed with its content."""
    hasher = hashlib.sha256()
    length = path.stat().st_size
    with open(path, "rb") as handle, click.progressbar(
        length=length, label=label, file=sys.stderr, hidden=not progress
    ) as bar:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
            bar.update(len(chunk))
    return length, hasher


def verify_archive(path: Path, size: int, sha256: str, progress: bool = True) -> None:
    """Check the size and SHA-256 digest of `path`.

    Raises:
        CatdogError: on a mismatch, giving the expected and actual values.
    """
    actual_size, hasher = _hash_file(path, progress, "Verifying")
    _check_match(path, actual_size, hasher.hexdigest(), size, sha256)


def _check_match(path: Path, actual_size: int, actual_sha256: str, size: int, sha256: str) -> None:
    if actual_size != size or actual_sha256 != sha256:
        raise CatdogError(
            f"{path} does not match the expected archive: size {actual_size:,} bytes, SHA-256 {actual_sha256}; "
            f"expected {size:,} bytes, SHA-256 {sha256}. Move it away and download the archive again, "
            f"or pass --size {actual_size} --sha256 {actual_sha256} if you trust this copy."
        )


def download(url: str, path: Path, size: int, sha256: str, timeout: float = TIMEOUT, progress: bool = True) -> tuple[int, int]:
    """Download `url` to `path` through `path.part`, resuming a partial download.

    Returns:
        The number of bytes downloaded by this call, and the byte it resumed from.

    Raises:
        CatdogError: when the server cannot be reached or returns an HTTP error,
            reports another size, the transfer stops early (the partial file is
            kept for the next run), or the result does not match `sha256`. A
            complete but wrong download is renamed to `<name>.corrupt`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    offset, hasher = _hash_file(part, False, "") if part.exists() else (0, hashlib.sha256())
    if offset > size:
        log.warning("%s is larger than the archive (%d > %d bytes); starting the download over.", part, offset, size)
        offset, hasher = 0, hashlib.sha256()
        part.write_bytes(b"")

    response = _open(url, offset, size, timeout, path.parent) if offset < size else None
    resumed_from = offset
    if response is not None:
        with response:
            if offset and response.status == 200:
                log.warning("The server ignored the request to resume at byte %d; downloading from the start.", offset)
                offset, resumed_from, hasher = 0, 0, hashlib.sha256()
            elif offset:
                log.info("Resuming the download of %s at byte %d.", url, offset)
            _check_reported_size(response, offset, size, url)
            _copy_body(response, part, offset, size, hasher, progress)

    actual_size = part.stat().st_size
    if actual_size != size or hasher.hexdigest() != sha256:
        corrupt = path.parent / unique_relpath(path.parent, path.name + ".corrupt", set())
        os.rename(part, corrupt)
        _check_match(corrupt, actual_size, hasher.hexdigest(), size, sha256)
    os.rename(part, path)
    return size - resumed_from, resumed_from


def _open(url: str, offset: int, size: int, timeout: float, dest: Path):
    headers = {"User-Agent": f"catdog/{catdog.__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset == size:
            return None  # the partial file is already complete
        raise CatdogError(f"Download of {url} failed: HTTP {error.code} {error.reason}. {_manual_steps(dest)}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise CatdogError(f"Cannot reach {url} ({reason}). {_manual_steps(dest)}") from None


def _manual_steps(dest: Path) -> str:
    dest_option = "" if Path(dest) == Path(".") else f" --dest {shlex.quote(str(dest))}"
    return (
        f"Without network access, download {ARCHIVE_NAME} by hand from {DOWNLOAD_PAGE} "
        f"and run: catdog fetch-data{dest_option} --from PATH/TO/{ARCHIVE_NAME}"
    )


def _check_reported_size(response, offset: int, size: int, url: str) -> None:
    total = None
    content_range = response.headers.get("Content-Range")
    if response.status == 206 and content_range:
        match = _CONTENT_RANGE.fullmatch(content_range.strip())
        if not match or int(match.group(1)) != offset:
            raise CatdogError(f"Server sent the wrong part of {url} (Content-Range: {content_range}). Try again later.")
        total = int(match.group(3)) if match.group(3) != "*" else None
    elif response.headers.get("Content-Length") is not None:
        total = offset + int(response.headers["Content-Length"])
    if total is not None and total != size:
        raise CatdogError(
            f"{url} is {total:,} bytes, but the expected archive is {size:,} bytes. The file on the server may have "
            "changed; pass --size and --sha256 for that file if you trust it."
        )


def _copy_body(response, part: Path, offset: int, size: int, hasher, progress: bool) -> None:
    written = offset
    with open(part, "ab" if offset else "wb") as out, click.progressbar(
        length=size, label="Downloading", file=sys.stderr, hidden=not progress
    ) as bar:
        bar.update(offset)
        try:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                hasher.update(chunk)
                written += len(chunk)
                bar.update(len(chunk))
            error = None
        except (OSError, HTTPException) as caught:
            error = caught
        out.flush()
        os.fsync(out.fileno())
    if written < size:
        cause = f" ({error})" if error else ""
        raise CatdogError(
            f"Download interrupted after {written:,} of {size:,} bytes{cause}. "
            f"Run the same command again to resume; the partial file is {part}."
        )
