"""Matplotlib helpers for the lab notebooks.

Every function returns the Axes or Figure it drew on and never calls
``plt.show()`` (Jupyter shows the figure of a cell by itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

_LINESTYLES = ("-", "--", ":", "-.")


def plot_history(
    histories: Mapping[str, object],
    keys: Sequence[str] = ("train_error", "valid_error"),
    ax: Axes | None = None,
) -> Axes:
    """Plots statistics of training runs against the epoch.

    One colour per run and one line style per statistic. Statistics that are
    all NaN (e.g. validation error without validation data) are skipped.

    Args:
        histories: run label -> ``History`` (from ``Trainer.train``).
        keys: names of ``History`` lists to plot, e.g. ``("train_acc", "valid_acc")``.
        ax: Axes to draw on; default: a new figure.

    Returns:
        The Axes.
    """
    if ax is None:
        _, ax = plt.subplots()
    for run, (label, history) in enumerate(histories.items()):
        colour = f"C{run % 10}"
        for k, key in enumerate(keys):
            values = np.asarray(getattr(history, key), dtype=float)
            if values.size == 0 or np.all(np.isnan(values)):
                continue
            ax.plot(
                history.epoch,
                values,
                color=colour,
                linestyle=_LINESTYLES[k % len(_LINESTYLES)],
                label=f"{label}: {key}",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(", ".join(keys))
    if ax.lines:
        ax.legend()
    return ax


def plot_layer_histograms(activations: Sequence[np.ndarray], title: str | None = None, bins: int = 50) -> Figure:
    """Histograms of the values in each layer, one small subplot per layer, side by side.

    All subplots share the x axis and the same bin edges. NaN and infinite
    values are left out.

    Args:
        activations: one array per layer (e.g. the hidden-layer outputs of
            ``model.fprop``), any shapes.
        title: title of the figure.
        bins: number of bins.

    Returns:
        The Figure.
    """
    if len(activations) == 0:
        raise ValueError("plot_layer_histograms needs at least one array")
    finite = [np.asarray(values, dtype=float).ravel() for values in activations]
    finite = [values[np.isfinite(values)] for values in finite]
    non_empty = [values for values in finite if values.size]
    value_range = None
    if non_empty:
        value_range = (min(v.min() for v in non_empty), max(v.max() for v in non_empty))
        if value_range[0] == value_range[1]:
            value_range = (value_range[0] - 0.5, value_range[1] + 0.5)
    fig, axes = plt.subplots(
        1, len(finite), sharex=True, squeeze=False, figsize=(2.2 * len(finite) + 0.5, 2.4), layout="constrained"
    )
    for i, (ax, values) in enumerate(zip(axes[0], finite)):
        if values.size:
            ax.hist(values, bins=bins, range=value_range)
        else:
            ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(f"layer {i + 1}", fontsize="small")
        ax.set_yticks([])
    if title is not None:
        fig.suptitle(title)
    return fig


def plot_per_layer(
    values: Mapping[str, Sequence[float]], ylabel: str, logy: bool = False, ax: Axes | None = None
) -> Axes:
    """Plots a quantity per layer (e.g. gradient norms), one line per label.

    Args:
        values: label -> one value per layer (layer 1 first).
        ylabel: what the values are.
        logy: use a logarithmic y axis.
        ax: Axes to draw on; default: a new figure.

    Returns:
        The Axes.
    """
    if ax is None:
        _, ax = plt.subplots()
    for label, per_layer in values.items():
        ax.plot(np.arange(1, len(per_layer) + 1), per_layer, marker="o", label=label)
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if logy:
        ax.set_yscale("log")
    if ax.lines:
        ax.legend()
    return ax


def show_images(images: np.ndarray, labels: Sequence | None = None, ncols: int = 8) -> Figure:
    """Shows greyscale images in a grid.

    Args:
        images: shape ``(N, 784)`` (flattened 28x28 images, or any square
            size) or ``(N, height, width)``.
        labels: optional title for each image.
        ncols: images per row.

    Returns:
        The Figure.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"cannot show flattened images of {images.shape[1]} pixels as squares")
        images = images.reshape(-1, side, side)
    if images.ndim != 3:
        raise ValueError(f"show_images expects shape (N, pixels) or (N, height, width), got {images.shape}")
    num_images = len(images)
    ncols = max(1, min(ncols, num_images))
    nrows = max(1, -(-num_images // ncols))
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(1.2 * ncols, 1.3 * nrows), layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < num_images:
            ax.imshow(images[i], cmap="gray")
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize="small")
    return fig
