"""The manifest of `catdog clean-data`: a write-ahead log of every move into Trash/.

The manifest is `PATH/Trash/manifest.jsonl`, one JSON object per line, appended and
flushed to disk with fsync before and after each rename:

    {"event": "move", "id": 1, "src": "Cat/1.jpg", "dst": "Trash/Cat/1.jpg", "reason": ..., ...}
    {"event": "moved", "id": 1}
    {"event": "restore", "id": 1, "to": "Cat/1.jpg"}
    {"event": "restored", "id": 1}

A "move" or "restore" line without its closing line means the process stopped
between logging and renaming, or between renaming and closing. `reconcile` settles
such entries from what is on disk: a rename within one file system is atomic, so the
file is at exactly one of its two paths. Hence a run killed at any point (kill -9)
leaves every file in place or in Trash/ with its entry, and the next run finishes.
Paths are POSIX paths relative to the dataset folder.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from catdog.dataset.files import TRASH_DIR
from catdog.errors import CatdogError

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"
# Testing hook: "<step>:<n>" makes the process kill itself with SIGKILL at the n-th
# occurrence of <step> (move-logged, move-renamed, restore-logged, restore-renamed),
# so tests can stop a run at the two unsafe moments of a move.
KILL_AT_ENV = "CATDOG_TEST_KILL_AT"

# Entry states.
PENDING, MOVED, CANCELLED, RESTORING, RESTORED = "pending", "moved", "cancelled", "restoring", "restored"


@dataclass
class Move:
    """One file moved, or being moved, into Trash/."""

    id: int
    src: str
    dst: str
    reason: str
    detail: str = ""
    sha256: str = ""
    size: int = 0
    state: str = PENDING
    restored_to: str | None = None


class Manifest:
    """The moves recorded under `root/Trash/`, with append-only, fsynced updates."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / TRASH_DIR / MANIFEST_NAME
        self.moves: dict[int, Move] = {}
        self._step_counts: dict[str, int] = {}
        self._complete_length: int | None = None  # bytes before an incomplete last line
        if self.path.exists():
            self._load()

    # Reading.

    def _load(self) -> None:
        content = self.path.read_bytes()
        lines = content.decode("utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines) and not content.endswith(b"\n"):
                    # A crash during the last write can leave half a line. The next
                    # append cuts it off, and `reconcile` settles the entry it began.
                    log.warning("Ignoring the incomplete last line of %s.", self.path)
                    self._complete_length = len(content) - len(line.encode("utf-8"))
                    continue
                raise CatdogError(
                    f"Manifest {self.path} is invalid at line {number}. "
                    "Fix or remove that line by hand; every other line is still valid JSON."
                ) from None
            self._apply(record)

    def _apply(self, record: dict) -> None:
        event, move_id = record["event"], record["id"]
        if event == "move":
            fields = {key: record[key] for key in ("src", "dst", "reason", "detail", "sha256", "size") if key in record}
            self.moves[move_id] = Move(id=move_id, **fields)
            return
        move = self.moves[move_id]
        if event == "moved":
            move.state = MOVED
        elif event == "cancelled":
            move.state = CANCELLED
        elif event == "restore":
            move.state, move.restored_to = RESTORING, record["to"]
        elif event == "restored":
            move.state = RESTORED
        elif event == "restore-cancelled":
            move.state, move.restored_to = MOVED, None

    def in_state(self, *states: str) -> list[Move]:
        """Return the moves in any of `states`, by id."""
        return [move for _, move in sorted(self.moves.items()) if move.state in states]

    # Writing.

    def _append(self, record: dict) -> None:
        record = {**record, "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        new_file = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._complete_length is not None:
            os.truncate(self.path, self._complete_length)
            self._complete_length = None
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if new_file:
            _fsync_dir(self.path.parent)
        self._apply(record)

    def _kill_point(self, step: str) -> None:
        target = os.environ.get(KILL_AT_ENV)
        if not target:
            return
        self._step_counts[step] = self._step_counts.get(step, 0) + 1
        if target == f"{step}:{self._step_counts[step]}":
            os.kill(os.getpid(), signal.SIGKILL)

    def move_to_trash(self, src: str, reason: str, detail: str = "", sha256: str = "", size: int = 0) -> Move:
        """Move `src` to `Trash/<src>`, under a new name when that one is taken.

        Raises:
            OSError: when the rename fails; the entry is then marked cancelled and
                the file stays in place.
        """
        reserved = {move.dst for move in self.in_state(PENDING, MOVED, RESTORING)}
        dst = unique_relpath(self.root, f"{TRASH_DIR}/{src}", reserved)
        move_id = max(self.moves, default=0) + 1
        record = {"event": "move", "id": move_id, "src": src, "dst": dst, "reason": reason,
                  "detail": detail, "sha256": sha256, "size": size}
        self._append(record)
        self._kill_point("move-logged")
        try:
            _rename(self.root / src, self.root / dst)
        except OSError as error:
            self._append({"event": "cancelled", "id": move_id, "error": str(error)})
            raise
        self._kill_point("move-renamed")
        self._append({"event": "moved", "id": move_id})
        return self.moves[move_id]

    def restore(self, move: Move) -> str:
        """Move a trashed file back to its original path, or beside it when that is taken.

        Returns:
            The path the file now has, relative to the dataset folder.
        """
        reserved = {other.restored_to for other in self.in_state(RESTORING) if other.restored_to}
        target = unique_relpath(self.root, move.src, reserved)
        self._append({"event": "restore", "id": move.id, "to": target})
        self._kill_point("restore-logged")
        try:
            _rename(self.root / move.dst, self.root / target)
        except OSError as error:
            self._append({"event": "restore-cancelled", "id": move.id, "error": str(error)})
            raise
        self._kill_point("restore-renamed")
        self._append({"event": "restored", "id": move.id})
        return target

    def reconcile(self, write: bool = True) -> list[str]:
        """Settle the entries that an interrupted run left open, from the files on disk.

        Args:
            write: append the settling lines to the manifest. With False (a dry
                run) only the in-memory states change.

        Returns:
            One message per entry settled.
        """
        messages = []
        for move in self.in_state(PENDING, RESTORING):
            event, message = self._settle(move)
            messages.append(message)
            if write:
                self._append({"event": event, "id": move.id})
            else:
                self._apply({"event": event, "id": move.id})
        return messages

    def _settle(self, move: Move) -> tuple[str, str]:
        if move.state == PENDING:
            if (self.root / move.dst).exists():
                return "moved", f"finished the interrupted move of {move.src} to {move.dst}"
            if not (self.root / move.src).exists():
                log.warning("%s is missing from both %s and %s; marking its move cancelled.", move.src, move.src, move.dst)
            return "cancelled", f"cancelled the interrupted move of {move.src}: it is still in place"
        if (self.root / move.restored_to).exists() and not (self.root / move.dst).exists():
            return "restored", f"finished the interrupted restore of {move.dst} to {move.restored_to}"
        return "restore-cancelled", f"cancelled the interrupted restore of {move.dst}: it is still in Trash/"


def unique_relpath(root: Path, relpath: str, reserved: set[str]) -> str:
    """Return `relpath`, or "<stem> (2)<suffix>" and so on when that path is in use.

    A path is in use when it exists under `root` (even as a broken link) or is in
    `reserved`, such as the destinations of unfinished moves.
    """
    parent, name = os.path.split(relpath)
    stem, suffix = os.path.splitext(name)
    candidate, number = relpath, 2
    while candidate in reserved or os.path.lexists(root / candidate):
        candidate = os.path.join(parent, f"{stem} ({number}){suffix}").replace(os.sep, "/")
        number += 1
    return candidate


def _rename(source: Path, target: Path) -> None:
    """Rename `source` to `target`, raising FileExistsError rather than replacing a file, and fsync both folders."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        raise FileExistsError(f"{target} already exists")
    os.rename(source, target)
    _fsync_dir(target.parent)
    _fsync_dir(source.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
