"""Batched replay: record a scalar graph once, then run it over a whole batch with numpy.

The engine computes one number per node, so training the ordinary way builds one graph per
sample. `trace(fn, n_inputs)` records the graph of `fn` once, on one sample, and the `Trace` it
returns replays that graph over a batch of B samples: every node becomes numpy work on B
numbers, forward and backward, with the op table's own forward rules and VJPs. Nodes doing the
same op at the same depth of the graph run together (the neurons of a layer are one matrix
product), so the Python cost is per layer rather than per node and per sample.

The recorded graph's leaves are of three kinds:
- the placeholders, one per input: column j of the batch flows through placeholder j;
- Constants, the numbers written into `fn`;
- parameters: every other leaf, such as the weights `fn` closes over. A parameter is one
  number for the whole batch, so `backward` adds to its `.grad` the sum over the batch of what
  reaches it: the same number the scalar path gives, up to the order of summation.

A graph fits every sample only if its shape does not depend on the data. Comparing a Value
(`if x > 0:`) is a branch: the trace records each one, checks it on every sample of every
batch (before computing the rest of the graph), and records the graph again when the batch's
first sample goes another way (a batch that splits is refused). `float()` of a varying Value
is refused at once, and so are `x == 1` and `if x:` on an input (a Value answers them
differently from a number). Reading `.data` cannot be seen, so
replays also run `fn` directly on a few samples that differ from the recorded one (until every
input has been seen to differ) and refuse the trace if the numbers differ.

>>> import numpy as np
>>> from autograd_core import Value
>>> w = Value(2.0, label="w")
>>> f = trace(lambda x, y: (w * x - y) ** 2, 2)
>>> f(np.array([[1.0, 1.0], [2.0, 3.0]]))      # (2*1 - 1)**2, (2*2 - 3)**2
array([1., 1.])
>>> f.backward()                              # d/dw summed: 2*(1)*1 + 2*(1)*2
>>> w.grad
6.0

It builds on the engine (the op table's rules, unchanged) and nothing else of this project.
The modules, from the bottom up (each imports only those above it):
- `storage.py`: `Storage`, a pass's numbers (or gradients) as a row per node, and `Rows`;
- `groups.py`: the kernels, a group of nodes run as one numpy step forward and backward;
- `errors.py`: `TraceError`, and the scalar path's message for a step numpy failed;
- `recorder.py`: recording `fn` on placeholders, hearing its comparisons (branches);
- `plan.py`: the recorded graph laid out for replay: `GroupKey`, rows, groups in run order;
- `checks.py`: checks of a batch and a seed, of the branches, and against fn run directly;
- `tracer.py`: `Trace`, and `trace()`, which returns one.
"""

from .errors import TraceError
from .tracer import Trace, trace

__all__ = ["trace", "Trace", "TraceError"]
