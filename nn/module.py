"""The Module base class: parameters found by walking attributes, modes, saving and loading.

A module keeps its parameters (Values) and its sub-modules in ordinary attributes, alone or in
lists and tuples. Nothing has to be registered: `named_parameters()` walks the attributes in the
order they were assigned and names every parameter by its dotted path.

>>> from autograd_core import Value
>>> class Line(Module):
...     def __init__(self) -> None:
...         self.w = [Value(2.0), Value(-1.0)]
...         self.b = Value(0.5)
...     def forward(self, x: list[float]) -> Value:
...         return self.w[0] * x[0] + self.w[1] * x[1] + self.b
>>> line = Line()
>>> [name for name, _ in line.named_parameters()]
['w.0', 'w.1', 'b']
>>> y = line([1.0, 3.0])
>>> y.data, y.scope
(-0.5, 'Line')
>>> line.state_dict()
{'w': [2.0, -1.0], 'b': 0.5}
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from autograd_core import Constant, Value, scope, write_file

from .checks import check_flag, finite

__all__ = ["Module", "FORMAT", "FORMAT_VERSION"]

# What `save` writes at the top of a file, so `load` can tell a model file from any other JSON
# and refuse a file written by a later, incompatible version.
FORMAT = "autograd-core.nn"
FORMAT_VERSION = 1

SomeModule = TypeVar("SomeModule", bound="Module")

# A parameter group's numbers: a float for a single Value, nested lists for lists of Values.
Numbers = Any


def _is_parameter(item: object) -> bool:
    # A Constant is a number written into an expression: it never needs a gradient.
    return isinstance(item, Value) and not isinstance(item, Constant)


def _is_group(item: object) -> bool:
    """True for a parameter, or a non-empty list or tuple (nested) holding only parameters."""
    if _is_parameter(item):
        return True
    return (isinstance(item, (list, tuple)) and len(item) > 0
            and all(_is_group(element) for element in item))


_UNSET = object()


def _members_in(item: object, path: str) -> Iterator[tuple[str, Any]]:
    """(path, member) for each Module and parameter group inside one attribute's value."""
    if isinstance(item, Module) or _is_group(item):
        yield path, item
    elif isinstance(item, (list, tuple)):  # e.g. a list of layers: each is named by its index
        for index, element in enumerate(item):
            yield from _members_in(element, f"{path}.{index}")


def _flatten(group: Any, path: str) -> Iterator[tuple[str, Value]]:
    """(dotted name, parameter) for every parameter of a group, `w.0`, `w.1`, ..."""
    if isinstance(group, Value):
        yield path, group
    else:
        for index, element in enumerate(group):
            yield from _flatten(element, f"{path}.{index}")


def _numbers(group: Any) -> Numbers:
    """A group's data: a float for a Value, a (nested) list of floats for a list of Values."""
    if isinstance(group, Value):
        return group.data
    return [_numbers(element) for element in group]


def _describe(numbers: object) -> str:
    if isinstance(numbers, list):
        return f"a list of {len(numbers)}"
    return f"{type(numbers).__name__} {numbers!r:.40}"


def _shape_problems(group: Any, numbers: object, key: str) -> list[str]:
    """What is wrong with `numbers` as the new data of `group` (nothing: an empty list)."""
    if isinstance(group, Value):
        if isinstance(numbers, bool) or not isinstance(numbers, (int, float)):
            return [f"{key}: expected a number, got {_describe(numbers)}"]
        if not finite(numbers):
            return [f"{key}: expected a finite number, got {numbers!r:.40}"]
        return []
    if not isinstance(numbers, list) or len(numbers) != len(group):
        return [f"{key}: expected a list of {len(group)}, got {_describe(numbers)}"]
    problems: list[str] = []
    for index, (element, value) in enumerate(zip(group, numbers)):
        problems += _shape_problems(element, value, f"{key}.{index}")
    return problems


def _buffer_problems(current: object, numbers: object, key: str) -> list[str]:
    """What is wrong with `numbers` as the new value of a buffer holding `current`."""
    if isinstance(current, list):
        if not isinstance(numbers, list) or len(numbers) != len(current):
            return [f"{key}: expected a list of {len(current)}, got {_describe(numbers)}"]
        return [problem for index, value in enumerate(numbers)
                for problem in _buffer_problems(0.0, value, f"{key}.{index}")]
    if isinstance(numbers, bool) or not isinstance(numbers, (int, float)) or \
            not finite(numbers):
        return [f"{key}: expected a finite number, got {_describe(numbers)}"]
    return []


def _assign(group: Any, numbers: Numbers) -> None:
    if isinstance(group, Value):
        group.data = float(numbers)
    else:
        for element, value in zip(group, numbers):
            _assign(element, value)


def _some(names: Sequence[str], limit: int = 6) -> str:
    """A comma-separated list of names, cut short (with a count) when it is long."""
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


class _Caller:
    """The module whose forward is running, and (built when first needed) its children's names."""

    __slots__ = ("module", "names")

    def __init__(self, module: Module) -> None:
        self.module = module
        self.names: dict[int, str] | None = None

    def name_of(self, child: Module) -> str | None:
        """The name this module holds `child` under, or None if it is not a child."""
        if self.names is None:  # built lazily: a Neuron calls no children, so it pays nothing
            self.names = {}
            for name, module in self.module.named_children():
                self.names.setdefault(id(module), name)
        return self.names.get(id(child))


# The module whose forward is running. A module called inside it looks up the name its caller
# holds it under (`layers.0`), so no module needs to be told its name in advance, and a module
# moved to another parent, shared, or called on its own is always named by its current caller.
_caller: ContextVar[_Caller | None] = ContextVar("nn_caller", default=None)


class Module:
    """Base class of everything in nn: subclasses set attributes and define `forward`.

    Every Value held in an attribute (alone, or in lists and tuples, nested) is a parameter,
    except Constants and the attributes named in `computed`; every Module held the same way is
    a sub-module. Other attributes (numbers, strings, settings) are ignored by the walk.
    """

    # A class default rather than an __init__ assignment, so a subclass that does not call
    # super().__init__() still has it; train() and eval() set it on each instance.
    training: bool = True
    # Attributes holding plain numbers (a float or a list of floats) that are part of the
    # model's state without being parameters, such as BatchNorm's running statistics: saved
    # and loaded with the parameters, never trained.
    buffers: tuple[str, ...] = ()
    # Attributes holding Values that forward computed and keeps to be looked at, such as
    # SelfAttention's weights: not parameters, never trained or saved.
    computed: tuple[str, ...] = ()
    # Whether forward is watched for Values it keeps in attributes: for classes written outside
    # nn. nn's own keep none (tested), and their calls are the scalar path's hot loop.
    _watched = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._watched = not cls.__module__.startswith("nn.")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run `forward`, naming the nodes it builds by the module's path (for drawings).

        A neuron's nodes in an MLP get the scope `MLP/layers.0/neurons.3`: each module enters a
        scope named as its caller holds it, and a module called on its own uses its class name.
        """
        caller = _caller.get()
        name = caller.name_of(self) if caller is not None else None
        token = _caller.set(_Caller(self))
        before = self.__dict__.copy() if self._watched else None
        try:
            with scope(name or type(self).__name__):
                output = self.forward(*args, **kwargs)
        finally:
            _caller.reset(token)
        # By identity: == on Values would be a comparison that a trace records.
        if before is not None and any(before.get(key, _UNSET) is not item
                                      for key, item in self.__dict__.items()):
            self._refuse_kept_values(before)
        return output

    def _refuse_kept_values(self, before: dict[str, Any]) -> None:
        """Refuse Values that forward stored in an attribute not named in `computed`: every
        Value in an attribute is a parameter, and one forward computed (under no_grad too,
        where it has no parents and looks like any leaf) would be trained and saved."""
        for name, item in self.__dict__.items():
            if name in self.computed or before.get(name, _UNSET) is item:
                continue
            if any(not isinstance(member, Module) for _, member in _members_in(item, name)):
                if name in before:  # the module as it was: nothing half-changed stays
                    setattr(self, name, before[name])
                else:
                    delattr(self, name)
                raise TypeError(
                    f"{type(self).__name__}.forward stored Values in `{name}`, which would make "
                    f"them parameters. Keep forward's results out of the module's attributes, "
                    f"name the attribute in the class's `computed` to keep them for looking at, "
                    f"or create parameters in __init__")

    # --- walking the tree ---------------------------------------------------------------------

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(path, member) for the direct sub-modules and parameter groups, in definition order."""
        for name, item in vars(self).items():
            if name not in self.computed:
                yield from _members_in(item, name)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-module, such as `('layers.0', Layer(...))`."""
        for path, member in self._members():
            if isinstance(member, Module):
                yield path, member

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """(dotted path, module) for this module (path "") and every module below it, once each."""
        seen = {id(self)}
        yield "", self
        yield from self._walk_modules("", seen)

    def _walk_modules(self, prefix: str, seen: set[int]) -> Iterator[tuple[str, Module]]:
        for name, child in self.named_children():
            if id(child) not in seen:  # shared modules (and cycles) are visited once
                seen.add(id(child))
                yield prefix + name, child
                yield from child._walk_modules(f"{prefix}{name}.", seen)

    def _groups(self, prefix: str = "", seen: set[int] | None = None) -> Iterator[tuple[str, Any]]:
        """(dotted path, parameter group) for the whole tree, in definition order."""
        seen = {id(self)} if seen is None else seen
        for path, member in self._members():
            if not isinstance(member, Module):
                yield prefix + path, member
            elif id(member) not in seen:
                seen.add(id(member))
                yield from member._groups(f"{prefix}{path}.", seen)

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(dotted name, parameter) for every parameter, such as `layers.0.neurons.3.w.1`.

        A parameter reachable by two paths (shared) is listed once, under the first.
        """
        seen: set[Value] = set()
        for path, group in self._groups():
            for name, parameter in _flatten(group, path):
                if parameter.op:  # trained, it would move a number forward recomputes anyway
                    raise TypeError(
                        f"{type(self).__name__}: `{name}` holds a Value computed by "
                        f"{parameter.op!r}, not a parameter (parameters are leaves). Keep "
                        f"forward's results out of the module's attributes, or name the "
                        f"attribute in the class's `computed`")
                if parameter not in seen:
                    seen.add(parameter)
                    yield name, parameter

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of `named_parameters()`."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (leaf gradients accumulate across backward calls)."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    def train(self: SomeModule, mode: bool = True) -> SomeModule:
        """Set `training` on this module and every module below it; returns self."""
        check_flag("train(): mode", mode)
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self: SomeModule) -> SomeModule:
        """Switch the whole tree to evaluation mode (`training = False`); returns self."""
        return self.train(False)

    # --- saving and loading -------------------------------------------------------------------

    def _buffer_entries(self) -> Iterator[tuple[str, Module, str]]:
        """(dotted path, module, attribute) for every buffer in the tree."""
        for prefix, module in self.named_modules():
            for name in module.buffers:
                yield (f"{prefix}.{name}" if prefix else name), module, name

    def state_dict(self) -> dict[str, Numbers]:
        """The parameters' data, one entry per attribute (`{'layers.0.neurons.0.w': [..]}`),
        then the buffers (`{'layers.1.running_mean': [..]}`)."""
        state = {path: _numbers(group) for path, group in self._groups()}
        for path, module, name in self._buffer_entries():
            value = getattr(module, name)
            state[path] = list(value) if isinstance(value, list) else value
        return state

    def load_state_dict(self, state: dict[str, Numbers]) -> None:
        """Copy `state` into the parameters; on any mismatch raise and change nothing.

        Missing and unexpected keys and entries of the wrong shape or type are all named.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict() needs a dict, got {type(state).__name__}")
        groups = dict(self._groups())
        buffers = {path: (module, name) for path, module, name in self._buffer_entries()}
        missing = [key for key in [*groups, *buffers] if key not in state]
        unexpected = [str(key) for key in state if key not in groups and key not in buffers]
        problems = []
        if missing:
            problems.append(f"missing keys: {_some(missing)}")
        if unexpected:
            problems.append(f"unexpected keys: {_some(unexpected)}")
        for key, group in groups.items():
            if key in state:
                problems += _shape_problems(group, state[key], key)
        for key, (module, name) in buffers.items():
            if key in state:
                problems += _buffer_problems(getattr(module, name), state[key], key)
        if problems:
            raise ValueError(f"cannot load this state into {type(self).__name__}: "
                             + "; ".join(problems[:8])
                             + (f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""))
        # Everything was checked first, so this cannot fail half-way.
        for key, group in groups.items():
            _assign(group, state[key])
        for key, (module, name) in buffers.items():
            value = state[key]
            setattr(module, name, [float(v) for v in value] if isinstance(value, list)
                    else float(value))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to a JSON file; the file is replaced whole or not at all."""
        state = self.state_dict()
        for name, parameter in self.named_parameters():
            if not math.isfinite(parameter.data):
                raise ValueError(f"cannot save {type(self).__name__}: parameter {name} is "
                                 f"{parameter.data}")
        text = json.dumps({"format": FORMAT, "version": FORMAT_VERSION,
                           "model": type(self).__name__, "state": state}, indent=1)
        write_file(path, text.encode("utf-8"))

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read parameters written by `save`; a corrupt or mismatched file changes nothing."""
        try:
            saved = json.loads(Path(path).read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a saved model (the file is not valid JSON: {exc})"
                             ) from None
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            raise ValueError(f"{path}: not a saved model (no \"format\": \"{FORMAT}\" entry)")
        version = saved.get("version")
        if version != FORMAT_VERSION:
            raise ValueError(f"{path}: saved in format version {version!r}, but this version "
                             f"of nn reads version {FORMAT_VERSION}")
        state = saved.get("state")
        if not isinstance(state, dict):
            raise ValueError(f"{path}: not a saved model (no \"state\" entry with parameters)")
        try:
            self.load_state_dict(state)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None

    # --- printing -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The module's settings, shown inside its repr's parentheses (empty by default)."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("]
        if extra:
            lines.append(f"  {extra}")
        for name, child in children:
            child_lines = repr(child).splitlines()
            lines.append(f"  ({name}): {child_lines[0]}")
            lines += [f"  {line}" for line in child_lines[1:]]
        lines.append(")")
        return "\n".join(lines)
