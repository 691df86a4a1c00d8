"""The DCGAN as a Keras model: one generator step and one discriminator step per batch."""

from __future__ import annotations

import keras
from keras import ops

from catdog.gan.losses import gan_losses, make_loss_function

METRIC_NAMES = ("d_loss_real", "d_loss_fake", "g_loss")


class DCGAN(keras.Model):
    """A generator and a discriminator trained against each other by `fit`.

    Each batch of real images gets as many noise vectors as it has images, so the
    smaller last batch of an epoch is matched by a smaller batch of fakes. The noise
    comes from a `keras.random.SeedGenerator` whose state is a variable of this model,
    so saving and restoring it resumes the noise sequence exactly. The dropout layers'
    seed generators are variables of the networks, and a checkpoint saves them too.

    Args:
        generator: maps noise of shape (batch, latent_dim) to images.
        discriminator: maps images to one logit each.
        latent_dim: length of the noise vector.
        seed: seed of the noise sequence.
    """

    def __init__(self, generator, discriminator, latent_dim: int, seed: int, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}

    def compile(self, g_optimizer, d_optimizer, loss: str):
        """Set both optimizers and the loss ("bce" or "mse")."""
        super().compile()
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.loss_name = loss
        self.loss_function = make_loss_function(loss)

    def build_optimizers(self) -> None:
        """Create the optimizers' slot variables now, so a checkpoint can be restored into them."""
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        # Listing the trackers here makes `fit` reset them at the start of every epoch.
        return list(self.trackers.values())

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def train_step(self, real_images):
        import tensorflow as tf

        batch_size = ops.shape(real_images)[0]
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)

        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = self.generator(noise, training=True)
            real_output = self.discriminator(real_images, training=True)
            fake_output = self.discriminator(fake_images, training=True)
            losses = gan_losses(self.loss_function, real_output, fake_output)

        g_gradients = g_tape.gradient(losses.g_loss, self.generator.trainable_variables)
        d_gradients = d_tape.gradient(losses.d_loss, self.discriminator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(g_gradients, self.generator.trainable_variables))
        self.d_optimizer.apply_gradients(zip(d_gradients, self.discriminator.trainable_variables))

        # Weighting by the batch size makes the epoch mean a mean over images, so the
        # smaller last batch counts for the images it contains.
        weight = ops.cast(batch_size, "float32")
        for name in METRIC_NAMES:
            self.trackers[name].update_state(getattr(losses, name), sample_weight=weight)
        # NOTE: the step returns the running means as tensors and copies nothing to the
        # host. Keras 3.15's CallbackList still converts these three scalars to floats
        # after every batch, in its callback thread, for the progress bar.
        return {name: tracker.result() for name, tracker in self.trackers.items()}
