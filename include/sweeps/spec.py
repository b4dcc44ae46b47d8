"""SweepSpec: the YAML block that describes one parameter sweep, validated with pydantic.

    name: sma_btc
    strategy: sma_crossover
    universe: [{exchange: kraken, symbol: BTC/USD}]
    timeframe: 1h
    start: 2023-03-01          # optional data window [start, end); or a look-back before end: 365d
    end: 2023-03-21            # omitted: the last complete bar at the run's reference time (resolve())
    params:                    # optional per-param overrides of the strategy's declared space
      fast: {low: 5, high: 30, step: 5}
      slow: [40, 60, 100]      # a list = choices
      kind: sma                # a scalar = fixed
    method: tpe                # grid | random | tpe | nsga2 | walk_forward
    objective: sharpe_ratio    # or {sharpe_ratio: maximize}
    budget: 200                # trials (random / tpe / nsga2); the cap on the grid's size (grid)
    chunk_size: 20
    seed: 7
    costs: {taker_bps: 10, maker_bps: 2, slippage_bps: 2}
    sizing: {method: kelly, kelly_fraction: 0.25}    # include.backtest.Sizing fields; default fixed 100 %
    exits: {stop_loss: 0.05, trail_atr_mult: 3}      # include.backtest.Exits fields; default none
    breaker: {warn: 0.05, halve: 0.10, halt: 0.15}   # include.backtest.Breaker fields; null = off
    score: portfolio           # optional: one shared-cash account (default sleeves: the mean per series)
    rebalance: {every: 1d, drift: 0.05}              # the portfolio score's rebalancing (default: on change)

nsga2 takes `objectives` (two or more) instead of `objective`; walk_forward takes a
`walk_forward` block (scheme rolling or cpcv) and needs `start`. A spec whose window is
relative to the run is made absolute by `resolve(reference)` before it is planned.
parse_spec turns every problem into one line of a ConfigError naming the key and what
is valid.

This module checks shape and imports neither the strategies nor the backtest engine, so
DAG files can check sweeps at parse time without Numba or Optuna (`strategies=False`).
The checks against the strategy (its name, param overrides, grid size) and the engine's
settings (sizing, exits, breaker) live in include/sweeps/strategy_checks.py, imported
only when a spec is validated with `strategies=True`, the default.
"""
from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from include.errors import ConfigError
from include.strict import Strict, describe_validation_errors
from include.sweeps.folds import Fold, cpcv_folds, cpcv_size_problem, walk_forward_folds
from include.sweeps.windows import LOOKBACK_FORMS, SPAN_FORMS, duration, resolve_window, span, span_bars, span_time
from include.timeframes import timeframe_ms

if TYPE_CHECKING:
    from include.backtest.config import Costs
    from include.strategies import Strategy
    from include.sweeps.space import Dimension

# Metrics a sweep can optimise (every run_backtest computes them), with the direction that is better.
METRICS = {
    "sharpe_ratio": "maximize",
    "sortino_ratio": "maximize",
    "calmar_ratio": "maximize",
    "annual_return": "maximize",
    "total_return": "maximize",
    "max_drawdown": "maximize",  # a negative fraction: maximising it prefers shallower drawdowns
    "annual_volatility": "minimize",
}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
MAX_CPCV_SPLITS = 100  # each split is one Airflow task
DATE_FORMS = "a date or datetime (2023-03-01, 2023-03-01T12:00Z)"


def with_strategies(info: ValidationInfo) -> bool:
    """Whether this validation checks against the strategies and the engine (parse_spec's `strategies`)."""
    return (info.context or {}).get("strategies", True)


class SeriesRef(Strict):
    """One series of the universe (its bars come from the frames given to run_chunk)."""

    exchange: str
    symbol: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.exchange, self.symbol)


class Objective(Strict):
    """A metric and its direction; YAML may say `sharpe_ratio` or `{sharpe_ratio: maximize}`."""

    metric: str
    direction: Literal["maximize", "minimize"]

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value):
        if isinstance(value, str):
            return {"metric": value, "direction": METRICS.get(value, "maximize")}
        if isinstance(value, dict) and len(value) == 1 and "metric" not in value:
            (metric, direction), = value.items()
            return {"metric": metric, "direction": direction}
        return value

    @field_validator("metric")
    @classmethod
    def _known(cls, metric: str) -> str:
        if metric not in METRICS:
            raise ValueError(f"{metric!r} is not a sweep metric; valid: {', '.join(METRICS)}")
        return metric

    @model_validator(mode="after")
    def _drawdown_up(self):
        if self.metric == "max_drawdown" and self.direction == "minimize":
            raise ValueError("max_drawdown is a negative fraction (-0.2 = 20 % below the peak): "
                             "maximize it to prefer shallower drawdowns")
        return self


class ParamOverride(Strict):
    """Exactly one of: a fixed `value`, a list of `choices`, or a narrower low / high / step."""

    value: Any = None
    low: int | float | None = None  # int first: an int param's bounds stay ints in messages
    high: int | float | None = None
    step: int | float | None = Field(default=None, gt=0)
    choices: list[Any] | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value):
        if isinstance(value, list):
            return {"choices": value}
        if not isinstance(value, dict):
            return {"value": value}
        return value

    @model_validator(mode="after")
    def _one_form(self):
        forms = [self.value is not None, self.choices is not None,
                 any(v is not None for v in (self.low, self.high, self.step))]
        if sum(forms) != 1:
            raise ValueError("give exactly one of: a fixed value, choices, or low/high/step")
        return self


class CostsSpec(Strict):
    """Fees in basis points of traded notional and slippage (include.backtest.Costs)."""

    taker_bps: float = Field(default=10.0, ge=0)
    maker_bps: float = Field(default=2.0, ge=0)
    fee_side: Literal["taker", "maker"] = "taker"
    slippage_bps: float = Field(default=2.0, ge=0)
    slippage_vol_k: float = Field(default=0.5, ge=0)

    def to_costs(self) -> Costs:
        from include.backtest.config import Costs

        return Costs(**self.model_dump())


class WalkForwardSpec(Strict):
    """Optimise in sample, test the chosen params out of sample, fold by fold (folds.py).

    scheme rolling: in_sample, out_of_sample, step (default out_of_sample), purge (default 0), each
    a whole number of bars or a duration (12h, 90d, 2w). scheme cpcv: n_folds, n_test_folds,
    purged_size, embargo_size as skfolio's CombinatorialPurgedCV names them (sizes: bars or a duration).
    """

    scheme: Literal["rolling", "cpcv"] = "rolling"
    in_sample: int | str | None = None
    out_of_sample: int | str | None = None
    step: int | str | None = None
    purge: int | str = 0
    n_folds: int | None = Field(default=None, ge=3)
    n_test_folds: int | None = Field(default=None, ge=2)
    purged_size: int | str = 0
    embargo_size: int | str = 0
    method: Literal["grid", "random", "tpe"] = "grid"
    budget: int = Field(default=50, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _no_rolling_embargo(cls, value):
        if isinstance(value, dict) and "embargo" in value:
            raise ValueError("embargo: rolling folds train on the past only (no training bar follows a test "
                             "window); an embargo belongs to scheme cpcv, as embargo_size")
        return value

    @field_validator("in_sample", "out_of_sample", "step", mode="before")
    @classmethod
    def _window(cls, value):
        return None if value is None else span(value, minimum=1)

    @field_validator("purge", "purged_size", "embargo_size", mode="before")
    @classmethod
    def _gap(cls, value):
        return span(value, minimum=0)

    @model_validator(mode="after")
    def _scheme_keys(self):
        rolling, cpcv = ("in_sample", "out_of_sample", "step", "purge"), (
            "n_folds", "n_test_folds", "purged_size", "embargo_size")
        own, other = (rolling, cpcv) if self.scheme == "rolling" else (cpcv, rolling)
        problems = [f"{key}: scheme {self.scheme} takes {', '.join(own)}, not {key}"
                    for key in other if key in self.model_fields_set]
        needed = ("in_sample", "out_of_sample") if self.scheme == "rolling" else ("n_folds", "n_test_folds")
        form = SPAN_FORMS if self.scheme == "rolling" else "an integer"
        problems += [f"{key}: scheme {self.scheme} needs it ({form})" for key in needed if getattr(self, key) is None]
        if not problems and self.scheme == "cpcv":
            if self.n_test_folds >= self.n_folds:
                problems.append(f"n_test_folds: {self.n_test_folds} must be below n_folds ({self.n_folds})")
            elif (splits := math.comb(self.n_folds, self.n_test_folds)) > MAX_CPCV_SPLITS:
                problems.append(f"n_folds/n_test_folds: C({self.n_folds}, {self.n_test_folds}) = {splits:,} splits "
                                f"(one task each); at most {MAX_CPCV_SPLITS}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def in_sample_time(self, timeframe: str) -> pd.Timedelta:
        return span_time(self.in_sample, timeframe)

    def out_of_sample_time(self, timeframe: str) -> pd.Timedelta:
        return span_time(self.out_of_sample, timeframe)

    def step_time(self, timeframe: str) -> pd.Timedelta:
        return span_time(self.step if self.step is not None else self.out_of_sample, timeframe)

    def purge_time(self, timeframe: str) -> pd.Timedelta:
        return span_time(self.purge, timeframe)

    def gap_bars(self, timeframe: str) -> tuple[int, int]:
        """(purge, embargo) in bars: rolling's purge and no embargo, or cpcv's purged_size and embargo_size."""
        if self.scheme == "rolling":
            return span_bars(self.purge, timeframe), 0
        return span_bars(self.purged_size, timeframe), span_bars(self.embargo_size, timeframe)

    def folds(self, start, end, timeframe: str) -> list[Fold]:
        """The folds of the absolute window [start, end)."""
        if self.scheme == "rolling":
            return walk_forward_folds(start, end, self.in_sample_time(timeframe), self.out_of_sample_time(timeframe),
                                      self.step_time(timeframe), self.purge_time(timeframe))
        purged, embargo = self.gap_bars(timeframe)
        return cpcv_folds(start, end, pd.Timedelta(milliseconds=timeframe_ms(timeframe)), self.n_folds,
                          self.n_test_folds, purged, embargo)


class RebalanceSpec(Strict):
    """When the `portfolio` score's account rebalances (include.backtest.portfolio.Rebalance)."""

    every: int | str | None = None   # bars, or a timeframe such as 1d
    drift: float | None = Field(default=None, gt=0, lt=10)
    on_change: bool = True           # when the strategy's target weights change

    @field_validator("every")
    @classmethod
    def _every(cls, every):
        if isinstance(every, int) and every < 1:
            raise ValueError(f"{every!r} is invalid; valid: an int >= 1 or a timeframe such as 1d")
        if isinstance(every, str):
            timeframe_ms(every)  # its ValueError names the valid form
        return every

    @model_validator(mode="after")
    def _something(self):
        if self.every is None and self.drift is None and not self.on_change:
            raise ValueError("nothing would ever rebalance; set every, drift or on_change: true")
        return self

    def to_rebalance(self):
        from include.backtest.portfolio import Rebalance

        return Rebalance(**self.model_dump())


class SweepSpec(Strict):
    """One sweep: a strategy's parameter space searched by `method` on every series of `universe`."""

    name: str
    strategy: str
    universe: list[SeriesRef] = Field(min_length=1)
    timeframe: str
    start: datetime | str | None = None  # a str is a look-back before end (365d), resolved by resolve()
    end: datetime | None = None  # None: the last complete bar at the run's reference time (resolve())
    params: dict[str, ParamOverride] = Field(default_factory=dict)
    method: Literal["grid", "random", "tpe", "nsga2", "walk_forward"]
    objective: Objective = Objective(metric="sharpe_ratio", direction="maximize")
    objectives: list[Objective] | None = None
    budget: int = Field(default=100, ge=1)
    chunk_size: int = Field(default=10, ge=1)
    seed: int = 0
    costs: CostsSpec = CostsSpec()
    # The engine's own settings classes validate these (one source of their fields and ranges).
    sizing: dict[str, Any] = Field(default_factory=dict)
    exits: dict[str, Any] = Field(default_factory=dict)
    breaker: dict[str, Any] | None = Field(default_factory=dict)  # {} = the engine's default levels; null = off
    walk_forward: WalkForwardSpec | None = None
    # How a trial is scored (pbt): `sleeves`, the mean of each series' own metrics, or `portfolio`,
    # one shared-cash account over the universe rebalanced by `rebalance` (include/backtest/portfolio.py).
    score: Literal["sleeves", "portfolio"] = "sleeves"
    rebalance: RebalanceSpec = Field(default_factory=lambda: RebalanceSpec())

    @field_validator("name")
    @classmethod
    def _file_safe(cls, name: str) -> str:
        if not NAME.match(name):
            raise ValueError(f"{name!r} is invalid: use letters, digits, '_' and '-' (it names the result files)")
        return name

    @field_validator("strategy")
    @classmethod
    def _registered(cls, name: str, info: ValidationInfo) -> str:
        if with_strategies(info):
            from include.sweeps.strategy_checks import strategy_problem

            if problem := strategy_problem(name):
                raise ValueError(problem)
        return name

    @field_validator("timeframe")
    @classmethod
    def _timeframe(cls, timeframe: str) -> str:
        timeframe_ms(timeframe)  # its ValueError names the valid form
        return timeframe

    @field_validator("start", "end", mode="before")
    @classmethod
    def _utc(cls, value, info: ValidationInfo):
        if value is None:
            return None
        if info.field_name == "start" and duration(value) is not None:
            return value.strip()
        try:
            moment = pd.Timestamp(value)
        except (ValueError, TypeError):
            forms = LOOKBACK_FORMS if info.field_name == "start" else DATE_FORMS
            raise ValueError(f"{value!r} is not {forms}") from None
        return (moment.tz_localize("UTC") if moment.tz is None else moment.tz_convert("UTC")).to_pydatetime()

    @field_validator("sizing", "exits", "breaker", mode="before")
    @classmethod
    def _engine_setting(cls, value, info: ValidationInfo):
        if value is None and info.field_name == "breaker":
            return None
        if with_strategies(info):  # the engine's own settings classes check the keys and values
            from include.sweeps.strategy_checks import engine_setting_problem

            if problem := engine_setting_problem(info.field_name, value):
                raise ValueError(problem)
        elif not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a mapping of {info.field_name.capitalize()} settings")
        return value

    @field_validator("universe")
    @classmethod
    def _distinct(cls, universe: list[SeriesRef]) -> list[SeriesRef]:
        seen = set()
        for index, ref in enumerate(universe):
            if ref.key in seen:
                raise ValueError(f"entry {index} ({ref.exchange} {ref.symbol}) is listed twice")
            seen.add(ref.key)
        return universe

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo):
        strategies = with_strategies(info)
        problems = _window_problems(self)
        if strategies:
            from include.sweeps.strategy_checks import param_problems

            problems += param_problems(self)
        if not problems:
            problems = [*_method_problems(self, strategies)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ---- derived values -------------------------------------------------------------------

    def get_strategy(self) -> Strategy:
        from include.strategies import get_strategy

        return get_strategy(self.strategy)

    def space(self) -> tuple[Dimension, ...]:
        """One Dimension per strategy param, in the strategy's order."""
        from include.sweeps.space import declared, overridden

        strategy = self.get_strategy()
        return tuple(overridden(p, **self.params[p.name].model_dump()) if p.name in self.params
                     else declared(p) for p in strategy.params)

    def engine_settings(self) -> dict[str, Any]:
        """sizing, exits and breaker as run_backtest takes them."""
        from include.backtest.config import Breaker, Exits, Sizing

        return {
            "sizing": Sizing(**self.sizing),
            "exits": Exits(**self.exits) if self.exits else None,
            "breaker": None if self.breaker is None else Breaker(**self.breaker),
        }

    def goals(self) -> list[Objective]:
        """What the optimiser ranks by: `objectives` for nsga2, else [objective]."""
        return list(self.objectives) if self.method == "nsga2" else [self.objective]

    def digest(self) -> str:
        """10 hex digits of the spec's content: result files of a changed spec never mix with old ones."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:10]

    # ---- windows relative to the run (windows.py) -------------------------------------------

    @property
    def resolved(self) -> bool:
        """Whether start and end are absolute (what folds and runs need)."""
        return not isinstance(self.start, str) and self.end is not None

    def window_length(self) -> pd.Timedelta | None:
        """end - start where known before the reference time (a look-back, or two dates)."""
        if isinstance(self.start, str):
            return duration(self.start)
        if self.start is not None and self.end is not None:
            return pd.Timestamp(self.end) - pd.Timestamp(self.start)
        return None

    def resolve(self, reference: datetime, source: str = "sweep") -> SweepSpec:
        """The spec with absolute [start, end) at the run's reference time (its data interval end):
        end as given or the last complete bar's end, a look-back start counted back from end. Checked
        again (a fold that fits only now); the digest then names the resolved windows."""
        start, end = resolve_window(self.start, self.end, reference, self.timeframe)
        raw = self.model_dump(exclude_unset=True) | {"start": start, "end": end}
        return parse_spec(raw, source, strategies=False)


def _window_problems(spec: SweepSpec) -> list[str]:
    if spec.resolved and spec.start is not None and spec.start >= spec.end:
        return [f"start ({spec.start:%Y-%m-%d %H:%M}) must be before end ({spec.end:%Y-%m-%d %H:%M})"]
    if isinstance(spec.start, str) and spec.window_length() < pd.Timedelta(milliseconds=timeframe_ms(spec.timeframe)):
        return [f"start: look-back {spec.start} is shorter than one {spec.timeframe} bar"]
    return []


def _method_problems(spec: SweepSpec, strategies: bool) -> list[str]:
    """Method-specific keys; the grid's size needs the strategy's space, so only with `strategies`."""
    problems = []
    if spec.method == "nsga2":
        if "objective" in spec.model_fields_set:
            problems.append("objective: method nsga2 optimises `objectives` (two or more); remove `objective`")
        metrics = [o.metric for o in spec.objectives or []]
        if len(metrics) < 2:
            problems.append("objectives: method nsga2 needs two or more, "
                            "e.g. [sharpe_ratio: maximize, max_drawdown: maximize]")
        elif len(set(metrics)) < len(metrics):
            problems.append(f"objectives: a metric is listed twice ({', '.join(metrics)})")
    elif spec.objectives is not None:
        problems.append(f"objectives: only method nsga2 takes `objectives`; method {spec.method} "
                        "optimises `objective` (one metric)")
    if spec.method == "walk_forward":
        problems += _walk_forward_problems(spec, strategies)
    elif spec.walk_forward is not None:
        problems.append(f"walk_forward: only method walk_forward takes this block (method is {spec.method})")
    if spec.method == "grid" and strategies:
        from include.sweeps.strategy_checks import grid_problems

        problems += grid_problems(spec, spec.budget, "budget")
    return problems


def _walk_forward_problems(spec: SweepSpec, strategies: bool) -> list[str]:
    wf = spec.walk_forward
    if wf is None:
        return ["walk_forward: method walk_forward needs a walk_forward block (scheme rolling: in_sample, "
                "out_of_sample, step, purge; scheme cpcv: n_folds, n_test_folds, purged_size, embargo_size; "
                "method, budget)"]
    if spec.start is None:
        return [f"start: method walk_forward needs the window its folds tile: {LOOKBACK_FORMS}"]
    problems = _fold_fit_problems(spec, wf) if spec.window_length() is not None else []  # else at resolve()
    if wf.method == "grid" and strategies:
        from include.sweeps.strategy_checks import grid_problems

        problems += grid_problems(spec, wf.budget, "walk_forward.budget")
    return problems


def _fold_fit_problems(spec: SweepSpec, wf: WalkForwardSpec) -> list[str]:
    """What the window's length alone decides: a rolling fold fits, cpcv's groups leave training bars."""
    window, days = spec.window_length(), pd.Timedelta(days=1)
    if wf.scheme == "rolling":
        in_sample, purge = wf.in_sample_time(spec.timeframe), wf.purge_time(spec.timeframe)
        if purge >= in_sample:
            return [f"walk_forward.purge: {wf.purge} leaves no training bar of in_sample {wf.in_sample}; "
                    "give a purge shorter than in_sample"]
        fold = in_sample + wf.out_of_sample_time(spec.timeframe)
        if fold > window:
            return [f"walk_forward: one fold (in_sample + out_of_sample = {fold / days:g} days) does not fit in "
                    f"start..end ({window / days:g} days); shorten them or start earlier"]
        return []
    n_bars = int(window // pd.Timedelta(milliseconds=timeframe_ms(spec.timeframe)))
    problem = cpcv_size_problem(n_bars, wf.n_folds, *wf.gap_bars(spec.timeframe))
    return [problem] if problem else []


# ---- one message per problem ---------------------------------------------------------------

def parse_spec(raw: dict, source: str = "sweep", *, strategies: bool = True) -> SweepSpec:
    """The validated spec; ConfigError with one line per problem, each naming the key and what is valid.

    strategies=False checks shape only (no strategy registry, no engine): name, method, objective,
    budget, universe, timeframe, window, walk_forward; the strategy's name and params and the
    engine's settings are then left unchecked.
    """
    try:
        return SweepSpec.model_validate(raw, context={"strategies": strategies})
    except ValidationError as exc:
        raise ConfigError(describe_validation_errors(exc, source, SweepSpec)) from None
