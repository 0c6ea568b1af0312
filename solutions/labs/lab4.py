# %% [markdown]
# # Lab 4: Bagging theory
#
# When several models look about equally good, which one should we keep? Bagging's answer is: all of
# them. Train $K$ versions of a model, each on a different resampling of the training set, and average
# their outputs. This lab builds the procedure from its parts, the bootstrap sample and the average,
# and then takes apart the error of the average. A short calculation (the *bagging theorem*) shows
# that the averaged model is never worse than a typical member, and says exactly how much better it
# is: averaging divides the part of the error that comes from the members' *independent* fluctuations
# by $K$, and does nothing to the part they share. We measure every term on tanh perceptrons, on
# synthetic ensembles whose members are correlated as much as we like, and on small networks trained on
# MNIST digits.
#
# ## Learning goals
#
# By the end of this lab you can
#
# 1. draw bootstrap samples, say what fraction of the data one of them contains, and use the examples
#    it leaves out (out of bag) to estimate the test error;
# 2. implement the tanh perceptron $\hat y = \tfrac12[1 + \tanh(\mathbf w^\top \mathbf x - \theta)]$
#    and the gradient of its quadratic error;
# 3. implement the bagging algorithm: $K$ bootstrap samples, $K$ trained models, one average;
# 4. state and verify the bagging theorem: $\langle E_k\rangle = V + d^2$ and
#    $E_{\text{bag}} = V/K + d^2 + C$, and explain the role of the cross term $C$;
# 5. explain with the correlation between members why bagging helps a lot for some models and little
#    for others;
# 6. combine classifiers by averaging, by a geometric mean (as dropout's weight scaling does) and by
#    majority vote.
#
# ## How to work
#
# * The exercises are **functions in `mlplab/exercises/bagging.py`** (tasks 4.1-4.7). Open the file, read the
#   docstrings, and replace each `raise NotImplementedError(...)` with your code.
# * After each task, run the graded cell that follows it. It calls the self-check
#   `mlplab.check("lab4.<task>")`, which runs your code on fixed inputs, compares it with stored
#   reference results and says what is wrong. `mlplab.check("lab4")` prints a table for the lab.
#   Random samples are checked through their statistics (how often each index is drawn, what fraction
#   of the data a sample contains), so draw your random numbers in any way you like, but always from the
#   generator you are given.
# * The first code cell switches on `autoreload`, so your edits are picked up the next time you run
#   a cell. If something behaves strangely, restart the kernel and run the notebook from the top.
# * The experiments are provided code (`mlplab/course/experiments/lab4.py`) that calls your functions.
#   Before running one, answer its question. Every statement under "What you should see" is checked
#   by the course's tests on the reference solution: if your results disagree, look for a bug.
# * **Written answers (graded by hand).** Below every question is an answer cell worth 1 point. Write
#   your prediction there *before* you run the experiment and, afterwards, one or two sentences on
#   what you saw and why. A grader reads it: a wrong guess with a right explanation afterwards earns
#   the point, an empty cell scores 0. (Double-click the cell to edit it.)
# * The default sizes keep the whole notebook well under a minute. Set `FULL_RUN = True` for larger
#   ensembles of networks.

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
from mlplab.course.experiments import budget, lab4

SEED = 0          # every experiment is seeded from this number
FULL_RUN = False  # True: larger ensembles of networks trained on more digits (about a minute)

plt.rcParams["figure.figsize"] = (7, 4)

# Sizes of the experiments (tiny while the autograder runs the notebook)
NUM_PERCEPTRONS = budget(25, 5)
NUM_NETWORKS = budget(25 if FULL_RUN else 10, 3)
NUM_DIGITS = budget(3000 if FULL_RUN else 1000, 200)
NUM_EPOCHS = budget(20, 2)

# %% [markdown]
# ## 1. Bootstrap samples
#
# Bagging (**b**ootstrap **agg**regat**ing**) needs $K$ training sets that differ, but we only have one.
# The bootstrap makes new ones from it: from the $n$ training examples, draw $n$ times **with
# replacement**. A bootstrap sample has the size of the data set, but some examples appear in it twice
# or more often and others not at all. An example is missed by one draw with probability $1 - 1/n$ and
# by all $n$ draws with probability
#
# $$\left(1 - \frac1n\right)^{n} \;\longrightarrow\; e^{-1} \approx 0.368 \qquad (n \to \infty),$$
#
# so a sample contains about 63% of the distinct examples. The examples a sample leaves out are its
# **out-of-bag** examples: the model trained on that sample has never seen them, so they can serve it as
# a validation set for free.

# %% [markdown]
# ### Task 4.1: Bootstrap samples and out-of-bag examples (2 points)
#
# In `mlplab/exercises/bagging.py`, implement `bootstrap_indices(num_examples, rng)`, the $n$ indices of one
# bootstrap sample drawn from the generator `rng`, and `out_of_bag_mask(indices, num_examples)`, a
# boolean array that is True for the examples a sample does not contain.

# %% [task lab4.bootstrap]

# %% [markdown]
# **Question.** What fraction of 5 examples does a bootstrap sample contain on average? Of 1,000? How
# many examples of a large data set are drawn exactly once, and how many twice?

# %% [answer lab4.bootstrap_fraction]
# ### BEGIN SOLUTION
# An example is missed by one draw with probability $1 - 1/n$, by all $n$ draws with
# $(1 - 1/n)^n$, so a sample contains a fraction $1 - (1-1/n)^n$: about 0.67 for 5 examples and
# $1 - 1/e \approx 0.632$ for a large set. The number of draws of one example is nearly Poisson with
# mean 1: about 37% are drawn once and 18% twice (and 37% never).
# ### END SOLUTION

# %%
boot = lab4.bootstrap_statistics(sizes=(5, 20, 100, 1000), num_samples=budget(500, 50), seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].semilogx(boot["sizes"], boot["distinct"], "o", label="your bootstrap samples")
axes[0].semilogx(boot["sizes"], boot["theory"], "k:", label="1 - (1 - 1/n)^n")
axes[0].axhline(1 - np.exp(-1), color="0.6", linewidth=1, label="1 - 1/e")
axes[0].set_xlabel("number of examples n")
axes[0].set_ylabel("fraction of distinct examples in a sample")
axes[0].legend()
counts = np.arange(len(boot["multiplicities"]))
axes[1].bar(counts - 0.2, boot["multiplicities"], width=0.4, label="your samples (n = 1000)")
axes[1].bar(counts + 0.2, boot["poisson"], width=0.4, label="Poisson(1)")
axes[1].set_xticks(counts, [str(c) for c in counts[:-1]] + [f"{counts[-1]}+"])
axes[1].set_xlabel("times an example is drawn")
axes[1].set_ylabel("fraction of the examples")
axes[1].legend()
for n, d, th in zip(boot["sizes"], boot["distinct"], boot["theory"]):
    print(f"n = {n:4d}: a sample contains {d:.3f} of the examples (theory {th:.3f})")

# %% [markdown]
# **What you should see.** For every $n$ the measured fraction is within 0.01 of
# $1 - (1 - 1/n)^n$: 0.67 for 5 examples, and for 1,000 examples within 0.005 of $1 - 1/e \approx 0.632$.
# The number of times an example is drawn follows the Poisson distribution with mean 1 (each fraction
# within 0.01 of it): about 37% of the examples are left out, 37% drawn once, 18% twice and 6% three
# times. Each bootstrap sample weights the data differently, and that is what makes the models
# trained on them differ.

# %% [markdown]
# ## 2. The tanh perceptron
#
# Our first members are the simplest classifiers: a **tanh perceptron** with inputs $\mathbf x$,
# weights $\mathbf w$ and threshold $\theta$,
#
# $$\hat y = \tfrac12\left[1 + \tanh(a)\right], \qquad a = \mathbf w^\top \mathbf x - \theta .$$
#
# Its output lies between 0 and 1, and $\hat y = 0.5$ on the hyperplane $\mathbf w^\top \mathbf x =
# \theta$, which separates the two classes (targets $t \in \{0, 1\}$). On noisy data no hyperplane
# separates them perfectly; we train by gradient descent on the quadratic error
# $E = \frac1P \sum_\mu (t^\mu - \hat y^\mu)^2$. With $\tanh'(a) = 1 - \tanh^2(a)$ the chain rule gives
#
# $$\frac{\partial E}{\partial \mathbf w} = \frac1P \sum_\mu -2\,(t^\mu - \hat y^\mu)\;\tfrac12\big(1 - \tanh^2(a^\mu)\big)\;\mathbf x^\mu,
# \qquad \frac{\partial a}{\partial \theta} = -1 .$$

# %% [markdown]
# ### Task 4.2: Tanh perceptron and the gradient of its quadratic error (2 points)
#
# In `mlplab/exercises/bagging.py`, implement `tanh_perceptron(inputs, weights, theta)` and
# `tanh_perceptron_grads(inputs, targets, weights, theta)`, which returns $(\partial E/\partial\mathbf w,
# \partial E/\partial\theta)$. The check compares your gradient with central differences of your own
# `tanh_perceptron`.

# %% [task lab4.tanh_perceptron]

# %% [markdown]
# ## 3. The bagging algorithm
#
# Given $n$ training examples:
#
# 1. for $k = 1, \dots, K$, draw a bootstrap sample of the data;
# 2. initialise $K$ models (each its own random initial weights);
# 3. train model $k$ on sample $k$;
# 4. on a new input $\mathbf x$, compute every model's output $\hat y_k(\mathbf x)$;
# 5. report the average $\hat y_{\text{bag}}(\mathbf x) = \frac1K \sum_k \hat y_k(\mathbf x)$.
#
# For a classifier, $\hat y_{\text{bag}}$ is compared with the threshold 0.5. The average of $K$
# perceptrons is no longer a perceptron: it is a network with one more layer (a fixed linear output unit
# that averages), and its decision boundary need not be a straight line.

# %% [markdown]
# ### Task 4.3: Training and running a bagged ensemble (2 points)
#
# In `mlplab/exercises/bagging.py`, implement `bag_models(train, inputs, targets, num_models, rng)` (steps 1-3,
# drawing each sample with your `bootstrap_indices`; it returns the trained models and their samples) and `bagged_predictions(models, inputs)` (step 4:
# every member's outputs, stacked; step 5 is then `.mean(axis=0)`). `train` is any function
# `(inputs, targets, rng) -> model`; in this lab it trains a perceptron or a network.

# %% [task lab4.bag_models]

# %% [markdown]
# **Question.** We train 25 tanh perceptrons, each on its own bootstrap sample of the same 30 noisy
# points. Will their decision boundaries agree? Where will the bagged output be close to 0.5?

# %% [answer lab4.perceptron_boundaries]
# ### BEGIN SOLUTION
# They agree roughly but not exactly: all are straight lines in similar directions through the
# middle of the data, tilted and shifted a little because each sample weights the noisy points
# differently. The bagged output is near 0.5 in the band where the members disagree and changes
# gradually across it.
# ### END SOLUTION

# %%
perceptrons = lab4.bagged_perceptrons(num_models=NUM_PERCEPTRONS, num_train=30, num_test=budget(2000, 500),
                                      num_steps=budget(300, 100), seed=SEED)
grid, train = perceptrons["grid"], perceptrons["train"]
fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
for member in perceptrons["grid_members"]:
    axes[0].contour(grid[..., 0], grid[..., 1], member, levels=[0.5], colors="0.5", linewidths=0.8)
for ax in axes:
    ax.scatter(train["x"][:, 0], train["x"][:, 1], c=train["t"], cmap="coolwarm", edgecolors="k", s=30)
    ax.set_xlabel("x1")
axes[0].set_ylabel("x2")
axes[0].set_title(f"decision boundaries of {len(perceptrons['members'])} members")
image = axes[1].contourf(grid[..., 0], grid[..., 1], perceptrons["grid_bagged"], levels=20, cmap="coolwarm", alpha=0.6)
axes[1].contour(grid[..., 0], grid[..., 1], perceptrons["grid_bagged"], levels=[0.5], colors="k")
axes[1].set_title("bagged output (black: 0.5)")
fig.colorbar(image, ax=axes[1])
angles = perceptrons["angles"]
print(f"angles between the members' weight vectors and their mean direction: {angles.min():.1f} to {angles.max():.1f}"
      f" degrees; the members disagree on {perceptrons['disagreement']:.1%} of the grid")

# %% [markdown]
# **What you should see.** The members' boundaries (left) are straight lines that run in similar
# directions across the middle of the data (every weight vector within 30 degrees of the mean
# direction), but they are not the same line: the largest angle is above 3 degrees, and on more than
# a tenth of the grid at least two members put a point in different classes. A few noisy points weigh more in
# one sample than in another. The bagged output (right) changes gradually from 0 to 1 across the band
# where the members disagree; its 0.5 line is a compromise of the members' lines.

# %% [markdown]
# ## 4. The bagging theorem
#
# How good is the average? Let $\hat y_k^\mu$ be member $k$'s output on data point $\mu$ (of $P$ test
# points) and $\delta_k^\mu = t^\mu - \hat y_k^\mu$ its signed mismatch. Member $k$'s quadratic error is
# $E_k = \frac1P\sum_\mu (\delta_k^\mu)^2$, and the typical member has the error
# $\langle E_k\rangle = \frac1K\sum_k E_k$. Write every mismatch as its mean plus a fluctuation,
#
# $$\delta_k^\mu = d + \varepsilon_k^\mu, \qquad d = \frac{1}{KP}\sum_{k,\mu} \delta_k^\mu, \qquad
# V = \frac{1}{KP}\sum_{k,\mu} (\varepsilon_k^\mu)^2 .$$
#
# The fluctuations average to zero, so the mixed term $2d\,\varepsilon$ disappears from the squares:
#
# $$\langle E_k\rangle = V + d^2 \qquad \text{(variance plus squared bias).}$$
#
# The lecture assumes that every member has the same average mismatch $d$; that is natural when all
# members are trained alike, and with the definitions above the identity holds in any case.
#
# The bagged output has the mismatch $\delta_{\text{bag}}^\mu = \frac1K \sum_k \delta_k^\mu = d +
# \frac1K\sum_k \varepsilon_k^\mu$, and squaring the sum of $K$ fluctuations gives $K$ squares and
# $K(K-1)$ products of different members:
#
# $$E_{\text{bag}} = \frac1P\sum_\mu (\delta^\mu_{\text{bag}})^2 = \frac VK + d^2 + C, \qquad
# C = \frac1P\sum_\mu \frac1{K^2} \sum_k \sum_{m \ne k} \varepsilon_k^\mu \varepsilon_m^\mu .$$
#
# Averaging leaves the bias alone and divides the variance by $K$, **if the cross term vanishes**, that
# is if the members' fluctuations are uncorrelated. Whatever the correlations, $E_{\text{bag}}$ is never
# larger than $\langle E_k\rangle$ (the square of an average is at most the average of the squares).

# %% [markdown]
# ### Task 4.4: Average member error as variance plus squared bias (1 point)
#
# In `mlplab/exercises/bagging.py`, implement `bias_variance_decomposition(predictions, targets)`, which returns
# $(\langle E_k\rangle, V, d^2)$ for predictions of shape $(K, P)$. Every average divides by the number of
# terms.

# %% [task lab4.bias_variance]

# %% [markdown]
# ### Task 4.5: Bagged error: variance over K, squared bias, cross term (2 points)
#
# In `mlplab/exercises/bagging.py`, implement `bagged_error_terms(predictions, targets)`, which returns
# $(E_{\text{bag}}, V/K, d^2, C)$.

# %% [task lab4.bagged_error_terms]

# %% [markdown]
# **Question.** For the 25 perceptrons of section 3, on 2,000 test points: which is larger, $V/K$ or the
# cross term $C$? How much lower than $\langle E_k\rangle$ do you expect $E_{\text{bag}}$ to be?

# %% [answer lab4.bias_variance_terms]
# ### BEGIN SOLUTION
# The cross term: the members are trained on overlapping samples of the same points and make
# nearly the same mistakes, so their fluctuations are strongly correlated and $C$ is much larger
# than $V/K$. The gain $\langle E_k\rangle - E_{\text{bag}} = V(1 - 1/K) - C$ is therefore small:
# $E_{\text{bag}}$ is only modestly below $\langle E_k\rangle$.
# ### END SOLUTION

# %%
p = perceptrons
print(f"<E_k> = {p['mean_error']:.5f} = V + d^2 = {p['variance']:.5f} + {p['bias_squared']:.5f}"
      f" (difference {p['mean_error'] - p['variance'] - p['bias_squared']:.1e})")
print(f"E_bag = {p['bagged_error']:.5f} = V/K + d^2 + C = {p['variance_term']:.5f} + {p['bias_squared']:.5f}"
      f" + {p['cross_term']:.5f} (difference "
      f"{p['bagged_error'] - p['variance_term'] - p['bias_squared'] - p['cross_term']:.1e})")
fig, ax = plt.subplots()
ax.plot(p["num_models"], p["mean_errors"], marker=".", label="<E_k> of the first K members")
ax.plot(p["num_models"], p["bagged_errors"], marker=".", label="E_bag of the first K members")
ax.set_xlabel("number of members K")
ax.set_ylabel("quadratic test error")
ax.legend();

# %% [markdown]
# **What you should see.** Both identities hold to rounding error (differences below $10^{-12}$).
# $E_{\text{bag}}$ is below $\langle E_k\rangle$, but by less than 20%: the bias $d^2$ is small (below
# 0.01) and the variance term $V/K$ is tiny, while the cross term $C$ is more than ten times larger. The perceptrons
# are stable models: trained on overlapping samples of the same data they make nearly the same
# mistakes, and averaging cannot remove a mistake that every member makes.

# %% [markdown]
# **Lecture quiz: bagging.** Two statements from the lecture, judged with the bagging theorem you have just verified.

# %% [answer lab4.quiz_average_models]
### BEGIN SOLUTION
answer = "b"
### END SOLUTION

# %% [markdown]
# **Question.** (Lecture quiz.) Is it better to hand in ten contributions to a competition, under different names, than a single one? Compare with one entry that averages the ten models' predictions.

# %% [answer lab4.quiz_ten_entries]
# ### BEGIN SOLUTION
# Ten entries only buy more draws: the best of ten noisy scores is likely to be better by luck, but each
# entry is still one model, whose expected error is that of a typical member, $V + d^2$; and entries under
# invented names break a competition's rules. One entry that averages the ten lowers the expected error
# itself, towards $d^2 + V/K$ for uncorrelated members (less the more they are correlated).
# Rubric: the point for saying the averaged entry has the lower expected error because the variance
# term shrinks, while ten separate entries only add lucky chances.
# ### END SOLUTION

# %% [markdown]
# ## 5. Correlated members
#
# Let $c_{km} = \frac1P\sum_\mu \varepsilon_k^\mu \varepsilon_m^\mu$. The correlation between members
# $k$ and $m$ is $\rho_{km} = c_{km}/\sqrt{c_{kk}c_{mm}}$. If every member has the variance $V$ and
# every pair the correlation $\rho$, the cross term is $C = \frac{K-1}{K}\rho V$ and
#
# $$E_{\text{bag}} = d^2 + V\left(\rho + \frac{1-\rho}{K}\right) \;\longrightarrow\; d^2 + \rho V
# \qquad (K \to \infty).$$
#
# Only the uncorrelated part of the variance is divided by $K$. That is why bagging needs models that
# change a lot when the training data change a little (deep networks, decision trees), and why the
# members should differ in every other way we can afford: initial weights, order of the examples,
# even architecture.

# %% [markdown]
# ### Task 4.6: Correlations between the members' errors (1 point)
#
# In `mlplab/exercises/bagging.py`, implement `error_correlations(predictions, targets)`, the $K \times K$ matrix
# $\rho_{km}$ (fluctuations around the common mean $d$, as above).

# %% [task lab4.error_correlations]

# %% [markdown]
# **Question.** We build ensembles of up to 50 members whose fluctuations have the correlation
# $\rho = 0$, $0.5$ and $0.9$. How does $E_{\text{bag}}$ fall with $K$ in each case, and where does it
# level off?

# %% [answer lab4.correlated_members]
# ### BEGIN SOLUTION
# With correlation $\rho$ the variance of the average is $V(\rho + (1-\rho)/K)$, so $E_{\text{bag}}
# \approx d^2 + \rho V + (1-\rho)V/K$. For $\rho = 0$ it falls like $V/K$ to the bias floor $d^2$;
# for $\rho = 0.5$ it levels off at $d^2 + V/2$; for $\rho = 0.9$ it barely moves, staying near
# $d^2 + 0.9V$.
# ### END SOLUTION

# %%
correlated = lab4.correlated_ensembles(correlations=(0.0, 0.5, 0.9), max_models=budget(50, 10),
                                       num_points=budget(4000, 1000), seed=SEED)
fig, ax = plt.subplots(figsize=(8, 4.5))
for index, (rho, r) in enumerate(correlated.items()):
    ax.plot(r["num_models"], r["bagged_errors"], marker=".", color=f"C{index}", label=f"rho = {rho}: E_bag")
    ax.plot(r["num_models"], r["theory"], ":", color=f"C{index}", label=f"rho = {rho}: d^2 + V (rho + (1 - rho) / K)")
    ax.axhline(r["bias_squared"], color="0.7", linewidth=1)
    print(f"rho = {rho}: measured mean correlation {r['mean_correlation']:.3f}; E_bag from {r['bagged_errors'][0]:.4f}"
          f" (K = 1) to {r['bagged_errors'][-1]:.4f} (K = {r['num_models'][-1]}); d^2 = {r['bias_squared']:.4f},"
          f" V = {r['variance']:.4f}")
ax.set_xscale("log")
ax.set_xlabel("number of members K")
ax.set_ylabel("E_bag")
ax.legend(fontsize="small", ncol=2);

# %% [markdown]
# **What you should see.** The measured mean correlations are within 0.02 of the chosen $\rho$, and
# each curve follows the formula (dotted) within 0.1 $V$. Uncorrelated members ($\rho = 0$) bring
# $E_{\text{bag}}$ down like $V/K$, to within 0.05 $V$ of the bias floor $d^2$ (grey) at $K = 50$. With
# $\rho = 0.9$ fifty members remove barely a tenth of the variance: $E_{\text{bag}}$ stays above
# $d^2 + 0.8\,V$.

# %% [answer lab4.rho_half_bagged_error]
### BEGIN SOLUTION
answer = 0.0545
### END SOLUTION

# %% [answer lab4.correlation_gain]
### BEGIN SOLUTION
answer = "a"
### END SOLUTION

# %% [markdown]
# ## 6. Bagging neural networks
#
# The members can be any models; averaging $K$ networks is like adding one linear output unit on top of
# them. Networks suit bagging well: even on the same data, different random initial weights and example
# orders lead them to different solutions, and bootstrap samples add to that.
#
# For classifiers there are several ways to combine the members' class probabilities $p_k(c \mid
# \mathbf x)$: the **arithmetic mean** (bagging's average); the **majority vote**, in which each member
# votes for its most probable class; and the normalised **geometric mean** $\propto \prod_k p_k(c \mid
# \mathbf x)^{1/K}$. The last one is the link with dropout: a dropout network trains $2^n$ sub-networks
# that share weights, each on (about) one minibatch, and at test time the weight-scaled network stands
# in for their average. For a single softmax layer with dropout on its inputs, the weight-scaled layer
# computes exactly the normalised geometric mean of all the sub-networks' predictions; in deeper
# networks it is an approximation. Dropout is bagging at the cost of one network, with members that are
# strongly tied to each other.

# %% [markdown]
# ### Task 4.7: Averaging, geometric mean and majority vote of classifiers (2 points)
#
# In `mlplab/exercises/bagging.py`, implement `combine_probabilities(probabilities, rule)` for the rules
# `"mean"`, `"geometric"` and `"vote"`; each returns one distribution over the classes per example.

# %% [task lab4.combine]

# %% [markdown]
# **Question.** We bag 10 networks with 100 ReLU units, each trained for 20 epochs on its own bootstrap
# sample of 1,000 digits, and test them on 1,000 other digits. Will the ensemble beat its best member?
# Which combination rule is best? And how well does the out-of-bag error, measured on training digits
# only, predict the ensemble's test error?

# %% [answer lab4.bagged_networks]
# ### BEGIN SOLUTION
# Yes, by a little: the ensemble makes fewer mistakes than the typical and than the best member,
# but the members' errors are strongly correlated, so the gain is modest. The combination rules
# (arithmetic mean, geometric mean, majority vote) end close to each other. The out-of-bag error predicts
# the test error to within a few hundredths, although it describes a smaller ensemble (about $0.37K$
# members per digit).
# ### END SOLUTION

# %%
nets = lab4.bagged_mlps(num_models=NUM_NETWORKS, num_train=NUM_DIGITS, hidden_dim=100, num_epochs=NUM_EPOCHS,
                        seed=SEED)
fig, ax = plt.subplots()
ax.plot(nets["num_models"], nets["member_errors"], "o", color="0.6", label="member k alone")
ax.plot(nets["num_models"], nets["bagged_errors"], marker=".", label="average of the first K members")
ax.axhline(nets["member_errors"].mean(), color="0.6", linestyle=":", label="mean member error")
ax.axhline(nets["oob_error"], color="C2", linestyle="--", label="out-of-bag estimate")
ax.set_xlabel("K")
ax.set_ylabel("test error rate")
ax.legend()
print(f"member test errors: mean {nets['member_errors'].mean():.3f}, best {nets['member_errors'].min():.3f};"
      f" bagged: {nets['bagged_errors'][-1]:.3f}")
print("combination rules: " + ", ".join(f"{rule} {error:.3f}" for rule, error in nets["rules"].items()))
print(f"out-of-bag error {nets['oob_error']:.3f} on the {nets['oob_coverage']:.1%} of the training digits that "
      "some member did not see")
b = nets["brier"]
print(f"quadratic error of the class probabilities: <E_k> = {b['mean_error']:.5f} = V {b['variance']:.5f}"
      f" + d^2 {b['bias_squared']:.1e}; E_bag = {b['bagged_error']:.5f} = V/K {b['variance_term']:.5f}"
      f" + C {b['cross_term']:.5f}; mean error correlation {nets['mean_correlation']:.2f}")

# %% [markdown]
# **What you should see.** The bagged networks make fewer mistakes than the typical member (more than
# 0.01 below the mean member error rate) and fewer than the best single member. The three combination rules end within 0.01 of each other. The out-of-bag
# error, computed without a single test digit, is within 0.03 of the ensemble's test error. (Each
# training digit is classified only by the members that did not see it, about $0.37K$ of them, so the
# estimate describes a smaller ensemble; with few members it is a rough one.)
#
# On the class probabilities the squared bias $d^2$ is zero to rounding error: members' probabilities
# and one-hot targets both sum to 1, so the mismatches average to 0, a case of the lecture's remark that
# with a suitable error function $d$ may vanish. The members' errors are strongly correlated (mean
# correlation above 0.8): the cross term is more than five times the variance term, which is why the
# gain, though real, is modest. Bagging pays off most when the members differ most.

# %% [markdown]
# ## Summary
#
# * A bootstrap sample draws $n$ of $n$ examples with replacement; it contains about 63% of them, and
#   the other 37% (out of bag) can estimate the error of the models that did not see them.
# * Bagging trains $K$ models on $K$ bootstrap samples and averages their outputs (or their votes).
# * The typical member's error is $\langle E_k\rangle = V + d^2$; the average's error is
#   $E_{\text{bag}} = V/K + d^2 + C$, never more than $\langle E_k\rangle$.
# * Averaging divides only the uncorrelated part of the variance by $K$:
#   $E_{\text{bag}} = d^2 + V(\rho + (1-\rho)/K)$. Correlated members, such as stable models trained on
#   overlapping data, gain little.
# * Dropout trains an exponential number of weight-sharing sub-networks; weight scaling approximates
#   their (geometric) average at the cost of a single network.
#
# Run the self-check for the whole lab one last time:

# %%
mlplab.check("lab4")
