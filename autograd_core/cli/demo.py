"""`autograd-core demo`: the engine on the course's worked examples, printed for a terminal,
with the graphs drawn to files when viz is installed; then nn training micrograd's demo network
(always, also with --no-drawings)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .. import Value, backward_steps, gradcheck, topological_order
from ..checking import EXERCISES
from ..checking.check import differential

Print = Callable[[str], None]




def run(out: Print = print, output_dir: Path | None = None) -> None:
    """Print the demo; with `output_dir`, also draw its graphs there (needs viz)."""
    if output_dir is not None:
        output_dir = output_dir.resolve()  # printed paths a terminal can open
    out("autograd-core demo: every number below was computed by the engine's backward pass.\n")

    out("1. The course's two-layer sigmoid network, x = (5, 3), target 1, J = -log(y)")
    network = EXERCISES["two-layer-network"].build()  # h = sigmoid(W^T x), y = sigmoid(V^T h)
    loss, named = network.output, network.values
    loss.backward()
    out(f"   {'node':<5} {'value':>12} {'dJ/dnode':>14}   the course's hand-rounded value")
    course = {"y": "y = 0.590378", "J": "J = 0.52699", "V1": "-0.41", "V2": "-0.30",
              "V3": "-0.41", "h1": "-0.04096", "h2": "-0.2048", "h3": "0.04096",
              "W11": "-3e-6", "W21": "-2e-6"}
    for label in ["J", "y", "V1", "V2", "V3", "h1", "h2", "h3", "W11", "W21", "W12", "W22"]:
        node = named[label]
        out(f"   {label:<5} {node.data:>12.6g} {node.grad:>14.6g}   {course.get(label, '')}")

    out("\n2. The gradient of f = 2/3 x^2 + y^2 - 2y + z^4 - 4/3 z^3 at (3, 2, 1)")
    x, y, z = Value(3.0, label="x"), Value(2.0, label="y"), Value(1.0, label="z")
    f = 2 / 3 * x**2 + y**2 - 2 * y + z**4 - 4 / 3 * z**3
    f.backward()
    out(f"   f = {f.data:g}, df/dx = {x.grad:g}, df/dy = {y.grad:g}, df/dz = {z.grad:g} "
        "(by hand: 4, 2, 0)")

    out("\n3. Backprop one node at a time through o = tanh(x1*w1 + x2*w2 + b)")
    o = EXERCISES["neuron"].build().output
    o.backward()
    for step in backward_steps(o):
        for edge in step.edges:
            d_node, d_parent = differential(step.node), differential(edge.parent)
            out(f"   do/{d_parent:<15} += do/{d_node:<15} * {d_node}/{d_parent} = "
                f"{step.grad:.4g} * {edge.local_grad:.4g} = {edge.contribution:.4g}")

    out("\n4. Backward against central differences, f(a, b) = a * b + tanh(a)")
    out("   " + str(gradcheck(lambda a, b: a * b + a.tanh(), [Value(0.5, label="a"),
                                                             Value(-1.5, label="b")]))
        .replace("\n", "\n   "))

    if output_dir is not None:
        _draw(out, output_dir, o, loss)
    _train(out, output_dir)


def _train(out: Print, output_dir: Path | None) -> None:
    # nn is imported here only: the engine itself never needs it.
    import nn
    from nn import optim

    out("\n6. Training micrograd's demo network (MLP 2-16-16-1, hinge loss + L2) on two moons")
    X, y = nn.data.moons(100, noise=0.1, seed=0, labels=(-1, 1))
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = nn.MeanLoss("hinge", l2=1e-4, parameters=model)
    start = time.perf_counter()
    history = nn.fit(model, (X, y), loss, optim.SGD(model.parameters(), lr=1.0), epochs=40,
                     progress=False, seed=0)
    seconds = time.perf_counter() - start
    for epoch in (1, 10, 20, 30, 40):
        out(f"   epoch {epoch:>2}: loss {history['loss'][epoch - 1]:.4f}, "
            f"accuracy {history['accuracy'][epoch - 1]:.0%}")
    how = ("one sample's graph, recorded once and replayed over all 100 points with numpy"
           if history.replayed else f"a graph per sample ({history.replay_note})")
    out(f"   {seconds:.2f} s for 40 steps: {how}")
    if output_dir is None:
        return
    import matplotlib

    matplotlib.use("Agg")  # files only: no window
    from viz import plots

    boundary = output_dir / "moons_decision_boundary.png"
    plots.plot_decision_boundary(lambda point: model(point)[0].data, X, y).savefig(boundary)
    curves = output_dir / "moons_training.png"
    plots.plot_history(history).savefig(curves)
    out(f"   the decision boundary it learned: {boundary}")
    out(f"   its loss and accuracy per epoch:  {curves}")


def _draw(out: Print, output_dir: Path, neuron: Value, network: Value) -> None:
    # The one place the engine's demo uses viz (imported here, so the engine never needs it).
    import viz

    files = [
        viz.render(viz.draw(neuron, edge_labels=True), output_dir / "neuron.svg"),
        viz.step_through(neuron).save(output_dir / "neuron_backprop.html"),
        viz.render(viz.draw(network, highlight_path=_find(network, "W11")),
                   output_dir / "two_layer_network.svg"),
    ]
    out("\n5. Drawings (open them in a browser):")
    out("   the neuron's graph, each edge labelled with its local derivative: " + str(files[0]))
    out("   its forward and backward pass, one step at a time (press next):   " + str(files[1]))
    out("   the two-layer network, the path from W11 to J highlighted:         " + str(files[2]))


def _find(root: Value, label: str) -> Value:
    return next(node for node in topological_order(root) if node.label == label)
