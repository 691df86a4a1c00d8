"""A DCGAN that generates cat and dog images, trained with a cross-entropy or squared-error loss."""
