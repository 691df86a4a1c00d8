"""Settings of `catdog cv`: the configuration schema and its defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catdog import config
from catdog.dataset.decode import COLORS
from catdog.errors import CatdogError

# Kept here, not in models.py, so that `catdog --help` does not import Keras.
MODEL_NAMES = ("perceptron", "cnn", "resnet50")
# ResNet50's five stride-2 stages need at least 32x32 input (a Keras requirement).
RESNET50_MIN_SIZE = 32


def model_list(value: Any) -> list[str]:
    """Accept a model name, "all", or a list of them; return the names in canonical order."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("expected at least one model.")
    names: list[str] = []
    for item in items:
        if item == "all":
            names.extend(MODEL_NAMES)
        elif item in MODEL_NAMES:
            names.append(item)
        else:
            raise ValueError(f"expected model names among {', '.join(MODEL_NAMES)} or all, got {item!r}.")
    return [name for name in MODEL_NAMES if name in names]


def weights_value(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected imagenet, none or a file path, got {value!r}.")
    return value


# Defaults follow the reference protocol; the epochs and batch size default to its
# first experiment (30 epochs, batch 32). configs/report.toml runs the whole grid.
CV_SCHEMA: dict[str, config.Setting] = {
    "data": config.Setting("./PetImages", config.string),
    "models": config.Setting(list(MODEL_NAMES), model_list),
    "epochs": config.Setting([30], config.int_list),
    "batch": config.Setting([32], config.int_list),
    "folds": config.Setting(5, config.positive_int),
    "image_size": config.Setting(50, config.positive_int),
    "color": config.Setting("grayscale", config.one_of(*COLORS)),
    "seed": config.Setting(123, config.integer),
    "out": config.Setting("runs", config.string),
    "weights": config.Setting("imagenet", weights_value),
    "validation_split": config.Setting(0.1, config.fraction),
    "learning_rate": config.Setting(1e-3, config.positive_float),
    "lr_factor": config.Setting(0.1, config.fraction),
    "lr_patience": config.Setting(7, config.positive_int),
    "early_stopping_patience": config.Setting(15, config.positive_int),
    "save_models": config.Setting(True, config.boolean),
}


def check_settings(settings: dict, dataset=None) -> None:
    """Reject settings that would fail late, before any training starts."""
    if "resnet50" in settings["models"] and settings["image_size"] < RESNET50_MIN_SIZE:
        raise CatdogError(
            f"--image-size {settings['image_size']} is too small for ResNet50, which needs at least "
            f"{RESNET50_MIN_SIZE} pixels. Pass --image-size {RESNET50_MIN_SIZE} or larger, "
            "or leave resnet50 out of --model."
        )
    weights = settings["weights"]
    if "resnet50" in settings["models"] and weights.lower() not in ("imagenet", "none") and not Path(weights).is_file():
        raise CatdogError(f"ResNet50 weights file not found: {weights}. Pass --weights imagenet, none, or an existing file.")
    if dataset is not None and len(dataset.class_names) != 2:
        raise CatdogError(
            f"Cross-validation trains binary classifiers, but {dataset.root} has {len(dataset.class_names)} class "
            f"folders ({', '.join(dataset.class_names)}). Keep exactly two, such as Cat/ and Dog/."
        )
