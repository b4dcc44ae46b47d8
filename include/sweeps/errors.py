"""Errors of the sweeps library (a bad sweep config is an include.errors.ConfigError)."""
from include.errors import PeakTradeError


class SweepError(PeakTradeError):
    """A sweep cannot run as planned: missing series, no valid parameter set, a grid over budget."""
