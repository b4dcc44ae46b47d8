"""The config's sweeps, checked: each a valid spec, names unique, every series declared by the universe.

Given the run's reference time (its data interval end), sweep_specs also resolves windows declared
relative to the run (`start: 365d`, end omitted), so a fold that no longer fits fails here, named.

With strategies=False only the shape is checked (what DAG files do at parse time, without the
strategies, Numba or Optuna); the sweep tasks check strategy names and params with strategies=True.
"""
from __future__ import annotations

from datetime import datetime

from include.config.schema import PeakTradeConfig
from include.errors import ConfigError
from include.sweeps.spec import SweepSpec, parse_spec


def sweep_problems(config: PeakTradeConfig, *, strategies: bool) -> list[str]:
    """One message per problem of the config's sweeps, each naming its key under `sweeps[i]`."""
    return _checked(config, strategies)[1]


def sweep_specs(config: PeakTradeConfig, source: str = "config",
                reference: datetime | None = None) -> dict[str, SweepSpec]:
    """The config's sweeps as fully validated SweepSpecs, by name; one ConfigError listing every problem.
    With `reference` each spec is resolved to absolute [start, end) at that time (SweepSpec.resolve)."""
    specs, problems = _checked(config, strategies=True, reference=reference)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return specs


def _checked(config: PeakTradeConfig, strategies: bool,
             reference: datetime | None = None) -> tuple[dict[str, SweepSpec], list[str]]:
    declared = {(s.exchange, s.symbol, s.timeframe) for s in config.series()}
    specs: dict[str, SweepSpec] = {}
    problems: list[str] = []
    for index, raw in enumerate(config.sweeps):
        where = f"sweeps[{index}]"
        try:
            spec = parse_spec(raw, source=where, strategies=strategies)
            if reference is not None:
                spec = spec.resolve(reference, source=where)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if spec.name in specs:
            problems.append(f"{where}.name: {spec.name!r} is used by an earlier sweep; names must be unique")
        specs.setdefault(spec.name, spec)
        for k, ref in enumerate(spec.universe):
            if (ref.exchange, ref.symbol, spec.timeframe) not in declared:
                problems.append(
                    f"{where}.universe[{k}]: {ref.exchange} {ref.symbol} {spec.timeframe} is not in the universe; "
                    f"declared: {', '.join(sorted(f'{e} {s} {t}' for e, s, t in declared))}"
                )
    return specs, problems
