"""The argument checks nn shares (nn/checks.py), and the public names fit's package keeps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import nn
from nn import checks


@pytest.mark.parametrize(("bounds", "x", "message"), [
    ({}, -0.1, "lr must be a finite number >= 0, got -0.1"),
    ({}, math.inf, "lr must be a finite number >= 0, got inf"),
    ({"low_open": True}, 0, "lr must be a finite number > 0, got 0"),
    ({"low": -math.inf}, math.nan, "lr must be a finite number, got nan"),
    ({"high": 1}, 1.5, r"lr must be in \[0, 1\], got 1.5"),
    ({"high": 1, "high_open": True}, 1.0, r"lr must be in \[0, 1\), got 1.0"),
    ({"high": 1, "low_open": True}, 0.0, r"lr must be in \(0, 1\], got 0.0"),
    ({"low": -math.inf, "high": 2}, 3, r"lr must be in \(-inf, 2\], got 3"),
])
def test_a_number_out_of_range_is_named_with_its_range(bounds: dict[str, Any], x: float,
                                                       message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        checks.check_real("lr", x, **bounds)


@pytest.mark.parametrize(("check", "x", "message"), [
    (checks.check_real, "0.1", "x must be a number, got str: '0.1'"),
    (checks.check_real, True, "x must be a number, got bool: True"),
    (checks.check_int, 2.0, "x must be an int, got float: 2.0"),
    (checks.check_int, False, "x must be an int, got bool: False"),
    (checks.check_flag, 1, "x must be True or False, got int: 1"),
])
def test_a_wrong_type_is_named_with_what_was_given(check: Any, x: object, message: str) -> None:
    with pytest.raises(TypeError, match=f"^{message}$"):
        check("x", x)


def test_the_checks_return_what_they_checked() -> None:
    assert checks.check_real("p", 1, 0, 1) == 1.0 and isinstance(checks.check_real("p", 1), float)
    assert checks.check_real("p", np.float64(0.5), 0, 1) == 0.5
    assert checks.check_int("n", 3, 3) == 3
    with pytest.raises(ValueError, match=r"^n must be at least 4, got 3$"):
        checks.check_int("n", 3, 4)
    assert checks.check_flag("f", False) is False
    assert checks.check_choice("loss", "mse", {"mse": 1}) == "mse"


def test_a_sequence_is_a_list_a_tuple_or_an_array_but_never_a_string() -> None:
    assert all(checks.is_sequence(x) for x in ([1.0], (1.0,), np.zeros(2), []))
    assert not any(checks.is_sequence(x) for x in ("ab", b"ab", 1.0, None, {1.0}))


def test_the_training_package_keeps_every_public_name() -> None:
    from nn.training import (  # the names nn.training had as a module
        LOSSES,
        EarlyStopping,
        History,
        MeanLoss,
        StopTraining,
        accuracy,
        fit,
        predict,
    )

    assert (fit, accuracy, predict) == (nn.fit, nn.accuracy, nn.predict)
    assert (History, EarlyStopping, StopTraining) == (nn.History, nn.EarlyStopping,
                                                      nn.StopTraining)
    assert MeanLoss is nn.MeanLoss is nn.losses.MeanLoss
    assert LOSSES is nn.losses.LOSSES and LOSSES["hinge"] is nn.losses.hinge
    assert set(nn.training.__all__) == {"fit", "accuracy", "predict", "History", "MeanLoss",
                                        "EarlyStopping", "StopTraining", "LOSSES",
                                        "Run", "fit_in_background", "Background"}
