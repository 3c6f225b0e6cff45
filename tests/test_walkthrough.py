"""docs/walkthrough.py, the engine written the way a lecture does, computes the engine's numbers.

Random programs (tests/autograd_core/programs.py) are built with both; the two graphs must
have the same nodes in the same topological order, with the same data and the same gradient on
every node, to the last bit.
"""

from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path
from types import ModuleType

from hypothesis import given, settings

import autograd_core as ag

from .autograd_core.programs import OURS, Engine, Instruction, programs, run

PATH = Path(__file__).resolve().parents[1] / "docs" / "walkthrough.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("walkthrough", PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


walkthrough = _load()
WALKTHROUGH = Engine(walkthrough.Value, lambda x, s: x.leaky_relu(s), lambda x: x.step(),
                     walkthrough.sum_values, walkthrough.dot, walkthrough.logsumexp)


def test_it_is_a_first_read_and_its_examples_run() -> None:
    assert len(PATH.read_text(encoding="utf-8").splitlines()) < 200
    assert doctest.testmod(walkthrough).failed == 0


@settings(max_examples=300, deadline=None)
@given(programs(exclude=("max",)))  # the walkthrough's engine has no max
def test_every_node_has_the_engines_data_and_gradient(
        case: tuple[list[float], list[Instruction]]) -> None:
    inputs, program = case
    _, ours = run(OURS, inputs, program)
    _, plain = run(WALKTHROUGH, inputs, program)
    ours.backward()
    walkthrough.backward(plain)
    engine_order, plain_order = ag.topological_order(ours), walkthrough.topological_order(plain)
    assert [n.op for n in engine_order] == [n.op for n in plain_order]
    assert [n.data for n in engine_order] == [n.data for n in plain_order]
    assert [n.grad for n in engine_order] == [n.grad for n in plain_order]


def test_backward_twice_doubles_the_leaves_as_the_engine_does() -> None:
    x = walkthrough.Value(3.0)
    y = x * x + x
    walkthrough.backward(y)
    walkthrough.backward(y)
    assert (x.grad, y.grad) == (14.0, 1.0)
