"""Duplicate pictures: byte-identical files, and near duplicates by perceptual hash.

The perceptual hash is the DCT hash ("pHash"). It shrinks the picture to 32 x 32
grayscale, takes its 2-D discrete cosine transform and keeps the 8 x 8 lowest
frequencies. Each bit is set when its coefficient is above their median, which
leaves out the DC term. Re-encoded or resized copies of a picture differ
in a few of the 64 bits; unrelated pictures differ in about 32.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from PIL import Image

HASH_SIDE = 32  # pixels; the picture is shrunk to this square before the DCT
LOW_FREQUENCIES = 8  # the hash keeps this many x this many lowest DCT coefficients
HASH_BITS = LOW_FREQUENCIES * LOW_FREQUENCIES
# Default largest Hamming distance (out of 64 bits) reported as a near duplicate.
# NOTE: chosen from tests on re-encoded and resized copies (distance 0 to 4) and
# unrelated pictures (about 32); not tuned on the full dataset.
DEFAULT_MAX_DISTANCE = 6


@dataclass(frozen=True)
class NearDuplicate:
    """Two files whose perceptual hashes differ in `distance` bits."""

    first: str
    second: str
    distance: int


def byte_duplicate_groups(hashes: dict[str, str]) -> list[list[str]]:
    """Group paths by content digest; return the groups of two or more, sorted.

    Args:
        hashes: SHA-256 hex digest of each file, by relative path.
    """
    by_digest: dict[str, list[str]] = defaultdict(list)
    for path, digest in hashes.items():
        by_digest[digest].append(path)
    return sorted(sorted(paths) for paths in by_digest.values() if len(paths) > 1)


def cross_label_groups(groups: list[list[str]], labels: dict[str, str]) -> list[list[str]]:
    """Return the duplicate groups whose files are filed under two or more labels."""
    return [group for group in groups if len({labels[path] for path in group}) > 1]


def _dct_matrix(size: int) -> np.ndarray:
    """Orthonormal DCT-II matrix: row k is the k-th cosine basis vector."""
    k = np.arange(size)[:, np.newaxis]
    n = np.arange(size)[np.newaxis, :]
    matrix = np.cos(np.pi * (2 * n + 1) * k / (2 * size)) * np.sqrt(2.0 / size)
    matrix[0] /= np.sqrt(2.0)
    return matrix


_DCT = _dct_matrix(HASH_SIDE)


def perceptual_hash(pixels: np.ndarray) -> int:
    """Return the 64-bit DCT hash of an image given as a uint8 (height, width, channels) array."""
    image = Image.fromarray(pixels.squeeze(axis=2) if pixels.shape[2] == 1 else pixels)
    small = image.convert("L").resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS)
    values = np.asarray(small, dtype=np.float64)
    coefficients = (_DCT @ values @ _DCT.T)[:LOW_FREQUENCIES, :LOW_FREQUENCIES].ravel()
    median = np.median(coefficients[1:])
    bits = coefficients > median
    return int(sum(1 << index for index, bit in enumerate(bits) if bit))


def hamming_distance(first: int, second: int) -> int:
    return (first ^ second).bit_count()


def near_duplicate_pairs(
    hashes: dict[str, int],
    max_distance: int = DEFAULT_MAX_DISTANCE,
    exclude: set[frozenset[str]] | None = None,
) -> list[NearDuplicate]:
    """Find the pairs of files whose perceptual hashes differ in at most `max_distance` bits.

    Candidates come from the pigeonhole principle instead of comparing every pair:
    split the 64 bits into `max_distance + 1` bands, and two hashes within the
    distance agree exactly on at least one band.

    Args:
        hashes: perceptual hash of each file, by relative path.
        max_distance: largest Hamming distance reported, from 0 to 63.
        exclude: pairs to leave out, such as byte-identical ones already reported.

    Returns:
        The pairs sorted by distance, then by path.
    """
    if not 0 <= max_distance < HASH_BITS:
        raise ValueError(f"max_distance must be between 0 and {HASH_BITS - 1}, got {max_distance}")
    exclude = exclude or set()
    paths = sorted(hashes)
    bands = np.array_split(np.arange(HASH_BITS), max_distance + 1)
    candidates: set[tuple[int, int]] = set()
    for band in bands:
        mask = sum(1 << int(bit) for bit in band)
        buckets: dict[int, list[int]] = defaultdict(list)
        for index, path in enumerate(paths):
            buckets[hashes[path] & mask].append(index)
        for members in buckets.values():
            candidates.update((a, b) for position, a in enumerate(members) for b in members[position + 1 :])

    pairs = []
    for a, b in candidates:
        distance = hamming_distance(hashes[paths[a]], hashes[paths[b]])
        if distance <= max_distance and frozenset((paths[a], paths[b])) not in exclude:
            pairs.append(NearDuplicate(paths[a], paths[b], distance))
    return sorted(pairs, key=lambda pair: (pair.distance, pair.first, pair.second))
