"""Survey weights, importable where issue 4 promised them; they live in :mod:`helpers.stats.weights`."""

from helpers.stats.weights import *  # noqa: F403
from helpers.stats.weights import __all__  # noqa: F401
