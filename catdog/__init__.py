"""catdog: experiments on the Kaggle Cats and Dogs dataset with Keras 3 and TensorFlow."""

import os

# catdog's GAN training step and the ResNet50 feature path use TensorFlow ops, so
# Keras must run on the TensorFlow backend whatever ~/.keras/keras.json sets.
os.environ["KERAS_BACKEND"] = "tensorflow"
# Hide TensorFlow's C++ start-up chatter (oneDNN and CPU-feature notices) unless the
# user asked for it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
