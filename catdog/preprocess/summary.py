"""The plain-text summaries that `catdog clean-data` prints after its progress bar."""

from __future__ import annotations

from catdog.dataset.files import TRASH_DIR
from catdog.preprocess.clean import CleanReport
from catdog.preprocess.restore import RestoreReport


def _section(lines: list[str], title: str, entries: list[str]) -> None:
    lines.append(f"{title}: {len(entries)}")
    lines.extend(f"  {entry}" for entry in entries)


def format_clean_report(report: CleanReport) -> str:
    """Return the summary of a clean-data run: one section per finding, with paths."""
    verb = "Would move" if report.dry_run else "Moved"
    lines = [
        f"Checked {report.checked} of {report.found} files in {len(report.class_names)} classes "
        f"({', '.join(report.class_names)}) under {report.root} in {report.seconds:.1f} s."
    ]
    lines.extend(f"Manifest: {message}." for message in report.settled)

    lines.append(f"{verb} to {TRASH_DIR}/: {len(report.moves)} bad file{'' if len(report.moves) == 1 else 's'}")
    for reason, moves in report.moves_by_reason().items():
        lines.append(f"  {reason}: {len(moves)}")
        lines.extend(f"    {move.src} -> {move.dst}" + (f"  ({move.detail})" if move.detail else "") for move in moves)
    if report.move_errors:
        _section(lines, "Could not move (left in place)", [f"{path}: {error}" for path, error in report.move_errors.items()])

    _section(lines, "Kept, wrong extension", [f"{path}: {fmt} content" for path, fmt in report.wrong_extensions.items()])
    _section(
        lines, "Kept, decoded with warnings",
        [f"{path}: {'; '.join(messages)}" for path, messages in report.decode_warnings.items()],
    )
    _section(
        lines, f"Kept, too small (a side under {report.min_size} px)",
        [f"{path}: {width}x{height}" for path, (width, height) in report.too_small.items()],
    )
    _section(lines, "Ignored (system and hidden files)", report.ignored)
    _section(lines, "Not followed (symbolic links leading outside the dataset)", report.external_links)
    _section(lines, "Unreadable (reported, not moved)", [f"{path}: {error}" for path, error in report.unreadable.items()])

    extra_copies = sum(len(group) - 1 for group in report.duplicate_groups)
    lines.append(f"Byte-identical duplicates: {len(report.duplicate_groups)} groups, {extra_copies} extra copies")
    lines.extend(f"  {' = '.join(group)}" for group in report.duplicate_groups)
    _section(lines, "Same picture under two labels", [" = ".join(group) for group in report.cross_label_groups])
    if report.near_duplicates is not None:
        _section(
            lines, f"Near duplicates (perceptual hash, distance <= {report.near_max_distance} of 64 bits)",
            [f"{pair.first} ~ {pair.second} (distance {pair.distance})" for pair in report.near_duplicates],
        )

    if report.dry_run:
        lines.append("Dry run: nothing was moved or written.")
    elif report.moves:
        lines.append(f"Every move is listed in {report.manifest_path}; undo them with `catdog clean-data --restore {report.root}`.")
    return "\n".join(lines)


def format_restore_report(report: RestoreReport) -> str:
    """Return the summary of a restore: what went back, and under which name."""
    verb = "Would restore" if report.dry_run else "Restored"
    lines = [f"Manifest: {message}." for message in report.settled]
    _section(lines, f"{verb} from {TRASH_DIR}/", [f"{source} -> {target}" for source, target in report.restored])
    if report.renamed:
        _section(
            lines, "Restored under a new name, because a new file has the original path",
            [f"{original} -> {target}" for original, target in report.renamed],
        )
    if report.missing:
        _section(lines, "Listed in the manifest but missing from Trash/", report.missing)
    if report.errors:
        _section(lines, "Could not restore", [f"{path}: {error}" for path, error in report.errors.items()])
    return "\n".join(lines)
