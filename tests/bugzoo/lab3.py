"""Lab 3 bug zoo: student mistakes the checks must catch and name, and correct variants they must accept.

``BUGS``: each must fail exactly its own task, with a message containing ``feedback``.
``VARIANTS``: different but correct implementations (other ways of drawing the
same random numbers, other numpy idioms); each must pass every task. They guard
against checks that only accept the reference's way of drawing random numbers.
"""

from __future__ import annotations

from bugzoo import Bug

DROP = "mlplab/exercises/dropout.py"
MAXOUT = "mlplab/exercises/maxout.py"
AUG = "mlplab/exercises/augmentation.py"

_MAXOUT_BPROP = (
    "        groups = inputs.reshape(batch_size, dim // self.pool_size, self.pool_size)\n"
    "        winners = np.argmax(groups, axis=2)\n"
    "        grads = np.zeros(groups.shape, dtype=grads_wrt_outputs.dtype)\n"
    "        np.put_along_axis(grads, winners[:, :, None], grads_wrt_outputs[:, :, None], axis=2)\n"
)
_ROTATION_LOOP = (
    "    out = np.empty_like(images)\n"
    "    for n, angle in enumerate(angles):\n"
    '        out[n] = ndimage.rotate(images[n], angle, reshape=False, order=1, mode="constant", cval=0.0)\n'
)
_ELASTIC_FIELDS = (
    '        dy = alpha * ndimage.gaussian_filter(rng.uniform(-1.0, 1.0, (height, width)), sigma, mode="constant")\n'
    '        dx = alpha * ndimage.gaussian_filter(rng.uniform(-1.0, 1.0, (height, width)), sigma, mode="constant")\n'
)
_PROVIDER_LOOP = (
    "        for inputs, targets in self.provider:\n"
    "            images = inputs.reshape((inputs.shape[0], *self.image_shape))\n"
)

BUGS = [
    # ---- 3.1 dropout
    Bug(
        "lab3_dropout_mask_redrawn_in_bprop",
        "lab3.dropout",
        DROP,
        "            return grads_wrt_outputs * self.mask / self.incl_prob",
        "            redrawn = self.rng.random(grads_wrt_outputs.shape) < self.incl_prob\n"
        "            return grads_wrt_outputs * redrawn / self.incl_prob",
        "draws a new mask",
    ),
    Bug(
        "lab3_dropout_no_rescaling",
        "lab3.dropout",
        DROP,
        "            return inputs * self.mask / self.incl_prob",
        "            return inputs * self.mask",
        "kept units are not rescaled",
    ),
    Bug(
        "lab3_dropout_scales_by_one_minus_p",
        "lab3.dropout",
        DROP,
        "            return inputs * self.mask / self.incl_prob",
        "            return inputs * self.mask / (1 - self.incl_prob)",
        "divided by 1 - p",
    ),
    Bug(
        "lab3_dropout_active_in_eval_mode",
        "lab3.dropout",
        DROP,
        "        if not self.training:\n"
        "            return inputs * 1.0 if self.inverted else inputs * self.incl_prob\n",
        "",
        "still active in evaluation mode",
    ),
    Bug(
        "lab3_dropout_one_mask_for_the_batch",
        "lab3.dropout",
        DROP,
        "        self.mask = self.rng.random(inputs.shape) < self.incl_prob",
        "        row = self.rng.random((1, inputs.shape[1])) < self.incl_prob\n"
        "        self.mask = np.repeat(row, inputs.shape[0], axis=0)",
        "one mask is shared by the whole batch",
    ),
    Bug(
        "lab3_dropout_keep_probability_used_as_drop_probability",
        "lab3.dropout",
        DROP,
        "        self.mask = self.rng.random(inputs.shape) < self.incl_prob",
        "        self.mask = self.rng.random(inputs.shape) > self.incl_prob",
        "kept with probability 1 - p",
    ),
    Bug(
        "lab3_dropout_weight_scaling_forgotten_at_test_time",
        "lab3.dropout",
        DROP,
        "            return inputs * 1.0 if self.inverted else inputs * self.incl_prob",
        "            return inputs * 1.0",
        "multiplied by p at test time",
    ),
    Bug(
        "lab3_dropout_mask_drawn_once",
        "lab3.dropout",
        DROP,
        "        self.mask = self.rng.random(inputs.shape) < self.incl_prob",
        "        if self.mask is None or self.mask.shape != inputs.shape:\n"
        "            self.mask = self.rng.random(inputs.shape) < self.incl_prob",
        "drawn once and reused",
    ),
    # ---- 3.2 DropConnect
    Bug(
        "lab3_dropconnect_drops_input_units",
        "lab3.dropconnect",
        DROP,
        "        self.mask = self.rng.random((inputs.shape[0], self.output_dim, self.input_dim)) < self.incl_prob",
        "        units = self.rng.random((inputs.shape[0], 1, self.input_dim)) < self.incl_prob\n"
        "        self.mask = np.repeat(units, self.output_dim, axis=1)",
        "dropout on the inputs",
    ),
    Bug(
        "lab3_dropconnect_weight_gradient_ignores_the_mask",
        "lab3.dropconnect",
        DROP,
        '        grads_wrt_weights = np.einsum("no,ni,noi->oi", grads_wrt_outputs, inputs, self.mask) / self.incl_prob',
        "        grads_wrt_weights = grads_wrt_outputs.T @ inputs",
        "gets no gradient from it",
    ),
    Bug(
        "lab3_dropconnect_mask_redrawn_in_bprop",
        "lab3.dropconnect",
        DROP,
        '        return np.einsum("noi,no->ni", masked_weights, grads_wrt_outputs) / self.incl_prob',
        "        redrawn = self.rng.random(self.mask.shape) < self.incl_prob\n"
        '        return np.einsum("noi,no->ni", redrawn * self.weights, grads_wrt_outputs) / self.incl_prob',
        "draws new masks",
    ),
    # ---- 3.3 annealed dropout
    Bug(
        "lab3_annealed_inclusion_probability_to_zero",
        "lab3.annealed_dropout",
        DROP,
        "    return float(1.0 - drop_rate)",
        "    return float(p0 * max(0.0, 1.0 - epoch / num_anneal_epochs))",
        "drop rate 1 - p that is annealed",
    ),
    Bug(
        "lab3_annealed_drop_rate_not_clamped",
        "lab3.annealed_dropout",
        DROP,
        "max(0.0, 1.0 - epoch / num_anneal_epochs)",
        "(1.0 - epoch / num_anneal_epochs)",
        "exceeds 1",
    ),
    Bug(
        "lab3_annealed_schedule_one_epoch_ahead",
        "lab3.annealed_dropout",
        DROP,
        "max(0.0, 1.0 - epoch / num_anneal_epochs)",
        "max(0.0, 1.0 - (epoch + 1) / num_anneal_epochs)",
        "one epoch ahead",
    ),
    # ---- 3.4 maxout
    Bug(
        "lab3_maxout_gradient_to_the_whole_group",
        "lab3.maxout",
        MAXOUT,
        _MAXOUT_BPROP + "        return grads.reshape(batch_size, dim)",
        "        return np.repeat(grads_wrt_outputs, self.pool_size, axis=1)",
        "every unit of a group received",
    ),
    Bug(
        "lab3_maxout_groups_of_strided_units",
        "lab3.maxout",
        MAXOUT,
        "        return inputs.reshape(batch_size, dim // self.pool_size, self.pool_size).max(axis=2)",
        "        return inputs.reshape(batch_size, self.pool_size, dim // self.pool_size).max(axis=1)",
        "k consecutive units",
    ),
    Bug(
        "lab3_maxout_argmax_over_the_wrong_axis",
        "lab3.maxout",
        MAXOUT,
        _MAXOUT_BPROP,
        "        groups = inputs.reshape(batch_size, self.pool_size, dim // self.pool_size)\n"
        "        winners = np.argmax(groups, axis=1)\n"
        "        grads = np.zeros(groups.shape, dtype=grads_wrt_outputs.dtype)\n"
        "        np.put_along_axis(grads, winners[:, None, :], grads_wrt_outputs[:, None, :], axis=1)\n",
        "not the maximum of their group",
    ),
    Bug(
        "lab3_maxout_ties_all_get_the_gradient",
        "lab3.maxout",
        MAXOUT,
        _MAXOUT_BPROP,
        "        groups = inputs.reshape(batch_size, dim // self.pool_size, self.pool_size)\n"
        "        is_max = groups == groups.max(axis=2, keepdims=True)\n"
        "        grads = is_max * grads_wrt_outputs[:, :, None]\n",
        "tie for the maximum",
    ),
    Bug(
        "lab3_maxout_unclear_shape_error",
        "lab3.maxout",
        MAXOUT,
        "        if inputs.ndim != 2 or inputs.shape[1] % self.pool_size != 0:",
        "        if inputs.ndim != 2:",
        "must name the number of units",
    ),
    # ---- 3.5 shifts
    Bug(
        "lab3_shift_wraps_around",
        "lab3.random_shift",
        AUG,
        "        out[n] = padded[n, m - dy : m - dy + height, m - dx : m - dx + width]",
        "        out[n] = np.roll(images[n], (dy, dx), axis=(0, 1))",
        "np.roll wraps around",
    ),
    Bug(
        "lab3_shift_upper_bound_excluded",
        "lab3.random_shift",
        AUG,
        "shifts = rng.integers(-m, m + 1, size=(num, 2))",
        "shifts = rng.integers(-m, m, size=(num, 2))",
        "rng.integers(low, high) excludes",
    ),
    Bug(
        "lab3_shift_one_offset_for_the_batch",
        "lab3.random_shift",
        AUG,
        "shifts = rng.integers(-m, m + 1, size=(num, 2))",
        "shifts = np.repeat(rng.integers(-m, m + 1, size=(1, 2)), num, axis=0)",
        "one offset for the whole batch",
    ),
    # ---- 3.6 rotations
    Bug(
        "lab3_rotation_changes_the_image_size",
        "lab3.random_rotation",
        AUG,
        "rotate(images[n], angle, reshape=False, order=1,",
        "rotate(images[n], angle, order=1,",
        "reshape=false",
    ),
    Bug(
        "lab3_rotation_angle_in_radians",
        "lab3.random_rotation",
        AUG,
        "angles = rng.uniform(-max_degrees, max_degrees, size=len(images))",
        "angles = np.deg2rad(rng.uniform(-max_degrees, max_degrees, size=len(images)))",
        "converted to radians",
    ),
    Bug(
        "lab3_rotation_one_angle_for_the_batch",
        "lab3.random_rotation",
        AUG,
        _ROTATION_LOOP + "    return out",
        '    return ndimage.rotate(images, angles[0], axes=(1, 2), reshape=False, order=1, mode="constant")',
        "every image was turned by the same angle",
    ),
    # ---- 3.7 pixel noise
    Bug(
        "lab3_noise_not_clipped",
        "lab3.pixel_noise",
        AUG,
        "return np.clip(images + noise, 0.0, 1.0).astype(images.dtype)",
        "return (images + noise).astype(images.dtype)",
        "not clipped",
    ),
    Bug(
        "lab3_noise_variance_used_as_std",
        "lab3.pixel_noise",
        AUG,
        "noise = rng.normal(0.0, std, size=images.shape)",
        "noise = rng.normal(0.0, std**2, size=images.shape)",
        "variance std**2 was passed",
    ),
    Bug(
        "lab3_noise_same_for_every_image",
        "lab3.pixel_noise",
        AUG,
        "noise = rng.normal(0.0, std, size=images.shape)",
        "noise = rng.normal(0.0, std, size=images.shape[1:])",
        "every image of the batch got the same noise",
    ),
    Bug(
        "lab3_noise_returns_float64",
        "lab3.pixel_noise",
        AUG,
        "return np.clip(images + noise, 0.0, 1.0).astype(images.dtype)",
        "return np.clip(images + noise, 0.0, 1.0)",
        "astype(images.dtype)",
    ),
    # ---- 3.8 elastic deformation
    Bug(
        "lab3_elastic_one_field_for_both_directions",
        "lab3.elastic_deformation",
        AUG,
        _ELASTIC_FIELDS,
        '        dy = alpha * ndimage.gaussian_filter(rng.uniform(-1.0, 1.0, (height, width)), sigma, mode="constant")\n'
        "        dx = dy\n",
        "one random field used for both",
    ),
    Bug(
        "lab3_elastic_fields_not_smoothed",
        "lab3.elastic_deformation",
        AUG,
        _ELASTIC_FIELDS,
        "        dy = alpha * rng.uniform(-1.0, 1.0, (height, width))\n"
        "        dx = alpha * rng.uniform(-1.0, 1.0, (height, width))\n",
        "must be smoothed",
    ),
    Bug(
        "lab3_elastic_one_field_for_the_batch",
        "lab3.elastic_deformation",
        AUG,
        "    out = np.empty_like(images)\n    for n in range(num):\n" + _ELASTIC_FIELDS,
        "    out = np.empty_like(images)\n"
        + _ELASTIC_FIELDS.replace("        ", "    ")
        + "    for n in range(num):\n",
        "one displacement field for the whole batch",
    ),
    # ---- 3.9 augmented provider
    Bug(
        "lab3_provider_iterates_the_data_twice",
        "lab3.augmented_provider",
        AUG,
        _PROVIDER_LOOP,
        "        all_targets = [targets for _, targets in self.provider]\n"
        "        for (inputs, _), targets in zip(self.provider, all_targets):\n"
        "            images = inputs.reshape((inputs.shape[0], *self.image_shape))\n",
        "do not belong to their inputs",
    ),
    Bug(
        "lab3_provider_yields_images_not_rows",
        "lab3.augmented_provider",
        AUG,
        "            yield np.asarray(images).reshape(inputs.shape).astype(inputs.dtype, copy=False), targets",
        "            yield images, targets",
        "reshape the augmented images back",
    ),
    Bug(
        "lab3_provider_calls_augmentation_with_generator_keyword",
        "lab3.augmented_provider",
        AUG,
        "                images = augmentation(images, self.rng)",
        "                images = augmentation(images, generator=self.rng)",
        "called an augmentation (images, rng) -> images with arguments that do not fit",
    ),
    Bug(
        "lab3_rotation_whole_degrees",
        "lab3.random_rotation",
        AUG,
        "    angles = rng.uniform(-max_degrees, max_degrees, size=len(images))",
        "    angles = rng.integers(-int(max_degrees), int(max_degrees), size=len(images), endpoint=True)",
        "drawn as integers",
    ),
]

VARIANTS = [
    Bug(
        "lab3_dropout_binomial_float_mask",
        "lab3.dropout",
        DROP,
        "        self.mask = self.rng.random(inputs.shape) < self.incl_prob",
        "        self.mask = self.rng.binomial(1, self.incl_prob, size=inputs.shape).astype(inputs.dtype)",
        "",
    ),
    Bug(
        "lab3_dropout_inverted_via_scaled_mask",
        "lab3.dropout",
        DROP,
        "            return inputs * self.mask / self.incl_prob",
        "            return inputs * (self.mask / np.asarray(self.incl_prob, dtype=inputs.dtype))",
        "",
    ),
    Bug(
        "lab3_dropconnect_matmul_and_uniform",
        "lab3.dropconnect",
        DROP,
        "        self.mask = self.rng.random((inputs.shape[0], self.output_dim, self.input_dim)) < self.incl_prob\n"
        "        masked_weights = self.mask * self.weights\n"
        '        outputs = np.einsum("noi,ni->no", masked_weights, inputs) / self.incl_prob',
        "        draws = self.rng.uniform(0.0, 1.0, (inputs.shape[0], self.output_dim, self.input_dim))\n"
        "        self.mask = draws < self.incl_prob\n"
        "        outputs = (self.mask * (self.weights / self.incl_prob) @ inputs[:, :, None])[:, :, 0]",
        "",
    ),
    Bug(
        "lab3_maxout_bprop_by_comparison_with_argmax",
        "lab3.maxout",
        MAXOUT,
        _MAXOUT_BPROP,
        "        groups = inputs.reshape(batch_size, dim // self.pool_size, self.pool_size)\n"
        "        first = np.arange(self.pool_size) == np.argmax(groups, axis=-1)[..., None]\n"
        "        grads = (first * grads_wrt_outputs[..., None]).astype(grads_wrt_outputs.dtype)\n",
        "",
    ),
    Bug(
        "lab3_shift_with_ndimage_and_two_draws",
        "lab3.random_shift",
        AUG,
        "    shifts = rng.integers(-m, m + 1, size=(num, 2))\n"
        "    padded = np.pad(images, ((0, 0), (m, m), (m, m)))\n"
        "    out = np.empty_like(images)\n"
        "    for n, (dy, dx) in enumerate(shifts):\n"
        "        out[n] = padded[n, m - dy : m - dy + height, m - dx : m - dx + width]",
        "    out = np.empty_like(images)\n"
        "    for n in range(num):\n"
        "        dy, dx = rng.integers(-m, m, endpoint=True), rng.integers(-m, m, endpoint=True)\n"
        '        out[n] = ndimage.shift(images[n], (dy, dx), order=0, mode="constant", cval=0.0)',
        "",
    ),
    Bug(
        "lab3_rotation_cubic_and_per_image_draws",
        "lab3.random_rotation",
        AUG,
        "    angles = rng.uniform(-max_degrees, max_degrees, size=len(images))\n" + _ROTATION_LOOP,
        "    out = np.empty_like(images)\n"
        "    for n in range(len(images)):\n"
        "        angle = max_degrees * (2.0 * rng.random() - 1.0)\n"
        "        out[n] = ndimage.rotate(images[n], angle, axes=(1, 0), reshape=False, order=3, cval=0.0)\n",
        "",
    ),
    Bug(
        "lab3_noise_from_standard_normal",
        "lab3.pixel_noise",
        AUG,
        "noise = rng.normal(0.0, std, size=images.shape)",
        "noise = std * rng.standard_normal(images.shape)",
        "",
    ),
    Bug(
        "lab3_elastic_one_draw_reflecting_filter",
        "lab3.elastic_deformation",
        AUG,
        _ELASTIC_FIELDS,
        "        fields = rng.uniform(-1.0, 1.0, (2, height, width))\n"
        "        dy, dx = (alpha * ndimage.gaussian_filter(f, sigma) for f in fields)\n",
        "",
    ),
    Bug(
        "lab3_provider_eager_epoch",
        "lab3.augmented_provider",
        AUG,
        "        for inputs, targets in self.provider:\n"
        "            images = inputs.reshape((inputs.shape[0], *self.image_shape))\n"
        "            for augmentation in self.augmentations:\n"
        "                images = augmentation(images, self.rng)\n"
        "            yield np.asarray(images).reshape(inputs.shape).astype(inputs.dtype, copy=False), targets",
        "        batches = []\n"
        "        for inputs, targets in self.provider:\n"
        "            images = inputs.reshape(len(inputs), *self.image_shape).copy()\n"
        "            for augmentation in self.augmentations:\n"
        "                images = augmentation(images, self.rng)\n"
        "            batches.append((images.reshape(len(inputs), -1).astype(inputs.dtype), targets))\n"
        "        yield from batches",
        "",
    ),
    Bug(
        "lab3_provider_keywords_and_lists",
        "lab3.augmented_provider",
        AUG,
        "                images = augmentation(images, self.rng)\n"
        "            yield np.asarray(images).reshape(inputs.shape).astype(inputs.dtype, copy=False), targets",
        "                images = augmentation(images=images, rng=self.rng)\n"
        "            yield [np.reshape(images, inputs.shape).astype(inputs.dtype), targets]",
        "",
    ),
    Bug(
        "lab3_rotation_scaled_random_axes",
        "lab3.random_rotation",
        AUG,
        "    angles = rng.uniform(-max_degrees, max_degrees, size=len(images))\n"
        "    out = np.empty_like(images)\n"
        "    for n, angle in enumerate(angles):\n"
        '        out[n] = ndimage.rotate(images[n], angle, reshape=False, order=1, mode="constant", cval=0.0)\n'
        "    return out",
        "    angles = max_degrees * (2.0 * rng.random(len(images), dtype=np.float32) - 1.0)\n"
        "    return np.stack([ndimage.rotate(image, float(a), axes=(1, 0), reshape=False, order=1, cval=0.0)\n"
        "                     for image, a in zip(images, -angles)]).astype(images.dtype)",
        "",
    ),
]

VARIANTS += [
    Bug(
        "lab3_dropconnect_mask_from_uniform_by_keyword",
        "lab3.dropconnect",
        DROP,
        "        self.mask = self.rng.random((inputs.shape[0], self.output_dim, self.input_dim)) < self.incl_prob",
        "        self.mask = self.rng.uniform(low=0.0, high=1.0,\n"
        "                                     size=(inputs.shape[0], self.output_dim, self.input_dim)) < self.incl_prob",
        "",
    ),
    Bug(
        "lab3_annealed_as_interpolation",
        "lab3.annealed_dropout",
        DROP,
        "    drop_rate = (1.0 - p0) * max(0.0, 1.0 - epoch / num_anneal_epochs)\n    return float(1.0 - drop_rate)",
        "    if epoch >= num_anneal_epochs:\n        return 1.0\n"
        "    return float(p0 + (1.0 - p0) * epoch / num_anneal_epochs)",
        "",
    ),
    Bug(
        "lab3_annealed_with_numpy_clip",
        "lab3.annealed_dropout",
        DROP,
        "    drop_rate = (1.0 - p0) * max(0.0, 1.0 - epoch / num_anneal_epochs)\n    return float(1.0 - drop_rate)",
        "    fraction = np.clip(np.float64(epoch) / num_anneal_epochs, 0.0, 1.0)\n"
        "    return float(1.0 - (1.0 - p0) * (1.0 - fraction))",
        "",
    ),
    Bug(
        "lab3_maxout_gradient_by_a_one_hot_mask",
        "lab3.maxout",
        MAXOUT,
        "        grads = np.zeros(groups.shape, dtype=grads_wrt_outputs.dtype)\n"
        "        np.put_along_axis(grads, winners[:, :, None], grads_wrt_outputs[:, :, None], axis=2)\n",
        "        first = np.arange(self.pool_size)[None, None, :] == winners[:, :, None]\n"
        "        grads = (first * grads_wrt_outputs[:, :, None]).astype(grads_wrt_outputs.dtype)\n",
        "",
    ),
    Bug(
        "lab3_shift_with_np_roll_and_zeroing",
        "lab3.random_shift",
        AUG,
        "    padded = np.pad(images, ((0, 0), (m, m), (m, m)))\n"
        "    out = np.empty_like(images)\n"
        "    for n, (dy, dx) in enumerate(shifts):\n"
        "        out[n] = padded[n, m - dy : m - dy + height, m - dx : m - dx + width]\n",
        "    out = np.zeros_like(images)\n"
        "    for n, (dy, dx) in enumerate(shifts.tolist()):\n"
        "        rolled = np.roll(images[n], (dy, dx), axis=(0, 1))\n"
        "        rows = slice(max(dy, 0), height + min(dy, 0))\n"
        "        cols = slice(max(dx, 0), width + min(dx, 0))\n"
        "        out[n][rows, cols] = rolled[rows, cols]\n",
        "",
    ),
    Bug(
        "lab3_pixel_noise_float32_standard_normal",
        "lab3.pixel_noise",
        AUG,
        "    noise = rng.normal(0.0, std, size=images.shape)\n"
        "    return np.clip(images + noise, 0.0, 1.0).astype(images.dtype)",
        "    noise = (std * rng.standard_normal(images.shape, dtype=np.float32)).astype(images.dtype)\n"
        "    return np.clip(images + noise, 0, 1)",
        "",
    ),
    Bug(
        "lab3_elastic_fields_drawn_together",
        "lab3.elastic_deformation",
        AUG,
        '        dy = alpha * ndimage.gaussian_filter(rng.uniform(-1.0, 1.0, (height, width)), sigma, mode="constant")\n'
        '        dx = alpha * ndimage.gaussian_filter(rng.uniform(-1.0, 1.0, (height, width)), sigma, mode="constant")\n',
        "        fields = 2.0 * rng.random((2, height, width)) - 1.0\n"
        '        dy, dx = (alpha * ndimage.gaussian_filter(f, sigma=sigma, mode="constant") for f in fields)\n',
        "",
    ),
]

WD = "mlplab/exercises/weight_decay.py"

_L2_VALUE = (
    "            if param.ndim >= 2:\n                total += float(np.sum(np.square(param, dtype=np.float64)))\n"
)
_L1_VALUE = "            if param.ndim >= 2:\n                total += float(np.sum(np.abs(param), dtype=np.float64))\n"
_L2_GRAD = (
    "                grads.append(self.coefficient * param)\n"
    "            else:\n"
    "                grads.append(np.zeros_like(param))\n"
)
_IMPROVES = (
    "        if valid_error < self.best_error:\n"
    "            self.best_error = float(valid_error)\n"
    "            self.best_epoch = int(epoch)\n"
    "            self.best_params = [np.array(param, copy=True) for param in params]\n"
    "            return False\n"
    "        return epoch - self.best_epoch >= self.patience\n"
)

BUGS += [
    # ---- 3.10 L2 weight decay
    Bug(
        "lab3_l2_penalises_the_biases",
        "lab3.l2_weight_decay",
        WD,
        _L2_VALUE,
        "            total += float(np.sum(np.square(param, dtype=np.float64)))\n",
        "biases are penalised",
    ),
    Bug(
        "lab3_l2_without_the_half",
        "lab3.l2_weight_decay",
        WD,
        "        return 0.5 * self.coefficient * total",
        "        return self.coefficient * total",
        "factor 1/2",
    ),
    Bug(
        "lab3_l2_gradient_lambda_w_squared",
        "lab3.l2_weight_decay",
        WD,
        "                grads.append(self.coefficient * param)\n",
        "                grads.append(self.coefficient * param**2)\n",
        "square of the weights",
    ),
    Bug(
        "lab3_l2_gradient_twice",
        "lab3.l2_weight_decay",
        WD,
        "                grads.append(self.coefficient * param)\n",
        "                grads.append(2 * self.coefficient * param)\n",
        "twice the expected",
    ),
    Bug(
        "lab3_l2_gradient_of_the_biases",
        "lab3.l2_weight_decay",
        WD,
        _L2_GRAD,
        "                grads.append(self.coefficient * param)\n"
        "            else:\n"
        "                grads.append(self.coefficient * param)\n",
        "biases are penalised",
    ),
    # ---- 3.11 L1 weight decay
    Bug(
        "lab3_l1_sign_of_zero_is_one",
        "lab3.l1_weight_decay",
        WD,
        "grads.append(self.coefficient * np.sign(param))",
        "grads.append(self.coefficient * np.where(param >= 0, 1.0, -1.0))",
        "sign(0) = 0",
    ),
    Bug(
        "lab3_l1_sign_as_w_over_abs_w",
        "lab3.l1_weight_decay",
        WD,
        "grads.append(self.coefficient * np.sign(param))",
        "grads.append(self.coefficient * param / np.abs(param))",
        "divides by zero",
    ),
    Bug(
        "lab3_l1_penalises_the_biases",
        "lab3.l1_weight_decay",
        WD,
        _L1_VALUE,
        "            total += float(np.sum(np.abs(param), dtype=np.float64))\n",
        "biases are penalised",
    ),
    Bug(
        "lab3_l1_gradient_without_lambda",
        "lab3.l1_weight_decay",
        WD,
        "grads.append(self.coefficient * np.sign(param))",
        "grads.append(np.sign(param))",
        "lambda is missing",
    ),
    # ---- 3.12 early stopping
    Bug(
        "lab3_early_stopping_keeps_the_last_parameters",
        "lab3.early_stopping",
        WD,
        _IMPROVES,
        "        self.best_params = [np.array(param, copy=True) for param in params]\n" + _IMPROVES,
        "keeps the LAST parameters instead of the best",
    ),
    Bug(
        "lab3_early_stopping_saves_references",
        "lab3.early_stopping",
        WD,
        "            self.best_params = [np.array(param, copy=True) for param in params]\n",
        "            self.best_params = list(params)\n",
        "not copies",
    ),
    Bug(
        "lab3_early_stopping_one_epoch_late",
        "lab3.early_stopping",
        WD,
        "        return epoch - self.best_epoch >= self.patience\n",
        "        return epoch - self.best_epoch > self.patience\n",
        "one epoch late",
    ),
    Bug(
        "lab3_early_stopping_one_epoch_early",
        "lab3.early_stopping",
        WD,
        "        return epoch - self.best_epoch >= self.patience\n",
        "        return epoch - self.best_epoch >= self.patience - 1\n",
        "one epoch early",
    ),
    Bug(
        "lab3_early_stopping_tie_improves",
        "lab3.early_stopping",
        WD,
        "        if valid_error < self.best_error:\n",
        "        if valid_error <= self.best_error:\n",
        "equal to the best one was counted as an improvement",
    ),
    Bug(
        "lab3_early_stopping_counts_calls",
        "lab3.early_stopping",
        WD,
        "            return False\n        return epoch - self.best_epoch >= self.patience\n",
        "            self.waited = 0\n"
        "            return False\n"
        '        self.waited = getattr(self, "waited", 0) + 1\n'
        "        return self.waited >= self.patience\n",
        "counts the calls of update",
    ),
    Bug(
        "lab3_early_stopping_restore_rebinds",
        "lab3.early_stopping",
        WD,
        "        for target, saved in zip(params, self.best_params):\n            np.copyto(target, saved)\n",
        "        for target, saved in zip(params, self.best_params):\n            target = saved.copy()  # noqa: F841\n",
        "INTO the arrays",
    ),
]

VARIANTS += [
    Bug(
        "lab3_l2_comprehensions_with_vdot",
        "lab3.l2_weight_decay",
        WD,
        "        total = 0.0\n        for param in params:\n"
        + _L2_VALUE
        + "        return 0.5 * self.coefficient * total\n",
        "        weights = [np.asarray(p, dtype=np.float64) for p in params if p.ndim > 1]\n"
        "        return self.coefficient / 2 * sum(float(np.vdot(w, w)) for w in weights)\n",
        "",
    ),
    Bug(
        "lab3_l2_norms_and_a_grad_comprehension",
        "lab3.l2_weight_decay",
        WD,
        "        grads = []\n"
        "        for param in params:\n"
        "            if param.ndim >= 2:\n" + _L2_GRAD + "        return grads\n",
        "        return [param * self.coefficient if param.ndim > 1 else np.zeros_like(param) for param in params]\n",
        "",
    ),
    Bug(
        "lab3_l1_abs_sum_and_sign_times_lambda",
        "lab3.l1_weight_decay",
        WD,
        "        total = 0.0\n        for param in params:\n" + _L1_VALUE + "        return self.coefficient * total\n",
        "        return self.coefficient * sum(float(np.abs(p).sum()) for p in params if len(p.shape) >= 2)\n",
        "",
    ),
    Bug(
        "lab3_l1_sign_by_comparisons",
        "lab3.l1_weight_decay",
        WD,
        "grads.append(self.coefficient * np.sign(param))",
        "grads.append(self.coefficient * ((param > 0).astype(param.dtype) - (param < 0).astype(param.dtype)))",
        "",
    ),
    Bug(
        "lab3_early_stopping_deadline_and_copies",
        "lab3.early_stopping",
        WD,
        _IMPROVES,
        "        improved = self.best_epoch is None or valid_error < self.best_error\n"
        "        if improved:\n"
        "            self.best_error, self.best_epoch = valid_error, epoch\n"
        "            self.best_params = [p.copy() for p in params]\n"
        "        return not improved and epoch >= self.best_epoch + self.patience\n",
        "",
    ),
    Bug(
        "lab3_early_stopping_restore_by_index",
        "lab3.early_stopping",
        WD,
        "        for target, saved in zip(params, self.best_params):\n            np.copyto(target, saved)\n",
        "        for i, saved in enumerate(self.best_params):\n            params[i][...] = saved\n",
        "",
    ),
]
