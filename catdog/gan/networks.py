"""The DCGAN generator and discriminator."""

from __future__ import annotations

# Dropout rates of the reference networks.
GENERATOR_DROPOUT = 0.4
DISCRIMINATOR_DROPOUT = 0.3
# Filters of the generator's first feature map, then of its transposed convolutions.
GENERATOR_FILTERS = (256, 128, 64)
DISCRIMINATOR_FILTERS = (64, 128)
KERNEL_SIZE = 5


def build_generator(image_size: int = 32, latent_dim: int = 100, channels: int = 1, seed: int | None = None):
    """Build the generator: a noise vector of length `latent_dim` to an image in [-1, 1].

    Dense to a (image_size/4, image_size/4, 256) map, then transposed convolutions
    of 128 (stride 1), 64 (stride 2) and `channels` (stride 2) filters, with batch
    norm and ReLU between them and a tanh at the end. No layer has a bias because
    each is followed by batch norm, except the last, which the reference also
    leaves without one.

    Args:
        image_size: side of the output images in pixels, a multiple of 4. Defaults to 32.
        latent_dim: length of the noise vector. Defaults to 100.
        channels: 1 for grayscale, 3 for RGB. Defaults to 1.
        seed: seed of the dropout layers; None draws one from Keras' global seed.
    """
    import keras
    from keras import layers

    side = image_size // 4
    first, second, third = GENERATOR_FILTERS
    dropout_seeds = (None, None) if seed is None else (seed + 1, seed + 2)
    return keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            layers.Dense(side * side * first, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Reshape((side, side, first)),
            layers.Dropout(GENERATOR_DROPOUT, seed=dropout_seeds[0]),
            layers.Conv2DTranspose(second, KERNEL_SIZE, strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(GENERATOR_DROPOUT, seed=dropout_seeds[1]),
            layers.Conv2DTranspose(third, KERNEL_SIZE, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(channels, KERNEL_SIZE, strides=2, padding="same", use_bias=False, activation="tanh"),
        ],
        name="generator",
    )


def build_discriminator(image_size: int = 32, channels: int = 1, seed: int | None = None):
    """Build the discriminator: an image to one logit, positive for real, negative for fake.

    Two stride-2 convolutions of 64 and 128 filters, each followed by LeakyReLU and
    dropout 0.3, then a dense layer of one unit without activation.

    Args:
        image_size: side of the input images in pixels. Defaults to 32.
        channels: 1 for grayscale, 3 for RGB. Defaults to 1.
        seed: seed of the dropout layers; None draws one from Keras' global seed.
    """
    import keras
    from keras import layers

    first, second = DISCRIMINATOR_FILTERS
    dropout_seeds = (None, None) if seed is None else (seed + 3, seed + 4)
    return keras.Sequential(
        [
            keras.Input(shape=(image_size, image_size, channels)),
            layers.Conv2D(first, KERNEL_SIZE, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(DISCRIMINATOR_DROPOUT, seed=dropout_seeds[0]),
            layers.Conv2D(second, KERNEL_SIZE, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(DISCRIMINATOR_DROPOUT, seed=dropout_seeds[1]),
            layers.Flatten(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
