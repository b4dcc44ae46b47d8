"""How the simulation's helpers are compiled.

`borrowing`: njit(cache=True) without Numba's reference counting (_nrt=False), for the helpers
that only read and write arrays their caller owns (the account vector, the trade buffer, the
breaker's state) and never allocate or keep one. Counting references there is pure cost: Numba
wraps every array argument of every call in two atomic refcount calls, measured at ~150 ns for a
five-array call on the benchmark machine, which made each trade cost about a microsecond and the
whole simulation several times slower than its arithmetic. A body that would need the counting
(an allocation) does not compile under the flag (a TypingError), so it cannot hide a leak.
"""
from __future__ import annotations

from numba import njit


def borrowing(function):
    return njit(cache=True, _nrt=False)(function)
