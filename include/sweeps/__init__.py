"""Parameter sweeps of one strategy over a universe of series: spec, plan, chunked runs, results.

See docs/backtest.md, section Sweeps. Neither this package nor anything it imports uses Airflow.
Names are imported on first use, so `include.sweeps.spec` and `include.sweeps.checks` (what DAG
files use at parse time) load without the engine, the strategies, Numba or Optuna.
"""
from importlib import import_module

_HOMES = {
    "SweepError": "errors", "Chunk": "plan", "plan_chunks": "plan", "WalkForwardSummary": "results",
    "best": "results", "collect": "results", "pareto_front": "results", "walk_forward_summary": "results",
    "check_strategy": "run", "run_chunk": "run", "METRICS": "spec", "SweepSpec": "spec", "parse_spec": "spec",
}

__all__ = sorted(_HOMES, key=str.lower)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'include.sweeps' has no attribute {name!r}")
    return getattr(import_module(f"include.sweeps.{_HOMES[name]}"), name)
