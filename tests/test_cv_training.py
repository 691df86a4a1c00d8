"""One fold's training: fresh weights, and held-out images kept away from training and callbacks."""

import keras
import numpy as np
import pytest

from catdog.classify import models
from catdog.classify.cv import split_folds
from catdog.classify.training import TrainingSettings, train_fold
from catdog.dataset import load_dataset


class LogSpy(keras.callbacks.Callback):
    """Record what callbacks receive, and the model's weights when training starts."""

    def __init__(self, x_validation, y_validation):
        super().__init__()
        self.x_validation, self.y_validation = x_validation, y_validation
        self.logs, self.inner_scores, self.initial_weights = [], [], None

    def on_train_begin(self, logs=None):
        self.initial_weights = [w.copy() for w in self.model.get_weights()]

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))
        self.inner_scores.append(self.model.evaluate(self.x_validation, self.y_validation, verbose=0)[1])


@pytest.fixture
def tagged_data(synthetic_dataset):
    """Images whose first pixel encodes their index, so any copy can be traced back."""
    dataset = load_dataset(synthetic_dataset, image_size=16, color="grayscale", progress=False)
    x = models.prepare_inputs("perceptron", dataset.images)
    x[:, 0, 0, 0] = np.arange(len(x)) / 1000.0
    return dataset, x, dataset.labels.astype(np.float32)


def image_ids(array):
    return set(np.rint(np.asarray(array)[:, 0, 0, 0] * 1000).astype(int).tolist())


def test_heldout_never_reaches_training_or_callbacks(tagged_data, monkeypatch):
    dataset, x, y = tagged_data
    split = split_folds(dataset, n_splits=3, validation_split=0.2, seed=5)[0]
    seen = {}
    original_fit = keras.Model.fit

    def recording_fit(self, x=None, y=None, validation_data=None, **kwargs):
        seen["train"], seen["validation"] = x, validation_data[0]
        return original_fit(self, x, y, validation_data=validation_data, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", recording_fit)
    spy = LogSpy(x[split.validation], y[split.validation])
    settings = TrainingSettings(epochs=3, batch_size=8, verbose=0)
    result, _ = train_fold(lambda: models.build_perceptron(16, 1), x, y, split, settings, seed=1, extra_callbacks=[spy])

    heldout = set(split.heldout.tolist())
    assert image_ids(seen["train"]).isdisjoint(heldout)
    assert image_ids(seen["validation"]).isdisjoint(heldout)
    assert image_ids(seen["train"]) == set(split.fit.tolist())
    assert image_ids(seen["validation"]) == set(split.validation.tolist())
    # Callbacks get the inner split's scores and nothing computed on the held-out fold.
    for logs, inner in zip(spy.logs, spy.inner_scores):
        assert not any("heldout" in key for key in logs)
        assert logs["val_accuracy"] == pytest.approx(inner, abs=1e-6)
    assert len(result.history["heldout_accuracy"]) == result.epochs_run


def test_split_folds_keeps_three_parts_disjoint(tagged_data):
    dataset, _, _ = tagged_data

    for split in split_folds(dataset, n_splits=4, validation_split=0.1, seed=3):
        parts = [set(split.fit.tolist()), set(split.validation.tolist()), set(split.heldout.tolist())]
        assert parts[0].isdisjoint(parts[1])
        assert parts[0].isdisjoint(parts[2])
        assert parts[1].isdisjoint(parts[2])
        assert len(parts[0] | parts[1] | parts[2]) == len(dataset)


def test_each_fold_starts_from_fresh_weights(tagged_data):
    dataset, x, y = tagged_data
    splits = split_folds(dataset, n_splits=2, validation_split=0.2, seed=5)
    settings = TrainingSettings(epochs=2, batch_size=8, verbose=0)
    spies, trained = [], []
    for split in splits:
        spy = LogSpy(x[split.validation], y[split.validation])
        _, model = train_fold(lambda: models.build_perceptron(16, 1), x, y, split, settings, seed=9, extra_callbacks=[spy])
        spies.append(spy)
        trained.append([w.copy() for w in model.get_weights()])

    keras.utils.set_random_seed(9 + splits[1].number)
    expected = models.build_perceptron(16, 1).get_weights()
    for initial, fresh in zip(spies[1].initial_weights, expected):
        np.testing.assert_array_equal(initial, fresh)
    assert not np.array_equal(spies[1].initial_weights[0], trained[0][0])
    assert not np.array_equal(spies[0].initial_weights[0], spies[1].initial_weights[0])


def test_best_epoch_weights_are_scored(tagged_data, tmp_path):
    dataset, x, y = tagged_data
    split = split_folds(dataset, n_splits=3, validation_split=0.2, seed=5)[1]
    settings = TrainingSettings(epochs=4, batch_size=8, verbose=0)

    result, model = train_fold(
        lambda: models.build_perceptron(16, 1),
        x, y, split, settings, seed=2, checkpoint_path=tmp_path / "best.keras",
    )

    saved = keras.models.load_model(tmp_path / "best.keras")
    for left, right in zip(saved.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(left, right)
    loss, accuracy = saved.evaluate(x[split.heldout], y[split.heldout], verbose=0)
    assert result.heldout_accuracy == pytest.approx(accuracy, abs=1e-6)
    assert result.zero_one_loss == pytest.approx(1 - accuracy, abs=1e-6)
    best = int(np.argmax(result.history["val_accuracy"])) + 1
    assert result.best_epoch == best
