"""Safe extraction: hostile member names, links, zip bombs and damaged members leave nothing behind."""

from __future__ import annotations

import io
import stat
import warnings
import zipfile
from pathlib import Path

import pytest
from test_fetch_data import build_archive

from catdog.errors import CatdogError
from catdog.preprocess.extract import extract_dataset, safe_member_path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.write_bytes(build_archive(members))
    return path


def assert_nothing_written(dest: Path) -> None:
    assert not (dest / "PetImages").exists()
    assert list(dest.glob(".catdog-extract-*")) == []


@pytest.mark.parametrize(
    "name",
    ["../escaped.txt", "/tmp/escaped.txt", "PetImages/../../escaped.txt", "..\\..\\escaped.txt", "C:/escaped.txt", "C:\\escaped.txt"],
    ids=["parent", "absolute", "climb-after-folder", "backslash-parent", "drive-slash", "drive-backslash"],
)
def test_unsafe_member_rejects_archive(tmp_path, name):
    dest = tmp_path / "dest"
    dest.mkdir()
    archive = write_zip(tmp_path / "evil.zip", {"PetImages/Cat/1.jpg": b"picture", name: b"outside"})

    with pytest.raises(CatdogError, match="Unsafe archive"):
        extract_dataset(archive, dest, progress=False)
    assert_nothing_written(dest)
    assert not (tmp_path / "escaped.txt").exists()


def test_backslash_names_are_normalised(tmp_path):
    archive = write_zip(tmp_path / "windows.zip", {"PetImages\\Cat\\1.jpg": b"picture", "PetImages\\Dog\\2.jpg": b"dog"})
    extract_dataset(archive, tmp_path, progress=False)
    assert (tmp_path / "PetImages" / "Cat" / "1.jpg").read_bytes() == b"picture"
    assert (tmp_path / "PetImages" / "Dog" / "2.jpg").read_bytes() == b"dog"


def test_member_path_normalisation():
    assert safe_member_path("PetImages\\Cat\\1.jpg") == "PetImages/Cat/1.jpg"
    assert safe_member_path("./PetImages//Cat/./1.jpg") == "PetImages/Cat/1.jpg"
    assert safe_member_path("PetImages/") == "PetImages"
    assert safe_member_path("./") is None


def test_symbolic_link_not_extracted(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("PetImages/Cat/1.jpg", b"picture")
        link = zipfile.ZipInfo("PetImages/Cat/passwd.jpg")
        link.create_system = 3  # Unix, so the mode bits are read
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(link, "/etc/passwd")
    archive = tmp_path / "links.zip"
    archive.write_bytes(buffer.getvalue())

    report = extract_dataset(archive, tmp_path, progress=False)
    linked = tmp_path / "PetImages" / "Cat" / "passwd.jpg"
    assert not linked.exists()
    assert not linked.is_symlink()
    assert report.skipped_links == ["PetImages/Cat/passwd.jpg"]
    assert (tmp_path / "PetImages" / "Cat" / "1.jpg").exists()


def test_expansion_limit_stops_zip_bomb(tmp_path):
    archive = write_zip(tmp_path / "bomb.zip", {"PetImages/Cat/1.jpg": b"picture", "PetImages/Cat/zeros.jpg": b"\x00" * (4 * 1024**2)})
    assert archive.stat().st_size < 20_000
    with pytest.raises(CatdogError, match="zip bomb"):
        extract_dataset(archive, tmp_path, max_bytes=1024**2, progress=False)
    assert_nothing_written(tmp_path)


def test_member_limit(tmp_path):
    archive = write_zip(tmp_path / "many.zip", {f"PetImages/Cat/{index}.jpg": b"x" for index in range(11)})
    with pytest.raises(CatdogError, match="more than the limit of 10"):
        extract_dataset(archive, tmp_path, max_members=10, progress=False)
    assert_nothing_written(tmp_path)


def test_duplicate_member_rejected(tmp_path):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it is asked to write
        with zipfile.ZipFile(buffer, "w") as bundle:
            bundle.writestr("PetImages/Cat/1.jpg", b"first")
            bundle.writestr("PetImages/Cat/1.jpg", b"second")
    archive = tmp_path / "twice.zip"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(CatdogError, match="twice"):
        extract_dataset(archive, tmp_path, progress=False)
    assert_nothing_written(tmp_path)


def test_damaged_member_leaves_nothing(tmp_path):
    data = bytearray(build_archive({"PetImages/Cat/1.jpg": b"picture " * 1000, "PetImages/Dog/2.jpg": b"dog " * 1000}))
    # Flip a byte inside the second member's compressed data.
    start = data.find(b"PetImages/Dog/2.jpg") + len("PetImages/Dog/2.jpg") + 5
    data[start] ^= 0xFF
    archive = tmp_path / "damaged.zip"
    archive.write_bytes(bytes(data))
    with pytest.raises(CatdogError, match="damaged"):
        extract_dataset(archive, tmp_path, progress=False)
    assert_nothing_written(tmp_path)


def test_not_a_zip_file(tmp_path):
    archive = tmp_path / "page.zip"
    archive.write_bytes(b"<html>Please sign in</html>")
    with pytest.raises(CatdogError, match="Cannot open"):
        extract_dataset(archive, tmp_path, progress=False)
    assert_nothing_written(tmp_path)


def test_archive_without_dataset_folder(tmp_path):
    archive = write_zip(tmp_path / "other.zip", {"photos/1.jpg": b"picture"})
    with pytest.raises(CatdogError, match="has no PetImages/"):
        extract_dataset(archive, tmp_path, progress=False)
    assert_nothing_written(tmp_path)
    assert not (tmp_path / "photos").exists()
