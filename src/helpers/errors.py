"""Errors a user can act on.

Each carries a message that names the file, row, column or parameter at fault.
The runner maps them to exit codes (see ``helpers.pipeline.runner.ExitCode``), also when
they are raised inside a chapter's kernel.
"""


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
