"""The two-decoder check of one image file: Pillow, then TensorFlow.

A file is bad when either decoder rejects it. Pillow always decodes the full pixel
data (a header check is not enough: a truncated JPEG has a valid header).
TensorFlow is consulted only for the formats its `tf.io.decode_image` supports,
because it rejects any other format for lack of support, not for damage. Measured with
TensorFlow 2.21 on files written by Pillow:

- decoded by both: JPEG (RGB, grayscale, CMYK), PNG (palette with transparency,
  16-bit grayscale, 1-bit, RGBA), GIF (animated: first frame), WebP (lossy and
  lossless), BMP with 8, 24 or 32 bits per pixel;
- rejected by TensorFlow alone: TIFF ("Unknown image file format") and BMP with 1,
  4 or 16 bits per pixel ("Number of channels inherent in the image must be 1, 3
  or 4"). Pillow decodes these, and so does the catdog loader, so they are kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from catdog.dataset.decode import DecodeError, decode_image

log = logging.getLogger(__name__)

# Formats (as Pillow names them) that tf.io.decode_image reads. MPO is a JPEG with
# extra pictures appended, which some cameras write; TensorFlow reads the first one.
TENSORFLOW_FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP"})
# Bits per pixel of the BMP files that TensorFlow's BMP decoder reads (1, 3 or 4 channels).
TENSORFLOW_BMP_BITS = frozenset({8, 24, 32})
# Formats that share one set of file extensions.
_SAME_EXTENSIONS = {"MPO": "JPEG"}
# Reason recorded for a file that Pillow decodes but TensorFlow rejects.
TENSORFLOW_REASON = "rejected by TensorFlow"


@dataclass
class FileCheck:
    """The verdict on one file's content.

    `reason` is None for a good file. For a bad one it is a short label such as
    "truncated image", and `detail` is the decoder's message.
    """

    reason: str | None = None
    detail: str = ""
    source_format: str | None = None
    source_size: tuple[int, int] | None = None  # (width, height) in pixels
    warnings: list[str] = field(default_factory=list)
    pixels: np.ndarray | None = None  # full-size uint8 RGB, kept only when requested

    @property
    def ok(self) -> bool:
        return self.reason is None


def check_image(data: bytes, keep_pixels: bool = False) -> FileCheck:
    """Decode `data` with Pillow and, for the formats it supports, with TensorFlow.

    Pillow runs first: it rejects a decompression bomb from its header alone, so
    such a file never reaches TensorFlow, which would allocate the whole image.

    Args:
        data: the whole file content.
        keep_pixels: keep Pillow's decoded RGB pixels in the result, for the
            perceptual hash. Defaults to False.
    """
    try:
        decoded = decode_image(data, image_size=None, color="rgb")
    except DecodeError as error:
        return FileCheck(reason=error.reason, detail=_useful_detail(error.detail))

    result = FileCheck(
        source_format=decoded.source_format,
        source_size=decoded.source_size,
        warnings=[message.strip() for message in decoded.warnings],
        pixels=decoded.pixels if keep_pixels else None,
    )
    if uses_tensorflow(decoded.source_format, data):
        error_message, messages = tensorflow_decode(data)
        result.warnings.extend(messages)
        if error_message is not None:
            result.reason = TENSORFLOW_REASON
            result.detail = error_message
    return result


def _useful_detail(detail: str) -> str:
    # "cannot identify image file <_io.BytesIO object at 0x...>" adds nothing to the reason.
    return "" if detail.startswith("cannot identify image file") else detail


def uses_tensorflow(source_format: str | None, data: bytes) -> bool:
    """Return True when TensorFlow's decoder supports this format and variant."""
    if source_format not in TENSORFLOW_FORMATS:
        return False
    if source_format == "BMP":
        return bmp_bits_per_pixel(data) in TENSORFLOW_BMP_BITS
    return True


def bmp_bits_per_pixel(data: bytes) -> int | None:
    """Read the bits per pixel from a BMP header (offset 28, little-endian uint16)."""
    if len(data) < 30:
        return None
    return struct.unpack_from("<H", data, 28)[0]


def wrong_extension(filename: str, source_format: str | None) -> bool:
    """Return True when the file's extension does not name its detected format.

    A file without an extension, or with one Pillow does not know, counts as wrong.
    """
    if source_format is None:
        return False
    extension = os.path.splitext(filename)[1].lower()
    named_format = Image.registered_extensions().get(extension)
    detected = _SAME_EXTENSIONS.get(source_format, source_format)
    return named_format != detected


def tensorflow_decode(data: bytes) -> tuple[str | None, list[str]]:
    """Decode `data` with `tf.io.decode_image(..., expand_animations=False)`.

    Returns:
        The first line of TensorFlow's error message (None when it decodes), and
        the messages its native decoders wrote to standard error meanwhile, such as
        libjpeg's "Corrupt JPEG data: 99 extraneous bytes before marker 0xd9".
    """
    tf = _tensorflow()
    with captured_stderr() as messages:
        try:
            tf.io.decode_image(data, expand_animations=False)
            error_message = None
        except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as error:
            error_message = _first_line(getattr(error, "message", str(error)))
    return error_message, [line for line in messages if _is_decoder_message(line)]


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # TensorFlow prefixes the cause with "{{function_node ...}}"; keep the cause.
    cause = lines[0].split("}} ")[-1] if lines else "unknown error"
    return cause.removesuffix(" [Op:DecodeImage]")


def _is_decoder_message(line: str) -> bool:
    # TensorFlow's own log lines (cancelled rendezvous after a failed op, and the
    # like) repeat the exception text; libjpeg's and libpng's warnings do not.
    return bool(line) and "local_rendezvous" not in line and not line.startswith(("W0000", "I0000", "E0000"))


def _tensorflow():
    """Import TensorFlow on first use, logging its start-up messages at debug level."""
    if "tensorflow" not in sys.modules:
        log.debug("Importing TensorFlow for the second decoder.")
        with captured_stderr() as messages:
            import tensorflow  # noqa: F401
        for line in messages:
            log.debug("TensorFlow: %s", line)
    import tensorflow as tf

    return tf


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Collect what native code writes to file descriptor 2 inside the block.

    The yielded list is filled with the non-empty lines when the block ends.
    Python's `sys.stderr` is flushed first so that nothing already written is lost.
    NOTE: file descriptor 2 belongs to the whole process, so output from other
    threads during the block is collected too; call it from one thread at a time.
    """
    sys.stderr.flush()
    lines: list[str] = []
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", errors="replace")
            lines.extend(line.strip() for line in text.splitlines() if line.strip())
