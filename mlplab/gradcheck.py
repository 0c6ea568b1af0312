"""Numerical gradient checks (CS231n style), all in float64.

An analytic gradient (``bprop``, ``grads_wrt_params``) is compared with a
central-difference estimate::

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / (2 h)

where ``e_i`` is the array with a 1 at entry ``i`` and zeros elsewhere. The
estimate is only accurate in float64 (in float32 the rounding error of
``f(x + h e_i) - f(x - h e_i)`` swamps the difference), so inputs are
converted to float64 and the perturbed arrays must be float64.

As a rule of thumb, ``rel_error`` below ``1e-7`` means the gradient is right;
above ``1e-2`` it is almost certainly wrong. Kinks (e.g. ReLU at 0) within
``h`` of an input spoil the estimate, so keep inputs away from them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """Largest elementwise relative error between two arrays of the same shape.

    ``max_i |x_i - y_i| / max(1e-8, |x_i| + |y_i|)``, i.e.
    ``np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))``.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error needs arrays of the same shape, got {x.shape} and {y.shape}")
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function.

    ``grad_i = (f(x + h e_i) - f(x - h e_i)) / (2 h)`` for every entry ``i`` of ``x``.

    Args:
        f: function of ``x`` returning a scalar. It is called with ``x`` itself,
            perturbed in place one entry at a time.
        x: float64 array; every entry is restored before returning.
        h: the step.

    Returns:
        float64 array of the shape of ``x``.
    """
    _check_float64(x, "numerical_gradient")
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        f_plus = float(f(x))
        x[i] = original - h
        f_minus = float(f(x))
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_vjp(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    grads_wrt_outputs: np.ndarray,
    h: float = 1e-6,
) -> np.ndarray:
    """Central-difference vector-Jacobian product of an array-valued function.

    ``vjp_i = sum((f(x + h e_i) - f(x - h e_i)) * grads_wrt_outputs) / (2 h)``
    for every entry ``i`` of ``x``: the gradient of
    ``sum(f(x) * grads_wrt_outputs)``, which is what ``bprop`` computes.

    Args:
        f: function of ``x`` returning an array of the shape of ``grads_wrt_outputs``.
            It is called with ``x`` itself, perturbed in place one entry at a time.
        x: float64 array; every entry is restored before returning.
        grads_wrt_outputs: array of the shape of ``f(x)``.
        h: the step.

    Returns:
        float64 array of the shape of ``x``.
    """
    _check_float64(x, "numerical_vjp")
    grads_wrt_outputs = _as_float64(grads_wrt_outputs, "grads_wrt_outputs")
    vjp = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        # Copy: f may return x itself (identity) or an array it later overwrites.
        f_plus = np.array(f(x), dtype=np.float64)
        x[i] = original - h
        f_minus = np.array(f(x), dtype=np.float64)
        x[i] = original
        if f_plus.shape != grads_wrt_outputs.shape:
            raise ValueError(
                f"f returned shape {f_plus.shape} but grads_wrt_outputs has shape {grads_wrt_outputs.shape}"
            )
        vjp[i] = np.sum((f_plus - f_minus) * grads_wrt_outputs) / (2 * h)
    return vjp


def check_layer_bprop(
    layer,
    inputs: np.ndarray,
    grads_wrt_outputs: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    h: float = 1e-6,
) -> float:
    """Relative error between ``layer.bprop`` and the numerical VJP of ``layer.fprop``.

    ``inputs`` (and ``grads_wrt_outputs``) are converted to float64. The layer
    is used in its current mode, so ``fprop`` must be deterministic in it
    (check dropout in eval mode). ``fprop`` is called many times, so state it
    keeps (e.g. running averages) changes.

    Args:
        layer: the layer to check.
        inputs: shape ``(batch_size, input_dim)``.
        grads_wrt_outputs: dE/d(outputs), shape of the outputs. Default: standard
            normal values drawn from ``rng``.
        rng: generator for the default ``grads_wrt_outputs``; default
            ``np.random.default_rng(0)``.
        h: the finite-difference step.

    Returns:
        ``rel_error(analytic, numerical)``.

    Raises:
        ValueError: if ``inputs`` cannot be converted to float64, the layer
            does not return float64 for float64 inputs, or shapes mismatch.
    """
    inputs = _as_float64(inputs, "inputs")
    outputs = _fprop_float64(layer, inputs)
    if grads_wrt_outputs is None:
        rng = np.random.default_rng(0) if rng is None else rng
        grads_wrt_outputs = rng.standard_normal(outputs.shape)
    grads_wrt_outputs = _as_float64(grads_wrt_outputs, "grads_wrt_outputs")
    _check_same_shape(grads_wrt_outputs, outputs, "grads_wrt_outputs", "the layer's outputs")

    # The analytic gradient first: bprop may use what the last fprop stored.
    analytic = np.asarray(layer.bprop(inputs, outputs, grads_wrt_outputs))
    _check_same_shape(analytic, inputs, "bprop's result", "inputs")
    numerical = numerical_vjp(layer.fprop, inputs.copy(), grads_wrt_outputs, h)
    return rel_error(analytic, numerical)


def check_layer_param_grads(layer, inputs: np.ndarray, grads_wrt_outputs: np.ndarray, h: float = 1e-6) -> list[float]:
    """Relative errors between ``layer.grads_wrt_params`` and numerical VJPs, one per parameter.

    ``inputs`` and ``grads_wrt_outputs`` are converted to float64. Parameters
    that are not float64 are replaced by float64 copies through the layer's
    ``params`` setter for the check, and the original arrays are put back
    afterwards. The layer is used in its current mode (see ``check_layer_bprop``).

    Args:
        layer: a ``LayerWithParameters``.
        inputs: shape ``(batch_size, input_dim)``.
        grads_wrt_outputs: dE/d(outputs), shape of the outputs.
        h: the finite-difference step.

    Returns:
        ``rel_error(analytic, numerical)`` for each array of ``layer.params``, in order.

    Raises:
        ValueError: as ``check_layer_bprop``, or if the parameters are not
            float64 and the layer has no ``params`` setter.
    """
    inputs = _as_float64(inputs, "inputs")
    grads_wrt_outputs = _as_float64(grads_wrt_outputs, "grads_wrt_outputs")
    original_params = list(layer.params)
    converted = any(param.dtype != np.float64 for param in original_params)
    if converted:
        try:
            layer.params = [param.astype(np.float64) for param in original_params]
        except AttributeError:
            raise ValueError(
                f"{type(layer).__name__} has non-float64 parameters and no params setter; "
                "construct it with dtype=np.float64 for gradient checks"
            ) from None
    try:
        outputs = _fprop_float64(layer, inputs)
        _check_same_shape(grads_wrt_outputs, outputs, "grads_wrt_outputs", "the layer's outputs")
        analytic = layer.grads_wrt_params(inputs, grads_wrt_outputs)
        errors = []
        for param, grad in zip(layer.params, analytic):
            grad = np.asarray(grad)
            _check_same_shape(grad, param, "a parameter gradient", "its parameter")
            numerical = numerical_vjp(lambda _: layer.fprop(inputs), param, grads_wrt_outputs, h)
            errors.append(rel_error(grad, numerical))
        return errors
    finally:
        if converted:
            layer.params = original_params


def _as_float64(x, name: str) -> np.ndarray:
    """A float64 copy of ``x``."""
    try:
        return np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be convertible to a float64 array: {err}") from None


def _check_float64(x, function: str) -> None:
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(
            f"{function} perturbs x in place, so x must be a float64 numpy array, got {got}; "
            "convert with x = x.astype(np.float64)"
        )


def _check_same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} has shape {a.shape}, expected {b.shape} (the shape of {b_name})")


def _fprop_float64(layer, inputs: np.ndarray) -> np.ndarray:
    """``layer.fprop(inputs)``, checked to be float64 as the layer contract requires."""
    outputs = np.asarray(layer.fprop(inputs))
    if outputs.dtype != np.float64:
        raise ValueError(
            f"{type(layer).__name__}.fprop returned {outputs.dtype} for float64 inputs; "
            "layers must keep the input dtype (float64 here)"
        )
    return outputs
