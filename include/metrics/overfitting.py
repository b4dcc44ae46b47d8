"""How likely a sweep's best is luck: the probabilistic and deflated Sharpe ratios and the PBO.

Definitions: docs/definitions.md, "Overfitting odds". Papers:
- Bailey, D. H. and M. Lopez de Prado (2012), "The Sharpe Ratio Efficient Frontier",
  Journal of Risk 15(2): the probabilistic Sharpe ratio (PSR).
- Bailey, D. H. and M. Lopez de Prado (2014), "The Deflated Sharpe Ratio: Correcting for
  Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management
  40(5), 94-107: the expected maximum Sharpe ratio of N trials and the deflated Sharpe ratio (DSR).
- Bailey, D. H., J. M. Borwein, M. Lopez de Prado and Q. J. Zhu (2015), "The Probability of
  Backtest Overfitting", Journal of Computational Finance 20(4): combinatorially symmetric
  cross-validation (CSCV) and the probability of backtest overfitting (PBO).

Every Sharpe ratio here is PER PERIOD (mean / sample standard deviation of the returns, not
annualised): the PSR's standard error mixes SR with the skewness and kurtosis of the same
periods, so it is only right in per-period units. Kurtosis is NON-excess (a normal has 3).
Pure numpy / scipy; no pandas.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from include.metrics import risk

EULER_GAMMA = 0.5772156649015329  # the Euler-Mascheroni constant of the expected maximum
PBO_BLOCKS = 16                     # S of CSCV; the paper's example uses 16
MAX_BATCH_CELLS = 250_000           # combinations x trials per vectorised CSCV step (bounds memory)


def per_period_sharpe(returns) -> float:
    """mean / sample std (ddof 1) of the returns, NaN with < 2 returns or a constant series."""
    return risk.sharpe_ratio(returns, 1.0)


def per_period_sharpes(returns) -> np.ndarray:
    """per_period_sharpe of each column of a T x N matrix (vectorised; NaN where undefined)."""
    m = np.asarray(returns, dtype=float)
    if m.shape[0] < 2:
        return np.full(m.shape[1], math.nan)
    mean, sd = m.mean(axis=0), m.std(axis=0, ddof=1)
    constant = (m == m[0]).all(axis=0)  # as risk.sharpe_ratio: a constant series has no Sharpe ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(constant | (sd == 0), math.nan, mean / sd)


def probabilistic_sharpe_ratio(sharpe: float, benchmark: float, n_obs: int, skewness: float,
                               kurtosis: float) -> float:
    """PSR(SR*) = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2)).

    Per-period SR and SR*, T returns, g3 skewness, g4 NON-excess kurtosis. NaN when an input is
    undefined, T < 2, or the variance term is not positive (moments no distribution has)."""
    values = (sharpe, benchmark, skewness, kurtosis)
    if n_obs < 2 or not all(math.isfinite(v) for v in values):
        return math.nan
    spread = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if spread <= 0:
        return math.nan
    return float(norm.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(spread)))


def expected_max_sharpe(n_trials: int, variance: float, mean: float = 0.0) -> float:
    """E[max of N Sharpe ratios] ~ mean + sqrt(V) ((1 - g) Z^-1(1 - 1/N) + g Z^-1(1 - 1/(N e))).

    g: Euler-Mascheroni; Z^-1: the standard normal quantile; V: the variance of the N trials'
    Sharpe ratios (their units, per period here); mean 0 is the paper's null of no skill.
    One trial has no selection to correct: its expected maximum is the mean."""
    if n_trials < 1:
        raise ValueError(f"n_trials = {n_trials}: the expected maximum needs at least one trial")
    if not math.isfinite(variance) or variance < 0:
        return math.nan
    if n_trials == 1:
        return mean
    z = (1 - EULER_GAMMA) * norm.ppf(1 - 1 / n_trials) + EULER_GAMMA * norm.ppf(1 - 1 / (n_trials * math.e))
    return float(mean + math.sqrt(variance) * z)


def deflated_sharpe_ratio(sharpe: float, n_obs: int, skewness: float, kurtosis: float, n_trials: int,
                          variance: float) -> float:
    """DSR = PSR(SR0) with SR0 = expected_max_sharpe(N, V): the probability that the best of N
    trials has a true Sharpe ratio above zero once the selection among N is accounted for."""
    return probabilistic_sharpe_ratio(sharpe, expected_max_sharpe(n_trials, variance), n_obs, skewness, kurtosis)


@dataclass(frozen=True)
class Deflation:
    """The DSR of a chosen trial and its inputs; Sharpe figures per period."""

    sharpe: float               # the chosen trial's per-period Sharpe ratio
    n_obs: int                  # T: its returns
    skewness: float
    kurtosis: float             # non-excess
    n_trials: int               # N: every trial of the search
    sharpe_variance: float      # V: sample variance (ddof 1) of the trials' defined Sharpe ratios
    expected_max_sharpe: float  # SR0
    psr: float                  # PSR(0): no correction for the search
    dsr: float                  # PSR(SR0)


def deflate(chosen_returns, trial_sharpes) -> Deflation:
    """The DSR of the trial whose returns are `chosen_returns` among trials with `trial_sharpes`
    (per period, one per trial including the chosen one; NaN for a trial whose Sharpe is undefined,
    which counts in N but not in V)."""
    r = np.asarray(chosen_returns, dtype=float)
    r = r[np.isfinite(r)]
    sharpes = np.asarray(trial_sharpes, dtype=float)
    defined = sharpes[np.isfinite(sharpes)]
    n_trials = len(sharpes)
    variance = float(np.var(defined, ddof=1)) if len(defined) >= 2 else (0.0 if n_trials == 1 else math.nan)
    sharpe = per_period_sharpe(r)
    skewness, kurtosis = risk.skewness(r), risk.excess_kurtosis(r) + 3.0
    benchmark = expected_max_sharpe(n_trials, variance) if n_trials else math.nan
    return Deflation(sharpe=sharpe, n_obs=len(r), skewness=skewness, kurtosis=kurtosis, n_trials=n_trials,
                     sharpe_variance=variance, expected_max_sharpe=benchmark,
                     psr=probabilistic_sharpe_ratio(sharpe, 0.0, len(r), skewness, kurtosis),
                     dsr=probabilistic_sharpe_ratio(sharpe, benchmark, len(r), skewness, kurtosis))


# ---- the probability of backtest overfitting (CSCV) ---------------------------------------------

def cscv_splits(n_blocks: int) -> list[tuple[int, ...]]:
    """The in-sample blocks of every CSCV combination: all C(S, S/2) halves of range(S), in
    lexicographic order; each combination's out-of-sample set is the complement, itself a combination."""
    if n_blocks < 2 or n_blocks % 2:
        raise ValueError(f"n_blocks = {n_blocks}: CSCV needs an even number of blocks, at least 2 (e.g. 16)")
    return list(combinations(range(n_blocks), n_blocks // 2))


@dataclass(frozen=True)
class Overfitting:
    """pbo: the share of combinations whose in-sample best ranks at or below the out-of-sample
    median (logit <= 0); logits: one per combination; n_combinations = C(S, S/2)."""

    pbo: float
    logits: np.ndarray
    n_combinations: int
    n_blocks: int
    n_obs: int  # returns used: T less the T mod S oldest


def enough_for_pbo(n_obs: int, n_blocks: int) -> bool:
    """Whether n_obs periods fill n_blocks blocks with at least two returns in each half."""
    return n_obs // n_blocks >= 1 and n_obs // n_blocks * (n_blocks // 2) >= 2


def probability_of_backtest_overfitting(returns, n_blocks: int = PBO_BLOCKS) -> Overfitting:
    """CSCV on a T x N matrix (T periods, N trials) of per-period returns.

    The rows are cut into S equal blocks in time order (the T mod S oldest rows dropped). For each
    of the C(S, S/2) combinations: in sample = its S/2 blocks, out of sample = the others; each
    trial's performance is its per-period Sharpe ratio on the set (0 where the set's returns do not
    vary); n* = the in-sample best (the first on a tie); w = its out-of-sample rank (1 = worst, ties
    averaged) / (N + 1); logit = ln(w / (1 - w)). PBO = the share of logits <= 0."""
    m = np.asarray(returns, dtype=float)
    if m.ndim != 2:
        raise ValueError(f"returns has shape {m.shape}: give a T x N matrix (periods x trials)")
    splits = cscv_splits(n_blocks)
    n_obs, n_trials = m.shape
    if n_trials < 2:
        raise ValueError(f"{n_trials} trial(s): the PBO ranks trials against each other, it needs at least 2")
    size = n_obs // n_blocks
    if not enough_for_pbo(n_obs, n_blocks):
        raise ValueError(f"{n_obs} periods cannot fill {n_blocks} blocks; the PBO needs at least one per block "
                         "and two per half")
    m = np.nan_to_num(m[n_obs - size * n_blocks:], nan=0.0)  # a missing return is no gain and no loss
    blocks = m.reshape(n_blocks, size, n_trials)
    sums, squares = blocks.sum(axis=1), (blocks**2).sum(axis=1)  # S x N
    total_sum, total_squares = sums.sum(axis=0), squares.sum(axis=0)
    half = size * (n_blocks // 2)  # returns in each half
    members = np.zeros((len(splits), n_blocks))  # C x S indicators: a half's sums = members @ block sums
    for row, split in enumerate(splits):
        members[row, list(split)] = 1.0
    # Symmetry: combination C-1-i is the complement of combination i (lexicographic order), so one
    # pair of Sharpe ratio arrays serves both: i's in-sample set is the other's out-of-sample set.
    count = len(splits)
    logits = np.empty(count)
    step = max(1, MAX_BATCH_CELLS // n_trials)
    with threadpool_limits(limits=1, user_api="blas"):  # 16-row products: BLAS threads only contend
        for first in range(0, count // 2, step):
            rows = np.arange(first, min(first + step, count // 2))
            in_sum, in_squares = members[rows] @ sums, members[rows] @ squares
            one = _sharpe(in_sum, in_squares, half)
            other = _sharpe(total_sum - in_sum, total_squares - in_squares, half)
            logits[rows] = _logits(one, other)
            logits[count - 1 - rows] = _logits(other, one)
    return Overfitting(pbo=float(np.mean(logits <= 0)), logits=logits, n_combinations=len(splits),
                       n_blocks=n_blocks, n_obs=size * n_blocks)


def _logits(in_sample: np.ndarray, out_of_sample: np.ndarray) -> np.ndarray:
    """Per row (a combination): the logit of the in-sample best's relative out-of-sample rank."""
    best = np.argmax(in_sample, axis=1)
    theirs = out_of_sample[np.arange(len(best)), best][:, None]
    rank = (out_of_sample < theirs).sum(axis=1) + ((out_of_sample == theirs).sum(axis=1) + 1) / 2
    w = rank / (out_of_sample.shape[1] + 1)
    return np.log(w / (1 - w))


def _sharpe(sums: np.ndarray, squares: np.ndarray, n: int) -> np.ndarray:
    """A monotone transform of the per-period Sharpe ratios of n returns from their sums and sums of
    squares: sum / sqrt(n sum_sq - sum^2) = SR / sqrt(n (n - 1)). Every trial of one half has the same
    n, so it ranks and picks the best exactly as SR does; 0 where the returns do not vary. In place
    where it can: this is the CSCV's inner loop."""
    spread = squares * n
    square = np.multiply(sums, sums)
    spread -= square
    np.multiply(squares, 1e-12 * n, out=square)
    flat = spread <= square  # zero up to rounding: a flat or constant set
    np.sqrt(spread, out=spread, where=~flat)
    return np.divide(sums, spread, out=np.zeros_like(sums), where=~flat)
