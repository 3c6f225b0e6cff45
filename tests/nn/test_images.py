"""Image augmentation: shifts move whole pixels, rotations agree with Pillow's bilinear rotation
and numpy's rot90, noise has its standard deviation, and augment is seeded, keeps labels and
the samples' form, and refuses what it cannot augment, naming it."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
from PIL import Image

import nn
from nn.images import add_noise, augment, rotate, shift

RNG = np.random.default_rng(0)
PICTURE = RNG.random((8, 8))


def test_a_shift_moves_every_pixel_and_fills_what_it_uncovers() -> None:
    moved = np.array(shift(PICTURE.tolist(), 2, -1, fill=-5.0))
    assert np.array_equal(moved[2:, :-1], PICTURE[:-2, 1:])
    assert (moved[:2, :] == -5.0).all() and (moved[:, -1] == -5.0).all()
    assert np.array_equal(shift(PICTURE.tolist(), 0, 0), PICTURE)
    assert (np.array(shift(PICTURE.tolist(), 8, 0)) == 0).all(), "moved off the page"


@pytest.mark.parametrize("turns", [1, 2, 3, -1])
def test_quarter_turns_are_numpys_rot90_exactly(turns: int) -> None:
    assert np.array_equal(np.array(rotate(PICTURE.tolist(), 90 * turns)),
                          np.rot90(PICTURE, turns))


@pytest.mark.parametrize("degrees", [3.0, -10.0, 17.5, 30.0, -45.0])
def test_a_rotation_is_pillows_bilinear_rotation_inside_the_image(degrees: float) -> None:
    ours = np.array(rotate(PICTURE.tolist(), degrees))
    picture = Image.fromarray(PICTURE.astype(np.float32), mode="F")
    pillow = np.array(picture.rotate(degrees, resample=Image.Resampling.BILINEAR))
    # Pillow computes in float32 and treats the border its own way: compare the inside.
    assert np.abs(ours - pillow)[2:-2, 2:-2].max() < 1e-6
    assert not np.allclose(ours, PICTURE)


def test_a_rotation_about_the_centre_keeps_the_centre_pixel_and_reads_fill_outside() -> None:
    dot = np.zeros((5, 5))
    dot[2, 2] = 1.0
    assert rotate(dot.tolist(), 37.0)[2][2] == pytest.approx(1.0)
    corners = np.array(rotate(np.ones((5, 5)).tolist(), 45.0, fill=0.0))
    assert corners[0, 0] < 0.5 < corners[2, 2] == pytest.approx(1.0)


def test_noise_has_its_standard_deviation_and_its_seed() -> None:
    flat = np.zeros((100, 100)).tolist()
    noisy = np.array(add_noise(flat, 0.5, seed=1))
    assert statistics.pstdev(noisy.ravel()) == pytest.approx(0.5, rel=0.03)
    assert abs(noisy.mean()) < 0.02
    assert np.array_equal(noisy, add_noise(flat, 0.5, seed=1))
    assert not np.array_equal(noisy, add_noise(flat, 0.5, seed=2))
    assert np.array_equal(add_noise(flat, 0.0, seed=1), flat)


def test_augment_keeps_the_samples_then_adds_seeded_copies_with_their_labels() -> None:
    X, y = nn.data.digits()
    X, y = X[:30], y[:30]
    big_X, big_y = augment(X, y, shape=(8, 8), copies=3, max_shift=1, max_degrees=15,
                           noise=0.5, seed=4)
    assert len(big_X) == len(big_y) == 120
    assert big_X[:30] == X and big_y == y * 4
    assert all(len(row) == 64 for row in big_X), "flat rows stay flat"
    again, _ = augment(X, y, shape=(8, 8), copies=3, max_shift=1, max_degrees=15, noise=0.5,
                       seed=4)
    assert again == big_X, "the same seed gives the same copies"
    other, _ = augment(X, y, copies=3, max_shift=1, max_degrees=15, noise=0.5, seed=5)
    assert other[30:] != big_X[30:]
    copies = np.array(big_X[30:]).reshape(3, 30, 64)
    assert all(not np.allclose(copy, X) for copy in copies), "every copy is changed"
    # Ink is moved, not made: a copy's total ink is close to its image's (noise has mean 0).
    assert np.abs(copies.sum(axis=2) - np.array(X).sum(axis=1)).mean() < 0.15 * np.sum(X) / 30


def test_augment_with_nothing_to_change_copies_exactly_and_clips() -> None:
    X, y = [[0.0, 1.0, 2.0, 3.0]], [7]
    assert augment(X, y, copies=2, max_shift=0, max_degrees=0) == (X * 3, [7, 7, 7])
    noisy, _ = augment(X, y, copies=50, max_shift=0, max_degrees=0, noise=2.0, clip=(0, 3))
    assert min(map(min, noisy)) == 0.0 and max(map(max, noisy)) == 3.0


def test_augment_gives_images_back_as_images() -> None:
    images = [PICTURE.tolist(), (-PICTURE).tolist()]
    out, labels = augment(images, ["a", "b"], copies=1, seed=0)
    assert labels == ["a", "b", "a", "b"]
    assert np.array(out).shape == (4, 8, 8)
    flat, _ = augment(np.array([PICTURE.ravel()]), [0], copies=1, seed=0)
    assert all(type(row) is list and type(row[0]) is float for row in flat)


def test_a_shift_of_one_pixel_is_what_augment_makes_without_a_turn() -> None:
    X, y = [PICTURE.ravel().tolist()], [0]
    out, _ = augment(X, y, copies=20, max_shift=1, max_degrees=0, seed=0)
    allowed = [np.ravel(shift(PICTURE.tolist(), d, r)).tolist()
               for d in (-1, 0, 1) for r in (-1, 0, 1)]
    assert all(copy in allowed for copy in out[1:])
    assert len({tuple(copy) for copy in out[1:]}) > 3, "the shifts vary"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: augment([[1.0] * 64], [0, 1]), "1 samples and 2 labels"),
    (lambda: augment([], []), "X is empty"),
    (lambda: augment([[1.0] * 60], [0]), "60 pixels is not a square image"),
    (lambda: augment([[1.0] * 64], [0], shape=(8, 9)), "8x9 holds 72 pixels, but sample 0 has 64"),
    (lambda: augment([[1.0] * 64, [1.0] * 63], [0, 1]), "sample 1 has 63 pixels, not 8x8 = 64"),
    (lambda: augment([[[1.0, 2.0], [3.0]]], [0]), "same, non-zero length"),
    (lambda: augment([[1.0] * 4], [0], copies=-1), "copies must be at least 0"),
    (lambda: augment([[1.0] * 4], [0], max_degrees=200), "max_degrees must be in [0, 180]"),
    (lambda: augment([[1.0] * 4], [0], noise=-0.1), "noise must be a finite number >= 0"),
    (lambda: augment([[1.0] * 4], [0], clip=(1, 0)), "clip's high must be a finite number >= 1"),
    (lambda: augment([[1.0] * 4], [0], clip=3), "clip must be a pair"),
    (lambda: shift([[1.0, "x"]], 1, 0), "pixels must be finite numbers, got 'x' at row 0, "
                                        "column 1"),
    (lambda: rotate([[1.0, True]], 5), "pixels must be finite numbers, got True"),
    (lambda: augment([[0.0, float("nan"), 0.0, 0.0]], [0]), "got nan at row 0, column 1"),
    (lambda: shift([[1.0]], 1.5, 0), "shift: down must be an int"),
    (lambda: rotate([[1.0]], float("nan")), "rotate: degrees must be in"),
    (lambda: rotate([], 10), "an image is a non-empty list of rows"),
])
def test_what_cannot_be_augmented_is_named(call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((ValueError, TypeError)) as caught:
        call()
    assert message in str(caught.value)
