"""Stratified, duplicate-aware folds and the inner validation split."""

import numpy as np
import pytest

from catdog.classify.folds import inner_split, make_folds
from catdog.errors import CatdogError


def toy_labels_and_groups(n=400, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(np.int64)  # unbalanced: 30% positives
    groups = np.arange(n)
    groups[10:14] = 10  # four copies of one picture
    groups[50], labels[50], labels[51] = 51, 0, 1  # one picture under both labels
    return labels, groups


def test_every_image_held_out_once():
    labels, groups = toy_labels_and_groups()

    folds = make_folds(labels, groups, n_splits=5, seed=123)

    heldout = np.concatenate([h for _, h in folds])
    assert sorted(heldout.tolist()) == list(range(len(labels)))
    for train, held in folds:
        assert np.intersect1d(train, held).size == 0
        assert len(train) + len(held) == len(labels)


def test_folds_are_stratified():
    labels, groups = toy_labels_and_groups()

    folds = make_folds(labels, groups, n_splits=5, seed=123)

    overall = labels.mean()
    for _, held in folds:
        assert abs(labels[held].mean() - overall) < 0.03


def test_duplicates_share_a_fold():
    labels, groups = toy_labels_and_groups()

    folds = make_folds(labels, groups, n_splits=5, seed=123)

    for _, held in folds:
        for group in (10, 51):
            members = set(np.flatnonzero(groups == group).tolist())
            inside = members & set(held.tolist())
            assert inside in (set(), members)


def test_folds_depend_on_seed_only():
    labels, groups = toy_labels_and_groups()

    first = make_folds(labels, groups, 5, seed=7)
    again = make_folds(labels, groups, 5, seed=7)
    other = make_folds(labels, groups, 5, seed=8)

    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(first, other))


def test_inner_split_is_a_tenth_of_training():
    labels, groups = toy_labels_and_groups(n=1000)
    train, held = make_folds(labels, groups, 5, seed=1)[0]

    fit, validation = inner_split(train, labels, groups, validation_split=0.1, seed=2)

    assert np.intersect1d(fit, validation).size == 0
    assert sorted(np.concatenate([fit, validation]).tolist()) == sorted(train.tolist())
    assert np.intersect1d(validation, held).size == 0
    assert abs(len(validation) - len(train) / 10) <= 2
    assert abs(labels[validation].mean() - labels[train].mean()) < 0.03


def test_too_many_folds_rejected():
    labels = np.array([0, 0, 0, 1, 1])

    with pytest.raises(CatdogError, match="at least 3 distinct images in every class"):
        make_folds(labels, np.arange(5), n_splits=3, seed=0)


def test_one_fold_rejected():
    with pytest.raises(CatdogError, match="at least 2"):
        make_folds(np.array([0, 1]), np.arange(2), n_splits=1)
