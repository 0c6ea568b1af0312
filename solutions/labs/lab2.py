# %% [markdown]
# # Lab 2: Batch normalisation
#
# In Lab 1 we chose the initial weights so that signals keep a sensible size on their way through a
# deep network. But that only holds at the start. As soon as training changes the weights of the
# first layers, the numbers that reach the later layers change too: their mean drifts, their spread
# grows or shrinks, and every later layer has to keep adapting to inputs that move under its feet.
# Batch normalisation (Ioffe and Szegedy, 2015) re-standardises the inputs of a layer on every
# minibatch, as part of the network, so that whatever the earlier layers do, each unit sees inputs with
# a controlled mean and spread.
#
# ## Learning goals
#
# By the end of this lab you can
#
# 1. explain why the inputs of later layers keep changing during training, and what normalising each
#    unit over the minibatch does about it;
# 2. implement the batch norm transform with its learned scale $\gamma$ and shift $\beta$, and derive
#    and implement its backward pass with the chain rule through the batch mean and the batch variance;
# 3. say what must change between training and inference, compute inference statistics by the
#    lecture's algorithm and by running averages, and fold the inference transform into one affine map;
# 4. implement batch norm for the feature maps of convolutional layers;
# 5. show with experiments that batch norm tolerates much larger learning rates and much worse
#    initial weights, and say what it costs: a dependence on the batch, which small batches make worse;
# 6. discuss two explanations of why it works: internal covariate shift and a smoother loss landscape.
#
# ## How to work
#
# * All eight exercises are functions in **one file, `mlplab/exercises/batch_norm.py`**. Open it, read
#   the docstring of a function, and replace its `raise NotImplementedError(...)` with your code.
#   The layer that uses them, `BatchNormLayer`, is provided in `mlplab/layers/normalisation.py`:
#   read it, it is short.
# * After each task, run the graded cell that follows its description: it runs the self-check
#   `mlplab.check("lab2.<task>")` against stored reference outputs and tells you what is wrong.
#   `mlplab.check("lab2")` prints a table for the whole lab.
# * The first code cell switches on `autoreload`, so edits to your file are picked up when you run
#   the next cell. If anything behaves strangely, restart the kernel and run the cells from the top.
# * The experiments are provided code (`mlplab/course/experiments/lab2.py`) that calls your functions. Before
#   running one, write down what you expect. Every statement under "What you should see" is checked
#   by the course's tests on the reference solution, so a plot that disagrees points to a bug.
# * **Written answers (graded by hand).** Below every question is an answer cell worth 1 point. Write
#   your prediction there *before* you run the experiment and, afterwards, one or two sentences on
#   what you saw and why. A grader reads it: a wrong guess with a right explanation afterwards earns
#   the point, an empty cell scores 0. (Double-click the cell to edit it.)
# * The default sizes keep the whole notebook under a minute. Set `FULL_RUN = True` for longer runs.

# %%
import os

# The matrices here are small: one BLAS thread is as fast as several and is not slowed down when
# other programs compete for the processor. (This only works before numpy is first imported, so it
# comes before %matplotlib, which imports it.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %load_ext autoreload
# %autoreload 2
# %matplotlib inline

import matplotlib.pyplot as plt
import numpy as np

import mlplab
from mlplab.course.experiments import budget, lab2
from mlplab.plotting import plot_history, plot_per_layer

SEED = 0          # every experiment is seeded from this number
FULL_RUN = False  # True: longer training runs (about a minute more)

EPOCHS = budget(10 if FULL_RUN else 3, 1)   # training epochs of every network below
NUM_TRAIN = budget(3000, 500)               # training digits (at most 3,000)
plt.rcParams["figure.figsize"] = (7, 4)

# %% [markdown]
# ## 1. A moving target for every layer
#
# Write a deep network as a chain $\mathbf h^{(l)} = f\big(W^{(l)} \mathbf h^{(l-1)} + \mathbf b^{(l)}\big)$.
# Layer $l$ learns its weights for the distribution of its inputs $\mathbf h^{(l-1)}$. But those
# inputs are computed by all the layers below, whose weights change at every step of gradient
# descent. So the distribution that layer $l$ is fitting keeps moving, and the deeper the layer, the
# more layers below it move it. Ioffe and Szegedy call this change of the distribution of a layer's
# inputs during training **internal covariate shift**.
#
# It causes two kinds of trouble. A layer spends part of every update catching up with the change
# below it, so the learning rate must stay small. And a shift of the pre-activations can push units
# into the flat parts of their nonlinearity (a sigmoid far from 0, a ReLU below 0), where the gradient
# vanishes. Lab 1 controlled the distribution at the *start* of training through the initial weights;
# batch normalisation controls it *throughout* training.
#
# We already know how to fix the distribution of the network's *inputs*: standardise every feature
# (Lab 1). Batch normalisation does the same for the inputs of every unit inside the network, using
# the only data at hand during a step of gradient descent, the current minibatch, and it does it in
# a differentiable way, so that gradient descent knows about the normalisation.

# %% [markdown]
# ## 2. The batch norm transform
#
# Take one unit and its values $x_1, \dots, x_m$ on the $m$ examples of a minibatch $\mathcal B$
# (typically the output of an affine layer, before the nonlinearity). Batch normalisation computes
#
# $$\mu_\mathcal B = \frac1m \sum_{i=1}^m x_i, \qquad
#   \sigma^2_\mathcal B = \frac1m \sum_{i=1}^m (x_i - \mu_\mathcal B)^2, \qquad
#   \hat x_i = \frac{x_i - \mu_\mathcal B}{\sqrt{\sigma^2_\mathcal B + \epsilon}}, \qquad
#   y_i = \gamma\,\hat x_i + \beta .$$
#
# * The variance is the **biased** one (divide by $m$): it describes this batch, it is not an estimate
#   of anything yet.
# * $\epsilon$ (e.g. $10^{-5}$) goes **inside** the square root. It keeps the division finite when a
#   unit barely varies over the batch, and it makes the transform smooth in $\sigma^2_\mathcal B$.
# * Over the batch, the $\hat x_i$ have mean 0 and variance $\sigma^2_\mathcal B / (\sigma^2_\mathcal B + \epsilon)
#   \approx 1$. That alone would restrict what the layer can represent: a sigmoid fed with
#   standardised inputs works mostly in its near-linear middle. So every unit gets two learned
#   parameters, the scale $\gamma$ and the shift $\beta$, and outputs $y_i$ with mean $\beta$ and
#   standard deviation $|\gamma|$. With $\gamma = \sqrt{\sigma^2_\mathcal B + \epsilon}$ and
#   $\beta = \mu_\mathcal B$ the layer could even undo the normalisation: nothing is lost, but the mean
#   and the spread are now set directly by two parameters instead of by an interplay of all the
#   weights below.
# * The bias $\mathbf b$ of the affine layer before a batch norm layer no longer matters: subtracting
#   the batch mean removes it, and $\beta$ takes over its role.
#
# Each of the $D$ units of a layer is normalised separately: with inputs of shape $(m, D)$ the
# statistics are taken over axis 0, the examples.

# %% [markdown]
# ### Task 2.1: Batch norm forward pass in training mode (2 points)
#
# In `mlplab/exercises/batch_norm.py`, implement `batchnorm_forward(inputs, gamma, beta, eps)`: return
# the outputs $y$ of shape $(m, D)$ together with the batch means $\mu_\mathcal B$ and the biased batch
# variances $\sigma^2_\mathcal B$, each of shape $(D,)$.

# %% [task lab2.batchnorm_forward]

# %% [markdown]
# **Question.** Five units have means from $-20$ to $37$ and standard deviations from $0.01$ to
# $100$. What means and standard deviations do their outputs have with $\gamma = 1$, $\beta = 0$?
# With $\gamma = (0.5, 1, 2, 3, -1)$ and $\beta = (-1, 0, 1, 2, 5)$? Is there a unit for which $\epsilon$
# makes a visible difference?

# %% [answer lab2.batchnorm_outputs]
# ### BEGIN SOLUTION
# With $\gamma = 1, \beta = 0$ every unit comes out with mean 0 and standard deviation 1, whatever
# its input scale, except where the batch variance is comparable to $\epsilon$: the unit with standard
# deviation 0.01 has variance of order $10^{-4}$, so dividing by $\sqrt{\sigma^2 + \epsilon}$ leaves its
# standard deviation visibly below 1. With the other $\gamma, \beta$ the means are the $\beta$s and the
# standard deviations $|\gamma|$ times those (a negative $\gamma$ flips the unit).
# ### END SOLUTION

# %%
demo = lab2.forward_demo(seed=SEED)
print(f"{'unit':>4} {'input mean':>11} {'input std':>10} {'output mean':>12} {'output std':>11}"
      f" {'gamma':>6} {'beta':>5} {'mean':>7} {'std':>7}")
for j in range(len(demo["gamma"])):
    print(f"{j:4d} {demo['input_mean'][j]:11.3f} {demo['input_std'][j]:10.4f} {demo['plain_mean'][j]:12.1e}"
          f" {demo['plain_std'][j]:11.5f} {demo['gamma'][j]:6.1f} {demo['beta'][j]:5.1f}"
          f" {demo['scaled_mean'][j]:7.3f} {demo['scaled_std'][j]:7.4f}")

# %% [markdown]
# **What you should see.** With $\gamma = 1$ and $\beta = 0$ every unit comes out with mean 0 (up to
# rounding, below $10^{-10}$) and, whatever its input scale, a standard deviation within $10^{-3}$ of 1,
# except the unit whose standard deviation is 0.01: its variance ($7 \cdot 10^{-5}$) is only a few
# times $\epsilon$, and its outputs have a standard deviation of about 0.93, i.e.
# $\sqrt{\sigma^2_\mathcal B / (\sigma^2_\mathcal B + \epsilon)}$. With the other $\gamma$ and
# $\beta$ the means are exactly the $\beta$s and the standard deviations are $|\gamma|$ times those
# of the first case (a negative $\gamma$ flips the unit).

# %% [answer lab2.small_std_unit]
### BEGIN SOLUTION
answer = "b"
### END SOLUTION

# %% [markdown]
# ## 3. The backward pass: three paths through the statistics
#
# In an ordinary elementwise layer, $x_i$ affects only $y_i$. Here every $x_i$ also affects the batch
# mean and the batch variance, and through them every output of the same unit. Drawing the
# computation as a graph, $x_i$ reaches the error along three paths: directly through $\hat x_i$,
# through $\mu_\mathcal B$, and through $\sigma^2_\mathcal B$ (which itself depends on $\mu_\mathcal B$).
# The multivariate chain rule adds up the three contributions. Writing
# $\delta_i = \partial E / \partial y_i$ (what `bprop` receives) and $s = \sqrt{\sigma^2_\mathcal B + \epsilon}$:
#
# $$\frac{\partial E}{\partial \hat x_i} = \delta_i\,\gamma, \qquad
#   \frac{\partial E}{\partial \sigma^2_\mathcal B} = \sum_{i=1}^m \frac{\partial E}{\partial \hat x_i}\,(x_i - \mu_\mathcal B)\cdot\Big(-\frac12\Big) s^{-3},$$
#
# $$\frac{\partial E}{\partial \mu_\mathcal B} = \sum_{i=1}^m \frac{\partial E}{\partial \hat x_i}\cdot\Big(-\frac1s\Big)
#   + \frac{\partial E}{\partial \sigma^2_\mathcal B}\cdot\frac1m \sum_{i=1}^m -2\,(x_i - \mu_\mathcal B),$$
#
# $$\frac{\partial E}{\partial x_i} = \underbrace{\frac{\partial E}{\partial \hat x_i}\cdot\frac1s}_{\text{direct}}
#   + \underbrace{\frac{\partial E}{\partial \sigma^2_\mathcal B}\cdot\frac{2(x_i - \mu_\mathcal B)}{m}}_{\text{through the variance}}
#   + \underbrace{\frac{\partial E}{\partial \mu_\mathcal B}\cdot\frac1m}_{\text{through the mean}},$$
#
# using $\partial \mu_\mathcal B / \partial x_i = 1/m$ and $\partial \sigma^2_\mathcal B / \partial x_i = 2(x_i - \mu_\mathcal B)/m$.
# (The second term of $\partial E/\partial\mu_\mathcal B$ is zero, since deviations from the mean sum to
# zero; it is kept here to show where it comes from.) The parameters are used by every example, so
# their gradients are sums over the batch:
#
# $$\frac{\partial E}{\partial \gamma} = \sum_{i=1}^m \delta_i\,\hat x_i, \qquad \frac{\partial E}{\partial \beta} = \sum_{i=1}^m \delta_i .$$
#
# Collecting terms gives a compact form that is cheaper to compute:
# $\frac{\partial E}{\partial x_i} = \frac{\gamma}{m s}\Big(m\,\delta_i - \sum_k \delta_k - \hat x_i \sum_k \delta_k \hat x_k\Big)$.
# It shows two facts worth remembering. The gradients of a unit **sum to zero over the batch**: adding
# the same number to every input of a unit changes no output, so it cannot change the error. And they
# are (up to $\epsilon$) **uncorrelated with $\hat x$**: scaling the inputs of a unit changes no output
# either. The mean path enforces the first fact, the variance path the second.

# %% [markdown]
# ### Task 2.2: Batch norm backward pass (3 points)
#
# In `mlplab/exercises/batch_norm.py`, implement `batchnorm_backward(inputs, gamma, grads_wrt_outputs, eps)`:
# return $\partial E/\partial x$ of shape $(m, D)$ and $\partial E/\partial\gamma$, $\partial E/\partial\beta$
# of shape $(D,)$. Recompute the batch statistics from `inputs` (the layer's `bprop` receives the
# inputs of its forward pass, not a cache).

# %% [task lab2.batchnorm_backward]

# %% [markdown]
# **Question.** The provided `BatchNormLayer` calls your function in its `bprop` and
# `grads_wrt_params`. How close to central differences should a correct implementation be, in float64?

# %% [answer lab2.batchnorm_gradcheck]
# ### BEGIN SOLUTION
# In float64 central differences have an error of order $h^2$ plus rounding, so a correct
# backward pass agrees to a relative error far below $10^{-6}$ (here below $10^{-7}$ for the inputs
# and $10^{-9}$ for $\gamma, \beta$). A wrong term, such as a missing path through the mean or the
# variance, gives an error of order 1.
# ### END SOLUTION

# %%
check = lab2.gradient_check(seed=SEED)
for name in ("inputs", "gamma", "beta"):
    print(f"relative error of dE/d{name:<6}: {check[name]:.1e}")
print(f"largest |sum over the batch of dE/dx| (relative): {check['sum_over_batch']:.1e}")
print(f"largest |sum over the batch of dE/dx * xhat| (relative): {check['correlation_with_xhat']:.1e}")

# %% [markdown]
# **What you should see.** The relative error of $\partial E/\partial x$ is below $10^{-7}$ and those of
# $\partial E/\partial \gamma$ and $\partial E/\partial\beta$ below $10^{-9}$. The gradients of each unit
# sum to zero over the batch up to rounding (below $10^{-12}$ of their size), while their correlation
# with $\hat x$ is small but not zero (below $10^{-3}$): that is $\epsilon$'s doing.

# %% [markdown]
# ## 4. Training and inference
#
# In training mode the output for an example depends on the other examples of its batch. At
# inference that is unacceptable: a prediction must not change with the company an example keeps,
# it must be defined for a single example, and it should be deterministic. So after training each unit
# is normalised with **fixed** statistics that describe the whole training population. Ioffe and
# Szegedy's algorithm (the one in the lecture) freezes the trained network, runs it over $K$ training
# minibatches of size $m$ (in training mode), records each batch's $\mu_\mathcal B$ and $\sigma^2_\mathcal B$,
# and averages:
#
# $$\mathrm E[x] = \frac1K \sum_\mathcal B \mu_\mathcal B, \qquad
#   \mathrm{Var}[x] = \frac{m}{m-1}\cdot\frac1K \sum_\mathcal B \sigma^2_\mathcal B .$$
#
# The factor $\frac{m}{m-1}$ is needed because the biased variance of $m$ values underestimates the
# variance of the distribution they come from: $\mathbb E[\sigma^2_\mathcal B] = \frac{m-1}{m}\mathrm{Var}[x]$.
# For $m = 50$ that is 2%; for $m = 4$, 25%.
#
# Most libraries avoid the extra pass over the data and keep **running averages** instead, updated
# after every training minibatch with a momentum $\rho$ (e.g. 0.9):
#
# $$\hat\mu \leftarrow \rho\,\hat\mu + (1-\rho)\,\mu_\mathcal B, \qquad
#   \hat\sigma^2 \leftarrow \rho\,\hat\sigma^2 + (1-\rho)\,\frac{m}{m-1}\,\sigma^2_\mathcal B .$$
#
# *Beside PyTorch:* our momentum is the weight of the **old** value; `torch.nn.BatchNorm1d(momentum=...)`
# gives it to the new batch, so our $\rho = 0.9$ is `torch.nn.BatchNorm1d(d, momentum=0.1)` (torch also
# uses the $m/(m-1)$ correction for the running variance).
#
# They are cheaper, but they average over roughly the last $1/(1-\rho)$ batches, computed with
# weights that kept changing, rather than over many batches of the final network.
#
# With fixed statistics the transform is affine in $x$ and can be written as one scale and one shift:
#
# $$y = \frac{\gamma}{\sqrt{\mathrm{Var}[x] + \epsilon}}\cdot x + \Big(\beta - \frac{\gamma\,\mathrm E[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}\Big).$$
#
# It can even be merged into the affine layer before it: batch normalisation costs nothing at
# inference.

# %% [markdown]
# ### Task 2.3: Population statistics from training minibatches (1 point)
#
# In `mlplab/exercises/batch_norm.py`, implement `population_statistics(batch_means, batch_vars, batch_size)`:
# from the $(K, D)$ arrays of batch means and biased batch variances of $K$ minibatches of `batch_size`
# examples, return $\mathrm E[x]$ and $\mathrm{Var}[x]$ of shape $(D,)$ by the algorithm above.

# %% [task lab2.population_statistics]

# %% [markdown]
# ### Task 2.4: Running averages of the batch statistics (1 point)
#
# In `mlplab/exercises/batch_norm.py`, implement
# `update_running_statistics(running_mean, running_var, batch_mean, batch_var, batch_size, momentum)`:
# one step of the running averages above, returning new arrays.

# %% [task lab2.running_statistics]

# %% [markdown]
# ### Task 2.5: Batch norm at inference as one affine transform (1 point)
#
# In `mlplab/exercises/batch_norm.py`, implement `fold_batchnorm(gamma, beta, mean, var, eps)`: return
# `scale` and `shift`, each of shape $(D,)$, such that the inference transform is `scale * x + shift`.

# %% [task lab2.fold]

# %% [markdown]
# ### The two modes of the layer
#
# Like every layer of `mlplab`, `BatchNormLayer` has an explicit mode: `layer.train()` and
# `layer.eval()` (or `model.train()`, `model.eval()` for a whole network; `Trainer` trains in training
# mode and evaluates on validation data in evaluation mode). It stores `running_mean` and
# `running_var`; its `fprop` hands everything to your function `batchnorm_fprop` and stores the
# statistics it returns. Two mistakes are easy to make here and hard to see in a training curve:
# normalising with the batch statistics at inference (predictions then depend on the rest of the
# batch) and normalising with the stored statistics during training (the layer is then a fixed affine
# map that lags behind the network: no gradient flows through the statistics, nothing keeps the
# units standardised, and batch norm's benefits are gone).

# %% [markdown]
# ### Task 2.6: Training and evaluation modes of the batch norm layer (2 points)
#
# In `mlplab/exercises/batch_norm.py`, implement `batchnorm_fprop(inputs, gamma, beta, running_mean,
# running_var, *, training, momentum, eps)`: in training mode, normalise with the batch statistics
# (your `batchnorm_forward`) and update the running statistics (your `update_running_statistics`); in
# evaluation mode, normalise with the stored statistics and leave them unchanged. Return the outputs
# and the statistics to store.

# %% [task lab2.modes]

# %% [markdown]
# **Question.** We train a 5-hidden-layer ReLU network with batch norm on MNIST, give it population
# statistics, and fold every batch norm layer into the affine layer before it (in float64). How many
# layers does the folded network have, and how different are its outputs?

# %% [answer lab2.folding]
# ### BEGIN SOLUTION
# In evaluation mode batch norm is the fixed affine map $\gamma(x - \mu)/\sqrt{\sigma^2+\epsilon} +
# \beta$ per unit, which can be merged into the affine layer before it. The five batch norm layers
# disappear (16 layers become 11), and the outputs agree up to rounding error.
# ### END SOLUTION

# %%
folded = lab2.fold_into_affine_layers(num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED)
print(f"layers: {folded['layers_before']} with batch norm, {folded['layers_after']} after folding")
print(f"largest |BN layer in eval mode - (scale * x + shift)|: {folded['max_layer_difference']:.1e}")
print(f"largest |difference of the logits|: {folded['max_difference']:.1e}"
      f" (largest |logit| {folded['output_scale']:.1f})")

# %% [markdown]
# **What you should see.** The five batch norm layers disappear (16 layers become 11) and nothing
# changes: each batch norm layer in evaluation mode agrees with `scale * x + shift` to below
# $10^{-12}$, and the logits of the two networks to below $10^{-10}$, for logits of size about 10.
#
# **Question.** In training mode the network normalises a batch with that batch's own statistics.
# How different are its outputs from the evaluation-mode outputs, for batches of 2, 4, ..., 500
# validation digits? What happens to the accuracy?

# %% [answer lab2.training_mode_gap]
# ### BEGIN SOLUTION
# In training mode each batch is normalised with its own mean and variance, which are noisy
# estimates when the batch is small, so the outputs differ from the evaluation outputs by an amount
# that shrinks roughly like $1/\sqrt m$. With 2 examples the gap is as large as the logits and the
# accuracy collapses; with hundreds of examples it is small. The evaluation outputs do not depend on
# the batch at all.
# ### END SOLUTION

# %%
gap = lab2.train_eval_gap(batch_sizes=budget((2, 4, 8, 16, 32, 64, 128, 500), (16, 128)),
                          num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].loglog(gap["batch_sizes"], gap["gap"], "o-")
axes[0].set(xlabel="batch size m", ylabel="mean |train-mode - eval-mode logit| / mean |logit|",
            title="how much a batch changes the outputs")
axes[1].semilogx(gap["batch_sizes"], gap["train_mode_acc"], "o-", label="training mode (batch statistics)")
axes[1].semilogx(gap["batch_sizes"], gap["eval_mode_acc"], "s--", label="evaluation mode (population statistics)")
axes[1].set(xlabel="batch size m", ylabel="validation accuracy")
axes[1].legend()
for m, g, a, e in zip(gap["batch_sizes"], gap["gap"], gap["train_mode_acc"], gap["eval_mode_acc"]):
    print(f"m = {m:3d}: relative gap {g:.3f}, accuracy in training mode {a:.3f}, in evaluation mode {e:.3f}")
print(f"largest change of an eval-mode logit between batch sizes: {gap['eval_changes']:.1e}")

# %% [markdown]
# **What you should see.** The gap shrinks with every increase of the batch size, roughly like
# $1/\sqrt m$ (the error of a mean of $m$ values): from $m = 2$ to $m = 128$ it falls by a factor
# between 5 and 12. With 2 examples per batch the training-mode outputs are about as large as the
# logits themselves (relative gap above 0.5) and the accuracy collapses below 50%; with 500 the gap
# is below 0.15. The evaluation-mode outputs do not depend on the batch at all (the same logits in
# every batch size, to below $10^{-10}$), and their accuracy is above 90%.
#
# **Question.** After training, the layers hold running averages. Are they as good as the lecture's
# population statistics? And how much does the $\frac{m}{m-1}$ correction matter when the statistics
# are estimated from batches of only 4 digits?

# %% [answer lab2.running_statistics]
# ### BEGIN SOLUTION
# Yes, nearly: both give the same validation accuracy, and both estimate the variances well. The
# running mean weights the last batches most, so it is slightly off where the population average over
# all batches is exact. With batches of 4 the uncorrected variance is $\frac{m-1}{m} = 0.75$ of the true
# one in the first layer; the $\frac{m}{m-1}$ factor removes that bias there.
# ### END SOLUTION

# %%
stats = lab2.inference_statistics(num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED)
for name, acc in stats["valid_acc"].items():
    print(f"validation accuracy with {name:>21}: {acc:.3f}")
for name in ("running averages", "population statistics"):
    print(f"{name:>21}: |mean error| / std per layer {np.round(stats['mean_error'][name], 4)},"
          f" var / exact var {np.round(stats['var_ratio'][name], 3)}")
m = stats["correction_batch_size"]
for name, ratios in stats["small_batch_var_ratio"].items():
    print(f"batches of {m}, {name:>22}: var / exact var per layer {np.round(ratios, 3)}")
plot_per_layer(stats["small_batch_var_ratio"], f"estimated var / exact var (batches of {m})");

# %% [markdown]
# **What you should see.** Running averages and population statistics give the same validation
# accuracy to within 1% (above 90%). Both estimate the variance of every layer's inputs to within 3%
# of the exact value over the whole training set. The population mean of the first batch norm layer
# is exact (the batches cover the training set), while the running mean is off by about 2% of a
# standard deviation there: it remembers mostly the last few batches.
#
# With batches of 4, look at the first batch norm layer, whose inputs do not depend on any batch
# statistics: without the correction the variance is 25% too small, $\frac{m-1}{m} = 0.75$ (within
# 3%), with it the estimate is within 3% of the exact value. In the deeper layers even the corrected
# estimate is more than 5% too large: their inputs depend on how the earlier layers were normalised,
# and four values normalised with their own mean and variance are spread differently from values
# normalised with the statistics of the whole data set. Batch statistics of tiny batches describe a
# slightly different network.

# %% [markdown]
# ## 5. What batch norm buys: learning rates and initialisation
#
# **Question.** The same network (5 hidden ReLU layers of 100, He weights) is trained with and without
# batch norm at learning rates from 0.01 to 3, with the same weights and the same minibatches. Where
# will the plain network diverge? Will batch norm help at the smallest rate?

# %% [answer lab2.learning_rates]
# ### BEGIN SOLUTION
# The plain network diverges at the large rates, 1 and 3, ending at chance. Batch norm keeps those
# rates usable and does best at large rates. At 0.01 it does not help (here it is even slower): its
# gain is a wide range of large usable learning rates, not speed at small ones.
# ### END SOLUTION

# %%
sweep = lab2.learning_rate_sweep(learning_rates=budget((0.01, 0.03, 0.1, 0.3, 1.0, 3.0), (0.1, 1.0)),
                                 num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
for version, marker in zip(sweep, ("o", "s")):
    rates = list(sweep[version])
    axes[0].semilogx(rates, [lab2.final_accuracy(h) for h in sweep[version].values()], marker + "-",
                     label=version)
axes[0].set(xlabel="learning rate", ylabel="final validation accuracy (diverged: 0.1)")
axes[0].legend()
plot_history({f"{v}, rate {r:g}": h for v in sweep for r, h in sweep[v].items() if r in (0.1, 1.0)},
             keys=("train_error",), ax=axes[1])
axes[1].legend(fontsize="small")
for version, runs in sweep.items():
    print(version + ": " + ", ".join(f"{rate:g} -> {'diverged' if lab2.diverged(h) else f'{lab2.final_accuracy(h):.3f}'}"
                                     for rate, h in runs.items()))

# %% [markdown]
# **What you should see.** The plain network diverges at rates 1 and 3: its training error explodes
# (beyond 100, or to NaN; guessing gives 2.3) and it ends at chance, about 10% accuracy. Batch
# norm never diverges and still reaches more than 85% validation accuracy at both. The best rate of
# the plain network is 0.1; batch norm does best at larger rates (0.3 and 1, both above 92%), and its
# best run is better than the plain network's best. At the smallest rate, 0.01, batch norm does not
# help: here it is even slower than the plain network. What it gives is a wide range of usable,
# large learning rates.
#
# **Question.** Now the hidden weights are drawn from $\mathcal N(0, s^2)$ with $s$ from 0.001 to 1
# (He initialisation would be about 0.14). Which networks will learn at all at learning rate 0.1?

# %% [answer lab2.weight_scale]
# ### BEGIN SOLUTION
# Without batch norm, tiny scales (0.001, 0.01) make the signal vanish through five layers and the
# network stays at chance, and $s = 1$ makes it diverge. With batch norm every scale trains, because
# $\mathrm{BN}(aW\mathbf h) = \mathrm{BN}(W\mathbf h)$; large weights only shrink the effective step
# ($\partial E/\partial W$ scales like $1/a$), so $s = 1$ learns more slowly.
# ### END SOLUTION

# %%
scales = lab2.initialisation_scales(weight_stds=budget((0.001, 0.01, 0.1, 1.0), (0.01, 1.0)),
                                    num_epochs=EPOCHS, num_train=NUM_TRAIN, seed=SEED)
fig, ax = plt.subplots()
for version, marker in zip(scales, ("o", "s")):
    ax.semilogx(list(scales[version]), [lab2.final_accuracy(h) for h in scales[version].values()],
                marker + "-", label=version)
ax.set(xlabel="std of the initial hidden weights", ylabel="final validation accuracy (diverged: 0.1)")
ax.legend()
for version, runs in scales.items():
    print(version + ": " + ", ".join(f"std {std:g} -> {'diverged' if lab2.diverged(h) else f'{lab2.final_accuracy(h):.3f}'}"
                                     for std, h in runs.items()))

# %% [markdown]
# **What you should see.** Without batch norm, weights with standard deviation 0.001 or 0.01 leave the
# network stuck at chance (validation accuracy about 10%, the signal has vanished after five layers),
# and standard deviation 1 makes it diverge. With batch norm every initial scale trains: from 0.001 to
# 0.1 it reaches more than 85% accuracy. At scale 1 it learns (above 50%) but clearly more slowly
# than at 0.1 (by more than 10 points).
#
# That last point has a neat explanation. A batch norm layer makes its unit **invariant to the scale
# of the weights before it**: $\mathrm{BN}(aW\mathbf h) = \mathrm{BN}(W\mathbf h)$ for any $a > 0$
# (up to $\epsilon$). The forward pass does not care how large $W$ is, but the gradient does: scaling
# $W$ by $a$ scales $\partial E/\partial W$ by $1/a$, so the relative change a step makes,
# $\eta\,\|\partial E/\partial W\| / \|W\|$, shrinks like $1/a^2$. Large weights mean a small effective
# learning rate. Batch norm decouples the *direction* of a weight vector, which determines the
# output, from its *length*, which only sets the step size.
#
# **Question.** How does the distribution of the inputs of each nonlinearity change during training?
# We train a 3-layer sigmoid network (like Ioffe and Szegedy's MNIST experiment) and look at the inputs
# of the three sigmoid layers on a fixed batch of 500 validation digits every 10 steps.

# %% [answer lab2.distribution_drift]
# ### BEGIN SOLUTION
# Without batch norm the inputs of the sigmoids drift as the weights below them change, more in
# deeper layers, which see the accumulated changes of all layers below; the spread of the top layer
# also grows. With batch norm every layer's inputs keep mean near 0 and spread near 1, so each layer
# keeps seeing the same distribution.
# ### END SOLUTION

# %%
dist = lab2.activation_distributions(num_steps=budget(300, 30), num_train=NUM_TRAIN, seed=SEED)
fig, axes = plt.subplots(1, 3, figsize=(16, 4))
for version, style in zip(dist, ("-", "--")):
    r = dist[version]
    for layer in range(r["drift"].shape[1]):
        axes[0].plot(r["steps"], r["drift"][:, layer], style, color=f"C{layer}", label=f"{version}, layer {layer + 1}")
        axes[1].plot(r["steps"], r["std"][:, layer], style, color=f"C{layer}", label=f"{version}, layer {layer + 1}")
    for k, label in enumerate(("15th", "50th", "85th")):
        axes[2].plot(r["steps"], r["percentiles"][:, k], style, color=f"C{k + 3}", label=f"{version}, {label}")
axes[0].set(xlabel="step", ylabel="drift of the unit means (in initial stds)", yscale="symlog")
axes[1].set(xlabel="step", ylabel="average std of a unit", yscale="log")
axes[2].set(xlabel="step", ylabel="input of one unit of layer 3", title="percentiles over the batch")
for ax in axes:
    ax.legend(fontsize="x-small")
fig, axes = plt.subplots(2, 3, figsize=(12, 5), sharex="col")
for row, (version, r) in enumerate(dist.items()):
    for layer, ax in enumerate(axes[row]):
        ax.hist(r["samples_start"][layer], bins=40, alpha=0.6, label="before training")
        ax.hist(r["samples_end"][layer], bins=40, alpha=0.6, label="after training")
        ax.set_title(f"{version}: input of sigmoid layer {layer + 1}", fontsize="small")
        ax.set_yticks([])
axes[0, 0].legend(fontsize="x-small");

# %% [markdown]
# **What you should see.** Without batch norm the inputs of the sigmoids keep moving, and the more so
# the deeper the layer: by the end, the unit means of layer 3 have drifted by more than 3 of their
# initial standard deviations, far more than those of layer 2, which drift more than those of layer 1,
# and the spread of layer 3 has grown more than fivefold. The percentiles of a single unit wander
# accordingly. With batch norm the drift stays below 0.1 initial standard deviations in every layer,
# the average spread stays between 0.9 and 1.5, and the unit's percentiles hardly move: every layer
# keeps seeing inputs of the same distribution while the weights below it change.

# %% [markdown]
# ### The bias problem of Lab 1, with batch norm
#
# Lab 1 showed the *bias problem*: the outputs of a ReLU layer are never negative, so every update of
# the weights onto a unit of the next layer moves that unit's pre-activation the same way for almost
# every input, and the unit means drift further in every layer. A batch norm layer between each
# affine layer and its ReLU subtracts the batch mean of every unit, so whatever the update does to the
# mean of $W\mathbf h$, the ReLU sees inputs with mean $\beta$, which changes only by its own, small
# gradient steps.
#
# **Question.** We repeat Lab 1's measurement on a ReLU network with 5 hidden layers of 100 units
# (He weights, learning rate 0.05, 200 steps), with and without batch norm: the drift of the unit
# means of each nonlinearity's input, in initial standard deviations. What will batch norm change?

# %% [answer lab2.relu_drift]
# ### BEGIN SOLUTION
# Without batch norm the ReLU network drifts as in Lab 1: little in layer 1 (zero-mean pixels),
# more in every deeper layer, more than one initial standard deviation in the last hidden layer. With
# batch norm the inputs of the ReLUs are normalised with the batch mean, so the drift is close to zero
# in every layer, only what the small changes of $\beta$ add.
# ### END SOLUTION

# %%
relu_dist = lab2.activation_distributions(hidden="relu", num_hidden_layers=5, learning_rate=0.05,
                                          num_steps=budget(200, 20), num_train=NUM_TRAIN, seed=SEED)
plot_per_layer({version: r["drift"][-1] for version, r in relu_dist.items()},
               "drift of the unit means of the ReLU inputs (initial stds)")
for version, r in relu_dist.items():
    print(f"{version:>10}: drift per layer after {r['steps'][-1]} steps: "
          + ", ".join(f"{d:.3f}" for d in r["drift"][-1]))

# %% [markdown]
# **What you should see.** The plain ReLU network drifts as in Lab 1: the drift grows from layer to
# layer and exceeds one initial standard deviation in the last hidden layer. With batch norm no layer
# drifts by more than 0.05: the bias problem is gone.

# %% [markdown]
# ## 6. Why does batch norm work?
#
# The original explanation is the one of Section 1: batch norm reduces **internal covariate shift**,
# so each layer no longer chases a moving input distribution. The last experiment shows that it does
# stabilise the first two moments of every unit. Whether that is why it helps was questioned by
# Santurkar et al. (2018, "How does batch normalization help optimization?"). They trained networks in
# which *noise* was added after every batch norm layer, so that the input distributions shifted even
# more than without batch norm, and these networks still trained about as well as with plain batch
# norm. They also found that batch norm does not always reduce measures of covariate shift.
#
# Their explanation is that batch norm makes the **loss landscape smoother**: the loss changes more
# slowly along the gradient, and the gradient itself changes less from one point to the next (the loss
# and its gradient are more Lipschitz). A step along the gradient then does what the gradient
# predicted, so larger steps are safe, which is what the learning-rate experiment showed. The scale
# invariance above is part of the same picture. Other views exist (batch norm as a regulariser, through
# the noise of batch statistics; as a decoupling of length and direction of the weights); the
# smoothness view is the one most experiments support.

# %% [markdown]
# ### Santurkar's experiment: batch norm with unstable inputs
#
# We repeat the first of their experiments on our ReLU network (5 hidden layers of 100, He weights). A
# noise layer after every batch norm layer multiplies each unit's outputs by a random factor from
# $U(1/1.5, 1.5)$ and shifts them by a random offset from $U(-0.5, 0.5)$, drawn anew for every
# minibatch (in training mode only). So the inputs of every ReLU jump around from step to step, far
# more than batch norm alone lets them. We train the plain network, the batch norm network and the
# noisy one at learning rate 1 for 3 epochs, from the same weights on the same minibatches, and every
# 20 steps measure how far each ReLU input's unit means have moved since the last measurement (in
# initial standard deviations).
#
# **Question.** If batch norm worked by keeping each layer's input distribution stable, how would the
# noisy network train? What do you expect instead, given the previous experiments?

# %% [answer lab2.noisy_batch_norm]
# ### BEGIN SOLUTION
# If stable input distributions were what mattered, the noise would undo batch norm's benefit and the
# noisy network would train like the plain one, which diverges at rate 1. Instead it trains about as
# well as batch norm (validation accuracy within a couple of points), although its unit means move
# more than ten times as much between measurements. Batch norm's benefit does not come from a stable
# input distribution: the noise changes the distributions but not the scale invariance and the
# smoother landscape that the normalisation gives.
# ### END SOLUTION

# %%
noisy = lab2.noisy_batch_norm(num_epochs=budget(3, 1), num_train=NUM_TRAIN, seed=SEED)
plot_per_layer({version: r["step_change"] for version, r in noisy.items() if version != "plain"},
               "change of the unit means per 20 steps (initial stds)", logy=True)
for version, r in noisy.items():
    print(f"{version:>18}: validation accuracy {r['valid_acc']:.3f}, training error per epoch "
          + ", ".join(f"{e:.3f}" for e in r["train_error"]))

# %% [markdown]
# **What you should see.** The plain network diverges at this learning rate (its training error turns
# NaN, and it ends at chance, 10% accuracy). Batch norm and noisy batch norm both reach more than 88%
# validation accuracy, within 0.02 of each other, although the unit means of the noisy network move
# more than ten times as much from one measurement to the next as those of the batch norm network, in
# every layer. Unstable input distributions do not stop batch norm from working.

# %% [markdown]
# ### Batch norm as a regulariser
#
# In training mode an example is normalised with the mean and variance of the batch it happens to be
# in, so the network's output for it depends on the other examples of the batch: a random
# perturbation, larger for smaller batches, a little like dropout's noise. On a small training set
# that noise could keep the network from memorising its examples. We train both versions of the
# network on only 500 digits for 30 epochs (learning rate 0.05), with minibatches of 10 and of 50.
# (The training error is measured during each epoch, in training mode, so it includes the noise; the
# validation error is measured in evaluation mode.)
#
# **Question.** Which network will fit its 500 training digits better, and which will have the lower
# validation error? How will the batch size change the picture?

# %% [answer lab2.batch_norm_regulariser]
# ### BEGIN SOLUTION
# The plain network memorises the 500 digits (training error near 0) and its validation error is high.
# With batches of 10 the batch norm network cannot fit them as well through the noise of the batch
# statistics (training error above 0.1), and its validation error is clearly lower: the noise acts as
# a regulariser. With batches of 50 the statistics are less noisy, the batch norm network fits the
# training digits almost as well as the plain one and the advantage on validation error shrinks.
# ### END SOLUTION

# %%
small = lab2.small_training_set(num_epochs=budget(30, 2), seed=SEED)
fig, axes = plt.subplots(1, len(small), figsize=(12, 4), sharey=True)
for ax, (size, runs) in zip(axes, small.items()):
    plot_history(runs, keys=("train_error", "valid_error"), ax=ax)
    ax.set_title(f"500 digits, batches of {size}")
for size, runs in small.items():
    for version, h in runs.items():
        print(f"batches of {size:>2}, {version:>10}: training error {h.train_error[-1]:.3f},"
              f" validation error {h.valid_error[-1]:.3f}, accuracy {h.valid_acc[-1]:.3f}")

# %% [markdown]
# **What you should see.** The plain network fits its 500 digits almost perfectly (training error below
# 0.01) with either batch size. With batches of 10, the batch norm network's training error stays
# above 0.1, yet its validation error ends more than 0.05 below the plain network's, at about the same
# validation accuracy (within 0.05): a less over-confident network. With batches of 50 its training
# error is lower than with batches of 10 and its advantage on the validation error is smaller. Batch
# norm regularises through the noise of small batches; it is no replacement for dropout or weight
# decay when large batches are used.
#
# **Question.** During training at rate 0.1, we stop every 25 steps and look along the current
# gradient: how much does the loss vary over steps of 0.5 to 4 times the learning rate, and how much
# does the gradient change after the longest step?

# %% [answer lab2.smoothness]
# ### BEGIN SOLUTION
# The loss of the plain network changes more along the gradient direction, and its gradient changes
# more after a long step (each by more than 1.5 times the batch norm network's): batch norm makes the
# landscape smoother, so the gradient remains a good guide over longer steps (Santurkar et al.).
# ### END SOLUTION

# %%
landscape = lab2.loss_landscape(num_steps=budget(300, 50), num_train=NUM_TRAIN, seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for version, r in landscape.items():
    axes[0].semilogy(r["steps"], r["loss_range"], "o-", label=version)
    axes[1].plot(r["steps"], r["gradient_change"], "o-", label=version)
axes[0].set(xlabel="step", ylabel="max - min of the loss along the gradient")
axes[1].set(xlabel="step", ylabel="||g(after 4 steps) - g|| / ||g||")
axes[0].legend()
axes[1].legend()
for version, r in landscape.items():
    print(f"{version:>10}: average loss range {r['loss_range'].mean():.3f},"
          f" average relative gradient change {r['gradient_change'].mean():.2f}")

# %% [markdown]
# **What you should see.** Averaged over training, the loss of the plain network varies along the
# gradient by more than 1.5 times as much as that of the batch norm network, and its gradient changes
# more than 1.5 times as much after the same step: the landscape of the normalised network is
# smoother, and its gradient is a more reliable guide for longer steps.

# %% [markdown]
# ## 7. Batch norm for convolutional feature maps
#
# A convolutional layer applies the same filter at every position of the image, so a channel is
# "one unit seen at many positions". Normalising every position separately, with its own mean and
# variance over the batch, would treat positions as different units, use few values per statistic,
# and subtract away exactly the spatial pattern the filter detects. Instead, batch norm for inputs of
# shape $(N, C, H, W)$ keeps **one mean and one variance per channel**, computed over the
# $M = N \cdot H \cdot W$ values of that channel in the batch (axes 0, 2 and 3), and one $\gamma$
# and $\beta$ per channel:
#
# $$\mu_c = \frac1M \sum_{n,h,w} x_{nchw}, \qquad \sigma_c^2 = \frac1M \sum_{n,h,w} (x_{nchw} - \mu_c)^2,
#   \qquad y_{nchw} = \gamma_c\,\frac{x_{nchw} - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c .$$
#
# It is the batch norm of Section 2 applied to the $(N H W, C)$ matrix whose rows are the positions
# of all images. The backward pass is the same too, with sums over axes 0, 2 and 3 and $M$ in place
# of $m$.

# %% [markdown]
# ### Task 2.7: Spatial batch norm forward pass (2 points)
#
# In `mlplab/exercises/batch_norm.py`, implement `spatial_batchnorm_forward(inputs, gamma, beta, eps)` for
# inputs of shape $(N, C, H, W)$: return the outputs and the channel means and variances, each of shape $(C,)$.

# %% [task lab2.spatial_forward]

# %% [markdown]
# ### Task 2.8: Spatial batch norm backward pass (2 points)
#
# In `mlplab/exercises/batch_norm.py`, implement `spatial_batchnorm_backward(inputs, gamma, grads_wrt_outputs, eps)`:
# return $\partial E/\partial x$ of shape $(N, C, H, W)$ and $\partial E/\partial\gamma$,
# $\partial E/\partial\beta$ of shape $(C,)$.

# %% [task lab2.spatial_backward]

# %% [markdown]
# **Question.** Sixteen random $3 \times 8 \times 8$ feature maps have a different offset and scale per
# channel and a fixed spatial pattern within each channel. How many statistics does spatial batch norm
# keep? Does the pattern survive normalisation per channel? Per location?

# %% [answer lab2.spatial_statistics]
# ### BEGIN SOLUTION
# Spatial batch norm keeps one mean and one variance per channel, 3 + 3, instead of 192 for
# per-location statistics. Normalising per channel subtracts the same number from every location of
# a channel, so the spatial pattern survives; per-location normalisation subtracts the pattern
# itself (the mean at each location) and erases it.
# ### END SOLUTION

# %%
spatial = lab2.spatial_statistics(seed=SEED)
print(f"statistics kept: {spatial['num_statistics']}")
print(f"output mean per channel {np.round(spatial['channel_mean'], 12)}, variance {np.round(spatial['channel_var'], 5)}")
print(f"largest difference from batchnorm_forward on the (N*H*W, C) reshape: {spatial['reshape_difference']:.1e}")
print(f"correlation of the average output map with the pattern: per channel {spatial['pattern_kept']:.3f},"
      f" per location {spatial['pattern_erased']:.3f}")
fig, axes = plt.subplots(2, 3, figsize=(9, 6))
for c in range(3):
    axes[0, c].imshow(spatial["inputs"][:, c].mean(axis=0), cmap="RdBu_r")
    axes[0, c].set_title(f"channel {c}: average input")
    axes[1, c].imshow(spatial["outputs"][:, c].mean(axis=0), cmap="RdBu_r")
    axes[1, c].set_title(f"channel {c}: average output")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])

# %% [markdown]
# **What you should see.** Spatial batch norm keeps 3 means and 3 variances, one per channel, instead
# of 192 for per-location statistics. Every channel of the output has mean 0 (below $10^{-12}$) and
# variance within $10^{-3}$ of 1, and the result equals `batchnorm_forward` on the reshaped inputs to
# below $10^{-12}$. The spatial pattern survives: the average output map of a channel correlates with
# its pattern by more than 0.9, while normalising each location separately would erase it (correlation
# below 0.05).

# %% [answer lab2.spatial_pattern]
### BEGIN SOLUTION
answer = "a"
### END SOLUTION

# %% [markdown]
# ## 8. Layer normalisation: statistics per example
#
# Batch norm needs a batch: the statistics of 2 examples are mostly noise, an example's output
# depends on which others share its batch, and training and inference compute different things.
# Layer normalisation (Ba, Kiros and Hinton, 2016) takes the mean and variance of each **example**
# over its $D$ units instead, so it needs nothing but the example itself, and behaves the same in
# training and at inference. For example $n$:
#
# $$\mu_n = \frac1D \sum_j x_{nj}, \qquad \sigma_n^2 = \frac1D \sum_j (x_{nj} - \mu_n)^2,
#   \qquad y_{nj} = \gamma_j\,\frac{x_{nj} - \mu_n}{\sqrt{\sigma_n^2 + \epsilon}} + \beta_j .$$
#
# $\gamma$ and $\beta$ are still one per unit. The backward pass is batch norm's with the sums over the
# units of an example (axis 1) in place of the sums over the batch; $\partial E/\partial\gamma$ and
# $\partial E/\partial\beta$ are still sums over the examples.

# %% [markdown]
# ### Task 2.9: Layer norm forward pass (2 points)
#
# In `mlplab/exercises/layer_norm.py`, implement `layernorm_forward(inputs, gamma, beta, eps)`: return the
# outputs of shape $(m, D)$ and the means and biased variances of the examples, each of shape $(m,)$.

# %% [task lab2.layernorm_forward]

# %% [markdown]
# ### Task 2.10: Layer norm backward pass (2 points)
#
# In `mlplab/exercises/layer_norm.py`, implement `layernorm_backward(inputs, gamma, grads_wrt_outputs, eps)`:
# return $\partial E/\partial x$ of shape $(m, D)$ and $\partial E/\partial\gamma$, $\partial E/\partial\beta$
# of shape $(D,)$. The provided `LayerNormLayer` (in `mlplab/layers/normalisation.py`) calls both.

# %% [task lab2.layernorm_backward]

# %% [markdown]
# The same ReLU network, once with batch norm and once with layer norm after every hidden affine
# layer, trained from the same weights on the same digits with minibatches of 2, 4 and 8 examples;
# both are then validated in evaluation mode. Guess first: which one suffers from the small batches?

# %%
tiny_batches = lab2.layer_norm_small_batches(num_epochs=budget(2, 1), num_train=budget(1000, 500), seed=SEED)
fig, ax = plt.subplots()
ax.plot(tiny_batches["batch_sizes"], tiny_batches["batch norm"], "o-", label="batch norm")
ax.plot(tiny_batches["batch_sizes"], tiny_batches["layer norm"], "s-", label="layer norm")
ax.set(xlabel="examples per minibatch", ylabel="validation accuracy", xticks=tiny_batches["batch_sizes"])
ax.legend()
for m, bn, ln in zip(tiny_batches["batch_sizes"], tiny_batches["batch norm"], tiny_batches["layer norm"]):
    print(f"m = {m}: batch norm {bn:.3f}, layer norm {ln:.3f}")
print(f"an example's logits alone and inside a batch differ by {tiny_batches['alone_vs_in_batch']:.1e}")

# %% [markdown]
# **What you should see.** With 2 examples per minibatch the batch norm network hardly learns (below
# 25% of the validation digits right): its batch statistics, and the running averages built from them,
# are noise. The layer norm network reaches more than 70% with the same batches. With 4 examples layer
# norm is still more than 5 points ahead; with 8 the two are within 5 points of each other. A layer
# norm network gives an example the same logits alone as inside a batch (they differ by less than
# $10^{-12}$).

# %% [markdown]
# ## Summary
#
# * During training the inputs of a layer change with every update of the layers below it, more so the
#   deeper the layer. Batch norm standardises each unit over the minibatch and lets the learned $\gamma$
#   and $\beta$ set its mean and spread.
# * Its backward pass follows the three paths from an input to the error (direct, through the batch
#   mean, through the batch variance). The gradients of a unit sum to zero over the batch.
# * At inference the batch statistics are replaced by fixed ones: the lecture's population statistics
#   ($\frac{m}{m-1}$ times the average batch variance) or running averages. The transform is then one
#   affine map that can be folded into the layer before. Training mode and evaluation mode must not be
#   mixed up; small batches widen the gap between them.
# * For convolutional feature maps the statistics are per channel, over the batch and all positions.
# * Layer norm takes the statistics of each example over its units instead: it needs no batch, and
#   where batches are small it trains where batch norm cannot.
# * Batch norm allows much larger learning rates and makes training insensitive to the scale of the
#   initial weights. Whether it works by reducing internal covariate shift or by smoothing the loss
#   landscape is still discussed; the experiments here support the smoothness view.
#
# Run the self-check for the whole lab one last time:

# %%
mlplab.check("lab2")
