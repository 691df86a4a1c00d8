"""Decoding one image file with Pillow into a uint8 array of a fixed size and colour.

Conversion rules, so that every readable file gives the same kind of array:
- EXIF orientation is applied before resizing.
- Images with transparency (palette with a transparent colour, LA, RGBA) are
  composited onto a white background.
- 16-bit images are scaled to 8 bits (65535 maps to 255), not clipped.
- 1-bit images map to 0 and 255; CMYK is converted to RGB by Pillow.
- Animated images contribute their first frame.
- Resizing stretches to a square, as the reference experiments do.
"""

from __future__ import annotations

import io
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

COLORS = ("grayscale", "rgb")
# Background that transparent pixels are composited onto: white, as a viewer shows them.
BACKGROUND = (255, 255, 255)
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})


class DecodeError(Exception):
    """A file that cannot be decoded; `reason` is a short label such as "truncated image"."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class DecodedImage:
    """The pixels of one file and what Pillow reported while decoding it."""

    pixels: np.ndarray  # uint8, (height, width, channels)
    source_format: str | None  # format detected from the content, e.g. "JPEG", "PNG"
    source_mode: str  # Pillow mode before conversion, e.g. "RGB", "P", "I;16"
    source_size: tuple[int, int]  # (width, height) in pixels, before resizing
    warnings: list[str]


def channels_for(color: str) -> int:
    if color not in COLORS:
        raise ValueError(f"color must be one of {COLORS}, got {color!r}")
    return 1 if color == "grayscale" else 3


def failure_reason(data: bytes, error: BaseException) -> str:
    """Name the kind of damage behind a decoding `error` on the file content `data`."""
    if len(data) == 0:
        return "empty file"
    if isinstance(error, Image.DecompressionBombError):
        return "decompression bomb"
    if isinstance(error, UnidentifiedImageError):
        head = data[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            return "html file"
        try:
            data[:4096].decode("utf-8")
        except UnicodeDecodeError:
            return "not an image"
        return "text file"
    message = str(error).lower()
    if "truncated" in message or "premature end" in message or "broken data stream" in message:
        return "truncated image"
    return "decode error"


def _to_target_mode(image: Image.Image, color: str) -> Image.Image:
    mode = image.mode
    target = "L" if color == "grayscale" else "RGB"

    if mode in _SIXTEEN_BIT_MODES:
        wide = np.asarray(image).astype(np.uint32)
        # 16-bit range 0..65535 onto 0..255, rounding to nearest.
        narrow = ((np.clip(wide, 0, 65535) * 255 + 32767) // 65535).astype(np.uint8)
        image = Image.fromarray(narrow, mode="L")
    elif mode == "F":
        image = Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8), mode="L")
    elif mode in _ALPHA_MODES or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
        image = Image.alpha_composite(background, rgba).convert("RGB")

    return image if image.mode == target else image.convert(target)


def decode_image(data: bytes, image_size: int | None = None, color: str = "rgb") -> DecodedImage:
    """Decode the bytes of one image file.

    Args:
        data: the whole file content.
        image_size: side of the square output in pixels, or None to keep the
            original size.
        color: "grayscale" (1 channel) or "rgb" (3 channels).

    Raises:
        DecodeError: when Pillow cannot identify or fully decode the content, or when
            the image is a decompression bomb (rejected from its header, before
            any pixel is decoded).
    PNG chunk checksums are verified here, because Pillow skips the CRC of pixel
    (IDAT) chunks while TensorFlow rejects a PNG whose CRC is wrong.
    """
    channels = channels_for(color)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            image = Image.open(io.BytesIO(data))
            source_format, source_mode, source_size = image.format, image.mode, image.size
            if source_format == "PNG":
                _check_png_checksums(data)
            if image_size is not None and image.format == "JPEG":
                # Draft mode lets libjpeg decode at 1/2, 1/4 or 1/8 scale, never
                # below the requested size: far less work on full-size photos.
                image.draft("L" if channels == 1 else "RGB", (image_size, image_size))
            image.load()
            image = _apply_orientation(image)
            image = _to_target_mode(image, color)
            if image_size is not None and image.size != (image_size, image_size):
                image = image.resize((image_size, image_size), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, dtype=np.uint8)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError) as error:
            raise DecodeError(failure_reason(data, error), str(error)) from error
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    messages = sorted({str(warning.message) for warning in caught})
    return DecodedImage(pixels, source_format, source_mode, source_size, messages)


def _check_png_checksums(data: bytes) -> None:
    """Raise `DecodeError` when the CRC of a PNG chunk does not match its content.

    Each chunk is a 4-byte big-endian length, a 4-byte type, the data and a CRC-32
    of type and data. A file cut short is left to Pillow's decoder, which reports it
    as truncated.
    """
    offset = 8  # after the PNG signature
    while offset + 12 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        end = offset + 8 + length
        if end + 4 > len(data):
            return
        chunk_type = data[offset + 4 : offset + 8]
        if zlib.crc32(data[offset + 4 : end]) != int.from_bytes(data[end : end + 4], "big"):
            name = chunk_type.decode("latin-1")
            raise DecodeError("bad checksum", f"PNG chunk {name} at byte {offset} has a wrong CRC")
        if chunk_type == b"IEND":
            return
        offset = end + 4


def _apply_orientation(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError) as error:
        # A corrupt EXIF block must not cost the picture: keep it unrotated.
        warnings.warn(f"EXIF orientation ignored, the EXIF block is corrupt ({error})", stacklevel=2)
        return image
