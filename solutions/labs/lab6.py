# %% [markdown]
# # Lab 6: Optimisers
#
# Every network in this course so far was trained by the same rule: compute the gradient of the
# error on a minibatch and take a small step against it. That rule, minibatch stochastic gradient
# descent (SGD), is slow when the error surface is much steeper in some directions than in others,
# and its one learning rate is hard to set: too small and nothing happens, a little too large and
# training blows up. This lab builds the optimisers that deep-learning libraries offer instead:
# **momentum** and **Nesterov momentum**, which let steps build up along consistent directions;
# **AdaGrad**, **RMSProp**, **Adam** and **AdaDelta**, which give every weight its own step size;
# and **learning-rate schedules**, which change the step size as training goes on.
#
# ## Learning goals
#
# By the end of this lab you can
#
# 1. say why gradient descent zig-zags and crawls on an ill-conditioned error surface, and compute
#    the largest stable learning rate of a quadratic, $2/\lambda_{\max}$;
# 2. implement classical and Nesterov momentum, and explain how the velocity speeds up progress along
#    shallow directions and damps oscillations across steep ones;
# 3. implement AdaGrad and RMSProp, and explain why AdaGrad's effective learning rates can only
#    shrink while RMSProp's recover;
# 4. implement Adam with bias correction, and say what the correction fixes in the first steps;
# 5. implement AdaDelta, an adaptive rule without a learning rate;
# 6. implement step, exponential and warm-up + cosine schedules, and show why a decaying learning
#    rate helps when the gradients are noisy.
#
# ## How to work
#
# * The exercises are in **`mlplab/exercises/optimisers.py`**. Each learning rule is a class with two
#   methods to write: `reset()`, which allocates the rule's state (one array of zeros per parameter),
#   and `update_params(grads)`, which takes one step, updating every parameter **in place**. The
#   provided `GradientDescentLearningRule` in `mlplab/learning_rules.py` shows the contract; read the
#   module docstring of `mlplab/exercises/optimisers.py` first.
# * After each task, run the graded cell that follows it: `mlplab.check("lab6.<task>")` runs your
#   rule for several steps on fixed random parameters and gradients and compares every step with the
#   reference's. Equivalent formulations pass; the messages say which step differs first and, when
#   they recognise it, the likely mistake. `mlplab.check("lab6")` prints a table for the lab.
# * The first code cell switches on `autoreload`, so your edits are picked up the next time you run
#   a cell. If something behaves strangely, restart the kernel and run the notebook from the top.
# * The experiments are provided code (`mlplab/course/experiments/lab6.py`) that calls your classes. Before
#   running one, answer its question. Every statement under "What you should see" is checked by the
#   course's tests on the reference solution: if your results disagree, look for a bug.
# * **Written answers (graded by hand).** Below every question is an answer cell worth 1 point. Write
#   your prediction there *before* you run the experiment and, afterwards, one or two sentences on
#   what you saw and why. A grader reads it: a wrong guess with a right explanation afterwards earns
#   the point, an empty cell scores 0. (Double-click the cell to edit it.)
# * The whole notebook runs in well under a minute. `FULL_RUN = True` trains the networks longer.

# %%
import os

# The matrices in this lab are small: one BLAS thread computes them about as fast as several.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %load_ext autoreload
# %autoreload 2
# %matplotlib inline

import matplotlib.pyplot as plt
import numpy as np

import mlplab
from mlplab.course.experiments import budget, lab6
from mlplab.plotting import plot_history

SEED = 0          # every experiment is seeded from this number
FULL_RUN = False  # True: longer training runs

plt.rcParams["figure.figsize"] = (7, 4)

# Sizes of the MNIST runs (tiny while the autograder runs the notebook)
NUM_EPOCHS = budget(40 if FULL_RUN else 15, 1)
MAX_BATCHES = budget(None, 5)

# %% [markdown]
# ## 1. Gradient descent on a long, narrow valley
#
# Near a minimum, any smooth error function looks like a quadratic bowl. Its curvatures, the
# eigenvalues $\lambda_i$ of the Hessian, are often wildly different: the error may rise steeply
# across a valley and hardly at all along it. Our test problem is the simplest such bowl,
#
# $$f(\mathbf x) = \tfrac12\left(\lambda_1 x_1^2 + \lambda_2 x_2^2\right), \qquad
#   \lambda_1 = 1,\ \lambda_2 = 0.02,$$
#
# with gradient $(\lambda_1 x_1, \lambda_2 x_2)$ and its minimum at the origin. Gradient descent with
# learning rate $\eta$ multiplies each coordinate by $1 - \eta\lambda_i$ in every step. The steep
# direction converges only if $|1 - \eta\lambda_1| < 1$, that is $\eta < 2/\lambda_{\max}$; the shallow
# direction then shrinks by at most $1 - 2\lambda_{\min}/\lambda_{\max}$ per step. The ratio
# $\lambda_{\max}/\lambda_{\min}$, the **condition number** (here 50), decides how slow gradient
# descent is: the steep direction caps the learning rate, the shallow one sets the pace.
#
# **Question.** We run plain gradient descent for 200 steps with learning rates from 0.5 to 4. For
# which learning rates does the error go down, and what happens just above the limit?

# %% [answer lab6.learning_rate_limit]
# ### BEGIN SOLUTION
# Gradient descent on a quadratic multiplies the error along an eigenvector by $1 - \eta\lambda$ per
# step, so it converges only for $\eta < 2/\lambda_{\max} = 2$. Every rate below 2 lowers the error;
# just above 2 the steep coordinate flips sign and grows at every step, and the error explodes. Near
# the limit convergence is slow, and the shallow direction is slow at any rate.
# ### END SOLUTION

# %%
LEARNING_RATES = [0.5, 1.0, 1.5, 1.9, 1.99, 2.01, 2.1, 3.0, 3.5, 3.7, 3.9, 4.1]
limit = lab6.largest_stable_sgd_rate()
sgd_sweep = lab6.learning_rate_sweep(LEARNING_RATES, rule_names=("SGD",))
fig, ax = plt.subplots()
ax.semilogy(sgd_sweep["learning_rates"], np.minimum(sgd_sweep["SGD"], 1e12), "o-", label="SGD")
ax.axvline(limit, color="k", linestyle=":", label="2 / lambda_max")
ax.set_xlabel("learning rate")
ax.set_ylabel("loss after 200 steps / initial loss")
ax.legend()
print(f"2 / lambda_max = {limit}")
for rate, ratio in zip(sgd_sweep["learning_rates"], sgd_sweep["SGD"]):
    print(f"learning rate {rate:4.2f}: loss after 200 steps / initial loss = {ratio:.3g}")

# %% [markdown]
# **What you should see.** The limit is $2/\lambda_{\max} = 2$. Every learning rate below 2 lowers
# the error and every one above 2 makes it grow without bound (the curve is cut at $10^{12}$): at
# 2.01 the error is already larger than at the start after 200 steps. Just below the limit the steep
# coordinate flips sign at every step and shrinks only slowly (at 1.99 the loss is still above 1% of
# the start), so the best learning rate is well inside the limit. No learning rate can make the
# shallow direction fast: its factor per step is at best $1 - 2 \cdot 0.02 = 0.96$.

# %% [markdown]
# ## 2. Momentum
#
# **Classical momentum** keeps a velocity $\mathbf v$ for every parameter, a decaying sum of the past
# steps, and moves by it:
#
# $$\mathbf v \leftarrow \alpha \mathbf v - \eta\, \nabla f(\mathbf x), \qquad
#   \mathbf x \leftarrow \mathbf x + \mathbf v .$$
#
# Along a direction where the gradient keeps its sign the steps add up, towards $1/(1-\alpha)$ times
# the plain step (10 times for the typical $\alpha = 0.9$); across a valley, where the gradient flips
# sign from step to step, they cancel. The lecture writes the same rule as $\mathbf z \leftarrow
# \beta\mathbf z + \nabla f$, $\mathbf x \leftarrow \mathbf x - \eta\mathbf z$; with a constant
# learning rate, $\mathbf v = -\eta\mathbf z$ and both take the same steps. $\alpha = 0$ is plain
# gradient descent.
#
# ### Task 6.1: Momentum (2 points)
#
# In `mlplab/exercises/optimisers.py`, implement `MomentumLearningRule.reset` (a list `self.velocities` of zero
# arrays, one per parameter, of its shape and dtype) and `MomentumLearningRule.update_params`. Update
# the velocities and the parameters in place: `velocity *= ...` changes the array in the list, while
# `velocity = ...` only rebinds a local name and the velocity is lost.

# %% [task lab6.momentum]

# %% [markdown]
# **Nesterov momentum** evaluates the gradient where the momentum is about to carry the parameters,
# at the look-ahead point $\mathbf x + \alpha\mathbf v$, and corrects from there:
# $\mathbf v \leftarrow \alpha\mathbf v - \eta \nabla f(\mathbf x + \alpha \mathbf v)$,
# $\mathbf x \leftarrow \mathbf x + \mathbf v$. A trainer only computes gradients at the current
# parameters, so libraries use an equivalent form: keep track of the look-ahead point itself. Then a
# step is
#
# $$\mathbf v \leftarrow \alpha\mathbf v - \eta\, \nabla f(\mathbf x), \qquad
#   \mathbf x \leftarrow \mathbf x + \alpha\mathbf v - \eta\, \nabla f(\mathbf x),$$
#
# with the *new* velocity in the second update. If the velocity starts to carry the parameters past
# the minimum, the gradient measured ahead already points back, and the step is corrected sooner than
# with classical momentum.
#
# ### Task 6.2: Nesterov momentum (2 points)
#
# Implement `NesterovMomentumLearningRule.reset` and `.update_params` in this form.

# %% [task lab6.nesterov]

# %% [markdown]
# **Question.** From the same starting point and with the same learning rate $\eta = 0.5$, how many
# steps do gradient descent, momentum ($\alpha = 0.9$) and Nesterov momentum need to bring the error
# down to $10^{-4}$ of its initial value? How do their paths look?

# %% [answer lab6.momentum_steps]
# ### BEGIN SOLUTION
# Gradient descent needs a few hundred steps: it creeps along the shallow valley. Momentum builds up
# velocity along the valley floor and needs only a fraction of that (under 60), but overshoots and
# oscillates around the minimum. Nesterov's look-ahead gradient damps the oscillation and is faster
# still (under 30).
# ### END SOLUTION

# %%
race = lab6.optimiser_race(names=("SGD", "momentum", "Nesterov"))
grid = lab6.quadratic_contours()
fig, ax = plt.subplots(figsize=(8, 5))
ax.contour(grid["x1"], grid["x2"], grid["loss"], levels=np.geomspace(1e-3, 2, 12), colors="0.8")
for name, run in race.items():
    ax.plot(*run["path"][:60].T, ".-", label=f"{name} (first 60 steps)", markersize=4)
ax.plot(0, 0, "k*", markersize=12)
ax.set_xlabel("x1 (curvature 1)")
ax.set_ylabel("x2 (curvature 0.02)")
ax.legend()
for name, run in race.items():
    print(f"{name:>9}: loss down to 1e-4 of the start after {run['steps']} steps")

# %% [markdown]
# **What you should see.** Gradient descent needs about 300 steps: after a first jump across the
# valley it creeps along the shallow direction, losing only 1% of the remaining distance per step.
# Momentum needs fewer than a fifth as many steps (under 60): its velocity builds up along the valley
# floor, at the price of overshooting and oscillating around the minimum. Nesterov momentum is faster
# still (under 30 steps), because its look-ahead gradient damps the oscillations.
#
# Momentum also widens the range of usable learning rates. On a quadratic, heavy-ball momentum is
# stable for $\eta < 2(1 + \alpha)/\lambda_{\max}$, 3.8 for $\alpha = 0.9$:

# %% [answer lab6.momentum_race_steps]
### BEGIN SOLUTION
answer = 57
### END SOLUTION

# %%
sweep = lab6.learning_rate_sweep(LEARNING_RATES, rule_names=("SGD", "momentum"))
fig, ax = plt.subplots()
for name in ("SGD", "momentum"):
    ax.semilogy(sweep["learning_rates"], np.minimum(sweep[name], 1e12), "o-", label=name)
ax.axvline(2.0, color="k", linestyle=":")
ax.axvline(3.8, color="k", linestyle="--")
ax.set_xlabel("learning rate")
ax.set_ylabel("loss after 200 steps / initial loss")
ax.legend()
for rate, a, b in zip(sweep["learning_rates"], sweep["SGD"], sweep["momentum"]):
    print(f"learning rate {rate:4.2f}: SGD {a:9.3g}, momentum {b:9.3g}")

# %% [markdown]
# **What you should see.** With momentum the error after 200 steps is below $10^{-7}$ of the start for
# every learning rate up to 3.7, including those between 2 and 3.8 where gradient descent diverges;
# above 3.8 momentum diverges too.
#
# **Momentum schedules.** A large momentum early in training, when the gradients are large and
# change quickly, can be unstable; Sutskever et al. (2013) start at $\alpha = 0.5$ and raise it in
# stages, $\alpha_t = \min\!\left(1 - 2^{-1-\log_2(\lfloor t/250\rfloor + 1)},\ \alpha_{\max}\right)$:

# %%
steps = np.arange(5000)
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(steps, lab6.momentum_schedule(steps, 0.99))
ax.set_xlabel("step t")
ax.set_ylabel("momentum coefficient")
print("momentum at steps 0, 250, 500, 1000, 4999:",
      np.round(lab6.momentum_schedule(np.array([0, 250, 500, 1000, 4999]), 0.99), 3))

# %% [markdown]
# **What you should see.** The coefficient starts at 0.5, is 0.75 after 250 steps and 0.833 after
# 500, and creeps towards 1 until it reaches the cap $\alpha_{\max} = 0.99$ (after 12,250 steps, past
# the end of this plot).

# %% [markdown]
# What does the schedule do to a deep network? With a constant gradient, momentum multiplies the step
# by $1/(1 - \alpha)$: 2 for $\alpha = 0.5$, 10 for 0.9, 100 for 0.99. At the start of training the
# gradients are large and change direction quickly, so a large $\alpha$ piles up a velocity that no
# longer points downhill. The schedule starts with the mild factor 2 and raises it only as training
# settles, $\alpha_t = 1 - \frac{1}{2k}$ in the $k$-th stage of 250 steps.
#
# We train a ReLU network with 5 hidden layers of 100 units (He weights) on the 3,000 training digits
# with your momentum rule at learning rate 0.01 for 15 epochs (900 steps), with $\alpha$ constant at
# 0.5, 0.9 or 0.99, and with the schedule capped at 0.99. All four runs start from the same weights
# and see the same minibatches.
#
# **Question.** Which run will have the lowest training error after 15 epochs? How will the scheduled
# run compare with the constant $\alpha = 0.5$ during its first 250 steps, and afterwards? What will
# a constant 0.99 do?

# %% [answer lab6.momentum_schedule_deep_net]
# ### BEGIN SOLUTION
# For its first 250 steps the scheduled run is the $\alpha = 0.5$ run, step for step. Then its
# coefficient grows (0.75, 0.83, 0.875) and it pulls ahead of the constant 0.5. A constant 0.99 from
# the start builds up too much velocity: its error falls fast at first, then stalls and jumps back up.
# Over this short run the constant 0.9 ends lowest: the schedule never gets beyond 0.875 in 900 steps;
# what it buys is safety, a way to reach very high momentum late in long runs without the early
# instability.
# ### END SOLUTION

# %%
deep = lab6.momentum_on_a_deep_net(num_epochs=budget(30 if FULL_RUN else 15, 2), seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for label, r in deep.items():
    epochs = np.arange(1, len(r["train_error"]) + 1)
    axes[0].semilogy(epochs, r["train_error"], "o-", label=label)
    axes[1].plot(r["mom_coeff"], label=label)
axes[0].set(xlabel="epoch", ylabel="training error (mean over the epoch)")
axes[1].set(xlabel="step", ylabel="momentum coefficient")
axes[0].legend()
for label, r in deep.items():
    print(f"{label:>20}: training error after epoch 4 {r['train_error'][min(3, len(r['train_error']) - 1)]:.3f},"
          f" at the end {r['train_error'][-1]:.3f}")

# %% [markdown]
# **What you should see.** Over the first four epochs (240 steps) the scheduled run and the
# constant $\alpha = 0.5$ have exactly the same errors. After that the schedule pulls ahead: after 15
# epochs its training error is below 0.7 times that of $\alpha = 0.5$. The constant $\alpha = 0.99$ is
# erratic, its error rising again in at least two epochs, and it ends more than twice as high as the
# scheduled run. The constant $\alpha = 0.9$ ends lowest of all: a schedule is no substitute for a
# well-chosen coefficient in a short run; it is a safe path to large ones in a long run.

# %% [markdown]
# ## 3. A learning rate for every weight: AdaGrad and RMSProp
#
# Momentum still uses one learning rate for all parameters. Adaptive methods divide each entry's step
# by the size of its recent gradients, so that entries with large gradients take smaller steps and
# rarely active ones (a weight from a rare input feature) larger ones.
#
# **AdaGrad** keeps the sum of all squared gradients seen, $G \leftarrow G + g^2$ (element-wise), and
# steps by $-\eta\, g / \sqrt{G + \epsilon}$. The effective learning rate of an entry,
# $\eta/\sqrt{G+\epsilon}$, can only shrink: AdaGrad slows down by itself, which suits sparse problems
# and convex ones, but in a long training run it may stop learning too early.
#
# **RMSProp** replaces the sum by a decaying average, $S \leftarrow \gamma S + (1-\gamma) g^2$ with
# $\gamma \approx 0.9$, and steps by $-\eta\, g / \sqrt{S + \epsilon}$: it remembers only about the last
# $1/(1-\gamma)$ squared gradients.
#
# *Beside PyTorch:* both rules here put $\epsilon$ **inside** the square root; `torch.optim.Adagrad` and
# `torch.optim.RMSprop` add it outside, $g / (\sqrt{G} + \epsilon)$, and their defaults differ (torch:
# `Adagrad(lr=0.01, eps=1e-10)`, `RMSprop(lr=0.01, alpha=0.99, eps=1e-8)`; ours: `AdaGradLearningRule(
# learning_rate=0.01, eps=1e-8)`, `RMSPropLearningRule(learning_rate=1e-3, decay=0.9, eps=1e-8)`, with
# torch's `alpha` our `decay`). With the same hyper-parameters the steps agree only where $\epsilon$ is
# negligible next to $G$ or $S$.
#
# ### Task 6.3: AdaGrad (1 point)
#
# Implement `AdaGradLearningRule.reset` (state `self.sums_sq_grads`) and `.update_params`.

# %% [task lab6.adagrad]

# %% [markdown]
# ### Task 6.4: RMSProp (1 point)
#
# Implement `RMSPropLearningRule.reset` (state `self.mean_sq_grads`) and `.update_params`.

# %% [task lab6.rmsprop]

# %% [markdown]
# **Question.** We feed both rules random gradients whose size drops tenfold after 150 steps, as when
# training reaches a flatter region, and read each entry's effective learning rate off its steps
# ($-\text{step}/g$). What does each rule do after the drop?

# %% [answer lab6.adaptive_after_drop]
# ### BEGIN SOLUTION
# AdaGrad's effective rates only ever decrease, since it divides by the sum of all squared gradients;
# after the drop they stay where they were. RMSProp divides by a running average of recent squared
# gradients, which falls with the gradients, so its effective rates grow about tenfold after the drop
# and its steps keep a useful size.
# ### END SOLUTION

# %%
rates = lab6.effective_learning_rates(seed=SEED)
fig, ax = plt.subplots()
for name in ("AdaGrad", "RMSProp"):
    ax.semilogy(rates["t"], rates[name].mean(axis=1), label=f"{name}: mean over 50 entries")
ax.axvline(150, color="k", linestyle=":", label="gradients 10x smaller")
ax.set_xlabel("step")
ax.set_ylabel("effective learning rate")
ax.legend()
for name in ("AdaGrad", "RMSProp"):
    before, after = rates[name][100:150].mean(), rates[name][250:].mean()
    increases = int(np.sum(np.diff(rates[name], axis=0) > 0))
    print(f"{name:>8}: mean effective rate over steps 101-150 {before:.4f}, over steps 251-300 {after:.4f} "
          f"(x{after / before:.2f}); {increases} increases from one step to the next")

# %% [markdown]
# **What you should see.** AdaGrad's effective learning rates never increase, for any entry at any
# step; after the drop they stay where they were (within 20%), because the small new gradients barely
# add to the sum. RMSProp's rates follow the size of the recent gradients: 100 steps after the drop
# (steps 251-300) they are about 10 times (more than 5 times) what they were before it, so its steps
# keep a useful size on the flatter part.

# %% [markdown]
# ## 4. Adam
#
# **Adam** (adaptive moment estimation) combines momentum and RMSProp. It keeps decaying averages of
# the gradient, $m$ (the first moment), and of its square, $v$ (the second moment), and steps along
# $m$ divided by $\sqrt v$:
#
# $$m \leftarrow \beta_1 m + (1-\beta_1) g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2,$$
# $$\hat m = \frac{m}{1-\beta_1^t}, \qquad \hat v = \frac{v}{1-\beta_2^t}, \qquad
#   \mathbf x \leftarrow \mathbf x - \eta\,\frac{\hat m}{\sqrt{\hat v} + \epsilon},$$
#
# with $t = 1, 2, \dots$ the step number and typically $\beta_1 = 0.9$, $\beta_2 = 0.999$,
# $\epsilon = 10^{-8}$. The averages start at zero, so in the first steps they are too small: with a
# constant gradient $g$, $m = (1-\beta_1^t)\,g$ and $v = (1-\beta_2^t)\,g^2$. Dividing by those factors,
# the **bias correction**, makes $\hat m$ and $\hat v$ unbiased from the first step.
#
# ### Task 6.5: Adam with bias correction (2 points)
#
# Implement `AdamLearningRule.reset` (states `self.first_moments`, `self.second_moments`, and the step
# counter `self.step_count`, which `reset` sets back to 0) and `.update_params`. Count the step once per
# call of `update_params`, before using it.

# %% [task lab6.adam]

# %% [markdown]
# **Question.** We give your Adam rule the same gradient in every step. How do $m/g$ and $v/g^2$
# grow, and how large are the steps, with and without the bias correction?

# %% [answer lab6.adam_bias_correction]
# ### BEGIN SOLUTION
# With a constant gradient $m = (1-\beta_1^t) g$ and $v = (1-\beta_2^t) g^2$: both start far too
# small and approach $g$ and $g^2$. With the correction every step has size $\eta$ from the first.
# Without it the step is $\eta(1-\beta_1^t)/\sqrt{1-\beta_2^t}$, $0.1/\sqrt{0.001} \approx 3.2$ times
# too large at first, and it stays too large for thousands of steps.
# ### END SOLUTION

# %%
adam = lab6.adam_bias_correction(num_steps=40, seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].plot(adam["t"], adam["m_ratio"], label="m / g")
axes[0].plot(adam["t"], adam["v_ratio"], label="v / g^2")
axes[0].set_xlabel("step t")
axes[0].legend()
axes[1].plot(adam["t"], adam["step"], label="with bias correction")
axes[1].plot(adam["t"], adam["uncorrected_step"], label="without: m / (sqrt(v) + eps)")
axes[1].set_xlabel("step t")
axes[1].set_ylabel("step size / learning rate")
axes[1].legend()
for t in (1, 2, 10, 40):
    print(f"t = {t:2d}: m/g = {adam['m_ratio'][t - 1]:.4f}, v/g^2 = {adam['v_ratio'][t - 1]:.5f}, "
          f"step/lr = {adam['step'][t - 1]:.4f}, uncorrected step/lr = {adam['uncorrected_step'][t - 1]:.3f}")

# %% [markdown]
# **What you should see.** The raw averages start far too small: $m/g = 1 - \beta_1^t$ (0.1 at
# $t = 1$) and $v/g^2 = 1 - \beta_2^t$ (0.001 at $t = 1$). With the correction, every step has the size
# of the learning rate (within 0.1%) from the very first one. Without it, the two biases do not
# cancel: $m$ is too small by $1-\beta_1^t$, but the step divides by $\sqrt v$, which is too small by
# $\sqrt{1-\beta_2^t}$, so the first uncorrected step is $0.1/\sqrt{0.001} \approx 3.16$ times too
# large, and the uncorrected steps stay more than 3 times too large for all 40 steps (they approach the
# right size only after thousands of steps). The bias correction is what makes $\eta$ the step size
# from the start.
#
# A consequence: with a constant gradient Adam's step is $\eta$ whatever the size of the gradient. On
# the bowl, Adam's first step moves both coordinates by the same amount, although one curvature is 50
# times the other:

# %% [answer lab6.adam_uncorrected_second_step]
### BEGIN SOLUTION
answer = 4.25
### END SOLUTION

# %%
race_adam = lab6.optimiser_race(names=("momentum", "Nesterov", "Adam"))
fig, ax = plt.subplots(figsize=(8, 5))
ax.contour(grid["x1"], grid["x2"], grid["loss"], levels=np.geomspace(1e-3, 2, 12), colors="0.8")
for name, run in race_adam.items():
    ax.plot(*run["path"][:80].T, ".-", label=f"{name} (first 80 steps)", markersize=4)
ax.plot(0, 0, "k*", markersize=12)
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.legend()
first_step = race_adam["Adam"]["path"][1] - race_adam["Adam"]["path"][0]
print(f"Adam (learning rate 0.05): first step {np.round(first_step, 5)}; loss down to 1e-4 of the start after "
      f"{race_adam['Adam']['steps']} steps")

# %% [markdown]
# **What you should see.** Adam's first step is $-0.05$ in both coordinates (to 4 decimals): it
# follows the signs of the gradient rather than its size, heads diagonally towards the valley floor
# and reaches $10^{-4}$ of the initial loss in under 100 steps, without being told the curvatures.

# %% [markdown]
# ## 5. AdaDelta
#
# **AdaDelta** starts from RMSProp and replaces the learning rate by a second running average, of
# the squared *steps* $U$:
#
# $$S \leftarrow \rho S + (1-\rho) g^2, \qquad
#   \Delta = -\frac{\sqrt{U + \epsilon}}{\sqrt{S + \epsilon}}\, g, \qquad
#   U \leftarrow \rho U + (1-\rho) \Delta^2, \qquad \mathbf x \leftarrow \mathbf x + \Delta .$$
#
# The ratio of the two root-mean-squares has the units of the parameters divided by those of the
# gradient, so the step has the units of the parameters without a hand-set learning rate. $\epsilon$
# matters in the numerator: at the start $U = 0$, and only $\sqrt{\epsilon}$ gets the first steps
# going. (Our class keeps a `learning_rate` factor on $\Delta$, 1 by default.) *Beside PyTorch:*
# `torch.optim.Adadelta(lr, rho=0.9, eps=1e-6)` accumulates $U$ from the step *before* multiplying it by
# `lr`, while ours accumulates the step with the factor in it: the two agree only for a learning rate
# of 1 (and our default $\rho$ is 0.95).
#
# ### Task 6.6: AdaDelta (2 points)
#
# Implement `AdaDeltaLearningRule.reset` (states `self.mean_sq_grads`, `self.mean_sq_updates`) and
# `.update_params`. Use $S$ updated with the current gradient and $U$ from the previous steps; update
# $U$ with the new step afterwards.

# %% [task lab6.adadelta]

# %% [markdown]
# ## 6. All the optimisers on MNIST
#
# **Question.** We train one 784-100-10 ReLU network on the 3,000 MNIST training digits with each
# rule, at the usual default settings (SGD, momentum and Nesterov: $\eta = 0.05$, $\alpha = 0.9$;
# AdaGrad $\eta = 0.05$; RMSProp and Adam $\eta = 10^{-3}$; AdaDelta without a learning rate). All
# runs start from the same weights and see the same minibatches. Which rules bring the training error
# down fastest? Do they also give the best validation error?

# %% [answer lab6.optimisers_mnist]
# ### BEGIN SOLUTION
# Momentum and Nesterov (and the adaptive rules) bring the training error down much faster than
# plain SGD at the same rate. The validation errors are much closer together: on 3,000 digits every
# rule overfits, and the fastest optimiser is not the best at generalising; with untuned settings the
# ranking is not general.
# ### END SOLUTION

# %%
histories = lab6.train_with_optimisers(num_epochs=NUM_EPOCHS, max_batches=MAX_BATCHES, seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
plot_history(histories, keys=("train_error",), ax=axes[0])
axes[0].set_yscale("log")
plot_history(histories, keys=("valid_error",), ax=axes[1])
for name, h in histories.items():
    print(f"{name:>9}: training error {h.train_error[-1]:.3f}, validation error {h.valid_error[-1]:.3f} "
          f"(lowest {min(h.valid_error):.3f} after epoch {h.best_epoch}), accuracy {h.valid_acc[-1]:.3f}")

# %% [markdown]
# **What you should see.** After 15 epochs every other rule has a training error below half of plain
# gradient descent's, and momentum and Nesterov momentum, at the same learning rate as SGD, are below
# a tenth of it. The validation errors are much closer together (all between 0.25 and 0.4): every rule
# overfits this small training set, and the fastest optimiser is not the one that generalises best.
# The ranking depends on the hyper-parameters; none of these was tuned.

# %% [markdown]
# ## 7. Learning-rate schedules
#
# Minibatch gradients are noisy. With a constant learning rate the parameters never settle: near the
# minimum the noise keeps kicking them around, the more the larger $\eta$ is. Lowering the learning
# rate as training goes on, with a **schedule** $\eta(t)$ of the epoch $t$, gives fast progress first
# and precise convergence later. Three common schedules:
#
# * **step decay**: multiply by a factor (e.g. 0.5) every $k$ epochs,
#   $\eta(t) = \eta_0 \cdot \text{factor}^{\lfloor t/k \rfloor}$;
# * **exponential decay**: $\eta(t) = \eta_0 e^{-kt}$;
# * **linear warm-up and cosine decay**: climb linearly from $\eta_0/W$ to $\eta_0$ over $W$ epochs
#   (large first steps from random weights can be unstable, notably for adaptive methods whose
#   averages are still poor), then fall along half a cosine to a final rate at epoch $T$.
#
# Epochs count from 0, and $\eta(0)$ is the learning rate of the first epoch. After epoch $T$ our
# warm-up + cosine schedule stays at the final rate; `torch.optim.lr_scheduler.CosineAnnealingLR` keeps
# following the cosine past `T_max`, back up towards the initial rate.
#
# ### Task 6.7: Learning-rate schedules (2 points)
#
# Implement `step_decay`, `exponential_decay` and `warmup_cosine` in `mlplab/exercises/optimisers.py`, following
# their docstrings.

# %% [task lab6.schedules]

# %%
curves = lab6.schedule_curves(num_epochs=40, initial_rate=0.1)
fig, ax = plt.subplots()
for name, values in curves.items():
    if name != "epoch":
        ax.plot(curves["epoch"], values, ".-", label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("learning rate")
ax.legend();

# %% [markdown]
# **Question.** On the bowl of section 1, with Gaussian noise (standard deviation 0.3) added to every
# gradient, we run gradient descent (200 independent runs, 25 steps per epoch, 40 epochs) with a
# constant learning rate 0.5 and with the three schedules starting from 0.5. Where does the loss
# settle?

# %% [answer lab6.schedules_noise]
# ### BEGIN SOLUTION
# With a constant rate the loss falls quickly and then fluctuates around a noise floor, set by the
# noise each step adds, and stays there. Decaying rates add less noise per step as they shrink, so the
# parameters settle closer to the minimum and the loss ends several times lower.
# ### END SOLUTION

# %%
from mlplab.exercises.optimisers import exponential_decay, step_decay, warmup_cosine

schedules = {
    "constant 0.5": lambda t: 0.5,
    "step decay": lambda t: step_decay(t, 0.5, 0.5, 10),
    "exponential": lambda t: exponential_decay(t, 0.5, 0.05),
    "warm-up + cosine": lambda t: warmup_cosine(t, 0.5, 39, 5, 0.005),
}
noisy = lab6.schedules_on_noisy_bowl(schedules, seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for name in schedules:
    axes[0].semilogy(noisy["epoch"], noisy[name], label=name)
    axes[1].plot(noisy["epoch"], noisy[f"{name} rate"], label=name)
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("mean loss over 200 runs")
axes[1].set_xlabel("epoch")
axes[1].set_ylabel("learning rate")
axes[0].legend()
for name in schedules:
    print(f"{name:>16}: loss after epoch 10 {noisy[name][9]:.4f}, after epoch 40 {noisy[name][-1]:.4f}")

# %% [markdown]
# **What you should see.** With the constant learning rate the loss stops falling after a few epochs
# and fluctuates around a noise floor (about 0.025, the same after 10 and after 40 epochs). Each of the
# three schedules ends more than 4 times lower: as the learning rate shrinks, each step adds less noise,
# and the parameters settle closer to the minimum.

# %% [markdown]
# ## 8. Adam's relatives: AdaMax, Nadam, AMSGrad and AdamW
#
# Adam has many descendants; four are in every library. They all keep Adam's bias-corrected first
# moment $\hat m$ and change one thing:
#
# * **AdaMax** divides by $u \leftarrow \max(\beta_2 u, |g|)$, a decaying *maximum* of the gradient
#   sizes (the $L^\infty$ norm in place of Adam's $L^2$), which needs no bias correction:
#   $p \leftarrow p - \frac{\eta}{1 - \beta_1^t}\, m / (u + \epsilon)$.
# * **Nadam** adds Nesterov's look-ahead to the first moment: the step uses
#   $\beta_1 \hat m + (1 - \beta_1)\, g / (1 - \beta_1^t)$, where the next $\hat m$ would head if the
#   gradient stayed $g$.
# * **AMSGrad** divides by the largest second moment seen so far, $v_{\max} \leftarrow \max(v_{\max}, v)$,
#   so that its effective learning rate can never grow again; Adam's can, when large gradients are
#   forgotten, which can keep it from converging.
# * **AdamW** decouples weight decay from the gradient. Adding $\lambda p$ to the gradient (L2
#   regularisation) sends the decay through Adam's division by $\sqrt{\hat v}$, so it depends on each
#   parameter's gradient history; AdamW subtracts $\eta\lambda p$ from the parameter directly.
#
# The docstrings of `mlplab/exercises/adam_variants.py` give the exact update of each.
#
# ### Task 6.8: AdaMax (1 point)
#
# Implement `AdaMaxLearningRule.reset` and `update_params` in `mlplab/exercises/adam_variants.py`.

# %% [task lab6.adamax]

# %% [markdown]
# ### Task 6.9: Nadam (1 point)

# %% [task lab6.nadam]

# %% [markdown]
# ### Task 6.10: AMSGrad (1 point)

# %% [task lab6.amsgrad]

# %% [markdown]
# ### Task 6.11: AdamW: decoupled weight decay (1 point)

# %% [task lab6.adamw]

# %% [markdown]
# ### When the gradients shrink
#
# We give Adam and its relatives (learning rate 0.01, $\beta_1 = 0.9$, $\beta_2 = 0.99$) gradients that
# point the same way on average, with noise, and whose size drops tenfold after 150 steps, and plot
# the mean size of their steps.
#
# **Question.** What happens to the step sizes of Adam and of AMSGrad after the drop?

# %% [answer lab6.amsgrad_after_drop]
# ### BEGIN SOLUTION
# Both shrink at once, since $m$ follows the smaller gradients. Adam's $v$ then forgets the large
# gradients, its denominator shrinks and its steps grow back (to well over twice AMSGrad's by steps
# 300-400). AMSGrad's $v_{\max}$ still holds the large gradients, so its steps stay about a tenth of
# their size before the drop: its effective learning rate never grows.
# ### END SOLUTION

# %%
drop = lab6.step_sizes_after_a_drop(seed=SEED)
fig, ax = plt.subplots()
for name in ("Adam", "AMSGrad", "AdaMax", "Nadam"):
    ax.semilogy(drop["t"], drop[name], label=name)
ax.axvline(150, color="k", linestyle=":")
ax.set_xlabel("step")
ax.set_ylabel("mean |step|")
ax.legend()
for name in ("Adam", "AMSGrad", "AdaMax", "Nadam"):
    print(f"{name:>8}: mean step before the drop (steps 101-150) {drop[name][100:150].mean():.5f},"
          f" steps 301-400 {drop[name][300:400].mean():.5f}")

# %% [markdown]
# **What you should see.** Every rule's steps shrink at the drop. By steps 301-400 Adam's steps are
# more than twice as large as AMSGrad's, whose steps stay below 0.2 times their size before the drop.
#
# ### Decoupled weight decay
#
# Two groups of 25 parameters start at 1 and receive pure noise as gradients, of standard deviation 1
# for the first group and 0.01 for the second, so only weight decay ($\lambda = 0.1$, learning rate
# 0.01, 1,000 steps) can shrink them on average. We compare your Adam given $g + \lambda p$ with your
# AdamW. Plain decay would multiply every parameter by $(1 - \eta\lambda)^{1000} \approx 0.37$.
#
# **Question.** How far will each method shrink each group?

# %% [answer lab6.decoupled_decay]
# ### BEGIN SOLUTION
# AdamW shrinks both groups about alike, close to $(1 - \eta\lambda)^{1000} \approx 0.37$, since its
# decay ignores the gradients. With L2 through Adam the decay term is divided by $\sqrt{\hat v}$: for
# the large-gradient group $\sqrt{\hat v} \approx 1$ and it decays about as AdamW does, but for the
# small-gradient group $\sqrt{\hat v}$ is tiny, the decay dominates the normalised step and those
# parameters are driven almost to zero, far more than the first group.
# ### END SOLUTION

# %%
decay = lab6.decoupled_weight_decay(seed=SEED)
print(f"plain decay (1 - lr * lambda)^1000 = {decay['pure decay']:.3f}")
for name in ("Adam + L2", "AdamW"):
    print(f"{name:>10}: mean |p| of the large-gradient group {decay[name]['large gradients']:.3f},"
          f" of the small-gradient group {decay[name]['small gradients']:.3f}")

# %% [markdown]
# **What you should see.** AdamW leaves both groups within 0.15 of the plain decay factor, about 0.37.
# Adam with L2 decays the large-gradient group about as much, but the small-gradient group more than
# ten times as much (its mean $|p|$ below a tenth of the other group's): with Adam, L2 regularisation
# is not weight decay.

# %% [markdown]
# ## 9. Gradient clipping
#
# An exploding gradient (Lab 1) can throw the parameters far off in a single step, undoing everything
# learned so far. **Clipping by the global norm** bounds every step: when the norm of all gradients
# together, $\|g\| = \sqrt{\sum_k \|g_k\|^2}$ over the parameter arrays $k$, exceeds a threshold $c$,
# every gradient is multiplied by $c/\|g\|$. The direction is kept, only the length is capped, so a
# step of gradient descent is never longer than $\eta c$.
#
# ### Task 6.12: Gradient clipping by the global norm (1 point)
#
# In `mlplab/exercises/gradient_clipping.py`, implement `clip_by_global_norm(grads_wrt_params, max_norm)`:
# new arrays, the caller's left alone, and the global norm before clipping returned too.

# %% [task lab6.clipping]

# %% [markdown]
# We run gradient descent on the bowl of section 1 at learning rate 2.2, above the stable limit of 2,
# once as it is and once with the gradient clipped to norm 1 before every step.
#
# **Question.** What will the loss of each run do over 200 steps? Will clipping make the run converge?

# %% [answer lab6.clipping_bowl]
# ### BEGIN SOLUTION
# Without clipping the steep coordinate is multiplied by $1 - 2.2 = -1.2$ in every step, so the loss
# grows geometrically, to astronomical values. With clipping a step is at most $\eta c = 2.2$ long:
# once the steep coordinate is larger than about 1 the clipped step just carries it to the other side,
# so the loss stays bounded near its starting value. But it does not converge: the learning rate is
# still too large for the steep direction. Clipping limits the damage of rare huge gradients; it is
# no substitute for a suitable learning rate.
# ### END SOLUTION

# %%
clipping = lab6.clipping_on_the_bowl(learning_rate=2.2, max_norm=1.0, num_steps=200)
fig, ax = plt.subplots()
ax.semilogy(clipping["step"], clipping["plain"], label="no clipping")
ax.semilogy(clipping["step"], clipping["clipped"], label="clipped to norm 1")
ax.set_xlabel("step")
ax.set_ylabel("loss")
ax.legend()
print(f"after 200 steps: without clipping {clipping['plain'][-1]:.3g}, with clipping {clipping['clipped'][-1]:.3g}"
      f" (start {clipping['plain'][0]:.3g}); clipping acted in"
      f" {np.mean(clipping['clipped norms'] > 1.0):.0%} of the steps")

# %% [markdown]
# **What you should see.** Without clipping the loss is above $10^{12}$ after 200 steps. With clipping
# it never exceeds 1.5 times its starting value, in any step, but it does not converge either: it is
# still above 0.4 after 200 steps.

# %% [markdown]
# ## Summary
#
# * Gradient descent on a quadratic is stable only for $\eta < 2/\lambda_{\max}$, and then the
#   shallowest direction, $\lambda_{\min}$, sets its pace: the condition number decides.
# * Momentum accumulates a velocity that speeds up consistent directions and damps oscillating ones;
#   Nesterov momentum evaluates the gradient at the look-ahead point and corrects sooner.
# * AdaGrad divides by the root of all past squared gradients: its per-entry learning rates only
#   shrink. RMSProp uses a decaying average instead, so its rates adapt both ways.
# * Adam combines momentum with RMSProp's scaling; its bias correction makes the first steps the
#   intended size. AdaDelta replaces the learning rate by the root-mean-square of past steps.
# * Schedules (step, exponential, warm-up + cosine) lower the learning rate over training, so that
#   noisy minibatch gradients do not keep the parameters away from the minimum.
# * AdaMax, Nadam, AMSGrad and AdamW change one thing each: a maximum instead of an average of the
#   gradient sizes, a Nesterov look-ahead, a denominator that never shrinks, and weight decay kept out
#   of the adaptive scaling.
# * Clipping the global norm of the gradients caps the length of every step; it guards against rare
#   huge gradients, not against a learning rate that is too large.
#
# Run the self-check for the whole lab one last time:

# %%
mlplab.check("lab6")
