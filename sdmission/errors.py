"""Exception hierarchy. Expected errors (bad input) exit 1; anything else exits 3."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SdmissionError(Exception):
    """Base class for errors the user can fix (bad input, missing file, infeasible request)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, with its location."""

    message: str
    file: Path | str | None = None
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = str(self.file) if self.file is not None else "<input>"
        if self.line is not None:
            where += f":{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class InputError(SdmissionError):
    """One or more problems in an input file; all of them are reported at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ModelError(SdmissionError):
    """A model cannot be translated, compiled or run."""


class UnsupportedFunctionError(ModelError):
    """The batch engine met a Vensim function it does not implement."""

    def __init__(self, function: str, variable: str):
        self.function = function
        self.variable = variable
        super().__init__(
            f"the batch engine does not support {function} (used by '{variable}'); "
            "run this model with --engine pysd"
        )
