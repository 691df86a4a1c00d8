"""The GAN losses: binary cross-entropy on logits, or squared error (least-squares GAN).

With one loss function L, the discriminator minimises L(1, D(real)) + L(0, D(G(z)))
and the generator minimises L(1, D(G(z))). Cross-entropy reads the discriminator's
output as a logit; the squared error compares the raw output with the 0/1 targets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GanLosses:
    """The losses of one GAN step, each a scalar tensor averaged over the batch.

    Compute them inside the gradient tapes: d_loss is summed here so that its
    gradient reaches the discriminator.
    """

    d_loss_real: Any
    d_loss_fake: Any
    d_loss: Any  # the discriminator's objective, d_loss_real + d_loss_fake
    g_loss: Any


def make_loss_function(name: str) -> Callable:
    """Return the Keras loss L(targets, outputs) named "bce" or "mse".

    Raises:
        ValueError: for another name.
    """
    import keras

    if name == "bce":
        return keras.losses.BinaryCrossentropy(from_logits=True)
    if name == "mse":
        return keras.losses.MeanSquaredError()
    raise ValueError(f"loss must be one of bce, mse. Received: loss={name!r}")


def gan_losses(loss_function: Callable, real_output, fake_output) -> GanLosses:
    """Compute the three losses from the discriminator's outputs on real and generated images.

    Args:
        loss_function: L(targets, outputs), such as from `make_loss_function`.
        real_output: D(real), shape (batch, 1).
        fake_output: D(G(z)), shape (batch, 1).
    """
    from keras import ops

    d_loss_real = loss_function(ops.ones_like(real_output), real_output)
    d_loss_fake = loss_function(ops.zeros_like(fake_output), fake_output)
    return GanLosses(
        d_loss_real=d_loss_real,
        d_loss_fake=d_loss_fake,
        d_loss=d_loss_real + d_loss_fake,
        g_loss=loss_function(ops.ones_like(fake_output), fake_output),
    )
