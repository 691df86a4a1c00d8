"""Byte-identical groups, and the perceptual hash with its pair search."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image
from test_preprocess_fixtures import structured_pixels

from catdog.preprocess.duplicates import (
    byte_duplicate_groups,
    cross_label_groups,
    hamming_distance,
    near_duplicate_pairs,
    perceptual_hash,
)


def reencode(pixels: np.ndarray, side: int, quality: int) -> np.ndarray:
    image = Image.fromarray(pixels).resize((side, side), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_byte_groups_need_two_files():
    hashes = {"Cat/1.jpg": "a", "Cat/2.jpg": "a", "Dog/3.jpg": "b", "Dog/4.jpg": "a", "Dog/5.jpg": "c", "Dog/6.jpg": "c"}
    assert byte_duplicate_groups(hashes) == [["Cat/1.jpg", "Cat/2.jpg", "Dog/4.jpg"], ["Dog/5.jpg", "Dog/6.jpg"]]


def test_cross_label_groups_keep_mixed_labels():
    groups = [["Cat/1.jpg", "Dog/4.jpg"], ["Dog/5.jpg", "Dog/6.jpg"]]
    labels = {"Cat/1.jpg": "Cat", "Dog/4.jpg": "Dog", "Dog/5.jpg": "Dog", "Dog/6.jpg": "Dog"}
    assert cross_label_groups(groups, labels) == [["Cat/1.jpg", "Dog/4.jpg"]]


def test_hash_of_same_pixels_is_equal():
    pixels = structured_pixels(1)
    assert perceptual_hash(pixels) == perceptual_hash(pixels.copy())


@pytest.mark.parametrize("side, quality", [(96, 50), (67, 85), (150, 70), (40, 90)])
def test_resized_reencoded_copy_is_near(side, quality):
    pixels = structured_pixels(2)
    distance = hamming_distance(perceptual_hash(pixels), perceptual_hash(reencode(pixels, side, quality)))
    assert distance <= 6


def test_unrelated_pictures_are_far():
    hashes = [perceptual_hash(structured_pixels(seed)) for seed in range(20)]
    distances = [hamming_distance(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert min(distances) > 6
    assert 20 < np.mean(distances) < 44


def test_grayscale_input_matches_rgb():
    pixels = structured_pixels(3)
    gray = np.asarray(Image.fromarray(pixels).convert("L"))[:, :, np.newaxis]
    assert hamming_distance(perceptual_hash(pixels), perceptual_hash(gray)) <= 2


@pytest.mark.parametrize("max_distance", [0, 3, 6, 10])
def test_pair_search_matches_brute_force(max_distance):
    rng = np.random.default_rng(max_distance)
    base = [int(value) for value in rng.integers(0, 2**63, 40, dtype=np.int64)]
    hashes = {}
    for index, value in enumerate(base):
        hashes[f"a{index}"] = value
        flips = rng.choice(64, size=rng.integers(0, 12), replace=False)
        hashes[f"b{index}"] = value ^ sum(1 << int(bit) for bit in flips)

    found = {(pair.first, pair.second, pair.distance) for pair in near_duplicate_pairs(hashes, max_distance)}
    expected = {
        (first, second, hamming_distance(hashes[first], hashes[second]))
        for first, second in itertools.combinations(sorted(hashes), 2)
        if hamming_distance(hashes[first], hashes[second]) <= max_distance
    }
    assert found == expected


def test_pair_search_leaves_out_excluded():
    hashes = {"x": 0b1011, "y": 0b1011, "z": 0b1001}
    pairs = near_duplicate_pairs(hashes, 2, exclude={frozenset(("x", "y"))})
    assert [(pair.first, pair.second, pair.distance) for pair in pairs] == [("x", "z", 1), ("y", "z", 1)]


def test_pair_search_rejects_bad_distance():
    with pytest.raises(ValueError, match="max_distance"):
        near_duplicate_pairs({"x": 1}, 64)
