"""Lab 4 bug zoo: student mistakes the checks must catch and name, and correct variants they must accept.

``BUGS``: each must fail exactly its own task, with a message containing ``feedback``.
``VARIANTS``: different but correct implementations; each must pass every task.
"""

from __future__ import annotations

from bugzoo import Bug

BAG = "mlplab/exercises/bagging.py"

_BOOTSTRAP = "    return rng.integers(0, num_examples, size=num_examples).astype(np.int64)"
_TANH_GRAD = "    grads_wrt_activations = -2.0 * (t - y) * 0.5 * (1.0 - tanh_a**2) / len(t)"
_BIAS_VARIANCE = "    variance = np.mean((mismatches - bias) ** 2)\n    return float(np.mean(mismatches**2)), float(variance), float(bias**2)"

BUGS = [
    # ---- 4.1 bootstrap
    Bug(
        "lab4_bootstrap_without_replacement",
        "lab4.bootstrap",
        BAG,
        _BOOTSTRAP,
        "    return rng.permutation(num_examples)",
        "without replacement",
    ),
    Bug(
        "lab4_bootstrap_last_index_never_drawn",
        "lab4.bootstrap",
        BAG,
        _BOOTSTRAP,
        "    return rng.integers(0, num_examples - 1, size=num_examples).astype(np.int64)",
        "never drawn",
    ),
    Bug(
        "lab4_bootstrap_half_size",
        "lab4.bootstrap",
        BAG,
        _BOOTSTRAP,
        "    return rng.integers(0, num_examples, size=num_examples // 2).astype(np.int64)",
        "as many draws as the data set has examples",
    ),
    Bug(
        "lab4_bootstrap_global_random_state",
        "lab4.bootstrap",
        BAG,
        _BOOTSTRAP,
        "    return np.random.randint(0, num_examples, size=num_examples).astype(np.int64)",
        "global random state",
    ),
    Bug(
        "lab4_out_of_bag_mask_inverted",
        "lab4.bootstrap",
        BAG,
        "    mask = np.ones(num_examples, dtype=bool)\n    mask[np.asarray(indices, dtype=np.int64)] = False",
        "    mask = np.zeros(num_examples, dtype=bool)\n    mask[np.asarray(indices, dtype=np.int64)] = True",
        "the mask is inverted",
    ),
    # ---- 4.2 tanh perceptron
    Bug(
        "lab4_perceptron_theta_added",
        "lab4.tanh_perceptron",
        BAG,
        "    activations = np.asarray(inputs, dtype=np.float64) @ np.asarray(weights, dtype=np.float64) - theta",
        "    activations = np.asarray(inputs, dtype=np.float64) @ np.asarray(weights, dtype=np.float64) + theta",
        "theta enters with the wrong sign",
    ),
    Bug(
        "lab4_perceptron_grad_missing_half",
        "lab4.tanh_perceptron",
        BAG,
        _TANH_GRAD,
        "    grads_wrt_activations = -2.0 * (t - y) * (1.0 - tanh_a**2) / len(t)",
        "factor 0.5",
    ),
    Bug(
        "lab4_perceptron_grad_missing_tanh_derivative",
        "lab4.tanh_perceptron",
        BAG,
        _TANH_GRAD,
        "    grads_wrt_activations = -2.0 * (t - y) * 0.5 / len(t)",
        "derivative of tanh",
    ),
    Bug(
        "lab4_perceptron_grad_theta_sign",
        "lab4.tanh_perceptron",
        BAG,
        "    return grads_wrt_activations @ x, float(-grads_wrt_activations.sum())",
        "    return grads_wrt_activations @ x, float(grads_wrt_activations.sum())",
        "dE/dtheta has the wrong sign",
    ),
    # ---- 4.3 bagged ensemble
    Bug(
        "lab4_bag_same_sample_for_every_model",
        "lab4.bag_models",
        BAG,
        "    models, samples = [], []\n    for _ in range(num_models):\n"
        "        sample = bootstrap_indices(num_examples, rng)\n",
        "    models, samples = [], []\n    sample = bootstrap_indices(num_examples, rng)\n"
        "    for _ in range(num_models):\n",
        "trained on the same sample",
    ),
    Bug(
        "lab4_bag_trains_on_all_data",
        "lab4.bag_models",
        BAG,
        "        models.append(train(inputs[sample], targets[sample], rng))",
        "        models.append(train(inputs, targets, rng))",
        "inputs[samples[k]]",
    ),
    Bug(
        "lab4_bag_new_generator_for_training",
        "lab4.bag_models",
        BAG,
        "        models.append(train(inputs[sample], targets[sample], rng))",
        "        models.append(train(inputs[sample], targets[sample], np.random.default_rng()))",
        "did not pass its generator rng to train",
    ),
    Bug(
        "lab4_bagged_predictions_averaged",
        "lab4.bag_models",
        BAG,
        "    return np.stack([np.asarray(model(inputs), dtype=np.float64) for model in models])",
        "    return np.mean([np.asarray(model(inputs), dtype=np.float64) for model in models], axis=0)",
        "not their average",
    ),
    # ---- 4.4 bias-variance decomposition
    Bug(
        "lab4_variance_around_the_target",
        "lab4.bias_variance",
        BAG,
        _BIAS_VARIANCE,
        "    variance = np.mean(mismatches ** 2)\n"
        "    return float(np.mean(mismatches**2)), float(variance), float(bias**2)",
        "computed around the target",
    ),
    Bug(
        "lab4_bias_not_squared",
        "lab4.bias_variance",
        BAG,
        _BIAS_VARIANCE,
        "    variance = np.mean((mismatches - bias) ** 2)\n"
        "    return float(np.mean(mismatches**2)), float(variance), float(bias)",
        "not squared",
    ),
    Bug(
        "lab4_variance_unbiased_estimate",
        "lab4.bias_variance",
        BAG,
        _BIAS_VARIANCE,
        "    variance = np.var(mismatches, ddof=1)\n"
        "    return float(np.mean(mismatches**2)), float(variance), float(bias**2)",
        "unbiased (n - 1)",
    ),
    Bug(
        "lab4_variance_around_each_members_mean",
        "lab4.bias_variance",
        BAG,
        _BIAS_VARIANCE,
        "    variance = np.mean((mismatches - mismatches.mean(axis=1, keepdims=True)) ** 2)\n"
        "    return float(np.mean(mismatches**2)), float(variance), float(bias**2)",
        "one common mean d",
    ),
    # ---- 4.5 bagged error terms
    Bug(
        "lab4_bagged_error_averages_errors",
        "lab4.bagged_error_terms",
        BAG,
        "    bagged_error = np.mean((t - y.mean(axis=0)) ** 2)",
        "    bagged_error = np.mean((t - y) ** 2)",
        "errors are averaged instead of their predictions",
    ),
    Bug(
        "lab4_cross_term_divided_by_pairs",
        "lab4.bagged_error_terms",
        BAG,
        "    cross = np.mean(total**2 - np.sum(shifted**2, axis=0)) / num_models**2",
        "    cross = np.mean(total**2 - np.sum(shifted**2, axis=0)) / (num_models * (num_models - 1))",
        "K (K - 1) instead of K^2",
    ),
    Bug(
        "lab4_cross_term_includes_diagonal",
        "lab4.bagged_error_terms",
        BAG,
        "    cross = np.mean(total**2 - np.sum(shifted**2, axis=0)) / num_models**2",
        "    cross = np.mean(total**2) / num_models**2",
        "terms with k = m are included",
    ),
    Bug(
        "lab4_cross_term_wrong_sign",
        "lab4.bagged_error_terms",
        BAG,
        "    cross = np.mean(total**2 - np.sum(shifted**2, axis=0)) / num_models**2",
        "    cross = np.mean(np.sum(shifted**2, axis=0) - total**2) / num_models**2",
        "wrong sign",
    ),
    Bug(
        "lab4_variance_term_not_divided_by_k",
        "lab4.bagged_error_terms",
        BAG,
        "    return float(bagged_error), float(variance / num_models), float(bias**2), float(cross)",
        "    return float(bagged_error), float(variance), float(bias**2), float(cross)",
        "instead of V/K",
    ),
    # ---- 4.6 error correlations
    Bug(
        "lab4_correlations_centred_per_member",
        "lab4.error_correlations",
        BAG,
        "    shifted = mismatches - mismatches.mean()\n    products",
        "    shifted = mismatches - mismatches.mean(axis=1, keepdims=True)\n    products",
        "one common mean d",
    ),
    Bug(
        "lab4_correlations_not_normalised",
        "lab4.error_correlations",
        BAG,
        "    correlations = products / np.outer(scale, scale)\n    np.fill_diagonal(correlations, 1.0)",
        "    correlations = products",
        "divide c_km by sqrt",
    ),
    # ---- 4.7 combination rules
    Bug(
        "lab4_geometric_mean_not_renormalised",
        "lab4.combine",
        BAG,
        "        return unnormalised / unnormalised.sum(axis=-1, keepdims=True)",
        "        return np.exp(log_mean)",
        "not renormalised",
    ),
    Bug(
        "lab4_vote_counts_probabilities",
        "lab4.combine",
        BAG,
        "        return votes.sum(axis=0) / num_models",
        "        return p.mean(axis=0)",
        "one vote per member",
    ),
    Bug(
        "lab4_geometric_is_arithmetic",
        "lab4.combine",
        BAG,
        "        log_mean = np.log(p).mean(axis=0)",
        "        log_mean = np.log(p.mean(axis=0))",
        "the rule 'mean'",
    ),
]

VARIANTS = [
    Bug(
        "lab4_bootstrap_with_choice",
        "lab4.bootstrap",
        BAG,
        _BOOTSTRAP,
        "    return rng.choice(num_examples, size=num_examples, replace=True)",
        "",
    ),
    Bug(
        "lab4_out_of_bag_with_isin",
        "lab4.bootstrap",
        BAG,
        "    mask = np.ones(num_examples, dtype=bool)\n    mask[np.asarray(indices, dtype=np.int64)] = False",
        "    mask = ~np.isin(np.arange(num_examples), indices)",
        "",
    ),
    Bug(
        "lab4_bias_variance_with_np_var",
        "lab4.bias_variance",
        BAG,
        _BIAS_VARIANCE,
        "    variance = np.var(mismatches)\n    return float(np.mean(mismatches**2)), float(variance), float(bias**2)",
        "",
    ),
    Bug(
        "lab4_cross_term_as_a_double_loop",
        "lab4.bagged_error_terms",
        BAG,
        "    cross = np.mean(total**2 - np.sum(shifted**2, axis=0)) / num_models**2",
        "    cross = sum(np.mean(shifted[k] * shifted[m]) for k in range(num_models)\n"
        "                for m in range(num_models) if m != k) / num_models**2",
        "",
    ),
    Bug(
        "lab4_bag_models_by_keyword",
        "lab4.bag_models",
        BAG,
        "        sample = bootstrap_indices(num_examples, rng)\n"
        "        models.append(train(inputs[sample], targets[sample], rng))",
        "        sample = bootstrap_indices(num_examples=num_examples, rng=rng)\n"
        "        models.append(train(inputs=inputs[sample], targets=targets[sample], rng=rng))",
        "",
    ),
]

BUGS += [
    Bug(
        "lab4_correlations_of_uncentred_mismatches",
        "lab4.error_correlations",
        BAG,
        "    shifted = mismatches - mismatches.mean()\n    products",
        "    shifted = mismatches\n    products",
        "shift every mismatch by the common mean d",
    ),
]

VARIANTS += [
    Bug(
        "lab4_tanh_perceptron_with_einsum",
        "lab4.tanh_perceptron",
        BAG,
        "    return grads_wrt_activations @ x, float(-grads_wrt_activations.sum())",
        "    return np.einsum('n,nd->d', grads_wrt_activations, x), -float(np.sum(grads_wrt_activations))",
        "",
    ),
    Bug(
        "lab4_tanh_perceptron_from_the_output",
        "lab4.tanh_perceptron",
        BAG,
        "    grads_wrt_activations = -2.0 * (t - y) * 0.5 * (1.0 - tanh_a**2) / len(t)",
        "    grads_wrt_activations = (y - t) * 4.0 * y * (1.0 - y) / t.shape[0]",
        "",
    ),
    Bug(
        "lab4_bag_models_samples_preallocated",
        "lab4.bag_models",
        BAG,
        "    models, samples = [], []\n"
        "    for _ in range(num_models):\n"
        "        sample = bootstrap_indices(num_examples, rng)\n"
        "        models.append(train(inputs[sample], targets[sample], rng))\n"
        "        samples.append(sample)\n"
        "    return models, np.stack(samples).astype(np.int64)",
        "    models, samples = [], np.zeros((num_models, num_examples), dtype=np.int64)\n"
        "    for k in range(num_models):\n"
        "        samples[k] = bootstrap_indices(num_examples, rng)\n"
        "        models.append(train(inputs[samples[k]], targets[samples[k]], rng))\n"
        "    return models, samples",
        "",
    ),
    Bug(
        "lab4_bias_variance_with_var",
        "lab4.bias_variance",
        BAG,
        "    variance = np.mean((mismatches - bias) ** 2)\n    return float(np.mean(mismatches**2)), float(variance), float(bias**2)",
        "    return float(np.mean(np.square(mismatches))), float(np.var(mismatches)), float(bias) ** 2",
        "",
    ),
    Bug(
        "lab4_cross_term_from_pairs",
        "lab4.bagged_error_terms",
        BAG,
        "    total = shifted.sum(axis=0)\n    cross = np.mean(total**2 - np.sum(shifted**2, axis=0)) / num_models**2",
        "    products = shifted @ shifted.T / shifted.shape[1]\n"
        "    cross = (products.sum() - np.trace(products)) / num_models**2",
        "",
    ),
    Bug(
        "lab4_correlations_with_einsum",
        "lab4.error_correlations",
        BAG,
        "    products = shifted @ shifted.T / shifted.shape[1]",
        "    products = np.einsum('kn,mn->km', shifted, shifted) / shifted.shape[1]",
        "",
    ),
    Bug(
        "lab4_correlations_normalised_by_rows",
        "lab4.error_correlations",
        BAG,
        "    correlations = products / np.outer(scale, scale)",
        "    correlations = products / scale[:, None] / scale[None, :]",
        "",
    ),
    Bug(
        "lab4_combine_mean_by_sum",
        "lab4.combine",
        BAG,
        "        return p.mean(axis=0)",
        "        return p.sum(axis=0) / len(p)",
        "",
    ),
    Bug(
        "lab4_combine_geometric_without_the_shift",
        "lab4.combine",
        BAG,
        "        unnormalised = np.exp(log_mean - log_mean.max(axis=-1, keepdims=True))",
        "        unnormalised = np.prod(p, axis=0) ** (1.0 / len(p))",
        "",
    ),
]
