"""Click commands of catdog.preprocess: `catdog clean-data` and `catdog fetch-data`."""

from __future__ import annotations

import re

import click

from catdog.preprocess.clean import DEFAULT_MIN_SIZE, clean_data
from catdog.preprocess.duplicates import DEFAULT_MAX_DISTANCE, HASH_BITS
from catdog.preprocess.restore import restore_data
from catdog.preprocess.summary import format_clean_report, format_restore_report


@click.command("clean-data")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="List what would move and change nothing.")
@click.option("--restore", is_flag=True, help="Move every file listed in PATH/Trash/manifest.jsonl back to its place.")
@click.option(
    "--near-duplicates", is_flag=True,
    help="Also report re-encoded or resized copies, found by perceptual hash, as pairs with their distance.",
)
@click.option(
    "--max-distance", type=click.IntRange(0, HASH_BITS - 1), default=DEFAULT_MAX_DISTANCE, show_default=True,
    help="Largest perceptual-hash distance (differing bits out of 64) reported by --near-duplicates.",
)
@click.option(
    "--min-size", type=click.IntRange(min=1), default=DEFAULT_MIN_SIZE, show_default=True,
    help="Report images with a side shorter than this many pixels as too small.",
)
@click.option("--quiet", is_flag=True, help="Hide the progress bar.")
def clean_data_command(
    path: str, dry_run: bool, restore: bool, near_duplicates: bool, max_distance: int, min_size: int, quiet: bool
) -> None:
    """Move files that TensorFlow or Pillow cannot decode from PATH to PATH/Trash/.

    Every file of every class folder is decoded in full by both decoders. A bad
    file goes to PATH/Trash/<label>/ under its own name (a new name if that one is
    taken); nothing is deleted. Each move is logged in PATH/Trash/manifest.jsonl,
    so --restore undoes them all, and a run stopped part-way is finished by running
    again. The summary lists bad files by reason, wrong extensions, decode
    warnings, tiny images, ignored files, unreadable files and duplicates.

    \b
    Examples:
      catdog clean-data ./PetImages --dry-run
      catdog clean-data ./PetImages --near-duplicates
      catdog clean-data ./PetImages --restore
    """
    if restore:
        if near_duplicates:
            raise click.UsageError("--near-duplicates checks files; it cannot be combined with --restore.")
        click.echo(format_restore_report(restore_data(path, dry_run=dry_run)))
        return

    report = clean_data(
        path, dry_run=dry_run, near_duplicates=near_duplicates, max_distance=max_distance,
        min_size=min_size, progress=not quiet,
    )
    click.echo(format_clean_report(report))


def _check_sha256(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise click.BadParameter(f"expected 64 hexadecimal digits, got {value!r}.")
    return value


@click.command("fetch-data")
@click.option(
    "--dest", type=click.Path(file_okay=False, path_type=str), default=".", show_default=True,
    help="Folder that receives the archive and PetImages/.",
)
@click.option("--url", default=None, help="Download from this address instead of Microsoft's server.")
@click.option(
    "--from", "from_archive", type=click.Path(dir_okay=False, path_type=str), default=None,
    help="Use this archive, downloaded by hand, instead of downloading.",
)
@click.option(
    "--sha256", default=None, callback=_check_sha256,
    help="Expected SHA-256 hex digest of the archive. Defaults to the official archive's.",
)
@click.option("--size", type=click.IntRange(min=1), default=None, help="Expected size of the archive in bytes. Defaults to the official archive's.")
@click.option("--quiet", is_flag=True, help="Hide the progress bars.")
def fetch_data_command(dest: str, url: str | None, from_archive: str | None, sha256: str | None, size: int | None, quiet: bool) -> None:
    """Download the Kaggle Cats and Dogs archive, verify it and extract DEST/PetImages.

    The download resumes where an interrupted one stopped. The archive must match
    the official size and SHA-256 digest. Extraction writes nothing outside DEST
    and follows no links, and a failed extraction leaves no half-written
    PetImages/ behind.

    \b
    Examples:
      catdog fetch-data --dest data
      catdog fetch-data --dest data --from ~/Downloads/kagglecatsanddogs_5340.zip
    """
    from catdog.preprocess import fetch

    if url is not None and from_archive is not None:
        raise click.UsageError("--url downloads and --from uses a local archive; pass only one of them.")
    report = fetch.fetch_data(
        dest=dest,
        url=url or fetch.OFFICIAL_URL,
        from_archive=from_archive,
        sha256=sha256 or fetch.ARCHIVE_SHA256,
        size=size or fetch.ARCHIVE_SIZE,
        progress=not quiet,
    )
    extraction = report.extraction
    click.echo(
        f"Extracted {extraction.files:,} files ({extraction.bytes_written:,} bytes) into {extraction.destination} "
        f"from {report.archive}."
    )
    if extraction.skipped_links:
        click.echo(f"Skipped {len(extraction.skipped_links)} symbolic links: {', '.join(extraction.skipped_links)}")
    click.echo(f"Next: catdog clean-data {extraction.destination}")


commands = [clean_data_command, fetch_data_command]
