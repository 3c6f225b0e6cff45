"""Checking backprop worked by hand: programs parsed safely, answers judged, the chain rule
explained, and the course's exercise bank as worksheets.

It builds on the engine and nothing else of this project: `parse.py` turns program text into
labelled Values, `check.py` judges answers and explains the chain rule, `exercises.py` holds the
exercise bank and reads worksheets, `grading.py` adds points, a required precision and the
graders' formats, `students.py` draws each student's own numbers from a worksheet's ranges.
"""

from .check import AnswerRow, CheckReport, Explanation, check, explain
from .exercises import (
    EXERCISES,
    Exercise,
    WorksheetError,
    check_worksheet,
    student_worksheet,
    worksheet,
)
from .parse import ExpressionError, Program, parse, parse_program

__all__ = ["parse", "parse_program", "Program", "ExpressionError", "check", "explain",
           "CheckReport", "AnswerRow", "Explanation", "EXERCISES", "Exercise", "worksheet",
           "check_worksheet", "student_worksheet", "WorksheetError"]
