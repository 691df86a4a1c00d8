"""`catdog fetch-data` against a local HTTP server on 127.0.0.1 that serves archives built here."""

from __future__ import annotations

import hashlib
import io
import re
import socket
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_catdog
from test_preprocess_fixtures import jpeg_bytes

from catdog.errors import CatdogError
from catdog.preprocess.fetch import ARCHIVE_NAME, DOWNLOAD_PAGE, fetch_data


def build_archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def pet_archive() -> bytes:
    members = {f"PetImages/{label}/{index}.jpg": jpeg_bytes(index + offset) for label, offset in (("Cat", 0), ("Dog", 20)) for index in range(3)}
    members["PetImages/Cat/Thumbs.db"] = b"\x00thumbnail cache\x00"
    members["readme[1].txt"] = b"A readme that sits beside PetImages/ in the official archive.\n"
    return build_archive(members)


@dataclass
class ServerState:
    """What the test server serves, how it misbehaves, and the requests it saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut_after: int | None = None  # bytes sent before dropping the next response part-way
    honour_range: bool = True
    silent_seconds: float = 0.0  # seconds to wait before responding
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)


class ArchiveHandler(BaseHTTPRequestHandler):
    state: ServerState

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def do_GET(self):
        state = self.server.state
        state.requests.append((self.path, self.headers.get("Range")))
        if state.silent_seconds:
            time.sleep(state.silent_seconds)
        data = state.files.get(self.path)
        if data is None:
            self.send_error(404)
            return

        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and state.honour_range:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()

        if state.cut_after is not None:
            # Promise the whole body, send part of it, and drop the connection.
            self.wfile.write(body[: state.cut_after])
            self.wfile.flush()
            state.cut_after = None
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ArchiveHandler)
    httpd.daemon_threads = True
    httpd.state = ServerState()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def serve(server, data: bytes, name: str = "archive.zip") -> dict:
    server.state.files[f"/{name}"] = data
    host, port = server.server_address
    return {"url": f"http://{host}:{port}/{name}", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def staging_folders(folder: Path) -> list[Path]:
    return list(folder.glob(".catdog-extract-*"))


def test_download_verifies_and_extracts(server, tmp_path):
    data = pet_archive()
    report = fetch_data(tmp_path, progress=False, **serve(server, data))

    assert sorted(path.name for path in (tmp_path / "PetImages" / "Cat").iterdir()) == ["0.jpg", "1.jpg", "2.jpg", "Thumbs.db"]
    assert (tmp_path / "PetImages" / "Dog" / "2.jpg").read_bytes() == jpeg_bytes(22)
    assert (tmp_path / ARCHIVE_NAME).read_bytes() == data
    assert (tmp_path / "readme[1].txt").exists()
    assert not (tmp_path / f"{ARCHIVE_NAME}.part").exists()
    assert staging_folders(tmp_path) == []
    assert report.downloaded_bytes == len(data)
    assert report.extraction.files == 8


def test_interrupted_download_resumes(server, tmp_path):
    data = pet_archive()
    target = serve(server, data)
    half = len(data) // 2
    server.state.cut_after = half

    with pytest.raises(CatdogError, match="interrupted after"):
        fetch_data(tmp_path, progress=False, **target)
    part = tmp_path / f"{ARCHIVE_NAME}.part"
    assert part.stat().st_size == half
    assert not (tmp_path / "PetImages").exists()

    report = fetch_data(tmp_path, progress=False, **target)
    assert server.state.requests[-1] == ("/archive.zip", f"bytes={half}-")
    assert report.resumed_from == half
    assert report.downloaded_bytes == len(data) - half
    assert (tmp_path / ARCHIVE_NAME).read_bytes() == data
    assert (tmp_path / "PetImages" / "Cat" / "0.jpg").exists()


def test_server_ignoring_range_restarts(server, tmp_path):
    data = pet_archive()
    target = serve(server, data)
    server.state.honour_range = False
    (tmp_path / f"{ARCHIVE_NAME}.part").write_bytes(data[:1000])

    report = fetch_data(tmp_path, progress=False, **target)
    assert report.resumed_from == 0
    assert (tmp_path / ARCHIVE_NAME).read_bytes() == data


def test_complete_partial_file_needs_no_request(server, tmp_path):
    data = pet_archive()
    target = serve(server, data)
    (tmp_path / f"{ARCHIVE_NAME}.part").write_bytes(data)

    fetch_data(tmp_path, progress=False, **target)
    assert server.state.requests == []
    assert (tmp_path / "PetImages" / "Dog").is_dir()


def test_wrong_digest_rejected(server, tmp_path):
    data = pet_archive()
    target = serve(server, data)
    target["sha256"] = hashlib.sha256(b"another archive").hexdigest()

    with pytest.raises(CatdogError, match="does not match the expected archive"):
        fetch_data(tmp_path, progress=False, **target)
    assert not (tmp_path / "PetImages").exists()
    assert not (tmp_path / ARCHIVE_NAME).exists()
    assert not (tmp_path / f"{ARCHIVE_NAME}.part").exists()
    assert (tmp_path / f"{ARCHIVE_NAME}.corrupt").read_bytes() == data


def test_wrong_reported_size_fails_before_download(server, tmp_path):
    target = serve(server, pet_archive())
    target["size"] += 1

    with pytest.raises(CatdogError, match="expected archive is"):
        fetch_data(tmp_path, progress=False, **target)
    assert not (tmp_path / f"{ARCHIVE_NAME}.part").exists()


def test_malicious_archive_served_extracts_nothing(server, tmp_path):
    data = build_archive({"PetImages/Cat/1.jpg": jpeg_bytes(1), "../escaped.txt": b"outside"})
    dest = tmp_path / "dest"

    with pytest.raises(CatdogError, match="Unsafe archive"):
        fetch_data(dest, progress=False, **serve(server, data))
    assert not (tmp_path / "escaped.txt").exists()
    assert not (dest / "PetImages").exists()
    assert staging_folders(dest) == []


def test_unreachable_server_fails_fast(tmp_path):
    started = time.monotonic()
    with pytest.raises(CatdogError) as caught:
        fetch_data(tmp_path, url=f"http://127.0.0.1:{closed_port()}/archive.zip", progress=False)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "Cannot reach" in message
    assert DOWNLOAD_PAGE in message
    assert "--from" in message


def test_silent_server_times_out(server, tmp_path):
    target = serve(server, pet_archive())
    server.state.silent_seconds = 3.0
    with pytest.raises(CatdogError, match="Cannot reach"):
        fetch_data(tmp_path, timeout=0.5, progress=False, **target)


def test_from_archive_skips_download(tmp_path):
    data = pet_archive()
    archive = tmp_path / "downloads" / ARCHIVE_NAME
    archive.parent.mkdir()
    archive.write_bytes(data)

    report = fetch_data(
        tmp_path / "data", from_archive=archive, sha256=hashlib.sha256(data).hexdigest(), size=len(data), progress=False
    )
    assert report.downloaded_bytes == 0
    assert (tmp_path / "data" / "PetImages" / "Cat" / "1.jpg").exists()
    assert archive.read_bytes() == data


def test_from_archive_with_other_digest_rejected(tmp_path):
    archive = tmp_path / ARCHIVE_NAME
    archive.write_bytes(pet_archive())
    with pytest.raises(CatdogError, match="--sha256"):
        fetch_data(tmp_path / "data", from_archive=archive, progress=False)
    assert not (tmp_path / "data" / "PetImages").exists()


def test_existing_dataset_not_overwritten(server, tmp_path):
    existing = tmp_path / "PetImages" / "Cat" / "mine.jpg"
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"the user's own file")
    with pytest.raises(CatdogError, match="already exists"):
        fetch_data(tmp_path, progress=False, **serve(server, pet_archive()))
    assert existing.read_bytes() == b"the user's own file"
    assert server.state.requests == []


def test_cli_downloads_and_extracts(server, tmp_path):
    target = serve(server, pet_archive())
    result = run_catdog(
        "fetch-data", "--dest", str(tmp_path), "--url", target["url"],
        "--sha256", target["sha256"], "--size", str(target["size"]), "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert "Extracted 8 files" in result.stdout
    assert f"catdog clean-data {tmp_path / 'PetImages'}" in result.stdout


def test_cli_unreachable_exits_2(tmp_path):
    result = run_catdog("fetch-data", "--dest", str(tmp_path), "--url", f"http://127.0.0.1:{closed_port()}/a.zip")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    # The suggested command keeps --dest, so following it extracts into the same folder.
    assert f"catdog fetch-data --dest {tmp_path} --from" in result.stderr


def test_cli_missing_from_archive_exits_2(tmp_path):
    result = run_catdog("fetch-data", "--dest", str(tmp_path), "--from", str(tmp_path / "absent.zip"))
    assert result.returncode == 2
    assert result.stderr.startswith("Error: Archive not found")


def test_cli_invalid_sha256_exits_2(tmp_path):
    result = run_catdog("fetch-data", "--dest", str(tmp_path), "--sha256", "not-a-digest")
    assert result.returncode == 2
    assert "expected 64 hexadecimal digits" in result.stderr
