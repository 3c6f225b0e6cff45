"""Optimizers and learning-rate schedules, matching their `torch.optim` namesakes step for step.

Each optimizer takes a list of parameters and the keyword arguments (with the defaults) of the
PyTorch class of the same name, keeps its per-parameter state in plain lists of floats, and
updates `p.data` from `p.grad` in `step()`.

>>> from autograd_core import Value
>>> x = Value(3.0)
>>> optimizer = SGD([x], lr=0.1)
>>> for _ in range(50):             # minimise x ** 2
...     optimizer.zero_grad()
...     (x ** 2).backward()
...     optimizer.step()
>>> abs(x.data) < 1e-4
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd_core import Constant, Value

from .checks import check_flag, check_int, check_real

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSProp", "Adagrad",
           "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"]


class Optimizer:
    """What every optimizer shares: the parameters, the learning rate `lr`, `zero_grad()`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        owner = type(self).__name__
        if isinstance(params, Value) or not isinstance(params, Iterable):
            raise TypeError(f"{owner} needs a list of parameters (model.parameters()), got "
                            f"{type(params).__name__}")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{owner} got an empty list of parameters")
        seen: set[Value] = set()
        for index, p in enumerate(self.params):
            if not isinstance(p, Value) or isinstance(p, Constant):
                raise TypeError(f"{owner}: parameter {index} must be a Value (not a Constant), "
                                f"got {type(p).__name__}")
            if p in seen:  # it would be updated twice per step
                raise ValueError(f"{owner}: parameter {index} appears more than once")
            seen.add(p)
        self.lr = check_real(f"{owner}: lr", lr)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter's data from its gradient."""
        raise NotImplementedError(f"{type(self).__name__} does not define step()")


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (heavy-ball or Nesterov).

    With momentum m: buf = m * buf + (1 - dampening) * g (buf = g on the first step), then
    p -= lr * buf, or lr * (g + m * buf) with Nesterov. Weight decay adds weight_decay * p to g.
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr)
        self.momentum = check_real("SGD: momentum", momentum)
        self.dampening = check_real("SGD: dampening", dampening)
        self.weight_decay = check_real("SGD: weight_decay", weight_decay)
        self.nesterov = check_flag("SGD: nesterov", nesterov)
        self.maximize = check_flag("SGD: maximize", maximize)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs a momentum > 0 and dampening 0")
        self.buffers: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        """p -= lr * (the gradient, after weight decay and momentum)."""
        for i, p in enumerate(self.params):
            g = -p.grad if self.maximize else p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                buffer = self.buffers[i]
                buffer = g if buffer is None else (
                    self.momentum * buffer + (1 - self.dampening) * g)
                self.buffers[i] = buffer
                g = g + self.momentum * buffer if self.nesterov else buffer
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam: steps by running averages of the gradient and of its square, bias-corrected.

    m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g**2;
    p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps).
    """

    # Weight decay added to the gradient (Adam, L2) or taken from the weight directly (AdamW).
    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr)
        owner = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r:.40}")
        self.beta1 = check_real(f"{owner}: betas[0]", betas[0], 0, 1, high_open=True)
        self.beta2 = check_real(f"{owner}: betas[1]", betas[1], 0, 1, high_open=True)
        self.eps = check_real(f"{owner}: eps", eps, low_open=True)  # 0 would divide by 0
        self.weight_decay = check_real(f"{owner}: weight_decay", weight_decay)
        self.amsgrad = check_flag(f"{owner}: amsgrad", amsgrad)
        self.maximize = check_flag(f"{owner}: maximize", maximize)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.v_max = [0.0] * len(self.params)  # amsgrad: the largest v seen so far

    def step(self) -> None:
        """One Adam update of every parameter."""
        self.t += 1
        beta1, beta2 = self.beta1, self.beta2
        # The averages start at 0, so early on they underestimate; these undo that bias.
        step_size = self.lr / (1 - beta1 ** self.t)
        bias_correction2_sqrt = (1 - beta2 ** self.t) ** 0.5
        for i, p in enumerate(self.params):
            g = -p.grad if self.maximize else p.grad
            if self.weight_decay:
                if self.decoupled_weight_decay:
                    p.data *= 1 - self.lr * self.weight_decay
                else:
                    g = g + self.weight_decay * p.data
            self.m[i] += (g - self.m[i]) * (1 - beta1)
            self.v[i] = self.v[i] * beta2 + (1 - beta2) * g * g
            v = self.v[i]
            if self.amsgrad:
                v = self.v_max[i] = max(self.v_max[i], v)
            p.data -= step_size * (self.m[i] / (math.sqrt(v) / bias_correction2_sqrt + self.eps))


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before each Adam step."""

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSProp(Optimizer):
    """RMSProp: divides each step by a running root mean square of the gradient.

    v = alpha v + (1 - alpha) g**2;  p -= lr * g / (sqrt(v) + eps). `centered` subtracts the
    square of the running mean gradient from v; `momentum` accumulates the scaled steps.
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr)
        self.alpha = check_real("RMSProp: alpha", alpha)
        self.eps = check_real("RMSProp: eps", eps, low_open=True)
        self.weight_decay = check_real("RMSProp: weight_decay", weight_decay)
        self.momentum = check_real("RMSProp: momentum", momentum)
        self.centered = check_flag("RMSProp: centered", centered)
        self.maximize = check_flag("RMSProp: maximize", maximize)
        self.square_avg = [0.0] * len(self.params)
        self.grad_avg = [0.0] * len(self.params)
        self.buffers = [0.0] * len(self.params)

    def step(self) -> None:
        """One RMSProp update of every parameter."""
        alpha = self.alpha
        for i, p in enumerate(self.params):
            g = -p.grad if self.maximize else p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            self.square_avg[i] = self.square_avg[i] * alpha + (1 - alpha) * g * g
            if self.centered:
                self.grad_avg[i] += (g - self.grad_avg[i]) * (1 - alpha)
                # The variance estimate; rounding can take it a hair below 0 (PyTorch: NaN).
                rms = math.sqrt(max(0.0, self.square_avg[i] - self.grad_avg[i] ** 2))
            else:
                rms = math.sqrt(self.square_avg[i])
            rms += self.eps
            if self.momentum > 0:
                self.buffers[i] = self.buffers[i] * self.momentum + g / rms
                p.data -= self.lr * self.buffers[i]
            else:
                p.data -= self.lr * (g / rms)


class Adagrad(Optimizer):
    """Adagrad: divides each step by the root of the sum of all past squared gradients.

    s += g**2;  p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps).
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, lr)
        self.lr_decay = check_real("Adagrad: lr_decay", lr_decay)
        self.weight_decay = check_real("Adagrad: weight_decay", weight_decay)
        initial = check_real("Adagrad: initial_accumulator_value", initial_accumulator_value)
        self.eps = check_real("Adagrad: eps", eps, low_open=True)
        self.maximize = check_flag("Adagrad: maximize", maximize)
        self.t = 0
        self.sums = [initial] * len(self.params)

    def step(self) -> None:
        """One Adagrad update of every parameter."""
        self.t += 1
        lr = self.lr / (1 + (self.t - 1) * self.lr_decay)
        for i, p in enumerate(self.params):
            g = -p.grad if self.maximize else p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            self.sums[i] += g * g
            p.data -= lr * (g / (math.sqrt(self.sums[i]) + self.eps))


# --- learning-rate schedules ----------------------------------------------------------------


class LRScheduler:
    """Sets `optimizer.lr` from the epoch count; call `step()` once per epoch.

    Each schedule is a closed formula `lr_at(epoch)` of the learning rate the optimizer had
    when the schedule was made (`base_lr`).
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0
        optimizer.lr = self.lr_at(0)  # a warm-up starts below base_lr

    def lr_at(self, epoch: int) -> float:
        """The learning rate for `epoch` (0 is the first)."""
        raise NotImplementedError(f"{type(self).__name__} does not define lr_at()")

    def step(self) -> None:
        """Move on one epoch and set the optimizer's learning rate for it."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)


class StepLR(LRScheduler):
    """Step decay: base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int("StepLR: step_size", step_size)
        self.gamma = check_real("StepLR: gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr * gamma ** (epoch // step_size)."""
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Exponential decay: base_lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_real("ExponentialLR: gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr * gamma ** epoch."""
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from base_lr to eta_min over T_max epochs (then back up, as in PyTorch)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        # T_max and eta_min are the names in the SGDR paper's formula and in torch.optim.
        self.T_max = check_int("CosineAnnealingLR: T_max", T_max)
        self.eta_min = check_real("CosineAnnealingLR: eta_min", eta_min)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class LinearLR(LRScheduler):
    """Linear warm-up (or decay): the factor goes from start_factor to end_factor.

    lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters).
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1 / 3,
                 end_factor: float = 1.0, total_iters: int = 5) -> None:
        # Not 0, as in PyTorch, which scales the previous learning rate step by step.
        self.start_factor = check_real("LinearLR: start_factor", start_factor, 0, 1,
                                       low_open=True)
        self.end_factor = check_real("LinearLR: end_factor", end_factor, 0, 1)
        self.total_iters = check_int("LinearLR: total_iters", total_iters)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr times a factor moving linearly from start_factor to end_factor."""
        progress = min(epoch, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor
                               + (self.end_factor - self.start_factor) * progress)
