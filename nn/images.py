"""Data augmentation for images: more training samples made from the ones there are, by moving,
turning and blurring them a little, so that a network learns the digit rather than where it
sits on the page.

An image is a list of rows (`image[row][column]`). A data set keeps each image as one flat row
of pixels, as `nn.data.digits()` does; `augment` takes those rows with the image's `shape`.

- `shift(image, down, right)`: every pixel moved by whole pixels; the pixels uncovered get `fill`.
- `rotate(image, degrees)`: turned anticlockwise about the image's centre, each new pixel read
  between four old ones (bilinear interpolation); what comes from outside the image is `fill`.
- `add_noise(image, std, seed)`: Gaussian noise on every pixel.
- `augment(X, y, shape, copies, ...)`: the samples followed by `copies` transformed copies of
  each, every copy with its own random shift, angle and noise drawn from `seed`.

Augment the training set only, after splitting: a shifted copy of a test image in the training
set is the test image, nearly, and the test accuracy would be measured on data the network saw.

>>> image = [[0, 1, 0],
...          [0, 1, 0],
...          [0, 0, 0]]
>>> shift(image, 1, 0)
[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
>>> [[round(p, 6) for p in row] for row in rotate(image, 90)]
[[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from numbers import Real
from typing import Any

from .checks import check_int, check_real, finite, is_sequence
from .init import make_rng

__all__ = ["shift", "rotate", "add_noise", "augment"]

Image = list[list[float]]


def _image(who: str, image: Any) -> Image:
    """`image` as a list of equally long rows of floats, or an error saying what it is."""
    if not is_sequence(image) or not len(image) or not all(is_sequence(r) for r in image):
        raise ValueError(f"{who}: an image is a non-empty list of rows of pixels, got "
                         f"{image!r:.60}")
    widths = {len(row) for row in image}
    if len(widths) != 1 or 0 in widths:
        raise ValueError(f"{who}: the image's rows must all have the same, non-zero length, got "
                         f"lengths {sorted(widths)}")
    pixels = [[p for p in row] for row in image]
    for r, row in enumerate(pixels):
        for c, p in enumerate(row):
            if isinstance(p, bool) or not isinstance(p, Real) or not finite(p):
                raise ValueError(f"{who}: pixels must be finite numbers, got {p!r:.20} at row "
                                 f"{r}, column {c}")
    return [[float(p) for p in row] for row in pixels]


def shift(image: Any, down: int, right: int, fill: float = 0.0) -> Image:
    """The image moved `down` rows and `right` columns (negative: up, left)."""
    pixels = _image("shift", image)
    fill = check_real("shift: fill", fill, -math.inf)
    down, right = (check_int(f"shift: {name}", n, -10**9) for name, n in
                   (("down", down), ("right", right)))
    height, width = len(pixels), len(pixels[0])
    return [[pixels[r - down][c - right]
             if 0 <= r - down < height and 0 <= c - right < width else fill
             for c in range(width)] for r in range(height)]


def rotate(image: Any, degrees: float, fill: float = 0.0) -> Image:
    """The image turned `degrees` anticlockwise about its centre, with bilinear interpolation."""
    pixels = _image("rotate", image)
    fill = check_real("rotate: fill", fill, -math.inf)
    angle = math.radians(check_real("rotate: degrees", degrees, -360, 360))
    height, width = len(pixels), len(pixels[0])
    cy, cx = (height - 1) / 2, (width - 1) / 2
    cos, sin = math.cos(angle), math.sin(angle)

    def at(r: int, c: int) -> float:
        return pixels[r][c] if 0 <= r < height and 0 <= c < width else fill

    def read(r: int, c: int) -> float:
        # Where pixel (r, c) of the turned image comes from: turn back by the angle. x goes
        # right and y up from the centre, so that a positive angle turns anticlockwise.
        x, y = c - cx, cy - r
        source_x, source_y = x * cos + y * sin, -x * sin + y * cos
        sr, sc = _snap(cy - source_y), _snap(source_x + cx)
        r0, c0 = math.floor(sr), math.floor(sc)
        fr, fc = sr - r0, sc - c0
        top = at(r0, c0) * (1 - fc) + at(r0, c0 + 1) * fc
        bottom = at(r0 + 1, c0) * (1 - fc) + at(r0 + 1, c0 + 1) * fc
        return top * (1 - fr) + bottom * fr

    return [[read(r, c) for c in range(width)] for r in range(height)]


def _snap(x: float) -> float:
    """x, or the whole number it misses by a rounding error (cos 90 degrees is 6e-17, not 0):
    a quarter turn moves pixels onto pixels exactly."""
    return float(round(x)) if abs(x - round(x)) < 1e-9 else x


def add_noise(image: Any, std: float, seed: int | random.Random | None = None) -> Image:
    """The image with Gaussian noise of standard deviation `std` added to every pixel."""
    pixels = _image("add_noise", image)
    std = check_real("add_noise: std", std)
    rng = make_rng(seed)
    return [[p + rng.gauss(0.0, std) if std else p for p in row] for row in pixels]


def augment(X: Sequence[Any], y: Sequence[Any], shape: Sequence[int] | None = None,
            copies: int = 1, max_shift: int = 1, max_degrees: float = 10.0,
            noise: float = 0.0, fill: float = 0.0, clip: Sequence[float] | None = None,
            seed: int | random.Random | None = 0) -> tuple[list[Any], list[Any]]:
    """`(X, y)` followed by `copies` augmented copies of every sample, labels kept, every sample
    as lists of floats.

    Each copy of each image is shifted by whole pixels, each way up to `max_shift`, turned by
    an angle from -`max_degrees` to `max_degrees`, and given Gaussian noise of std `noise`, all
    drawn from `seed` (the same seed gives the same copies). `clip=(low, high)` keeps pixels in
    range after the noise. Samples are flat rows of `shape = (height, width)` pixels (a square
    is assumed when `shape` is None), or images (lists of rows), given back as they came.

    Augment the training set only, after splitting off the validation and test sets.
    """
    who = "augment"
    if not is_sequence(X) or not is_sequence(y) or len(X) != len(y):
        raise ValueError(f"{who}: X and y must be lists of the same length, got "
                         f"{_length(X)} samples and {_length(y)} labels")
    if not len(X):
        raise ValueError(f"{who}: X is empty: there is nothing to augment")
    copies = check_int(f"{who}: copies", copies, 0)
    fill = check_real(f"{who}: fill", fill, -math.inf)
    max_shift = check_int(f"{who}: max_shift", max_shift, 0)
    max_degrees = check_real(f"{who}: max_degrees", max_degrees, 0, 180)
    noise = check_real(f"{who}: noise", noise)
    if clip is not None:
        if not is_sequence(clip) or len(clip) != 2:
            raise ValueError(f"{who}: clip must be a pair (low, high), got {clip!r:.40}")
        low = check_real(f"{who}: clip's low", clip[0], -math.inf)
        high = check_real(f"{who}: clip's high", clip[1], low)
    # A numpy number has __array__ too: a row of pixels holds numbers, an image holds rows.
    flat = is_sequence(X[0]) and not any(is_sequence(p) and not isinstance(p, Real)
                                         for p in X[0])
    height, width = _shape_of(who, X, shape, flat)
    rng = make_rng(seed)
    images = [_as_image(who, k, x, flat, height, width) for k, x in enumerate(X)]
    # The samples as plain lists of floats, the form the copies take.
    out_X = [[p for row in image for p in row] if flat else image for image in images]
    out_y = list(y)
    for _ in range(copies):
        for image, label in zip(images, y):
            down, right = (rng.randint(-max_shift, max_shift) for _ in range(2))
            degrees = rng.uniform(-max_degrees, max_degrees)
            new = add_noise(rotate(shift(image, down, right, fill), degrees, fill), noise, rng)
            if clip is not None:
                new = [[min(max(p, low), high) for p in row] for row in new]
            out_X.append([p for row in new for p in row] if flat else new)
            out_y.append(label)
    return out_X, out_y


def _length(x: object) -> str:
    return str(len(x)) if is_sequence(x) else type(x).__name__  # type: ignore[arg-type]


def _shape_of(who: str, X: Sequence[Any], shape: Sequence[int] | None, flat: bool
              ) -> tuple[int, int]:
    if not flat:
        rows = X[0]
        if shape is not None and tuple(shape) != (len(rows), len(rows[0])):
            raise ValueError(f"{who}: shape is {tuple(shape)} but the first image is "
                             f"{len(rows)}x{len(rows[0])}")
        return len(rows), len(rows[0])
    n = len(X[0])
    if shape is None:
        side = math.isqrt(n)
        if side * side != n:
            raise ValueError(f"{who}: a sample of {n} pixels is not a square image: give its "
                             f"shape=(height, width)")
        return side, side
    if not is_sequence(shape) or len(shape) != 2:
        raise ValueError(f"{who}: shape must be (height, width), got {shape!r:.40}")
    height, width = (check_int(f"{who}: shape", s) for s in shape)
    if height * width != n:
        raise ValueError(f"{who}: shape {height}x{width} holds {height * width} pixels, but "
                         f"sample 0 has {n}")
    return height, width


def _as_image(who: str, k: int, x: Any, flat: bool, height: int, width: int) -> Image:
    if flat:
        if not is_sequence(x) or len(x) != height * width:
            raise ValueError(f"{who}: sample {k} has {_length(x)} pixels, not "
                             f"{height}x{width} = {height * width}")
        x = [x[r * width:(r + 1) * width] for r in range(height)]
    image = _image(f"{who}: sample {k}", x)
    if (len(image), len(image[0])) != (height, width):
        raise ValueError(f"{who}: sample {k} is {len(image)}x{len(image[0])}, not "
                         f"{height}x{width}")
    return image
