"""Frozen ResNet50 features, computed once per dataset and reused by every fold.

With every ResNet50 layer frozen (batch normalisation in inference mode), the
base network is a fixed function of the image. Running it once over the whole
dataset and training only the dense head on its output gives the same model as
training the full network end to end, at the cost of one forward pass instead of
one per epoch and fold.
"""

from __future__ import annotations

import logging

import keras
import numpy as np

from catdog.classify.models import build_resnet50_base

log = logging.getLogger(__name__)


def resnet50_weights_argument(weights: str) -> str | None:
    """Map the `--weights` option (imagenet, none or a path) onto Keras' argument."""
    return None if weights.lower() == "none" else weights


def compute_resnet50_features(
    images: np.ndarray, weights: str, batch_size: int = 64, verbose: int = 1, base: keras.Model | None = None
) -> tuple[np.ndarray, keras.Model]:
    """Run the frozen ResNet50 base over preprocessed images.

    Args:
        images: float32 (n, size, size, 3), already through `prepare_inputs`.
        weights: "imagenet", "none" or a weights file path.
        batch_size: images per forward pass. Defaults to 64.
        base: an already built frozen base for these weights; built here when None.

    Returns:
        The features, float32 (n, h, w, 2048), and the base model that made them.
    """
    if base is None:
        base = build_resnet50_base(images.shape[1], resnet50_weights_argument(weights))
    log.info("Computing frozen ResNet50 features for %d images (once for all folds).", len(images))
    features = base.predict(images, batch_size=batch_size, verbose=verbose)
    return features.astype(np.float32), base
