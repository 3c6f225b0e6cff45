"""The lesson plots (matplotlib, Agg backend): what they draw, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from viz import plots


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_activations_and_the_derivatives_backprop_uses() -> None:
    fig = plots.plot_activations(("sigmoid", "relu", "step"), x_range=(-2, 2), points=5)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["sigmoid", "d sigmoid / dx", "relu",
                                               "d relu / dx", "step", "d step / dx"]
    xs, sigmoid_slope = axes[1].lines[0].get_data()
    assert list(xs) == [-2, -1, 0, 1, 2]
    assert sigmoid_slope[2] == pytest.approx(0.25)  # sigma'(0) = 1/4
    assert list(axes[3].lines[0].get_ydata()) == [0, 0, 0, 1, 1]  # relu' (0 at 0)
    assert list(axes[5].lines[0].get_ydata()) == [0] * 5  # the step passes no gradient


def test_history_plots_training_next_to_validation(tmp_path: Path) -> None:
    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.8, 0.9]}
    fig = plots.plot_history(history)
    loss_ax, accuracy_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    assert list(loss_ax.lines[1].get_ydata()) == [1.1, 0.7, 0.6]
    assert len(accuracy_ax.lines) == 1
    fig.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 1000


def test_decision_boundary_shades_the_classifier_and_shows_the_data() -> None:
    X = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]
    y = [0, 1, 1, 0]
    calls = []

    def predict(point: list[float]) -> float:
        calls.append(point)
        return 1.0 if point[1] > 0.5 else 0.0

    fig = plots.plot_decision_boundary(predict, X, y, resolution=10)
    (ax,) = fig.axes
    assert len(calls) == 100
    assert len(ax.collections[-1].get_offsets()) == 4  # the data points on top


def test_gradient_magnitudes_per_layer_on_a_log_scale() -> None:
    fig = plots.plot_gradient_magnitudes({"layer 1": [1e-4, 1e-5], "layer 2": [0.1, 0.05]})
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and len(ax.lines) == 2


@pytest.mark.parametrize("call, message", [
    (lambda: plots.plot_activations(("swish",)), "unknown activation 'swish'; choose from step"),
    (lambda: plots.plot_activations(points=1), "points must be at least 2"),
    (lambda: plots.plot_history({}), "history is empty"),
    (lambda: plots.plot_history({"lr": [0.1]}), "neither loss nor accuracy; its keys: lr"),
    (lambda: plots.plot_decision_boundary(lambda p: 0.0, [[1.0, 2.0, 3.0]], [0]),
     "X must be a non-empty list of 2-D points"),
    (lambda: plots.plot_gradient_magnitudes({}), "magnitudes is empty"),
    (lambda: plots.plot_decision_boundary(lambda p: 0.0, [[1.0, 2.0]], [0], resolution=1),
     "resolution must be at least 2"),
])
def test_bad_input_is_refused_with_the_reason(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()


def boundary_lines(fig) -> list[list[float]]:  # type: ignore[no-untyped-def]
    from matplotlib.contour import ContourSet

    return [list(c.levels) for c in fig.axes[0].collections
            if isinstance(c, ContourSet) and not c.filled]


def test_a_score_gets_its_zero_line_drawn_and_classes_do_not() -> None:
    X, y = [[-1.0, 0.0], [1.0, 0.0]], [-1, 1]
    assert boundary_lines(plots.plot_decision_boundary(lambda p: p[0], X, y,
                                                       resolution=8)) == [[0.0]]
    assert boundary_lines(plots.plot_decision_boundary(lambda p: float(p[0] > 0), X, y,
                                                       resolution=8)) == []
    assert boundary_lines(plots.plot_decision_boundary(lambda p: float(p[0] > 0), X, y,
                                                       resolution=8, level=0.5)) == [[0.5]]


def _search(space, run, **options):  # type: ignore[no-untyped-def]
    from nn.tuning import search

    return search(run, space, **options)


def test_a_search_plots_each_setting_best_over_the_rest_and_marks_what_diverged() -> None:
    def run(lr: float, width: int, seed: int) -> float:
        if lr == 10.0:
            return float("nan")
        return width / 100 - abs(lr - 0.1) + seed / 1000

    space = {"lr": [0.001, 0.1, 1.0, 10.0], "width": [4, 8], "seed": [0, 1]}
    fig = plots.plot_search(_search(space, run), x="lr", by="width", score="accuracy")
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {"width = 4", "width = 8", "diverged"}
    assert list(lines["width = 8"].get_xdata()) == [0.001, 0.1, 1.0]
    # Each point the best over the seeds: seed 1 scores 0.001 higher.
    assert list(lines["width = 8"].get_ydata()) == pytest.approx([-0.018, 0.081, -0.819])
    assert list(lines["diverged"].get_xdata()) == [10.0] * 4
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "accuracy"
    assert ax.get_title() == "accuracy by lr (best over seed)"


def test_a_loss_search_keeps_the_lowest_and_names_plot_categories() -> None:
    results = _search({"optimizer": ["sgd", "adam"], "lr": [0.1, 0.2]},
                      lambda optimizer, lr: lr + (optimizer == "sgd"), higher_is_better=False)
    (ax,) = plots.plot_search(results, x="optimizer").axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["adam", "sgd"]
    assert list(ax.lines[0].get_ydata()) == pytest.approx([0.1, 1.1])
    assert ax.get_xscale() == "linear"


@pytest.mark.parametrize("options, message", [
    ({"x": "momentum"}, "'momentum' is not one of the settings searched: lr, width"),
    ({"x": "lr", "by": "lr"}, "x and by are both 'lr'"),
    ({"x": "lr", "by": "depth"}, "'depth' is not one of the settings"),
])
def test_a_search_plot_of_what_was_not_searched_is_refused(options, message) -> None:  # type: ignore[no-untyped-def]
    results = _search({"lr": [0.1], "width": [4]}, lambda lr, width: 1.0)
    with pytest.raises(ValueError, match=message):
        plots.plot_search(results, **options)
    with pytest.raises(ValueError, match="no results"):
        plots.plot_search(object(), x="lr")


def test_a_search_over_layer_sizes_plots_them_as_categories() -> None:
    results = _search({"sizes": [[8], [16, 16]], "lr": [0.01, 0.1]},
                      lambda sizes, lr: len(sizes) + lr)
    (ax,) = plots.plot_search(results, "sizes").axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["[16, 16]", "[8]"]
    assert list(ax.lines[0].get_ydata()) == pytest.approx([2.1, 1.1])
    (ax,) = plots.plot_search(results, "lr", by="sizes").axes
    assert [line.get_label() for line in ax.lines] == ["sizes = [16, 16]", "sizes = [8]"]
