"""Exceptions that carry a message meant for the user.

Every problem the user can fix (a missing file, a malformed catalog, an unknown CRS)
is raised as a :class:`RedlineError` subclass whose message is one line naming the
file, the feature and what is wrong. The command line prints that line and exits 2;
anything else is an internal error (exit 3).
"""

from __future__ import annotations


class RedlineError(Exception):
    """A problem with the user's input, explained in one line."""


class InputError(RedlineError):
    """A project input cannot be read or understood."""


class PackError(RedlineError):
    """A layer pack is missing, malformed or unusable."""


class RulesError(RedlineError):
    """A ruleset file is missing or malformed."""
