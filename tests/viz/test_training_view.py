"""viz.TrainingView without a browser: the numbers it shows at step k are the model's at step k,
what it sends, how often, its static form, training in the background, and bad input."""

from __future__ import annotations

import base64
import math
import re
import signal
import time
from typing import Any

import pytest

import autograd_core as ag
import nn
import viz
from nn import optim
from viz.live.picture import number, png

anywidget = pytest.importorskip("anywidget")


def moons(n: int = 60) -> tuple[list[Any], list[int]]:
    X, y = nn.data.moons(n, noise=0.1, seed=0)
    return X, [1 if label else -1 for label in y]


class Expected:
    """A second model trained the same way, which records at every step what the view should
    show: its parameters, the tracked sample's neuron outputs and their gradients, Adam's m
    and v for the chosen parameter. Computed here from the live model, not from the view."""

    def __init__(self, model: nn.MLP, sample: list[float], target: int, chosen: str) -> None:
        self.model, self.sample, self.target = model, sample, target
        self.chosen = dict(model.named_parameters())[chosen]
        self.at: dict[int, dict[str, Any]] = {}
        self.record(0, None)

    def record(self, step: int, optimizer: Any) -> None:
        columns, x = [], list(self.sample)
        for layer in self.model.layers:
            x = layer(x)
            columns.append(x)
        loss = nn.losses.hinge(x, self.target)
        flat = [v for column in columns for v in column]
        grads = ag.grad(loss, flat)
        index = optimizer.params.index(self.chosen) if optimizer else None
        self.at[step] = {
            "parameters": [p.data for p in self.model.parameters()],
            "outputs": [v.data for v in flat], "grads": [float(g) for g in grads],
            "m": None if index is None else optimizer.m[index],
            "v": None if index is None else optimizer.v[index]}

    def on_step(self, run: Any, epoch: int, batch: int, loss: float) -> None:
        self.record(len(self.at), run.optimizer)


def test_the_state_at_step_k_is_the_models_numbers_at_step_k() -> None:
    X, y = moons()
    track, chosen = 5, "layers.1.neurons.3.w.2"
    model = nn.MLP(2, [6, 4, 1], activation="tanh", seed=3)
    view = viz.TrainingView(model, (X, y), track=track, parameter=chosen)
    nn.fit(model, (X, y), "hinge", optim.Adam(model.parameters(), lr=0.02), epochs=6,
           batch_size=16, callbacks=[view], progress=False, seed=7)
    twin = nn.MLP(2, [6, 4, 1], activation="tanh", seed=3)
    expected = Expected(twin, X[track], y[track], chosen)
    nn.fit(twin, (X, y), "hinge", optim.Adam(twin.parameters(), lr=0.02), epochs=6,
           batch_size=16, callbacks=[expected], progress=False, seed=7)
    assert view.steps == 6 * 4 == len(expected.at) - 1
    for step in (0, 1, 9, 24):
        state, want = view.state(step), expected.at[step]
        assert state.step == step
        # In the model's order: each neuron's weights, then its bias.
        assert [number for layer, biases in zip(state.weights, state.biases)
                for neuron, bias in zip(layer, biases) for number in (*neuron, bias)
                ] == want["parameters"]
        assert [v for column in state.outputs for v in column] == want["outputs"]
        assert [g for column in (state.grads or []) for g in column] == want["grads"]
        if step:
            assert (state.optimizer["m"], state.optimizer["v"]) == (want["m"], want["v"])
            assert state.optimizer["t"] == step
        assert state.parameter == chosen
    assert view.state().step == 24  # the last step by default
    with pytest.raises(IndexError, match="step 25 has not been taken; steps 0 to 24 have"):
        view.state(25)


def test_what_the_widget_is_sent_holds_the_numbers_of_its_step() -> None:
    X, y = moons()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    view = viz.TrainingView(model, (X, y), track=2)
    widget = view.widget
    nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
           epochs=20, callbacks=[view], progress=False)
    frame = widget.frame
    assert frame["step"] == frame["steps"] == 20 and frame["status"] == "done"
    state = view.state(20)
    for value in [v for column in state.outputs for v in column]:
        assert f">{number(value)}<" in frame["network"]
    assert f"step 20 · epoch 20/20 · batch loss {number(state.loss)}" in frame["caption"]
    assert f"momentum buffer {number(state.optimizer['buffers'])}" in frame["network"]
    # The boundary's picture is a real PNG of the grid's size.
    encoded = re.search(r'href="data:image/png;base64,([^"]+)"', frame["side"])
    assert encoded is not None
    image = base64.b64decode(encoded.group(1))
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[16:24] == (48).to_bytes(4, "big") * 2
    # The slider's seek shows an old step, whose numbers are that step's.
    view.seek(3)
    assert widget.frame["step"] == 3 and widget.frame["steps"] == 20
    assert f">{number(view.state(3).outputs[0][0])}<" in widget.frame["network"]


def test_frames_are_throttled_so_that_training_stays_fast() -> None:
    X, y = moons(100)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    view = viz.TrainingView(model, (X, y), fps=10)
    start = time.perf_counter()
    nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.05), epochs=300,
           callbacks=[view], progress=False)
    elapsed = time.perf_counter() - start
    assert view.steps == 300
    # At most 10 a second, plus the first and the last.
    assert view.frames_sent <= 10 * elapsed + 2
    # Drawing took at most half of the training time, plus the two forced frames.
    assert view._drawing <= 0.5 * view._training + 0.2


def test_the_static_form_is_the_last_frame_as_images_and_no_script() -> None:
    X, y = moons()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    view = viz.TrainingView(model, (X, y))
    nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.1), epochs=5,
           callbacks=[view], progress=False)
    bundle, _ = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    static = bundle["text/html"]
    assert "<script" not in static and "step 5 · epoch 5/5" in static
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', static)
    assert len(images) == 3  # the network, the curves, the boundary
    network = base64.b64decode(images[0]).decode()
    assert f">{number(view.state().outputs[0][0])}<" in network
    assert bundle["text/plain"].startswith("TrainingView: step 5")


def test_a_network_too_large_is_drawn_per_layer_and_one_not_of_layers_is_named() -> None:
    X, y = nn.data.digits()
    model = nn.MLP(64, [32, 10], seed=0)
    view = viz.TrainingView(model, (X[:50], y[:50]))
    assert view.per_layer  # 64 inputs in one column
    assert "42 neurons: drawn one box per layer" in view._frame["network"]
    assert "decision boundary" not in view._frame["side"]  # 64-D data: no boundary panel

    class Custom(nn.Module):
        def __init__(self) -> None:
            self.w = ag.Value(0.5)

        def forward(self, x: list[float]) -> ag.Value:
            return self.w * x[0] + x[1]

    view = viz.TrainingView(Custom(), moons())
    assert "The network is not drawn: a Custom is not a row of layers" in view._frame["network"]
    bn = nn.Sequential(nn.Layer(2, 3, seed=0), nn.BatchNorm(3), nn.Layer(3, 1, seed=0))
    with pytest.raises(ValueError):  # a BatchNorm model takes batches, not one sample
        viz.TrainingView(bn, moons())


@pytest.mark.parametrize("kwargs, message", [
    ({"track": 60}, "track must be the index of a sample, 0 to 59, got 60"),
    ({"detail": "box"}, "detail must be 'auto', 'neuron' or 'layer', got 'box'"),
    ({"fps": 0}, "fps must be a number above 0 and at most 120, got 0"),
    ({"grid": 2}, "grid must be an int of at least 4, got 2"),
    ({"parameter": "layers.9.b"}, "the model has no parameter 'layers.9.b'; its parameters "
                                  "are named like layers.0.neurons.0.w.0"),
])
def test_bad_arguments_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        viz.TrainingView(nn.MLP(2, [4, 1], seed=0), moons(), **kwargs)


def test_a_model_and_data_that_do_not_fit_are_refused_naming_both() -> None:
    with pytest.raises(ValueError, match=r"the model \(MLP taking 3 inputs\) does not fit the "
                                         r"data: its samples have 2 features"):
        viz.TrainingView(nn.MLP(3, [4, 1], seed=0), moons())
    with pytest.raises(ValueError, match="sample 1 has 3 features, sample 0 has 2"):
        viz.TrainingView(nn.MLP(2, [4, 1], seed=0), ([[0.0, 1.0], [1.0, 2.0, 3.0]], [0, 1]))
    with pytest.raises(ValueError, match="sample 0 holds a number that is not finite"):
        viz.TrainingView(nn.MLP(2, [4, 1], seed=0), ([[math.nan, 1.0]], [0]))
    with pytest.raises(TypeError, match=r"data must be a pair \(X, y\), got list"):
        viz.TrainingView(nn.MLP(2, [4, 1], seed=0), [[0.0, 1.0]])  # type: ignore[arg-type]
    view = viz.TrainingView(nn.MLP(2, [4, 1], seed=0), moons())
    X3 = [[0.0, 1.0, 2.0]] * 4
    with pytest.raises(ValueError):  # fit refuses the data before its first step
        nn.fit(view.model, (X3, [1, -1, 1, -1]), "hinge",
               optim.SGD(view.model.parameters(), lr=0.1), epochs=1, callbacks=[view])
    assert view.steps == 0


def test_a_diverging_training_stops_as_fit_does_and_the_view_shows_where() -> None:
    X, y = moons()
    model = nn.MLP(2, [8, 1], seed=0)
    view = viz.TrainingView(model, (X, y))
    # The first step makes the weights about 1e200; the second forward pass overflows.
    with pytest.raises(ag.OpError, match=r"fit: epoch 2, batch 1: .*overflows a float"):
        nn.fit(model, (X, y), "mse", optim.SGD(model.parameters(), lr=1e200), epochs=3,
               callbacks=[view], progress=False)
    assert view.status == "error" and "epoch 2, batch 1" in view.note
    assert view.steps == 1
    assert "epoch 2, batch 1" in view._frame["note"]
    assert "the tracked sample cannot be computed at step 1" in view._frame["note"]
    assert ">nan<" in view._frame["network"]
    # The model kept its last numbers, which are the view's last step.
    assert [p.data for p in model.parameters()] == list(view.recorder.snapshots[-1].parameters)


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="signals cannot be held")
def test_an_interrupt_leaves_the_model_at_its_last_step_and_the_view_shows_it_again() -> None:
    X, y = moons()
    model = nn.MLP(2, [8, 1], seed=0)
    view = viz.TrainingView(model, (X, y))
    first = view.widget

    class InterruptedAtStep5:
        def on_step(self, run: Any, epoch: int, batch: int, loss: float) -> None:
            if epoch == 5:
                signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.1), epochs=50,
               callbacks=[view, InterruptedAtStep5()], progress=False)
    assert view.status == "stopped" and view.steps == 5
    assert [p.data for p in model.parameters()] == list(view.recorder.snapshots[-1].parameters)
    view.close()
    again = view.widget  # a new widget: the view can be shown again
    assert again is not first and again.frame["steps"] == 5


def test_training_in_the_background_pauses_steps_plays_and_stops_between_steps() -> None:
    X, y = moons(100)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    view = viz.TrainingView(model, (X, y))
    run = nn.fit_in_background(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.05),
                               epochs=100_000, callbacks=[view], paused=True)
    assert view.controller is run and run.status == "paused" and view.steps == 0
    assert view._frame["controls"] and view._frame["status"] == "paused"
    view.step()
    assert view.steps == run.steps == 1 and run.status == "paused"
    view.step()
    assert view.steps == 2
    time.sleep(0.2)
    assert view.steps == 2  # paused means paused
    view.play()
    time.sleep(0.3)
    assert run.status == "running" and view.steps > 20
    view.pause()
    deadline = time.monotonic() + 5
    while run.status != "paused" and time.monotonic() < deadline:
        time.sleep(0.01)
    paused_at = view.steps
    time.sleep(0.2)
    assert view.steps == paused_at and run.status == "paused"
    view.seek(1)
    assert view._frame["step"] == 1 and run.status == "paused"
    view.close()  # stops the training thread
    assert run.status == "stopped" and not run.running
    assert [p.data for p in model.parameters()] == list(view.recorder.snapshots[-1].parameters)
    assert view.status == "stopped"


def test_background_training_raises_fits_refusal_at_once_and_wait_raises_a_late_error() -> None:
    X, y = moons()
    model = nn.MLP(2, [8, 1], seed=0)
    with pytest.raises(ValueError, match="fit: epochs must be an int of at least 1, got 0"):
        nn.fit_in_background(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.1),
                             epochs=0)
    run = nn.fit_in_background(model, (X, y), "mse", optim.SGD(model.parameters(), lr=1e200),
                               epochs=5)
    with pytest.raises(ag.OpError, match="epoch 2, batch 1"):
        run.wait(timeout=30)
    assert run.status == "error"


def test_png_writes_what_a_reader_reads_back() -> None:
    np = pytest.importorskip("numpy")
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = png(pixels)
    import zlib

    assert data[12:16] == b"IHDR"
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4:idat], "big")
    raw = zlib.decompress(data[idat + 4:idat + 4 + length])
    assert raw == b"\x00" + bytes(range(9)) + b"\x00" + bytes(range(9, 18))


# --- found in review ------------------------------------------------------------------------


def test_the_view_does_not_change_training_of_a_model_with_dropout() -> None:
    def trained(watched: bool) -> float:
        X, y = moons()
        model = nn.Sequential(nn.Layer(2, 8, "tanh", seed=0), nn.Dropout(0.3, seed=1),
                              nn.Layer(8, 1, "linear", seed=2))
        hooks = [viz.TrainingView(model, (X, y))] if watched else []
        history = nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.1),
                         epochs=5, callbacks=hooks, progress=False)
        return history["loss"][-1]

    assert trained(True) == trained(False)


def test_the_tracked_samples_loss_is_its_own_at_that_step_without_penalties() -> None:
    X, y = moons()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    view = viz.TrainingView(model, (X, y), track=3)
    start = nn.losses.hinge(model(X[3]), y[3]).data
    loss = nn.MeanLoss("hinge", l2=0.5, parameters=model)
    nn.fit(model, (X, y), loss, optim.SGD(model.parameters(), lr=0.1), epochs=5,
           callbacks=[view], progress=False)
    assert view.state(0).sample_loss == start
    assert view.state(5).sample_loss == nn.losses.hinge(model(X[3]), y[3]).data


def test_after_early_stopping_the_last_step_shown_is_the_model_fit_returns() -> None:
    X, y = moons()
    model = nn.MLP(2, [8, 1], seed=0)
    view = viz.TrainingView(model, (X, y))
    history = nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.5),
                     epochs=60, validation=0.3, early_stopping=2, callbacks=[view],
                     progress=False, seed=0)
    assert history.stop_reason
    assert list(view.recorder.snapshots[-1].parameters) == [p.data for p in
                                                            model.parameters()]
    # A second fit goes on from there: the view records no jump.
    steps = view.steps
    nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.01), epochs=2,
           callbacks=[view], progress=False)
    assert view.steps == steps + 2


def test_one_view_watches_one_training_at_a_time_and_stop_keeps_the_history() -> None:
    X, y = moons()
    model = nn.MLP(2, [8, 1], seed=0)
    view = viz.TrainingView(model, (X, y))
    run = nn.fit_in_background(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.01),
                               epochs=100_000, callbacks=[view], paused=True)
    run.step()
    with pytest.raises(RuntimeError, match=r"this view is watching a training that has not "
                                           r"ended \(paused, step 1\); stop it first"):
        nn.fit_in_background(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.01),
                             epochs=5, callbacks=[view])
    with pytest.raises(RuntimeError, match="this view is watching a training"):
        nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.01), epochs=5,
               callbacks=[view], progress=False)
    run.stop()
    history = run.wait()
    # The History as far as it got: stopped inside epoch 1, which was not recorded.
    assert run.status == "stopped" and isinstance(history, nn.History)
    assert history.epochs == 0
    assert view._frame["status"] == "stopped" and not view._frame["controls"]
    assert view._frame["note"] == "stopped at step 1"


def test_a_finished_background_training_leaves_no_live_buttons() -> None:
    X, y = moons()
    model = nn.MLP(2, [8, 1], seed=0)
    view = viz.TrainingView(model, (X, y))
    nn.fit_in_background(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.1),
                         epochs=20, callbacks=[view]).wait()
    assert view._frame["status"] == "done" and not view._frame["controls"]
    assert view._frame["step"] == view._frame["steps"] == 20


def test_a_whole_batch_loss_trains_with_the_view_which_shows_no_sample_loss() -> None:
    X, y = moons()
    model = nn.MLP(2, [8, 1], seed=0)
    view = viz.TrainingView(model, (X, y))

    def pairwise(outputs: list[Any], targets: list[int]) -> ag.Value:
        if len(outputs) < 2:
            raise ValueError("pairwise: needs at least two samples")
        return ag.sum([(o[0] - t) ** 2 for o, t in zip(outputs, targets)]) / len(outputs)

    nn.fit(model, (X, y), pairwise, optim.SGD(model.parameters(), lr=0.01), epochs=3,
           callbacks=[view], progress=False)
    assert view.steps == 3 and view.state(3).sample_loss is None
    assert view.state(3).grads is None and "∇ n/a" in view._frame["network"]


def test_before_fit_each_of_three_classes_has_its_own_colour() -> None:
    X, y = nn.data.blobs(30, centers=3, seed=0)
    view = viz.TrainingView(nn.MLP(2, [4, 3], seed=0), (X, y))
    assert sorted({view._class_index(t) for t in y}) == [0, 1, 2]


def test_a_long_training_keeps_a_bounded_number_of_steps_ever_more_sparsely() -> None:
    X, y = moons()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    view = viz.TrainingView(model, (X, y))
    view.recorder.most = 16
    nn.fit(model, (X, y), "hinge", optim.SGD(model.parameters(), lr=0.1), epochs=100,
           callbacks=[view], progress=False)
    kept = [snapshot.step for snapshot in view.recorder.snapshots]
    assert len(kept) <= 16 and kept[0] == 0 and kept[-1] == view.steps == 100
    assert list(view.recorder.snapshots[-1].parameters) == [p.data for p in model.parameters()]
    missing = next(step for step in range(100) if step not in kept)
    shown = view.state(missing)
    assert shown.step == max(step for step in kept if step <= missing)
    assert len(view.recorder.curves["batch_loss"]) <= 16
