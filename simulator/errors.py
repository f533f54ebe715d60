"""The one error type for bad input, carrying the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input a user can fix: a scenario typo, a broken mesh, a truncated log.

    The command line prints ``str(error)`` as one line and exits non-zero, without a traceback.

    Parameters
    ----------
    message : str
        What is wrong, in plain words, ideally ending with what would be valid.
    path : str or Path, optional
        The file the problem is in.
    field : str, optional
        Dotted path of the field inside that file (``anatomy.patient.bmi``).
    """

    def __init__(self, message: str, *, path: str | Path | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.field = field

    def __str__(self) -> str:
        parts = [p for p in (self.path, self.field) if p]
        text = ": ".join([*parts, self.message])
        # one line whatever the file held: line breaks from names or values are shown escaped
        return text.replace("\r", "\\r").replace("\n", "\\n")
