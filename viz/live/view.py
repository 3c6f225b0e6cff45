"""`TrainingView`: watch the learner's own network train, live, in the notebook.

It is an `nn.fit` callback (it hears of every optimizer step through `on_step`) and a widget
(anywidget: one ES module that runs in JupyterLab, Notebook 7, VS Code, Colab and JupyterLite).
Two ways to train with it:

- `nn.fit_in_background(model, data, loss, optimizer, epochs, callbacks=[view])` trains in a
  thread and returns at once. The kernel stays free, so the view's buttons reach it: pause,
  play, one step, and a slider over every step taken. Pausing really pauses: the thread waits
  between two optimizer steps, so the model is always at a completed step. Interrupting the
  kernel stops it there. (Why a thread: a kernel reads a widget's messages only between cells,
  so a cell that trains cannot hear "pause".)
- `nn.fit(..., callbacks=[view])` in a cell: the view updates as the cell runs, but the busy
  kernel hears no button until the cell ends (the slider works then). Interrupt the kernel to
  stop: the model keeps its last completed step.

The view sends a frame at most `fps` times a second, and only while drawing takes less than
half the time training does, so training with the view stays within about 1.5x of training
without it (benchmarks/bench_training_view.py measures both). Each frame is drawn here, in
Python, as SVG (viz/live/picture.py); the same pictures are the view's static form, which a
notebook keeps and shows where no kernel runs.
"""

from __future__ import annotations

import copy
import html
import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import autograd_core as ag

from .picture import Boundary, boundary_svg, curves_svg, layers_svg, network_svg, number
from .state import Recorder, State

__all__ = ["TrainingView"]

ESM = Path(__file__).with_name("view.js")


class TrainingView:
    """A live view of `model` training on `data = (X, y)`.

    - `track`: the index of the sample whose neuron outputs and gradients the drawing shows;
    - `parameter`: the name of the parameter whose optimizer state is shown (by default the
      output neuron's first weight, `model.named_parameters()` names them);
    - `detail`: "neuron" (a box per neuron), "layer" (a box per layer) or "auto": per neuron
      up to `max_neurons` neurons and `max_column` in one layer, per layer beyond;
    - `grid`: the decision boundary's resolution (2-D data only);
    - `fps`: the most frames a second the view sends while training runs.

    `state(k)` is what the view shows at step k, in numbers; `view` in a cell shows it.
    """

    def __init__(self, model: Any, data: tuple[Sequence[Any], Sequence[Any]], *, track: int = 0,
                 parameter: str | None = None, detail: str = "auto", max_neurons: int = 256,
                 max_column: int = 24, grid: int = 48, fps: float = 30.0) -> None:
        X, y = _check_data(data)
        if isinstance(track, bool) or not isinstance(track, int) or not 0 <= track < len(X):
            raise ValueError(f"TrainingView: track must be the index of a sample, 0 to "
                             f"{len(X) - 1}, got {track!r:.40}")
        if detail not in ("auto", "neuron", "layer"):
            raise ValueError(f"TrainingView: detail must be 'auto', 'neuron' or 'layer', got "
                             f"{detail!r:.40}")
        for name, value, low in (("max_neurons", max_neurons, 1), ("max_column", max_column, 1),
                                 ("grid", grid, 4)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"TrainingView: {name} must be an int of at least {low}, got "
                                 f"{value!r:.40}")
        if not (isinstance(fps, (int, float)) and not isinstance(fps, bool) and 0 < fps <= 120):
            raise ValueError(f"TrainingView: fps must be a number above 0 and at most 120, got "
                             f"{fps!r:.40}")
        _check_fits(model, X)
        self.model, self.X, self.y, self.fps, self.grid = model, X, y, float(fps), grid
        self.recorder = Recorder(model, X[track], y[track], parameter)
        self.recorder.record(0, 0, None)
        network = self.recorder.network
        self.per_layer = network is not None and (detail == "layer" or (detail == "auto" and (
            network.n_neurons > max_neurons or max(network.widths) > max_column)))
        self._rule: Any = None
        self._epochs = self._batches = 0
        self.status, self.note = "ready", ""
        self._ended = self._training_in_cell = False
        self.controller: Any = None  # nn.fit_in_background's Background, which the buttons drive
        self._lock = threading.RLock()  # the recorder's copy and the widget, one user at a time
        # What is shown, and how long drawing and training have taken.
        self._follow = True  # show each new step (False after the slider picked an old one)
        self._shown = 0
        self._last_sent = -math.inf
        self._drawing = self._training = 0.0
        self._resumed = time.perf_counter()
        self.frames_sent = 0
        self._widget: Any = None
        self._display: Any = None  # IPython's handle on the outputs showing the view
        self._frame = self._build_frame(0)

    # --- what the view shows ----------------------------------------------------------------

    @property
    def steps(self) -> int:
        """The optimizer steps taken while the view watched."""
        return self.recorder.steps

    def state(self, step: int | None = None) -> State:
        """The numbers the view shows at `step` (the last step by default)."""
        with self._lock:
            return self.recorder.state(self.steps if step is None else step, self._grid_points())

    def _grid_points(self) -> Any:
        """The points of the decision boundary's grid (None unless the data is 2-D)."""
        if len(self.X[0]) != 2:
            return None
        if not hasattr(self, "_grid"):
            import numpy as np

            xs, ys = np.asarray(self.X, dtype=float)[:, 0], np.asarray(self.X, dtype=float)[:, 1]
            pad_x, pad_y = 0.1 * (np.ptp(xs) or 1.0), 0.1 * (np.ptp(ys) or 1.0)
            self._ranges = ((float(xs.min() - pad_x), float(xs.max() + pad_x)),
                            (float(ys.min() - pad_y), float(ys.max() + pad_y)))
            n = self.grid
            # Pixel centres; row 0 is the top of the picture (the largest y).
            gx = self._ranges[0][0] + (np.arange(n) + 0.5) * (self._ranges[0][1]
                                                              - self._ranges[0][0]) / n
            gy = self._ranges[1][1] - (np.arange(n) + 0.5) * (self._ranges[1][1]
                                                              - self._ranges[1][0]) / n
            self._grid = np.array([(x, y) for y in gy for x in gx])
        return self._grid

    def _build_frame(self, step: int) -> dict[str, Any]:
        """Everything the widget shows at `step`: the caption and the pictures. A failure to
        draw is shown in the view; it never stops training."""
        try:
            return self._draw_frame(step)
        except Exception as exc:  # a bug of the view's, or a model it cannot handle
            return {"step": step, "steps": self.steps, "caption": f"step {step}",
                    "status": self._status(), "controls": self._controls(),
                    "note": f"the view could not draw step {step}: {type(exc).__name__}: {exc}",
                    "network": "", "side": ""}

    def _controls(self) -> bool:
        """Whether the buttons drive a training (a background one, not yet ended)."""
        return (self.controller is not None and not self._ended
                and self.controller.status in ("running", "paused"))

    def _status(self) -> str:
        return str(self.controller.status) if self._controls() else self.status

    def _draw_frame(self, step: int) -> dict[str, Any]:
        state = self.recorder.state(step, self._grid_points())
        caption = self._caption(state)
        network = self.recorder.network
        if network is None:
            picture = (f'<p class="agc-note">The network is not drawn: '
                       f"{html.escape(self.recorder.not_drawn)}.</p>")
        elif self.per_layer:
            picture = layers_svg(network, state, "")
        else:
            picture = network_svg(network, state, self._parameter_edge(), "")
        side = curves_svg(state.curves, max(self.steps, 1))
        boundary = self._boundary(state)
        note = "; ".join(part for part in (self.note, state.problem) if part)
        return {"step": step, "steps": self.steps, "caption": caption, "status": self._status(),
                "note": note, "controls": self._controls(), "network": picture,
                "side": side + (boundary_svg(boundary) if boundary else "")}

    def _caption(self, state: State) -> str:
        parts = [f"step {state.step}"]
        if state.epoch:
            parts.append(f"epoch {state.epoch}" + (f"/{self._epochs}" if self._epochs else "")
                         + (f", batch {state.batch}/{self._batches}" if self._batches > 1
                            else ""))
        if state.loss is not None:
            parts.append(f"batch loss {number(state.loss)}")
        for key in ("accuracy", "val_loss", "val_accuracy"):
            points = state.curves.get(key)
            if points:
                parts.append(f"{key.replace('_', ' ')} {number(points[-1][1])}")
        if state.sample_loss is not None:
            parts.append(f"tracked sample's loss {number(state.sample_loss)}")
        return " · ".join(parts)

    def _parameter_edge(self) -> tuple[int, int, int] | None:
        """(layer, neuron, input) of the chosen parameter, input -1 for a bias."""
        network = self.recorder.network
        name = self.recorder.names[self.recorder.parameter]
        if network is None:
            return None
        for layer, layer_name in enumerate(network.layer_names):
            prefix = f"{layer_name}.neurons." if layer_name else "neurons."
            if name.startswith(prefix):
                neuron, _, rest = name[len(prefix):].partition(".")
                inputs = -1 if rest == "b" else int(rest.split(".")[1])
                return layer, int(neuron), inputs
        return None

    def _boundary(self, state: State) -> Boundary | None:
        """The decision boundary at this state (2-D class labels only)."""
        if state.scores is None or not self._classes_known():
            return None
        import numpy as np

        scores = np.asarray(state.scores, dtype=float).reshape(self.grid ** 2, -1)
        rule = self._rule
        labels = sorted(set(self.y)) if rule is None else None
        if scores.shape[1] > 1:  # argmax; confidence from the softmax's top share
            classes = scores.argmax(axis=1)
            shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
            share, k = 1 / shifted.sum(axis=1), scores.shape[1]
            confidence = np.clip((share - 1 / k) / (1 - 1 / k), 0, 1)
        else:  # one output against the threshold
            threshold = rule.threshold if rule is not None else (
                (labels[0] + labels[-1]) / 2 if labels else 0.5)
            gap = scores[:, 0] - threshold
            classes, confidence = (gap > 0).astype(int), np.tanh(2 * np.abs(gap))
        n = self.grid
        points = [(float(x[0]), float(x[1]), self._class_index(t)) for x, t in zip(self.X, self.y)]
        return Boundary(self._ranges[0], self._ranges[1], classes.reshape(n, n),
                        confidence.reshape(n, n), points, (state.sample[0], state.sample[1]))

    def _classes_known(self) -> bool:
        """Whether the targets are class labels (fit's decision rule says so once it starts)."""
        if self._rule is not None:
            return True
        return all(isinstance(t, int) and not isinstance(t, bool) for t in self.y)

    def _class_index(self, target: Any) -> int:
        """A target's class as an index into the colours (class 1 of two is the second)."""
        if isinstance(target, (list, tuple)):  # a one-hot or probability row
            return max(range(len(target)), key=target.__getitem__)
        if self._rule is None:  # before fit: the label's rank among the labels
            return sorted(set(self.y)).index(target)
        if self._rule.n_outputs == 1:
            return 1 if target == self._rule.labels[1] else 0
        return int(target)

    # --- the widget ---------------------------------------------------------------------------

    @property
    def widget(self) -> Any:
        """The anywidget showing this view (a new one if the last was closed)."""
        if self._widget is None or getattr(self._widget, "comm", True) is None:
            self._widget = _make_widget(self._frame)
            self._widget.on_msg(self._on_message)
        return self._widget

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The live widget, with its last frame as static HTML for where no widget runs."""
        widget = self.widget
        # Sent again from the cell that shows it: a notebook keeps the last frame it heard of
        # in that cell (nbclient drops messages sent while no cell, or another one, runs).
        widget.send_state("frame")
        found = widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        data, metadata = found if isinstance(found, tuple) else (found, {})
        bundle = {**data, "text/html": self.static_html(),
                  "text/plain": f"TrainingView: {self._frame['caption']}"}
        return bundle, dict(metadata)

    def _ipython_display_(self) -> None:
        """Shown in a notebook: every output of this view shares one display id, so that the
        end of training updates their static HTML too (what a notebook keeps for readers
        without widgets), not only the live widget."""
        from IPython.display import display as show

        display: Any = show  # IPython ships no type information
        data, metadata = self._repr_mimebundle_()
        if self._display is None:
            self._display = display(data, metadata=metadata, raw=True, display_id=True)
        else:
            display(data, metadata=metadata, raw=True, display_id=self._display.display_id)

    def _update_display(self) -> None:
        """Give every output showing this view the last frame (at the end of training)."""
        if self._display is not None:
            data, metadata = self._repr_mimebundle_()
            self._display.update(data, metadata=metadata, raw=True)

    def static_html(self) -> str:
        """The last frame as HTML that needs no script: the caption and the pictures as
        images (kept by JupyterLab's sanitizer, GitHub, nbconvert and VS Code alike)."""
        frame = self._frame
        images = [part for part in _split_svgs(frame["network"] + frame["side"])]
        note = "" if images and frame["network"].startswith("<svg") else frame["network"]
        tags = "".join(
            f'<img src="data:image/svg+xml;base64,{_b64(svg)}" width="{w}" height="{h}" '
            f'style="max-width:none;vertical-align:top;margin:0 8px 8px 0" alt="{alt}">'
            for svg, w, h, alt in images)
        return (f'<div class="agc-training-static"><p><b>Training view</b> '
                f"({html.escape(frame['status'])}): {html.escape(frame['caption'])}</p>{note}"
                f'<div style="overflow-x:auto;max-width:100%">{tags}</div></div>')

    def _publish(self, step: int | None = None, force: bool = False) -> None:
        """Draw a frame and send it, unless it is too soon (at most `fps` a second, and only
        while drawing costs under half of the training time); `force` sends anyway."""
        now = time.perf_counter()
        if not force and (now - self._last_sent < 1 / self.fps
                          or self._drawing > 0.5 * self._training):
            return
        with self._lock:
            if step is None:
                step = self.steps if self._follow else self._shown
            self._shown = step
            self._frame = self._build_frame(step)
            if self._widget is not None:
                self._widget.frame = self._frame
        self.frames_sent += 1
        self._last_sent = now  # frames start 1/fps apart
        self._drawing += time.perf_counter() - now

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        """A button or the slider, from the front end (handled in the kernel's main thread)."""
        if not isinstance(content, dict):
            return
        action = content.get("do")
        if action == "hello":  # a view appeared: it learns the kernel is here
            widget.send({"hello": True})
            self._publish(force=True)
        elif action == "pause":
            self.pause()
        elif action == "play":
            self.play()
        elif action == "step":
            self.step()
        elif action == "seek" and isinstance(content.get("step"), int):
            self.seek(content["step"])

    # --- the buttons ----------------------------------------------------------------------

    def pause(self) -> None:
        """Pause training after the step it is taking (training by `nn.fit_in_background`)."""
        if self.controller is not None:
            self.controller.pause()

    def play(self) -> None:
        """Go on training, and show each new step again."""
        self._follow = True
        if self.controller is not None and self.controller.running:
            self.controller.play()
        else:
            self._publish(force=True)

    def step(self) -> None:
        """Take exactly one more optimizer step, then pause (and show it)."""
        self._follow = True
        if self.controller is not None:
            self.controller.step()
        self._publish(force=True)

    def seek(self, step: int) -> None:
        """Show step `step`; training, if it runs, pauses at its last step."""
        self.pause()
        self._follow = False
        self._publish(min(max(step, 0), self.steps), force=True)

    def close(self) -> None:
        """Stop training (the model keeps its last completed step) and close the widget; the
        view can be shown again."""
        if self.controller is not None:
            self.controller.stop()
        if self._widget is not None:
            self._widget.close()
            self._widget = None

    def controlled_by(self, controller: Any) -> None:
        """`nn.fit_in_background` hands over its Background: the buttons drive it."""
        self._refuse_a_second_training()
        self.controller = controller

    def _refuse_a_second_training(self) -> None:
        """One view watches one training at a time."""
        if self.controller is not None and self.controller.running:
            raise RuntimeError(f"TrainingView: this view is watching a training that has not "
                               f"ended ({self.controller.status}, step {self.steps}); stop it "
                               "first (run.stop(), or close the view)")
        if self._training_in_cell:
            raise RuntimeError("TrainingView: this view is watching a training that has not "
                               "ended; one view watches one training at a time")

    def on_control(self, controller: Any) -> None:
        """The background training paused, went on or ended: show it."""
        self._publish(force=True)

    # --- fit's callbacks ------------------------------------------------------------------

    def on_fit_start(self, run: Any) -> None:
        """fit is about to take its first step: learn its loss, optimizer and decision rule."""
        in_background = self.controller is not None and self.controller.running and \
            threading.current_thread() is not threading.main_thread()
        if not in_background:
            self._refuse_a_second_training()
            self.controller = None  # a fit in a cell, after a background one
            self._training_in_cell = True
        if len(run.X[0]) != len(self.X[0]):
            raise ValueError(f"TrainingView: fit trains on samples of {len(run.X[0])} features, "
                             f"the view was made for {len(self.X[0])}")
        with self._lock:
            if list(self.recorder.snapshots[-1].parameters) != [p.data for p in
                                                                self.recorder.live]:
                self.recorder.record(0, 0, None)  # the weights changed since the view saw them
            self.recorder.loss_fn, self.recorder.optimizer = run.loss_fn, run.optimizer
            self._rule, self._epochs, self._batches = run.rule, run.epochs, run.n_batches
            self.status, self.note, self._ended = "running", "", False
        self._publish(force=True)
        self._resumed = time.perf_counter()

    def on_step(self, run: Any, epoch: int, batch: int, loss: float) -> None:
        """One step was taken: record it, maybe send a frame, then pause if asked to."""
        self._training += time.perf_counter() - self._resumed
        with self._lock:
            self.recorder.record(epoch, batch, loss)
        self._publish()
        self._resumed = time.perf_counter()

    def __call__(self, epoch: int, history: Any) -> None:
        """The end of an epoch: its loss, accuracy and validation numbers join the curves."""
        with self._lock:
            self.recorder.add_epoch(history)

    def on_fit_end(self, run: Any, error: BaseException | None) -> None:
        """Training ended: show where, and why if it did not finish."""
        live = [p.data for p in self.recorder.live]
        with self._lock:
            if live != list(self.recorder.snapshots[-1].parameters):
                # A step no on_step heard of, or early stopping's best weights put back.
                self.recorder.record(run.history.epochs, 0, None)
        self._ended, self._training_in_cell = True, False
        if error is None:
            self.status, self.note = "done", run.history.stop_reason or ""
        elif type(error).__name__ == "_Stopped":  # fit_in_background's stop()
            self.status, self.note = "stopped", f"stopped at step {self.steps}"
        elif isinstance(error, KeyboardInterrupt):
            self.status, self.note = "stopped", "interrupted; the model keeps its last step"
        else:
            self.status, self.note = "error", f"{type(error).__name__}: {error}"
        self._follow = True
        self._publish(force=True)
        self._update_display()


def _check_data(data: object) -> tuple[list[Any], list[Any]]:
    """X and y as lists, from a pair of equal, non-zero lengths whose samples are rows of
    numbers of one width."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"TrainingView: data must be a pair (X, y), got {type(data).__name__}")
    X, y = list(data[0]), list(data[1])
    if not X or len(X) != len(y):
        raise ValueError(f"TrainingView: data must have as many targets as samples, and some: "
                         f"got {len(X)} samples and {len(y)} targets")
    width = None
    for index, sample in enumerate(X):
        try:
            row = [float(v) for v in sample]
        except (TypeError, ValueError):
            raise TypeError(f"TrainingView: sample {index} is not a row of numbers: "
                            f"{sample!r:.60}") from None
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise ValueError(f"TrainingView: sample {index} has {len(row)} features, sample 0 "
                             f"has {width}")
        if not all(map(math.isfinite, row)):
            raise ValueError(f"TrainingView: sample {index} holds a number that is not finite: "
                             f"{sample!r:.60}")
    return X, y


def _check_fits(model: Any, X: list[Any]) -> None:
    """The model takes samples as wide as the data's (both named if not)."""
    n_inputs = getattr(model, "n_inputs", None)
    layers = getattr(model, "layers", None)
    if n_inputs is None and isinstance(layers, list) and layers:
        n_inputs = getattr(layers[0], "n_inputs", None)
    described = type(model).__name__ + (f" taking {n_inputs} inputs" if n_inputs else "")
    if getattr(model, "batched", False) is True:
        raise ValueError(f"TrainingView: the model ({described}) takes whole batches (it holds "
                         "a BatchNorm); the view follows one sample through the model, so it "
                         "shows models that take one sample at a time")
    if isinstance(n_inputs, int) and n_inputs != len(X[0]):
        raise ValueError(f"TrainingView: the model ({described}) does not fit the data: its "
                         f"samples have {len(X[0])} features")
    # Tried on a copy in eval mode: the model's own random numbers (Dropout) stay untouched.
    trial = copy.deepcopy(model)
    getattr(trial, "eval", lambda: None)()
    try:
        with ag.no_grad():
            trial(list(X[0]))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"TrainingView: the model ({described}) cannot take the data's "
                         f"samples of {len(X[0])} features: {exc}") from exc


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _split_svgs(markup: str) -> list[tuple[str, str, str, str]]:
    """Each SVG in `markup` with its width, height and title."""
    found = []
    for part in markup.split("<svg ")[1:]:
        svg = "<svg " + part[:part.index("</svg>") + 6]
        width = svg.split('width="', 1)[1].split('"', 1)[0]
        height = svg.split('height="', 1)[1].split('"', 1)[0]
        alt = svg.split("<title>", 1)[1].split("</title>", 1)[0]
        found.append((svg, width, height, alt))
    return found


def _make_widget(frame: dict[str, Any]) -> Any:
    """The anywidget (imported here: the rest of the view works without it)."""
    try:
        import anywidget
        import traitlets
    except ImportError as exc:
        raise ImportError("TrainingView needs anywidget to show itself in a notebook: pip "
                          "install 'autograd-core[notebooks]' (or anywidget)") from exc

    class TrainingWidget(anywidget.AnyWidget):
        _esm = ESM
        frame = traitlets.Dict().tag(sync=True)

    return TrainingWidget(frame=frame)
