"""The live training view: `TrainingView` (view.py, the widget and fit callback), what it shows
at each step in numbers (state.py) and as pictures (picture.py), and its front end (view.js)."""

from .state import NotDrawable, State
from .view import TrainingView

__all__ = ["TrainingView", "State", "NotDrawable"]
