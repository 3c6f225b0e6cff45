"""Module: the generic attribute walk, modes, scopes for drawings, state dicts and files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import autograd_core as ag
import nn
from autograd_core import Constant, Value


class Inner(nn.Module):
    def __init__(self, first: float) -> None:
        self.w = [Value(first), Value(first + 1)]

    def forward(self, x: float) -> Value:
        return self.w[0] * x + self.w[1]


class Toy(nn.Module):
    """Every kind of attribute the walk must find or skip, in a deliberate order."""

    def __init__(self) -> None:
        self.a = Value(1.0)
        self.inner = Inner(10.0)
        self.pair = ([Value(2.0), Value(3.0)], Inner(20.0))  # a group and a module in a tuple
        self.grid = [[Value(4.0), Value(5.0)], [Value(6.0), Value(7.0)]]
        self.scale = Constant(2.0)  # a constant is no parameter
        self.note, self.count, self.empty = "text", 3, []
        self.b = Value(8.0)

    def forward(self, x: float) -> Value:
        return self.inner(x) * self.a + self.b


def names(module: nn.Module) -> list[str]:
    return [name for name, _ in module.named_parameters()]


def test_parameters_are_found_in_definition_order_with_dotted_names() -> None:
    toy = Toy()
    assert names(toy) == ["a", "inner.w.0", "inner.w.1", "pair.0.0", "pair.0.1", "pair.1.w.0",
                          "pair.1.w.1", "grid.0.0", "grid.0.1", "grid.1.0", "grid.1.1", "b"]
    assert [p.data for p in toy.parameters()] == [1, 10, 11, 2, 3, 20, 21, 4, 5, 6, 7, 8]


def test_mlp_names_reach_single_weights() -> None:
    model = nn.MLP(2, [4, 1], seed=0)
    parameters = dict(model.named_parameters())
    assert len(parameters) == 4 * 3 + 5
    assert parameters["layers.0.neurons.3.w.1"] is model.layers[0].neurons[3].w[1]
    assert parameters["layers.1.neurons.0.b"] is model.layers[1].neurons[0].b


def test_shared_parameters_and_modules_are_listed_once_and_cycles_end() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            self.first = Inner(1.0)
            self.second = self.first  # the same module twice
            self.also_a = self.first.w[0]  # and one of its weights again
            self.itself = self  # a cycle

    tied = Tied()
    assert names(tied) == ["first.w.0", "first.w.1"]
    assert [path for path, _ in tied.named_modules()] == ["", "first"]


def test_named_modules_and_children() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    paths = [path for path, _ in model.named_modules()]
    assert paths == ["", "layers.0", "layers.0.neurons.0", "layers.0.neurons.1", "layers.1",
                     "layers.1.neurons.0"]
    assert [name for name, _ in model.named_children()] == ["layers.0", "layers.1"]


def test_zero_grad_clears_every_parameter() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    nn.single(model([1.0, 2.0])).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_train_and_eval_reach_every_module() -> None:
    model = nn.Sequential(nn.MLP(2, [3], seed=0), nn.Layer(3, 1, seed=1))
    assert model.eval() is model
    assert [m.training for _, m in model.named_modules()] == [False] * 8
    model.train()
    assert all(m.training for _, m in model.named_modules())
    with pytest.raises(TypeError, match="True or False"):
        model.train(1)  # type: ignore[arg-type]


def test_call_runs_forward_and_forward_is_required() -> None:
    assert Inner(2.0)(3.0).data == 2 * 3 + 3

    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward does not define forward"):
        NoForward()(1.0)


# --- scopes: how viz groups a module's nodes ------------------------------------------------


def scopes(root: Value) -> set[str]:
    return {node.scope for node in ag.topological_order(root) if node.op}


def test_a_neurons_nodes_carry_its_path_in_the_model() -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    out = nn.single(model([Value(1.0), Value(2.0)]))
    assert out.scope == "MLP/layers.1/neurons.0"
    assert scopes(out) == {"MLP/layers.1/neurons.0"} | {
        f"MLP/layers.0/neurons.{i}" for i in range(4)}
    neuron_3 = model.layers[0].neurons[3]
    assert neuron_3([1.0, 2.0]).scope == "Neuron"  # called on its own: its class name


def test_scopes_follow_attribute_names_sequential_and_an_outer_scope() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            self.encoder = nn.Sequential(nn.Layer(2, 2, seed=0), nn.Layer(2, 1, seed=1))

        def forward(self, x: list[float]) -> list[Value]:
            return self.encoder(x)

    with ag.scope("lesson"):
        out = nn.single(Net()([1.0, 2.0]))
    assert out.scope == "lesson/Net/encoder/layers.1/neurons.0"
    assert Value(0.0).scope == ""  # every scope was left


def test_a_shared_module_is_named_by_its_current_caller_and_scopes_survive_errors() -> None:
    layer = nn.Layer(2, 1, seed=0)
    first = nn.Sequential(layer)
    second = nn.Sequential(nn.Layer(2, 2, seed=1), layer)
    assert first([1.0, 2.0])[0].scope == "Sequential/layers.0/neurons.0"
    assert second([1.0, 2.0])[0].scope == "Sequential/layers.1/neurons.0"
    with pytest.raises(ValueError, match="expected 2 inputs"):
        first([1.0])
    assert Value(0.0).scope == ""


def test_repr_is_indented_by_depth() -> None:
    assert repr(nn.MLP(2, [2, 1], activation="tanh", seed=0)) == "\n".join([
        "MLP(",
        "  (layers.0): Layer(",
        "    (neurons.0): Neuron(n_inputs=2, activation='tanh')",
        "    (neurons.1): Neuron(n_inputs=2, activation='tanh')",
        "  )",
        "  (layers.1): Layer(",
        "    (neurons.0): Neuron(n_inputs=2, activation='linear')",
        "  )",
        ")",
    ])


# --- state dicts ----------------------------------------------------------------------------


def test_state_dict_groups_parameters_by_attribute() -> None:
    toy = Toy()
    assert toy.state_dict() == {"a": 1.0, "inner.w": [10.0, 11.0], "pair.0": [2.0, 3.0],
                                "pair.1.w": [20.0, 21.0], "grid": [[4.0, 5.0], [6.0, 7.0]],
                                "b": 8.0}


def test_state_dict_round_trip_between_models() -> None:
    source, target = nn.MLP(3, [4, 2], seed=1), nn.MLP(3, [4, 2], seed=2)
    target.load_state_dict(source.state_dict())
    assert [p.data for p in target.parameters()] == [p.data for p in source.parameters()]
    assert target([1.0, 2.0, 3.0])[1].data == source([1.0, 2.0, 3.0])[1].data


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.pop("inner.w"), "missing keys: inner.w"),
    (lambda s: s.update(extra=1.0), "unexpected keys: extra"),
    (lambda s: s.update({"inner.w": [1.0, 2.0, 3.0]}), r"inner.w: expected a list of 2, got a "
                                                      r"list of 3"),
    (lambda s: s.update({"grid": [[1.0, 2.0], [3.0]]}), "grid.1: expected a list of 2"),
    (lambda s: s.update(b=[8.0]), "b: expected a number, got a list of 1"),
    (lambda s: s.update(b="8"), "b: expected a number, got str '8'"),
    (lambda s: s.update(b=True), "b: expected a number, got bool"),
    (lambda s: s.update(b=float("nan")), "b: expected a finite number, got nan"),
])
def test_load_state_dict_refuses_mismatches_and_changes_nothing(change, message) -> None:  # type: ignore[no-untyped-def]
    toy = Toy()
    before = toy.state_dict()
    state = {key: (-1.0 if isinstance(value, float) else value) for key, value in before.items()}
    change(state)  # every other entry is valid, and differs from the model's
    with pytest.raises(ValueError, match=message):
        toy.load_state_dict(state)
    assert toy.state_dict() == before


def test_load_state_dict_names_every_problem_and_cuts_long_lists_short() -> None:
    small, large = nn.MLP(2, [2, 1], seed=0), nn.MLP(2, [8, 8, 1], seed=0)
    with pytest.raises(ValueError) as caught:
        small.load_state_dict(large.state_dict())
    text = str(caught.value)
    assert "unexpected keys: layers.0.neurons.2.w, layers.0.neurons.2.b" in text
    assert "more" in text and "layers.1.neurons.0.w: expected a list of 2, got a list of 8" in text
    with pytest.raises(TypeError, match="needs a dict, got list"):
        small.load_state_dict([])  # type: ignore[arg-type]


# --- files ----------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    source, target = nn.MLP(2, [3, 1], seed=1), nn.MLP(2, [3, 1], seed=2)
    source.save(path)
    saved = json.loads(path.read_text())
    assert (saved["format"], saved["version"], saved["model"]) == (
        "autograd-core.nn", nn.FORMAT_VERSION, "MLP")
    target.load(str(path))
    assert target.state_dict() == source.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


@pytest.mark.parametrize(("text", "message"), [
    ('{"format": "autograd-core.nn", "vers', "not a saved model .the file is not valid JSON"),
    ("[1, 2]", "not a saved model"),
    ('{"format": "autograd-core.nn", "version": 2, "state": {}}',
     "saved in format version 2, but this version of nn reads version 1"),
    ('{"format": "autograd-core.nn", "version": 1, "state": {"w": 1}}',
     "cannot load this state into MLP: missing keys: layers.0.neurons.0.w"),
    ('{"format": "autograd-core.nn", "version": 1}', 'no "state" entry'),
    ('{"format": "autograd-core.nn", "version": 1, "model": "MLP", "state": '
     '{"layers.0.neurons.0.w": [1' + "0" * 400 + ', 1.0], "layers.0.neurons.0.b": 0.0}}',
     r"layers.0.neurons.0.w.0: expected a finite number, got 1000"),
    ('{"format": "autograd-core.nn", "version": 1, "model": "MLP", "state": '
     '{"layers.0.neurons.0.w": [1e400, 1.0], "layers.0.neurons.0.b": 0.0}}',
     r"layers.0.neurons.0.w.0: expected a finite number, got inf"),
])
def test_load_refuses_bad_files_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    model = nn.MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message) as caught:
        model.load(path)
    assert str(caught.value).startswith(str(path))
    assert model.state_dict() == before


def test_a_failed_save_leaves_the_old_file_whole(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    model = nn.MLP(2, [1], seed=0)
    model.save(path)
    old = path.read_text()

    def crash(source: str, target: str) -> None:
        raise OSError("disk full")

    model.layers[0].neurons[0].b.data = 5.0
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    model.layers[0].neurons[0].b.data = float("inf")
    with pytest.raises(ValueError, match=r"layers.0.neurons.0.b is inf"):
        model.save(path)
    assert path.read_text() == old
    assert os.listdir(tmp_path) == ["model.json"]


class KeepsItsOutput(nn.Module):
    def __init__(self) -> None:
        self.w = Value(0.5)

    def forward(self, x: float) -> Value:
        self.last = (self.w * x).tanh()
        return self.last


def test_a_value_forward_computed_is_never_taken_for_a_parameter() -> None:
    for recording in (True, False):  # under no_grad a result has no parents, like any leaf
        module = KeepsItsOutput()
        with pytest.raises(TypeError, match=r"KeepsItsOutput\.forward stored Values in `last`, "
                                            r"which would make them parameters"):
            if recording:
                module(2.0)
            else:
                with ag.no_grad():
                    module(2.0)
        assert not hasattr(module, "last") and module.parameters() == [module.w]
    KeepsItsOutput.computed = ("last",)
    try:
        module = KeepsItsOutput()
        module(2.0)
        assert module.parameters() == [module.w] and list(module.state_dict()) == ["w"]
    finally:
        del KeepsItsOutput.computed
    # Set from outside forward, a computed Value is still refused where parameters are read.
    module = KeepsItsOutput()
    module.last = module.w * 2
    with pytest.raises(TypeError, match="`last` holds a Value computed by 'mul'"):
        module.parameters()


def _every_nn_module() -> list[tuple[nn.Module, object]]:
    """(module, a sample) for each of nn's module classes."""
    image = [[[0.1 * (r + c) for c in range(4)] for r in range(4)]]
    return [
        (nn.Neuron(2, seed=0), [1.0, -2.0]), (nn.Layer(2, 3, seed=0), [1.0, -2.0]),
        (nn.MLP(2, [3, 1], seed=0), [1.0, -2.0]),
        (nn.Sequential(nn.Layer(2, 3, seed=0), nn.Dropout(0.5, seed=0)), [1.0, -2.0]),
        (nn.BatchNorm(2), [[1.0, -2.0], [0.5, 3.0]]), (nn.Embedding(5, 2, seed=0), 3),
        (nn.Conv1d(1, 2, 2, seed=0), [[1.0, 2.0, 3.0]]), (nn.Conv2d(1, 2, 2, seed=0), image),
        (nn.Dropout(0.5, seed=0), [1.0, -2.0]),
        (nn.MaxPool2d(2), image), (nn.AvgPool2d(2), image), (nn.MaxPool1d(2), [[1.0, 2.0]]),
        (nn.AvgPool1d(2), [[1.0, 2.0]]),
        (nn.Activation("relu"), image), (nn.Flatten(), image),
        (nn.Unflatten((1, 2, 2)), [1.0, 2.0, 3.0, 4.0]),
        (nn.RNN(1, 2, seed=0), [[1.0], [2.0]]), (nn.LSTM(1, 2, seed=0), [[1.0], [2.0]]),
        (nn.SelfAttention(2, seed=0), [[1.0, 2.0], [3.0, 4.0]]),
    ]


@pytest.mark.parametrize("recording", [True, False])
def test_nns_own_modules_keep_no_values_in_their_attributes(recording: bool) -> None:
    classes = set()
    for module, sample in _every_nn_module():
        classes.add(type(module))
        names = [name for name, _ in module.named_parameters()]
        keys = list(module.state_dict())
        if recording:
            module(sample)
        else:
            with ag.no_grad():
                module(sample)
        assert [name for name, _ in module.named_parameters()] == names, type(module)
        assert list(module.state_dict()) == keys, type(module)
    exported = [getattr(nn, name) for name in nn.__all__]
    modules = {c for c in exported if isinstance(c, type) and issubclass(c, nn.Module)}
    assert modules - {nn.Module} <= classes, "a new module class: add it above"
