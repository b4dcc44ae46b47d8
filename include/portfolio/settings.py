"""The optimiser's settings as the config declares them: one strict pydantic model.

Every return figure here (risk-free rate, target return, Black-Litterman views)
is ANNUALISED, arithmetic, on the 365-day calendar of docs/definitions.md: the
optimiser divides it by 365 to work on daily returns. Weights are fractions of
the portfolio's capital (cash included).
"""
from __future__ import annotations

import re
from enum import Enum
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from include.errors import ConfigError, closest
from include.strict import Strict


class Method(str, Enum):
    """How target weights are chosen (docs/portfolio.md)."""

    MAX_SHARPE = "max_sharpe"  # mean-variance: the tangency portfolio
    MIN_VARIANCE = "min_variance"  # mean-variance: the least variance
    TARGET_RETURN = "target_return"  # mean-variance: least variance with an expected return floor
    RISK_PARITY = "risk_parity"  # equal risk contribution (ERC)
    HRP = "hrp"  # hierarchical risk parity
    BLACK_LITTERMAN = "black_litterman"  # max Sharpe on the Black-Litterman posterior of the views
    KELLY = "kelly"  # fractional Kelly: c * inv(S) * (mu - rf), capped


# "<assets expression> == <number>" (or "="): skfolio's absolute and relative view syntax,
# e.g. "BTC/USDT == 0.40" or "BTC/USDT - ETH/USDT == 0.02"; the number is annualised here.
VIEW = re.compile(r"^\s*(?P<lhs>[^=<>]*[^=<>\s])\s*={1,2}\s*(?P<rhs>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class _Strict(Strict):
    """include.strict.Strict, with an unknown key named together with the closest valid one."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = set(cls.model_fields)
            for key in data:
                if key not in valid:
                    raise ValueError(f"unknown key {key!r}; {closest(str(key), valid)}")
        return data


class AssetBounds(_Strict):
    """One asset's weight bounds, overriding min_weight / max_weight for it."""

    min: float = Field(default=0.0, ge=-1.0, le=1.0)
    max: float = Field(default=1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class PortfolioSettings(_Strict):
    """The optimiser's settings (config key `portfolio`)."""

    method: Method = Method.MIN_VARIANCE
    lookback_days: int = Field(default=365, ge=10, le=3650, description="calendar days of daily returns used")
    # Long-only by default; a negative min_weight allows shorting down to it.
    min_weight: float = Field(default=0.0, ge=-1.0, le=1.0)
    max_weight: float = Field(default=1.0, gt=0.0, le=1.0)
    bounds: dict[str, AssetBounds] = Field(default_factory=dict, description="per-symbol overrides")
    # Sum over assets of |target - current| weight (buys plus sells); None: no limit.
    max_turnover: float | None = Field(default=None, gt=0.0, le=4.0)
    cash_buffer: float = Field(default=0.0, ge=0.0, lt=1.0, description="weights sum to 1 - cash_buffer")
    risk_free_rate: float = Field(default=0.0, ge=-1.0, le=10.0, description="annual; cash earns it")
    target_return: float | None = Field(default=None, ge=-10.0, le=100.0, description="annual; method target_return only")
    # Ledoit-Wolf estimates the shrinkage intensity; a number fixes it (ShrunkCovariance).
    shrinkage: float | None = Field(default=None, ge=0.0, le=1.0)
    kelly_fraction: float = Field(default=0.5, gt=0.0, le=1.0)
    kelly_cap: float = Field(default=1.0, gt=0.0, le=1.0, description="cap on the sum of Kelly weights")
    views: list[str] = Field(default_factory=list, description="Black-Litterman views, annualised")
    bl_tau: float = Field(default=0.05, gt=0.0, le=1.0)

    @field_validator("views")
    @classmethod
    def _view_syntax(cls, views: list[str]) -> list[str]:
        for view in views:
            if not VIEW.match(view):
                raise ValueError(
                    f"view {view!r} is not '<asset> == <annual return>' or "
                    "'<asset> - <asset> == <annual return>' (e.g. 'BTC/USDT - ETH/USDT == 0.02')"
                )
        return views

    @model_validator(mode="after")
    def _method_needs(self):
        if self.method is Method.TARGET_RETURN and self.target_return is None:
            raise ValueError("method 'target_return' needs 'target_return' (an annual return, e.g. 0.25)")
        if self.method is not Method.TARGET_RETURN and self.target_return is not None:
            raise ValueError(f"'target_return' applies to method 'target_return' only, not {self.method.value!r}")
        if self.method is Method.BLACK_LITTERMAN and not self.views:
            raise ValueError("method 'black_litterman' needs 'views' (e.g. ['BTC/USDT - ETH/USDT == 0.02'])")
        if self.method is not Method.BLACK_LITTERMAN and self.views:
            raise ValueError(f"'views' apply to method 'black_litterman' only, not {self.method.value!r}")
        if self.min_weight > self.max_weight:
            raise ValueError(f"min_weight ({self.min_weight}) must not exceed max_weight ({self.max_weight})")
        return self

    def asset_bounds(self, symbol: str) -> tuple[float, float]:
        """(min, max) weight of one symbol: its override, else min_weight / max_weight."""
        override = self.bounds.get(symbol)
        return (override.min, override.max) if override else (self.min_weight, self.max_weight)

    def daily_views(self, periods_per_year: int) -> list[str]:
        """The views in skfolio's syntax with each annual number turned into a daily one."""
        out = []
        for view in self.views:
            m = VIEW.match(view)
            out.append(f"{m['lhs']} == {float(m['rhs']) / periods_per_year!r}")
        return out


def parse_settings(data: dict, where: str = "portfolio") -> PortfolioSettings:
    """PortfolioSettings from a mapping, or one ConfigError naming the key path and what is valid."""
    try:
        return PortfolioSettings.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            path = ".".join([where, *(str(p) for p in err["loc"])])
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{path}: {message} (got {err['input']!r})" if err["loc"] else f"{path}: {message}")
        raise ConfigError("; ".join(lines)) from None


def portfolio_settings(config) -> PortfolioSettings:
    """The config's `portfolio:` section as PortfolioSettings (a PeakTradeConfig; ConfigError names the key)."""
    return parse_settings(config.portfolio, "portfolio")
