"""Published results that catdog's cross-validation is compared with.

Mean validation accuracy over 5 folds, 50x50 grayscale images, keyed by
(epochs, batch size). These scores come from a protocol that reused one model
across folds and let the callbacks watch the held-out fold, so they are
optimistic; catdog's README explains the gap.
"""

REFERENCE_ACCURACY: dict[str, dict[tuple[int, int], float]] = {
    "perceptron": {(30, 32): 0.7024, (30, 64): 0.7280, (60, 32): 0.7643, (60, 64): 0.7907},
    "cnn": {(30, 32): 0.9396, (30, 64): 0.9397, (60, 32): 0.9324, (60, 64): 0.9465},
    "resnet50": {(30, 32): 0.6835, (30, 64): 0.6775, (60, 32): 0.6852, (60, 64): 0.6832},
}

DISPLAY_NAMES = {"perceptron": "Perceptron", "cnn": "CNN", "resnet50": "ResNet50"}
