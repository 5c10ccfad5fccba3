"""Latent groups, importable where issue 4 promised them; they live in :mod:`helpers.stats.groups`."""

from helpers.stats.groups import *  # noqa: F403
from helpers.stats.groups import __all__  # noqa: F401
