"""The frozen-feature ResNet50 path against the full model, and weights loading from a file."""

import keras
import numpy as np
import pytest

from catdog.classify import models
from catdog.classify.features import compute_resnet50_features
from catdog.errors import CatdogError


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """A ResNet50-without-top weights file made here, since ImageNet cannot be downloaded."""
    keras.utils.set_random_seed(11)
    source = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path_factory.mktemp("weights") / "resnet50_notop.weights.h5"
    source.save_weights(path)
    return path, source.get_weights()


def test_weights_file_is_loaded(weights_file):
    path, expected = weights_file

    base = models.build_resnet50_base(32, weights=str(path))

    for loaded, saved in zip(base.get_weights(), expected):
        np.testing.assert_array_equal(loaded, saved)
    assert not base.trainable


def test_feature_path_matches_full_model(weights_file):
    path, _ = weights_file
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 32, 32, 1), dtype=np.uint8)
    x = models.prepare_inputs("resnet50", images)

    features, base = compute_resnet50_features(x, str(path), batch_size=5, verbose=0)
    keras.utils.set_random_seed(3)
    head = models.build_resnet50_head(features.shape[1:])
    head.layers[-1].set_weights([rng.normal(0, 0.01, (2048, 1)).astype(np.float32), np.zeros(1, np.float32)])
    full = models.assemble_resnet50(base, head)

    from_features = head.predict(features, verbose=0)
    end_to_end = full.predict(x, verbose=0)
    np.testing.assert_allclose(from_features, end_to_end, atol=1e-5)


def test_batch_norm_stays_frozen_in_training(weights_file):
    path, _ = weights_file
    x = models.prepare_inputs("resnet50", np.full((4, 32, 32, 1), 128, np.uint8))
    model = models.compile_classifier(models.build_resnet50(32, weights=str(path)))
    before = model.layers[1].get_weights()

    model.fit(x, np.array([0, 1, 0, 1], np.float32), epochs=1, batch_size=2, verbose=0)

    for old, new in zip(before, model.layers[1].get_weights()):
        np.testing.assert_array_equal(old, new)


def test_missing_weights_file_rejected(tmp_path):
    with pytest.raises(CatdogError, match="weights file not found"):
        models.build_resnet50_base(32, weights=str(tmp_path / "absent.h5"))
