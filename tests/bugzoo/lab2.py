"""Lab 2 bug zoo: batch norm mistakes the checks must catch and name, and correct variants they must accept.

``BUGS``: each must fail exactly its own task, with a message containing ``feedback``.
``VARIANTS``: different but correct implementations; each must pass every task.
"""

from __future__ import annotations

from bugzoo import Bug

BN = "mlplab/exercises/batch_norm.py"

BUGS = [
    # ---- 2.1 forward pass
    Bug(
        "lab2_forward_unbiased_variance",
        "lab2.batchnorm_forward",
        BN,
        "batch_var = np.mean(centred * centred, axis=0)",
        "batch_var = np.sum(centred * centred, axis=0) / (inputs.shape[0] - 1)",
        "unbiased variance",
    ),
    Bug(
        "lab2_forward_eps_outside_the_square_root",
        "lab2.batchnorm_forward",
        BN,
        "outputs = centred * (gamma / np.sqrt(batch_var + eps))",
        "outputs = centred * (gamma / (np.sqrt(batch_var) + eps))",
        "inside the square root",
    ),
    Bug(
        "lab2_forward_without_eps",
        "lab2.batchnorm_forward",
        BN,
        "outputs = centred * (gamma / np.sqrt(batch_var + eps))",
        "outputs = centred * (gamma / np.sqrt(batch_var))",
        "eps is not where it belongs",
    ),
    Bug(
        "lab2_forward_gamma_and_beta_swapped",
        "lab2.batchnorm_forward",
        BN,
        "outputs = centred * (gamma / np.sqrt(batch_var + eps))\n    outputs += beta",
        "outputs = centred * (beta / np.sqrt(batch_var + eps))\n    outputs += gamma",
        "gamma and beta are swapped",
    ),
    Bug(
        "lab2_forward_returns_the_standard_deviation",
        "lab2.batchnorm_forward",
        BN,
        "return outputs, batch_mean, batch_var",
        "return outputs, batch_mean, np.sqrt(batch_var)",
        "batch_var",
    ),
    # ---- 2.2 backward pass
    Bug(
        "lab2_backward_without_the_mean_path",
        "lab2.batchnorm_backward",
        BN,
        "grads_wrt_inputs = direct + through_var + through_mean",
        "grads_wrt_inputs = direct + through_var",
        "mean path is missing",
    ),
    Bug(
        "lab2_backward_without_the_variance_path",
        "lab2.batchnorm_backward",
        BN,
        "grads_wrt_inputs = direct + through_var + through_mean",
        "grads_wrt_inputs = direct + through_mean",
        "variance path is missing",
    ),
    Bug(
        "lab2_backward_direct_path_only",
        "lab2.batchnorm_backward",
        BN,
        "grads_wrt_inputs = direct + through_var + through_mean",
        "grads_wrt_inputs = direct",
        "mean path is missing or wrong: for grads_wrt_outputs that are the same",
    ),
    Bug(
        "lab2_backward_gamma_gradient_summed_over_the_wrong_axis",
        "lab2.batchnorm_backward",
        BN,
        "grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=0)",
        "grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=1)",
        "wrong axis",
    ),
    Bug(
        "lab2_backward_without_gamma",
        "lab2.batchnorm_backward",
        BN,
        "grads_wrt_normalised = grads_wrt_outputs * gamma\n    grads_wrt_var",
        "grads_wrt_normalised = grads_wrt_outputs\n    grads_wrt_var",
        "gamma is missing",
    ),
    Bug(
        "lab2_backward_gamma_gradient_with_raw_inputs",
        "lab2.batchnorm_backward",
        BN,
        "grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=0)",
        "grads_wrt_gamma = np.sum(grads_wrt_outputs * inputs, axis=0)",
        "grads_wrt_gamma",
    ),
    # ---- 2.3 population statistics
    Bug(
        "lab2_population_without_correction",
        "lab2.population_statistics",
        BN,
        "var = batch_size / (batch_size - 1) * batch_vars.mean(axis=0)",
        "var = batch_vars.mean(axis=0)",
        "m / (m - 1) correction is missing",
    ),
    Bug(
        "lab2_population_inverted_correction",
        "lab2.population_statistics",
        BN,
        "var = batch_size / (batch_size - 1) * batch_vars.mean(axis=0)",
        "var = (batch_size - 1) / batch_size * batch_vars.mean(axis=0)",
        "correction is inverted",
    ),
    Bug(
        "lab2_population_averaged_over_units",
        "lab2.population_statistics",
        BN,
        "mean = batch_means.mean(axis=0)",
        "mean = batch_means.mean(axis=1)",
        "wrong axis",
    ),
    # ---- 2.4 running averages
    Bug(
        "lab2_running_momentum_weights_the_batch",
        "lab2.running_statistics",
        BN,
        "new_mean = momentum * running_mean + (1 - momentum) * batch_mean\n"
        "    new_var = momentum * running_var + (1 - momentum) * unbiased_var",
        "new_mean = (1 - momentum) * running_mean + momentum * batch_mean\n"
        "    new_var = (1 - momentum) * running_var + momentum * unbiased_var",
        "momentum weights the batch statistics",
    ),
    Bug(
        "lab2_running_variance_without_correction",
        "lab2.running_statistics",
        BN,
        "unbiased_var = batch_size / (batch_size - 1) * batch_var",
        "unbiased_var = batch_var",
        "correction of the batch variance is missing",
    ),
    Bug(
        "lab2_running_update_in_place",
        "lab2.running_statistics",
        BN,
        "* batch_var\n    new_mean = momentum * running_mean + (1 - momentum) * batch_mean\n",
        "* batch_var\n    running_mean *= momentum\n    running_mean += (1 - momentum) * batch_mean\n"
        "    new_mean = running_mean\n",
        "in place",
    ),
    # ---- 2.5 folding
    Bug(
        "lab2_fold_shift_without_the_mean",
        "lab2.fold",
        BN,
        "shift = beta - scale * mean",
        "shift = beta",
        "the mean must also be removed",
    ),
    Bug(
        "lab2_fold_eps_outside_the_square_root",
        "lab2.fold",
        BN,
        "scale = gamma / np.sqrt(var + eps)",
        "scale = gamma / (np.sqrt(var) + eps)",
        "inside the square root",
    ),
    # ---- 2.6 training and evaluation modes
    Bug(
        "lab2_modes_batch_statistics_at_inference",
        "lab2.modes",
        BN,
        "normalised = (inputs - running_mean) / np.sqrt(running_var + eps)",
        "normalised = (inputs - inputs.mean(axis=0)) / np.sqrt(inputs.var(axis=0) + eps)",
        "evaluation mode normalises with the batch statistics",
    ),
    Bug(
        "lab2_modes_ignores_the_mode",
        "lab2.modes",
        BN,
        "    if training:\n        outputs, batch_mean",
        "    if training or True:\n        outputs, batch_mean",
        "evaluation mode normalises with the batch statistics",
    ),
    Bug(
        "lab2_modes_running_statistics_in_training",
        "lab2.modes",
        BN,
        "outputs, batch_mean, batch_var = batchnorm_forward(inputs, gamma, beta, eps)",
        "_, batch_mean, batch_var = batchnorm_forward(inputs, gamma, beta, eps)\n"
        "        outputs = gamma * (inputs - running_mean) / np.sqrt(running_var + eps) + beta",
        "normalised with the running statistics",
    ),
    Bug(
        "lab2_modes_running_statistics_not_updated",
        "lab2.modes",
        BN,
        "return outputs, new_mean, new_var",
        "return outputs, running_mean, running_var",
        "return the running statistics that update_running_statistics returned",
    ),
    Bug(
        "lab2_modes_batch_size_from_the_wrong_axis",
        "lab2.modes",
        BN,
        "running_mean, running_var, batch_mean, batch_var, inputs.shape[0], momentum\n",
        "running_mean, running_var, batch_mean, batch_var, inputs.shape[1], momentum\n",
        "wrong batch_size",
    ),
    # ---- 2.7 spatial forward pass
    Bug(
        "lab2_spatial_statistics_per_location",
        "lab2.spatial_forward",
        BN,
        "mean = inputs.mean(axis=(0, 2, 3), keepdims=True)\n    var = inputs.var(axis=(0, 2, 3), keepdims=True)",
        "mean = inputs.mean(axis=0, keepdims=True)\n    var = inputs.var(axis=0, keepdims=True)",
        "per location",
    ),
    Bug(
        "lab2_spatial_statistics_per_example",
        "lab2.spatial_forward",
        BN,
        "mean = inputs.mean(axis=(0, 2, 3), keepdims=True)\n    var = inputs.var(axis=(0, 2, 3), keepdims=True)",
        "mean = inputs.mean(axis=(2, 3), keepdims=True)\n    var = inputs.var(axis=(2, 3), keepdims=True)",
        "feature map was normalised on its own",
    ),
    # ---- 2.8 spatial backward pass
    Bug(
        "lab2_spatial_gamma_gradient_over_the_batch_only",
        "lab2.spatial_backward",
        BN,
        "grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=axes)",
        "grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=0)",
        "summed only over the batch axis",
    ),
    Bug(
        "lab2_spatial_backward_counts_only_the_examples",
        "lab2.spatial_backward",
        BN,
        "count = inputs.size // inputs.shape[1]",
        "count = inputs.shape[0]",
        "M = N * H * W",
    ),
]

VARIANTS = [
    Bug(
        "lab2_forward_variance_from_moments",
        "lab2.batchnorm_forward",
        BN,
        "batch_var = np.mean(centred * centred, axis=0)",
        "batch_var = np.mean(inputs**2, axis=0) - batch_mean**2",
        "",
    ),
    Bug(
        "lab2_forward_power_and_manual_variance",
        "lab2.batchnorm_forward",
        BN,
        "batch_var = np.mean(centred * centred, axis=0)  # the biased variance, from the centred inputs\n"
        "    # Scale by gamma_j / sqrt(var_j + eps), one number per unit, rather than divide and then\n"
        "    # multiply: fewer passes over the (m, D) array (for speed).\n"
        "    outputs = centred * (gamma / np.sqrt(batch_var + eps))",
        "batch_var = np.mean((inputs - batch_mean) ** 2, axis=0)\n"
        "    outputs = gamma * (inputs - batch_mean) * (batch_var + eps) ** -0.5",
        "",
    ),
    Bug(
        "lab2_backward_compact_formula",
        "lab2.batchnorm_backward",
        BN,
        "    direct = grads_wrt_normalised * inv_std\n"
        "    through_var = grads_wrt_var * (2.0 / m) * centred  # (D,) factors first: one pass over (m, D) (for speed)\n"
        "    through_mean = grads_wrt_mean / m\n"
        "    grads_wrt_inputs = direct + through_var + through_mean\n",
        "    grads_wrt_inputs = inv_std / m * (m * grads_wrt_normalised - grads_wrt_normalised.sum(axis=0)\n"
        "                                      - normalised * np.sum(grads_wrt_normalised * normalised, axis=0))\n",
        "",
    ),
    Bug(
        "lab2_population_with_sums",
        "lab2.population_statistics",
        BN,
        "var = batch_size / (batch_size - 1) * batch_vars.mean(axis=0)",
        "var = np.sum(batch_vars, axis=0) / len(batch_vars) * batch_size / (batch_size - 1)",
        "",
    ),
    Bug(
        "lab2_running_as_a_step_towards_the_batch",
        "lab2.running_statistics",
        BN,
        "* batch_var\n    new_mean = momentum * running_mean + (1 - momentum) * batch_mean\n",
        "* batch_var\n    new_mean = running_mean + (1 - momentum) * (batch_mean - running_mean)\n",
        "",
    ),
    Bug(
        "lab2_fold_shift_from_the_formula",
        "lab2.fold",
        BN,
        "shift = beta - scale * mean",
        "shift = beta - gamma * mean / np.sqrt(var + eps)",
        "",
    ),
    Bug(
        "lab2_modes_evaluation_through_fold",
        "lab2.modes",
        BN,
        "    normalised = (inputs - running_mean) / np.sqrt(running_var + eps)\n"
        "    return gamma * normalised + beta, running_mean, running_var\n",
        "    scale, shift = fold_batchnorm(gamma, beta, running_mean, running_var, eps=eps)\n"
        "    return inputs * scale + shift, running_mean, running_var\n",
        "",
    ),
    Bug(
        "lab2_modes_without_calling_the_other_functions",
        "lab2.modes",
        BN,
        "        outputs, batch_mean, batch_var = batchnorm_forward(inputs, gamma, beta, eps)\n"
        "        new_mean, new_var = update_running_statistics(\n"
        "            running_mean, running_var, batch_mean, batch_var, inputs.shape[0], momentum\n"
        "        )\n",
        "        m = len(inputs)\n"
        "        batch_mean, batch_var = inputs.mean(axis=0), inputs.var(axis=0)\n"
        "        outputs = gamma * (inputs - batch_mean) / np.sqrt(batch_var + eps) + beta\n"
        "        new_mean = momentum * running_mean + (1 - momentum) * batch_mean\n"
        "        new_var = momentum * running_var + (1 - momentum) * batch_var * m / (m - 1)\n",
        "",
    ),
    Bug(
        "lab2_spatial_forward_through_a_reshape",
        "lab2.spatial_forward",
        BN,
        "    mean = inputs.mean(axis=(0, 2, 3), keepdims=True)\n"
        "    var = inputs.var(axis=(0, 2, 3), keepdims=True)\n"
        "    normalised = (inputs - mean) / np.sqrt(var + eps)\n"
        "    outputs = gamma[:, None, None] * normalised + beta[:, None, None]\n"
        "    return outputs, mean.reshape(-1), var.reshape(-1)\n",
        "    n, c, h, w = inputs.shape\n"
        "    flat = inputs.transpose(0, 2, 3, 1).reshape(-1, c)\n"
        "    mean, var = flat.mean(axis=0), flat.var(axis=0)\n"
        "    out = gamma * (flat - mean) / np.sqrt(var + eps) + beta\n"
        "    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), mean, var\n",
        "",
    ),
    Bug(
        "lab2_spatial_backward_in_three_paths",
        "lab2.spatial_backward",
        BN,
        "    grads_wrt_inputs = inv_std / count * (count * grads_wrt_normalised - total - normalised * projection)\n",
        "    centred = inputs - inputs.mean(axis=axes, keepdims=True)\n"
        "    d_var = np.sum(grads_wrt_normalised * centred, axis=axes, keepdims=True) * -0.5 * inv_std**3\n"
        "    d_mean = -total * inv_std + d_var * np.mean(-2 * centred, axis=axes, keepdims=True)\n"
        "    grads_wrt_inputs = grads_wrt_normalised * inv_std + d_var * 2 * centred / count + d_mean / count\n",
        "",
    ),
]

BUGS += [
    Bug(
        "lab2_fold_scale_without_gamma",
        "lab2.fold",
        BN,
        "    scale = gamma / np.sqrt(var + eps)",
        "    scale = 1.0 / np.sqrt(var + eps)",
        "gamma is missing",
    ),
    Bug(
        "lab2_spatial_forward_without_eps",
        "lab2.spatial_forward",
        BN,
        "    normalised = (inputs - mean) / np.sqrt(var + eps)\n    outputs = gamma[:, None, None]",
        "    normalised = (inputs - mean) / np.sqrt(var)\n    outputs = gamma[:, None, None]",
        "eps is missing",
    ),
    Bug(
        "lab2_spatial_backward_beta_gradient_averaged",
        "lab2.spatial_backward",
        BN,
        "    grads_wrt_beta = np.sum(grads_wrt_outputs, axis=axes)",
        "    grads_wrt_beta = np.mean(grads_wrt_outputs, axis=axes)",
        "a mean where a sum is expected",
    ),
]

VARIANTS += [
    Bug(
        "lab2_backward_with_batch_means",
        "lab2.batchnorm_backward",
        BN,
        "    grads_wrt_inputs = direct + through_var + through_mean\n",
        "    grads_wrt_inputs = inv_std * (grads_wrt_normalised - grads_wrt_normalised.mean(axis=0)\n"
        "                                  - normalised * np.mean(grads_wrt_normalised * normalised, axis=0))\n",
        "",
    ),
    Bug(
        "lab2_population_statistics_with_ddof",
        "lab2.population_statistics",
        BN,
        "    var = batch_size / (batch_size - 1) * batch_vars.mean(axis=0)",
        "    var = np.average(batch_vars, axis=0) * (batch_size / (batch_size - 1.0))",
        "",
    ),
    Bug(
        "lab2_running_statistics_as_interpolation",
        "lab2.running_statistics",
        BN,
        "    new_mean = momentum * running_mean + (1 - momentum) * batch_mean\n"
        "    new_var = momentum * running_var + (1 - momentum) * unbiased_var",
        "    new_mean = running_mean + (1 - momentum) * (batch_mean - running_mean)\n"
        "    new_var = running_var + (1 - momentum) * (unbiased_var - running_var)",
        "",
    ),
    Bug(
        "lab2_fold_with_reciprocal_root",
        "lab2.fold",
        BN,
        "    scale = gamma / np.sqrt(var + eps)\n    shift = beta - scale * mean",
        "    inv = (var + eps) ** -0.5\n    scale, shift = gamma * inv, beta - gamma * mean * inv",
        "",
    ),
    Bug(
        "lab2_spatial_forward_with_moved_axis",
        "lab2.spatial_forward",
        BN,
        "    mean = inputs.mean(axis=(0, 2, 3), keepdims=True)\n    var = inputs.var(axis=(0, 2, 3), keepdims=True)\n",
        "    per_channel = np.moveaxis(inputs, 1, 0).reshape(inputs.shape[1], -1)\n"
        "    mean = per_channel.mean(axis=1)[None, :, None, None]\n"
        "    var = per_channel.var(axis=1)[None, :, None, None]\n",
        "",
    ),
    Bug(
        "lab2_spatial_backward_with_einsum",
        "lab2.spatial_backward",
        BN,
        "    grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=axes)",
        "    grads_wrt_gamma = np.einsum('nchw,nchw->c', grads_wrt_outputs, normalised)",
        "",
    ),
]

LN = "mlplab/exercises/layer_norm.py"

BUGS += [
    # ---- 2.9 layer norm forward pass
    Bug(
        "lab2_layernorm_statistics_over_the_batch",
        "lab2.layernorm_forward",
        LN,
        "    mean = inputs.mean(axis=1)\n"
        "    centred = inputs - mean[:, None]\n"
        "    var = np.mean(centred * centred, axis=1)\n"
        "    outputs = centred / np.sqrt(var + eps)[:, None] * gamma + beta\n",
        "    mean = inputs.mean(axis=0)\n"
        "    centred = inputs - mean\n"
        "    var = np.mean(centred * centred, axis=0)\n"
        "    outputs = centred / np.sqrt(var + eps) * gamma + beta\n",
        "as batch norm does",
    ),
    Bug(
        "lab2_layernorm_unbiased_variance",
        "lab2.layernorm_forward",
        LN,
        "var = np.mean(centred * centred, axis=1)",
        "var = np.var(inputs, axis=1, ddof=1)",
        "unbiased variance",
    ),
    Bug(
        "lab2_layernorm_eps_outside_the_square_root",
        "lab2.layernorm_forward",
        LN,
        "outputs = centred / np.sqrt(var + eps)[:, None] * gamma + beta",
        "outputs = centred / (np.sqrt(var) + eps)[:, None] * gamma + beta",
        "inside the square",
    ),
    # ---- 2.10 layer norm backward pass
    Bug(
        "lab2_layernorm_backward_without_the_variance_path",
        "lab2.layernorm_backward",
        LN,
        "(num_units * grads_wrt_normalised - total - normalised * projection)",
        "(num_units * grads_wrt_normalised - total)",
        "variance path",
    ),
    Bug(
        "lab2_layernorm_backward_without_the_mean_path",
        "lab2.layernorm_backward",
        LN,
        "(num_units * grads_wrt_normalised - total - normalised * projection)",
        "(num_units * grads_wrt_normalised - normalised * projection)",
        "mean path",
    ),
    Bug(
        "lab2_layernorm_gamma_gradient_summed_over_the_units",
        "lab2.layernorm_backward",
        LN,
        "grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=0)",
        "grads_wrt_gamma = np.sum(grads_wrt_outputs * normalised, axis=1)",
        "wrong axis",
    ),
]

VARIANTS += [
    Bug(
        "lab2_layernorm_forward_with_keepdims_and_np_var",
        "lab2.layernorm_forward",
        LN,
        "    mean = inputs.mean(axis=1)\n"
        "    centred = inputs - mean[:, None]\n"
        "    var = np.mean(centred * centred, axis=1)\n"
        "    outputs = centred / np.sqrt(var + eps)[:, None] * gamma + beta\n"
        "    return outputs, mean, var\n",
        "    mean = np.mean(inputs, axis=1, keepdims=True)\n"
        "    var = np.var(inputs, axis=1, keepdims=True)\n"
        "    outputs = gamma * (inputs - mean) / np.sqrt(var + eps) + beta\n"
        "    return outputs, mean[:, 0], var[:, 0]\n",
        "",
    ),
    Bug(
        "lab2_layernorm_backward_by_the_three_paths",
        "lab2.layernorm_backward",
        LN,
        "    total = np.sum(grads_wrt_normalised, axis=1, keepdims=True)\n"
        "    projection = np.sum(grads_wrt_normalised * normalised, axis=1, keepdims=True)\n"
        "    grads_wrt_inputs = inv_std / num_units * (num_units * grads_wrt_normalised - total - normalised * projection)\n",
        "    grads_wrt_var = np.sum(grads_wrt_normalised * centred, axis=1, keepdims=True) * -0.5 * inv_std**3\n"
        "    grads_wrt_mean = -np.sum(grads_wrt_normalised, axis=1, keepdims=True) * inv_std\n"
        "    grads_wrt_inputs = (\n"
        "        grads_wrt_normalised * inv_std + grads_wrt_var * 2.0 * centred / num_units + grads_wrt_mean / num_units\n"
        "    )\n",
        "",
    ),
    Bug(
        "lab2_layernorm_forward_with_a_reciprocal_square_root",
        "lab2.layernorm_forward",
        LN,
        "    outputs = centred / np.sqrt(var + eps)[:, None] * gamma + beta\n",
        "    inv_std = (var + eps) ** -0.5\n    outputs = (centred * inv_std[:, None]) * gamma + beta\n",
        "",
    ),
    Bug(
        "lab2_layernorm_backward_with_means_over_the_units",
        "lab2.layernorm_backward",
        LN,
        "    total = np.sum(grads_wrt_normalised, axis=1, keepdims=True)\n"
        "    projection = np.sum(grads_wrt_normalised * normalised, axis=1, keepdims=True)\n"
        "    grads_wrt_inputs = inv_std / num_units * (num_units * grads_wrt_normalised - total - normalised * projection)\n",
        "    mean_grad = grads_wrt_normalised.mean(axis=1, keepdims=True)\n"
        "    mean_projection = (grads_wrt_normalised * normalised).mean(axis=1, keepdims=True)\n"
        "    grads_wrt_inputs = inv_std * (grads_wrt_normalised - mean_grad - normalised * mean_projection)\n",
        "",
    ),
]
