"""Layers: the contract (``base``), the affine layer and the provided activations.

The lab 1 hidden units ``ELULayer``, ``SELULayer`` and ``LeakyReLULayer`` live
in the exercise file ``mlplab/layers/hidden_units.py``; the lab 3 layers
``DropoutLayer``, ``DropConnectLayer`` (``mlplab/layers/dropout.py``) and
``MaxoutLayer`` (``mlplab/layers/maxout.py``) in exercise files too. Those files
are loaded by an import hook (see ``mlplab._overlay``) from wherever the
exercises are taken from, so each is imported only when one of its names is
first used, never when ``mlplab.layers`` itself is imported.
"""
from __future__ import annotations

import importlib

from mlplab.layers.activations import IdentityLayer, ReluLayer, SigmoidLayer, TanhLayer
from mlplab.layers.affine import AffineLayer
from mlplab.layers.base import Layer, LayerWithParameters, StochasticLayer
from mlplab.layers.normalisation import BatchNormLayer

# Name -> exercise module that defines it.
_EXERCISE_LAYERS = {
    "ELULayer": "mlplab.layers.hidden_units",
    "SELULayer": "mlplab.layers.hidden_units",
    "LeakyReLULayer": "mlplab.layers.hidden_units",
    "DropoutLayer": "mlplab.layers.dropout",
    "DropConnectLayer": "mlplab.layers.dropout",
    "MaxoutLayer": "mlplab.layers.maxout",
}


def __getattr__(name: str):
    # Called only for names not found above. Not cached in globals(), so a
    # reloaded exercise module (e.g. by %autoreload) is picked up.
    if name in _EXERCISE_LAYERS:
        return getattr(importlib.import_module(_EXERCISE_LAYERS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXERCISE_LAYERS])


# The exercise layers are left out so that ``from mlplab.layers import *`` does
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
