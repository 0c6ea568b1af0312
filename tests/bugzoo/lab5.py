"""Lab 5 bug zoo: student mistakes the checks must catch and name, and correct variants they must accept.

``BUGS``: each must fail exactly its own task, with a message containing ``feedback``.
``VARIANTS``: different but correct implementations (other ways of drawing the
same random numbers, other numpy idioms); each must pass every task.
"""

from __future__ import annotations

from bugzoo import Bug

AE = "mlplab/exercises/autoencoders.py"

BUGS = [
    # ---- 5.1 Gaussian corruption
    Bug(
        "lab5_gaussian_variance_as_std",
        "lab5.gaussian",
        AE,
        "    noise = rng.normal(0.0, std, size=inputs.shape)",
        "    noise = rng.normal(0.0, std**2, size=inputs.shape)",
        "not its variance",
    ),
    Bug(
        "lab5_gaussian_in_place",
        "lab5.gaussian",
        AE,
        "    return (inputs + noise).astype(inputs.dtype)",
        "    inputs += noise.astype(inputs.dtype)\n    return inputs",
        "modified its inputs in place",
    ),
    Bug(
        "lab5_gaussian_global_random_state",
        "lab5.gaussian",
        AE,
        "    noise = rng.normal(0.0, std, size=inputs.shape)",
        "    noise = np.random.normal(0.0, std, size=inputs.shape)",
        "global random state",
    ),
    Bug(
        "lab5_gaussian_one_noise_vector_per_batch",
        "lab5.gaussian",
        AE,
        "    noise = rng.normal(0.0, std, size=inputs.shape)",
        "    noise = rng.normal(0.0, std, size=inputs.shape[1:])",
        "successive examples",
    ),
    # ---- 5.2 masking
    Bug(
        "lab5_masking_keeps_with_probability_q",
        "lab5.masking",
        AE,
        "    keep = rng.random(inputs.shape) >= drop_prob",
        "    keep = rng.random(inputs.shape) < drop_prob",
        "kept with probability q",
    ),
    Bug(
        "lab5_masking_rescales_like_dropout",
        "lab5.masking",
        AE,
        "    return inputs * keep.astype(inputs.dtype)",
        "    return inputs * keep.astype(inputs.dtype) / (1 - drop_prob)",
        "inverted dropout",
    ),
    Bug(
        "lab5_masking_one_mask_for_the_batch",
        "lab5.masking",
        AE,
        "    keep = rng.random(inputs.shape) >= drop_prob",
        "    keep = rng.random(inputs.shape[1:]) >= drop_prob",
        "shared by the examples",
    ),
    Bug(
        "lab5_masking_in_place",
        "lab5.masking",
        AE,
        "    return inputs * keep.astype(inputs.dtype)",
        "    inputs[~keep] = 0\n    return inputs",
        "modified its inputs in place",
    ),
    # ---- 5.3 salt and pepper
    Bug(
        "lab5_salt_and_pepper_one_value_only",
        "lab5.salt_and_pepper",
        AE,
        "    outputs[corrupted] = salt[corrupted].astype(inputs.dtype)",
        "    outputs[corrupted] = 0",
        "only pepper",
    ),
    Bug(
        "lab5_salt_and_pepper_twice_the_fraction",
        "lab5.salt_and_pepper",
        AE,
        "    corrupted = rng.random(inputs.shape) < fraction\n"
        "    salt = rng.random(inputs.shape) < 0.5\n"
        "    outputs = inputs.copy()\n"
        "    outputs[corrupted] = salt[corrupted].astype(inputs.dtype)",
        "    outputs = inputs.copy()\n"
        "    outputs[rng.random(inputs.shape) < fraction] = 0\n"
        "    outputs[rng.random(inputs.shape) < fraction] = 1",
        "2q of the entries",
    ),
    Bug(
        "lab5_salt_and_pepper_global_random_state",
        "lab5.salt_and_pepper",
        AE,
        "    salt = rng.random(inputs.shape) < 0.5",
        "    salt = np.random.random(inputs.shape) < 0.5",
        "global random state",
    ),
    # ---- 5.4 autoencoder
    Bug(
        "lab5_autoencoder_encoder_and_decoder_swapped",
        "lab5.autoencoder",
        AE,
        "    layers = [encoder, hidden(), decoder]",
        "    layers = [decoder, hidden(), encoder]",
        "encoder and decoder are swapped",
    ),
    Bug(
        "lab5_autoencoder_no_output_activation",
        "lab5.autoencoder",
        AE,
        "    if output is not None:\n        layers.append(output())\n",
        "",
        "no output activation",
    ),
    Bug(
        "lab5_autoencoder_decoder_drawn_first",
        "lab5.autoencoder",
        AE,
        "    encoder = AffineLayer(input_dim, code_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    decoder = AffineLayer(code_dim, input_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n",
        "    decoder = AffineLayer(code_dim, input_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    encoder = AffineLayer(input_dim, code_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n",
        "create the encoder's affinelayer first",
    ),
    # ---- 5.5 denoising provider
    Bug(
        "lab5_denoising_pairs_swapped",
        "lab5.denoising_provider",
        AE,
        "                yield self.corruption(inputs, self.rng), inputs",
        "                yield inputs, self.corruption(inputs, self.rng)",
        "pair is swapped",
    ),
    Bug(
        "lab5_denoising_new_generator",
        "lab5.denoising_provider",
        AE,
        "                yield self.corruption(inputs, self.rng), inputs",
        "                yield self.corruption(inputs, np.random.default_rng()), inputs",
        "own generator self.rng",
    ),
    Bug(
        "lab5_denoising_labels_as_targets",
        "lab5.denoising_provider",
        AE,
        "        for inputs, _ in self.provider:\n"
        "            if self.corruption is None:\n"
        "                yield inputs, inputs\n"
        "            else:\n"
        "                yield self.corruption(inputs, self.rng), inputs",
        "        for inputs, targets in self.provider:\n"
        "            if self.corruption is None:\n"
        "                yield inputs, targets\n"
        "            else:\n"
        "                yield self.corruption(inputs, self.rng), targets",
        "not the clean inputs",
    ),
    # ---- 5.6 pretraining
    Bug(
        "lab5_pretrain_every_layer_on_raw_inputs",
        "lab5.pretrain_stack",
        AE,
        "        train(model, data, rng, **train_options)",
        "        train(model, inputs, rng, **train_options)",
        "are the raw inputs",
    ),
    Bug(
        "lab5_pretrain_codes_before_training",
        "lab5.pretrain_stack",
        AE,
        "        train(model, data, rng, **train_options)\n        data = encode(model.layers[:2], data)\n",
        "        codes = encode(model.layers[:2], data)\n"
        "        train(model, data, rng, **train_options)\n"
        "        data = codes\n",
        "computed after training",
    ),
    Bug(
        "lab5_pretrain_options_not_passed",
        "lab5.pretrain_stack",
        AE,
        "        train(model, data, rng, **train_options)",
        "        train(model, data, rng)",
        "were not passed on",
    ),
    Bug(
        "lab5_pretrain_returns_last_only",
        "lab5.pretrain_stack",
        AE,
        "        models.append(model)\n    return models",
        "        models = [model]\n    return models",
        "return every trained autoencoder",
    ),
    # ---- 5.7 pretrained classifier
    Bug(
        "lab5_classifier_shares_arrays",
        "lab5.pretrained_classifier",
        AE,
        "        copy.biases = encoder.biases.copy()",
        "        copy.weights, copy.biases = encoder.weights, encoder.biases",
        "shares parameter arrays",
    ),
    Bug(
        "lab5_classifier_always_sigmoid",
        "lab5.pretrained_classifier",
        AE,
        "        layers += [copy, type(model.layers[1])()]",
        "        layers += [copy, SigmoidLayer()]",
        "of the encoder's own class",
    ),
    Bug(
        "lab5_classifier_output_layer_float64",
        "lab5.pretrained_classifier",
        AE,
        "rng=rng, weights_init=weights_init, dtype=last.weights.dtype)",
        "rng=rng, weights_init=weights_init, dtype=np.float64)",
        "float32 classifier",
    ),
    # ---- 5.8 tied weights
    Bug(
        "lab5_tied_gradient_only_from_decoder",
        "lab5.tied_autoencoder",
        AE,
        "        grads[0] = grads[0] + decoder_share\n",
        "        grads[0] = decoder_share\n",
        "only the decoder's share",
    ),
    Bug(
        "lab5_tied_gradient_only_from_encoder",
        "lab5.tied_autoencoder",
        AE,
        "        grads[0] = grads[0] + decoder_share\n",
        "",
        "only the encoder's share",
    ),
    Bug(
        "lab5_tied_decoder_share_not_transposed",
        "lab5.tied_autoencoder",
        AE,
        "        return inputs.T @ grads_wrt_outputs\n",
        "        return grads_wrt_outputs.T @ inputs\n",
        "transposed",
    ),
    Bug(
        "lab5_tied_decoder_weights_copied",
        "lab5.tied_autoencoder",
        AE,
        "    layers = [encoder, hidden(), TiedDecoderLayer(encoder.weights)]",
        "    layers = [encoder, hidden(), TiedDecoderLayer(encoder.weights.copy())]",
        "not a copy",
    ),
    Bug(
        "lab5_tied_bias_gradient_wrong_axis",
        "lab5.tied_autoencoder",
        AE,
        "        return [grads_wrt_outputs.sum(axis=0)]\n",
        "        return [grads_wrt_outputs.sum(axis=1)]\n",
        "over the batch (axis 0)",
    ),
    Bug(
        "lab5_tied_decoder_returns_weight_gradient_too",
        "lab5.tied_autoencoder",
        AE,
        "        return [grads_wrt_outputs.sum(axis=0)]\n",
        "        return [inputs.T @ grads_wrt_outputs, grads_wrt_outputs.sum(axis=0)]\n",
        "only the decoder's own",
    ),
    Bug(
        "lab5_tied_decoder_forgets_bias",
        "lab5.tied_autoencoder",
        AE,
        "        return inputs @ self.weights + self.biases\n",
        "        return inputs @ self.weights\n",
        "inputs @ W + c",
    ),
    Bug(
        "lab5_classifier_output_layer_unseeded",
        "lab5.pretrained_classifier",
        AE,
        "AffineLayer(last.output_dim, num_classes, rng=rng,",
        "AffineLayer(last.output_dim, num_classes, rng=np.random.default_rng(),",
        "same seed",
    ),
]

VARIANTS = [
    Bug(
        "lab5_gaussian_standard_normal",
        "lab5.gaussian",
        AE,
        "    noise = rng.normal(0.0, std, size=inputs.shape)\n    return (inputs + noise).astype(inputs.dtype)",
        "    return inputs + (std * rng.standard_normal(inputs.shape)).astype(inputs.dtype)",
        "",
    ),
    Bug(
        "lab5_masking_binomial_where",
        "lab5.masking",
        AE,
        "    keep = rng.random(inputs.shape) >= drop_prob\n    return inputs * keep.astype(inputs.dtype)",
        "    drop = rng.binomial(1, drop_prob, size=inputs.shape).astype(bool)\n"
        "    return np.where(drop, 0, inputs).astype(inputs.dtype)",
        "",
    ),
    Bug(
        "lab5_salt_and_pepper_choice",
        "lab5.salt_and_pepper",
        AE,
        "    corrupted = rng.random(inputs.shape) < fraction\n"
        "    salt = rng.random(inputs.shape) < 0.5\n"
        "    outputs = inputs.copy()\n"
        "    outputs[corrupted] = salt[corrupted].astype(inputs.dtype)",
        "    outputs = np.array(inputs, copy=True)\n"
        "    corrupted = rng.uniform(size=inputs.shape) < fraction\n"
        "    outputs[corrupted] = rng.integers(0, 2, size=int(corrupted.sum()))",
        "",
    ),
    Bug(
        "lab5_pretrain_fprop_codes",
        "lab5.pretrain_stack",
        AE,
        "        data = encode(model.layers[:2], data)\n",
        "        data = MultipleLayerModel(model.layers[:2]).fprop(data)[-1]\n",
        "",
    ),
    Bug(
        "lab5_tied_einsum_share",
        "lab5.tied_autoencoder",
        AE,
        "        return inputs.T @ grads_wrt_outputs\n",
        "        return np.einsum('nc,nd->cd', inputs, grads_wrt_outputs)\n",
        "",
    ),
    Bug(
        "lab5_denoising_keywords_and_lists",
        "lab5.denoising_provider",
        AE,
        "                yield inputs, inputs\n"
        "            else:\n"
        "                yield self.corruption(inputs, self.rng), inputs",
        "                yield [inputs.copy(), inputs]\n"
        "            else:\n"
        "                yield [self.corruption(inputs=inputs, rng=self.rng), inputs]",
        "",
    ),
    Bug(
        "lab5_pretrain_by_keyword",
        "lab5.pretrain_stack",
        AE,
        "        model = build(data.shape[1], code_dim, rng)\n        train(model, data, rng, **train_options)",
        "        model = build(input_dim=data.shape[1], code_dim=code_dim, rng=rng)\n"
        "        train(model=model, inputs=data, rng=rng, **train_options)",
        "",
    ),
    Bug(
        "lab5_classifier_copies_after_default_draws",
        "lab5.pretrained_classifier",
        AE,
        "        copy = AffineLayer(\n"
        "            encoder.input_dim,\n"
        "            encoder.output_dim,\n"
        "            rng=rng,\n"
        "            weights_init=lambda shape, _rng, w=encoder.weights: w.copy(),\n"
        "            dtype=encoder.weights.dtype,\n"
        "        )\n"
        "        copy.biases = encoder.biases.copy()",
        "        copy = AffineLayer(encoder.input_dim, encoder.output_dim, rng=rng, dtype=encoder.weights.dtype)\n"
        "        copy.weights = np.array(encoder.weights, copy=True)\n"
        "        copy.biases = np.array(encoder.biases, copy=True)",
        "",
    ),
]

VARIANTS += [
    Bug(
        "lab5_gaussian_noise_in_the_inputs_dtype",
        "lab5.gaussian",
        AE,
        "    noise = rng.normal(0.0, std, size=inputs.shape)\n    return (inputs + noise).astype(inputs.dtype)",
        "    noise = rng.normal(loc=0.0, scale=std, size=inputs.shape).astype(inputs.dtype)\n    return inputs + noise",
        "",
    ),
    Bug(
        "lab5_masking_uniform_by_keyword",
        "lab5.masking",
        AE,
        "    keep = rng.random(inputs.shape) >= drop_prob\n    return inputs * keep.astype(inputs.dtype)",
        "    drop = rng.uniform(low=0.0, high=1.0, size=inputs.shape) < drop_prob\n"
        "    outputs = inputs.copy()\n"
        "    outputs[drop] = 0\n"
        "    return outputs",
        "",
    ),
    Bug(
        "lab5_salt_and_pepper_with_where",
        "lab5.salt_and_pepper",
        AE,
        "    outputs = inputs.copy()\n"
        "    outputs[corrupted] = salt[corrupted].astype(inputs.dtype)\n"
        "    return outputs",
        "    return np.where(corrupted, salt, inputs).astype(inputs.dtype)",
        "",
    ),
    Bug(
        "lab5_autoencoder_by_keyword",
        "lab5.autoencoder",
        AE,
        "    encoder = AffineLayer(input_dim, code_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    decoder = AffineLayer(code_dim, input_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n",
        "    encoder = AffineLayer(input_dim=input_dim, output_dim=code_dim, rng=rng, weights_init=weights_init,\n"
        "                          dtype=dtype)\n"
        "    decoder = AffineLayer(input_dim=code_dim, output_dim=input_dim, rng=rng, weights_init=weights_init,\n"
        "                          dtype=dtype)\n",
        "",
    ),
    Bug(
        "lab5_autoencoder_layers_concatenated",
        "lab5.autoencoder",
        AE,
        "    layers = [encoder, hidden(), decoder]\n    if output is not None:\n        layers.append(output())\n",
        "    layers = [encoder, hidden(), decoder] + ([] if output is None else [output()])\n",
        "",
    ),
    Bug(
        "lab5_tied_decoder_with_dot",
        "lab5.tied_autoencoder",
        AE,
        "        return grads_wrt_outputs @ self.weights.T\n",
        "        return np.dot(grads_wrt_outputs, np.transpose(self.weights))\n",
        "",
    ),
]

VARIANTS += [
    Bug(
        "lab5_denoising_through_a_generator_expression",
        "lab5.denoising_provider",
        AE,
        "        for inputs, _ in self.provider:\n"
        "            if self.corruption is None:\n"
        "                yield inputs, inputs\n"
        "            else:\n"
        "                yield self.corruption(inputs, self.rng), inputs\n",
        "        corrupt = self.corruption or (lambda inputs, rng: inputs)\n"
        "        yield from ((corrupt(batch[0], self.rng), batch[0]) for batch in self.provider)\n",
        "",
    ),
    Bug(
        "lab5_classifier_layers_by_copy_module",
        "lab5.pretrained_classifier",
        AE,
        "        copy.biases = encoder.biases.copy()\n",
        "        copy.biases = np.copy(encoder.biases)\n"
        "        copy.weights = np.array(encoder.weights, dtype=encoder.weights.dtype, copy=True)\n",
        "",
    ),
]

LIN = SUP = AE  # tasks 5.9 and 5.10 live in the autoencoders file too

BUGS += [
    # ---- 5.9 linear autoencoder
    Bug(
        "lab5_linear_error_without_half",
        "lab5.linear_autoencoder",
        LIN,
        "    error = 0.5 * float(np.sum(residuals**2)) / num_examples",
        "    error = float(np.sum(residuals**2)) / num_examples",
        "factor 0.5 is missing",
    ),
    Bug(
        "lab5_linear_error_mean_over_entries",
        "lab5.linear_autoencoder",
        LIN,
        "    error = 0.5 * float(np.sum(residuals**2)) / num_examples",
        "    error = 0.5 * float(np.mean(residuals**2))",
        "averaged over the D entries",
    ),
    Bug(
        "lab5_linear_gradients_not_averaged",
        "lab5.linear_autoencoder",
        LIN,
        "    grads_wrt_outputs = residuals / num_examples",
        "    grads_wrt_outputs = residuals",
        "a sum where a mean is expected",
    ),
    Bug(
        "lab5_linear_decoder_gradient_transposed",
        "lab5.linear_autoencoder",
        LIN,
        "        grads_wrt_outputs.T @ codes,",
        "        codes.T @ grads_wrt_outputs,",
        "transposed",
    ),
    Bug(
        "lab5_linear_residual_sign",
        "lab5.linear_autoencoder",
        LIN,
        "    residuals = codes @ decoder_weights.T + decoder_biases - inputs",
        "    residuals = inputs - (codes @ decoder_weights.T + decoder_biases)",
        "sign is flipped",
    ),
    Bug(
        "lab5_linear_encoder_bias_gradient_averaged",
        "lab5.linear_autoencoder",
        LIN,
        "        grads_wrt_codes.sum(axis=0),",
        "        grads_wrt_codes.mean(axis=0),",
        "a mean where a sum is expected",
    ),
    # ---- 5.10 supervised pretraining
    Bug(
        "lab5_supervised_trains_old_layers_too",
        "lab5.supervised_pretraining",
        SUP,
        "    trainable = [False] * num_old + [True] * (len(new_model.params) - num_old)",
        "    trainable = [True] * len(new_model.params)",
        "old layers are trained too",
    ),
    Bug(
        "lab5_supervised_keeps_old_output_layer",
        "lab5.supervised_pretraining",
        SUP,
        "    last_hidden = model.layers[-3]\n"
        "    new_hidden = AffineLayer(last_hidden.output_dim, hidden_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    new_output = AffineLayer(hidden_dim, old_output.output_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    kept = model.layers[:-1]\n",
        "    last_hidden = model.layers[-1]\n"
        "    new_hidden = AffineLayer(last_hidden.output_dim, hidden_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    new_output = AffineLayer(hidden_dim, old_output.output_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    kept = model.layers\n",
        "still contains the old output layer",
    ),
    Bug(
        "lab5_supervised_new_hidden_frozen",
        "lab5.supervised_pretraining",
        SUP,
        "    trainable = [False] * num_old + [True] * (len(new_model.params) - num_old)",
        "    trainable = [False] * (len(new_model.params) - 2) + [True] * 2",
        "arrays of the new layers are frozen",
    ),
    Bug(
        "lab5_supervised_always_sigmoid",
        "lab5.supervised_pretraining",
        SUP,
        "    new_model = MultipleLayerModel([*kept, new_hidden, type(model.layers[-2])(), new_output])",
        "    new_model = MultipleLayerModel([*kept, new_hidden, SigmoidLayer(), new_output])",
        "class of the last trained one",
    ),
    Bug(
        "lab5_supervised_output_layer_drawn_first",
        "lab5.supervised_pretraining",
        SUP,
        "    new_hidden = AffineLayer(last_hidden.output_dim, hidden_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    new_output = AffineLayer(hidden_dim, old_output.output_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n",
        "    new_output = AffineLayer(hidden_dim, old_output.output_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n"
        "    new_hidden = AffineLayer(last_hidden.output_dim, hidden_dim, rng=rng, weights_init=weights_init, dtype=dtype)\n",
        "create the new hidden affine layer first",
    ),
    Bug(
        "lab5_supervised_forgets_to_fine_tune",
        "lab5.supervised_pretraining",
        SUP,
        "        train(model, new_only)\n    everything = [True] * len(model.params)\n    train(model, everything)\n",
        "        train(model, new_only)\n",
        "fine-tune the whole network",
    ),
    Bug(
        "lab5_supervised_fine_tunes_new_weights_only",
        "lab5.supervised_pretraining",
        SUP,
        "        train(model, new_only)\n    everything = [True] * len(model.params)\n    train(model, everything)\n",
        "        train(model, new_only)\n    train(model, new_only)\n",
        "fine-tuning trains every weight",
    ),
    Bug(
        "lab5_supervised_trains_old_layers_only",
        "lab5.supervised_pretraining",
        SUP,
        "    trainable = [False] * num_old + [True] * (len(new_model.params) - num_old)",
        "    trainable = [True] * num_old + [False] * (len(new_model.params) - num_old)",
        "arrays of the new layers are frozen",
    ),
]

VARIANTS += [
    Bug(
        "lab5_linear_with_einsum",
        "lab5.linear_autoencoder",
        LIN,
        "    return error, [\n"
        "        grads_wrt_codes.T @ inputs,\n"
        "        grads_wrt_codes.sum(axis=0),\n"
        "        grads_wrt_outputs.T @ codes,\n"
        "        grads_wrt_outputs.sum(axis=0),\n"
        "    ]\n",
        "    grad_w = np.einsum('nk,nd->kd', grads_wrt_codes, inputs)\n"
        "    grad_v = np.einsum('nd,nk->dk', grads_wrt_outputs, codes)\n"
        "    return error, [grad_w, np.sum(grads_wrt_codes, axis=0), grad_v, np.sum(grads_wrt_outputs, axis=0)]\n",
        "",
    ),
    Bug(
        "lab5_linear_error_from_the_norm",
        "lab5.linear_autoencoder",
        LIN,
        "    error = 0.5 * float(np.sum(residuals**2)) / num_examples",
        "    error = 0.5 * np.mean(np.linalg.norm(residuals, axis=1) ** 2)",
        "",
    ),
    Bug(
        "lab5_supervised_trainable_by_identity",
        "lab5.supervised_pretraining",
        SUP,
        "    num_old = len(MultipleLayerModel(kept).params)\n"
        "    trainable = [False] * num_old + [True] * (len(new_model.params) - num_old)\n",
        "    old = {id(p) for p in model.params}\n    trainable = [id(p) not in old for p in new_model.params]\n",
        "",
    ),
    Bug(
        "lab5_supervised_layers_by_list_operations",
        "lab5.supervised_pretraining",
        SUP,
        "    new_model = MultipleLayerModel([*kept, new_hidden, type(model.layers[-2])(), new_output])",
        "    activation = model.layers[len(model.layers) - 2].__class__()\n"
        "    new_model = MultipleLayerModel(list(kept) + [new_hidden, activation, new_output])",
        "",
    ),
]
