"""Lab 6 bug zoo: student mistakes the checks must catch and name, and correct variants they must accept.

``BUGS``: each must fail exactly its own task, with a message containing ``feedback``.
``VARIANTS``: different but correct implementations (the lecture's form of momentum, new
arrays stored back instead of in-place state updates, other numpy idioms); each must pass.
"""
from __future__ import annotations

from bugzoo import Bug

OPT = "mlplab/optimisers.py"

_MOMENTUM_LOOP = (
    "        for param, velocity, grad in zip(self.params, self.velocities, grads_wrt_params):\n"
    "            velocity *= self.mom_coeff\n"
    "            velocity -= self.learning_rate * grad\n"
    "            param += velocity\n"
)

BUGS = [
    # ---- 6.1 momentum
    Bug("lab6_momentum_gradient_ascent", "lab6.momentum", OPT,
        _MOMENTUM_LOOP,
        _MOMENTUM_LOOP.replace("velocity -= self.learning_rate * grad", "velocity += self.learning_rate * grad"),
        "sign is flipped"),
    Bug("lab6_momentum_velocity_not_kept", "lab6.momentum", OPT,
        _MOMENTUM_LOOP,
        "        for param, velocity, grad in zip(self.params, self.velocities, grads_wrt_params):\n"
        "            velocity = self.mom_coeff * velocity - self.learning_rate * grad\n"
        "            param += velocity\n",
        "plain gradient descent"),
    Bug("lab6_momentum_state_shared_between_parameters", "lab6.momentum", OPT,
        "        self.velocities = [np.zeros_like(param) for param in self.params]\n",
        "        self.velocities = [np.zeros_like(self.params[0])] * len(self.params)\n",
        "share one state array"),
    # ---- 6.2 Nesterov
    Bug("lab6_nesterov_is_classical_momentum", "lab6.nesterov", OPT,
        "            param += self.mom_coeff * velocity - self.learning_rate * grad\n",
        "            param += velocity\n",
        "classical momentum"),
    # ---- 6.3 AdaGrad
    Bug("lab6_adagrad_accumulates_gradients_not_squares", "lab6.adagrad", OPT,
        "            sum_sq += grad**2\n", "            sum_sq += grad\n",
        "squared gradients"),
    Bug("lab6_adagrad_eps_outside_the_square_root", "lab6.adagrad", OPT,
        "            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)\n",
        "            param -= self.learning_rate * grad / (np.sqrt(sum_sq) + self.eps)\n",
        "eps is added outside the square root"),
    # ---- 6.4 RMSProp
    Bug("lab6_rmsprop_decay_on_the_wrong_term", "lab6.rmsprop", OPT,
        "            mean_sq *= self.decay\n            mean_sq += (1.0 - self.decay) * grad**2\n",
        "            mean_sq *= 1.0 - self.decay\n            mean_sq += self.decay * grad**2\n",
        "swapped"),
    Bug("lab6_rmsprop_parameters_replaced_not_updated_in_place", "lab6.rmsprop", OPT,
        "        for param, mean_sq, grad in zip(self.params, self.mean_sq_grads, grads_wrt_params):\n"
        "            mean_sq *= self.decay\n"
        "            mean_sq += (1.0 - self.decay) * grad**2\n"
        "            param -= self.learning_rate * grad / np.sqrt(mean_sq + self.eps)\n",
        "        for i, (param, mean_sq, grad) in enumerate(zip(self.params, self.mean_sq_grads, grads_wrt_params)):\n"
        "            mean_sq *= self.decay\n"
        "            mean_sq += (1.0 - self.decay) * grad**2\n"
        "            self.params[i] = param - self.learning_rate * grad / np.sqrt(mean_sq + self.eps)\n",
        "instead of updated in place"),
    # ---- 6.5 Adam
    Bug("lab6_adam_without_bias_correction", "lab6.adam", OPT,
        "            m_hat = m / correction1\n            v_hat = v / correction2\n",
        "            m_hat = m\n            v_hat = v\n",
        "without the bias correction"),
    Bug("lab6_adam_step_counted_after_use", "lab6.adam", OPT,
        "        self.step_count += 1\n"
        "        correction1 = 1.0 - self.beta1**self.step_count\n"
        "        correction2 = 1.0 - self.beta2**self.step_count\n",
        "        correction1 = 1.0 - self.beta1**self.step_count\n"
        "        correction2 = 1.0 - self.beta2**self.step_count\n"
        "        self.step_count += 1\n",
        "t = 1 at the first update"),
    Bug("lab6_adam_reset_keeps_the_step_count", "lab6.adam", OPT,
        "        self.second_moments = [np.zeros_like(param) for param in self.params]\n"
        "        self.step_count = 0\n",
        "        self.second_moments = [np.zeros_like(param) for param in self.params]\n",
        "after reset()"),
    # ---- 6.6 AdaDelta
    Bug("lab6_adadelta_eps_only_in_the_denominator", "lab6.adadelta", OPT,
        "np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps)",
        "np.sqrt(mean_sq_up) / np.sqrt(mean_sq + self.eps)",
        "never moved"),
    Bug("lab6_adadelta_step_before_the_gradient_average", "lab6.adadelta", OPT,
        "            mean_sq *= self.rho\n"
        "            mean_sq += (1.0 - self.rho) * grad**2\n"
        "            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps) * grad\n",
        "            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps) * grad\n"
        "            mean_sq *= self.rho\n"
        "            mean_sq += (1.0 - self.rho) * grad**2\n",
        "already updated with the current gradient"),
    # ---- 6.7 schedules
    Bug("lab6_step_decay_one_epoch_early", "lab6.schedules", OPT,
        "    return float(initial_rate * drop_factor ** (epoch // int(epochs_per_drop)))",
        "    return float(initial_rate * drop_factor ** ((epoch + 1) // int(epochs_per_drop)))",
        "one epoch ahead"),
    Bug("lab6_warmup_starts_at_zero", "lab6.schedules", OPT,
        "        return float(initial_rate * (epoch + 1) / warmup)",
        "        return float(initial_rate * epoch / warmup)",
        "at epoch 0 is 0"),
]

VARIANTS = [
    Bug("lab6_momentum_lecture_form", "lab6.momentum", OPT,
        _MOMENTUM_LOOP,
        "        for i, (param, grad) in enumerate(zip(self.params, grads_wrt_params)):\n"
        "            z = self.mom_coeff * self.velocities[i] + grad\n"
        "            self.velocities[i] = z\n"
        "            param -= self.learning_rate * z\n", ""),
    Bug("lab6_adam_new_arrays_stored_back", "lab6.adam", OPT,
        "        for param, m, v, grad in zip(self.params, self.first_moments, self.second_moments, grads_wrt_params):\n"
        "            m *= self.beta1\n"
        "            m += (1.0 - self.beta1) * grad\n"
        "            v *= self.beta2\n"
        "            v += (1.0 - self.beta2) * grad**2\n",
        "        for i, (param, grad) in enumerate(zip(self.params, grads_wrt_params)):\n"
        "            m = self.beta1 * self.first_moments[i] + (1 - self.beta1) * grad\n"
        "            v = self.beta2 * self.second_moments[i] + (1 - self.beta2) * np.square(grad)\n"
        "            self.first_moments[i], self.second_moments[i] = m, v\n", ""),
    Bug("lab6_step_decay_with_numpy", "lab6.schedules", OPT,
        "    return float(initial_rate * drop_factor ** (epoch // int(epochs_per_drop)))",
        "    return float(initial_rate * np.power(drop_factor, np.floor(epoch / epochs_per_drop)))", ""),
]

BUGS += [
    Bug("lab6_nesterov_gradient_ascent", "lab6.nesterov", OPT,
        "            param += self.mom_coeff * velocity - self.learning_rate * grad",
        "            param += self.mom_coeff * velocity + self.learning_rate * grad",
        "wrong sign"),
    Bug("lab6_nesterov_look_ahead_without_the_coefficient", "lab6.nesterov", OPT,
        "            param += self.mom_coeff * velocity - self.learning_rate * grad",
        "            param += velocity - self.learning_rate * grad",
        "without the momentum coefficient"),
    Bug("lab6_adagrad_accumulates_after_the_step", "lab6.adagrad", OPT,
        "            sum_sq += grad**2\n"
        "            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)",
        "            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)\n"
        "            sum_sq += grad**2",
        "from before this update"),
    Bug("lab6_rmsprop_eps_outside_the_square_root", "lab6.rmsprop", OPT,
        "            param -= self.learning_rate * grad / np.sqrt(mean_sq + self.eps)",
        "            param -= self.learning_rate * grad / (np.sqrt(mean_sq) + self.eps)",
        "eps is added outside the square root"),
    Bug("lab6_adadelta_ignores_the_learning_rate", "lab6.adadelta", OPT,
        "            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps)",
        "            delta = -np.sqrt(mean_sq_up + self.eps)",
        "learning rate is missing"),
    Bug("lab6_warmup_cosine_keeps_turning_after_the_last_epoch", "lab6.schedules", OPT,
        "    if epoch > total:\n        return float(final_rate)\n", "",
        "stay at its final value"),
]

VARIANTS += [
    Bug("lab6_momentum_assigns_into_the_arrays", "lab6.momentum", OPT,
        "            velocity *= self.mom_coeff\n"
        "            velocity -= self.learning_rate * grad\n"
        "            param += velocity\n",
        "            velocity[...] = self.mom_coeff * velocity - self.learning_rate * grad\n"
        "            param[...] = param + velocity\n", ""),
    Bug("lab6_nesterov_from_old_and_new_velocity", "lab6.nesterov", OPT,
        "            velocity *= self.mom_coeff\n"
        "            velocity -= self.learning_rate * grad\n"
        "            param += self.mom_coeff * velocity - self.learning_rate * grad",
        "            old = velocity.copy()\n"
        "            velocity[...] = self.mom_coeff * old - self.learning_rate * grad\n"
        "            param += (1.0 + self.mom_coeff) * velocity - self.mom_coeff * old", ""),
    Bug("lab6_nesterov_new_arrays_stored_back", "lab6.nesterov", OPT,
        "        for param, velocity, grad in zip(self.params, self.velocities, grads_wrt_params):\n"
        "            velocity *= self.mom_coeff\n"
        "            velocity -= self.learning_rate * grad\n"
        "            param += self.mom_coeff * velocity - self.learning_rate * grad",
        "        for i, grad in enumerate(grads_wrt_params):\n"
        "            self.velocities[i] = self.mom_coeff * self.velocities[i] - self.learning_rate * grad\n"
        "            self.params[i] += self.mom_coeff * self.velocities[i] - self.learning_rate * grad", ""),
    Bug("lab6_adagrad_assigns_into_the_arrays", "lab6.adagrad", OPT,
        "            sum_sq += grad**2\n"
        "            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)",
        "            sum_sq[...] = sum_sq + grad * grad\n"
        "            param[...] = param - self.learning_rate * grad / np.sqrt(sum_sq + self.eps)", ""),
    Bug("lab6_adagrad_negative_power", "lab6.adagrad", OPT,
        "            param -= self.learning_rate * grad / np.sqrt(sum_sq + self.eps)",
        "            param -= self.learning_rate * grad * (sum_sq + self.eps) ** -0.5", ""),
    Bug("lab6_rmsprop_one_expression", "lab6.rmsprop", OPT,
        "            mean_sq *= self.decay\n"
        "            mean_sq += (1.0 - self.decay) * grad**2\n",
        "            mean_sq[...] = self.decay * mean_sq + (1 - self.decay) * np.square(grad)\n", ""),
    Bug("lab6_rmsprop_power_half", "lab6.rmsprop", OPT,
        "            param -= self.learning_rate * grad / np.sqrt(mean_sq + self.eps)",
        "            param -= self.learning_rate * grad / (mean_sq + self.eps) ** 0.5", ""),
    Bug("lab6_adadelta_one_square_root", "lab6.adadelta", OPT,
        "            delta = -self.learning_rate * np.sqrt(mean_sq_up + self.eps) / np.sqrt(mean_sq + self.eps) * grad",
        "            delta = -self.learning_rate * grad * np.sqrt((mean_sq_up + self.eps) / (mean_sq + self.eps))", ""),
    Bug("lab6_adadelta_new_arrays_stored_back", "lab6.adadelta", OPT,
        "            mean_sq_up *= self.rho\n"
        "            mean_sq_up += (1.0 - self.rho) * delta**2\n",
        "            mean_sq_up[...] = self.rho * mean_sq_up + (1 - self.rho) * np.square(delta)\n", ""),
    Bug("lab6_exponential_decay_with_numpy", "lab6.schedules", OPT,
        "    return float(initial_rate * math.exp(-decay_rate * epoch))",
        "    return float(initial_rate * np.exp(-decay_rate * epoch, dtype=np.float64))", ""),
]

VARIANTS += [
    Bug("lab6_adam_corrected_learning_rate", "lab6.adam", OPT,
        "            m_hat = m / correction1\n"
        "            v_hat = v / correction2\n"
        "            param -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)",
        "            param -= self.learning_rate * (m / correction1) / (np.sqrt(v / correction2) + self.eps)", ""),
]
