# %% [markdown]
# # Lab 1: Initialisation and hidden units
#
# A deep network is a long chain of multiplications. Whatever a layer does to the size of a
# signal, the next layer does again, and after ten or thirty layers a small bias in that size has
# become a factor of a thousand or a millionth. This lab is about keeping signals, forwards and
# backwards, at a sensible size from the very first step of training: by the way we draw the
# initial weights, by the hidden units we choose, and by the way we prepare the inputs.
#
# ## Learning goals
#
# By the end of this lab you can
#
# 1. explain, with a product of matrices, why gradients vanish or explode in deep networks;
# 2. derive $\mathrm{Var}(y) = n_\text{in}\,\mathrm{Var}(w)\,\mathrm{Var}(x)$ for a linear unit and
#    turn it into the fan-in, Glorot and He initialisation rules, and say which one suits which unit;
# 3. implement fan-in, Glorot, He and orthogonal initialisers and log-prior output biases;
# 4. explain why all-zero weights cannot work, and what the "linearity problem" is;
# 5. implement ELU, SELU, leaky ReLU and shifted ReLU layers and compare how hidden units keep the mean and the
#    spread of activations in deep networks;
# 6. standardise and PCA-whiten inputs using training statistics only, and say why it speeds up
#    training.
#
# ## How to work
#
# * The exercises are **functions in the `mlplab` package**, not cells of this notebook:
#   `mlplab/exercises/initialisers.py` (tasks 1.1–1.6), `mlplab/exercises/hidden_units.py` (tasks 1.7–1.9, 1.12) and
#   `mlplab/exercises/preprocessing.py` (tasks 1.10–1.11). Open the file, read the docstring of the
#   function, and replace the `raise NotImplementedError(...)` line with your code.
# * After each task, run the graded cell that follows its description. It runs the self-check
#   `mlplab.check("lab1.<task>")`, which compares your function with stored reference outputs and
#   tells you what is wrong. `mlplab.check("lab1")` prints a table for the whole lab.
# * Python imports a module only once. The first code cell below switches on `autoreload`, so
#   your edits are picked up when you run the next cell. If anything behaves strangely, restart the
#   kernel (*Kernel → Restart*) and run the cells from the top.
# * The experiments are provided code (`mlplab/course/experiments/lab1.py`); they call *your* functions.
#   Each experiment is preceded by a question: write down your guess before running it.
#   Every claim under "What you should see" is checked by the course's tests on the reference
#   solution, so if your plot disagrees, look for a bug.
# * **Written answers (graded by hand).** Below every question is an answer cell worth 1 point. Write
#   your prediction there *before* you run the experiment and, afterwards, one or two sentences on
#   what you saw and why. A grader reads it: a wrong guess with a right explanation afterwards earns
#   the point, an empty cell scores 0. (Double-click the cell to edit it.)
# * The default sizes keep the whole notebook under a minute. Set `FULL_RUN = True` for longer
#   training runs.

# %%
import os

# The matrices in this lab are small: one BLAS thread computes them about as fast as several, and
# it is not slowed down when other programs compete for the processor. (This only has an effect
# before numpy is first imported, so it comes first.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# %load_ext autoreload
# %autoreload 2
# %matplotlib inline

import matplotlib.pyplot as plt
import numpy as np

import mlplab
from mlplab.course.experiments import budget, lab1
from mlplab.plotting import plot_history, plot_layer_histograms, plot_per_layer, show_images

SEED = 0          # every experiment is seeded from this number
FULL_RUN = False  # True: longer training runs (about a minute more)

plt.rcParams["figure.figsize"] = (7, 4)

# %% [markdown]
# ## 1. Why depth makes signals explode or vanish
#
# Take a network of $L$ layers, $\mathbf h^{(l)} = f\big(W^{(l)} \mathbf h^{(l-1)}\big)$ with
# $\mathbf h^{(0)} = \mathbf x$, and make every $f$ the identity. Then the network computes
#
# $$\mathbf y = \mathbf h^{(L)} = W^{(L)} W^{(L-1)} \cdots W^{(1)} \mathbf x .$$
#
# Back-propagation runs the same product the other way: the gradient with respect to a layer's
# outputs is obtained from the one above by multiplying with a transposed weight matrix,
#
# $$\frac{\partial E}{\partial \mathbf h^{(l-1)}} = \big(W^{(l)}\big)^{\!\top} \frac{\partial E}{\partial \mathbf h^{(l)}}
# \qquad\Longrightarrow\qquad
# \frac{\partial E}{\partial \mathbf h^{(l)}} = \big(W^{(l+1)}\big)^{\!\top} \cdots \big(W^{(L)}\big)^{\!\top} \frac{\partial E}{\partial \mathbf y}.$$
#
# With a nonlinearity each factor also gets a diagonal matrix of derivatives $f'(\mathbf a^{(k)})$,
# so the error signal of layer $l$ is
# $\boldsymbol\delta^{(l)} = f'(\mathbf a^{(l)}) \odot \big(W^{(l+1)}\big)^{\!\top} \boldsymbol\delta^{(l+1)}$,
# a product of $L - l$ Jacobians. A product of many factors that are each a little larger than one
# explodes; a product of factors a little smaller than one vanishes.
#
# The simplest case is $W^{(l)} = s\,I$ for every layer: then $\mathbf y = s^L \mathbf x$ and the
# gradient that reaches layer $l$ has been multiplied by $s^{L-l}$.
#
# **Question.** With $L = 30$ layers, by how much does $W = 2I$ multiply the norm of the input? And
# $W = 0.5I$? Which layers receive the largest gradients in each case?

# %% [answer lab1.depth_product]
# ### BEGIN SOLUTION
# With $W = 2I$ every layer doubles the signal, so after 30 layers the norm of the input is
# multiplied by $2^{30} \approx 10^9$; with $W = 0.5I$ it is divided by the same factor. Backwards the
# gradient is multiplied by $2^{30-l}$ (or $2^{-(30-l)}$) on its way down to layer $l$: with $2I$ the
# first layers get the largest gradients (they explode), with $0.5I$ the last layers do and the first
# ones hardly learn (they vanish).
# ### END SOLUTION

# %%
chain = lab1.deep_linear_chain(scales=(0.5, 1.0, 2.0), num_layers=30, seed=SEED)

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_per_layer({f"W = {s} I": r["output_norm"][1:] for s, r in chain.items()},
               "average ||h(l)||  (input norm 1)", logy=True, ax=axes[0])
plot_per_layer({f"W = {s} I": r["grad_norm"][1:] for s, r in chain.items()},
               "average ||dE/dh(l)||  (output gradient norm 1)", logy=True, ax=axes[1])
axes[0].set_title("forward: activations")
axes[1].set_title("backward: gradients")
for s, r in chain.items():
    print(f"W = {s} I:  ||y|| / ||x|| = {r['output_norm'][-1] / r['output_norm'][0]:.3g},"
          f"  gradient at the input / at the output = {r['grad_norm'][0] / r['grad_norm'][-1]:.3g}")

# %% [markdown]
# **What you should see.** Straight lines on the logarithmic axis. After 30 layers, $W = 2I$ has
# multiplied the norm of the input by exactly $2^{30} \approx 10^9$ and $W = 0.5I$ by
# $2^{-30} \approx 10^{-9}$; $W = I$ leaves it unchanged. Backwards it is the mirror image: with
# $W = 2I$ the gradient reaching the input is $2^{30}$ times the gradient at the output (exploding
# gradients, largest in the *first* layers), with $W = 0.5I$ it is $2^{-30}$ times it (vanishing
# gradients: the first layers hardly learn).
#
# Real weight matrices are random, not multiples of $I$, but the same thing happens to their typical
# scale. The rest of the lab is about choosing that scale.

# %% [answer lab1.chain_half_norm]
### BEGIN SOLUTION
answer = 9.31e-10
### END SOLUTION

# %% [markdown]
# ## 2. Why not start from zero?
#
# If every weight starts at zero (or at any common value), all hidden units of a layer compute the
# same function of the input. They then receive the same error signal $\delta$, their incoming
# weights get the same update $\Delta w_{ji} = -\eta\,\delta_j x_i$, and after the update they are
# still identical. This symmetry is never broken by gradient descent: a layer of 32 identical units is
# no more powerful than a layer with one unit. With tanh or ReLU units it is even worse: with zero
# weights all hidden outputs are $\tanh(0) = \max(0, 0) = 0$, so the output weights get no gradient,
# and the zero output weights send no error signal back, so the first layer gets none either. Only
# the output biases learn. Random initial weights break the symmetry.
#
# **Question.** We train a 784-32-10 sigmoid network on MNIST for two epochs, once from all-zero
# weights and once from small random weights. How many *different* hidden units will the first
# network have at the end?

# %% [answer lab1.zero_init_units]
# ### BEGIN SOLUTION
# One. All hidden units start identical, receive the same error signal and the same update, so
# they remain copies of each other however long we train: the weights move, but the layer behaves
# like a single unit, and the network is much worse than the randomly initialised one, whose 32
# units are all different.
# ### END SOLUTION

# %%
symmetry = lab1.zero_init_symmetry(inits=("zeros", "N(0, 0.01^2)"), hidden_dim=32,
                                   num_epochs=budget(2, 1), num_train=budget(1000, 300), seed=SEED)
for name, r in symmetry.items():
    print(f"{name:>14}: {r['distinct_units']:2d} distinct hidden units,"
          f" first-layer weights moved by {r['first_layer_change']:.3f},"
          f" validation accuracy {r['valid_acc']:.3f}")

# %% [markdown]
# **What you should see.** Starting from zeros, the first-layer weights *do* change, but all 32
# hidden units are still exactly the same unit after training (1 distinct unit), and the validation
# accuracy is far below that of the randomly initialised network, whose 32 units are all different.
#
# **Question.** The same network with tanh units, again started from all-zero weights: which of its
# parameters will change during training?

# %% [answer lab1.zero_init_tanh]
# ### BEGIN SOLUTION
# Only the output biases. With zero weights every hidden output is $\tanh(0) = 0$, so the output
# weights get a zero gradient ($\delta_k h_j = 0$), and zero output weights pass no error signal back,
# so the first-layer weights get none either. Both weight matrices stay exactly zero; the output
# biases learn the class frequencies.
# ### END SOLUTION

# %%
tanh_symmetry = lab1.zero_init_symmetry(inits=("zeros",), hidden="tanh", hidden_dim=32,
                                        num_epochs=budget(2, 1), num_train=budget(1000, 300), seed=SEED)
r = tanh_symmetry["zeros"]
print(f"tanh, zeros: first-layer weights moved by {r['first_layer_change']},"
      f" output weights by {r['output_weight_change']}, output biases by {r['output_bias_change']:.3f}")

# %% [markdown]
# **What you should see.** With tanh units and zero initial weights both weight matrices stay exactly
# zero after training; only the output biases have moved.

# %% [markdown]
# ## 3. How large should random weights be? Variance propagation
#
# Consider one linear unit $y = \sum_{i=1}^{n_\text{in}} w_i x_i$ with weights and inputs that are
# independent, have mean zero, and are identically distributed. The variance of a sum of independent
# terms is the sum of their variances, and for independent zero-mean $w$ and $x$,
# $\mathrm{Var}(w x) = \mathbb E[w^2]\,\mathbb E[x^2] = \mathrm{Var}(w)\,\mathrm{Var}(x)$. Hence
#
# $$\mathrm{Var}(y) = n_\text{in}\,\mathrm{Var}(w)\,\mathrm{Var}(x).$$
#
# The output keeps the input's variance exactly when $n_\text{in}\,\mathrm{Var}(w) = 1$, i.e.
#
# $$\mathrm{Var}(w) = \frac{1}{n_\text{in}}, \qquad\text{standard deviation } \frac{1}{\sqrt{n_\text{in}}}.$$
#
# A fixed standard deviation such as $0.01$ ignores $n_\text{in}$: it shrinks the signal by
# $0.01\sqrt{n_\text{in}}$ in every layer (a factor of about 0.2 for 500 inputs), and
# $\mathcal N(0, 1)$ weights blow it up by $\sqrt{n_\text{in}}$.
#
# To draw the weights from a uniform distribution $U(-a, a)$ we need its variance, $a^2/3$ (in
# general $(b - a)^2/12$ for $U(a, b)$). Setting $a^2/3 = 1/n_\text{in}$ gives
#
# $$w \sim U\!\left(-\sqrt{3/n_\text{in}},\ \sqrt{3/n_\text{in}}\right).$$
#
# In `mlplab` a weight matrix has shape `(output_dim, input_dim)`, so $n_\text{in}$ = `shape[1]` and
# $n_\text{out}$ = `shape[0]`. Every initialiser takes the shape and an `np.random.Generator` and
# draws all its random numbers from that generator (never from `np.random.*` functions).

# %% [markdown]
# ### Task 1.1: Fan-in uniform initialisation (1 point)
#
# In `mlplab/exercises/initialisers.py`, implement `fanin_uniform(shape, rng)`: an array of the given shape
# with entries drawn independently from $U\!\left(-\sqrt{3/n_\text{in}}, \sqrt{3/n_\text{in}}\right)$.

# %% [task lab1.fanin_uniform]

# %% [markdown]
# **Question.** We measure $\mathrm{Var}(y)$ for inputs with $\mathrm{Var}(x) = 4$ and fan-ins of
# 10, 100 and 1000. Which weights keep $\mathrm{Var}(y) \approx 4$ for every fan-in: $\mathcal N(0, 0.01^2)$,
# $\mathcal N(0, 1)$ or your fan-in uniform weights?

# %% [answer lab1.variance_fan_in]
# ### BEGIN SOLUTION
# Only the fan-in uniform weights: $\mathrm{Var}(y) = n_\text{in}\mathrm{Var}(w)\mathrm{Var}(x)$ and
# they have $\mathrm{Var}(w) = 1/n_\text{in}$, so $\mathrm{Var}(y) \approx 4$ for every fan-in. With
# $\mathcal N(0, 1)$ weights the variance is about $4 n_\text{in}$ (40 to 4000), with
# $\mathcal N(0, 0.01^2)$ about $4\cdot 10^{-4} n_\text{in}$, far below 4 even for 1000 inputs.
# ### END SOLUTION

# %%
variance = lab1.linear_unit_variance(inits=("N(0, 0.01^2)", "N(0, 1)", "fan-in uniform"),
                                     n_ins=(10, 100, 1000), input_std=2.0,
                                     num_units=budget(200, 50), batch_size=budget(1000, 200), seed=SEED)
print(f"{'weights':>15} {'n_in':>6} {'n Var(w) Var(x)':>16} {'measured Var(y)':>16}")
for name, r in variance.items():
    for n, predicted, measured in zip(r["n_in"], r["predicted"], r["measured"]):
        print(f"{name:>15} {n:6d} {predicted:16.4g} {measured:16.4g}")

# %% [markdown]
# **What you should see.** The measured variance agrees with $n_\text{in}\mathrm{Var}(w)\mathrm{Var}(x)$
# to within a few percent for every weight distribution and fan-in. With $\mathcal N(0, 1)$ weights
# $\mathrm{Var}(y)$ grows in proportion to $n_\text{in}$ (about $4 n_\text{in}$), with
# $\mathcal N(0, 0.01^2)$ it is about $4 \cdot 10^{-4} n_\text{in}$, far below 4 for all three
# fan-ins, and with fan-in uniform weights it stays within a few percent of $\mathrm{Var}(x) = 4$
# whatever the fan-in.

# %% [markdown]
# **Lecture quiz: initialisation.** Five statements from the lecture on the tricks of the trade. Decide each one with the variance rule you have just measured.

# %% [answer lab1.quiz_variance_fan_in]
### BEGIN SOLUTION
answer = "true"
### END SOLUTION

# %% [answer lab1.quiz_std_fan_in]
### BEGIN SOLUTION
answer = "true"
### END SOLUTION

# %% [answer lab1.quiz_fan_in_thresholds]
### BEGIN SOLUTION
answer = "false"
### END SOLUTION

# %% [answer lab1.quiz_zero_thresholds]
### BEGIN SOLUTION
answer = "true"
### END SOLUTION

# %% [answer lab1.quiz_relu_scale]
### BEGIN SOLUTION
answer = "true"
### END SOLUTION

# %% [markdown]
# ### Forwards and backwards: Glorot's compromise
#
# The same argument applies to back-propagation, but there the error signal of a unit is a sum over
# the $n_\text{out}$ units it feeds, so keeping the *gradient* variance requires
# $n_\text{out}\,\mathrm{Var}(w) = 1$. Unless $n_\text{in} = n_\text{out}$ both cannot hold. Glorot
# and Bengio proposed the compromise of using the average fan:
#
# $$\mathrm{Var}(w) = \frac{2}{n_\text{in} + n_\text{out}},$$
#
# drawn either from a uniform distribution, $U\!\left(-\sqrt{6/(n_\text{in}+n_\text{out})},\ \sqrt{6/(n_\text{in}+n_\text{out})}\right)$,
# or from a normal distribution, $\mathcal N\!\left(0,\ 2/(n_\text{in}+n_\text{out})\right)$. Both
# functions take an extra `gain` that multiplies the weights (so the variance by `gain**2`); the
# default is 1.
#
# The derivation assumes the units are in their linear range (true for tanh near zero, where
# $\tanh(a) \approx a$). It is often called "Xavier initialisation".

# %% [markdown]
# ### Task 1.2: Glorot uniform initialisation (1 point)
#
# In `mlplab/exercises/initialisers.py`, implement `glorot_uniform(shape, rng, gain=1.0)`: entries drawn
# independently from $U(-a, a)$ with $a = \text{gain}\cdot\sqrt{6/(n_\text{in}+n_\text{out})}$.

# %% [task lab1.glorot_uniform]

# %% [markdown]
# ### Task 1.3: Glorot normal initialisation (1 point)
#
# In `mlplab/exercises/initialisers.py`, implement `glorot_normal(shape, rng, gain=1.0)`: entries drawn
# independently from a normal distribution with mean 0 and standard deviation
# $\text{gain}\cdot\sqrt{2/(n_\text{in}+n_\text{out})}$.

# %% [task lab1.glorot_normal]

# %% [markdown]
# ### Experiment: a 10-layer tanh network
#
# We push 500 random inputs (500 features, each $\mathcal N(0, 1)$) through 10 tanh layers of 500
# units with zero biases, and look at the distribution of the activations in every layer. Nothing
# is trained.
#
# **Question.** For weights $\mathcal N(0, 0.01^2)$, $\mathcal N(0, 1)$ and Glorot normal, what will
# the histograms of the tenth layer look like? Think of $0.01\sqrt{500}$ and $\sqrt{500}$.

# %% [answer lab1.tanh_depth_histograms]
# ### BEGIN SOLUTION
# $\mathcal N(0, 0.01^2)$: each layer scales the signal by about $0.01\sqrt{500} \approx 0.22$, so
# by layer 10 the histogram is a spike at zero (about a millionth of the first layer's spread).
# $\mathcal N(0, 1)$: pre-activations of size $\sqrt{500} \approx 22$ push almost every unit to
# $\pm 1$, a histogram with two spikes where $\tanh' \approx 0$. Glorot: the histogram stays wide in
# every layer, shrinking only slowly because tanh is slightly contracting.
# ### END SOLUTION

# %%
tanh_stats = lab1.activation_statistics("tanh", inits=("N(0, 0.01^2)", "N(0, 1)", "Glorot normal"),
                                        num_layers=budget(10, 5), width=budget(500, 100),
                                        batch_size=budget(500, 100), seed=SEED)
for name, r in tanh_stats.items():
    plot_layer_histograms(r["samples"], title=f"tanh, {name}", bins=budget(50, 10))
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_per_layer({name: r["std"] for name, r in tanh_stats.items()}, "std of activations", logy=True, ax=axes[0])
plot_per_layer({name: r["saturated"] for name, r in tanh_stats.items()}, "fraction with |h| > 0.99", ax=axes[1]);

# %% [markdown]
# **What you should see.**
#
# * $\mathcal N(0, 0.01^2)$: every layer shrinks the signal by about $0.01\sqrt{500} \approx 0.22$, so
#   the activations **collapse to zero**: the standard deviation in layer 10 is less than a
#   thousandth of that in layer 1 (about $10^{-6}$ of it).
# * $\mathcal N(0, 1)$: pre-activations have a standard deviation of about $\sqrt{500} \approx 22$,
#   so the units **saturate**: in every layer more than half (about 90%) of the activations are
#   beyond $\pm 0.99$, where $\tanh' \approx 0$ and no gradient gets through.
# * Glorot: the spread decreases only slowly (tanh is slightly contracting), losing less than a
#   factor of 4 over ten layers, and almost no unit saturates. The histograms stay wide in every
#   layer.

# %% [answer lab1.tanh_saturated_init]
### BEGIN SOLUTION
answer = "b"
### END SOLUTION

# %% [markdown]
# ## 4. ReLU units and He initialisation
#
# A ReLU, $h = \max(0, a)$, sets the negative half of its inputs to zero. For a pre-activation $a$ that
# is symmetric around zero, $\mathbb E[h^2] = \tfrac12 \mathrm{Var}(a)$. The variance formula for the
# next layer needs $\mathbb E[h^2]$ (ReLU outputs do not have mean zero, but the weights do), so
#
# $$\mathrm{Var}\big(a^{(l+1)}\big) = n_\text{in}\,\mathrm{Var}(w)\,\mathbb E\big[(h^{(l)})^2\big]
#   = \tfrac12\, n_\text{in}\,\mathrm{Var}(w)\,\mathrm{Var}\big(a^{(l)}\big).$$
#
# With Glorot (or fan-in) weights in square layers, $n_\text{in}\mathrm{Var}(w) = 1$, the variance
# halves in every layer: the standard deviation falls by $1/\sqrt 2$ per layer. He et al. compensate
# for the missing half:
#
# $$\mathrm{Var}(w) = \frac{2}{n_\text{in}}, \qquad w \sim \mathcal N\!\left(0,\ 2/n_\text{in}\right).$$

# %% [markdown]
# ### Task 1.4: He normal initialisation (1 point)
#
# In `mlplab/exercises/initialisers.py`, implement `he_normal(shape, rng)`: entries drawn independently from a
# normal distribution with mean 0 and standard deviation $\sqrt{2/n_\text{in}}$.

# %% [task lab1.he_normal]

# %% [markdown]
# **Question.** The same 10-layer experiment with ReLU units: by what factor per layer will the
# standard deviation change with Glorot weights? With He weights?

# %% [answer lab1.relu_depth_factor]
# ### BEGIN SOLUTION
# A ReLU zeroes half of its inputs, which halves the second moment, so Glorot weights (designed for
# units that keep the variance) lose a factor of about $1/\sqrt 2 \approx 0.71$ in standard deviation
# per layer, more than 10 over ten layers. He weights double $\mathrm{Var}(w)$ to $2/n_\text{in}$,
# which compensates exactly: the factor per layer stays close to 1.
# ### END SOLUTION

# %%
relu_stats = lab1.activation_statistics("relu", inits=("Glorot normal", "He normal"), num_layers=budget(10, 5),
                                        width=budget(500, 100), batch_size=budget(500, 100), seed=SEED)
for name, r in relu_stats.items():
    plot_layer_histograms(r["samples"], title=f"ReLU, {name}", bins=budget(50, 10))
    print(f"{name}: std changes by a factor {lab1.per_layer_factor(r['std']):.3f} per layer,"
          f" last layer / first layer = {r['std'][-1] / r['std'][0]:.3f}")
plot_per_layer({name: r["std"] for name, r in relu_stats.items()}, "std of ReLU outputs", logy=True);

# %% [markdown]
# **What you should see.** With Glorot weights the standard deviation of the ReLU outputs falls by
# a factor close to $1/\sqrt2 \approx 0.71$ per layer (between 0.65 and 0.77), so by more than a factor
# of 10 over ten layers; the histograms pile up at zero. With He weights the factor per layer is
# close to 1 (between 0.9 and 1.1) and the standard deviation stays within a factor of 2 in all ten
# layers.

# %% [answer lab1.relu_glorot_ratio]
### BEGIN SOLUTION
answer = 0.0457
### END SOLUTION

# %% [markdown]
# ## 5. Orthogonal initialisation
#
# Variance arguments only control norms *on average*. A product of many random matrices still
# stretches some directions and squashes others: its singular values spread out exponentially with
# depth. An orthogonal matrix ($Q^\top Q = I$) preserves *every* norm exactly, $\|Q\mathbf x\| = \|\mathbf x\|$,
# and so does any product of orthogonal matrices, forwards and backwards (all singular values are 1).
#
# A random orthogonal matrix, *uniformly distributed* over all orthogonal matrices, can be obtained
# from the singular value decomposition of a random Gaussian matrix $A = U \Sigma V^\top$: drop the
# singular values and keep $U V^\top$ (the orthogonal matrix nearest to $A$; for a non-square shape
# its rows or its columns are orthonormal). The initial weights are $\text{gain}\cdot U V^\top$.
# Taking $U$ alone would give orthogonal matrices too, but not uniformly distributed ones: the SVD
# routine fixes the signs of the singular vectors by a convention (every $2\times 2$ $U$ it returns
# is a reflection, with determinant $-1$), and $U V^\top$ does not depend on those signs.
#
# *Beside PyTorch:* `torch.nn.init.orthogonal_(w, gain)` draws from the same distribution (it uses a
# QR decomposition with a sign correction), so its draws agree in distribution, not entry by entry.

# %% [markdown]
# ### Task 1.5: Orthogonal initialisation via the SVD (2 points)
#
# In `mlplab/exercises/initialisers.py`, implement `orthogonal(shape, rng, gain=1.0)`: draw a Gaussian matrix
# with `rng`, take its SVD, and return `gain` times $U V^\top$. The docstring explains why not $U$ alone.

# %% [task lab1.orthogonal]

# %% [markdown]
# **Question.** A 50-layer linear network of width 64: how do the singular values of the
# end-to-end matrix $W^{(50)} \cdots W^{(1)}$ compare for fan-in normal weights ($\mathrm{Var}(w) = 1/n$)
# and for orthogonal weights?

# %% [answer lab1.orthogonal_singular_values]
# ### BEGIN SOLUTION
# An orthogonal matrix keeps every vector's norm, and so does a product of them: all singular
# values of the 50-layer orthogonal product are 1. Fan-in normal weights keep the norm only on
# average; the product of 50 random matrices has singular values spread over many orders of
# magnitude, so some input directions are stretched far more than others.
# ### END SOLUTION

# %%
deep_random = lab1.deep_linear_random(inits=("fan-in normal", "orthogonal"), num_layers=50, dim=64, seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for name, r in deep_random.items():
    axes[0].semilogy(np.arange(1, len(r["singular_values"]) + 1), r["singular_values"], label=name)
    ratios = r["norm_ratio"][:, -1]
    print(f"{name:>14}: singular values from {r['singular_values'][-1]:.2g} to {r['singular_values'][0]:.3g};"
          f" ||h(50)|| / ||x|| between {ratios.min():.3g} and {ratios.max():.3g}")
axes[0].set(xlabel="index", ylabel="singular value of W(50)...W(1)", title="end-to-end singular values")
axes[0].legend()
ratios = {}
for name, r in deep_random.items():
    ratios[f"{name}: largest over the inputs"] = r["norm_ratio"][:, 1:].max(axis=0)
    ratios[f"{name}: smallest over the inputs"] = r["norm_ratio"][:, 1:].min(axis=0)
plot_per_layer(ratios, "||h(l)|| / ||x||", logy=True, ax=axes[1])
axes[1].set_title("norm of 256 random inputs, layer by layer");

# %% [markdown]
# **What you should see.** With orthogonal weights every singular value of the 50-layer product is 1
# (to rounding error) and every input keeps its norm exactly, in every layer. With fan-in normal
# weights the norm is kept only on average: the singular values of the product span more than six
# orders of magnitude, and after 50 layers some inputs have been stretched more than three times as
# much as others.

# %% [markdown]
# ## 6. Learning speed: gradient norms per layer
#
# The gradient with respect to a layer's biases is its error signal $\boldsymbol\delta^{(l)}$
# (averaged over the batch). Its norm $\|\boldsymbol\delta^{(l)}\|$ tells how fast that layer
# learns. The recursion
# $\boldsymbol\delta^{(l)} = f'(\mathbf a^{(l)}) \odot \big(W^{(l+1)}\big)^{\!\top} \boldsymbol\delta^{(l+1)}$
# multiplies by a derivative in every layer; a sigmoid's derivative is at most $\tfrac14$.
#
# **Question.** In an untrained 8-hidden-layer network on MNIST, how does $\|\boldsymbol\delta^{(1)}\|$
# (first hidden layer) compare with $\|\boldsymbol\delta^{(8)}\|$ (last hidden layer) for sigmoid units
# with $\mathcal N(0, 0.01^2)$ weights, sigmoid and tanh with Glorot weights, and ReLU with He weights?

# %% [answer lab1.per_layer_gradients]
# ### BEGIN SOLUTION
# Going down one sigmoid layer multiplies the error signal by $\sigma' \le 1/4$ and by the weights:
# with $\mathcal N(0, 0.01^2)$ weights $\|\boldsymbol\delta^{(1)}\|$ is many orders of magnitude
# (about $10^{-10}$) below $\|\boldsymbol\delta^{(8)}\|$, and even with Glorot weights it is more
# than a hundred times smaller. Tanh with Glorot and ReLU with He have derivatives near 1 at the
# start, so their first and last hidden layers get gradients within a factor of 10.
# ### END SOLUTION

# %%
grad_norms = lab1.gradient_norms(num_hidden_layers=8, width=budget(256, 64), batch_size=budget(500, 100), seed=SEED)
plot_per_layer({label: r["delta_norm"] for label, r in grad_norms.items()},
               "||dE/db(l)||  (learning speed)", logy=True)
for label, r in grad_norms.items():
    print(f"{label:>22}: layer 1 / layer 8 = {r['delta_norm'][0] / r['delta_norm'][-2]:.2g}")

# %% [markdown]
# **What you should see.** (The last point of each line is the output layer.) With sigmoid units the
# first layers learn far more slowly than the last ones: with $\mathcal N(0, 0.01^2)$ weights the
# first hidden layer's gradient is less than a millionth of the eighth's (about $10^{-10}$), and even
# with Glorot weights it is less than a hundredth (about $10^{-4.5}$, roughly a factor 4 lost per
# layer). With tanh and Glorot, or ReLU and He, the gradient norms of the first and the last hidden
# layers are within a factor of 10 of each other.

# %% [markdown]
# ### Histograms of the error signals, layer by layer
#
# A norm sums a whole layer up in one number. A histogram per layer shows more: how the error signals
# of single examples, $\delta^{(l)}_i = \partial E/\partial a^{(l)}_i$ for each unit and each example,
# are spread. Because they span many orders of magnitude, we plot the histograms of
# $\log_{10}|\delta|$ for layers 1, 4 and 8 of the same untrained networks, and count the error signals
# that are exactly zero (which have no logarithm).
#
# **Question.** Where will the histograms of the three layers lie relative to each other for the
# sigmoid networks, and for tanh and ReLU? Which network has many error signals that are exactly
# zero, and about what fraction?

# %% [answer lab1.gradient_histograms]
# ### BEGIN SOLUTION
# For sigmoid units each layer down multiplies the error signals by $\sigma' \le 1/4$ and by the
# weights, so the whole histogram moves to the left by a constant amount per layer: more than a
# decade per layer with $\mathcal N(0, 0.01^2)$ weights, about half a decade with Glorot weights.
# For tanh (Glorot) and ReLU (He) the three histograms overlap. A ReLU passes no gradient where its
# input is negative, so in every ReLU layer about half of the error signals are exactly zero; tanh and
# sigmoid derivatives are never zero.
# ### END SOLUTION

# %%
fig, axes = plt.subplots(1, len(grad_norms), figsize=(16, 3.5))
for ax, (label, r) in zip(axes, grad_norms.items()):
    for layer in (1, 4, 8):
        delta = r["delta_samples"][layer - 1]
        ax.hist(np.log10(np.abs(delta[delta != 0])), bins=40, alpha=0.6, label=f"layer {layer}")
    ax.set(title=label, xlabel="log10 |delta|", yticks=[])
axes[0].legend(fontsize="small")
for label, r in grad_norms.items():
    zeros = [np.mean(d == 0) for d in r["delta_samples"][:-1]]
    medians = [np.median(np.log10(np.abs(d[d != 0]))) for d in r["delta_samples"][:-1]]
    print(f"{label:>22}: exactly zero in the hidden layers {min(zeros):.2f} to {max(zeros):.2f};"
          f" median log10|delta| layer 1 {medians[0]:.1f}, layer 8 {medians[-1]:.1f}")

# %% [markdown]
# **What you should see.** For the sigmoid networks the histograms are the same shape, shifted to
# the left layer after layer: between layer 8 and layer 1 the median error signal falls by more than 6
# decades with $\mathcal N(0, 0.01^2)$ weights and by more than 3 with Glorot weights. For tanh with
# Glorot weights the median falls by less than one decade, and for ReLU with He weights the three
# histograms lie on top of each other (medians within a factor of 2). In every hidden layer of the
# ReLU network between 40% and 60% of the error signals are exactly zero, the examples for which the
# unit was off; the other networks have none.

# %% [markdown]
# ## 7. Output biases: start from the class priors
#
# Biases are usually initialised to zero. The output layer is an exception worth knowing: with a
# softmax output, if the last layer's weights are (close to) zero the network predicts
# $\mathrm{softmax}(\mathbf b)$ for every input. Choosing
#
# $$b_k = \log p(c_k),$$
#
# the logarithm of the fraction of training examples in class $k$, makes that prediction equal to
# the class frequencies, because $e^{\log p_k} / \sum_j e^{\log p_j} = p_k$. The initial
# cross-entropy is then the entropy of the class distribution, $-\sum_k p_k \log p_k$, instead of
# $\log K$, and the network does not spend its first updates learning how common each class is.

# %% [markdown]
# ### Task 1.6: Output biases as log class priors (1 point)
#
# In `mlplab/exercises/initialisers.py`, implement `log_prior_biases(targets, num_classes=None)`: return the
# vector of length $K$ with the logarithm of each class's relative frequency in `targets`. The
# docstring says which forms of `targets` to accept and what to do when `num_classes` is None.

# %% [task lab1.log_prior_biases]

# %% [markdown]
# **Question.** On an imbalanced set of digits (300 zeros but only 20 nines), what is the
# cross-entropy of an untrained network whose output weights are zero, with zero output biases and
# with log-prior output biases?

# %% [answer lab1.log_prior_error]
# ### BEGIN SOLUTION
# With zero output weights every input gets the softmax of the biases. Zero biases give a uniform
# prediction and the error $\log 10 \approx 2.303$; log-prior biases predict the class frequencies,
# and the cross-entropy becomes the entropy of those frequencies, lower (about 1.96) because the
# classes are imbalanced.
# ### END SOLUTION

# %%
prior = lab1.log_prior_start(seed=SEED)
print(f"class frequencies: {np.round(prior['priors'], 3)}")
print(f"initial error, zero biases:      {prior['zero_bias_error']:.4f}   (log K = {prior['log_num_classes']:.4f})")
print(f"initial error, log-prior biases: {prior['log_prior_error']:.4f}   (entropy = {prior['entropy']:.4f})")

# %% [markdown]
# **What you should see.** With zero biases the initial error is exactly $\log 10 \approx 2.303$;
# with log-prior biases it equals the entropy of the class frequencies, about 1.96 here (to four
# decimals).

# %% [markdown]
# ## 8. Hidden units
#
# ### The linearity problem
#
# Without nonlinearities a deep network is useless: a stack of affine layers is one affine layer,
# $W^{(2)}\big(W^{(1)}\mathbf x + \mathbf b^{(1)}\big) + \mathbf b^{(2)} = \big(W^{(2)}W^{(1)}\big)\mathbf x + \big(W^{(2)}\mathbf b^{(1)} + \mathbf b^{(2)}\big)$.
# The same happens, approximately, when every unit of a nonlinear network is used only in a range
# where its activation function is nearly straight: a tanh or sigmoid unit whose pre-activations
# all stay close to zero, or a ReLU whose pre-activations are all positive (or all negative). For
# the nonlinearity to be used, the pre-activations of a unit should vary across input patterns over
# a range that includes its bend: mean near zero, and for tanh a standard deviation of order one.
# That is what a good initialisation provides at the start of training.
#
# **Question.** Which of these untrained networks (3 hidden layers of 100 units, 10 outputs) can be
# replaced by a linear function of the input with an error of less than 0.1%: tanh with $\mathcal N(0, 0.01^2)$ weights, tanh with
# Glorot weights, ReLU with He weights?

# %% [answer lab1.linearity]
# ### BEGIN SOLUTION
# Tanh with $\mathcal N(0, 0.01^2)$ weights: its pre-activations are tiny, where $\tanh(a) \approx a$,
# so the whole network is almost exactly linear. With Glorot weights the tanh units leave their
# linear range a little (a few percent of the output variance is nonlinear). ReLU with He weights is
# strongly nonlinear from the start, since half of each layer's inputs are cut off.
# ### END SOLUTION

# %%
collapse = lab1.linear_stack_collapse(layer_sizes=(20, 50, 50, 50, 5), seed=SEED)
print(f"4 affine layers vs their product: largest difference {collapse['max_abs_difference']:.2g}"
      f" (outputs up to {collapse['output_scale']:.2g})")
linearity = lab1.network_linearity(num_samples=budget(2000, 500), seed=SEED)
fig, axes = plt.subplots(1, len(linearity), figsize=(4 * len(linearity), 3.5))
for ax, (label, r) in zip(axes, linearity.items()):
    ax.scatter(r["fitted"], r["outputs"], s=3)
    ax.set(title=f"{label}\nunexplained: {r['unexplained']:.2g}", xlabel="best linear fit", ylabel="network output")
fig.tight_layout()

# %% [markdown]
# **What you should see.** The four stacked affine layers and their single product layer give the
# same outputs up to rounding ($< 10^{-10}$). The tanh network with $\mathcal N(0, 0.01^2)$ weights
# is, to within 0.1% of its output variance, a linear function of its input (the points lie on the
# diagonal): its units never leave their linear range. With Glorot weights the tanh network is
# still mostly linear at the start, but more than 2% of its output variance (about 5%) is not; the
# ReLU network with He weights is strongly nonlinear, with more than 30% of its output variance
# beyond the reach of any linear function.

# %% [markdown]
# **Lecture quiz: forward and backward paths.** Statements from the lecture about the linearity problem and the vanishing gradient problem.

# %% [answer lab1.quiz_relu_paths]
### BEGIN SOLUTION
answer = "a"
### END SOLUTION

# %% [answer lab1.quiz_relu_active_linear]
### BEGIN SOLUTION
answer = "true"
### END SOLUTION

# %% [answer lab1.quiz_relu_same_filter]
### BEGIN SOLUTION
answer = "false"
### END SOLUTION

# %% [answer lab1.quiz_sigmoid_small_weights]
### BEGIN SOLUTION
answer = "true"
### END SOLUTION

# %% [answer lab1.quiz_sigmoid_big_weights]
### BEGIN SOLUTION
answer = "true"
### END SOLUTION

# %% [markdown]
# ### ReLU and its relatives
#
# | unit | $f(a)$ for $a > 0$ | $f(a)$ for $a \le 0$ | $f'(a)$ for $a \le 0$ |
# |---|---|---|---|
# | ReLU | $a$ | $0$ | $0$ |
# | leaky ReLU | $a$ | $\alpha a$ (e.g. $\alpha = 0.01$) | $\alpha$ |
# | ELU | $a$ | $\alpha\,(e^{a} - 1)$ | $\alpha e^{a} = f(a) + \alpha$ |
# | SELU | $\lambda a$ | $\lambda\alpha\,(e^{a} - 1)$ | $\lambda\alpha e^{a} = f(a) + \lambda\alpha$ |
#
# The lecture's picture of ELU also shows the **shifted ReLU** (SReLU), the ReLU moved down and to
# the left by the same distance, $f(a) = \max(a, -1)$, so that like the ELU it is bounded below by
# $-1$; it has its own task below (1.12).
#
# and for $a > 0$ the derivative is 1 (ELU, leaky ReLU, ReLU) or $\lambda$ (SELU).
#
# * **ReLU** has derivative exactly 1 on its active paths, so gradients pass through active units
#   undiminished, which makes vanishing gradients much less of a problem than with sigmoids. But
#   a unit whose input is negative for every pattern passes no gradient at all, and its outputs are
#   never negative.
# * **Non-negative outputs cause the "bias" (mean shift) problem.** All weights into unit $i$ are
#   updated with the same $\delta_i$: $\Delta w_{ij} \propto \delta_i x_j$. When all $x_j \ge 0$, all
#   these updates have the same sign, so the weights of a unit can only move up together or down
#   together, and every update shifts the mean of the unit's pre-activation. Keeping the mean near
#   zero was exactly what initialisation was for.
# * **Leaky ReLU** keeps a small slope $\alpha$ for negative inputs, so no unit is ever completely
#   without gradient.
# * **ELU** is smooth (for $\alpha = 1$), bounded below by $-\alpha$, and produces negative outputs, so
#   its mean activation is closer to zero than a ReLU's.
# * **SELU** scales the ELU by $\lambda \approx 1.0507$ with $\alpha \approx 1.6733$. These two constants
#   are chosen so that, with weights of mean 0 and variance $1/n_\text{in}$, a layer maps activations
#   with mean 0 and variance 1 to activations with mean 0 and variance 1, and nearby means and
#   variances are pulled back towards them: the network normalises itself.
#
# Each layer's `bprop` receives the `inputs` and the `outputs` of its `fprop`; the last column of the
# table shows that for the exponential part the derivative can be computed cheaply from the outputs.

# %% [markdown]
# ### Task 1.7: ELU layer (2 points)
#
# In `mlplab/exercises/hidden_units.py`, implement `ELULayer.fprop` and `ELULayer.bprop` for
# $f(a) = a$ if $a > 0$ and $\alpha(e^a - 1)$ otherwise, with `self.alpha` (default 1.0). `bprop`
# returns `grads_wrt_outputs` times the derivative, elementwise. Make sure `fprop` produces no
# overflow warnings for large positive inputs.

# %% [task lab1.elu]

# %% [markdown]
# ### Task 1.8: SELU layer (2 points)
#
# In `mlplab/exercises/hidden_units.py`, implement `SELULayer.fprop` and `SELULayer.bprop` for
# $f(a) = \lambda a$ if $a > 0$ and $\lambda\alpha(e^a - 1)$ otherwise, with the constants
# $\alpha$ = `SELULayer.ALPHA` $= 1.6732632423543772$ and $\lambda$ = `SELULayer.SCALE`
# $= 1.0507009873554805$ defined in the class.

# %% [task lab1.selu]

# %% [markdown]
# ### Task 1.9: Leaky ReLU layer (2 points)
#
# In `mlplab/exercises/hidden_units.py`, implement `LeakyReLULayer.fprop` and `LeakyReLULayer.bprop`
# for $f(a) = a$ if $a > 0$ and $\alpha a$ otherwise, with `self.alpha` (default 0.01).

# %% [task lab1.leaky_relu]

# %% [markdown]
# ### Task 1.12: Shifted ReLU (SReLU) layer (1 point)
#
# In `mlplab/exercises/hidden_units.py`, implement `SReLULayer.fprop` and `SReLULayer.bprop` for
# $f(a) = \max(a, -s)$: $f(a) = a$ if $a > -s$ and $-s$ otherwise, with the fixed shift
# $s$ = `self.shift` (default 1.0; it is a constructor argument, not a parameter that is learned).
# The kink is at $-s$, not at 0, and an input of exactly $-s$ belongs to the constant branch.

# %% [task lab1.srelu]

# %%
family = lab1.relu_family(seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for label, r in family.items():
    axes[0].plot(r["a"], r["f"], label=label)
    axes[1].plot(r["a"], r["df"], label=label)
axes[0].set_xlabel("$a$")
axes[0].set_ylabel("$f(a)$")
axes[1].set_xlabel("$a$")
axes[1].set_ylabel("$f'(a)$")
axes[0].legend()
for label, r in family.items():
    print(f"{label:>24}: mean output for standard normal inputs {float(r['mean']):.3f}")

# %% [markdown]
# **What you should see.** For standard normal inputs the SReLU's mean output is about 0.08, less
# than a quarter of the ReLU's 0.40.

# %% [markdown]
# ### Experiment: 30 layers with fan-in weights
#
# We push standard normal inputs through 30 layers of 500 units of each kind, all with the same
# fan-in normal weights, $w \sim \mathcal N(0, 1/n_\text{in})$, and zero biases.
#
# **Question.** Which unit keeps the mean of its activations at 0 and their standard deviation at 1
# in layer 30? What happens to the mean of the ReLU outputs?

# %% [answer lab1.unit_statistics_depth]
# ### BEGIN SOLUTION
# SELU: its scale and $\alpha$ are chosen so that mean 0 and variance 1 are a fixed point of a layer
# with fan-in weights, and in layer 30 its activations are still about standardised. ReLU outputs are
# non-negative, so their mean is positive and far from zero (more than half their standard deviation),
# and with fan-in weights their spread also shrinks by about $1/\sqrt 2$ per layer.
# ### END SOLUTION

# %%
units = lab1.unit_statistics(units=("selu", "elu", "relu", "leaky_relu", "tanh"), init="fan-in normal", num_layers=30,
                             width=budget(500, 100), batch_size=budget(500, 100), seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_per_layer({unit: r["mean"] / r["std"] for unit, r in units.items()}, "mean / std of activations", ax=axes[0])
plot_per_layer({unit: r["std"] for unit, r in units.items()}, "std of activations", logy=True, ax=axes[1])
for unit, r in units.items():
    print(f"{unit:>10}: layer 30 mean {r['mean'][-1]: .3g}, std {r['std'][-1]:.3g};"
          f" layer 1 mean / std = {r['mean'][0] / r['std'][0]:.2f}")

# %% [markdown]
# **What you should see.** SELU keeps the activations standardised through all 30 layers: in layer
# 30 the mean is within $\pm 0.1$ of 0 and the standard deviation is between 0.8 and 1.2. The ReLU
# activations shrink by about $1/\sqrt 2$ per layer (below $10^{-3}$ in layer 30: fan-in weights are
# not He weights), and their mean is far from zero, more than half the standard deviation in every
# layer (the mean shift of non-negative units). Leaky ReLU with $\alpha = 0.01$ behaves like ReLU
# here: the same shrinking by about $1/\sqrt 2$ per layer and the same positive mean. ELU and tanh keep their mean much closer to zero
# (less than a third of the standard deviation in every layer), but their spread decays with depth:
# in layer 30 their standard deviation is less than half of what it is in layer 1.

# %% [markdown]
# ### The bias problem: training moves the mean
#
# A good initialisation gives every layer's inputs a sensible mean and spread at the start. Training
# then changes the weights, and with non-negative units it changes them in a way that moves the mean.
# Back-propagation updates the weights onto unit $i$ by $\Delta w_{ij} = -\eta\,\delta_i h_j$: one error
# signal $\delta_i$ for all of the unit's inputs $h_j$. When every $h_j \ge 0$, as the outputs of a ReLU
# layer are, all these weights go up together or down together, so the unit's pre-activation
# $a_i = \sum_j w_{ij} h_j + b_i$ moves the same way for almost every input pattern: its mean over the
# data shifts, although its bias has not changed. This is the **bias problem** (or mean-shift
# problem). It undoes the careful initialisation step by step: a unit whose mean has drifted far from
# zero is on for every pattern (it is linear) or off for every pattern (it passes no gradient). Units
# whose outputs have both signs, such as tanh and SELU, do not have it: the same update raises some
# weights and lowers others, and the changes of $a_i$ cancel on average over the patterns. Batch
# normalisation (Lab 2) removes it by subtracting every unit's batch mean.
#
# We train a network with 5 hidden layers of 100 units on 2,000 digits with gradient descent
# (learning rate 0.05) for 200 steps, once with ReLU units (He weights), once with tanh (Glorot) and
# once with SELU (fan-in normal), from the same data in the same order. Every 10 steps we pass 500
# fixed validation digits through the network and take each hidden unit's mean pre-activation. The
# *drift* of a layer is the average over its units of how far that mean has moved since the start,
# in units of the unit's initial standard deviation.
#
# **Epochs, batches and iterations.** This is the first network the lab trains, so here are the
# words the lecture uses for a training run. A *batch* (or minibatch) is a group of training
# examples whose gradients are averaged for one update; the *batch size* is how many examples it
# holds (here 50). One *iteration* (a step) is one parameter update, made from one minibatch. One
# *epoch* is one pass through the whole training set, so an epoch takes
# $\lceil N / \text{batch size} \rceil$ iterations (a last, smaller batch takes the rest). Here
# $N = 2{,}000$ digits and batches of 50 give $\lceil 2000 / 50 \rceil = 40$ iterations per epoch, and
# the 200 steps are 5 epochs. The 8 epochs of section 9 (same $N$ and batch size) are 320 iterations.
#
# **Question.** Which network's layers will drift the most, and which of its layers? What do you
# expect for layer 1, whose inputs are the standardised pixels?

# %% [answer lab1.mean_drift]
# ### BEGIN SOLUTION
# The ReLU network's deeper layers: from layer 2 on, their inputs are non-negative ReLU outputs, so
# every update shifts their means, and the drift grows with depth (in the last hidden layer the mean
# moves by more than one initial standard deviation). The tanh and SELU layers drift far less. Layer 1
# hardly drifts in any network: standardised pixels have mean zero, so its updates cancel on average.
# ### END SOLUTION

# %%
drift = lab1.mean_drift(num_steps=budget(200, 40), num_train=budget(2000, 500), seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_per_layer({label: r["drift"][-1] for label, r in drift.items()},
               "drift of the mean pre-activation (initial stds)", ax=axes[0])
for label, r in drift.items():
    axes[1].plot(r["steps"], r["drift"][:, -1], label=label)
axes[1].set_xlabel("training step")
axes[1].set_ylabel("drift of the last hidden layer")
axes[1].legend()
for label, r in drift.items():
    print(f"{label:>20}: drift per layer after {r['steps'][-1]} steps: "
          + ", ".join(f"{d:.2f}" for d in r["drift"][-1]))

# %% [markdown]
# **What you should see.** Layer 1 hardly moves in any of the three networks (drift below 0.05): its
# inputs have mean zero. In the ReLU network the drift grows from layer to layer, and after 200 steps
# the mean of the last hidden layer's pre-activations has moved by more than one initial standard
# deviation, more than five times as far as in the tanh or the SELU network, none of whose layers
# drifts by more than 0.3. Lab 2 repeats the measurement with batch normalisation.

# %% [markdown]
# **Lecture quiz: the bias problem.** The drift you have just seen is the lecture's bias (mean-shift) problem: all the weights onto a unit move with the same error signal, so with inputs of one sign they all push its activation the same way.

# %% [answer lab1.quiz_relu_update_mean]
### BEGIN SOLUTION
answer = "true"
### END SOLUTION

# %% [answer lab1.quiz_selu_update_mean]
### BEGIN SOLUTION
answer = "false"
### END SOLUTION

# %% [markdown]
# **Question.** (Lecture quiz.) In a network of SELU units, can a unit that is active in the forward pass pass back a vanishing gradient? When, and how often in a network that SELU keeps standardised?

# %% [answer lab1.quiz_selu_vanishing]
# ### BEGIN SOLUTION
# Yes, on its negative side. For $a < 0$ SELU is $\lambda\alpha(e^a - 1)$: for strongly negative $a$ the unit
# outputs about $-\lambda\alpha \approx -1.76$, clearly not zero, so it passes a value on, while its derivative
# $\lambda\alpha e^a$ tends to 0 and the gradient through it vanishes. With activations of mean 0 and standard
# deviation 1, which SELU keeps, few units reach $a < -3$, so this is rare, unlike a sigmoid with big weights.
# Rubric: the point for "yes" with the saturating negative branch and its vanishing derivative; none for
# "no, SELU is linear", which holds for $a > 0$ only.
# ### END SOLUTION

# %% [markdown]
# ## 9. Training deep networks from different initialisations
#
# Now the real test: train an MLP with 8 hidden layers of 64 units on 2,000 MNIST digits with
# plain gradient descent (learning rate 0.05), from different initialisations and with different
# hidden units. Every run sees the same data in the same order.
#
# **Question.** Which networks will be stuck at the error of guessing, $\log 10 \approx 2.3$? Which
# will be fastest in the first epoch?

# %% [answer lab1.stuck_networks]
# ### BEGIN SOLUTION
# The sigmoid networks: almost no gradient reaches their first layers, so their error stays near
# $\log 10$. The others learn. In the first epoch ReLU with He weights beats ReLU with Glorot weights
# (whose signal shrinks with depth), and ELU and SELU, whose outputs are closer to zero mean, are the
# fastest.
# ### END SOLUTION

# %%
histories = lab1.train_initialisations(num_epochs=budget(30 if FULL_RUN else 8, 2),
                                       num_train=budget(3000 if FULL_RUN else 2000, 500), seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
plot_history(histories, keys=("valid_error",), ax=axes[0])
plot_history(histories, keys=("valid_acc",), ax=axes[1])
axes[0].legend(fontsize="small")
axes[1].legend(fontsize="small")
for label, h in histories.items():
    print(f"{label:>22}: validation error after epoch 1 {h.valid_error[0]:.3f},"
          f" after epoch {h.epoch[-1]} {h.valid_error[-1]:.3f} (accuracy {h.valid_acc[-1]:.3f})")

# %% [markdown]
# **What you should see.** Both sigmoid networks are stuck: their validation error stays above 2.2
# (chance level is 2.303) and their accuracy near 10%, because almost no gradient reaches their first
# layers. All the others learn, reaching a validation error below 1 within the 8 epochs. After the
# first epoch, ReLU with He weights is well ahead of ReLU with Glorot weights, whose activations
# start out shrinking by $1/\sqrt 2$ per layer, and ELU and SELU, whose outputs have a mean closer to
# zero, are ahead of both.

# %% [markdown]
# ### The top sigmoid layer saturates
#
# Deep sigmoid networks have a second difficulty, near the output. Glorot and Bengio (2010) watched the
# mean activation of every hidden layer during training and found that the *last* hidden layer is
# driven towards 0 early on, into the flat lower end of the sigmoid, and stays there for a long time.
# An explanation: at the start the hidden features are useless for classifying, so the best the
# softmax layer can do is to predict from its biases, and the term $W\mathbf h$ only adds noise to the
# logits. Gradient descent reduces that noise by pushing $\mathbf h$ towards 0. For a tanh unit 0 is
# the centre, where its slope is largest; for a sigmoid unit it is a saturated region, where
# $\sigma'(a) = \sigma(a)(1 - \sigma(a))$ is small, so the gradients through the top layer shrink just
# when the lower layers need them. (This is one of the difficulties the lectures list when they
# motivate pretraining: saturated units near the output pass back very small gradients.)
#
# We train a network with 4 hidden layers of 100 units with gradient descent (learning rate 0.1,
# minibatches of 10, 2,000 steps) three times: sigmoid units with the old "standard" weights
# $U(-1/\sqrt{n_\text{in}}, 1/\sqrt{n_\text{in}})$ (variance $1/(3 n_\text{in})$), sigmoid units with
# Glorot weights, and tanh units with the standard weights. Every 100 steps we record the mean
# activation of each hidden layer on 500 fixed validation digits.
#
# **Question.** How will the mean activation of the top hidden layer develop in each network? And that
# of the layers below it?

# %% [answer lab1.top_layer_saturation]
# ### BEGIN SOLUTION
# With standard weights the top sigmoid layer's mean falls steadily from 0.5 towards 0 (below 0.2
# after 2,000 steps), where the sigmoid's slope is about half its value at 0.5, while the lower layers
# stay near 0.5. With Glorot weights it dips too but recovers once the lower layers provide useful
# features. The tanh network's layers keep a mean near 0, the centre of the tanh, and nothing
# saturates.
# ### END SOLUTION

# %%
saturation = lab1.top_layer_saturation(num_steps=budget(2000, 200), seed=SEED)
fig, axes = plt.subplots(1, len(saturation), figsize=(15, 3.5), sharey=True)
for ax, (label, r) in zip(axes, saturation.items()):
    for layer in range(r["mean"].shape[1]):
        ax.plot(r["steps"], r["mean"][:, layer], label=f"layer {layer + 1}")
    ax.set(title=label, xlabel="training step")
axes[0].set_ylabel("mean activation")
axes[0].legend(fontsize="small")
for label, r in saturation.items():
    print(f"{label:>28}: top layer mean {r['mean'][0, -1]:.3f} -> lowest {r['mean'][:, -1].min():.3f}"
          f" -> {r['mean'][-1, -1]:.3f} at step {r['steps'][-1]}")

# %% [markdown]
# **What you should see.** With standard weights the top sigmoid layer starts at a mean of 0.5 and
# falls at every record, below 0.2 after 2,000 steps, while the three layers below it stay between
# 0.45 and 0.65. With Glorot weights the top layer dips below 0.35 but then recovers, ending above
# 0.38. The tanh network's layers all keep their mean within 0.05 of 0 throughout.

# %% [markdown]
# ## 10. Preparing the inputs: standardisation and PCA whitening
#
# The same reasoning applies to the inputs themselves: the initialisation rules assume inputs with
# mean zero and similar variances. Pixels are neither: they are non-negative and some vary a lot
# while others (on the border) never change.
#
# **Standardisation** subtracts the mean of each feature and divides by its standard deviation,
# both computed on the **training set only**:
#
# $$\tilde x_i = \frac{x_i - \mu_i^\text{train}}{\sigma_i^\text{train}} .$$
#
# The *same* $\mu^\text{train}$ and $\sigma^\text{train}$ are then applied to validation and test data.
# Computing them on the test set would let test data influence the model, and it would change the
# meaning of the inputs the trained weights expect. (A feature that is constant in the training set
# has $\sigma_i = 0$; the docstring says what to do then.)
#
# **PCA** goes further and removes correlations. With the centred training data $\hat X$ (one
# example per row, $N$ rows), the covariance matrix $C = \tfrac1N \hat X^\top \hat X$ has the
# eigendecomposition $C = U \Lambda U^\top$, eigenvectors in the columns of $U$ sorted by decreasing
# eigenvalue $\lambda_1 \ge \lambda_2 \ge \dots$. Projecting onto the first $k$ eigenvectors,
# $\mathbf z = U_k^\top \hat{\mathbf x}$, gives uncorrelated features with variances
# $\lambda_1, \dots, \lambda_k$ and, for $k$ smaller than the dimension, reduces the dimension.
# **Whitening** also rescales each component to unit variance:
#
# $$z_j = \frac{\mathbf u_j^\top (\mathbf x - \boldsymbol\mu^\text{train})}{\sqrt{\lambda_j + \epsilon}},$$
#
# so that the whitened training data has covariance (nearly) $I$. The small $\epsilon$ keeps
# directions with tiny or zero variance from being blown up.
#
# Why bother? The error surface of the first layer is steep along directions in which the inputs
# have a large variance and flat along directions of small variance: its curvature follows the
# eigenvalues of the input covariance. Gradient descent must use a learning rate small enough for the
# steepest direction (the largest eigenvalue) and then crawls along the flattest ones. Inputs whose
# covariance has similar eigenvalues give a rounder error surface, so larger learning rates work and
# training is faster.

# %% [markdown]
# ### Task 1.10: Input standardisation with training statistics (2 points)
#
# In `mlplab/exercises/preprocessing.py`, implement `Standardiser.fit(x)` (store the per-feature mean and
# standard deviation of the training inputs `x`, shape `(N, D)`, and return `self`) and
# `Standardiser.transform(x)` (apply them to any inputs of shape `(M, D)`).

# %% [task lab1.standardise]

# %% [markdown]
# ### Task 1.11: PCA whitening (2 points)
#
# In `mlplab/exercises/preprocessing.py`, implement `PCAWhitener.fit(x)` (mean, covariance, its eigenvectors
# and eigenvalues sorted by decreasing eigenvalue, keeping `num_components` of them, all of them if
# None; return `self`) and `PCAWhitener.transform(x)` (centre with the training mean, project, divide
# by $\sqrt{\lambda_j + \epsilon}$), returning an array of shape `(M, num_components)`.

# %% [task lab1.pca_whiten]

# %% [markdown]
# **Question.** Neighbouring pixels of a digit tend to be both ink or both background. What do you
# expect the covariance matrix of the raw pixels to look like, and after standardising? After
# whitening with 100 components?

# %% [answer lab1.pixel_covariance]
# ### BEGIN SOLUTION
# Raw pixels: a covariance with strong structure off the diagonal, large entries between neighbouring
# pixels (correlations above 0.5). Standardising
# makes the diagonal 1 (the correlation matrix) but keeps the off-diagonal pattern. Whitening with 100
# components makes the training covariance the identity; validation data, transformed with the
# training statistics, comes out close to but not exactly white.
# ### END SOLUTION

# %%
prep = lab1.preprocessing_statistics(num_components=100)
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
for ax, key, title in zip(axes, ("cov_raw", "cov_standardised", "cov_whitened"),
                          ("raw pixels in [0, 1]", "standardised", "PCA-whitened (100 components)")):
    image = ax.imshow(prep[key], cmap="RdBu_r", vmin=-np.abs(prep[key]).max(), vmax=np.abs(prep[key]).max())
    ax.set_title(f"covariance: {title}")
    fig.colorbar(image, ax=ax, shrink=0.8)
show_images(prep["components"], labels=[f"PC {i + 1}" for i in range(16)], ncols=8)
varying = prep["varying"]
print(f"average correlation of horizontally adjacent pixels: {prep['neighbour_correlation']:.2f}")
print(f"standardised training pixels: largest |mean| {np.abs(prep['standardised_train_mean']).max():.1e},"
      f" std of the non-constant pixels from {prep['standardised_train_std'][varying].min():.4f}"
      f" to {prep['standardised_train_std'][varying].max():.4f}")
print(f"standardised validation pixels: median |mean| {np.median(np.abs(prep['standardised_valid_mean'][varying])):.3f}")
print(f"whitened training data: variances from {prep['whitened_diag'].min():.4f} to {prep['whitened_diag'].max():.4f},"
      f" largest |covariance| off the diagonal {prep['whitened_max_offdiag']:.1e}")
print(f"whitened validation data: variances from {prep['whitened_valid_diag'].min():.2f}"
      f" to {prep['whitened_valid_diag'].max():.2f}")
print(f"fraction of the pixel variance in the first 16 components: {prep['explained_variance'][15]:.2f},"
      f" in the first 100: {prep['explained_variance'][99]:.2f}")

# %% [markdown]
# **What you should see.** The raw covariance (100 most variable pixels, in image order) has
# strong structure off the diagonal: adjacent pixels have an average correlation above 0.5. After
# standardising, every non-constant training pixel has mean 0 (to rounding) and standard deviation 1,
# but the correlations remain. After whitening, the training covariance is the identity: variances
# between 0.99 and 1 and off-diagonal entries below $10^{-3}$. The validation data, transformed with
# the *training* statistics, is close to but not exactly standardised or white: the median absolute
# mean of a standardised validation pixel is between 0.001 and 0.1, and the whitened validation
# variances differ from 1 by more than 1%. The first 16 of the 784 principal components carry about
# 60% of the pixel variance and the first 100 more than 90%, which is why PCA can also shrink the
# inputs with little loss. The images show the first 16 principal directions: patterns of pixels
# that vary together.
#
# **Question.** We train a one-hidden-layer ReLU network (He weights) with the same learning rate on
# pixels scaled to $[0, 1]$ and on standardised pixels. Which trains faster?

# %% [answer lab1.standardised_speed]
# ### BEGIN SOLUTION
# The standardised pixels: with zero-mean inputs of unit variance the error surface is better
# conditioned, and the updates of a unit's weights do not all share the sign of its error signal as
# they do with positive inputs in $[0, 1]$. After 5 epochs the standardised run has a clearly lower
# training error.
# ### END SOLUTION

# %%
prep_histories = lab1.train_preprocessing(methods=("scaled to [0, 1]", "standardised"),
                                          num_epochs=budget(15 if FULL_RUN else 5, 2),
                                          num_train=budget(3000, 500), seed=SEED)
plot_history(prep_histories, keys=("train_error", "valid_error"))
for method, h in prep_histories.items():
    print(f"{method:>17}: training error after {h.epoch[-1]} epochs {h.train_error[-1]:.3f},"
          f" validation error {h.valid_error[-1]:.3f}")

# %% [markdown]
# **What you should see.** With the same learning rate and initial weights, the standardised inputs
# reach a training error after 5 epochs that is less than three quarters of the one on inputs
# scaled to $[0, 1]$ (about 0.14 against 0.35).
#
# **Question.** Standardising gives every pixel variance 1, but neighbouring pixels are strongly
# correlated, so along some directions many unit variances add up. What happens at a much larger
# learning rate, 1.0? Compare the largest eigenvalue of the input covariance for the three kinds of
# inputs.

# %% [answer lab1.large_learning_rate]
# ### BEGIN SOLUTION
# The largest eigenvalue sets the largest stable step. It is about 5 for $[0, 1]$ pixels, about 40
# for standardised pixels (correlated unit variances add up along the main direction) and 1 for
# whitened inputs. So at rate 1.0 the standardised run diverges, while the whitened inputs, which
# tolerate the same step in every direction, train best.
# ### END SOLUTION

# %%
for method, value in prep["largest_eigenvalue"].items():
    print(f"largest eigenvalue of the input covariance, {method:>16}: {value:7.3f}")
fast_histories = lab1.train_preprocessing(methods=("scaled to [0, 1]", "standardised", "PCA-whitened"),
                                          learning_rate=1.0, num_epochs=budget(3, 1),
                                          num_train=budget(3000, 500), seed=SEED)
for method, h in fast_histories.items():
    print(f"learning rate 1.0, {method:>16}: training error per epoch {np.round(h.train_error, 3)}")

# %% [markdown]
# **What you should see.** The largest eigenvalue is about 5 for pixels in $[0, 1]$, above 20 (about
# 40) for standardised pixels, whose correlated unit variances add up along the main direction of
# variation, and 1 for whitened inputs, whose covariance is the identity. With learning rate 1.0
# the run on standardised inputs blows up (its training error ends above 10 instead of decreasing),
# while the whitened inputs train best of the three: their training error after 3 epochs is below 0.2
# and below that of the $[0, 1]$ inputs. Standardisation is cheap and almost always worth it;
# whitening removes the correlations too, so that every direction tolerates the same step.

# %% [markdown]
# ## Summary
#
# * Signals and gradients are multiplied by one factor per layer; unless that factor is close to one,
#   deep networks explode or vanish. Initialisation sets the factor at the start of training.
# * For a linear unit $\mathrm{Var}(y) = n_\text{in}\mathrm{Var}(w)\mathrm{Var}(x)$. Fan-in weights
#   ($\mathrm{Var}(w) = 1/n_\text{in}$) keep the forward signal; Glorot ($2/(n_\text{in}+n_\text{out})$)
#   balances forward and backward; He ($2/n_\text{in}$) corrects for the ReLU dropping half its
#   inputs; orthogonal matrices keep every norm exactly.
# * All-zero weights leave every hidden unit identical forever; output biases can start at the log
#   class priors.
# * A network whose units stay in their linear range is a linear model. Sigmoids squash gradients
#   by at least 4 per layer; ReLUs pass them on their active paths but shift the mean; ELU and SELU
#   produce negative outputs, and SELU with fan-in weights keeps activations at mean 0 and variance 1.
# * Standardise (or whiten) inputs with statistics of the training set, and apply the same transform
#   to validation and test data.
#
# Run the self-check for the whole lab one last time:

# %%
mlplab.check("lab1");
