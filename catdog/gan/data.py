"""Real images for the GAN: uint8 pixels to a tf.data pipeline of [-1, 1] batches."""

from __future__ import annotations

import math

import numpy as np


def scale_images(images):
    """Map uint8 pixels 0..255 linearly onto [-1, 1], the range of the generator's tanh.

    Scaling real images to [0, 1] instead would let the discriminator tell real from
    generated images by their range alone.
    """
    import tensorflow as tf

    return tf.cast(images, tf.float32) / 127.5 - 1.0


def steps_per_epoch(count: int, batch_size: int) -> int:
    """Return the number of batches in one epoch; the last one may be smaller."""
    return math.ceil(count / batch_size)


def epoch_order(count: int, seed: int, epoch: int):
    """Return the shuffled image indices of one epoch, a function of (seed, epoch) only.

    Stateless shuffling makes a resumed run see the same order in epoch 3 as an
    uninterrupted run does, whichever epoch the input pipeline was started at.
    """
    import tensorflow as tf

    keys = tf.random.stateless_uniform([count], seed=tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)]))
    return tf.argsort(keys)


def training_batches(images: np.ndarray, batch_size: int, seed: int, first_epoch: int, last_epoch: int):
    """Build the batches of epochs `first_epoch`..`last_epoch` (1-based) as one dataset.

    `fit` is called with `steps_per_epoch`, so it reads this dataset straight through
    from `first_epoch` on. Each epoch has its own shuffled order, and every image
    appears once per epoch.

    Args:
        images: uint8 array (n, size, size, channels).
        batch_size: images per batch.
        seed: the run's seed.
        first_epoch: the first epoch to train, 1 for a new run.
        last_epoch: the last epoch to train.
    """
    import tensorflow as tf

    pixels = tf.constant(images)
    count = len(images)

    def one_epoch(epoch):
        order = tf.data.Dataset.from_tensor_slices(epoch_order(count, seed, epoch))
        return order.batch(batch_size).map(lambda indices: scale_images(tf.gather(pixels, indices)))

    epochs = tf.data.Dataset.range(first_epoch, last_epoch + 1)
    return epochs.flat_map(one_epoch).prefetch(tf.data.AUTOTUNE)
