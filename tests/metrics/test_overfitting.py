"""The overfitting statistics against the paper's worked numbers, closed forms and simulated sweeps."""
from __future__ import annotations

import math
from math import comb

import numpy as np
import pytest
from scipy import stats

from include.metrics.overfitting import (cscv_splits, deflate, deflated_sharpe_ratio, expected_max_sharpe,
                                         per_period_sharpe, per_period_sharpes, probabilistic_sharpe_ratio,
                                         probability_of_backtest_overfitting)

# Bailey, D. H. and M. Lopez de Prado (2014), "The Deflated Sharpe Ratio: Correcting for Selection Bias,
# Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5), 94-107, section
# "A numerical example": the best of N = 100 trials has an annualised SR of 2.5 over five years of
# daily returns (T = 1250, 250 a year), the trials' annualised SRs have variance V = 1/2, its returns
# skewness -3 and kurtosis 10 (non-excess); the paper finds SR0 = 0.1132 (per day) and DSR = 0.9004.
# (The paper's own text is not in this project's reference store; the figures are those the issue
# quotes from it, and they are what the formulas give to the published 4 decimals.)
PAPER = dict(sharpe=2.5 / math.sqrt(250), n_obs=1250, skewness=-3.0, kurtosis=10.0, n_trials=100,
             variance=0.5 / 250)


def test_the_deflated_sharpe_ratio_reproduces_the_papers_numerical_example():
    assert round(expected_max_sharpe(PAPER["n_trials"], PAPER["variance"]), 4) == 0.1132
    assert round(deflated_sharpe_ratio(**PAPER), 4) == 0.9004


def test_the_expected_maximum_matches_simulated_maxima_of_normal_sharpe_ratios():
    # the approximation is of E[max of N iid N(0, V)]; 20,000 draws of the max of 100 hold it to ~1 %
    rng = np.random.default_rng(7)
    simulated = rng.normal(0, math.sqrt(0.002), size=(20_000, 100)).max(axis=1).mean()
    assert expected_max_sharpe(100, 0.002) == pytest.approx(simulated, rel=0.02)
    assert expected_max_sharpe(1, 0.002) == 0.0
    assert expected_max_sharpe(1000, 0.0) == 0.0


def test_the_psr_is_the_normal_cdf_of_the_standardised_sharpe_gap():
    rng = np.random.default_rng(1)
    r = rng.standard_t(5, 500) * 0.01 + 0.001
    sr = r.mean() / r.std(ddof=1)
    g3, g4 = stats.skew(r), stats.kurtosis(r, fisher=False)
    sigma = math.sqrt((1 - g3 * sr + (g4 - 1) / 4 * sr**2) / (len(r) - 1))
    for benchmark in (0.0, 0.05, -0.02):
        assert probabilistic_sharpe_ratio(sr, benchmark, len(r), g3, g4) == pytest.approx(
            stats.norm.cdf((sr - benchmark) / sigma), abs=1e-12)
    # normal returns (g3 0, g4 3): the standard error is sqrt((1 + SR^2 / 2) / (T - 1)) (Lo, 2002)
    assert probabilistic_sharpe_ratio(0.1, 0.0, 251, 0.0, 3.0) == pytest.approx(
        stats.norm.cdf(0.1 / math.sqrt((1 + 0.005) / 250)), abs=1e-12)
    assert math.isnan(probabilistic_sharpe_ratio(math.nan, 0.0, 100, 0.0, 3.0))
    assert math.isnan(probabilistic_sharpe_ratio(0.1, 0.0, 1, 0.0, 3.0))


def test_deflate_takes_moments_of_the_chosen_returns_and_the_spread_of_all_trials():
    rng = np.random.default_rng(2)
    trials = rng.normal(0.0005, 0.01, size=(400, 30))
    sharpes = per_period_sharpes(trials)
    assert sharpes[4] == pytest.approx(per_period_sharpe(trials[:, 4]), abs=1e-12)
    d = deflate(trials[:, 4], sharpes)
    assert (d.n_trials, d.n_obs) == (30, 400)
    assert d.kurtosis == pytest.approx(stats.kurtosis(trials[:, 4], fisher=False), abs=1e-9)
    assert d.sharpe_variance == pytest.approx(np.var(sharpes, ddof=1), abs=1e-15)
    assert d.dsr == pytest.approx(deflated_sharpe_ratio(d.sharpe, 400, d.skewness, d.kurtosis, 30,
                                                        d.sharpe_variance), abs=1e-12)
    assert d.dsr < d.psr  # the search costs confidence
    flat = per_period_sharpes(np.zeros((10, 2)))
    assert np.isnan(flat).all()


def test_cscv_has_every_half_once_and_each_complement_is_a_combination():
    for blocks in (2, 4, 8, 16):
        splits = cscv_splits(blocks)
        assert len(splits) == comb(blocks, blocks // 2) == len(set(splits))
        every = set(range(blocks))
        assert {tuple(sorted(every - set(s))) for s in splits} == set(splits)
        # lexicographic order puts each combination's complement at the mirrored position
        assert all(tuple(sorted(every - set(s))) == splits[-1 - i] for i, s in enumerate(splits))
    assert len(cscv_splits(16)) == 12_870
    with pytest.raises(ValueError, match="even number of blocks"):
        cscv_splits(5)


def test_pbo_is_near_one_when_the_grid_is_noise_without_memory_of_a_winner():
    # 50 no-skill strategies whose sample mean is exactly zero (the paper's overfit case): whatever wins
    # in sample owes it to the days it saw, and loses the same sum on the others
    rng = np.random.default_rng(11)
    noise = rng.normal(0, 0.01, size=(730, 50))
    noise -= noise.mean(axis=0)
    result = probability_of_backtest_overfitting(noise, 16)
    assert result.n_combinations == 12_870 == len(result.logits)
    assert result.pbo > 0.95


def test_pbo_of_iid_noise_is_a_coin_flip_and_a_planted_edge_is_near_zero():
    rng = np.random.default_rng(12)
    noise = rng.normal(0, 0.01, size=(730, 50))
    logits = [probability_of_backtest_overfitting(noise[:, k:k + 25], 8).pbo for k in (0, 25)]
    assert all(0.15 < p < 0.85 for p in logits)  # in-sample luck says nothing either way
    edge = noise.copy()
    edge[:, 17] += 0.002  # one parameter set with a true daily Sharpe of 0.2
    assert probability_of_backtest_overfitting(edge, 16).pbo < 0.05


def test_the_pbo_needs_a_matrix_two_trials_and_a_day_per_block():
    with pytest.raises(ValueError, match="T x N"):
        probability_of_backtest_overfitting(np.zeros(20))
    with pytest.raises(ValueError, match="at least 2"):
        probability_of_backtest_overfitting(np.zeros((40, 1)))
    with pytest.raises(ValueError, match="cannot fill 16 blocks"):
        probability_of_backtest_overfitting(np.zeros((10, 3)))
