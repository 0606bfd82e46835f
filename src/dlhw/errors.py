"""The one exception hierarchy of dlhw.

Every error a user can cause is a :class:`DlhwError` with a one-line message that says what
went wrong, where, and how to fix it. The command line prints that line (no traceback).
"""


class DlhwError(ValueError):
    """Base class: a problem with the user's input, data or configuration."""


class DataError(DlhwError):
    """A data set is missing, truncated, corrupt or fails its checksum."""


class ShapeError(DlhwError):
    """An array has the wrong shape or dtype."""


class ConfigError(DlhwError):
    """An unknown option or a hyperparameter out of its valid range."""


class DivergenceError(DlhwError):
    """Training produced NaN/inf (loss or weights); the message names the epoch and step size."""


class CheckpointError(DlhwError):
    """A checkpoint or result file is missing, corrupt or does not match the model."""


class RunLockedError(DlhwError):
    """Another process is running in the same run folder or grid (the message names its pid)."""
