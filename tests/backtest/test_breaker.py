"""The drawdown circuit breaker on hand-made paths: levels, halving, the halt and the recovery rule."""
from __future__ import annotations

import ast
import re

import pytest
import yaml

from include.backtest import Breaker
from include.backtest.breaker import ACTIONS
from tests.backtest.support import candles, run_scripted
from tests.conftest import REPO

#           bar:   0    1    2    3    4    5    6    7    8    9   10   11
HALT_OPENS = [100, 100, 100, 96, 94, 89, 84, 70, 70, 70, 70, 71]
HALT_CLOSES = [100, 100, 96, 94, 89, 84, 70, 70, 70, 70, 70, 72]


def test_levels_up_to_the_halt_and_the_resume():
    """Long 100 units from bar 1. Closes 96 (4 %), 94 (6 %: warn), 89 (11 %: halve -> sell 50 at bar 5's open
    89), 84 (8,650: 13.5 %), 70 (7,950: 20.5 %: halt -> sell 50 at bar 7's open 70). Flat for 3 bars, then
    the peak resets to 7,950 and the position is re-entered at bar 10's open."""
    frame = candles(HALT_CLOSES, HALT_OPENS, target=[1] * 12)
    result = run_scripted(frame, breaker=Breaker(halt_bars=3))

    events = result.events
    assert events["bar"].tolist() == [3, 4, 6, 9]
    assert events["level"].tolist() == [1, 2, 3, 0]
    assert events["previous_level"].tolist() == [0, 1, 2, 3]
    assert events["action"].tolist() == ["warn", "halve", "halt", "normal"]
    assert events["drawdown"].tolist() == pytest.approx([0.06, 0.11, 0.205, 0.205])
    assert events["ts"].iloc[0] == frame["ts"].iloc[3]

    units_after = 7_950 / 70
    expected = [10_000, 10_000, 9_600, 9_400, 8_900, 8_650, 7_950, 7_950, 7_950, 7_950, 7_950,
                7_950 + units_after * 2]
    assert result.equity.tolist() == pytest.approx(expected)

    first, second = result.trades.iloc[0], result.trades.iloc[1]
    assert (first.entry_bar, first.exit_bar, first.exit_reason) == (1, 7, "breaker")
    assert first.qty == 100 and first.pnl == pytest.approx(-2_050)
    assert first.exit_price == pytest.approx((50 * 89 + 50 * 70) / 100)
    assert (second.entry_bar, second.exit_reason, second.qty) == (10, "open", pytest.approx(units_after))
    assert result.positions.iloc[7:10].tolist() == [0, 0, 0]


def test_levels_come_down_and_the_size_comes_back():
    """11 % at bar 2 (straight to level 2: 50 units at bar 3's open 89); back to 9 % at bar 3 (level 1: full
    size again at bar 4's open 93, 9,100 / 93 units); under 5 % at bar 5 (level 0)."""
    closes = [100, 100, 89, 93, 97, 99]
    opens = [100, 100, 100, 89, 93, 97]
    result = run_scripted(candles(closes, opens, target=[1] * 6), breaker=Breaker())
    assert result.events["bar"].tolist() == [2, 3, 5]
    assert list(zip(result.events["previous_level"], result.events["level"])) == [(0, 2), (2, 1), (1, 0)]
    units = 9_100 / 93
    assert result.equity.tolist() == pytest.approx([10_000, 10_000, 8_900, 9_100, units * 97, units * 99])
    trade = result.trades.iloc[0]
    assert len(result.trades) == 1 and trade.qty == 100
    assert trade.entry_price == pytest.approx((100 * 100 + (units - 50) * 93) / (100 + units - 50))


def test_default_halt_lasts_one_day_of_bars():
    closes = [100, 100, 80] + [80] * 1445
    frame = candles(closes, target=[1] * len(closes))
    result = run_scripted(frame, breaker=Breaker())
    halt, resume = result.events.iloc[0], result.events.iloc[1]
    assert (halt.bar, halt.level, resume.level) == (2, 3, 0)
    assert resume.bar - halt.bar == 1440
    assert result.trades["entry_bar"].tolist() == [1, 1443]


def test_no_breaker_means_no_events():
    frame = candles(HALT_CLOSES, HALT_OPENS, target=[1] * 12)
    result = run_scripted(frame, breaker=None)
    assert result.events.empty
    assert result.equity.iloc[-1] == pytest.approx(7_200)


def test_the_warehouse_breaker_levels_are_the_engines_defaults():
    """fct_portfolio_daily labels drawdowns with var breaker_levels (and a fallback of its own):
    both must be Breaker()'s levels, keyed by the level's action, so the reports and the engine agree."""
    engine = {action: getattr(Breaker(), action) for action in ACTIONS[1:]}
    project = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text())
    assert project["vars"]["breaker_levels"] == engine
    model = (REPO / "dbt" / "models" / "marts" / "fct_portfolio_daily.sql").read_text()
    fallback = re.search(r"var\('breaker_levels',\s*(\{[^}]*\})\)", model)
    assert fallback is not None, "fct_portfolio_daily.sql no longer reads var('breaker_levels', {...})"
    assert ast.literal_eval(fallback.group(1)) == engine
