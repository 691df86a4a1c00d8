"""GAN training on tiny real files: data pipeline, one epoch, exact resume, generated images."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import write_synthetic_images
from PIL import Image

from catdog.gan import checkpoint as checkpoints
from catdog.gan.config import GanConfig
from catdog.gan.data import scale_images, training_batches
from catdog.gan.generate import generate_images, load_generator
from catdog.gan.train import build_gan, train_gan

# 130 images in batches of 64 make batches of 64, 64 and 2.
PER_CLASS = 65
IMAGE_SIZE = 8


@pytest.fixture(scope="module")
def gan_data(tmp_path_factory) -> Path:
    """130 generated JPEGs (65 per class), written once for the module."""
    return write_synthetic_images(tmp_path_factory.mktemp("gan") / "PetImages", per_class=PER_CLASS, size=32)


def tiny_config(data: Path, out: Path, epochs: int, **overrides) -> GanConfig:
    settings = dict(
        data=str(data), out=str(out), epochs=epochs, image_size=IMAGE_SIZE, batch=64,
        sample_every=100, checkpoint_every=100, seed=7,
    )
    settings.update(overrides)
    return GanConfig(**settings)


def read_losses(run_dir: Path) -> list[dict]:
    with open(run_dir / "losses.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_scale_images_maps_uint8_onto_unit_range():
    scaled = np.asarray(scale_images(np.array([0, 255, 51], dtype=np.uint8)))
    np.testing.assert_allclose(scaled, [-1.0, 1.0, 51 / 127.5 - 1], atol=1e-6)


def test_batches_cover_each_epoch_once():
    # Image i is filled with the value i, so a batch reveals which images it contains.
    count = 130
    images = np.broadcast_to(np.arange(count, dtype=np.uint8)[:, None, None, None], (count, 4, 4, 1)).copy()
    batches = [np.asarray(batch) for batch in training_batches(images, 64, seed=3, first_epoch=1, last_epoch=2)]
    assert [len(batch) for batch in batches] == [64, 64, 2, 64, 64, 2]

    ids = [np.rint((batch[:, 0, 0, 0] + 1) * 127.5).astype(int) for batch in batches]
    epoch_1, epoch_2 = np.concatenate(ids[:3]), np.concatenate(ids[3:])
    assert sorted(epoch_1) == list(range(count))
    assert sorted(epoch_2) == list(range(count))
    assert not np.array_equal(epoch_1, epoch_2)


def test_epoch_order_independent_of_start():
    images = np.arange(130, dtype=np.uint8).reshape(130, 1, 1, 1)
    from_start = [np.asarray(batch) for batch in training_batches(images, 64, seed=3, first_epoch=1, last_epoch=2)][3:]
    resumed = [np.asarray(batch) for batch in training_batches(images, 64, seed=3, first_epoch=2, last_epoch=2)]
    for expected, actual in zip(from_start, resumed):
        np.testing.assert_array_equal(expected, actual)


def test_step_draws_one_noise_vector_per_image(tmp_path):
    import keras

    gan = build_gan(tiny_config(tmp_path, tmp_path, epochs=1))
    seen_batch_sizes = []

    class RecordingGenerator(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def call(self, noise, training=False):
            seen_batch_sizes.append(int(noise.shape[0]))
            return self.inner(noise, training=training)

    gan.generator = RecordingGenerator(gan.generator)
    # The last batch of 130 images in batches of 64 contains 2 images.
    real = np.zeros((2, IMAGE_SIZE, IMAGE_SIZE, 1), dtype="float32")
    logs = gan.train_step(real)
    assert seen_batch_sizes == [2]
    assert set(logs) == {"d_loss_real", "d_loss_fake", "g_loss"}


def test_one_epoch_over_130_images(gan_data, tmp_path):
    run_dir = train_gan(tiny_config(gan_data, tmp_path, epochs=1))

    rows = read_losses(run_dir)
    assert [row["epoch"] for row in rows] == ["1"]
    for name in ("d_loss_real", "d_loss_fake", "d_loss", "g_loss"):
        assert math.isfinite(float(rows[0][name]))
    assert float(rows[0]["d_loss"]) == pytest.approx(float(rows[0]["d_loss_real"]) + float(rows[0]["d_loss_fake"]))

    saved = checkpoints.read(run_dir / checkpoints.CHECKPOINT_FILE)
    assert saved.epoch == 1
    # Both optimizers took one step per batch: ceil(130 / 64) = 3.
    assert int(saved.variables["g_optimizer"][0]) == 3
    assert int(saved.variables["d_optimizer"][0]) == 3


def test_four_epochs_equal_two_plus_resumed_two(gan_data, tmp_path):
    straight = train_gan(tiny_config(gan_data, tmp_path / "straight", epochs=4))
    first_half = train_gan(tiny_config(gan_data, tmp_path / "split", epochs=2))
    resumed = train_gan(tiny_config(gan_data, tmp_path / "split", epochs=4), resume=first_half)
    assert resumed == first_half

    expected = checkpoints.read(straight / checkpoints.CHECKPOINT_FILE)
    actual = checkpoints.read(resumed / checkpoints.CHECKPOINT_FILE)
    assert actual.epoch == 4
    assert [row["epoch"] for row in actual.history] == [1, 2, 3, 4]
    np.testing.assert_array_equal(actual.fixed_noise, expected.fixed_noise)
    for group, values in expected.variables.items():
        assert len(actual.variables[group]) == len(values), group
        for index, (want, got) in enumerate(zip(values, actual.variables[group])):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"{group} variable {index}")
    for want, got in zip(expected.history, actual.history):
        for name in ("d_loss_real", "d_loss_fake", "g_loss"):
            assert got[name] == pytest.approx(want[name], rel=1e-5)
    assert [row["epoch"] for row in read_losses(resumed)] == ["1", "2", "3", "4"]


def test_generated_pixels_map_tanh_range(gan_data, tmp_path):
    run_dir = train_gan(tiny_config(gan_data, tmp_path, epochs=1))
    paths = generate_images(run_dir, count=5, out=tmp_path / "generated", seed=11)
    assert [path.name for path in paths] == [f"generated_000{index}.png" for index in range(1, 6)]

    generator = load_generator(run_dir)
    noise = np.random.default_rng(11).standard_normal((5, generator.input_shape[-1])).astype(np.float32)
    outputs = np.asarray(generator(noise, training=False))[..., 0]
    # -1 maps to 0 and +1 to 255: round((x + 1) * 127.5).
    expected = np.clip(np.rint((outputs + 1.0) * 127.5), 0, 255).astype(np.uint8)
    for path, want in zip(paths, expected):
        with Image.open(path) as image:
            assert image.mode == "L"
            np.testing.assert_array_equal(np.asarray(image), want)


def test_generate_never_overwrites(gan_data, tmp_path):
    from catdog.errors import CatdogError

    run_dir = train_gan(tiny_config(gan_data, tmp_path, epochs=1))
    out = tmp_path / "generated"
    out.mkdir()
    (out / "generated_0002.png").write_bytes(b"keep me")
    with pytest.raises(CatdogError, match="already exists"):
        generate_images(run_dir, count=3, out=out)
    assert (out / "generated_0002.png").read_bytes() == b"keep me"
