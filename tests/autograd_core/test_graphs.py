"""Graph shapes and the backward pass: reuse, diamonds, fan-out, deep chains, repeated calls."""

from __future__ import annotations

import math

import pytest

import autograd_core as ag
from autograd_core import OpError, Value, backward_steps, grad, hessian, no_grad, topological_order


def test_a_value_used_twice_has_two_parents_and_gets_both_contributions() -> None:
    a = Value(3.0)
    y = a * a
    assert y.parents == (a, a)
    y.backward()
    assert a.grad == 6.0


def test_a_plus_a() -> None:
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_diamond_sums_both_paths() -> None:
    a = Value(2.0, label="a")
    b = a * 3  # two paths from a to d: through b and through c
    c = a.exp()
    d = b * c
    d.backward()
    assert a.grad == pytest.approx(3 * math.exp(2) + 6 * math.exp(2))
    assert (b.grad, c.grad) == (c.data, b.data)


def test_fan_out_to_many_children() -> None:
    x = Value(0.5)
    y = ag.sum([x * k for k in range(1, 11)])
    y.backward()
    assert x.grad == 55.0


def test_constants_receive_gradients_too() -> None:
    x = Value(2.0)
    y = x * 5
    y.backward()
    five = y.parents[1]
    assert five.is_constant and five.grad == 2.0


def test_the_micrograd_example() -> None:
    # a = 2, b = -3, c = 10, e = a*b, d = e + c, f = -2, L = d * f
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    loss = d * f
    loss.backward()
    assert [v.grad for v in (a, b, c, f, e, d, loss)] == [6.0, -4.0, -2.0, 4.0, -2.0, -2.0, 1.0]


def test_backward_twice_doubles_leaf_gradients_exactly_and_recomputes_interior_ones() -> None:
    a, b = Value(2.0), Value(-3.0)
    e = a * b
    loss = (e + 10) * e
    loss.backward()
    first = (a.grad, b.grad, e.grad)
    loss.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])
    assert e.grad == first[2]  # recomputed, not accumulated (micrograd's 24 -> 36 bug)


def test_backward_of_a_leaf_seeds_one() -> None:
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_a_million_deep_chain_sorts_and_backpropagates_without_recursion() -> None:
    x = Value(0.25)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert x.grad == 1.0
    order = topological_order(y)
    assert len(order) == 1_000_001 and order[0] is x and order[-1] is y
    del order
    # Only each node's child holds it now: dropping the root frees the chain one link after
    # another, a million deep, which must not overflow the C stack either.
    del y
    assert x.parents == ()


def test_topological_order_puts_parents_first_deterministically() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    order = topological_order(d)
    assert order == [a, b, c, d]
    assert topological_order(d) == order
    position = {node: i for i, node in enumerate(order)}
    assert all(position[p] < position[n] for n in order for p in n.parents)


def test_a_failing_backward_changes_no_gradient() -> None:
    x = Value(0.0, label="x")
    w = Value(3.0, label="w")
    y = x.sqrt() * w  # forward is fine; d sqrt/dx at 0 is infinite
    w.grad = 7.0
    with pytest.raises(OpError, match=r"backward of sqrt\(x=0\): the derivative is infinite"):
        y.backward()
    assert (x.grad, w.grad, y.grad) == (0.0, 7.0, 0.0)


def test_a_gradient_that_overflows_is_refused_naming_the_node() -> None:
    x = Value(1e-320, label="x")
    y = x.log()  # a finite forward (-736.8), but d/dx = 1 / x = 1e320 overflows
    with pytest.raises(OpError, match=r"the gradient of 'x' \(a leaf, 9.99989e-321\) overflows"):
        y.backward()
    assert x.grad == 0.0


def test_large_finite_gradients_are_not_refused_though_their_sum_overflows() -> None:
    a, b = Value(1.0), Value(-1.0)
    y = 1e308 * a + 1e308 * b  # each gradient is finite, though their sum is not
    y.backward()
    assert (a.grad, b.grad) == (1e308, 1e308)
    assert grad(y, [a, b]) == [1e308, 1e308]


def test_a_users_infinity_may_give_an_infinite_gradient() -> None:
    x = Value(math.inf)
    y = x.exp()
    y.backward()
    assert x.grad == math.inf


def test_grad_returns_gradients_without_touching_dot_grad() -> None:
    x, y = Value(3.0), Value(2.0)
    x.grad = 5.0
    f = x * x * y
    gx, gy = grad(f, [x, y])
    assert (gx, gy) == (12.0, 9.0)
    assert (x.grad, y.grad, f.grad) == (5.0, 0.0, 0.0)
    assert grad(f, x) == 12.0
    assert grad(f, [Value(1.0)]) == [0.0]  # an input the output does not depend on


def test_grad_refuses_non_values() -> None:
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got float"):
        grad(Value(1.0), [Value(1.0), 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="output must be a Value"):
        grad(3.0, [Value(1.0)])  # type: ignore[arg-type]


def test_create_graph_gives_second_and_third_derivatives() -> None:
    x = Value(0.7)
    y = x.tanh()
    d1 = grad(y, x, create_graph=True)
    d2 = grad(d1, x, create_graph=True)
    d3 = grad(d2, x)
    t = math.tanh(0.7)
    assert d1.data == pytest.approx(1 - t * t)
    assert d2.data == pytest.approx(-2 * t * (1 - t * t))
    assert d3 == pytest.approx(-2 * (1 - t * t) ** 2 + 4 * t * t * (1 - t * t))


def test_hessian_of_a_small_function() -> None:
    # f(x, y) = x**3 * y + sin(y): H = [[6xy, 3x**2], [3x**2, -sin y]]
    x, y = Value(1.5), Value(-0.5)
    f = x**3 * y + y.sin()
    h = hessian(f, [x, y])
    expected = [[6 * 1.5 * -0.5, 3 * 1.5**2], [3 * 1.5**2, -math.sin(-0.5)]]
    for row, expected_row in zip(h, expected):
        assert row == pytest.approx(expected_row)


def test_create_graph_with_a_constant_exponent_at_a_negative_base() -> None:
    # n * x ** (n - 1) must stay a numeric power: no log of a negative number is needed.
    x = Value(-2.0)
    assert hessian(x**3, [x]) == [[-12.0]]


def test_backward_steps_show_the_chain_rule_one_node_at_a_time() -> None:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    steps = list(backward_steps(d))
    assert [s.node.label for s in steps] == ["d", "c", "e", "b", "a"]
    by_label = {s.node.label: s for s in steps}
    assert by_label["d"].grad == 1.0
    assert [(x.parent.label, x.local_grad, x.contribution) for x in by_label["e"].edges] == [
        ("a", -3.0, -3.0), ("b", 2.0, 2.0)]
    assert by_label["a"].edges == () and by_label["a"].grad == -3.0
    assert (a.grad, b.grad) == (0.0, 0.0)  # stepping changes no .grad


def test_backward_steps_report_a_zero_contribution_through_step() -> None:
    x = Value(1.5, label="x")
    steps = list(backward_steps(x.step() * 2))
    step_node = next(s for s in steps if s.node.op == "step")
    assert step_node.edges[0].local_grad == 0.0 and step_node.edges[0].contribution == 0.0


def test_create_graph_records_even_inside_no_grad() -> None:
    # As in PyTorch: asking for a graph of the gradient means recording it.
    x = Value(2.0)
    y = x**3
    with no_grad():
        d = grad(y, x, create_graph=True)
        assert d.parents != ()
        assert grad(d, x) == 12.0
        assert hessian(y, [x]) == [[12.0]]
        assert (x * x).parents == ()  # and no_grad still holds outside the walk


def test_backward_steps_where_no_gradient_arrives() -> None:
    # step sends nothing back, so sqrt's node gets no gradient; its local derivative at 0 does
    # not exist. backward succeeds, and so must stepping through it.
    x = Value(0.0, label="x")
    y = x.sqrt().step()
    y.backward()
    steps = {s.node.op or s.node.label: s for s in backward_steps(y)}
    assert steps["sqrt"].grad == 0.0
    (edge,) = steps["sqrt"].edges
    assert edge.contribution == 0.0 and edge.local_grad is None


def test_backward_errors_give_the_real_reason_and_name_the_node() -> None:
    x = Value(1e-200, label="x")
    y = x**-1
    y.label = "y"
    with pytest.raises(OpError, match=r"backward of y = pow\(x=1e-200, -1\): the derivative "
                                      r"overflows a float"):
        y.backward()
    z = Value(0.0, label="z")
    with pytest.raises(OpError, match=r"backward of sqrt\(z=0\): the derivative is infinite"):
        z.sqrt().backward()


def test_inner_errors_of_higher_order_gradients_are_not_hidden() -> None:
    x = Value(1e-320, label="x")
    with pytest.raises(OpError, match=r"backward of log\(x=9.99989e-321\): div\(1, x=.*\): "
                                      r"the result overflows a float"):
        grad(x.log(), x, create_graph=True)


def test_graphs_built_under_no_grad_have_nothing_to_backpropagate() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * x
    y.backward()
    assert (x.grad, y.grad) == (0.0, 1.0)


def test_an_interior_node_nothing_flows_to_is_reset_to_zero() -> None:
    x = Value(2.0)
    root = x.sqrt().step() * 3 + x  # step sends nothing back, so sqrt's node gets no gradient
    behind_step = root.parents[0].parents[0].parents[0]
    assert behind_step.op == "sqrt"
    behind_step.grad = 42.0  # a stale value from some earlier pass
    root.backward()
    assert (behind_step.grad, x.grad) == (0.0, 1.0)


def test_after_a_failed_pass_the_next_one_is_right() -> None:
    x = Value(0.0, label="x")
    w = Value(3.0, label="w")
    y = x.sqrt() * w + w * w  # w is reached before the sqrt node fails
    with pytest.raises(OpError):
        y.backward()
    assert (x.grad, w.grad) == (0.0, 0.0)
    z = w * w
    z.backward()
    assert w.grad == 6.0  # not 6 + whatever the failed pass had summed for w


def test_parents_are_the_operands_in_order_for_every_count() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    assert a.parents == ()
    assert a.exp().parents == (a,)
    assert (a * b).parents == (a, b)
    assert (a * a).parents == (a, a)
    assert ag.sum([a, b, c]).parents == (a, b, c)
    assert ag.apply("sum", a).parents == (a,)  # an n-ary op with one or two operands
    assert ag.apply("sum", b, a).parents == (b, a)
    assert ag.dot([a, b], [c, a]).parents == (a, b, c, a)
    with no_grad():
        assert (a * b).parents == () and ag.sum([a, b, c]).parents == ()


def test_n_ary_unary_and_binary_nodes_mix_in_one_backward() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    y = ag.sum([a * b, b.exp(), ag.dot([a, b], [c, c]), ag.apply("sum", c)])
    y.backward()  # y = ab + e**b + (a + b) c + c
    assert (a.grad, b.grad, c.grad) == (b.data + c.data, a.data + math.exp(2.0) + c.data,
                                        a.data + b.data + 1.0)


def test_grad_and_backward_steps_refuse_an_overflowing_gradient_too() -> None:
    x = Value(1e-320, label="x")
    y = x.log()  # d/dx = 1 / x = 1e320 overflows
    with pytest.raises(OpError, match=r"the gradient of 'x' \(a leaf, 9.99989e-321\) overflows"):
        grad(y, x)
    with pytest.raises(OpError, match="overflows"):
        list(backward_steps(y))


def test_a_users_infinity_on_an_edge_no_gradient_takes_still_turns_the_check_off() -> None:
    x = Value(0.5, label="x")
    y = x ** math.inf  # the constant exponent gets no gradient, but it is the user's infinity
    y.backward()
    assert math.isnan(x.grad)  # inf * 0.5 ** inf = inf * 0, as PyTorch gives


def test_copied_and_pickled_graphs_keep_their_n_ary_nodes() -> None:
    import copy
    import pickle

    a, b, c = Value(1.0), Value(2.0, label="b"), Value(3.0)
    y = ag.sum([a * b, ag.dot([a, b], [c, c]), c])
    for twin in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        n_ary = twin.parents[1]
        assert [p.data for p in n_ary.parents] == [1.0, 2.0, 3.0, 3.0]
        twin.backward()
        # y = ab + (a + b) c + c; the dot node's parents are a, b, c, c
        assert [p.grad for p in n_ary.parents] == [5.0, 4.0, 4.0, 4.0]
