"""Errors the domain library raises on bad input.

Each one carries a single message that names the bad item and says what would
be valid, so it can be shown to a user as-is (task log, DAG import error).
"""


class PeakTradeError(Exception):
    """Base class: a problem a user can fix from the message alone."""


class ConfigError(PeakTradeError):
    """The YAML config (or a trigger parameter) is invalid."""


class SourceError(PeakTradeError):
    """An exchange, simulator or file gave an answer we cannot land."""


class TransientSourceError(SourceError):
    """The exchange kept failing with transient errors; a later attempt may succeed."""


class UnknownSymbolError(SourceError):
    """A symbol the exchange does not list."""


class UnsupportedTimeframeError(SourceError):
    """A timeframe the exchange does not offer."""


class MalformedDataError(SourceError):
    """An exchange answer or file whose rows are not OHLCV candles."""


def closest(value: str, valid, n: int = 3) -> str:
    """A short 'did you mean' list for an error message."""
    import difflib

    valid = sorted(valid)
    near = difflib.get_close_matches(value, valid, n=n, cutoff=0.5)
    if near:
        return "did you mean " + ", ".join(near) + "?"
    shown = ", ".join(valid[:12])
    more = f" (and {len(valid) - 12} more)" if len(valid) > 12 else ""
    return f"valid: {shown}{more}"
