"""`score: portfolio`: a sweep ranks parameter sets by one shared-cash account over its universe."""
from __future__ import annotations

import pytest

from include.backtest.portfolio import Rebalance, run_shared_cash
from include.errors import ConfigError
from include.sweeps.evaluate import Evaluator, mean_metrics, series_bars
from include.sweeps.results import best, collect
from include.sweeps.run import run_chunk
from include.sweeps.plan import plan_chunks
from tests.sweeps.support import frames, spec

PARAMS = {"fast": 10, "slow": 40, "kind": "sma", "mode": "long_only"}


def test_the_portfolio_score_is_the_shared_cash_accounts_metrics():
    sweep = spec(3, score="portfolio", rebalance={"every": 60, "drift": 0.1})
    assert sweep.rebalance.to_rebalance() == Rebalance(every=60, drift=0.1)
    bars = series_bars(sweep, frames(3))
    scored = Evaluator.for_spec(sweep, bars)(PARAMS)
    account = run_shared_cash(dict(zip(Evaluator.for_spec(sweep, bars).labels, bars, strict=True)), "sma_crossover",
                              PARAMS, sweep.costs.to_costs(), rebalance=Rebalance(every=60, drift=0.1),
                              **{"breaker": sweep.engine_settings()["breaker"]}, check_lookahead=False)
    for name in ("sharpe_ratio", "total_return", "max_drawdown"):
        assert scored[name] == pytest.approx(account.metrics[name], rel=1e-12)
    sleeves = Evaluator.for_spec(spec(3), bars)(PARAMS)
    assert scored["per_series"] == sleeves["per_series"]  # each series' own metrics either way
    assert scored["total_return"] != pytest.approx(mean_metrics(
        [m | {"n_trades": 0} for m in sleeves["per_series"].values()])["total_return"], rel=1e-6)


def test_a_portfolio_scored_grid_runs_and_ranks(tmp_path):
    sweep = spec(2, score="portfolio")
    for chunk in plan_chunks(sweep, 2):
        run_chunk(sweep, chunk, frames(2), tmp_path)
    top = best(collect(tmp_path, sweep), sweep, n=1)
    assert len(collect(tmp_path, sweep)) == 8 and top["sharpe_ratio"].notna().all()


def test_score_and_rebalance_are_checked():
    assert spec().score == "sleeves"
    with pytest.raises(ConfigError, match="score"):
        spec(score="mean")
    with pytest.raises(ConfigError, match="nothing would ever rebalance"):
        spec(score="portfolio", rebalance={"on_change": False})
    with pytest.raises(ConfigError, match="rebalance.every"):
        spec(score="portfolio", rebalance={"every": 0})
