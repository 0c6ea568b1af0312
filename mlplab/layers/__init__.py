"""Layers: the contract (``base``), the affine layer, the provided activations and batch norm.

The layers students write (ELU, SELU, leaky ReLU, dropout, DropConnect, maxout) live in
their own folder, ``mlplab.exercises``.
"""

from __future__ import annotations

from mlplab.layers.activations import IdentityLayer, ReluLayer, SigmoidLayer, TanhLayer
from mlplab.layers.affine import AffineLayer
from mlplab.layers.base import Layer, LayerWithParameters, StochasticLayer
from mlplab.layers.normalisation import BatchNormLayer, LayerNormLayer

__all__ = [
    "Layer",
    "LayerWithParameters",
    "StochasticLayer",
    "AffineLayer",
    "BatchNormLayer",
    "LayerNormLayer",
    "SigmoidLayer",
    "TanhLayer",
    "ReluLayer",
    "IdentityLayer",
]
