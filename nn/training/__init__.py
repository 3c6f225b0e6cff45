"""The training loop: `fit` a model to `(X, y)`, then measure it with `accuracy` and `predict`.

One epoch passes over the training data once, in mini-batches: for each batch the model's
outputs give a loss, `backward()` fills every parameter's `.grad`, and the optimizer takes a
step. After each epoch `fit` records the mean loss (and the accuracy, for class labels) in a
`History`, evaluates the validation data with the model in eval mode, and calls the callbacks.

>>> import nn
>>> from nn import optim
>>> X, y = nn.data.xor(labels=(-1, 1))
>>> model = nn.MLP(2, [4, 1], activation="tanh", output_activation="tanh", seed=0)
>>> history = nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
...                  epochs=200, progress=False)
>>> history["accuracy"][-1], nn.predict(model, X, labels=(-1, 1))
(1.0, [-1, 1, 1, -1])

The loss is a name from `LOSSES` (the per-sample losses of `nn.losses`, averaged over each
batch), a `MeanLoss` (the same, plus L1/L2 penalties), or any function of
`(outputs, targets) -> Value` for a whole batch.

A model is called once per sample, except a model that takes whole batches (its class sets
`batched = True`, as `BatchNorm` does, and so does a `Sequential` holding one): it is called
once per batch with the list of samples, and returns one output per sample.

The package's modules, each importing only those above it:
- `callbacks`: `History`, `EarlyStopping`, `StopTraining` and the running of callbacks;
- `evaluation`: a model's outputs as classes, `accuracy` and `predict`;
- `replay`: the `Replayer`, one sample's graph of model and loss replayed over each batch;
- `prepare`: every check of fit's arguments, and the choice to replay or not;
- `loop`: `fit` itself, a recipe of named steps;
- `background`: `fit_in_background`, fit in a thread that pauses, steps and stops between
  steps (what `viz.TrainingView`'s buttons drive).
"""

from __future__ import annotations

from ..losses import LOSSES, MeanLoss
from .background import Background, fit_in_background
from .callbacks import EarlyStopping, History, StopTraining
from .evaluation import accuracy, predict
from .loop import fit
from .prepare import Run

__all__ = ["fit", "accuracy", "predict", "History", "MeanLoss", "EarlyStopping",
           "StopTraining", "LOSSES", "Run", "fit_in_background", "Background"]
