"""Shapes and parameter counts of the DCGAN generator and discriminator."""

from __future__ import annotations

import numpy as np
import pytest

from catdog.gan.networks import build_discriminator, build_generator


def output_shapes(model) -> list[tuple]:
    return [tuple(layer.output.shape[1:]) for layer in model.layers]


def test_generator_layer_shapes_32():
    generator = build_generator(image_size=32, latent_dim=100)
    assert output_shapes(generator) == [
        (16384,),  # dense 8*8*256
        (16384,),  # batch norm
        (16384,),  # ReLU
        (8, 8, 256),  # reshape
        (8, 8, 256),  # dropout 0.4
        (8, 8, 128),  # transposed conv 128, stride 1
        (8, 8, 128),
        (8, 8, 128),
        (8, 8, 128),  # dropout 0.4
        (16, 16, 64),  # transposed conv 64, stride 2
        (16, 16, 64),
        (16, 16, 64),
        (32, 32, 1),  # transposed conv 1, stride 2, tanh
    ]


def test_generator_parameter_count_32():
    generator = build_generator(image_size=32, latent_dim=100)
    # dense without bias: 100 * 8*8*256 = 1,638,400
    # batch norm over 16,384 features: 4 * 16,384 = 65,536 (half of them trainable)
    # transposed conv 5x5, 256 -> 128, no bias: 25 * 256 * 128 = 819,200; batch norm 4 * 128 = 512
    # transposed conv 5x5, 128 -> 64, no bias: 25 * 128 * 64 = 204,800; batch norm 4 * 64 = 256
    # transposed conv 5x5, 64 -> 1, no bias: 25 * 64 = 1,600
    assert generator.count_params() == 1_638_400 + 65_536 + 819_200 + 512 + 204_800 + 256 + 1_600
    assert generator.count_params() == 2_730_304
    # Batch norm's moving mean and variance are not trainable: 2 * (16,384 + 128 + 64) = 33,152.
    trainable = sum(int(np.prod(variable.shape)) for variable in generator.trainable_variables)
    assert trainable == 2_730_304 - 33_152


def test_generator_first_map_is_quarter_of_image():
    generator = build_generator(image_size=16, latent_dim=8)
    assert tuple(generator.layers[3].output.shape[1:]) == (4, 4, 256)
    assert tuple(generator.layers[-1].output.shape[1:]) == (16, 16, 1)
    # 8 * 4*4*256 + 4 * 4,096 + 819,200 + 512 + 204,800 + 256 + 1,600
    assert generator.count_params() == 32_768 + 16_384 + 819_200 + 512 + 204_800 + 256 + 1_600


def test_generator_output_in_tanh_range():
    generator = build_generator(image_size=16, latent_dim=8, seed=1)
    images = np.asarray(generator(np.random.default_rng(0).normal(size=(4, 8)).astype("float32") * 10))
    assert images.shape == (4, 16, 16, 1)
    assert images.min() >= -1.0
    assert images.max() <= 1.0


def test_discriminator_layer_shapes_32():
    discriminator = build_discriminator(image_size=32)
    assert output_shapes(discriminator) == [
        (16, 16, 64),  # conv 64, stride 2
        (16, 16, 64),  # LeakyReLU
        (16, 16, 64),  # dropout 0.3
        (8, 8, 128),  # conv 128, stride 2
        (8, 8, 128),
        (8, 8, 128),
        (8192,),  # flatten 8*8*128
        (1,),  # dense 1, a logit
    ]


def test_discriminator_parameter_count_32():
    discriminator = build_discriminator(image_size=32)
    # conv 5x5, 1 -> 64 with bias: 25 * 64 + 64 = 1,664
    # conv 5x5, 64 -> 128 with bias: 25 * 64 * 128 + 128 = 204,928
    # dense 8,192 -> 1 with bias: 8,193
    assert discriminator.count_params() == 1_664 + 204_928 + 8_193
    assert discriminator.count_params() == 214_785


def test_discriminator_outputs_unbounded_logit():
    discriminator = build_discriminator(image_size=16)
    assert discriminator.layers[-1].activation.__name__ == "linear"
    logits = np.asarray(discriminator(np.full((2, 16, 16, 1), 1.0, dtype="float32")))
    assert logits.shape == (2, 1)


@pytest.mark.parametrize("name", ["generator", "discriminator"])
def test_dropout_rates(name):
    model = build_generator() if name == "generator" else build_discriminator()
    rates = [layer.rate for layer in model.layers if layer.__class__.__name__ == "Dropout"]
    assert rates == ([0.4, 0.4] if name == "generator" else [0.3, 0.3])
