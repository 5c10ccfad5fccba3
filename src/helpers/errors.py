"""Errors a user can act on.

Each carries a message that names the file, row, column or parameter at fault.
The runner maps them to exit codes (see ``helpers.pipeline.runner.ExitCode``), also when
they are raised inside a chapter's kernel.
"""


#: How many problems an error message lists before "... and N more".
MAX_LISTED = 10


def listed(problems: list[str]) -> str:
    """Problems one per indented line, at most MAX_LISTED of them, then how many more there are."""
    more = [f"... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else []
    return "".join(f"\n  {p}" for p in [*problems[:MAX_LISTED], *more])


class ReportError(Exception):
    """Base class: a problem the user can fix, reported without a library traceback."""


class ParameterError(ReportError):
    """A chapter parameter is unknown, missing or of the wrong type or value."""


class InputDataError(ReportError):
    """An input data file (published figures, codebook, microdata) is malformed."""


class MicrodataError(InputDataError):
    """Respondent-level microdata fail validation against the codebook."""


class StatisticsInputError(ValueError, ReportError):
    """Bad arguments to a statistics helper (a count above its base, a level outside (0, 1), ...)."""
