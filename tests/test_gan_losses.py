"""The BCE and MSE GAN losses on known discriminator outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from catdog.gan.losses import gan_losses, make_loss_function


def column(*values):
    return np.array(values, dtype="float32").reshape(-1, 1)


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_bce_reads_outputs_as_logits():
    real, fake = column(2.0, -1.0), column(0.5, -3.0)
    losses = gan_losses(make_loss_function("bce"), real, fake)
    # -log(sigmoid(x)) = softplus(-x); -log(1 - sigmoid(x)) = softplus(x)
    assert float(losses.d_loss_real) == pytest.approx((softplus(-2.0) + softplus(1.0)) / 2, rel=1e-5)
    assert float(losses.d_loss_fake) == pytest.approx((softplus(0.5) + softplus(-3.0)) / 2, rel=1e-5)
    assert float(losses.g_loss) == pytest.approx((softplus(-0.5) + softplus(3.0)) / 2, rel=1e-5)


def test_bce_at_zero_logit_is_log_2():
    zeros = column(0.0, 0.0, 0.0)
    losses = gan_losses(make_loss_function("bce"), zeros, zeros)
    assert float(losses.d_loss_real) == pytest.approx(math.log(2), rel=1e-6)
    assert float(losses.d_loss_fake) == pytest.approx(math.log(2), rel=1e-6)
    assert float(losses.d_loss) == pytest.approx(2 * math.log(2), rel=1e-6)


def test_mse_uses_raw_outputs():
    real, fake = column(2.0, -1.0), column(0.5, -3.0)
    losses = gan_losses(make_loss_function("mse"), real, fake)
    assert float(losses.d_loss_real) == pytest.approx(((2 - 1) ** 2 + (-1 - 1) ** 2) / 2)  # 2.5
    assert float(losses.d_loss_fake) == pytest.approx((0.5**2 + 3.0**2) / 2)  # 4.625
    assert float(losses.g_loss) == pytest.approx(((0.5 - 1) ** 2 + (-3 - 1) ** 2) / 2)  # 8.125
    assert float(losses.d_loss) == pytest.approx(2.5 + 4.625)


def test_perfect_discriminator_losses():
    real, fake = column(1.0, 1.0), column(0.0, 0.0)
    losses = gan_losses(make_loss_function("mse"), real, fake)
    assert float(losses.d_loss) == 0.0
    assert float(losses.g_loss) == 1.0


def test_unknown_loss_rejected():
    with pytest.raises(ValueError, match="bce, mse"):
        make_loss_function("hinge")
