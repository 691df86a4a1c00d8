"""The three classifiers of the reference experiments, built fresh on every call.

Each builder returns an uncompiled Keras model that maps a batch of images,
already scaled by `prepare_inputs`, to the probability of the second class
(the later of the two sorted class names: Dog for PetImages).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from catdog.classify.settings import MODEL_NAMES, RESNET50_MIN_SIZE
from catdog.errors import CatdogError

__all__ = ["MODEL_NAMES", "RESNET50_MIN_SIZE"]
# File name Keras gives the ImageNet weights without the classification top.
RESNET50_WEIGHTS_FILE = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"


def build_perceptron(image_size: int = 50, channels: int = 1) -> keras.Model:
    """Flatten, dense 1024 with ReLU, dense 1 with sigmoid."""
    inputs = keras.Input((image_size, image_size, channels), name="image")
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(1024, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="perceptron")


def build_cnn(image_size: int = 50, channels: int = 1) -> keras.Model:
    """Three 3x3 "valid" convolutions (32, 64, 128) each with 2x2 max-pooling, then dense 512, dropout 0.5."""
    inputs = keras.Input((image_size, image_size, channels), name="image")
    x = inputs
    for filters in (32, 64, 128):
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(512, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="cnn")


def resnet50_weights_cache() -> Path:
    """Return where Keras keeps the downloaded ResNet50 weights ($KERAS_HOME/models)."""
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return keras_home / "models" / RESNET50_WEIGHTS_FILE


def build_resnet50_base(image_size: int = 50, weights: str | None = "imagenet") -> keras.Model:
    """Keras ResNet50 without its top, frozen, for 3-channel input of `image_size` pixels.

    Args:
        image_size: input side in pixels, at least 32.
        weights: "imagenet" (downloaded once into the Keras cache), None for random
            initialisation, or the path of a weights file saved from a ResNet50
            without top.

    Raises:
        CatdogError: when the size is too small, the weights file is missing, or
            the ImageNet download fails.
    """
    if image_size < RESNET50_MIN_SIZE:
        raise CatdogError(
            f"--image-size {image_size} is too small for ResNet50, which needs at least {RESNET50_MIN_SIZE} pixels. "
            f"Pass --image-size {RESNET50_MIN_SIZE} or larger."
        )
    if weights not in (None, "imagenet") and not Path(weights).is_file():
        raise CatdogError(f"ResNet50 weights file not found: {weights}. Pass --weights imagenet, none, or an existing file.")
    try:
        base = keras.applications.ResNet50(
            include_top=False, weights=weights, input_shape=(image_size, image_size, 3)
        )
    except Exception as error:  # Keras' get_file raises a bare Exception on a failed download.
        if weights == "imagenet" and not resnet50_weights_cache().exists():
            raise CatdogError(
                f"Could not download the ResNet50 ImageNet weights ({error}). Keras caches them at "
                f"{resnet50_weights_cache()}: copy that file there from a machine with a network, "
                "or pass --weights FILE with a local copy, or --weights none for random initialisation."
            ) from None
        raise
    base.trainable = False
    return base


def build_resnet50_head(feature_shape: tuple[int, ...]) -> keras.Model:
    """Build the trainable part of the ResNet50 classifier: flatten, dense 1 with sigmoid."""
    inputs = keras.Input(feature_shape, name="features")
    x = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="resnet50_head")


def assemble_resnet50(base: keras.Model, head: keras.Model) -> keras.Model:
    """Chain the frozen base and a head into one model that takes preprocessed images."""
    inputs = keras.Input(base.input_shape[1:], name="image")
    outputs = head(base(inputs, training=False))
    return keras.Model(inputs, outputs, name="resnet50")


def build_resnet50(image_size: int = 50, weights: str | None = "imagenet") -> keras.Model:
    """Build the full ResNet50 classifier: frozen ResNet50, flatten, dense 1 with sigmoid."""
    base = build_resnet50_base(image_size, weights)
    return assemble_resnet50(base, build_resnet50_head(base.output_shape[1:]))


def prepare_inputs(model_name: str, images: np.ndarray) -> np.ndarray:
    """Turn uint8 images into the float32 input a model expects.

    The perceptron and the CNN take pixels scaled by 1/255. ResNet50 takes 3-channel
    images (a grayscale channel is repeated) through Keras' ResNet50 preprocessing,
    which flips RGB to BGR and subtracts the ImageNet channel means.
    """
    if model_name in ("perceptron", "cnn"):
        return images.astype(np.float32) / np.float32(255.0)
    if model_name == "resnet50":
        rgb = np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images
        return keras.applications.resnet50.preprocess_input(rgb.astype(np.float32))
    raise ValueError(f"model_name must be one of {MODEL_NAMES}, got {model_name!r}")


def compile_classifier(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Compile with Adam, binary cross-entropy and accuracy, as the reference does."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model
