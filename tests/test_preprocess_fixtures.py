"""Damaged and unusual image files for the clean-data tests, and checks that each is what it claims.

`build_damaged_dataset` writes one file of every kind that `catdog clean-data` must
handle into a two-class folder and returns what the cleaner should do with each.
The other test modules import it from here.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def structured_pixels(seed: int, size: int = 96) -> np.ndarray:
    """Return a smooth random RGB picture: upscaled low-resolution noise, unlike any other seed."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC))


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_bytes(seed: int, size: int = 96, quality: int = 90) -> bytes:
    return encode(Image.fromarray(structured_pixels(seed, size)), "JPEG", quality=quality)


def truncated_jpeg() -> bytes:
    data = jpeg_bytes(101)
    return data[: len(data) // 2]


def decompression_bomb_png(side: int = 30_000) -> bytes:
    """A PNG header claiming side x side grayscale pixels (900 million by default), with no pixel data.

    Pillow rejects images above twice `Image.MAX_IMAGE_PIXELS` (about 179 million
    pixels) from the header alone, so the file never needs real pixel data.
    """
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def png_with_bad_pixel_checksum() -> bytes:
    """A PNG whose IDAT chunk has a wrong CRC: Pillow's decoder accepts it, TensorFlow 2.21 rejects it."""
    data = bytearray(encode(Image.fromarray(structured_pixels(102, 32)), "PNG"))
    start = data.find(b"IDAT")
    length = struct.unpack(">I", data[start - 4 : start])[0]
    data[start + 4 + length] ^= 0xFF
    return bytes(data)


def cmyk_jpeg() -> bytes:
    return encode(Image.fromarray(structured_pixels(103)).convert("CMYK"), "JPEG")


def palette_png_with_transparency() -> bytes:
    image = Image.fromarray(structured_pixels(104)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return encode(image, "PNG", transparency=0)


def gray16_png() -> bytes:
    ramp = (np.linspace(0, 65535, 96 * 96).reshape(96, 96)).astype(np.uint16)
    return encode(Image.fromarray(ramp), "PNG")


def one_bit(fmt: str) -> bytes:
    return encode(Image.fromarray(structured_pixels(105)).convert("1"), fmt)


def animated_gif() -> bytes:
    frames = [Image.fromarray(structured_pixels(seed)).convert("P") for seed in (106, 107, 108)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def jpeg_with_corrupt_exif() -> bytes:
    """A JPEG whose EXIF block points its first directory past the end of the block."""
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation: normal
    data = bytearray(encode(Image.fromarray(structured_pixels(109)), "JPEG", exif=exif.tobytes()))
    tiff = data.find(b"Exif\x00\x00") + 6
    order = ">" if data[tiff : tiff + 2] == b"MM" else "<"
    struct.pack_into(order + "I", data, tiff + 4, 0x00FFFFFF)
    return bytes(data)


def jpeg_with_extraneous_bytes() -> bytes:
    """A JPEG with padding before its end marker: libjpeg warns "Corrupt JPEG data" and decodes it."""
    data = jpeg_bytes(111)
    return data[:-2] + b"\x00" * 99 + data[-2:]


def html_page() -> bytes:
    return b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not found</body></html>\n"


def random_bytes(size: int = 4096) -> bytes:
    return np.random.default_rng(110).integers(0, 256, size, dtype=np.uint8).tobytes()


@dataclass
class DamagedDataset:
    """A dataset of every kind of file, with what clean-data should report for each."""

    root: Path
    moved: dict[str, str] = field(default_factory=dict)  # path -> reason
    wrong_extension: dict[str, str] = field(default_factory=dict)  # path -> detected format
    kept: list[str] = field(default_factory=list)  # every file that stays, wrong extension or not
    decode_warning: list[str] = field(default_factory=list)  # Pillow warns
    tensorflow_warning: list[str] = field(default_factory=list)  # TensorFlow's libjpeg warns
    too_small: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    byte_duplicates: list[list[str]] = field(default_factory=list)
    cross_label: list[list[str]] = field(default_factory=list)
    near_duplicate: tuple[str, str] = ("", "")

    def write(self, relpath: str, data: bytes) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path


def build_damaged_dataset(root: Path, outside: Path) -> DamagedDataset:
    """Write the fixture dataset under `root`; `outside` receives the target of an external link."""
    dataset = DamagedDataset(root=root)

    def bad(relpath: str, data: bytes, reason: str) -> None:
        dataset.write(relpath, data)
        dataset.moved[relpath] = reason

    def good(relpath: str, data: bytes, wrong_format: str | None = None) -> None:
        dataset.write(relpath, data)
        dataset.kept.append(relpath)
        if wrong_format:
            dataset.wrong_extension[relpath] = wrong_format

    rgb = Image.fromarray(structured_pixels(120))
    for index in range(4):
        good(f"Cat/{index}.jpg", jpeg_bytes(index))
        good(f"Dog/{index}.jpg", jpeg_bytes(50 + index))

    # Moved to Trash/.
    bad("Cat/empty.jpg", b"", "empty file")
    bad("Dog/empty.jpg", b"", "empty file")
    bad("Cat/truncated.jpg", truncated_jpeg(), "truncated image")
    bad("Cat/notes.jpg", b"These are my notes about the cats.\n" * 20, "text file")
    bad("Dog/page.jpg", html_page(), "html file")
    bad("Dog/noise.jpg", random_bytes(), "not an image")
    bad("Cat/bomb.png", decompression_bomb_png(), "decompression bomb")
    bad("Dog/bad-idat.png", png_with_bad_pixel_checksum(), "bad checksum")
    bad("Cat/nested/deeper/broken.jpg", truncated_jpeg(), "truncated image")
    bad("Dog/été vide.jpg", b"", "empty file")

    # Kept, with a wrong extension.
    good("Cat/gif.jpg", encode(rgb.convert("P"), "GIF"), "GIF")
    good("Cat/bmp.jpg", encode(rgb, "BMP"), "BMP")
    good("Cat/png.jpg", encode(rgb, "PNG"), "PNG")
    good("Cat/webp.jpg", encode(rgb, "WEBP"), "WEBP")

    # Kept: unusual but valid.
    good("Cat/cmyk.jpg", cmyk_jpeg())
    good("Cat/palette-alpha.png", palette_png_with_transparency())
    good("Cat/gray16.png", gray16_png())
    good("Cat/one-bit.png", one_bit("PNG"))
    good("Cat/one-bit.bmp", one_bit("BMP"))
    good("Cat/animated.gif", animated_gif())
    good("Cat/bad-exif.jpg", jpeg_with_corrupt_exif())
    dataset.decode_warning.append("Cat/bad-exif.jpg")
    good("Cat/extraneous.jpg", jpeg_with_extraneous_bytes())
    dataset.tensorflow_warning.append("Cat/extraneous.jpg")
    good("Cat/tiny.png", encode(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG"))
    dataset.too_small.append("Cat/tiny.png")
    good("Cat/name with spaces é.jpg", jpeg_bytes(121))
    good("Cat/nested/deeper/inside.jpg", jpeg_bytes(122))

    # Ignored and listed.
    for relpath in ("Cat/Thumbs.db", "Dog/Thumbs.db", "Dog/.DS_Store", "Cat/.hidden.jpg"):
        dataset.write(relpath, b"\x00system file\x00")
        dataset.ignored.append(relpath)
    dataset.write("Dog/.hidden-folder/inside.jpg", jpeg_bytes(123))
    dataset.ignored.append("Dog/.hidden-folder/")

    # Never followed: a link to a file outside the dataset.
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.jpg").write_bytes(b"not part of the dataset")
    os.symlink(outside / "secret.jpg", root / "Dog" / "outside-link.jpg")
    dataset.external_links.append("Dog/outside-link.jpg")

    # Duplicates: the same bytes twice under Dog, and once under both labels.
    good("Dog/copy-of-0.jpg", jpeg_bytes(50))
    dataset.byte_duplicates.append(["Dog/0.jpg", "Dog/copy-of-0.jpg"])
    good("Dog/cat-1-again.jpg", jpeg_bytes(1))
    dataset.byte_duplicates.append(["Cat/1.jpg", "Dog/cat-1-again.jpg"])
    dataset.cross_label.append(["Cat/1.jpg", "Dog/cat-1-again.jpg"])

    # A near duplicate: Dog/2.jpg resized to 70 % and re-encoded at a lower quality.
    smaller = Image.fromarray(structured_pixels(52)).resize((67, 67), Image.Resampling.BILINEAR)
    good("Dog/2-small.jpg", encode(smaller, "JPEG", quality=60))
    dataset.near_duplicate = ("Dog/2-small.jpg", "Dog/2.jpg")
    dataset.byte_duplicates.sort()
    return dataset


# Checks that each fixture has the property its name states.


def test_bomb_header_exceeds_pillow_limit():
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(decompression_bomb_png()))
    assert len(decompression_bomb_png()) < 1000


def test_truncated_jpeg_has_valid_header():
    with Image.open(io.BytesIO(truncated_jpeg())) as image:
        assert image.format == "JPEG"
        with pytest.raises(OSError):
            image.load()


@pytest.mark.parametrize(
    "data, mode",
    [(cmyk_jpeg(), "CMYK"), (palette_png_with_transparency(), "P"), (gray16_png(), "I;16"), (one_bit("PNG"), "1")],
    ids=["cmyk", "palette", "gray16", "one-bit"],
)
def test_unusual_images_have_their_mode(data, mode):
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == mode


def test_palette_png_has_transparency():
    with Image.open(io.BytesIO(palette_png_with_transparency())) as image:
        assert "transparency" in image.info


def test_animated_gif_has_three_frames():
    with Image.open(io.BytesIO(animated_gif())) as image:
        assert image.n_frames == 3


def test_corrupt_exif_makes_pillow_warn():
    with pytest.warns(UserWarning, match="Corrupt EXIF"):
        with Image.open(io.BytesIO(jpeg_with_corrupt_exif())) as image:
            image.getexif()


def test_bad_idat_png_still_decodes_in_pillow():
    with Image.open(io.BytesIO(png_with_bad_pixel_checksum())) as image:
        image.load()
        assert image.size == (32, 32)

