"""Layers: the contract (``base``), the affine layer and the provided activations.

The lab 1 hidden units ``ELULayer``, ``SELULayer`` and ``LeakyReLULayer`` live
in the exercise file ``mlplab/layers/hidden_units.py``. That file is loaded by
an import hook (see ``mlplab._overlay``) from wherever the exercises are taken
from, so it is imported only when one of these names is first used, never when
``mlplab.layers`` itself is imported.
"""
from __future__ import annotations

import importlib

from mlplab.layers.activations import IdentityLayer, ReluLayer, SigmoidLayer, TanhLayer
from mlplab.layers.affine import AffineLayer
from mlplab.layers.base import Layer, LayerWithParameters, StochasticLayer
from mlplab.layers.normalisation import BatchNormLayer

_HIDDEN_UNITS = ("ELULayer", "SELULayer", "LeakyReLULayer")


def __getattr__(name: str):
    # Called only for names not found above. Not cached in globals(), so a
    # reloaded hidden_units module (e.g. by %autoreload) is picked up.
    if name in _HIDDEN_UNITS:
        hidden_units = importlib.import_module("mlplab.layers.hidden_units")
        return getattr(hidden_units, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_HIDDEN_UNITS])


# The hidden units are left out so that ``from mlplab.layers import *`` does
# not import the exercise file.
__all__ = [
    "Layer",
    "LayerWithParameters",
    "StochasticLayer",
    "AffineLayer",
    "BatchNormLayer",
    "SigmoidLayer",
    "TanhLayer",
    "ReluLayer",
    "IdentityLayer",
]
