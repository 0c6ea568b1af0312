"""Data augmentation for images of digits (Lab 3, tasks 3.5-3.9).

A digit is still the same digit when it is moved by a pixel or two, turned by
a few degrees, written with a slightly shakier hand or printed on a noisier
page. Each function here draws such a random change for every image of a
batch *independently* and applies it; the labels are never touched. Changes
that do alter the class (a 6 turned by 180 degrees is a 9) must not be used.

Conventions shared by every augmentation function:

* ``images`` has shape ``(batch_size, height, width)`` (e.g. ``(50, 28, 28)``),
  float pixels with background 0 (ink is positive; pixels scaled to
  ``[0, 1]``). The result is a **new** array of exactly that shape and dtype;
  the argument is never modified.
* Every random number comes from ``rng`` (an ``np.random.Generator``); the
  same generator state always gives the same result.
* Each image gets its own random parameters (its own shift, angle, noise or
  deformation): a batch of 50 images gets 50 different changes.
* Pixels that come from outside the image are background, 0.
* ``check_images`` (provided) turns arrays of the wrong shape into a clear error.

``AugmentedProvider`` wraps a minibatch provider (flattened images, shape
``(batch_size, 784)``) and augments every batch it yields.

``scipy.ndimage`` has the image operations needed: ``rotate``,
``gaussian_filter`` and ``map_coordinates``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
from scipy import ndimage

from mlplab.validation import check_images

Augmentation = Callable[[np.ndarray, np.random.Generator], np.ndarray]
"""An augmentation maps ``(images of shape (batch_size, height, width), rng)`` to augmented images."""


def random_shift(images: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Moves every image by a random whole number of pixels, filling the uncovered border with 0.

    For image ``n``, draw ``dy`` and ``dx`` independently and uniformly from the
    integers ``-max_shift, ..., max_shift`` (``2 * max_shift + 1`` values each,
    both ends included), and move the content ``dy`` rows down and ``dx``
    columns to the right::

        out[n, r, c] = images[n, r - dy, c - dx]   if that pixel exists, else 0

    Pixels pushed over an edge are lost; they do not come back on the other
    side (``np.roll`` would wrap them around). Padding the images with
    ``max_shift`` zeros on every side (``np.pad``) and cutting out a window is
    one way to do it.

    Args:
        images: shape ``(batch_size, height, width)``.
        rng: the generator for the shifts.
        max_shift: the largest shift in either direction, an int ``>= 0``; default 2.

    Returns:
        shifted images, a new array of the shape and dtype of ``images``.
    """
    ### BEGIN SOLUTION
    images = check_images(images)
    m = int(max_shift)
    num, height, width = images.shape
    shifts = rng.integers(-m, m + 1, size=(num, 2))
    padded = np.pad(images, ((0, 0), (m, m), (m, m)))
    out = np.empty_like(images)
    for n, (dy, dx) in enumerate(shifts):
        out[n] = padded[n, m - dy : m - dy + height, m - dx : m - dx + width]
    return out
    ### END SOLUTION


def random_rotation(images: np.ndarray, rng: np.random.Generator, max_degrees: float = 15.0) -> np.ndarray:
    """Turns every image about its centre by a random angle between ``-max_degrees`` and ``max_degrees``.

    For image ``n``, draw an angle uniformly from ``[-max_degrees, max_degrees]``
    (in **degrees**) and rotate the image about its centre with bilinear
    interpolation, keeping its size and filling the corners with 0::

        scipy.ndimage.rotate(image, angle, reshape=False, order=1, mode="constant", cval=0.0)

    (``ndimage.rotate`` enlarges the array to hold the whole rotated image
    unless ``reshape=False``, and rotates a 3-D array in the plane of its
    first two axes unless told otherwise: rotate one image at a time.)

    Args:
        images: shape ``(batch_size, height, width)``.
        rng: the generator for the angles.
        max_degrees: the largest angle either way, in degrees; default 15.

    Returns:
        rotated images, a new array of the shape and dtype of ``images``.
    """
    ### BEGIN SOLUTION
    images = check_images(images)
    angles = rng.uniform(-max_degrees, max_degrees, size=len(images))
    out = np.empty_like(images)
    for n, angle in enumerate(angles):
        out[n] = ndimage.rotate(images[n], angle, reshape=False, order=1, mode="constant", cval=0.0)
    return out
    ### END SOLUTION


def pixel_noise(images: np.ndarray, rng: np.random.Generator, std: float = 0.1) -> np.ndarray:
    """Adds independent Gaussian noise to every pixel and clips the result to ``[0, 1]``.

    ``out = clip(images + noise, 0, 1)`` where every entry of ``noise`` is drawn
    independently from the normal distribution with mean 0 and *standard
    deviation* ``std`` (``rng.normal(0.0, std, shape)``). Clipping keeps the
    pixels in the range of real images.

    Args:
        images: shape ``(batch_size, height, width)``, pixels in ``[0, 1]``.
        rng: the generator for the noise.
        std: the standard deviation of the noise; default 0.1.

    Returns:
        noisy images in ``[0, 1]``, a new array of the shape and dtype of ``images``
        (the noise is float64: convert the result back with ``.astype(images.dtype)``).
    """
    ### BEGIN SOLUTION
    images = check_images(images)
    noise = rng.normal(0.0, std, size=images.shape)
    return np.clip(images + noise, 0.0, 1.0).astype(images.dtype)
    ### END SOLUTION


def elastic_deformation(
    images: np.ndarray, rng: np.random.Generator, alpha: float = 34.0, sigma: float = 4.0
) -> np.ndarray:
    """Elastic distortion (Simard et al., 2003): every pixel moves by a smooth random displacement.

    For every image separately:

    1. draw two independent random fields ``u`` and ``v`` of the image's shape
       ``(height, width)`` with entries uniform in ``[-1, 1]``;
    2. smooth each with a Gaussian filter of standard deviation ``sigma``
       (``scipy.ndimage.gaussian_filter(u, sigma, mode="constant")``) and
       multiply by ``alpha``: the row displacement ``dy = alpha * smooth(u)`` and
       the column displacement ``dx = alpha * smooth(v)``;
    3. read the image at the displaced positions with bilinear interpolation::

           out[r, c] = image(r + dy[r, c], c + dx[r, c])
           scipy.ndimage.map_coordinates(image, [rows + dy, cols + dx], order=1, mode="constant", cval=0.0)

       where ``rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")``.

    Smoothing makes neighbouring pixels move together, so strokes bend
    instead of breaking apart; ``sigma`` sets how local the bends are and
    ``alpha`` how far pixels move.

    Args:
        images: shape ``(batch_size, height, width)``.
        rng: the generator for the displacement fields.
        alpha: the strength of the displacements (in pixels per unit of smoothed field); default 34.
        sigma: the width of the smoothing filter, in pixels; default 4.

    Returns:
        deformed images, a new array of the shape and dtype of ``images``.
    """
    ### BEGIN SOLUTION
    images = check_images(images)
    num, height, width = images.shape
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    out = np.empty_like(images)
    for n in range(num):
        dy = alpha * ndimage.gaussian_filter(rng.uniform(-1.0, 1.0, (height, width)), sigma, mode="constant")
        dx = alpha * ndimage.gaussian_filter(rng.uniform(-1.0, 1.0, (height, width)), sigma, mode="constant")
        out[n] = ndimage.map_coordinates(images[n], [rows + dy, cols + dx], order=1, mode="constant", cval=0.0)
    return out
    ### END SOLUTION


class AugmentedProvider:
    """Wraps a minibatch provider and augments the inputs of every batch it yields.

    Iterating over it is one epoch of the wrapped provider: for each
    ``(inputs, targets)`` batch, the flattened inputs (shape
    ``(batch_size, height * width)``) are viewed as images of shape
    ``(batch_size, height, width)``, every augmentation is applied in the
    given order, each called as ``augmentation(images, self.rng)``, and the
    result is flattened back. The targets are passed on **unchanged**, paired
    with their own inputs. Since each batch draws new random numbers from
    ``self.rng``, every epoch sees differently augmented copies of the same
    training examples.

    Only training data should be augmented: validation and test data stay as they are.

    Example::

        from functools import partial
        train_aug = AugmentedProvider(train, [partial(random_shift, max_shift=2), random_rotation], rng)
        Trainer(model, error, rule, train_aug, valid).train(10)

    Args:
        provider: any iterable of ``(inputs, targets)`` batches with inputs of
            shape ``(batch_size, height * width)``, e.g. a ``MinibatchProvider``.
        augmentations: functions ``(images, rng) -> images`` (use
            ``functools.partial`` to fix their other arguments).
        rng: the ``np.random.Generator`` passed to every augmentation.
        image_shape: ``(height, width)`` of one image; default ``(28, 28)``.
    """

    def __init__(
        self,
        provider: Iterable[tuple[np.ndarray, np.ndarray]],
        augmentations: Sequence[Augmentation],
        rng: np.random.Generator,
        image_shape: tuple[int, int] = (28, 28),
    ):
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be an np.random.Generator, got {type(rng).__name__}; "
                "make one with np.random.default_rng(seed)"
            )
        augmentations = list(augmentations)
        for augmentation in augmentations:
            if not callable(augmentation):
                raise TypeError(f"augmentations must be callables (images, rng) -> images, got {augmentation!r}")
        self.provider = provider
        self.augmentations = augmentations
        self.rng = rng
        self.image_shape = (int(image_shape[0]), int(image_shape[1]))

    def __len__(self) -> int:
        """Batches per epoch: those of the wrapped provider."""
        return len(self.provider)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of augmented batches.

        For each ``(inputs, targets)`` of ``self.provider`` (iterate over it
        exactly once per epoch: a shuffling provider draws a new order every
        time it is iterated), reshape the inputs to
        ``(batch_size, *self.image_shape)``, apply each function of
        ``self.augmentations`` in order with ``self.rng``, and yield the result
        reshaped back to the shape and dtype of ``inputs``, together with
        ``targets``.

        Yields:
            ``(augmented_inputs, targets)``: augmented inputs of the shape and dtype
            of the wrapped provider's inputs, and its targets unchanged.
        """
        ### BEGIN SOLUTION
        for inputs, targets in self.provider:
            images = inputs.reshape((inputs.shape[0], *self.image_shape))
            for augmentation in self.augmentations:
                images = augmentation(images, self.rng)
            yield np.asarray(images).reshape(inputs.shape).astype(inputs.dtype, copy=False), targets
        ### END SOLUTION

    def __repr__(self) -> str:
        names = [
            getattr(a, "__name__", None) or getattr(getattr(a, "func", None), "__name__", repr(a))
            for a in self.augmentations
        ]
        return f"AugmentedProvider({self.provider!r}, augmentations={names})"
