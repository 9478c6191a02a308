"""Exceptions that repcap raises for bad input.

Every error a user can cause (an unknown model id, no network, NaN rows, a misspelt notebook
parameter, ...) is a :class:`RepcapError` with a message that says what went wrong and what to do.
The command line prints the message alone (no traceback unless ``--debug``) and exits non-zero.
"""


class RepcapError(Exception):
    """Base class: a user-facing error whose message is complete on its own."""


class ModelNotFoundError(RepcapError):
    """A model name, hub id, path or GGUF file that cannot be resolved."""


class OfflineError(RepcapError):
    """The network (or the hub) is needed but cannot be reached, and nothing is cached."""


class EmbeddingError(RepcapError):
    """A matrix that cannot be analysed: NaN/Inf rows, wrong shape or dtype, too few rows."""


class ParameterError(RepcapError):
    """A notebook parameter or profile value that is unknown or of the wrong type."""
