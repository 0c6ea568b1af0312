# %% [markdown]
# # Lab 5: Autoencoders and pretraining
#
# Labelled data are expensive; unlabelled data are often plentiful. Before batch normalisation and
# good initialisations made deep networks easy to train from scratch, the way to train them was to
# **pretrain** them one layer at a time and then **fine-tune** the whole network. One of the
# pretraining methods is unsupervised: an **autoencoder** is a network trained to reproduce its own
# input through a narrower hidden layer, the *code*. To do that it has to find the structure of the
# inputs, and its hidden units become feature detectors that need no labels. A **denoising
# autoencoder** must reconstruct the clean input from a corrupted copy, which forces it to learn
# what digits have in common rather than to copy pixels. Stacking autoencoders, each trained on the
# codes of the one before, gives the initial weights of a deep network.
#
# ## Learning goals
#
# By the end of this lab you can
#
# 1. corrupt inputs with additive Gaussian noise, masking noise and salt-and-pepper noise, drawing
#    every random number from a generator you are given and leaving the clean inputs untouched;
# 2. build an autoencoder from an encoder and a decoder, train it on the squared reconstruction
#    error, and read its reconstructions and first-layer filters;
# 3. train a denoising autoencoder on (corrupted input, clean input) pairs and say what it does
#    better than a plain autoencoder;
# 4. pretrain a stack of autoencoders greedily, layer by layer, each on the codes of the previous one;
# 5. initialise a classifier from pretrained encoders (copies, not shared arrays), fine-tune it on a
#    few hundred labels, and compare it with a randomly initialised network;
# 6. tie a decoder's weights to its encoder's and add the gradients of a parameter used twice.
# 7. back-propagate through a linear autoencoder by hand and show that gradient descent finds the
#    subspace of the top principal directions that PCA computes in closed form;
# 8. pretrain a classifier layer by layer with labels (supervised pretraining), training only the new
#    weights at each stage before fine-tuning the whole network.
# 9. fine-tune a network trained on one task on a second task with few labels (transfer).
#
# ## How to work
#
# * The exercises are **functions in the `mlplab` package**, all in `mlplab/exercises/autoencoders.py`
#   (tasks 5.1-5.10). Open the file, read the docstrings, and replace each
#   `raise NotImplementedError(...)` with your code. The experiment of task 5.9 also uses
#   your PCA from Lab 1 (`PCAWhitener`, task 1.11) if this folder has it, and numpy's eigenvectors
#   otherwise.
# * After each task, run the graded cell that follows it. It calls the self-check
#   `mlplab.check("lab5.<task>")`, which runs your code on fixed inputs, compares it with stored
#   reference results and says what is wrong. `mlplab.check("lab5")` prints a table for the lab.
#   The corruptions are checked through what does not depend on the particular random numbers (the
#   fraction of entries changed, the spread of the noise, whether entries are corrupted
#   independently): draw your random numbers in any way you like, but always from the generator you
#   are given.
# * The first code cell switches on `autoreload`, so your edits are picked up the next time you run
#   a cell. If something behaves strangely, restart the kernel and run the notebook from the top.
# * The experiments are provided code (`mlplab/course/experiments/lab5.py`) that calls your functions.
#   Before running one, answer its question. Every statement under "What you should see" is checked
#   by the course's tests on the reference solution: if your results disagree, look for a bug.
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
from mlplab.course.experiments import budget, lab5
from mlplab.plotting import plot_history

SEED = 0          # every experiment is seeded from this number
FULL_RUN = False  # True: longer training runs (sections 2, 3, 4 and 6)

AE_EPOCHS = budget(60 if FULL_RUN else 20, 1)
NUM_TRAIN = budget(3000, 300)

plt.rcParams["figure.figsize"] = (7, 4)

# %% [markdown]
# ## 1. Corrupting the inputs
#
# A denoising autoencoder sees a corrupted input $\tilde{\mathbf x}$ and is trained to output the
# clean $\mathbf x$. Three kinds of corruption are common, each applied to every entry of every
# example independently:
#
# * **additive Gaussian noise**: $\tilde x_i = x_i + \varepsilon_i$ with
#   $\varepsilon_i \sim \mathcal N(0, \sigma^2)$; the argument `std` is $\sigma$, the standard
#   deviation, not the variance;
# * **masking noise**: $\tilde x_i = 0$ with probability $q$ and $\tilde x_i = x_i$ otherwise. Unlike
#   dropout nothing is rescaled: the network must fill in the missing pixels;
# * **salt-and-pepper noise**: with probability $q$ the entry is corrupted, and a corrupted entry
#   becomes 0 or 1 with equal probability; the others keep their value.
#
# The clean inputs are the targets, so a corruption must never change its argument in place: it
# returns a new array, of the same shape and dtype.

# %% [markdown]
# ### Task 5.1: Additive Gaussian corruption (1 point)
#
# In `mlplab/exercises/autoencoders.py`, implement `gaussian_corruption(inputs, rng, std=0.3)`.

# %% [task lab5.gaussian]

# %% [markdown]
# ### Task 5.2: Masking corruption (1 point)
#
# In `mlplab/exercises/autoencoders.py`, implement `masking_corruption(inputs, rng, drop_prob=0.25)`: each entry
# is set to 0 with probability `drop_prob`, independently.

# %% [task lab5.masking]

# %% [markdown]
# ### Task 5.3: Salt-and-pepper corruption (1 point)
#
# In `mlplab/exercises/autoencoders.py`, implement `salt_and_pepper_corruption(inputs, rng, fraction=0.2)`.

# %% [task lab5.salt_and_pepper]

# %% [markdown]
# **Question.** We corrupt 100 validation digits with Gaussian noise ($\sigma = 0.3$), masking
# ($q = 0.3$) and salt and pepper ($q = 0.2$). About what fraction of the pixels does each change?
# What fraction of the *ink* pixels (those above 0) does masking set to 0, and why does masking
# change far fewer pixels than that in all?

# %% [answer lab5.corruption_fractions]
# ### BEGIN SOLUTION
# Gaussian noise changes every pixel. Masking sets about $q = 0.3$ of the ink pixels to 0, but far
# fewer than 0.3 of all pixels change, because most of a digit is background that is 0 already.
# Salt and pepper sets about $q/2$ of the pixels to 1 (and $q/2$ to 0), so it changes more pixels
# than masking: its salt shows on the background.
# ### END SOLUTION

# %%
examples = lab5.corruption_examples(num_images=100, seed=SEED)
rows = ["clean", *examples["stats"]]
fig, ax = plt.subplots(figsize=(9, 5))
ax.imshow(lab5.image_grid([examples[row][:10] for row in rows]), cmap="gray", vmin=0, vmax=1)
ax.set_yticks(16 + 32 * np.arange(len(rows)), rows)
ax.set_xticks([])
for name, s in examples["stats"].items():
    print(f"{name:>20}: changed {s['changed']:.3f} of the pixels, std of the change {s['noise_std']:.3f},"
          f" ink pixels set to 0: {s['zeroed_ink']:.3f}, pixels set to 1: {s['set_to_one']:.3f}")

# %% [markdown]
# **What you should see.** Gaussian noise changes every pixel (fraction 1.000) and the change has a
# standard deviation within 0.01 of $\sigma = 0.3$. Masking sets about $q = 0.3$ of the ink pixels
# to 0 (within 0.03), but changes fewer than 0.1 of all pixels: most of an MNIST image is background,
# which is 0 already. Salt and pepper sets about $q/2 = 0.1$ of the pixels that were below 1 to 1
# (within 0.02), and changes more pixels than masking does, since its salt is visible on the
# background.

# %% [markdown]
# ## 2. An autoencoder
#
# The autoencoder of this lab has one hidden layer of `code_dim` sigmoid units:
#
# $$\mathbf h = \operatorname{sigmoid}(W_1 \mathbf x + \mathbf b_1), \qquad
#   \hat{\mathbf x} = \operatorname{sigmoid}(W_2 \mathbf h + \mathbf b_2),$$
#
# trained to make $\hat{\mathbf x}$ close to $\mathbf x$ in squared error (mlplab's
# `SumOfSquaredDiffsError`, $\frac1N\sum_n \frac12 \lVert \hat{\mathbf x}_n - \mathbf x_n\rVert^2$).
# The first two layers, the **encoder**, map a 784-pixel digit to a code of `code_dim` numbers; the
# last two, the **decoder**, map the code back to an image. The sigmoid output suits pixels in
# $[0, 1]$; with `output=None` the decoder is linear. With a code narrower than the input the network
# cannot copy the input: it has to compress it. (With a wider code it could learn the identity, yet
# in practice a nonlinear autoencoder trained by gradient descent, stopped early, still learns useful
# features.)

# %% [markdown]
# ### Task 5.4: An autoencoder (2 points)
#
# In `mlplab/exercises/autoencoders.py`, implement `autoencoder(input_dim, code_dim, rng, ...)`: a
# `MultipleLayerModel` of the encoder's affine layer, the code's activation, the decoder's affine
# layer and the output activation, in that order.

# %% [task lab5.autoencoder]

# %% [markdown]
# ### Task 5.5: Corrupted inputs, clean targets (1 point)
#
# The trainer takes minibatches of (inputs, targets). To train a denoising autoencoder, the inputs
# must be corrupted and the targets must be the *clean* inputs. `DenoisingProvider(provider,
# corruption, rng)` wraps a provider of (inputs, labels) batches and yields
# `(corruption(inputs, rng), inputs)` for each, a new corruption every time; with `corruption=None`
# it yields `(inputs, inputs)`. The provided `train_autoencoder` uses it.
#
# In `mlplab/exercises/autoencoders.py`, implement `DenoisingProvider.__iter__`.

# %% [task lab5.denoising_provider]

# %% [markdown]
# **Question.** We train two autoencoders with 64 code units on 3,000 digits for 20 epochs, from the
# same initial weights: a plain one and a denoising one that sees masked digits ($q = 0.3$). How
# well do they reconstruct clean validation digits, compared with the dumbest reconstruction, the
# mean training digit? Which of the two reconstructs clean digits better, and which masked ones?

# %% [answer lab5.denoising_reconstruction]
# ### BEGIN SOLUTION
# Both reconstruct clean digits far better than the mean digit (less than half its error): 64 code
# units keep most of what matters. The plain autoencoder is a little better on clean digits, which it
# was trained on; the denoising one is better on masked digits, because it has learned to fill in
# missing strokes.
# ### END SOLUTION

# %%
autoencoders = lab5.train_autoencoders(("none", "masking 0.3"), code_dim=64, num_train=NUM_TRAIN,
                                       num_epochs=AE_EPOCHS, seed=SEED)
valid = lab5.mnist_digits(1, budget(1000, 100))["valid_x"]
errors = lab5.reconstruction_errors({name: r["model"] for name, r in autoencoders.items()}, valid, seed=SEED)
fig, ax = plt.subplots()
for name, r in autoencoders.items():
    ax.plot(np.arange(1, len(r["train_errors"]) + 1), r["train_errors"], marker=".", label=f"trained with {name}")
ax.axhline(errors["mean image"], color="0.5", linestyle=":", label="the mean digit")
ax.set_xlabel("epoch")
ax.set_ylabel("training reconstruction error")
ax.legend()
print(f"reconstructing every digit as the mean digit: error {errors['mean image']:.2f}")
for name in autoencoders:
    print(f"autoencoder trained with {name:>11}: " + ", ".join(
        f"{c} inputs {e:.2f}" for c, e in errors[name].items()))

# %% [markdown]
# **What you should see.** The training error falls quickly in the first epochs and is still falling
# slowly after 20. On clean validation digits both autoencoders' errors are below 0.4 times that of
# the mean digit: 64 numbers hold most of what matters in 784 pixels. The plain autoencoder is
# better on *clean* digits (it was trained on them), but on *masked* digits the denoising autoencoder
# is better, by more than 10%: it has learned to fill in missing strokes. The plain autoencoder's
# error on masked digits is higher than on clean ones, by more than 10%.

# %%
masked = lab5.corruption("masking 0.3")(valid[:10], np.random.default_rng(SEED))
rows = [valid[:10], lab5.reconstructions(autoencoders["none"]["model"], valid[:10]), masked,
        lab5.reconstructions(autoencoders["none"]["model"], masked),
        lab5.reconstructions(autoencoders["masking 0.3"]["model"], masked)]
labels = ["clean digits", "plain AE", "masked digits", "plain AE", "denoising AE"]
fig, ax = plt.subplots(figsize=(9, 5))
ax.imshow(lab5.image_grid(rows), cmap="gray", vmin=0, vmax=1)
ax.set_yticks(16 + 32 * np.arange(len(rows)), labels)
ax.set_xticks([]);

# %% [markdown]
# Look at the reconstructions: how sharp are they? Find a stroke that the mask has cut: which
# autoencoder draws it again?
#
# **Question.** Each code unit has 784 incoming weights, one per pixel. Shown as an image, they say
# which pattern of pixels the unit responds to. What do you expect for the randomly initialised
# weights, and after training? Which autoencoder's filters will be smoother?

# %% [answer lab5.filters]
# ### BEGIN SOLUTION
# Random weights look like noise, with no correlation between neighbouring pixels. After training
# the filters are smooth blobs and stroke detectors. The denoising autoencoder's are smoother: a unit
# that must cope with missing pixels learns to pool over larger coherent regions.
# ### END SOLUTION

# %%
weights = {name: r["model"].layers[0].weights for name, r in autoencoders.items()}
initial = lab5.glorot_uniform((64, 784), np.random.default_rng(SEED))
fig, ax = plt.subplots(figsize=(10, 4))
ax.imshow(lab5.image_grid([lab5.filters(r["model"], 16) for r in autoencoders.values()]), cmap="gray")
ax.set_yticks(16 + 32 * np.arange(len(weights)), [f"trained with {name}" for name in weights])
ax.set_xticks([])
print(f"smoothness (correlation of neighbouring weights) at initialisation: {lab5.filter_smoothness(initial):.3f}")
for name, w in weights.items():
    print(f"smoothness after training with {name:>11}: {lab5.filter_smoothness(w):.3f}")

# %% [markdown]
# **What you should see.** Random weights are noise: neighbouring weights are uncorrelated
# (smoothness below 0.05 in absolute value). After training, the filters are smooth blob and stroke
# detectors (smoothness above 0.4 on average). The denoising autoencoder's filters are smoother than the plain one's (by
# more than 0.05): a unit that must work when some of its pixels are missing learns to look at
# larger, coherent regions rather than at single pixels.

# %% [markdown]
# ## 3. Greedy layer-wise pretraining
#
# Deep networks of sigmoid units are hard to train from random weights: the gradients reaching the
# first layers are products of many small factors. **Stacked autoencoders** pretrain them one layer
# at a time:
#
# 1. train an autoencoder on the inputs; keep its encoder;
# 2. compute the codes of the inputs with that encoder, and train the next autoencoder on the
#    *codes*; keep its encoder; repeat for every hidden layer;
# 3. put the encoders on top of each other, add a new output layer, and **fine-tune** the whole
#    network on the labelled data with backpropagation.
#
# Only step 3 needs labels. In stacked *denoising* autoencoders, noise is applied to the inputs of
# each autoencoder during its own training only; the codes passed on to the next are computed from
# clean data.
#
# (Supervised layer-wise pretraining works the same way with a classifier instead of autoencoders:
# train a network with one hidden layer, remove its output layer, add a new hidden layer and a new
# output layer, train only the new weights, and repeat. Section 6 compares it with these two.)

# %% [markdown]
# ### Task 5.6: Greedy layer-wise pretraining (3 points)
#
# In `mlplab/exercises/autoencoders.py`, implement `pretrain_stack(inputs, code_dims, rng, build=autoencoder,
# train=train_autoencoder, **train_options)`: it builds and trains one autoencoder per entry of
# `code_dims`, each on the codes of the previous one, and returns the trained autoencoders.

# %% [task lab5.pretrain_stack]

# %% [markdown]
# ### Task 5.7: A classifier initialised from pretrained encoders (2 points)
#
# In `mlplab/exercises/autoencoders.py`, implement `pretrained_classifier(autoencoders, num_classes, rng)`: copies
# of every encoder (affine layer and activation) followed by a new output layer. Fine-tuning changes
# the classifier's weights: if it shared its arrays with the autoencoders, they would change too.

# %% [task lab5.pretrained_classifier]

# %% [markdown]
# **Question.** We have 3,000 digits but labels for only 200 of them. A 784-256-64-10 sigmoid network
# is trained on the 200 labelled digits for 50 epochs, once from Glorot-uniform random weights and once
# initialised from two denoising autoencoders (masking, $q = 0.3$) pretrained for 5 epochs each on
# all 3,000 digits without their labels. Both see the same labelled batches in the same order. Which
# reaches the lower validation error after the same number of epochs?

# %% [answer lab5.pretraining_few_labels]
# ### BEGIN SOLUTION
# The pretrained network. Its features were learned from all 3,000 digits, so it starts far ahead
# and stays ahead, with a lower validation error (and a lower training error, as it also optimises
# more easily) than the network trained from random weights on 200 labels alone.
# ### END SOLUTION

# %%
pretraining = lab5.pretraining_vs_random(num_labelled=budget(200, 50), num_unlabelled=NUM_TRAIN,
                                         pretrain_epochs=budget(5, 1), finetune_epochs=budget(100 if FULL_RUN else 50, 2),
                                         seed=SEED)
plot_history({name: pretraining[name]["history"] for name in ("pretrained", "random")},
             keys=("train_error", "valid_error"))
for name in ("pretrained", "random"):
    h = pretraining[name]["history"]
    print(f"{name:>10} initialisation: training error {h.train_error[-1]:.3f}, validation error "
          f"{h.valid_error[-1]:.3f}, accuracy {h.valid_acc[-1]:.3f}")

# %% [markdown]
# **What you should see.** The pretrained network starts far ahead and stays ahead: after 50 epochs
# its validation error is lower than the randomly initialised network's by more than 0.15, and its
# accuracy higher by more than 0.03. Its training error is lower too, so pretraining has helped
# *optimisation* (the random network is still learning slowly) as well as generalisation: the
# pretrained features were learned from 3,000 digits, not 200. The tests check this for three
# different seeds. (This lab does not test the other side of the story, which the lectures tell:
# with plenty of labelled data, ReLUs, batch normalisation and a good initialisation, the advantage
# of pretraining shrinks or disappears; it is largest where labels are scarce.)

# %% [markdown]
# ## 4. Tied weights
#
# The encoder computes $h = f(W x + b)$ with $W$ of shape `(code_dim, input_dim)`. A **tied**
# decoder reuses the same matrix, transposed, instead of a matrix of its own:
# $\hat x = g(W^\top h + c)$, with its own biases $c$. The autoencoder has half the weights, and the
# decoder cannot simply undo whatever the encoder does: both directions must work with one $W$.
#
# With minibatches as rows, the decoder layer computes `h @ W + c`. Since $W$ is used twice, the
# chain rule adds the two paths: $\partial E / \partial W$ is the **sum** of the encoder's share
# (what an `AffineLayer` computes from the gradient at its outputs) and the decoder's share
# (`h.T @ dE/dy`, with $y$ the decoder's outputs). The model lists $W$ once in `params`, so a
# learning rule updates it once, with that sum; the decoder must hold the encoder's array itself,
# not a copy, or it would never see the updates.

# %% [markdown]
# ### Task 5.8: A tied-weights autoencoder (2 points)
#
# In `mlplab/exercises/autoencoders.py`, implement `TiedDecoderLayer.fprop`, `bprop`, `grads_wrt_params`
# (only `[dE/dc]`) and `grads_wrt_weights` (the decoder's share of `dE/dW`), then
# `TiedAutoencoder.grads_wrt_params` (`[dE/dW, dE/db, dE/dc]`, with `dE/dW` the sum of both shares)
# and the builder `tied_autoencoder(input_dim, code_dim, rng)`. The check compares every gradient
# with central differences in float64 (`mlplab.gradcheck`).

# %% [task lab5.tied_autoencoder]

# %% [markdown]
# **Question.** A tied and an untied 784-64-784 sigmoid autoencoder start from the same encoder
# weights and are trained alike (same digits, same order, same learning rate). The tied one has
# half the weights. Which has the lower training error after the first epochs, and after 20? Which
# reconstructs unseen validation digits better?

# %% [answer lab5.tied_weights]
# ### BEGIN SOLUTION
# At first the tied autoencoder is lower: its decoder starts from the encoder's weights and each
# step updates $W$ through both uses. The untied one catches up by epoch 20. On validation digits they
# are about equal: halving the number of weights costs next to nothing here.
# ### END SOLUTION

# %%
tied = lab5.tied_vs_untied(num_train=NUM_TRAIN, num_epochs=AE_EPOCHS, seed=SEED)
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, run in tied.items():
    ax.plot(np.arange(1, len(run["train_errors"]) + 1), run["train_errors"],
            label=f"{name} ({run['num_weights']:,} weights)")
ax.set_xlabel("epoch")
ax.set_ylabel("training reconstruction error")
ax.legend()
for name, run in tied.items():
    print(f"{name:>6}: {run['num_weights']:>7,} weights, training error {run['train_errors'][-1]:.3f}, "
          f"validation error {run['valid_error']:.3f}")

# %% [markdown]
# **What you should see.** The tied autoencoder has exactly half the weights (50,176 against
# 100,352). It learns faster at first: its training error is lower in each of the first 10 epochs,
# by more than 1; its decoder starts from the encoder's weights, and every step updates $W$ with
# the gradients of both uses. The untied autoencoder catches up, and the gap shrinks to less than 1
# by epoch 20. On the validation digits the two reconstruct about equally well (within 10% of each
# other): here, halving the weights costs next to nothing. The tests check this for three seeds.

# %% [markdown]
# ## 5. The linear autoencoder and PCA
#
# Take away the activation functions: the code is $h = W x + b$ and the reconstruction
# $\hat x = V h + c$, with $W$ of shape `(k, D)` and $V$ of shape `(D, k)`. Every reconstruction lies in
# the $k$-dimensional subspace spanned by the columns of $V$ (shifted by $c$), so the best a linear
# autoencoder can do is to reconstruct each input by its projection on the $k$-dimensional subspace
# that keeps the most variance: the subspace of the top $k$ principal directions, which PCA (Lab 1)
# computes in closed form. Its squared error is then half the sum of the discarded eigenvalues of the
# covariance. Gradient descent on the reconstruction error knows nothing about eigenvectors; does it
# find that subspace?
#
# Two subspaces are compared by their **principal angles** (`scipy.linalg.subspace_angles`): the
# largest is 0 when they are the same and 90 degrees when one contains a direction orthogonal to the
# other (two random 10-dimensional subspaces of a 784-dimensional space are nearly orthogonal).

# %% [markdown]
# ### Task 5.9: A linear autoencoder's gradients, by hand (2 points)
#
# In `mlplab/exercises/autoencoders.py`, implement `linear_autoencoder_grads(inputs, params)`: the
# error $E = \frac1N \sum_n \frac12 \lVert \hat x_n - x_n \rVert^2$ of the batch and the gradients
# `[dE/dW, dE/db, dE/dV, dE/dc]`, back-propagated in matrix form, each of the shape of its parameter. The
# check compares them with central differences of your own error (float64).

# %% [task lab5.linear_autoencoder]

# %% [markdown]
# **Question.** A 784-10-784 linear autoencoder is trained by minibatch gradient descent, with your
# gradients, on 3,000 digits centred with their mean, from small random weights. After 40 epochs, is the
# largest principal angle between the span of the decoder's columns $V$ and the top-10 principal
# subspace of your Lab 1 PCA small or close to 90 degrees? The same question for the span of the
# encoder's rows $W$. (Hint: 130 pixels are 0 in every one of these digits; what is $\partial E /
# \partial W$ for the weights from those pixels?)

# %% [answer lab5.linear_pca]
# ### BEGIN SOLUTION
# The decoder's columns end up spanning (nearly) the principal subspace, and the codes of the digits
# are linear combinations of their top-10 principal components, so the reconstruction error reaches
# the PCA optimum. The encoder's rows do not: $\partial E/\partial W = (\partial E/\partial h)^\top x$,
# which is 0 for the weights from pixels that are 0 in every digit, so those weights keep their random
# initial values. They never change the codes of these digits, but they point the rows of $W$ out of
# the principal subspace.
# ### END SOLUTION

# %%
linear = lab5.linear_autoencoder_vs_pca(code_dim=10, num_train=NUM_TRAIN, num_epochs=budget(40, 2), seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for name, label in (("decoder", "decoder's columns V"), ("codes", "codes of the digits"),
                    ("encoder", "encoder's rows W")):
    axes[0].plot(linear["epochs"], linear["angles"][name], label=label)
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("largest principal angle to PCA (degrees)")
axes[0].legend()
axes[1].plot(linear["epochs"], linear["errors"], label="linear autoencoder")
axes[1].axhline(linear["pca_error"], color="k", linestyle="--", label="PCA: half the discarded eigenvalues")
axes[1].set_xlabel("epoch")
axes[1].set_ylabel("training reconstruction error")
axes[1].set_ylim(0, 2 * linear["pca_error"])
axes[1].legend()
plt.tight_layout()
for name in ("decoder", "codes", "encoder"):
    print(f"{name:>8}: largest angle {linear['angles'][name][0]:5.1f} degrees at the start, "
          f"{linear['angles'][name][-1]:5.2f} after {linear['epochs'][-1]} epochs")
print(f"principal directions from {linear['pca_source']}")
print(f"error {linear['errors'][-1]:.4f}, PCA's optimum {linear['pca_error']:.4f} "
      f"(ratio {linear['errors'][-1] / linear['pca_error']:.4f})")
print(f"{linear['blank_pixels']} pixels are 0 in every digit; the largest change of an encoder weight from "
      f"them: {linear['blank_weights_moved']:.3g}")

# %% [markdown]
# **What you should see.** At the start every subspace is nearly orthogonal to the principal subspace
# (largest angles above 80 degrees). After 40 epochs the decoder's columns span the top-10 principal
# subspace to within 5 degrees, and so do the codes of the digits (the largest angle between their
# span and the span of the digits' top-10 principal components is below 5 degrees): gradient descent
# has found what PCA computes from the eigenvectors of the covariance, though not the eigenvectors
# themselves (any invertible mixing of them, $V A$ with codes $A^{-1} h$, reconstructs as well). The
# reconstruction error is within 0.5% of PCA's optimum. The encoder's rows are the exception: their
# largest angle stays above 45 degrees, because the weights from the pixels that are 0 in every digit
# get a zero gradient and keep their random initial values exactly (their largest change is 0). The
# tests check this for two seeds.

# %% [markdown]
# ## 6. Supervised layer-by-layer pretraining
#
# The autoencoders of section 3 pretrain without labels. The other approach of the lectures uses the
# labels, one layer at a time:
#
# 1. train a network with one hidden layer;
# 2. remove its output layer (and the weights leading to it);
# 3. add a new hidden layer and a new output layer, and train **only the newly added weights**;
# 4. go back to 2 until the network is deep enough, then **fine-tune** the whole network.
#
# Each stage trains a shallow problem: a new hidden layer on top of features that are already
# useful for the task, with short paths for the gradients.

# %% [markdown]
# ### Task 5.10: Supervised layer-by-layer pretraining (3 points)
#
# In `mlplab/exercises/autoencoders.py`, implement `add_hidden_layer(model, hidden_dim, rng)`,
# which returns the trained classifier without its output layer and with a new hidden layer and a new
# output layer on top, together with which parameters train (only the new ones), and
# `supervised_pretraining(input_dim, hidden_dims, num_classes, rng, train=...)`, which runs the four steps
# above, calling `train` once for every stage (with the flags of what trains) and once more to
# fine-tune.

# %% [task lab5.supervised_pretraining]

# %% [markdown]
# **Question.** The 784-256-64-10 sigmoid network of section 3 is now built by supervised
# pretraining on the same 200 labelled digits: 20 epochs for the 784-256-10 network, 20 epochs for
# the new weights of the 64-unit layer and a new output layer, then 50 epochs of fine-tuning, like
# the other two networks. After fine-tuning, how does its validation error compare with the randomly
# initialised network's and with the network pretrained by denoising autoencoders?

# %% [answer lab5.supervised_pretraining]
# ### BEGIN SOLUTION
# It is far better than the random initialisation: its first layer was trained in a shallow network,
# where the gradients are large, so it starts fine-tuning from useful features. It is worse than the
# autoencoder-pretrained network: its features were learned from the 200 labelled digits only, the
# autoencoders' from all 3,000 digits.
# ### END SOLUTION

# %%
supervised = lab5.pretraining_vs_random(num_labelled=budget(200, 50), num_unlabelled=NUM_TRAIN,
                                        pretrain_epochs=budget(5, 1), finetune_epochs=budget(100 if FULL_RUN else 50, 2),
                                        methods=("supervised",), stage_epochs=budget(20, 1), seed=SEED)
for k, stage in enumerate(supervised["supervised"]["stages"]):
    print(f"stage {k + 1} ({sum(supervised['supervised']['trainable'][k])} parameter arrays trained): "
          f"validation error {stage.valid_error[-1]:.3f}, accuracy {stage.valid_acc[-1]:.3f}")
runs = {"autoencoders (unsupervised)": pretraining["pretrained"]["history"],
        "layer by layer (supervised)": supervised["supervised"]["history"],
        "random": pretraining["random"]["history"]}
plot_history(runs, keys=("train_error", "valid_error"))
for name, h in runs.items():
    print(f"{name:>28}: after fine-tuning, training error {h.train_error[-1]:.3f}, validation error "
          f"{h.valid_error[-1]:.3f}, accuracy {h.valid_acc[-1]:.3f}")

# %% [markdown]
# **What you should see.** The second stage, which trains only the new 64-unit layer and the new
# output layer on top of the frozen first layer, ends with a *higher* validation error than the first
# stage's 784-256-10 network: a new layer of random weights has to be learned from scratch through
# fixed features, and 20 epochs are not enough. Fine-tuning then starts from the pretrained weights:
# after the same 50 epochs of fine-tuning, the supervised layer-by-layer network's validation error
# is lower than the randomly initialised network's by more than 0.15 and its accuracy higher by more
# than 0.03, but it is higher than the autoencoder-pretrained network's. (It has also used the 200
# labels for 40 more epochs than the other two, during pretraining.) Here labels are scarce, and
# features learned from all 3,000 digits without labels beat features learned from the 200 labelled
# ones. The tests check this for three seeds.

# %% [markdown]
# ## 7. Fine-tuning on a second task
#
# Pretraining need not come from the same task. A network trained on one task, with plenty of
# labels, can be the starting point of another: keep its hidden layers, put a new output layer on top
# for the new classes, and **fine-tune** every weight by gradient descent on the new task's few
# labels. This is transfer learning: what the hidden layers learned about the first task (here,
# strokes and shapes of handwritten digits) is carried over to the second.
#
# The experiment below (provided code, no new task) trains a 784-256-64-5 sigmoid network on all
# the training digits 0-4 (1,500 of them), then fine-tunes copies of its hidden layers with a
# new output layer on 100 labelled digits 5-9, and compares it with the same network trained from
# Glorot-uniform random weights on the same 100 digits (same new output layer, same batches).

# %% [markdown]
# **Question.** After 50 epochs on the 100 labelled digits 5-9, which network has the lower
# validation error on the digits 5-9: the one fine-tuned from the network trained on 0-4, or the one
# trained from random weights? Which has the lower training error?

# %% [answer lab5.transfer_second_task]
# ### BEGIN SOLUTION
# The fine-tuned network, on both counts: its hidden layers already detect the strokes that digits
# share, so it optimises faster and generalises better from the 100 labels. The classes are new, so
# the advantage is in the features, not in the output layer (which is new for both).
# ### END SOLUTION

# %%
transfer = lab5.transfer_vs_random(num_labelled=budget(100, 30), first_epochs=budget(20, 1),
                                   finetune_epochs=budget(50, 2), seed=SEED)
print(f"first task (digits 0-4, {transfer['first']['num_train']:,} training digits): validation accuracy "
      f"{transfer['first']['history'].valid_acc[-1]:.3f}")
plot_history({name: transfer[name]["history"] for name in ("fine-tuned", "random")},
             keys=("train_error", "valid_error"))
for name in ("fine-tuned", "random"):
    h = transfer[name]["history"]
    print(f"{name:>10} (digits 5-9): training error {h.train_error[-1]:.3f}, validation error "
          f"{h.valid_error[-1]:.3f}, accuracy {h.valid_acc[-1]:.3f}")

# %% [markdown]
# **What you should see.** The network trained on the digits 0-4 classifies their validation digits
# with an accuracy above 0.9. Fine-tuned on 100 digits 5-9, it ends with a validation error on
# the digits 5-9 lower than the randomly initialised network's by more than 0.1, and a lower training
# error too. The validation *accuracies* of the two are close and which is higher depends on the
# seed, so the notebook claims nothing about them: with 100 labels the fine-tuned network is more
# confident where it is right, which the cross-entropy measures and the accuracy does not. The tests
# check this for three seeds.

# %% [markdown]
# ## Summary
#
# * An autoencoder is an encoder (inputs to a code) and a decoder (code to a reconstruction) trained
#   on the reconstruction error; with a small code it must find the structure of the data, and its
#   first-layer weights become smooth feature detectors.
# * A denoising autoencoder reconstructs the clean input from a corrupted one (Gaussian noise, masking,
#   salt and pepper). The corruption draws from an injected generator and never touches the clean
#   inputs, which are the targets. It learns features that are robust to the corruption.
# * Greedy layer-wise pretraining trains each autoencoder on the codes of the previous one; the
#   encoders, copied into a classifier with a new output layer, are a starting point for fine-tuning
#   that needs no labels, and it helps most when labels are few.
# * A tied decoder reuses the encoder's weights, transposed: half the weights, and the gradient of the
#   shared matrix is the sum of the gradients of its two uses.
# * A linear autoencoder trained by gradient descent reconstructs through the subspace of the top
#   principal directions, the one PCA finds in closed form; weights that get no gradient (from pixels
#   that are always 0) keep whatever value they started with.
# * Supervised layer-by-layer pretraining grows a classifier one hidden layer at a time, training only
#   the new weights, and fine-tunes the whole network at the end. With few labels it beats a random
#   initialisation, and here the autoencoders, which could use the unlabelled digits, beat it.
# * A network trained on one task is a good initialisation for another: with new output units,
#   fine-tuning it on 100 labels of new classes beats training from random weights (transfer learning).
#
# Run the self-check for the whole lab one last time:

# %%
mlplab.check("lab5")

# %% [markdown]
# ## Questions graded automatically
#
# Two questions on what the corruption experiment printed: answer them with your own numbers.

# %% [answer lab5.salt_pepper_changed]
### BEGIN SOLUTION
answer = 0.117
### END SOLUTION

# %% [answer lab5.most_ink_zeroed]
### BEGIN SOLUTION
answer = "b"
### END SOLUTION
