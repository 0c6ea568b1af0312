"""Lab 6 bug zoo: student mistakes the checks must catch and name, and correct variants they must accept.

``BUGS``: each must fail exactly its own task, with a message containing ``feedback``.
``VARIANTS``: different but correct implementations (the lecture's form of momentum, new
arrays stored back instead of in-place state updates, other numpy idioms); each must pass.
"""

from __future__ import annotations

from bugzoo import Bug

OPT = "mlplab/exercises/optimisers.py"

_MOMENTUM_LOOP = (
    "        for param, velocity, grad in zip(self.params, self.velocities, grads_wrt_params):\n"
    "            velocity *= self.mom_coeff\n"
    "            velocity -= self.learning_rate * grad\n"
    "            param += velocity\n"
)

BUGS = [
    # ---- 6.1 momentum
    Bug(
        "lab6_momentum_gradient_ascent",
        "lab6.momentum",
        OPT,
        _MOMENTUM_LOOP,
        _MOMENTUM_LOOP.replace("velocity -= self.learning_rate * grad", "velocity += self.learning_rate * grad"),
        "sign is flipped",
    ),
    Bug(
        "lab6_momentum_velocity_not_kept",
        "lab6.momentum",
        OPT,
        _MOMENTUM_LOOP,
        "        for param, velocity, grad in zip(self.params, self.velocities, grads_wrt_params):\n"
        "            velocity = self.mom_coeff * velocity - self.learning_rate * grad\n"
        "            param += velocity\n",
        "plain gradient descent",
    ),
    Bug(
        "lab6_momentum_state_shared_between_parameters",
        "lab6.momentum",
        OPT,
        "        self.velocities = [np.zeros_like(param) for param in self.params]\n",
        "        self.velocities = [np.zeros_like(self.params[0])] * len(self.params)\n",
        "share one state array",
    ),
    # ---- 6.2 Nesterov
    Bug(
        "lab6_nesterov_is_classical_momentum",
        "lab6.nesterov",
        OPT,
        "            param += self.mom_coeff * velocity - self.learning_rate * grad\n",
        "            param += velocity\n",
        "classical momentum",
    ),
    # ---- 6.3 AdaGrad
    Bug(
        "lab6_adagrad_accumulates_gradients_not_squares",
        "lab6.adagrad",
        OPT,
        "            sum_sq += grad**2\n",
        "            sum_sq += grad\n",
        "squared gradients",
    ),
    Bug(
        "lab6_adagrad_eps_outside_the_square_root",
        "lab6.adagrad",
        OPT,
        "            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)\n",
        "            param -= self.learning_rate * grad / (np.sqrt(sum_sq) + self.eps)\n",
        "eps is added outside the square root",
    ),
    # ---- 6.4 RMSProp
    Bug(
        "lab6_rmsprop_decay_on_the_wrong_term",
        "lab6.rmsprop",
        OPT,
        "            mean_sq *= self.decay\n            mean_sq += (1.0 - self.decay) * grad**2\n",
        "            mean_sq *= 1.0 - self.decay\n            mean_sq += self.decay * grad**2\n",
        "swapped",
    ),
    Bug(
        "lab6_rmsprop_parameters_replaced_not_updated_in_place",
        "lab6.rmsprop",
        OPT,
        "        for param, mean_sq, grad in zip(self.params, self.mean_sq_grads, grads_wrt_params):\n"
        "            mean_sq *= self.decay\n"
        "            mean_sq += (1.0 - self.decay) * grad**2\n"
        "            param -= self.learning_rate * grad / np.sqrt(mean_sq + self.eps)\n",
        "        for i, (param, mean_sq, grad) in enumerate(zip(self.params, self.mean_sq_grads, grads_wrt_params)):\n"
        "            mean_sq *= self.decay\n"
        "            mean_sq += (1.0 - self.decay) * grad**2\n"
        "            self.params[i] = param - self.learning_rate * grad / np.sqrt(mean_sq + self.eps)\n",
        "instead of updated in place",
    ),
    # ---- 6.5 Adam
    Bug(
        "lab6_adam_without_bias_correction",
        "lab6.adam",
        OPT,
        "            m_hat = m / correction1\n            v_hat = v / correction2\n",
        "            m_hat = m\n            v_hat = v\n",
        "without the bias correction",
    ),
    Bug(
        "lab6_adam_step_counted_after_use",
        "lab6.adam",
        OPT,
        "        self.step_count += 1\n"
        "        correction1 = 1.0 - self.beta1**self.step_count\n"
        "        correction2 = 1.0 - self.beta2**self.step_count\n",
        "        correction1 = 1.0 - self.beta1**self.step_count\n"
        "        correction2 = 1.0 - self.beta2**self.step_count\n"
        "        self.step_count += 1\n",
        "t = 1 at the first update",
    ),
    Bug(
        "lab6_adam_reset_keeps_the_step_count",
        "lab6.adam",
        OPT,
        "        self.second_moments = [np.zeros_like(param) for param in self.params]\n        self.step_count = 0\n",
        "        self.second_moments = [np.zeros_like(param) for param in self.params]\n",
        "after reset()",
    ),
    # ---- 6.6 AdaDelta
    Bug(
        "lab6_adadelta_eps_only_in_the_denominator",
        "lab6.adadelta",
        OPT,
        "np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps)",
        "np.sqrt(mean_sq_up) / np.sqrt(mean_sq + self.eps)",
        "never moved",
    ),
    Bug(
        "lab6_adadelta_step_before_the_gradient_average",
        "lab6.adadelta",
        OPT,
        "            mean_sq *= self.rho\n"
        "            mean_sq += (1.0 - self.rho) * grad**2\n"
        "            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps) * grad\n",
        "            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps) * grad\n"
        "            mean_sq *= self.rho\n"
        "            mean_sq += (1.0 - self.rho) * grad**2\n",
        "already updated with the current gradient",
    ),
    # ---- 6.7 schedules
    Bug(
        "lab6_step_decay_one_epoch_early",
        "lab6.schedules",
        OPT,
        "    return float(initial_rate * drop_factor ** (epoch // int(epochs_per_drop)))",
        "    return float(initial_rate * drop_factor ** ((epoch + 1) // int(epochs_per_drop)))",
        "one epoch ahead",
    ),
    Bug(
        "lab6_warmup_starts_at_zero",
        "lab6.schedules",
        OPT,
        "        return float(initial_rate * (epoch + 1) / warmup)",
        "        return float(initial_rate * epoch / warmup)",
        "at epoch 0 is 0",
    ),
]

VARIANTS = [
    Bug(
        "lab6_momentum_lecture_form",
        "lab6.momentum",
        OPT,
        _MOMENTUM_LOOP,
        "        for i, (param, grad) in enumerate(zip(self.params, grads_wrt_params)):\n"
        "            z = self.mom_coeff * self.velocities[i] + grad\n"
        "            self.velocities[i] = z\n"
        "            param -= self.learning_rate * z\n",
        "",
    ),
    Bug(
        "lab6_adam_new_arrays_stored_back",
        "lab6.adam",
        OPT,
        "        for param, m, v, grad in zip(self.params, self.first_moments, self.second_moments, grads_wrt_params):\n"
        "            m *= self.beta1\n"
        "            m += (1.0 - self.beta1) * grad\n"
        "            v *= self.beta2\n"
        "            v += (1.0 - self.beta2) * grad**2\n",
        "        for i, (param, grad) in enumerate(zip(self.params, grads_wrt_params)):\n"
        "            m = self.beta1 * self.first_moments[i] + (1 - self.beta1) * grad\n"
        "            v = self.beta2 * self.second_moments[i] + (1 - self.beta2) * np.square(grad)\n"
        "            self.first_moments[i], self.second_moments[i] = m, v\n",
        "",
    ),
    Bug(
        "lab6_step_decay_with_numpy",
        "lab6.schedules",
        OPT,
        "    return float(initial_rate * drop_factor ** (epoch // int(epochs_per_drop)))",
        "    return float(initial_rate * np.power(drop_factor, np.floor(epoch / epochs_per_drop)))",
        "",
    ),
]

BUGS += [
    Bug(
        "lab6_nesterov_gradient_ascent",
        "lab6.nesterov",
        OPT,
        "            param += self.mom_coeff * velocity - self.learning_rate * grad",
        "            param += self.mom_coeff * velocity + self.learning_rate * grad",
        "wrong sign",
    ),
    Bug(
        "lab6_nesterov_look_ahead_without_the_coefficient",
        "lab6.nesterov",
        OPT,
        "            param += self.mom_coeff * velocity - self.learning_rate * grad",
        "            param += velocity - self.learning_rate * grad",
        "without the momentum coefficient",
    ),
    Bug(
        "lab6_adagrad_accumulates_after_the_step",
        "lab6.adagrad",
        OPT,
        "            sum_sq += grad**2\n            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)",
        "            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)\n            sum_sq += grad**2",
        "from before this update",
    ),
    Bug(
        "lab6_rmsprop_eps_outside_the_square_root",
        "lab6.rmsprop",
        OPT,
        "            param -= self.learning_rate * grad / np.sqrt(mean_sq + self.eps)",
        "            param -= self.learning_rate * grad / (np.sqrt(mean_sq) + self.eps)",
        "eps is added outside the square root",
    ),
    Bug(
        "lab6_adadelta_ignores_the_learning_rate",
        "lab6.adadelta",
        OPT,
        "            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps)",
        "            delta = -np.sqrt(mean_sq_up + self.eps)",
        "learning rate is missing",
    ),
    Bug(
        "lab6_warmup_cosine_keeps_turning_after_the_last_epoch",
        "lab6.schedules",
        OPT,
        "    if epoch > total:\n        return float(final_rate)\n",
        "",
        "stay at its final value",
    ),
]

VARIANTS += [
    Bug(
        "lab6_momentum_assigns_into_the_arrays",
        "lab6.momentum",
        OPT,
        "            velocity *= self.mom_coeff\n"
        "            velocity -= self.learning_rate * grad\n"
        "            param += velocity\n",
        "            velocity[...] = self.mom_coeff * velocity - self.learning_rate * grad\n"
        "            param[...] = param + velocity\n",
        "",
    ),
    Bug(
        "lab6_nesterov_from_old_and_new_velocity",
        "lab6.nesterov",
        OPT,
        "            velocity *= self.mom_coeff\n"
        "            velocity -= self.learning_rate * grad\n"
        "            param += self.mom_coeff * velocity - self.learning_rate * grad",
        "            old = velocity.copy()\n"
        "            velocity[...] = self.mom_coeff * old - self.learning_rate * grad\n"
        "            param += (1.0 + self.mom_coeff) * velocity - self.mom_coeff * old",
        "",
    ),
    Bug(
        "lab6_nesterov_new_arrays_stored_back",
        "lab6.nesterov",
        OPT,
        "        for param, velocity, grad in zip(self.params, self.velocities, grads_wrt_params):\n"
        "            velocity *= self.mom_coeff\n"
        "            velocity -= self.learning_rate * grad\n"
        "            param += self.mom_coeff * velocity - self.learning_rate * grad",
        "        for i, grad in enumerate(grads_wrt_params):\n"
        "            self.velocities[i] = self.mom_coeff * self.velocities[i] - self.learning_rate * grad\n"
        "            self.params[i] += self.mom_coeff * self.velocities[i] - self.learning_rate * grad",
        "",
    ),
    Bug(
        "lab6_adagrad_assigns_into_the_arrays",
        "lab6.adagrad",
        OPT,
        "            sum_sq += grad**2\n            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)",
        "            sum_sq[...] = sum_sq + grad * grad\n"
        "            param[...] = param - self.learning_rate * grad / np.sqrt(sum_sq + self.eps)",
        "",
    ),
    Bug(
        "lab6_adagrad_negative_power",
        "lab6.adagrad",
        OPT,
        "            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)",
        "            param -= self.learning_rate * grad * (sum_sq + self.eps) ** -0.5",
        "",
    ),
    Bug(
        "lab6_rmsprop_one_expression",
        "lab6.rmsprop",
        OPT,
        "            mean_sq *= self.decay\n            mean_sq += (1.0 - self.decay) * grad**2\n",
        "            mean_sq[...] = self.decay * mean_sq + (1 - self.decay) * np.square(grad)\n",
        "",
    ),
    Bug(
        "lab6_rmsprop_power_half",
        "lab6.rmsprop",
        OPT,
        "            param -= self.learning_rate * grad / np.sqrt(mean_sq + self.eps)",
        "            param -= self.learning_rate * grad / (mean_sq + self.eps) ** 0.5",
        "",
    ),
    Bug(
        "lab6_adadelta_one_square_root",
        "lab6.adadelta",
        OPT,
        "            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps) * grad",
        "            delta = -self.learning_rate * grad * np.sqrt((mean_sq_up + self.eps) / (mean_sq + self.eps))",
        "",
    ),
    Bug(
        "lab6_adadelta_new_arrays_stored_back",
        "lab6.adadelta",
        OPT,
        "            mean_sq_up *= self.rho\n            mean_sq_up += (1.0 - self.rho) * delta**2\n",
        "            mean_sq_up[...] = self.rho * mean_sq_up + (1 - self.rho) * np.square(delta)\n",
        "",
    ),
    Bug(
        "lab6_exponential_decay_with_numpy",
        "lab6.schedules",
        OPT,
        "    return float(initial_rate * math.exp(-decay_rate * epoch))",
        "    return float(initial_rate * np.exp(-decay_rate * epoch, dtype=np.float64))",
        "",
    ),
]

VARIANTS += [
    Bug(
        "lab6_adam_corrected_learning_rate",
        "lab6.adam",
        OPT,
        "            m_hat = m / correction1\n"
        "            v_hat = v / correction2\n"
        "            param -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)",
        "            param -= self.learning_rate * (m / correction1) / (np.sqrt(v / correction2) + self.eps)",
        "",
    ),
]

# ---- 6.8-6.11 Adam's relatives
ADAM = "mlplab/exercises/adam_variants.py"

BUGS += [
    Bug(
        "lab6_adamax_maximum_without_decay",
        "lab6.adamax",
        ADAM,
        "            np.maximum(self.beta2 * u, np.abs(grad), out=u)\n",
        "            np.maximum(u, np.abs(grad), out=u)\n",
        "without the decay",
    ),
    Bug(
        "lab6_adamax_without_the_bias_correction_of_m",
        "lab6.adamax",
        ADAM,
        "        rate = self.learning_rate / (1.0 - self.beta1**self.step_count)\n",
        "        rate = self.learning_rate\n",
        "learning_rate / (1 - beta1**t)",
    ),
    Bug(
        "lab6_nadam_is_adam",
        "lab6.nadam",
        ADAM,
        "            ahead = self.beta1 * m / correction1 + (1.0 - self.beta1) * grad / correction1\n",
        "            ahead = m / correction1\n",
        "those of your Adam rule",
    ),
    Bug(
        "lab6_nadam_step_counted_after_use",
        "lab6.nadam",
        ADAM,
        "        self.step_count += 1\n"
        "        correction1 = 1.0 - self.beta1**self.step_count\n"
        "        correction2 = 1.0 - self.beta2**self.step_count\n"
        "        for param, m, v, grad in zip(self.params, self.first_moments, self.second_moments, grads_wrt_params):\n"
        "            m *= self.beta1\n"
        "            m += (1.0 - self.beta1) * grad\n"
        "            v *= self.beta2\n"
        "            v += (1.0 - self.beta2) * grad**2\n"
        "            ahead",
        "        correction1 = 1.0 - self.beta1**self.step_count\n"
        "        correction2 = 1.0 - self.beta2**self.step_count\n"
        "        self.step_count += 1\n"
        "        for param, m, v, grad in zip(self.params, self.first_moments, self.second_moments, grads_wrt_params):\n"
        "            m *= self.beta1\n"
        "            m += (1.0 - self.beta1) * grad\n"
        "            v *= self.beta2\n"
        "            v += (1.0 - self.beta2) * grad**2\n"
        "            ahead",
        "t = 1 at the first update",
    ),
    Bug(
        "lab6_amsgrad_is_adam",
        "lab6.amsgrad",
        ADAM,
        "            np.maximum(v_max, v, out=v_max)\n",
        "            v_max[...] = v\n",
        "those of your Adam rule",
    ),
    Bug(
        "lab6_amsgrad_reset_keeps_the_maximum",
        "lab6.amsgrad",
        ADAM,
        "        self.max_second_moments = [np.zeros_like(param) for param in self.params]\n"
        "        self.step_count = 0\n",
        "        if not self.max_second_moments:\n"
        "            self.max_second_moments = [np.zeros_like(param) for param in self.params]\n"
        "        self.step_count = 0\n",
        "after reset()",
    ),
    Bug(
        "lab6_adamw_decay_through_the_gradient",
        "lab6.adamw",
        ADAM,
        "        for param, m, v, grad in zip(self.params, self.first_moments, self.second_moments, grads_wrt_params):\n"
        "            m *= self.beta1\n"
        "            m += (1.0 - self.beta1) * grad\n"
        "            v *= self.beta2\n"
        "            v += (1.0 - self.beta2) * grad**2\n"
        "            adam = (m / correction1) / (np.sqrt(v / correction2) + self.eps)\n"
        "            param -= self.learning_rate * (adam + self.weight_decay * param)\n",
        "        for param, m, v, grad in zip(self.params, self.first_moments, self.second_moments, grads_wrt_params):\n"
        "            grad = grad + self.weight_decay * param\n"
        "            m *= self.beta1\n"
        "            m += (1.0 - self.beta1) * grad\n"
        "            v *= self.beta2\n"
        "            v += (1.0 - self.beta2) * grad**2\n"
        "            adam = (m / correction1) / (np.sqrt(v / correction2) + self.eps)\n"
        "            param -= self.learning_rate * adam\n",
        "L2 regularisation through the gradient",
    ),
    Bug(
        "lab6_adamw_without_the_decay",
        "lab6.adamw",
        ADAM,
        "            param -= self.learning_rate * (adam + self.weight_decay * param)\n",
        "            param -= self.learning_rate * adam\n",
        "decay term learning_rate * weight_decay * p is missing",
    ),
]

VARIANTS += [
    Bug(
        "lab6_adamax_abs_as_maximum_of_signs",
        "lab6.adamax",
        ADAM,
        "            np.maximum(self.beta2 * u, np.abs(grad), out=u)\n",
        "            u[...] = np.max(np.stack([self.beta2 * u, grad, -grad]), axis=0)\n",
        "",
    ),
    Bug(
        "lab6_nadam_corrected_numerator_in_one_expression",
        "lab6.nadam",
        ADAM,
        "            ahead = self.beta1 * m / correction1 + (1.0 - self.beta1) * grad / correction1\n",
        "            ahead = (self.beta1 * m + (1 - self.beta1) * grad) / correction1\n",
        "",
    ),
    Bug(
        "lab6_amsgrad_maximum_with_where",
        "lab6.amsgrad",
        ADAM,
        "            np.maximum(v_max, v, out=v_max)\n",
        "            v_max[...] = np.where(v > v_max, v, v_max)\n",
        "",
    ),
    Bug(
        "lab6_adamw_decay_first_as_pytorch",
        "lab6.adamw",
        ADAM,
        "            param -= self.learning_rate * (adam + self.weight_decay * param)\n",
        "            param *= 1.0 - self.learning_rate * self.weight_decay\n"
        "            param -= self.learning_rate * adam\n",
        "",
    ),
]

# ---- 6.12 gradient clipping
CLIP = "mlplab/exercises/gradient_clipping.py"

BUGS += [
    Bug(
        "lab6_clipping_each_array_on_its_own",
        "lab6.clipping",
        CLIP,
        "    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads_wrt_params))\n"
        "    factor = max_norm / total if total > max_norm else 1.0\n"
        "    return [np.asarray(g * factor, dtype=g.dtype) for g in grads_wrt_params], total\n",
        "    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads_wrt_params))\n"
        "    return [np.asarray(g * min(1.0, max_norm / max(float(np.linalg.norm(g)), 1e-300)), dtype=g.dtype)\n"
        "            for g in grads_wrt_params], total\n",
        "each array was clipped to max_norm on its own",
    ),
    Bug(
        "lab6_clipping_always_scales",
        "lab6.clipping",
        CLIP,
        "    factor = max_norm / total if total > max_norm else 1.0\n",
        "    factor = max_norm / total if total > 0 else 1.0\n",
        "although their norm was already smaller",
    ),
    Bug(
        "lab6_clipping_divides_by_a_zero_norm",
        "lab6.clipping",
        CLIP,
        "    factor = max_norm / total if total > max_norm else 1.0\n"
        "    return [np.asarray(g * factor, dtype=g.dtype) for g in grads_wrt_params], total\n",
        "    return [np.asarray(g / total * min(total, max_norm), dtype=g.dtype) for g in grads_wrt_params], total\n",
        "dividing by a global norm of 0",
    ),
    Bug(
        "lab6_clipping_returns_the_clipped_norm",
        "lab6.clipping",
        CLIP,
        "    return [np.asarray(g * factor, dtype=g.dtype) for g in grads_wrt_params], total\n",
        "    return [np.asarray(g * factor, dtype=g.dtype) for g in grads_wrt_params], total * factor\n",
        "the one after clipping",
    ),
]

VARIANTS += [
    Bug(
        "lab6_clipping_with_a_concatenated_vector",
        "lab6.clipping",
        CLIP,
        "    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads_wrt_params))\n"
        "    factor = max_norm / total if total > max_norm else 1.0\n",
        "    total = float(np.linalg.norm(np.concatenate([np.ravel(g).astype(np.float64) for g in grads_wrt_params])))\n"
        "    factor = min(1.0, max_norm / total) if total > 0 else 1.0\n",
        "",
    ),
]

BUGS += [
    Bug(
        "lab6_adamax_signed_gradients",
        "lab6.adamax",
        ADAM,
        "            np.maximum(self.beta2 * u, np.abs(grad), out=u)\n",
        "            np.maximum(self.beta2 * u, grad, out=u)\n",
        "keep their sizes",
    ),
    Bug(
        "lab6_nadam_eps_inside_the_square_root",
        "lab6.nadam",
        ADAM,
        "            param -= self.learning_rate * ahead / (np.sqrt(v / correction2) + self.eps)\n",
        "            param -= self.learning_rate * ahead / np.sqrt(v / correction2 + self.eps)\n",
        "outside the square root",
    ),
    Bug(
        "lab6_amsgrad_maximum_of_corrected_moments",
        "lab6.amsgrad",
        ADAM,
        "            np.maximum(v_max, v, out=v_max)\n"
        "            param -= self.learning_rate * (m / correction1) / (np.sqrt(v_max / correction2) + self.eps)\n",
        "            np.maximum(v_max, v / correction2, out=v_max)\n"
        "            param -= self.learning_rate * (m / correction1) / (np.sqrt(v_max) + self.eps)\n",
        "maximum of the raw v",
    ),
    Bug(
        "lab6_adamw_decay_after_the_step",
        "lab6.adamw",
        ADAM,
        "            param -= self.learning_rate * (adam + self.weight_decay * param)\n",
        "            param -= self.learning_rate * adam\n"
        "            param -= self.learning_rate * self.weight_decay * param\n",
        "with p the value before the step",
    ),
]

VARIANTS += [
    Bug(
        "lab6_adamax_decay_then_maximum",
        "lab6.adamax",
        ADAM,
        "            np.maximum(self.beta2 * u, np.abs(grad), out=u)\n",
        "            u *= self.beta2\n            np.maximum(u, np.abs(grad), out=u)\n",
        "",
    ),
    Bug(
        "lab6_nadam_from_m_hat",
        "lab6.nadam",
        ADAM,
        "            ahead = self.beta1 * m / correction1 + (1.0 - self.beta1) * grad / correction1\n",
        "            m_hat = m / correction1\n"
        "            ahead = self.beta1 * m_hat + (1 - self.beta1) / correction1 * grad\n",
        "",
    ),
    Bug(
        "lab6_amsgrad_corrected_denominator_split",
        "lab6.amsgrad",
        ADAM,
        "            param -= self.learning_rate * (m / correction1) / (np.sqrt(v_max / correction2) + self.eps)\n",
        "            param -= self.learning_rate / correction1 * m / (np.sqrt(v_max) / np.sqrt(correction2) + self.eps)\n",
        "",
    ),
    Bug(
        "lab6_adamw_two_terms",
        "lab6.adamw",
        ADAM,
        "            param -= self.learning_rate * (adam + self.weight_decay * param)\n",
        "            param -= self.learning_rate * adam + self.learning_rate * self.weight_decay * param\n",
        "",
    ),
    Bug(
        "lab6_clipping_with_per_array_norms",
        "lab6.clipping",
        CLIP,
        "    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads_wrt_params))\n",
        "    total = float(np.sqrt(np.sum([np.linalg.norm(np.asarray(g, dtype=np.float64)) ** 2 for g in grads_wrt_params])))\n",
        "",
    ),
]
