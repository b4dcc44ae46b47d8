"""Errors of the execution package; each message names the order or item and what would be valid."""
from include.errors import PeakTradeError


class ExecutionError(PeakTradeError):
    """Base class of execution errors."""


class OrderError(ExecutionError):
    """An order intent or market description is invalid."""


class IllegalTransition(ExecutionError):
    """An order status change the state machine does not allow."""


class LedgerError(ExecutionError):
    """The ledger cannot record or answer what was asked."""


class ReconciliationError(ExecutionError):
    """Reconciliation with the broker could not complete: trading must not proceed."""
