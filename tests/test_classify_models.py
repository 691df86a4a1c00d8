"""Layer output shapes and parameter counts of the three classifiers."""

import keras
import numpy as np
import pytest

from catdog.classify import models


def output_shapes(model):
    return [tuple(layer.output.shape[1:]) for layer in model.layers[1:]]


def test_perceptron_shapes_and_parameters():
    model = models.build_perceptron(50, 1)

    assert output_shapes(model) == [(2500,), (1024,), (1,)]
    # 50*50 inputs * 1024 + 1024 biases, then 1024 + 1.
    assert model.count_params() == 2500 * 1024 + 1024 + 1024 + 1 == 2_562_049


def test_cnn_shapes_and_parameters():
    model = models.build_cnn(50, 1)

    assert output_shapes(model) == [
        (48, 48, 32), (24, 24, 32),
        (22, 22, 64), (11, 11, 64),
        (9, 9, 128), (4, 4, 128),
        (2048,), (512,), (512,), (1,),
    ]
    conv = (3 * 3 * 1 * 32 + 32) + (3 * 3 * 32 * 64 + 64) + (3 * 3 * 64 * 128 + 128)
    dense = (2048 * 512 + 512) + (512 + 1)
    assert model.count_params() == conv + dense == 1_142_273


def test_cnn_dropout_rate_and_rgb_input():
    model = models.build_cnn(64, 3)

    dropout = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert [layer.rate for layer in dropout] == [0.5]
    assert model.input_shape == (None, 64, 64, 3)


def test_resnet50_shapes_and_frozen_parameters():
    model = models.build_resnet50(50, weights=None)

    base = model.layers[1]
    assert base.output.shape[1:] == (2, 2, 2048)
    # Keras' ResNet50 without top has 23,587,712 weights; the head adds 2*2*2048 + 1.
    assert base.count_params() == 23_587_712
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 2 * 2 * 2048 + 1
    assert model.output_shape == (None, 1)


def test_resnet50_rejects_small_images():
    from catdog.errors import CatdogError

    with pytest.raises(CatdogError, match="at least 32"):
        models.build_resnet50_base(31, weights=None)


def test_prepare_inputs_scaling():
    images = np.array([[[[0], [255]]]], dtype=np.uint8)

    scaled = models.prepare_inputs("cnn", images)
    resnet = models.prepare_inputs("resnet50", images)

    np.testing.assert_allclose(scaled.ravel(), [0.0, 1.0])
    assert resnet.shape == (1, 1, 2, 3)
    # Caffe-style preprocessing: BGR order minus the ImageNet means.
    np.testing.assert_allclose(resnet[0, 0, 0], [-103.939, -116.779, -123.68], atol=1e-3)
