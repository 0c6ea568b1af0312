# %% [markdown]
# # Lab 3: Dropout, maxout and data augmentation
#
# A network with a few hundred thousand weights can learn a thousand training digits by heart. It
# then makes almost no mistakes on them and noticeably more on digits it has not seen: it has
# *overfitted*, fitting the accidents of its small training set as well as the regularities of
# handwriting. This lab is about three remedies that are specific to neural networks, or work
# especially well with them: **dropout**, which trains a whole family of thinned networks at once;
# **maxout**, a hidden unit that learns its own piecewise-linear shape and goes well with dropout;
# and **data augmentation**, which manufactures new training examples from the ones we have, using
# what we know about which changes leave the label alone. At the end we add the classic remedies that
# work for any model trained by gradient descent, **weight decay** (L2 and L1 penalties on the weights)
# and **early stopping**, and compare all of them on the same small training set.
#
# ## Learning goals
#
# By the end of this lab you can
#
# 1. recognise overfitting in training curves, and say why a large network trained on a small data
#    set overfits;
# 2. implement dropout with an inclusion probability $p$, in both conventions (weight scaling at
#    test time and inverted dropout), and show that they compute the same expected output;
# 3. explain dropout as training $2^n$ weight-sharing sub-networks and averaging them (approximate
#    bagging), and as a way of forcing hidden units to be useful on their own (feature sharing);
# 4. implement DropConnect and an annealed dropout schedule, and say how they differ from dropout;
# 5. implement a maxout layer, explain why it is a learned convex piecewise-linear unit, and compare
#    maxout and ReLU networks of similar size;
# 6. implement random shifts, rotations, pixel noise and elastic deformations, apply them to every
#    training minibatch, and say which transformations a digit classifier may be trained with;
# 7. implement L2 and L1 weight decay (penalties on the weight matrices, not the biases) and early
#    stopping with a patience, and compare them with dropout; measure how much dropout slows
#    training down.
#
# ## How to work
#
# * The exercises are **functions and methods in the `mlplab` package**: `mlplab/exercises/dropout.py`
#   (tasks 3.1-3.3), `mlplab/exercises/maxout.py` (task 3.4), `mlplab/exercises/augmentation.py` (tasks
#   3.5-3.9) and `mlplab/exercises/weight_decay.py` (tasks 3.10-3.12). Open the file, read the docstrings,
#   and replace each `raise NotImplementedError(...)` with your code.
# * After each task, run the graded cell that follows it. It calls the self-check
#   `mlplab.check("lab3.<task>")`, which runs your code on fixed inputs, compares it with stored
#   reference results and says what is wrong. `mlplab.check("lab3")` prints a table for the lab.
#   Random layers are checked through what does not depend on the particular random numbers: the
#   output must be the input times *some* 0/1 mask, the gradient must use that same mask, about a
#   fraction $p$ of the units must be kept over many calls, and so on. Draw your random numbers
#   in any way you like, but always from the generator you are given.
# * The first code cell switches on `autoreload`, so your edits are picked up the next time you run
#   a cell. If something behaves strangely, restart the kernel and run the notebook from the top.
# * The experiments are provided code (`mlplab/course/experiments/lab3.py`) that calls your functions.
#   Before running one, answer its question. Every statement under "What you should see" is checked
#   by the course's tests on the reference solution: if your results disagree, look for a bug.
# * **Written answers (graded by hand).** Below every question is an answer cell worth 1 point. Write
#   your prediction there *before* you run the experiment and, afterwards, one or two sentences on
#   what you saw and why. A grader reads it: a wrong guess with a right explanation afterwards earns
#   the point, an empty cell scores 0. (Double-click the cell to edit it.)
# * The default sizes keep the whole notebook at about a minute. Set `FULL_RUN = True` for longer
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
from mlplab.course.experiments import budget, lab3
from mlplab.plotting import plot_history

SEED = 0          # every experiment is seeded from this number
FULL_RUN = False  # True: longer training runs (a few minutes)

plt.rcParams["figure.figsize"] = (7, 4)

# Sizes of the training experiments (tiny while the autograder runs the notebook)
NUM_EPOCHS = budget(80 if FULL_RUN else 40, 2)
NUM_TRAIN = budget(1000, 100)
WIDTH = budget(256, 32)

# %% [markdown]
# ## 1. Overfitting
#
# We train a network with two hidden layers of 256 ReLU units, about 270,000 weights, on only 1,000
# training digits, with plain gradient descent for 40 epochs, and measure the cross-entropy error
# and the accuracy on those training digits and on 1,000 validation digits that are never trained
# on.
#
# **Question.** Where will the training error be after 40 epochs? Will the validation error keep
# falling as long as the training error does?

# %% [answer lab3.overfitting]
# ### BEGIN SOLUTION
# The training error keeps falling towards zero (100% training accuracy after 40 epochs). The
# validation error does not follow: it is lowest early (within the first 20 epochs) and then rises,
# leaving a large gap: the network memorises the details of its 1,000 training digits.
# ### END SOLUTION

# %%
runs = lab3.train_dropout_networks(regularisers=("no dropout",), num_train=NUM_TRAIN, hidden_dim=WIDTH,
                                   num_epochs=NUM_EPOCHS, seed=SEED)
plain = runs["no dropout"]["history"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_history({"no dropout": plain}, keys=("train_error", "valid_error"), ax=axes[0])
plot_history({"no dropout": plain}, keys=("train_acc", "valid_acc"), ax=axes[1])
print(f"after {plain.epoch[-1]} epochs: training error {plain.train_error[-1]:.4f} (accuracy {plain.train_acc[-1]:.3f}),"
      f" validation error {plain.valid_error[-1]:.3f} (accuracy {plain.valid_acc[-1]:.3f})")
print(f"lowest validation error {min(plain.valid_error):.3f}, after epoch {plain.best_epoch}")

# %% [markdown]
# **What you should see.** The network learns its training digits perfectly: after 40 epochs the
# training accuracy is 100% and the training error is below 0.02. The validation error stops
# improving long before that: it is lowest within the first 20 epochs and then *rises* again, by more
# than 0.02, while the training error keeps falling. The gap between the two, more than 0.35 at the
# end, is the signature of overfitting: the network has fitted details of the 1,000 digits that do
# not carry over to new ones.
#
# Early stopping (keeping the weights of the best validation epoch) limits the damage; you will
# implement it in section 7. Most of this lab is about methods that change what the network learns
# instead.

# %% [markdown]
# ## 2. Dropout
#
# **The idea.** In every training step, remove each hidden unit (and each input) at random: keep it
# with probability $p$, the **inclusion probability**, and set its output to zero otherwise. Typical
# values are $p \approx 0.5$ for hidden units and $p \approx 0.8$ for inputs. (*Beside PyTorch and other
# slides:* `torch.nn.Dropout(p)` takes the **drop** probability, so our $p$ is `torch.nn.Dropout(1 - p)`,
# which is inverted dropout; the Imperial EE3-25 and CS 6501 slides also call the dropped fraction $p$.)
# Each minibatch is then
# processed, forwards *and* backwards, by a randomly thinned network: a removed unit sends nothing
# forward, so it gets no gradient back, and the weights it would have used are not updated in that
# step. The next minibatch gets a new random selection; at test time the complete network is used.
#
# For a layer with inputs $\mathbf x$ (one row per example) we draw a random 0/1 mask $\mathbf m$
# of the same shape, $m_i = 1$ with probability $p$, independently for every unit **and every
# example**, and compute $\mathbf y = \mathbf m \odot \mathbf x$. For a fixed mask the layer is
# linear, so its backward pass multiplies the incoming gradient by the *same* mask:
# $\partial E / \partial \mathbf x = \mathbf m \odot \partial E / \partial \mathbf y$. The layer must
# therefore remember the mask of its forward pass until the backward pass.
#
# **Test time.** A unit that is present with probability $p$ contributes $p\,h$ on average. Using the
# complete network at test time would feed the next layer inputs about $1/p$ times larger than it saw
# during training. There are two equivalent fixes:
#
# * **weight scaling** (the original formulation): train with $\mathbf y = \mathbf m \odot \mathbf x$
#   and multiply by $p$ at test time, $\mathbf y = p\,\mathbf x$ (equivalently, multiply the outgoing
#   weights of the unit by $p$ once training is over);
# * **inverted dropout**: divide by $p$ during training, $\mathbf y = \mathbf m \odot \mathbf x / p$,
#   and use the network unchanged at test time, $\mathbf y = \mathbf x$.
#
# Both make the test-time output equal to the expected training output, $\mathbb E[m_i x_i] = p x_i$.
# Inverted dropout is what most libraries do: the trained network needs no changes.
#
# Layers in `mlplab` have an explicit mode: `layer.train()` and `layer.eval()` (or `model.train()`,
# `model.eval()`) set `layer.training`, which decides whether masks are drawn. The trainer switches to
# training mode for its updates and to evaluation mode to measure validation error. The random masks
# come from a generator passed to the layer (`DropoutLayer(rng, incl_prob, inverted)`), never from
# numpy's global random state, so that a seed reproduces a run.

# %% [markdown]
# ### Task 3.1: Dropout layer (3 points)
#
# In `mlplab/exercises/dropout.py`, implement `DropoutLayer.fprop` and `DropoutLayer.bprop`. In training
# mode `fprop` draws a new boolean mask of the inputs' shape (one entry per example and unit, kept
# with probability `self.incl_prob`), stores it in `self.mask` and applies it, dividing by $p$ when
# `self.inverted` is True. `bprop` lets the gradient through that stored mask with the same factor.
# In evaluation mode nothing is random: the output is $\mathbf x$ (inverted) or $p\,\mathbf x$
# (weight scaling).

# %% [task lab3.dropout]

# %% [markdown]
# ### Two conventions, one expectation
#
# **Question.** We push one input vector through your dropout layer $K$ times in training mode and
# average the outputs. How far is the average from the evaluation-mode output after $K = 1$, 100 and
# 10,000 masks? Then we build two small networks that differ only in the convention, one with inverted
# dropout and output weights $W$, the other with weight scaling and output weights $W/p$, and give
# both the same mask seed. How different are their outputs, in training and in evaluation mode?

# %% [answer lab3.dropout_average]
# ### BEGIN SOLUTION
# Each mask gives an unbiased output, so the average of $K$ outputs approaches the evaluation
# output like $1/\sqrt K$: far away after one mask, close after 10,000. The two conventions apply the
# factor $1/p$ in different places (on the kept activations or in the weights), so with the same masks
# their outputs agree up to rounding in both modes.
# ### END SOLUTION

# %%
conventions = lab3.dropout_conventions(incl_prob=0.5, num_masks=(1, 10, 100, 1000, 10000), seed=SEED)
fig, ax = plt.subplots()
for label, errors in conventions["relative_error"].items():
    ax.loglog(conventions["num_masks"], errors, marker="o", label=label)
ax.loglog(conventions["num_masks"], 1 / np.sqrt(conventions["num_masks"]), "k:", label="1 / sqrt(K)")
ax.set_xlabel("number of masks averaged, K")
ax.set_ylabel("relative RMS distance from the eval output")
ax.legend()
for label, errors in conventions["relative_error"].items():
    print(f"{label:>15}: " + ", ".join(f"K={k}: {e:.4f}" for k, e in zip(conventions["num_masks"], errors)))
print(f"two networks, largest output difference: training mode {conventions['train_difference']:.2e},"
      f" evaluation mode {conventions['eval_difference']:.2e} (outputs of size {conventions['output_scale']:.2f})")

# %% [markdown]
# **What you should see.** For both conventions the average of $K$ training outputs approaches the
# evaluation output like $1/\sqrt K$ (the dotted line): it falls by a factor between 2 and 5 for every
# factor of 10 in $K$ and is below 2% of the output's size after 10,000 masks. The two networks give
# the same outputs, up to rounding (differences below $10^{-12}$), in training mode (the same masks,
# with the factor $1/p$ applied before or after the weights) and in evaluation mode. The conventions
# differ only in *where* the factor $p$ is applied.

# %% [markdown]
# ### What input dropout does to a digit
#
# With $p = 0.8$ on the inputs, each training step sees the digit with a fifth of its pixels missing.

# %%
pixels = lab3.dropped_pixels(incl_probs=(0.8, 0.5), num_images=8, seed=SEED)
fig, ax = plt.subplots(figsize=(8, 3.3))
ax.imshow(lab3.image_grid([pixels["original"], pixels[0.8]["images"], pixels[0.5]["images"]]), cmap="gray_r")
ax.set_yticks([16, 48, 80], ["original", "p = 0.8", "p = 0.5"])
ax.set_xticks([])
for p in (0.8, 0.5):
    print(f"p = {p}: {pixels[p]['kept_ink']:.3f} of the ink pixels kept")

# %% [markdown]
# **What you should see.** (Ink is black here.) Top row: the digits; middle row: $p = 0.8$; bottom
# row: $p = 0.5$ (weight scaling convention, so kept pixels are unchanged). The fraction of ink pixels
# kept is within 0.05 of $p$.
#
# Can you still read the digits in the middle row? In the bottom row? The information in a digit is
# spread over many pixels; input dropout trains the network to use all of it instead of relying on a
# few pixels.

# %% [markdown]
# ### Dropout against overfitting
#
# **Question.** We train the network of section 1 again, once with dropout ($p = 0.5$) after both
# hidden layers, and once with dropout on the inputs ($p = 0.8$) as well. Every run starts from the
# same weights and sees the same minibatches. How will the training and the validation error compare
# with the run without dropout?

# %% [answer lab3.dropout_training]
# ### BEGIN SOLUTION
# With dropout the training error falls more slowly (each step trains a random sub-network), and
# the validation error ends lower, with a narrower gap between the two; input dropout as well narrows
# it further. Dropout slows overfitting down rather than removing it.
# ### END SOLUTION

# %%
runs.update(lab3.train_dropout_networks(regularisers=("hidden dropout 0.5", "input 0.8 + hidden 0.5"),
                                        num_train=NUM_TRAIN, hidden_dim=WIDTH, num_epochs=NUM_EPOCHS, seed=SEED))
histories = {name: runs[name]["history"] for name in ("no dropout", "hidden dropout 0.5", "input 0.8 + hidden 0.5")}
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
plot_history(histories, keys=("train_error", "valid_error"), ax=axes[0])
plot_history(histories, keys=("valid_acc",), ax=axes[1])
for ax in axes:
    ax.legend(fontsize="small")
for name, h in histories.items():
    print(f"{name:>23}: training error {h.train_error[-1]:.3f}, validation error {h.valid_error[-1]:.3f},"
          f" gap {lab3.train_valid_gap(h):.3f}, validation accuracy {h.valid_acc[-1]:.3f}")

# %% [markdown]
# **What you should see.** (All errors are measured in evaluation mode, with the complete network.)
# With dropout the training error falls more slowly, and the validation error ends lower, by more than
# 0.03 for both dropout runs (about 0.43 without dropout). The gap between validation and training
# error, more than 0.4 without dropout, narrows by more than 0.03 with hidden dropout and by more than
# 0.07 with input dropout as well. Dropout has not removed overfitting in 40 epochs on 1,000 digits, but it has slowed
# it down: the network with both kinds of dropout still makes some mistakes on its own training
# digits (training error above 0.02) while its validation error is the lowest of the three.

# %% [markdown]
# ### Dropout needs more epochs
#
# Every step of dropout training updates a random thinned network with a noisy gradient, and each of
# the many sub-networks is trained only now and then. The Imperial EE3-25 slides put the price at
# about twice the number of iterations to converge.
#
# **Question.** From the three runs above, we read off after how many epochs the training error
# (measured on the complete network) first falls to 0.1 and to 0.05. How many more epochs will the
# runs with dropout need than the run without?

# %% [answer lab3.dropout_convergence]
# ### BEGIN SOLUTION
# Dropout slows the fit down: with hidden dropout the network needs about one and a half times as
# many epochs to reach the same training error, and with input dropout as well about twice as many,
# as the slides say. Each step trains a random sub-network with a noisy gradient, so progress per
# epoch is smaller.
# ### END SOLUTION

# %%
levels = (0.1, 0.05)
for name, h in histories.items():
    reached = [lab3.epochs_to_reach(h, level) for level in levels]
    print(f"{name:>23}: " + ", ".join(f"training error {level} after epoch {epoch}" for level, epoch in zip(levels, reached)))
plain_epochs = lab3.epochs_to_reach(histories["no dropout"], 0.05)
for name in ("hidden dropout 0.5", "input 0.8 + hidden 0.5"):
    epochs = lab3.epochs_to_reach(histories[name], 0.05)
    if plain_epochs and epochs:
        print(f"{name}: {epochs / plain_epochs:.2f} times as many epochs as without dropout to reach 0.05")

# %% [markdown]
# **What you should see.** (The errors are measured every second epoch.) Without dropout the training
# error is down to 0.05 within 16 epochs. Hidden dropout needs at least 1.4 times as many epochs to get
# there, and dropout on the inputs as well at least 1.8 times as many, close to the doubling the slides
# speak of. The extra epochs are the price of the better validation error above.

# %% [markdown]
# ### Dropout as approximate bagging
#
# **Bagging** trains $M$ models on different bootstrap samples of the training set and averages their
# predictions, $F(\mathbf x) = \frac1M \sum_m f_m(\mathbf x)$. Models that overfit in different ways
# make different mistakes, and the average cancels some of them; the average is usually better than
# its members. Its cost is training and storing $M$ models.
#
# A network with $n$ units that may be dropped contains $2^n$ **sub-networks**, one for each mask.
# Every training step trains one of them (a different one for every example) on one minibatch. The
# sub-networks are not independent models as in bagging: they *share* their weights, each is trained
# for at most a step or two, and none sees a data set of its own. At test time, the exact average of
# all $2^n$ sub-networks is out of reach; weight scaling replaces it by a single pass through the
# complete network with scaled weights, which for a single linear layer is exact and for a deep
# network is an approximation.
#
# **Question.** We take the network trained with input and hidden dropout and let it classify the
# validation digits with random masks switched on (single sub-networks), then average the softmax
# outputs of $K$ sub-networks. How does the accuracy depend on $K$? How does it compare with the
# scaled network?

# %% [answer lab3.subnetwork_ensemble]
# ### BEGIN SOLUTION
# A single sub-network is clearly worse than the scaled network. Averaging the softmax outputs of
# more sub-networks improves quickly, and with about 50 of them the average is close to the scaled
# network: one pass with scaled weights approximates the average of an exponentially large ensemble.
# ### END SOLUTION

# %%
valid = lab3.validation_digits(budget(500, 100))
bagging = lab3.mask_averaging(runs["input 0.8 + hidden 0.5"]["model"], valid["inputs"], valid["labels"],
                              num_masks=(1, 2, 5, 10, 20, 50), seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
axes[0].semilogx(bagging["num_masks"], bagging["ensemble_acc"], marker="o", label="average of K sub-networks")
axes[0].axhline(bagging["scaled_acc"], color="k", linestyle=":", label="scaled network (eval mode)")
axes[0].set_ylabel("validation accuracy")
axes[1].semilogx(bagging["num_masks"], bagging["ensemble_error"], marker="o", label="average of K sub-networks")
axes[1].axhline(bagging["scaled_error"], color="k", linestyle=":", label="scaled network (eval mode)")
axes[1].set_ylabel("validation cross-entropy")
for ax in axes:
    ax.set_xlabel("K")
    ax.legend()
print(f"one sub-network: accuracy {bagging['single_acc']:.3f}; scaled network: accuracy {bagging['scaled_acc']:.3f},"
      f" error {bagging['scaled_error']:.3f}")
for k, acc, err, dist in zip(bagging["num_masks"], bagging["ensemble_acc"], bagging["ensemble_error"],
                             bagging["distance"]):
    print(f"K = {k:2d}: accuracy {acc:.3f}, error {err:.3f}, distance from the scaled network's prediction {dist:.3f}")

# %% [markdown]
# **What you should see.** A single random sub-network is a poor classifier: its accuracy is more than
# 0.04 below the scaled network's. Averaging sub-networks helps quickly: the error of the average falls
# as $K$ grows and after 50 sub-networks it is within 0.05 of the scaled network's, with an accuracy
# within 0.02 of it; the average also moves steadily closer to the scaled network's prediction. The
# single deterministic pass with scaled weights is as good as an ensemble of dozens of sub-networks, at
# the cost of one of them: that is the sense in which dropout is cheap, approximate bagging.

# %% [markdown]
# ### Dropout as forced feature sharing
#
# The second way to see dropout: a hidden unit cannot count on any particular other unit being present,
# so it must compute something that is useful on its own, together with *many different* random subsets
# of the others. Several units end up carrying overlapping, redundant features, and no unit can
# specialise in correcting the mistakes of a few others (co-adaptation), which is one way a network
# memorises its training set.
#
# **Question.** After training, we remove a random fraction of the hidden units of each network (and
# rescale the others, as inverted dropout would). Which network copes better?

# %% [answer lab3.unit_removal]
# ### BEGIN SOLUTION
# The dropout networks: they were trained to work with half of their units missing, so no unit can
# rely on others. The network trained without dropout loses much of its accuracy when half its hidden
# units go; the dropout networks lose little even with three quarters removed.
# ### END SOLUTION

# %%
removal = lab3.unit_removal({name: runs[name]["model"] for name in histories}, valid["inputs"], valid["labels"],
                            fractions=(0.0, 0.25, 0.5, 0.75), repeats=budget(5, 1), seed=SEED)
fig, ax = plt.subplots()
for name, accuracy in removal.items():
    ax.plot([0, 25, 50, 75], accuracy, marker="o", label=name)
ax.set_xlabel("hidden units removed at test time (%)")
ax.set_ylabel("validation accuracy")
ax.legend()
for name, accuracy in removal.items():
    print(f"{name:>23}: " + ", ".join(f"{a:.3f}" for a in accuracy))

# %% [markdown]
# **What you should see.** Removing half of the hidden units costs the network trained without dropout
# more than 0.2 of its accuracy, while both networks trained with dropout lose less than 0.06. Even with
# three quarters of the units removed the dropout networks keep an accuracy above 0.6. Their features
# do not depend on each other.

# %% [markdown]
# ## 3. DropConnect
#
# Dropout removes a unit together with all its outgoing connections. **DropConnect** (Wan et al., 2013)
# removes *single connections*: every weight of a layer is kept with probability $p$, independently,
# and every example gets its own mask $M$ of the weight matrix's shape:
#
# $$\mathbf y_n = \big( (M_n \odot W)/p \big)\, \mathbf x_n + \mathbf b .$$
#
# (We use inverted scaling, so that at test time the layer is the ordinary affine layer; biases are
# not dropped.) For a fixed mask the layer is again linear, and its gradients follow from those of
# the affine layer with $W$ replaced by $M_n \odot W/p$: a dropped weight receives no gradient from that
# example. Dropout is the special case in which all weights leaving an input are kept or dropped
# together.

# %% [markdown]
# ### Task 3.2: DropConnect layer (2 points)
#
# In `mlplab/exercises/dropout.py`, implement `DropConnectLayer.fprop`, `bprop` and `grads_wrt_params`
# (the layer is an `AffineLayer` with an `rng` and `incl_prob`). In training mode `fprop` draws a boolean
# mask of shape `(batch_size, output_dim, input_dim)`, stores it in `self.mask` and applies it; `bprop`
# and `grads_wrt_params` use that stored mask. In evaluation mode the layer is a plain affine layer.

# %% [task lab3.dropconnect]

# %% [markdown]
# **Question.** We push one input through an affine layer with dropout on its inputs, and through a
# DropConnect layer with the same weights and $p = 0.5$, 4,000 times each. Both outputs average to the
# same $W\mathbf x + \mathbf b$. Which has the larger variance per output unit? Which makes different
# output units vary together?

# %% [answer lab3.dropconnect_variance]
# ### BEGIN SOLUTION
# The variance per output unit is the same, $\sum_i W_{oi}^2 x_i^2 (1-p)/p$: each unit sums the same
# independently masked terms. The difference is the correlation: input dropout removes the same inputs
# for all output units, so they vary together, while DropConnect masks each weight on its own and the
# output units are nearly uncorrelated.
# ### END SOLUTION

# %%
connect = lab3.dropconnect_vs_dropout(incl_prob=0.5, input_dim=100, output_dim=20, num_masks=budget(4000, 500),
                                      seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharex=True, sharey=True)
for ax, name in zip(axes, ("dropout", "DropConnect")):
    samples = connect[name]["samples"]
    ax.scatter(samples[:, 0], samples[:, 1], s=6)
    ax.plot(*connect["expected"][:2], "k+", markersize=15, label="eval output")
    ax.set_title(f"{name}: output unit 1 against unit 2")
    ax.legend()
for name in ("dropout", "DropConnect"):
    r = connect[name]
    print(f"{name:>11}: mean over masks off by {r['mean_error']:.4f} (relative),"
          f" variance / predicted variance {np.mean(r['variance'] / connect['predicted_variance']):.3f},"
          f" mean |correlation| between output units {r['mean_abs_correlation']:.3f}")

# %% [markdown]
# **What you should see.** Both averages agree with the evaluation output to within 2%. Each output
# unit has the same variance in both cases, $\sum_i W_{oi}^2 x_i^2 (1-p)/p$ (the measured variances are
# within 10% of it), because each unit sums the same number of independent masked terms. The
# difference is between units: with dropout all output units lose the *same* inputs, so they vary
# together (mean absolute correlation above 0.05, several times that of DropConnect), while with
# DropConnect the output units are practically uncorrelated (below 0.03).
#
# The price of DropConnect is one random number per weight and example instead of one per unit and
# example, and a separate weight matrix for every example of the batch.

# %% [markdown]
# ## 4. Annealed dropout
#
# Dropout slows training down: early on that is the point, but at the end we may want all units to
# be fine-tuned together. **Annealed dropout** starts with a drop rate $1 - p_0$ and lowers it at a
# constant rate to zero over $T$ epochs:
#
# $$1 - p(t) = (1 - p_0)\,\max\!\left(0,\ 1 - t/T\right), \qquad t = 0, 1, 2, \dots$$
#
# so $p$ rises linearly from $p_0$ to 1, after which the network trains without dropout.

# %% [markdown]
# ### Task 3.3: Annealed dropout schedule (1 point)
#
# In `mlplab/exercises/dropout.py`, implement `annealed_incl_prob(epoch, initial_incl_prob,
# num_anneal_epochs)`, the inclusion probability $p(t)$ above for the epoch $t$ about to start
# (counted from 0).

# %% [task lab3.annealed_dropout]

# %% [markdown]
# **Question.** We train with input and hidden dropout annealed from $p_0 = 0.8$ and $0.5$ towards 1 over all
# 40 epochs. Compared with constant dropout, where will the training error end? And the validation
# error?

# %% [answer lab3.annealed_dropout]
# ### BEGIN SOLUTION
# As $p$ approaches 1 the last epochs train almost the complete network, so the training error ends
# low, close to the run without dropout and below constant dropout's. The validation error ends
# between the two runs: annealing keeps part of dropout's regularisation but not all.
# ### END SOLUTION

# %%
runs.update(lab3.train_dropout_networks(regularisers=("annealed 0.8 / 0.5 -> 1",), num_train=NUM_TRAIN,
                                        hidden_dim=WIDTH, num_epochs=NUM_EPOCHS, seed=SEED))
annealed = runs["annealed 0.8 / 0.5 -> 1"]
compare = {name: runs[name]["history"] for name in ("no dropout", "input 0.8 + hidden 0.5", "annealed 0.8 / 0.5 -> 1")}
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
axes[0].plot(np.arange(len(annealed["incl_probs"])), annealed["incl_probs"], marker=".")
axes[0].legend(["inputs", "hidden units"])
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("inclusion probability p")
plot_history(compare, keys=("train_error", "valid_error"), ax=axes[1])
axes[1].legend(fontsize="small")
for name, h in compare.items():
    print(f"{name:>23}: training error {h.train_error[-1]:.4f}, validation error {h.valid_error[-1]:.3f}")

# %% [markdown]
# **What you should see.** The inclusion probabilities rise in a straight line from 0.8 and 0.5
# towards 1, but never reach it: with $T$ equal to the number of epochs, the last epoch, $t = T - 1$,
# still keeps each unit with probability $1 - (1 - p_0)/T$ (0.9875 for the hidden units over 40
# epochs), so the complete network is never trained on its own.
# The annealed run ends with a training error below 0.01, lower than with constant dropout and close
# to the run without dropout, because its last epochs drop very few units; its validation error ends
# between the two: above constant dropout's, below that of the run without dropout.

# %% [markdown]
# ## 5. Maxout
#
# A **maxout unit** takes the maximum of $k$ linear functions of its input:
#
# $$h_j(\mathbf x) = \max_{i = 1, \dots, k} \big(\mathbf w_{ji}^\top \mathbf x + b_{ji}\big).$$
#
# In a network this is an affine layer with $k$ times as many outputs, followed by *max pooling over
# groups of $k$ consecutive units*: a layer without parameters. The maximum of linear functions is a
# convex, piecewise-linear function whose pieces are learned; a ReLU is the special case $k = 2$ with
# one piece fixed at 0, and $|x| = \max(x, -x)$ is another. In the backward pass the maximum passes the
# gradient to the unit that attained it and nothing to the others, like the ReLU does for its active
# units. Maxout units never saturate and were designed to go with dropout (Goodfellow et al., 2013).

# %% [markdown]
# ### Task 3.4: Maxout layer (2 points)
#
# In `mlplab/exercises/maxout.py`, implement `MaxoutLayer.fprop` (the maximum over each group of
# `pool_size` consecutive units; a clear `ValueError` when the number of units is not a multiple of
# `pool_size`) and `MaxoutLayer.bprop` (each output's gradient goes to the unit of its group that
# attained the maximum; on ties, to the first of them). *Beside PyTorch:* `torch.max(x, dim)` also sends
# the gradient to the one index it returns, but `torch.amax` splits it evenly between tied units, so
# gradients can differ from ours exactly at ties.

# %% [task lab3.maxout]

# %% [markdown]
# **Question.** A single maxout unit with one input and $k$ pieces is trained to fit $x^2$ on $[-2, 2]$.
# What shape can its fit have? How does the error change from $k = 2$ to 3 to 5?

# %% [answer lab3.maxout_fit]
# ### BEGIN SOLUTION
# A maxout unit computes the maximum of $k$ lines: a convex, piecewise linear function with at most
# $k$ pieces. It cannot bend down, but $x^2$ is convex, so more pieces fit it better: the error falls
# steeply, more than halving from $k = 2$ to 3 and again to 5.
# ### END SOLUTION

# %%
relu_check = lab3.maxout_as_relu()
print(f"max(x, 0) from maxout differs from ReLU by {relu_check['relu_difference']},"
      f" max(x, -x) from |x| by {relu_check['abs_difference']}")
fit = lab3.maxout_fit(pool_sizes=(2, 3, 5), num_steps=budget(3000, 300), seed=SEED)
fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
for ax, k in zip(axes, (2, 3, 5)):
    for piece in fit[k]["pieces"]:
        ax.plot(fit["x"], piece, color="0.8", linewidth=1)
    ax.plot(fit["x"], fit["target"], "k:", label="x^2")
    ax.plot(fit["x"], fit[k]["fit"], linewidth=2, label=f"maxout, k = {k}")
    ax.set_ylim(-1, 4.5)
    ax.set_title(f"k = {k}: mean squared error {fit[k]['error']:.4f}")
    ax.legend()

# %% [markdown]
# **What you should see.** Maxout reproduces the ReLU and $|x|$ exactly (differences 0). The fitted
# unit is the upper envelope of its $k$ linear pieces (grey): convex and piecewise linear, and every one
# of the $k$ pieces is the maximum somewhere. The error falls steeply with $k$: it is more than halved
# from $k = 2$ to $k = 3$ and again from $k = 3$ to $k = 5$. With enough pieces a maxout unit can
# approximate any convex function; a network of them can approximate any continuous function.
#
# **Question.** On 1,000 digits we train one-hidden-layer networks: 256 ReLU units; 128 maxout units
# with 2 pieces each, which have the same first layer as the 256 ReLUs (and about the same number of
# weights); and 128 ReLU units. Which learns best?

# %% [answer lab3.maxout_networks]
# ### BEGIN SOLUTION
# All three learn. Maxout with the same number of weights as the 256 ReLUs does about as well as
# them, and better than 128 ReLUs, which have as many units but half the weights. A maxout unit costs
# $k$ times the weights of a ReLU, so the fair comparison is at equal numbers of weights.
# ### END SOLUTION

# %%
maxout_runs = lab3.train_maxout_networks(num_train=NUM_TRAIN, num_epochs=budget(20, 2), seed=SEED)
plot_history({label: r["history"] for label, r in maxout_runs.items()}, keys=("train_error", "valid_error"))
for label, r in maxout_runs.items():
    h = r["history"]
    print(f"{label:>29}: {r['num_params']:6d} parameters, training error {h.train_error[-1]:.3f},"
          f" validation error {h.valid_error[-1]:.3f}, accuracy {h.valid_acc[-1]:.3f}")

# %% [markdown]
# **What you should see.** All three learn and reach a validation accuracy above 0.85. Maxout with the
# same number of weights as the 256-unit ReLU layer does at least as well: its validation error is
# within 0.05 of the ReLU network's (here a little lower), and it is also lower than that of 128 ReLU
# units, the same number of *hidden units*. A maxout unit costs $k$ times the weights of a ReLU unit;
# the fair comparison is at equal numbers of weights.

# %% [markdown]
# ## 6. Data augmentation
#
# The best cure for overfitting is more data. Often we can make more, because we know transformations
# that do not change the label: a digit moved by a pixel or two, turned by a few degrees, drawn with a
# slightly different stroke or printed on a noisier page is still the same digit. **Data augmentation**
# applies such random transformations to the training examples, a new random version of every example
# in every epoch, so that the network never sees exactly the same image twice and must learn what the
# versions have in common. The transformations must respect the task's invariances: a handwritten 6
# turned upside down is a 9, and a mirrored 2, 3 or 7 is not a digit at all, so flips and large
# rotations must not be used for digits (while for photographs of animals a left-right flip is fine).
#
# The augmentations in `mlplab/exercises/augmentation.py` take a batch of images of shape `(batch_size, 28, 28)`
# and a generator, and return a new batch of the same shape: each image gets its own random change.

# %% [markdown]
# ### Task 3.5: Random shifts (1 point)
#
# In `mlplab/exercises/augmentation.py`, implement `random_shift(images, rng, max_shift=2)`: move each image by
# whole pixels, $d_y$ rows and $d_x$ columns drawn independently and uniformly from
# $\{-\text{max\_shift}, \dots, \text{max\_shift}\}$, filling the uncovered border with 0.

# %% [task lab3.random_shift]

# %% [markdown]
# ### Task 3.6: Small random rotations (1 point)
#
# In `mlplab/exercises/augmentation.py`, implement `random_rotation(images, rng, max_degrees=15.0)`: turn each
# image about its centre by an angle drawn uniformly from $[-\text{max\_degrees}, \text{max\_degrees}]$
# degrees, with bilinear interpolation and the same image size (`scipy.ndimage.rotate`).

# %% [task lab3.random_rotation]

# %% [markdown]
# ### Task 3.7: Pixel noise (1 point)
#
# In `mlplab/exercises/augmentation.py`, implement `pixel_noise(images, rng, std=0.1)`: add independent Gaussian
# noise with standard deviation `std` to every pixel and clip the result to $[0, 1]$.

# %% [task lab3.pixel_noise]

# %% [markdown]
# ### Task 3.8: Elastic deformation (2 points)
#
# Simard et al. (2003) distort digits the way different hands do: every pixel moves by a random
# displacement, but neighbouring pixels move alike. Draw two random fields of uniform noise in
# $[-1, 1]$ (one per direction), smooth each with a Gaussian filter of width $\sigma$ so that nearby
# displacements agree, scale them by $\alpha$, and read the image at the displaced positions.
#
# In `mlplab/exercises/augmentation.py`, implement `elastic_deformation(images, rng, alpha=34.0, sigma=4.0)` as its
# docstring describes (`scipy.ndimage.gaussian_filter` and `scipy.ndimage.map_coordinates`).

# %% [task lab3.elastic_deformation]

# %% [markdown]
# **Question.** Which of the rows below still show the digits of the first row, with the same labels?

# %% [answer lab3.augmented_labels]
# ### BEGIN SOLUTION
# Shifted, slightly rotated, noisy and elastically deformed digits keep their label; these are
# invariances of handwriting. Mirrored and upside-down digits do not: a mirrored 2 or an upside-down
# 6 is a different symbol or none, so those transformations would teach wrong labels.
# ### END SOLUTION

# %%
examples = lab3.augmentation_examples(num_images=8, seed=SEED)
rows = ("original", "shift", "rotation", "noise", "elastic", "all", "flip", "upside down")
fig, ax = plt.subplots(figsize=(8, 8.5))
ax.imshow(lab3.image_grid([examples[row] for row in rows]), cmap="gray_r")
ax.set_yticks(16 + 32 * np.arange(len(rows)), rows)
ax.set_xticks(16 + 32 * np.arange(len(examples["labels"])), examples["labels"])
ax.set_title("labels of the original digits")
for row in rows[1:]:
    change = np.abs(examples[row] - examples["original"]).mean()
    print(f"{row:>11}: shape {examples[row].shape}, pixels in [{examples[row].min():.2f}, {examples[row].max():.2f}],"
          f" mean absolute change {change:.3f}")

# %% [markdown]
# **What you should see.** Every augmentation keeps the shape `(8, 28, 28)` and the pixel range
# $[0, 1]$, and changes the images (a mean absolute change above 0.01 per pixel).
#
# Look at the rows: would you give every shifted, rotated, noisy or deformed digit the label of the
# original? The last two rows are a warning: mirrored digits and digits turned upside down look like
# other digits or like no digit; those transformations do not respect the invariances of this task.
# The experiment below measures this with a trained network.

# %% [markdown]
# ### Task 3.9: Augmenting data provider (1 point)
#
# The augmentations act on images; the trainer takes minibatches of flattened images from a data
# provider. `AugmentedProvider(provider, augmentations, rng)` wraps a provider: for every batch it
# yields, it reshapes the inputs to images, applies the augmentations in order (each called as
# `augmentation(images, rng)` with the provider's generator) and flattens them back, passing the targets
# on unchanged. Only the training data is augmented, and every epoch sees new random versions.
#
# In `mlplab/exercises/augmentation.py`, implement `AugmentedProvider.__iter__`.

# %% [task lab3.augmented_provider]

# %% [markdown]
# **Question.** We train the network of section 1 (without dropout) on only 500 digits for 50 epochs,
# once on the digits as they are and once with every minibatch randomly shifted (up to 2 pixels) and
# rotated (up to 10 degrees). Which ends with the lower validation error? Then we test both networks
# on transformed validation digits. Which transformations confuse the network trained without
# augmentation?

# %% [answer lab3.augmentation_training]
# ### BEGIN SOLUTION
# With augmentation the network never sees the same image twice, so its training error stays
# higher, but its validation error ends lower. The network trained on plain digits is confused by
# digits shifted by a pixel or two (a fully connected net has no built-in translation invariance);
# both networks fail on mirrored and upside-down digits, which are not the same digits.
# ### END SOLUTION

# %%
augmented = lab3.train_with_augmentation(num_train=budget(500, 100), hidden_dim=WIDTH,
                                         num_epochs=budget(100 if FULL_RUN else 50, 2), elastic=FULL_RUN, seed=SEED)
plot_history({name: r["history"] for name, r in augmented.items()}, keys=("train_error", "valid_error"))
valid = lab3.validation_digits(budget(1000, 100))
robustness = {name: lab3.transformed_accuracy(r["model"], valid["inputs"], valid["labels"], seed=SEED)
              for name, r in augmented.items()}
for name, r in augmented.items():
    h = r["history"]
    print(f"{name:>15}: training error {h.train_error[-1]:.3f}, validation error {h.valid_error[-1]:.3f},"
          f" accuracy {h.valid_acc[-1]:.3f}")
    print(" " * 17 + "accuracy on validation digits that are " + ", ".join(
        f"{k}: {v:.2f}" for k, v in robustness[name].items()))

# %% [markdown]
# **What you should see.** Without augmentation the network learns its 500 digits (training error below
# 0.02) and its validation error stalls and then creeps up. With augmentation the training error stays
# higher (above 0.05: the network never sees the same image twice) but the validation error ends lower,
# by more than 0.05. The network trained on plain digits is badly confused by digits moved by up to two
# pixels (accuracy below 0.7, against about 0.88 on the originals): a fully connected network has no
# built-in notion that a shifted image is the same image, it has to be taught. With augmentation its
# accuracy on shifted digits is above 0.8. Both networks fail on mirrored and upside-down digits
# (accuracy below 0.5), as they should: those are not the same digits.

# %% [markdown]
# ## 7. Weight decay and early stopping
#
# Dropout, maxout and augmentation are particular to neural networks. Two older remedies work for any
# model trained by gradient descent, and the slides list them first among the cures for overfitting.
#
# **Weight decay** adds a penalty on the size of the weights to the error we minimise,
# $E_\text{total} = E_\text{data} + \Omega(W)$. The **L2** penalty is
#
# $$\Omega_2(W) = \frac{\lambda}{2} \sum_{l} \sum_{i,j} \big(W^{(l)}_{ij}\big)^2, \qquad
#   \frac{\partial \Omega_2}{\partial W^{(l)}} = \lambda W^{(l)},$$
#
# so a gradient-descent step becomes $W \leftarrow (1 - \eta\lambda) W - \eta\, \partial E_\text{data}/\partial W$:
# every step first shrinks every weight by the same factor (hence *decay*), and a weight stays large
# only if the data keep pushing it. The **L1** penalty $\Omega_1(W) = \lambda \sum_l \sum_{i,j}
# |W^{(l)}_{ij}|$ has the (sub)gradient $\lambda\,\mathrm{sign}(W)$: a pull of the same size $\lambda$ on
# every weight, however small, which drives the weights the data do not need to zero. We penalise only
# the **weight matrices**, not the biases: a bias just shifts its unit's input, and keeping it small
# would not make the network's function any simpler.
#
# In `mlplab`, a penalty is an object called like an error function: `penalty(params)` is the value
# and `penalty.grad(params)` the list of gradients, one per parameter (zeros for the biases). The
# trainer takes one, `Trainer(..., penalty=L2Penalty(1e-2))`, and adds its gradient to that of the
# data error in every step. (*Beside PyTorch:* `torch.optim.SGD(..., weight_decay=lam)` adds
# `lam * param` to the gradient of *every* parameter, biases included, unless you put the biases in a
# parameter group of their own; Lab 6's AdamW decouples the decay from the gradient instead.)
#
# **Early stopping** watches the validation error during training, keeps a copy of the parameters of
# the best epoch so far, and stops once the error has not improved for a number of epochs, the
# **patience**; the network returned is the best one seen, not the last. It costs nothing but a
# validation set, and it saves the epochs that would only have overfitted.

# %% [markdown]
# ### Task 3.10: L2 weight decay (2 points)
#
# In `mlplab/exercises/weight_decay.py`, implement `L2Penalty.__call__` (the value
# $\frac{\lambda}{2}\sum W^2$ over the weight matrices, the arrays of `params` with two or more
# dimensions) and `L2Penalty.grad` ($\lambda W$ for a weight matrix, zeros for a bias). The self-check
# compares your gradient with central differences of your penalty, in float64.

# %% [task lab3.l2_weight_decay]

# %% [markdown]
# ### Task 3.11: L1 weight decay (1 point)
#
# In `mlplab/exercises/weight_decay.py`, implement `L1Penalty.__call__` ($\lambda \sum |W|$ over the
# weight matrices) and `L1Penalty.grad` ($\lambda\,\mathrm{sign}(W)$, with $\mathrm{sign}(0) = 0$, and
# zeros for a bias).

# %% [task lab3.l1_weight_decay]

# %% [markdown]
# ### Task 3.12: Early stopping (2 points)
#
# In `mlplab/exercises/weight_decay.py`, implement `EarlyStopping.update(epoch, valid_error, params)`,
# which records an epoch's validation error, keeps copies of the parameters when the error is the
# lowest so far and returns True once `patience` epochs have passed since the best one, and
# `EarlyStopping.restore(params)`, which copies the best parameters back into the model's arrays.
# The trainer uses your class: `trainer.train(num_epochs, early_stopping_patience=5)`.

# %% [task lab3.early_stopping]

# %% [markdown]
# ### Every regulariser on the same thousand digits
#
# **Question.** We train the network of section 1 again, from the same weights and on the same
# minibatches, with L2 weight decay ($\lambda = 10^{-2}$), with L1 weight decay
# ($\lambda = 3 \cdot 10^{-4}$) and with early stopping (patience 6 epochs, the validation error measured
# every second epoch), and compare them with the runs of section 2. Which ends with the lowest
# validation error? Where will each leave the training error? What will L2 and L1 do to the
# first layer's weights?

# %% [answer lab3.weight_decay]
# ### BEGIN SOLUTION
# Every method ends with a lower validation error than the unregularised run. Weight decay keeps the
# network from fitting its training digits perfectly (the L2 run keeps a training error well above
# 0), so the gap narrows. L2 shrinks all the weights; L1 sets a large share of them to (nearly)
# zero. Early stopping simply returns the
# network of the best epoch, at half the training. Dropout on inputs and hidden units does best of all.
# ### END SOLUTION

# %%
runs.update(lab3.train_dropout_networks(regularisers=("L2 weight decay", "L1 weight decay", "early stopping"),
                                        num_train=NUM_TRAIN, hidden_dim=WIDTH, num_epochs=NUM_EPOCHS, seed=SEED))
compared = ("no dropout", "L2 weight decay", "L1 weight decay", "early stopping", "hidden dropout 0.5",
            "input 0.8 + hidden 0.5")
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
plot_history({name: runs[name]["history"] for name in compared}, keys=("valid_error",), ax=axes[0])
axes[0].legend(fontsize="small")
for name in ("no dropout", "L2 weight decay", "L1 weight decay"):
    magnitudes = np.abs(runs[name]["model"].layers[0].weights).ravel()
    axes[1].hist(np.log10(magnitudes + 1e-8), bins=60, histtype="step", label=name)
axes[1].set_xlabel("log10 |w|, first layer")
axes[1].set_ylabel("number of weights")
axes[1].legend(fontsize="small")
table = lab3.regularisation_table({name: runs[name] for name in compared})
for name, row in table.items():
    print(f"{name:>23}: validation error {row['valid_error']:.3f} (accuracy {row['valid_acc']:.3f}), gap {row['gap']:.3f},"
          f" trained {row['last_epoch']} epochs, best epoch {row['best_epoch']}")
for name in ("no dropout", "L2 weight decay", "L1 weight decay"):
    w = lab3.weight_statistics(runs[name]["model"])
    print(f"{name:>23}: first-layer weights: RMS {w['rms']:.4f}, fraction with |w| < 0.001: {w['small_fraction']:.3f},"
          f" with |w| < 0.0001: {w['tiny_fraction']:.3f}")

# %% [markdown]
# **What you should see.** Every regulariser ends with a lower validation error than the network
# trained without one, by more than 0.03, and dropout on the inputs and the hidden units ends lowest
# of all. Weight decay narrows the gap between validation and training error, by more than 0.1 for
# L2 and more than 0.05 for L1: the L2 run never fits its training digits as closely (training error
# above 0.05 after 40 epochs). L2 halves the size of the first layer's weights (RMS below 0.6 times
# that of the network without a penalty) but leaves few of them near zero, while L1 drives more than
# 30% of them below 0.001 (against less than 5% for the other two), and more than 25% even below
# 0.0001: once the data stop pushing a weight, the constant pull of L1 takes it to zero, and there each
# step of size $\eta\lambda = 3 \cdot 10^{-5}$ moves it back and forth across 0 (the weights far to the left
# in the L1 histogram, below 10^-4).
#
# Early stopping stops by epoch 24 of 40, exactly 6 epochs after its best epoch, and returns the network
# of that epoch: its validation error is the lowest that the run without a regulariser ever reached
# (the two runs are the same run until the stop). It is the cheapest remedy of all; it can also be
# combined with any other.

# %% [markdown]
# ## Summary
#
# * A network with many more weights than training examples can fit them perfectly; the growing gap
#   between training and validation error shows that it is fitting noise.
# * Dropout keeps each unit with probability $p$ (about 0.5 for hidden units, 0.8 for inputs), with a
#   new mask for every example in every step, and back-propagates through the same mask. Weight scaling
#   multiplies by $p$ at test time, inverted dropout divides by $p$ in training: both make the test-time
#   output the expected training output.
# * Dropout trains $2^n$ weight-sharing sub-networks, and the scaled network approximates their average
#   (bagging at the cost of one network); it also forces units to carry useful features on their own.
#   DropConnect drops single weights instead of units; annealed dropout lowers the drop rate towards
#   zero (reaching it at epoch $T$), so that training ends close to the complete network.
# * Maxout takes the maximum over groups of $k$ linear units: a learned convex piecewise-linear unit
#   that includes the ReLU; compare it with other units at equal numbers of weights.
# * Data augmentation creates new training examples with transformations that keep the label (shifts,
#   small rotations, noise, elastic deformations for digits) and makes the network robust to them.
# * Weight decay adds a penalty on the weight matrices (not the biases) to the error: L2,
#   $\frac{\lambda}{2}\sum W^2$ with gradient $\lambda W$, shrinks every weight in proportion; L1,
#   $\lambda \sum |W|$ with subgradient $\lambda\,\mathrm{sign}(W)$, drives unneeded weights to zero.
#   Early stopping returns the parameters of the best validation epoch and stops after `patience`
#   epochs without improvement. Dropout buys its better validation error with more epochs of training
#   (about twice as many with input and hidden dropout).
#
# Run the self-check for the whole lab one last time:

# %%
mlplab.check("lab3")

# %% [markdown]
# ## Questions graded automatically
#
# Two questions on what the experiments above printed: answer them with your own numbers.

# %% [answer lab3.ink_kept_half]
### BEGIN SOLUTION
answer = 0.487
### END SOLUTION

# %% [answer lab3.mask_average_rate]
### BEGIN SOLUTION
answer = "b"
### END SOLUTION
