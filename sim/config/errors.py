"""Errors in what the user gave: files, overrides, folders, addresses.

Every such error derives from :class:`InputError`. Its message is meant for the user as it is
(it names the file or option, the field, the value and what is allowed); the command line prints
it on one line and exits with code 2.
"""

from __future__ import annotations

__all__ = ["InputError", "ScenarioError", "SweepFileError", "OptionsFileError", "OutputError"]


class InputError(ValueError):
    """Something the user gave is wrong and is theirs to fix; the message says what and where."""


class ScenarioError(InputError):
    """A scenario file or a ``--set`` override is invalid."""


class SweepFileError(ScenarioError):
    """A sweep file is invalid (a scenario error too: its base is a scenario)."""


class OptionsFileError(ScenarioError):
    """An options file is invalid (a scenario error too: its base is a scenario)."""


class OutputError(InputError, OSError):
    """An output location cannot be written; the message names the path and what to do.

    A folder that cannot be created, no permission, a full disk, a file-size limit. It is an
    ``OSError`` too, as the failure it reports was, for callers that catch those.
    """
