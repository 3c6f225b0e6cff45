"""nn: neurons, layers and MLPs built on autograd_core Values, with losses, optimizers, data
sets and a training loop (`nn.fit`).

Everything is made of Values, so after `loss.backward()` every parameter has a `.grad`, and
every model can be drawn by viz (each module's nodes carry its scope, `MLP/layers.0/neurons.3`).

>>> import nn
>>> from nn import losses, optim
>>> model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
>>> optimizer = optim.SGD(model.parameters(), lr=0.1)
>>> loss = losses.mse(model([0.5, -1.0]), 1.0)
>>> optimizer.zero_grad()
>>> loss.backward()
>>> optimizer.step()
>>> losses.mse(model([0.5, -1.0]), 1.0).data < loss.data
True
"""

from . import conv, convert, data, images, init, losses, optim, recurrent, training, tuning
from .conv import (
    Activation,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    Flatten,
    MaxPool1d,
    MaxPool2d,
    Unflatten,
)
from .convert import from_torch, to_torch
from .init import INITS, make_rng
from .layers import (
    ACTIVATIONS,
    MLP,
    BatchNorm,
    Dropout,
    Embedding,
    Layer,
    Neuron,
    Sequential,
    single,
    takes_batches,
)
from .losses import MeanLoss
from .module import FORMAT_VERSION, Module
from .recurrent import LSTM, RNN, SelfAttention
from .training import (
    EarlyStopping,
    History,
    StopTraining,
    accuracy,
    fit,
    fit_in_background,
    predict,
)

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "Sequential", "Dropout", "BatchNorm", "Embedding",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "Activation",
    "Flatten", "Unflatten", "RNN", "LSTM", "SelfAttention",
    "single", "takes_batches", "ACTIVATIONS", "INITS", "make_rng", "FORMAT_VERSION",
    "fit", "fit_in_background", "accuracy", "predict", "History", "MeanLoss", "EarlyStopping",
    "StopTraining",
    "to_torch", "from_torch",
    "init", "losses", "optim", "data", "images", "training", "convert", "conv", "recurrent",
    "tuning",
]
